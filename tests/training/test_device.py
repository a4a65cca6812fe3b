"""One device rule for data and learners: CUDA, else Apple's MPS, else the CPU, named as tensors name theirs.

This machine has no accelerator: availability is simulated, and moving the model is recorded, not performed.
"""
from __future__ import annotations

import pytest
import torch
from torch import nn
from torch.utils.data import DataLoader as TorchDataLoader, TensorDataset

from fastlayers.data import DataLoaders, default_device, resolve_device
from fastlayers.training import Callback, Learner
from fastlayers.training import default_device as training_default_device

X, Y = torch.randn(16, 4), torch.randint(0, 3, (16,))


@pytest.fixture
def accelerators(monkeypatch):
    """`set(cuda, mps)` pretends those are available; returns the devices models were moved to."""
    moves: list = []

    def pretend(cuda: bool, mps: bool) -> list:
        monkeypatch.setattr(torch.cuda, "is_available", lambda: cuda)
        monkeypatch.setattr(torch.cuda, "current_device", lambda: 0)
        monkeypatch.setattr(torch.backends.mps, "is_available", lambda: mps)
        monkeypatch.setattr(nn.Module, "to", lambda self, *a, **k: moves.append(a[0] if a else k["device"]) or self)
        return moves

    return pretend


@pytest.mark.parametrize("cuda, mps, expected", [(True, True, "cuda:0"), (False, True, "mps:0"),
                                                 (False, False, "cpu")])
def test_a_learner_trains_on_cuda_then_mps_then_cpu(accelerators, cuda, mps, expected):
    moves = accelerators(cuda, mps)
    dls = DataLoaders.from_dsets(TensorDataset(X, Y), TensorDataset(X, Y), bs=8)   # no device given
    plain = TorchDataLoader(TensorDataset(X, Y), batch_size=8)
    for data in (dls, (plain, plain)):
        learn = Learner(data, nn.Linear(4, 3), nn.CrossEntropyLoss(), progress=False)
        assert learn.device == learn.dls.device == torch.device(expected)
        assert all(dl.device == torch.device(expected) for dl in learn.dls.loaders)
    assert moves == [torch.device(expected)] * 2
    assert default_device() is not None and training_default_device is default_device  # one rule, one place


def test_a_device_named_without_index_is_the_one_its_tensors_report(accelerators):
    accelerators(True, False)
    # Parameters moved to "cuda" report "cuda:0", and torch.device("cuda") != torch.device("cuda:0").
    dls = DataLoaders.from_dsets(TensorDataset(X, Y), bs=8, device="cuda")
    learn = Learner(dls, nn.Linear(4, 3), nn.CrossEntropyLoss(), progress=False)
    assert learn.device == torch.device("cuda:0") and dls.to("cuda").device == torch.device("cuda:0")
    assert resolve_device("cuda:0") == resolve_device("cuda") and resolve_device("mps") == torch.device("mps:0")


def test_on_this_machine_model_batches_and_learner_agree():
    seen = []

    class Where(Callback):
        def before_batch(self):
            seen.append({x.device for x in self.xb + self.yb})

    plain = TorchDataLoader(TensorDataset(X, Y), batch_size=8)
    learn = Learner((plain, plain), nn.Linear(4, 3), nn.CrossEntropyLoss(), cbs=Where(), progress=False)
    learn.fit(1)
    assert next(learn.model.parameters()).device == learn.device == torch.empty(0, device=learn.device).device
    assert seen and all(s == {learn.device} for s in seen)
