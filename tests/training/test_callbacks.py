"""Training callbacks: clipping, early stopping, checkpoints, plateau, mixed precision, mixup, NaN, CSV."""
from __future__ import annotations

import os

import pytest
import torch
from torch import nn

from fastlayers.training import (CSVLogger, Callback, EarlyStoppingCallback, GradientClip, Learner, MixedPrecision,
                                 MixUp, ReduceLROnPlateau, SaveModelCallback, SGD, TerminateOnNaN, accuracy)

from .conftest import make_dls, make_model


def _learner(tmp_path=None, **kw):
    return Learner(make_dls(n_train=64, n_valid=32, bs=16), make_model(), nn.CrossEntropyLoss(),
                   path=tmp_path or ".", **kw)


def test_gradient_clip_bounds_global_norm():
    norms = []

    class Norm(Callback):
        order = 5             # after GradientClip (0), before the step

        def before_step(self):
            norms.append(float(torch.norm(torch.stack([p.grad.norm() for p in self.model.parameters()
                                                       if p.grad is not None]))))
    learn = _learner(cbs=[GradientClip(0.01), Norm()])
    learn.fit(1)
    assert norms and max(norms) <= 0.01 + 1e-6
    norms.clear()
    learn.remove_cb(GradientClip)
    learn.fit(1)
    assert max(norms) > 0.01                 # without clipping these gradients are larger


class ScriptedLoss(Callback):
    """Replaces the recorded valid loss per epoch by a script, to drive the trackers."""
    order = 55                # after Recorder (50), before trackers (60)

    def __init__(self, values):
        self.values = list(values)

    def after_epoch(self):
        self.learn.recorder.values[-1][1] = self.values[self.learn.epoch]


def test_early_stopping_after_patience():
    es = EarlyStoppingCallback(patience=2)
    learn = _learner(cbs=[ScriptedLoss([1.0, 0.9, 0.95, 0.92, 0.5, 0.4]), es])
    learn.fit(6)
    assert es.stopped_epoch == 3 and len(learn.recorder.values) == 4
    with pytest.raises(ValueError, match="monitors 'accuracy'"):
        _learner(cbs=EarlyStoppingCallback(monitor="accuracy")).fit(1)


def test_early_stopping_on_metric_that_should_grow():
    es = EarlyStoppingCallback(monitor="accuracy", patience=1)
    learn = _learner(cbs=es, metrics=accuracy)
    assert es.comp.__name__ == "greater"
    learn.fit(0)


def test_save_model_keeps_best_and_loads_it(tmp_path):
    saved = {}

    class Snap(Callback):
        order = 70

        def after_epoch(self):
            saved[self.learn.epoch] = {k: v.clone() for k, v in self.learn.model.state_dict().items()}
    smc = SaveModelCallback(fname="best")
    learn = _learner(tmp_path, cbs=[ScriptedLoss([1.0, 0.5, 0.7, 0.8]), smc, Snap()], opt_func=SGD, lr=0.1)
    learn.fit(4)
    assert smc.saved_epochs == [0, 1] and (tmp_path / "models" / "best.pth").exists()
    state = learn.model.state_dict()
    assert all(torch.equal(state[k], saved[1][k]) for k in state)       # best epoch loaded at the end
    assert not [f for f in os.listdir(tmp_path / "models") if f.endswith(".tmp")]


def test_interrupted_save_leaves_previous_checkpoint_intact(tmp_path, monkeypatch):
    learn = _learner(tmp_path)
    path = learn.save("ckpt")
    good = path.read_bytes()

    def broken_save(obj, f, *a, **k):
        f.write(b"partial")
        raise KeyboardInterrupt
    monkeypatch.setattr(torch, "save", broken_save)
    with pytest.raises(KeyboardInterrupt):
        learn.save("ckpt")
    assert path.read_bytes() == good
    assert not [f for f in os.listdir(path.parent) if f.endswith(".tmp")]


def test_reduce_lr_on_plateau():
    r = ReduceLROnPlateau(patience=1, factor=10)
    learn = _learner(cbs=[ScriptedLoss([1.0, 1.1, 0.5, 0.6]), r])
    learn.fit(4, lr=1e-2)
    assert learn.opt.hypers[-1]["lr"] == pytest.approx(1e-4)


