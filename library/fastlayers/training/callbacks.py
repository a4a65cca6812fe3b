"""Lesson 04 (course/04_learner_callbacks.ipynb, exercises/04_learner_callbacks/: early stopping, clipping):
Training callbacks: clipping, early stopping, checkpoints, lr on plateau, mixed precision, mixup, NaN, CSV."""
from __future__ import annotations

import csv
import math
from pathlib import Path
from typing import Any, Callable

import numpy as np
import torch

from .callback import Callback, CancelFitException, CancelStepException

__all__ = ["GradientClip", "TrackerCallback", "EarlyStoppingCallback", "SaveModelCallback", "ReduceLROnPlateau",
           "MixedPrecision", "MixUp", "TerminateOnNaNCallback", "TerminateOnNaN", "CSVLogger"]


class GradientClip(Callback):
    """Clip the gradients' global norm to `max_norm` before each step."""
    order = 0

    def __init__(self, max_norm: float = 1.0, norm_type: float = 2.0) -> None:
        self.max_norm, self.norm_type = max_norm, norm_type

    def before_step(self) -> None:
        torch.nn.utils.clip_grad_norm_([p for p in self.learn.model.parameters() if p.grad is not None],
                                       self.max_norm, self.norm_type)


class TrackerCallback(Callback):
    """Follows a recorded value (`valid_loss` by default) and notes when it improves."""
    order = 60

    def __init__(self, monitor: str = "valid_loss", comp: Callable | None = None, min_delta: float = 0.0,
                 reset_on_fit: bool = True) -> None:
        if comp is None:
            comp = np.less if "loss" in monitor or "error" in monitor else np.greater
        if comp is np.less:
            min_delta = -min_delta
        self.monitor, self.comp, self.min_delta, self.reset_on_fit, self.best = monitor, comp, min_delta, reset_on_fit, None

    def before_fit(self) -> None:
        names = self.learn.recorder.metric_names[1:-1]
        if self.monitor not in names:
            raise ValueError(f"{type(self).__name__} monitors {self.monitor!r} but the recorder only has {names}")
        self.idx = names.index(self.monitor)
        if self.reset_on_fit or self.best is None:
            self.best = math.inf if self.comp is np.less else -math.inf

    def after_epoch(self) -> None:
        val = self.learn.recorder.values[-1][self.idx]
        self.new_best = val is not None and bool(self.comp(val - self.min_delta, self.best))
        if self.new_best:
            self.best, self.new_best_epoch = val, self.learn.epoch


class EarlyStoppingCallback(TrackerCallback):
    """Stop training when the monitored value has not improved for `patience` epochs."""

    def __init__(self, monitor: str = "valid_loss", comp: Callable | None = None, min_delta: float = 0.0,
                 patience: int = 1, reset_on_fit: bool = True) -> None:
        super().__init__(monitor, comp, min_delta, reset_on_fit)
        self.patience = patience

    def before_fit(self) -> None:
        self.wait, self.stopped_epoch = 0, None
        super().before_fit()

    def after_epoch(self) -> None:
        super().after_epoch()
        self.wait = 0 if self.new_best else self.wait + 1
        if self.wait >= self.patience:
            self.stopped_epoch = self.learn.epoch
            print(f"No improvement in {self.monitor} since epoch {self.learn.epoch - self.wait}: "
                  f"stopped after epoch {self.learn.epoch}")
            raise CancelFitException()


