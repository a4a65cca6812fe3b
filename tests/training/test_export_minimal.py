"""export's building blocks for lesson 11: the emptied pipelines, and load_learner on a minimal export dict."""
from __future__ import annotations

import torch
from torch import nn

from fastlayers.training import Learner, empty_dls, load_learner

from .test_inference import labelled_dls


def test_empty_dls_keeps_the_set_up_pipelines_and_drops_the_items():
    dls = labelled_dls()
    empty = empty_dls(dls)
    assert len(empty.train.dataset) == 0 and len(empty.valid.dataset) == 0
    assert list(empty.vocab) == list(dls.vocab)
    assert len(dls.train.dataset) == 40 and len(dls.valid.dataset) == 20      # the original is left alone
    batch = empty.test_dl([3, 5]).one_batch()[0]
    assert torch.equal(batch, torch.stack([dls.train.dataset[3][0], dls.train.dataset[5][0]]))


def test_load_learner_reads_a_dict_with_only_model_and_dls(tmp_path):
    dls = labelled_dls()
    learn = Learner(dls, nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2)), path=tmp_path)
    learn.fit(2, lr=3e-2)
    torch.save({"model": learn.model, "dls": empty_dls(dls)}, tmp_path / "minimal.pkl")
    loaded = load_learner(tmp_path / "minimal.pkl")
    assert type(loaded) is Learner and not loaded.model.training
    assert isinstance(loaded.loss_func, type(learn.loss_func))         # from the data, as Learner does
    label, idx, probs = loaded.predict(7)
    want_label, want_idx, want_probs = learn.predict(7)
    assert label == want_label and int(idx) == int(want_idx)
    assert torch.allclose(probs, want_probs, atol=1e-6)
