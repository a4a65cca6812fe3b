"""End to end: a small MLP on scikit-learn's digits reaches a stated accuracy."""
from __future__ import annotations

import pytest
import torch
from sklearn.datasets import load_digits
from torch import nn

from fastlayers.data import DataLoaders
from fastlayers.training import Learner, accuracy

TARGET_ACCURACY = 0.95


@pytest.mark.slow
def test_digits_mlp_reaches_target_accuracy():
    torch.manual_seed(0)
    x, y = load_digits(return_X_y=True)
    x, y = torch.tensor(x, dtype=torch.float32) / 16, torch.tensor(y)
    idx = torch.randperm(len(x), generator=torch.Generator().manual_seed(0))
    tr, va = idx[:1400], idx[1400:]
    dls = DataLoaders.from_dsets(torch.utils.data.TensorDataset(x[tr], y[tr]),
                                 torch.utils.data.TensorDataset(x[va], y[va]), bs=64, device="cpu")
    model = nn.Sequential(nn.Linear(64, 128), nn.ReLU(), nn.BatchNorm1d(128), nn.Linear(128, 10))
    learn = Learner(dls, model, nn.CrossEntropyLoss(), metrics=accuracy)
    learn.fit_one_cycle(5, 1e-2)
    acc = learn.recorder.values[-1][2]
    assert acc >= TARGET_ACCURACY, f"accuracy {acc:.3f} below {TARGET_ACCURACY}"
    assert learn.recorder.values[-1][1] < learn.recorder.values[0][1]