class SaveModelCallback(TrackerCallback):
    """Save the model whenever the monitored value improves (or every epoch), and load the best at the end."""

    def __init__(self, monitor: str = "valid_loss", comp: Callable | None = None, min_delta: float = 0.0,
                 fname: str = "model", every_epoch: bool = False, at_end: bool = False, with_opt: bool = False,
                 reset_on_fit: bool = True) -> None:
        super().__init__(monitor, comp, min_delta, reset_on_fit)
        self.fname, self.every_epoch, self.at_end, self.with_opt = fname, every_epoch, at_end, with_opt
        self.saved_epochs: list[int] = []

    def after_epoch(self) -> None:
        super().after_epoch()
        if self.every_epoch:
            self.learn.save(f"{self.fname}_{self.learn.epoch}", with_opt=self.with_opt)
            self.saved_epochs.append(self.learn.epoch)
        elif self.new_best:
            self.learn.save(self.fname, with_opt=self.with_opt)   # atomic: see Learner.save
            self.saved_epochs.append(self.learn.epoch)

    def after_fit(self) -> None:
        if self.at_end:
            self.learn.save(self.fname, with_opt=self.with_opt)
        elif not self.every_epoch and self.saved_epochs:
            self.learn.load(self.fname, with_opt=False)


class ReduceLROnPlateau(TrackerCallback):
    """Divide the lr by `factor` when the monitored value has not improved for `patience` epochs."""

    def __init__(self, monitor: str = "valid_loss", comp: Callable | None = None, min_delta: float = 0.0,
                 patience: int = 1, factor: float = 10.0, min_lr: float = 0.0, reset_on_fit: bool = True) -> None:
        super().__init__(monitor, comp, min_delta, reset_on_fit)
        self.patience, self.factor, self.min_lr = patience, factor, min_lr

    def before_fit(self) -> None:
        self.wait = 0
        super().before_fit()

    def after_epoch(self) -> None:
        super().after_epoch()
        self.wait = 0 if self.new_best else self.wait + 1
        if self.wait >= self.patience:
            old = [h["lr"] for h in self.learn.opt.hypers]
            self.learn.opt.set_hyper("lr", [max(lr / self.factor, self.min_lr) for lr in old])
            self.wait = 0
            print(f"Epoch {self.learn.epoch}: reducing lr to {self.learn.opt.hypers[-1]['lr']:.3g}")


class MixedPrecision(Callback):
    """Run forward and loss in lower precision: bf16 autocast on CPU; fp16 with loss scaling on CUDA."""
    order, unique = 10, True

    def __init__(self, dtype: torch.dtype | None = None, device_type: str | None = None) -> None:
        self.dtype, self.device_type = dtype, device_type

    def before_fit(self) -> None:
        dev = self.device_type or self.learn.device.type
        if dev not in ("cpu", "cuda", "mps"):
            raise ValueError(f"MixedPrecision does not support device {dev!r}")
        self.dev = dev
        self.use_dtype = self.dtype or (torch.bfloat16 if dev == "cpu" else torch.float16)
        # fp16 has a narrow range: small gradients underflow to 0 unless the loss is scaled up first.
        self.scaler = torch.amp.GradScaler(dev) if self.use_dtype == torch.float16 else None
        self.autocast = None

    def before_batch(self) -> None:
        if "dev" not in self.__dict__:      # get_preds before any fit: set up now
            self.before_fit()
        self.autocast = torch.autocast(self.dev, dtype=self.use_dtype)
        self.autocast.__enter__()

    def after_loss(self) -> None:
        self._exit()

    def after_cancel_batch(self) -> None:
        self._exit()

    def _exit(self) -> None:
        if self.autocast is not None:
            self.autocast.__exit__(None, None, None)
            self.autocast = None

    def before_backward(self) -> None:
        if self.scaler is not None:
            self.learn.loss_grad = self.scaler.scale(self.learn.loss_grad)

    def after_backward(self) -> None:
        if self.scaler is not None:
            self.scaler.unscale_(self.learn.opt)   # so GradientClip and others see true gradients

    def before_step(self) -> None:
        if self.scaler is None:
            return
        self.scaler.step(self.learn.opt)    # skips the step when gradients overflowed
        self.scaler.update()
        raise CancelStepException()         # the step is done (or deliberately skipped)

    def cleanup(self) -> None:
        self._exit()


