"""Small, fast fixtures for the training tests: synthetic classification data and a tiny model."""
from __future__ import annotations

import pytest
import torch
from torch import nn

from fastlayers.data import DataLoaders
from fastlayers.training import Callback, EVENTS, set_progress


@pytest.fixture(autouse=True)
def _quiet_and_seeded():
    torch.manual_seed(0)
    set_progress(False)        # tests never draw progress bars
    yield
    set_progress(True)


def make_dls(n_train: int = 160, n_valid: int = 64, bs: int = 32, n_feat: int = 4, n_class: int = 3,
             seed: int = 0) -> DataLoaders:
    """Linearly separable-ish classes, so a few epochs visibly learn."""
    g = torch.Generator().manual_seed(seed)
    w = torch.randn(n_feat, n_class, generator=g)
    x = torch.randn(n_train + n_valid, n_feat, generator=g)
    y = (x @ w).argmax(1)
    tr = torch.utils.data.TensorDataset(x[:n_train], y[:n_train])
    va = torch.utils.data.TensorDataset(x[n_train:], y[n_train:])
    return DataLoaders.from_dsets(tr, va, bs=bs, shuffle_train=False, device="cpu")


def make_model(n_feat: int = 4, n_class: int = 3, hidden: int = 8) -> nn.Module:
    return nn.Sequential(nn.Linear(n_feat, hidden), nn.ReLU(), nn.BatchNorm1d(hidden), nn.Linear(hidden, n_class))


class EventLog(Callback):
    """Records every event it sees, in order."""
    order = -100   # sees each event before any other callback can cancel it

    def __init__(self) -> None:
        self.events: list[str] = []


for _e in EVENTS:
    setattr(EventLog, _e, (lambda e: lambda self: self.events.append(e))(_e))
