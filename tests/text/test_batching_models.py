"""Padded/sorted batches, language-model batches and the recurrent models."""
import torch
import pytest

from fastlayers.core import TensorText
from fastlayers.text.batching import LMDataLoader, SortedDL, pad_input
from fastlayers.text.models import (AWD_LSTM, EmbeddingDropout, TextLSTM, RNNDropout, WeightDropout,
                                    awd_lstm_clas_config, awd_lstm_clas_split, awd_lstm_lm_config,
                                    get_language_model, get_text_classifier, masked_concat_pool)

TINY = dict(emb_sz=16, n_hid=24, n_layers=2)


def test_pad_collate_sides():
    samples = [(torch.tensor([5, 6, 7]), 0), (torch.tensor([8]), 1)]
    x, y = pad_input(samples)
    assert isinstance(x, TensorText)
    assert x.tolist() == [[5, 6, 7], [1, 1, 8]] and y.tolist() == [0, 1]
    x, _ = pad_input(samples, pad_idx=0, pad_first=False)
    assert x.tolist() == [[5, 6, 7], [8, 0, 0]]


def _ds(lens):
    return [(torch.arange(n) + 10, n % 2) for n in lens]


def test_sorted_dl_validation_is_longest_first():
    lens = [3, 7, 2, 5, 9, 4, 1, 8]
    dl = SortedDL(_ds(lens), bs=3)
    batches = list(dl)
    assert [b[0].shape[1] for b in batches] == [9, 5, 2]
    assert sorted(int((b[0] != 1).sum(1).max()) for b in batches) == [2, 5, 9]


def test_sorted_dl_training_covers_everything_groups_lengths_and_varies():
    g = torch.Generator().manual_seed(0)
    lens = torch.randint(1, 200, (600,), generator=g).tolist()
    ds = [(torch.full((n,), 5), i) for i, n in enumerate(lens)]
    dl = SortedDL(ds, bs=16, shuffle=True, seed=1)
    seen, padded = [], 0
    batches = list(dl)
    for x, idx in batches:
        seen += idx.tolist()
        padded += int((x == 1).sum())
    assert sorted(seen) == list(range(600))
    assert batches[0][0].shape[1] == max(lens)  # the longest text comes first
    # random batches of 16 would pad about a third of all positions; sorted ones far less
    assert padded < 0.1 * sum(lens)
    assert [b[1].tolist() for b in SortedDL(ds, bs=16, shuffle=True, seed=2)] != [b[1].tolist() for b in batches]


def test_lm_dataloader_shifted_targets_and_rows():
    docs = [torch.arange(0, 10), torch.arange(100, 107)]
    dl = LMDataLoader(docs, bs=2, seq_len=3)
    stream = torch.cat(docs)
    xs, ys = zip(*list(dl))
    x, y = torch.cat(xs, 1), torch.cat(ys, 1)
    assert len(dl) == 3 and x.shape == (2, 8)
    assert x[0].tolist() == stream[:8].tolist() and x[1].tolist() == stream[8:16].tolist()  # contiguous rows
    assert y[:, :].tolist() == [stream[1:9].tolist(), stream[9:17].tolist()]  # shifted by one
    with pytest.raises(ValueError, match="smaller bs"):
        LMDataLoader([torch.arange(3)], bs=4)


def test_lm_dataloader_shuffles_documents_not_tokens():
    docs = [torch.full((5,), i) for i in range(20)]
    dl = LMDataLoader(docs, bs=4, seq_len=5, shuffle=True, seed=0)
    s = dl.stream()
    assert sorted(s.tolist()) == sorted(torch.cat(docs).tolist())
    runs = s.view(-1, 5)
    assert all(len(set(r.tolist())) == 1 for r in runs)  # each document stays in one piece
    assert s.tolist() != torch.cat(docs).tolist()


def test_rnn_dropout_uses_one_mask_per_sequence():
    torch.manual_seed(0)
    d = RNNDropout(0.5).train()
    out = d(torch.ones(4, 7, 10))
    assert torch.equal(out[:, :1].expand_as(out), out)  # same mask at every time step
    assert set(out.unique().tolist()) == {0.0, 2.0}
    assert torch.equal(d.eval()(torch.ones(2, 3, 4)), torch.ones(2, 3, 4))


def test_embedding_dropout_drops_whole_words():
    torch.manual_seed(0)
    emb = nn_emb = torch.nn.Embedding(50, 8)
    d = EmbeddingDropout(nn_emb, 0.5).train()
    out = d(torch.tensor([[3, 3, 4, 5]]))
    rows_zero = (out[0] == 0).all(1)
    assert torch.equal(out[0, 0], out[0, 1])  # the same word gets the same fate everywhere
    assert ((out[0] == 0).any(1) == rows_zero).all()  # a word is dropped entirely or not at all
    assert torch.equal(d.eval()(torch.tensor([3])), emb(torch.tensor([3])))


def test_weight_dropout_keeps_parameters_and_trains_them():
    torch.manual_seed(0)
    lstm = torch.nn.LSTM(4, 6, batch_first=True)
    wd = WeightDropout(lstm, 0.5).train()
    before = lstm.weight_hh_l0.detach().clone()
    x = torch.randn(2, 5, 4)
    a, b = wd(x)[0], wd(x)[0]
    assert not torch.allclose(a, b)  # a fresh mask each call
    a.sum().backward()
    assert torch.equal(lstm.weight_hh_l0.detach(), before)  # the parameter itself is never overwritten
    assert lstm.weight_hh_l0.grad is not None and lstm.weight_hh_l0.grad.abs().sum() > 0
    wd.eval()
    assert torch.allclose(wd(x)[0], lstm(x)[0])


def test_masked_concat_pool_ignores_padding():
    out = torch.randn(1, 5, 3)
    mask = torch.tensor([[True, True, False, False, False]])
    pooled = masked_concat_pool(out, mask)
    real = out[:, 2:]
    expected = torch.cat([real[:, -1], real.max(1).values, real.mean(1)], 1)
    assert torch.allclose(pooled, expected)


def test_language_model_shapes_tied_weights_and_state():
    torch.manual_seed(0)
    lm = get_language_model(40, awd_lstm_lm_config(**TINY))
    x = torch.randint(0, 40, (3, 6))
    assert lm(x).shape == (3, 6, 40)
    assert lm.head.decoder.weight is lm.encoder.encoder.weight
    lm.eval()
    lm.reset(); a = lm(x)
    lm.reset(); b = lm(x)
    c = lm(x)  # carries the hidden state of b
    assert torch.allclose(a, b) and not torch.allclose(b, c)


def test_classifier_and_its_parameter_groups():
    torch.manual_seed(0)
    clf = get_text_classifier(40, 3, awd_lstm_clas_config(**TINY), max_len=4)
    x = torch.randint(2, 40, (5, 9))
    x[0, :6] = 1
    assert clf(x).shape == (5, 3)
    groups = awd_lstm_clas_split(clf)
    assert len(groups) == 4 and sum(len(g) for g in groups) == len(list(clf.parameters()))
    assert TextLSTM(40, 2)(x).shape == (5, 2)

