"""Checkpoints under faults: loads that fail change nothing, unreadable files say what is wrong, killed saves
leave nothing behind for long."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from torch import nn

from fastlayers.training import Learner, load_learner

from .conftest import make_dls, make_model


def _learner(tmp_path: Path, model: nn.Module | None = None) -> Learner:
    return Learner(make_dls(), model or make_model(), nn.CrossEntropyLoss(), path=tmp_path)


def _weights(learn: Learner) -> dict[str, torch.Tensor]:
    return {k: v.clone() for k, v in learn.model.state_dict().items()}


def _same(a: dict[str, torch.Tensor], b: dict[str, torch.Tensor]) -> bool:
    return a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


@pytest.mark.parametrize("other, strict, message", [
    # same last layer (its bias fits), other hidden size: torch alone would copy the bias, then complain
    (lambda: make_model(hidden=16), True, "size mismatch for 0.weight"),
    (lambda: make_model(hidden=16), False, "size mismatch"),
    # one more layer: every saved tensor fits, one is missing
    (lambda: nn.Sequential(*make_model(), nn.Linear(3, 3)), True, "missing keys ['4.weight', '4.bias']"),
])
def test_a_failed_load_leaves_the_model_exactly_as_it_was(tmp_path, other, strict, message):
    _learner(tmp_path).save("small")
    learn = _learner(tmp_path, other())
    before = _weights(learn)
    with pytest.raises(ValueError, match="does not fit this model") as info:
        learn.load("small", strict=strict)
    assert message in str(info.value) and "nothing was loaded" in str(info.value)
    assert _same(_weights(learn), before)


def test_a_checkpoint_that_fits_loads_all_its_tensors(tmp_path):
    saved = _learner(tmp_path)
    saved.save("small")
    learn = _learner(tmp_path, make_model())
    learn.load("small")
    assert _same(_weights(learn), _weights(saved))


@pytest.mark.parametrize("content, words", [
    (b"", ["is empty (0 bytes)", "Save it again"]),
    (b"not a pickle at all", ["is not a learner saved by export that torch can read", "damaged"]),
    ("half", ["is not a learner saved by export that torch can read"]),
])
def test_load_learner_names_the_file_and_what_is_wrong(tmp_path, content, words):
    path = tmp_path / "export.pkl"
    if content == "half":
        data = _learner(tmp_path).export(path).read_bytes()
        content = data[: len(data) // 2]
    path.write_bytes(content)
    with pytest.raises(ValueError) as info:
        load_learner(path)
    assert str(path) in str(info.value) and all(w in str(info.value) for w in words)


def test_load_learner_of_a_weights_file_says_which_loader_to_use(tmp_path):
    path = _learner(tmp_path).save("weights")
    with pytest.raises(ValueError, match="not written by Learner.export.*learn.load"):
        load_learner(path)


def test_learn_load_of_a_damaged_checkpoint_names_it(tmp_path):
    learn = _learner(tmp_path)
    path = learn.save("cut")
    path.write_bytes(path.read_bytes()[:100])
    before = _weights(learn)
    with pytest.raises(ValueError, match="cut.pth is not a checkpoint that torch can read"):
        learn.load("cut")
    assert _same(_weights(learn), before)


KILLED_SAVE = """
import os, signal, sys, torch
from torch import nn
from fastlayers.training import Learner
from fastlayers.data import DataLoaders

def half_then_killed(obj, f, *args, **kwargs):
    f.write(b"PK" + b"\\0" * 100_000)        # part of the file, then the process dies (kill -9, power cut)
    f.flush()
    os.kill(os.getpid(), signal.SIGKILL)

x = torch.randn(8, 4)
dls = DataLoaders.from_dsets(torch.utils.data.TensorDataset(x, x[:, 0].long() % 2), bs=4, device="cpu")
learn = Learner(dls, nn.Linear(4, 2), nn.CrossEntropyLoss(), path=sys.argv[1], progress=False)
torch.save = half_then_killed
learn.save("model")
"""


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs POSIX signals")
def test_a_save_killed_midway_leaves_temporaries_that_the_next_save_removes(tmp_path):
    done = subprocess.run([sys.executable, "-c", KILLED_SAVE, str(tmp_path)], capture_output=True, text=True)
    assert done.returncode == -signal.SIGKILL, done.stderr
    models = tmp_path / "models"
    left = [p.name for p in models.iterdir()]
    assert len(left) == 1 and left[0].startswith(".model.pth.") and left[0].endswith(".tmp")  # no model.pth
    _learner(tmp_path).save("other")
    assert sorted(p.name for p in models.iterdir()) == ["other.pth"]


def test_temporaries_of_saves_still_running_are_kept(tmp_path):
    models = tmp_path / "models"
    models.mkdir()
    running = [models / f".model.pth.{pid}-abcd1234.tmp" for pid in (os.getpid(), os.getppid())]
    for p in running:
        p.write_bytes(b"being written")
    _learner(tmp_path).save("other")
    assert all(p.exists() for p in running)
