"""The bag of n-grams: hashed n-gram ids, presence counting, Naive Bayes ratios and the learner."""
import math

import pytest
import torch

from fastlayers.text import (NGramBag, TextDataLoaders, Tokenizer, nb_log_count_ratios, ngram_ids, ngram_learner,
                             toy_reviews)


def test_ngram_ids_words_keep_their_id_pairs_are_hashed_after_the_vocab():
    x = torch.tensor([[1, 1, 5, 6, 7]])                  # left padding (id 1), then three words
    ids, keep = ngram_ids(x, vocab_sz=10, ngrams=2, n_buckets=100)
    real = sorted(ids[keep].tolist())
    assert real[:3] == [5, 6, 7]                          # the words
    pairs = real[3:]
    assert len(pairs) == 2 and all(10 <= p < 110 for p in pairs)  # (5,6) and (6,7); none touches the padding


def test_ngram_ids_count_each_ngram_once_per_document_and_only_its_own():
    x = torch.tensor([[5, 6, 5, 6, 5], [1, 1, 1, 5, 6]])
    ids, keep = ngram_ids(x, vocab_sz=10, ngrams=2)
    first = sorted(ids[0][keep[0]].tolist())
    assert first.count(5) == 1 and first.count(6) == 1 and len(first) == 4   # 5, 6, (5,6), (6,5)
    second = sorted(ids[1][keep[1]].tolist())
    assert second[:2] == [5, 6] and len(second) == 3
    hashed_56 = [i for i in second if i >= 10]
    assert hashed_56[0] in first                          # the same pair gets the same id in every document


def test_bag_ignores_padding_and_word_order_beyond_pairs():
    torch.manual_seed(0)
    model = NGramBag(vocab_sz=16, n_out=2, n_buckets=64)
    torch.nn.init.normal_(model.weight.weight)
    a = model(torch.tensor([[5, 6, 7]]))
    padded = model(torch.tensor([[1, 1, 1, 5, 6, 7]]))
    repeated = model(torch.tensor([[5, 6, 7, 5, 6, 7]]))  # same n-grams plus (7,5): one more vote
    torch.testing.assert_close(a, padded)
    assert not torch.allclose(a, repeated)
    with pytest.raises(ValueError, match="shape"):
        model.set_nb_ratios(torch.ones(3, 2))


def test_nb_ratios_favour_the_class_an_ngram_appears_in():
    model = NGramBag(vocab_sz=16, n_out=2, ngrams=1)
    # word 5 only in class 1 documents, word 6 in both, word 7 only in class 0
    batches = [(torch.tensor([[5, 6], [5, 6], [7, 6]]), torch.tensor([1, 1, 0]))]
    r = nb_log_count_ratios(model, batches, alpha=1.0)
    assert r.shape == (16, 2)
    assert r[5, 1] > 0 > r[5, 0] and r[7, 0] > 0 > r[7, 1]
    # share of word 5 among class-1 documents' words (alpha 1 everywhere) over its share among class 0's
    c1, c0 = torch.ones(16), torch.ones(16)
    c1[5] += 2; c1[6] += 2; c0[7] += 1; c0[6] += 1
    assert math.isclose(float(r[5, 1]), math.log((c1[5] / c1.sum()) / (c0[5] / c0.sum())), rel_tol=1e-5)
    torch.testing.assert_close(r[:, 0], -r[:, 1])         # two classes: one ratio, seen from each side


def test_ngram_learner_learns_toy_reviews_and_counts_on_training_data_only(tmp_path):
    df = toy_reviews(200, seed=0)
    dls = TextDataLoaders.from_df(df, valid_col="is_valid", bs=16, min_freq=1, seed=0,
                                  tokenizer=Tokenizer(cache_dir=tmp_path / "cache"))
    torch.manual_seed(0)
    learn = ngram_learner(dls, progress=False)
    # the ratios were counted on training documents: a word seen only in validation keeps ratio 0
    manual = nb_log_count_ratios(learn.model, dls.train.new(shuffle=False, drop_last=False))
    torch.testing.assert_close(learn.model.scale, manual)
    learn.fit_one_cycle(3, 1e-2)
    assert learn.recorder.values[-1][-1] >= 0.95
    label, _, probs = learn.predict("A wonderful, brilliant film.")
    assert label == "positive" and probs.shape == (2,)
    with pytest.raises(ValueError, match="no classes"):
        lm = TextDataLoaders.from_df(df, is_lm=True, bs=4, seq_len=8, min_freq=1,
                                     tokenizer=Tokenizer(cache_dir=tmp_path / "cache"))
        ngram_learner(lm)
