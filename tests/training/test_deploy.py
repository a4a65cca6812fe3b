"""Deployment without the library (training/deploy.py) and the interpretation functions of lesson 11."""
from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
import torch
from torch import nn

from fastlayers.training import (InferenceModel, Learner, confusion_matrix, export_program, inference_model,
                                 load_program, most_confused, raw_batch, top_losses)

IMAGES = np.random.default_rng(0).integers(0, 256, size=(48, 6, 6), dtype=np.uint8)
LABELS = ["dark" if im.mean() < 127.5 else "light" for im in IMAGES]


def image_learner(tmp_path) -> Learner:
    from fastlayers.vision import ImageDataLoaders
    dls = ImageDataLoaders.from_arrays(IMAGES, LABELS, valid_pct=0.25, seed=0, bs=8)
    model = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(), nn.AdaptiveAvgPool2d(1),
                          nn.Flatten(), nn.Dropout(0.5), nn.Linear(4, 2))
    learn = Learner(dls, model, path=tmp_path, progress=False)
    learn.fit(1, lr=1e-2)
    return learn


def test_inference_model_gives_the_learners_probabilities(tmp_path):
    learn = image_learner(tmp_path)
    learn.model.train()
    deployed = inference_model(learn)
    assert learn.model.training and not deployed.training              # a copy: the learner is left alone
    assert deployed.div == 255.0 and deployed.act == "softmax" and deployed.mean.shape == (1,)
    x = raw_batch(learn.dls, list(IMAGES[:5]))[0]
    assert x.dtype == torch.uint8 and x.shape == (5, 1, 6, 6) and type(x) is torch.Tensor
    want = learn.get_preds(dl=learn.dls.test_dl(list(IMAGES[:5])))[0]
    with torch.no_grad():
        assert torch.allclose(deployed(x), want, atol=1e-6)


def test_inference_model_normalizes_each_channel_on_axis_1():
    model = nn.Identity()
    m = InferenceModel(model, div=2.0, mean=[1.0, 2.0, 3.0], std=[1.0, 2.0, 4.0], act=None)
    x = torch.full((2, 3, 4), 8, dtype=torch.uint8)
    out = m(x)
    assert torch.allclose(out[:, :, 0], torch.tensor([[3.0, 1.0, 0.25]] * 2))
    with pytest.raises(ValueError, match="both mean and std"):
        InferenceModel(model, mean=[1.0])


def test_export_program_loads_with_plain_torch_and_any_batch_size(tmp_path):
    learn = image_learner(tmp_path)
    path = export_program(learn, "digits.pt2", list(IMAGES[:2]))
    assert path == tmp_path / "digits.pt2" and path.is_file()
    module, vocab = load_program(path)
    assert vocab == list(learn.dls.vocab)
    for n in (1, 3, 11):
        want = learn.get_preds(dl=learn.dls.test_dl(list(IMAGES[:n])))[0]
        with torch.no_grad():
            got = module(torch.from_numpy(IMAGES[:n])[:, None])
        assert got.shape == (n, 2) and torch.allclose(got, want, atol=1e-5)
    with pytest.raises(ValueError, match="at least two"):
        export_program(learn, "one.pt2", list(IMAGES[:1]))


def test_an_exported_program_runs_where_fastlayers_cannot_be_imported(tmp_path):
    learn = image_learner(tmp_path)
    path = export_program(learn, "digits.pt2", list(IMAGES[:2]))
    np.save(tmp_path / "images.npy", IMAGES[:4])
    script = ("import sys, json, numpy as np, torch\n"
              "sys.modules['fastlayers'] = None  # any import of the library now fails\n"
              "extra = {'vocab.json': ''}\n"
              "module = torch.export.load(sys.argv[1], extra_files=extra).module()\n"
              "x = torch.from_numpy(np.load(sys.argv[2]))[:, None]\n"
              "with torch.no_grad():\n"
              "    print(json.dumps({'vocab': json.loads(extra['vocab.json']), 'probs': module(x).tolist()}))\n")
    out = subprocess.run([sys.executable, "-c", script, str(path), str(tmp_path / "images.npy")],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    got = json.loads(out.stdout.splitlines()[-1])
    want = learn.get_preds(dl=learn.dls.test_dl(list(IMAGES[:4])))[0]
    assert got["vocab"] == list(learn.dls.vocab)
    assert torch.allclose(torch.tensor(got["probs"]), want, atol=1e-5)


def test_inference_model_refuses_batch_transforms_it_cannot_copy(tmp_path):
    from fastlayers.core import Transform
    learn = image_learner(tmp_path)
    learn.dls.valid.after_batch.fs.append(Transform(lambda x: x))
    with pytest.raises(ValueError, match="cannot deploy the batch transform"):
        inference_model(learn)


# ----------------------------------------------------------------------------------------------------------------
# Interpretation, as functions of plain tensors
# ----------------------------------------------------------------------------------------------------------------

def test_confusion_matrix_counts_actual_by_predicted_and_names_bad_ids():
    cm = confusion_matrix(torch.tensor([0, 0, 1, 2, 2, 2]), torch.tensor([0, 1, 1, 2, 0, 0]), 4)
    assert cm.dtype == torch.int64 and cm.tolist() == [[1, 1, 0, 0], [0, 1, 0, 0], [2, 0, 1, 0], [0, 0, 0, 0]]
    assert confusion_matrix(torch.tensor([], dtype=torch.long), torch.tensor([], dtype=torch.long), 2).tolist() == \
        [[0, 0], [0, 0]]
    with pytest.raises(ValueError, match="prediction class id 5"):
        confusion_matrix(torch.tensor([0, 1]), torch.tensor([5, 1]), 3)
    with pytest.raises(ValueError, match="target class id -1"):
        confusion_matrix(torch.tensor([-1, 1]), torch.tensor([0, 1]), 3)
    with pytest.raises(ValueError, match="2 targets but 3 predictions"):
        confusion_matrix(torch.tensor([0, 1]), torch.tensor([0, 1, 1]), 3)


def test_top_losses_keeps_the_order_of_equal_losses():
    losses = torch.tensor([0.5, 2.0, 0.5, 2.0, 1.0])
    values, idx = top_losses(losses, 3)
    assert values.tolist() == [2.0, 2.0, 1.0] and idx.tolist() == [1, 3, 4]
    values, idx = top_losses(losses, largest=False)
    assert idx.tolist() == [0, 2, 4, 1, 3]
    assert top_losses(losses, 99)[1].tolist() == [1, 3, 4, 0, 2] and len(top_losses(losses, 0)[0]) == 0


def test_most_confused_sorts_by_count_then_row_major():
    cm = torch.tensor([[5, 2, 0], [2, 4, 3], [1, 2, 7]])
    assert most_confused(cm, ["a", "b", "c"]) == [("b", "c", 3), ("a", "b", 2), ("b", "a", 2), ("c", "b", 2),
                                                  ("c", "a", 1)]
    assert most_confused(cm, ["a", "b", "c"], min_val=3) == [("b", "c", 3)]
    assert all(type(n) is int for _, _, n in most_confused(cm, "abc"))