@pytest.mark.parametrize("dtype", [torch.bfloat16, torch.float16])
def test_mixed_precision_on_cpu(dtype):
    seen = []

    class Dtype(Callback):
        order = 20

        def after_pred(self):
            seen.append(self.pred.dtype)
    mp = MixedPrecision(dtype=dtype, device_type="cpu")
    learn = _learner(cbs=[mp, Dtype()], lr=1e-2)
    before = [p.detach().clone() for p in learn.model.parameters()]
    learn.fit(2)
    assert set(seen) == {dtype}
    assert (mp.scaler is not None) == (dtype == torch.float16)    # fp16 path: loss scaling with GradScaler
    assert all(p.dtype == torch.float32 for p in learn.model.parameters())
    assert not all(torch.equal(a, b) for a, b in zip(before, learn.model.parameters()))
    assert torch.get_autocast_dtype("cpu") is not None and not torch.is_autocast_enabled("cpu")


def test_mixed_precision_fp16_scaler_skips_overflowing_step():
    class Overflow(Callback):
        order = 5                # before MixedPrecision (10) unscales and checks the gradients

        def after_backward(self):
            next(self.model.parameters()).grad.fill_(float("inf"))
    mp = MixedPrecision(dtype=torch.float16, device_type="cpu")
    learn = _learner(cbs=[mp, Overflow()], lr=1e-2)
    before = [p.detach().clone() for p in learn.model.parameters()]
    learn.fit(1)
    assert all(torch.equal(a, b) for a, b in zip(before, learn.model.parameters()))   # every step skipped
    assert mp.scaler.get_scale() < 2.0 ** 16                                           # and the scale backed off


def test_mixup_mixes_inputs_and_restores_loss():
    seen = []

    class Inputs(Callback):
        order = 20

        def after_pred(self):
            if self.training:
                seen.append(self.xb[0].clone())
    dls = make_dls(n_train=64, n_valid=32, bs=16)
    original = next(iter(dls.train))[0]
    learn = Learner(dls, make_model(), nn.CrossEntropyLoss(), cbs=[MixUp(0.4), Inputs()])
    lf = learn.loss_func
    learn.fit(1)
    assert not torch.allclose(seen[0], original)
    assert learn.loss_func is lf
    assert all(v is not None for v in learn.recorder.values[0])


def test_terminate_on_nan_names_batch_and_epoch(capsys):
    class Poison(Callback):
        def after_loss(self):
            if self.training and self.learn.epoch == 1 and self.learn.iter == 2:
                self.learn.loss = self.learn.loss * float("nan")
    learn = _learner(cbs=[Poison(), TerminateOnNaN()])
    learn.fit(3)
    out = capsys.readouterr().out
    assert "batch 2 of epoch 1" in out
    assert learn.terminated == (1, 2) and len(learn.recorder.values) == 1


def test_csv_logger(tmp_path):
    learn = _learner(tmp_path, cbs=CSVLogger(), metrics=accuracy)
    learn.fit(2)
    lines = (tmp_path / "history.csv").read_text().splitlines()
    assert lines[0] == "epoch,train_loss,valid_loss,accuracy,time"
    assert len(lines) == 3 and lines[2].startswith("1,")
    df = learn.csv_logger.read_log()
    assert list(df["epoch"]) == [0, 1]


def test_mixed_precision_picks_fp16_with_scaler_for_cuda(monkeypatch):
    from types import SimpleNamespace
    import warnings
    mp = MixedPrecision()
    mp.learn = SimpleNamespace(device=torch.device("cuda"))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")          # GradScaler warns that CUDA is missing on this machine
        mp.before_fit()
    assert mp.use_dtype == torch.float16 and mp.scaler is not None and mp.dev == "cuda"
    mp.learn = SimpleNamespace(device=torch.device("cpu"))
    mp.before_fit()
    assert mp.use_dtype == torch.bfloat16 and mp.scaler is None


def test_batches_from_plain_loader_are_moved_to_the_learner_device():
    seen = []

    class Where(Callback):
        def before_batch(self):
            seen.append({x.device.type for x in self.xb + self.yb})
    x, y = torch.randn(32, 4), torch.randint(0, 3, (32,))
    dl = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(x, y), batch_size=8)
    learn = Learner((dl, dl), make_model(), nn.CrossEntropyLoss(), cbs=Where())
    assert next(learn.model.parameters()).device == learn.device
    learn.fit(1)
    assert seen and all(s == {learn.device.type} for s in seen)


def test_get_preds_runs_in_mixed_precision_even_before_fit():
    learn = _learner(cbs=MixedPrecision(device_type="cpu"))
    preds, targs = learn.get_preds()
    assert preds.dtype == torch.float32 and preds.shape == (32, 3)     # gathered as float32
    assert not torch.is_autocast_enabled("cpu")