class MixUp(Callback):
    """Train on convex mixes of pairs of inputs and of their (one-hot) targets."""
    run_valid = False

    def __init__(self, alpha: float = 0.4) -> None:
        self.distrib = torch.distributions.Beta(torch.tensor(alpha), torch.tensor(alpha))

    def before_fit(self) -> None:
        self.old_loss = self.learn.loss_func
        self.learn.loss_func = self.mixed_loss

    def after_fit(self) -> None:
        self.cleanup()

    def cleanup(self) -> None:
        if getattr(self, "old_loss", None) is not None:
            self.learn.loss_func = self.old_loss
            self.old_loss = None

    def before_batch(self) -> None:
        xb, yb = self.learn.xb, self.learn.yb
        bs = len(xb[0])
        lam = self.distrib.sample((bs,)).to(xb[0].device)
        self.lam = torch.maximum(lam, 1 - lam)   # the original item always dominates
        self.shuffle = torch.randperm(bs, device=xb[0].device)
        self.yb1 = tuple(y[self.shuffle] for y in yb)
        lam_x = self.lam.view(-1, *[1] * (xb[0].dim() - 1))
        self.learn.xb = (torch.lerp(xb[0][self.shuffle], xb[0], lam_x.to(xb[0].dtype)), *xb[1:])

    def mixed_loss(self, pred: torch.Tensor, *yb: torch.Tensor) -> torch.Tensor:
        """Per item: lam * loss(original target) + (1 - lam) * loss(mixed-in target), then the mean."""
        if not self.learn.training:
            return self.old_loss(pred, *yb)
        lf = self.old_loss
        red = getattr(lf, "reduction", None)
        if red is not None:
            lf.reduction = "none"
        try:
            l0, l1 = lf(pred, *yb), lf(pred, *self.yb1)
        finally:
            if red is not None:
                lf.reduction = red
        if red is None:    # a function without per-item reduction: mix the batch means
            lam = self.lam.mean()
            return l1 + lam * (l0 - l1)
        return torch.lerp(l1, l0, self.lam.view(-1, *[1] * (l0.dim() - 1))).mean()


class TerminateOnNaNCallback(Callback):
    """Stop training as soon as the loss is NaN or infinite, saying at which batch and epoch."""
    order = -9
    run_valid = False

    def after_batch(self) -> None:
        if self.learn.loss is not None and not torch.isfinite(self.learn.loss).all():
            self.learn.terminated = (self.learn.epoch, self.learn.iter)
            print(f"Loss became {float(self.learn.loss)} at batch {self.learn.iter} of epoch {self.learn.epoch}: "
                  f"training stopped. Try a lower learning rate, GradientClip, or check the data for NaNs.")
            raise CancelFitException()


TerminateOnNaN = TerminateOnNaNCallback


class CSVLogger(Callback):
    """Append one row per epoch (the recorder's table) to a CSV file."""
    order = 60

    def __init__(self, fname: str = "history.csv", append: bool = False) -> None:
        self.fname, self.append = Path(fname), append

    def before_fit(self) -> None:
        self.path = self.fname if self.fname.is_absolute() else self.learn.path / self.fname
        self.path.parent.mkdir(parents=True, exist_ok=True)
        new = not (self.append and self.path.exists())
        self.file = open(self.path, "a" if not new else "w", newline="")
        self.writer = csv.writer(self.file)
        if new:
            self.writer.writerow(self.learn.recorder.metric_names)

    def after_epoch(self) -> None:
        self.writer.writerow(["" if v is None else v for v in self.learn.recorder.log])
        self.file.flush()

    def after_fit(self) -> None:
        self.cleanup()

    def cleanup(self) -> None:
        if getattr(self, "file", None) is not None:
            self.file.close()
            self.file = None

    def read_log(self) -> Any:
        """The log as a pandas DataFrame."""
        import pandas as pd
        return pd.read_csv(self.path)
