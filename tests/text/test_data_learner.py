"""TextDataLoaders (DataFrame, CSV, folder, bad input), show_batch, and the text learners."""
import random

import pandas as pd
import pytest
import torch

from fastlayers.text import (TextDataLoaders, Tokenizer, awd_lstm_clas_config, awd_lstm_lm_config,
                             language_model_learner, lstm_learner, text_classifier_learner)

TINY = dict(emb_sz=16, n_hid=24, n_layers=2)
GOOD = ["great", "wonderful", "loved", "superb", "brilliant"]
BAD = ["awful", "boring", "hated", "terrible", "dull"]
FILL = ["the", "movie", "was", "and", "plot", "actors", "really", "quite", "film", "story"]


def toy_df(n=160, seed=0):
    """Reviews whose label is given by sentiment words scattered among filler words."""
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        pos = i % 2 == 0
        words = [rng.choice(FILL) for _ in range(rng.randint(5, 25))]
        for _ in range(2):
            words.insert(rng.randrange(len(words) + 1), rng.choice(GOOD if pos else BAD))
        rows.append({"text": " ".join(words).capitalize() + ".", "label": "pos" if pos else "neg",
                     "is_valid": i >= n * 3 // 4})
    return pd.DataFrame(rows)


@pytest.fixture
def tok(tmp_path):
    return Tokenizer(cache_dir=tmp_path / "cache")


def test_from_df_classification(tok):
    dls = TextDataLoaders.from_df(toy_df(), valid_col="is_valid", bs=16, min_freq=1, tokenizer=tok, seed=0)
    assert dls.c == 2 and list(dls.vocab) == ["neg", "pos"]
    assert len(dls.train.dataset) == 120 and len(dls.valid.dataset) == 40
    vocab = dls.numericalize.vocab
    assert vocab[:9][2] == "xxbos" and len(vocab) % 8 == 0
    x, y = dls.valid.one_batch()
    assert x[:, -1].ne(1).all()  # left padding: the last position is a real token
    df = dls.show_batch(max_n=3)
    assert isinstance(df, pd.DataFrame) and list(df.columns) == ["text", "label"] and len(df) == 3
    assert df.text[0].startswith("xxbos xxmaj") and "xxpad" not in df.text[0]


def test_vocab_comes_from_training_texts_only(tok):
    df = toy_df()
    df.loc[df.is_valid, "text"] = df.loc[df.is_valid, "text"] + " zebracorn zebracorn zebracorn"
    dls = TextDataLoaders.from_df(df, valid_col="is_valid", min_freq=1, tokenizer=tok)
    assert "zebracorn" not in dls.numericalize.vocab
    x, _ = dls.valid.one_batch()
    assert (x == 0).any()  # the unseen word became xxunk


def test_labels_only_in_validation_are_refused(tok):
    df = toy_df()
    df.loc[df.index[-1], "label"] = "meh"
    with pytest.raises(ValueError, match="meh.*never in training"):
        TextDataLoaders.from_df(df, valid_col="is_valid", tokenizer=tok)


def test_missing_column_and_missing_text(tok):
    with pytest.raises(KeyError, match="columns"):
        TextDataLoaders.from_df(toy_df(), text_col="review", tokenizer=tok)
    df = toy_df()
    df.loc[3, "text"] = None
    with pytest.raises(TypeError, match="NaN"):
        TextDataLoaders.from_df(df, valid_col="is_valid", tokenizer=tok)


def test_empty_and_whitespace_texts_still_batch(tok):
    df = toy_df(40)
    df.loc[0, "text"], df.loc[2, "text"] = "", "   \n  "
    dls = TextDataLoaders.from_df(df, valid_col="is_valid", bs=8, min_freq=1, tokenizer=tok)
    lens = [len(t) for t in dls.train.dataset.tls[0]]
    assert min(lens) >= 1  # xxbos at least: no zero-length sequence reaches the model
    assert sum(len(b[1]) for b in dls.train) == 24  # 30 train items, drop_last keeps 3 full batches of 8


def test_from_csv_and_from_folder_with_bad_utf8(tmp_path, tok):
    df = toy_df(40)
    df.to_csv(tmp_path / "texts.csv", index=False)
    dls = TextDataLoaders.from_csv(tmp_path, valid_col="is_valid", bs=8, min_freq=1, tokenizer=tok)
    assert dls.c == 2
    for split, is_valid in (("train", False), ("valid", True)):
        for i, row in df[df.is_valid == is_valid].iterrows():
            d = tmp_path / "imdb" / split / row.label
            d.mkdir(parents=True, exist_ok=True)
            (d / f"{i}.txt").write_text(row.text)
    (tmp_path / "imdb" / "train" / "pos" / "broken.txt").write_bytes(b"Great film \xff\xfe really")
    dls = TextDataLoaders.from_folder(tmp_path / "imdb", bs=8, min_freq=1, tokenizer=tok)
    assert dls.c == 2 and len(dls.train.dataset) == 31 and len(dls.valid.dataset) == 10
    with pytest.raises(FileNotFoundError, match="no .txt files"):
        TextDataLoaders.from_folder(tmp_path / "nowhere", tokenizer=tok)


@pytest.mark.slow
def test_classifier_learns_the_toy_task_and_predicts(tok, tmp_path):
    torch.manual_seed(0)
    dls = TextDataLoaders.from_df(toy_df(240), valid_col="is_valid", bs=16, min_freq=1, tokenizer=tok, seed=0)
    learn = text_classifier_learner(dls, awd_lstm_clas_config(**TINY), progress=False, path=tmp_path)
    learn.fit_one_cycle(6, 2e-2)
    acc = learn.recorder.values[-1][-1]
    assert acc >= 0.9, learn.recorder.values
    label, idx, probs = learn.predict("Really wonderful and superb, I loved the story")
    assert label == "pos" and probs.shape == (2,) and abs(float(probs.sum()) - 1) < 1e-5
    res = learn.show_results(max_n=4)
    assert list(res.columns) == ["text", "label", "prediction"] and len(res) == 4


@pytest.mark.slow
def test_lstm_learner_learns_the_toy_task(tok, tmp_path):
    torch.manual_seed(0)
    dls = TextDataLoaders.from_df(toy_df(240), valid_col="is_valid", bs=16, min_freq=1, tokenizer=tok, seed=0)
    learn = lstm_learner(dls, emb_sz=16, n_hid=32, progress=False, path=tmp_path)
    learn.fit_one_cycle(8, 1e-2)
    assert learn.recorder.values[-1][-1] >= 0.9, learn.recorder.values


@pytest.mark.slow
def test_language_model_encoder_transfer_and_gradual_unfreezing(tok, tmp_path):
    torch.manual_seed(0)
    df = toy_df(120)
    dls_lm = TextDataLoaders.from_df(df, is_lm=True, bs=8, seq_len=12, min_freq=1, tokenizer=tok, seed=0)
    x, y = dls_lm.one_batch()
    assert torch.equal(x[:, 1:], y[:, :-1])
    lm = language_model_learner(dls_lm, awd_lstm_lm_config(**TINY), progress=False, path=tmp_path)
    lm.fit_one_cycle(2, 1e-2)
    first, last = lm.recorder.values[0][1], lm.recorder.values[-1][1]
    assert last < first and last < torch.log(torch.tensor(float(len(dls_lm.numericalize.vocab)))).item()
    lm.save_encoder("enc")

    dls = TextDataLoaders.from_df(df, valid_col="is_valid", bs=8, tokenizer=tok,
                                  vocab=dls_lm.numericalize.vocab)
    learn = text_classifier_learner(dls, awd_lstm_clas_config(**TINY), progress=False, path=tmp_path)
    learn.load_encoder("enc")
    enc_w = learn.model.encoder.encoder.weight
    assert torch.equal(enc_w, lm.model.encoder.encoder.weight.to(enc_w.device))
    # load_encoder freezes: one epoch trains the head only
    lstm_before = learn.model.encoder.rnns[0].module.weight_ih_l0.detach().clone()
    learn.fit_one_cycle(1, 1e-2)
    assert torch.equal(learn.model.encoder.rnns[0].module.weight_ih_l0.detach(), lstm_before)
    learn.freeze_to(-2)  # now the last LSTM too, the first one still frozen
    last_before = learn.model.encoder.rnns[-1].module.weight_ih_l0.detach().clone()
    learn.fit_one_cycle(1, 1e-2)
    assert not torch.equal(learn.model.encoder.rnns[-1].module.weight_ih_l0.detach(), last_before)
    assert torch.equal(learn.model.encoder.rnns[0].module.weight_ih_l0.detach(), lstm_before)

    other = TextDataLoaders.from_df(df, valid_col="is_valid", bs=8, tokenizer=tok, min_freq=1, max_vocab=16)
    assert len(other.numericalize.vocab) != len(dls_lm.numericalize.vocab)
    mismatch = text_classifier_learner(other, awd_lstm_clas_config(**TINY), progress=False, path=tmp_path)
    with pytest.raises(ValueError, match="vocab"):
        mismatch.load_encoder("enc")
    # the same vocab, one more LSTM layer: refused before a single tensor is copied
    deeper = text_classifier_learner(dls, awd_lstm_clas_config(**{**TINY, "n_layers": TINY["n_layers"] + 1}),
                                     progress=False, path=tmp_path)
    before = {k: v.clone() for k, v in deeper.model.encoder.state_dict().items()}
    with pytest.raises(ValueError, match="does not fit this model.*nothing was loaded"):
        deeper.load_encoder("enc")
    assert all(torch.equal(v, before[k]) for k, v in deeper.model.encoder.state_dict().items())


def test_text_block_in_a_data_block():
    from fastlayers.data import CategoryBlock, ColSplitter, DataBlock
    from fastlayers.text import LMDataLoader, SortedDL, TextBlock, toy_reviews
    df = toy_reviews(80)
    db = DataBlock(blocks=(TextBlock(min_freq=1), CategoryBlock()), get_x=lambda r: r["text"],
                   get_y=lambda r: r["label"], splitter=ColSplitter("is_valid"))
    dls = db.dataloaders(df, bs=8)
    x, y = dls.valid.one_batch()
    assert isinstance(dls.train, SortedDL) and x.shape[0] == 8 and x[:, -1].ne(1).all()
    assert list(dls.vocab) == ["negative", "positive"]
    lm = DataBlock(blocks=(TextBlock(is_lm=True, seq_len=10, min_freq=1),), get_x=lambda r: r["text"],
                   splitter=ColSplitter("is_valid")).dataloaders(df, bs=4)
    x, y = lm.train.one_batch()
    assert isinstance(lm.train, LMDataLoader) and x.shape == (4, 10) and torch.equal(x[:, 1:], y[:, :-1])
