"""Recorder: keeps the losses, metrics and hyper-parameters of a fit, and plots them."""
from __future__ import annotations

import time
from typing import Any

from .callback import Callback
from .metrics import AvgLoss, AvgMetric, AvgSmoothLoss, Metric

__all__ = ["Recorder", "as_metric"]


def as_metric(m: Any) -> Metric:
    """A Metric as is; a plain function `f(pred, targ)` becomes its batch-size-weighted average."""
    if isinstance(m, Metric):
        return m
    if callable(m):
        return AvgMetric(m)
    raise TypeError(f"metrics must be Metric objects or functions f(pred, targ), got {type(m).__name__}")


class Recorder(Callback):
    """Records smoothed train loss and lrs per batch; train loss, valid loss and metrics per epoch."""
    order, unique = 50, True

    def __init__(self, train_metrics: bool = False, beta: float = 0.98) -> None:
        self.train_metrics = train_metrics
        self.smooth_loss = AvgSmoothLoss(beta)
        self.loss = AvgLoss()
        self.lrs, self._losses, self.iters, self.values, self._hypers, self.log = [], [], [], [], [], []
        self._valid_cancelled = False

    @property
    def metrics(self) -> list[Metric]:
        return self.learn.metrics

    @property
    def metric_names(self) -> list[str]:
        valid = ["valid_loss"] + [m.name for m in self.metrics]
        train = ["train_loss"] + ([f"train_{m.name}" for m in self.metrics] if self.train_metrics else [])
        return ["epoch"] + train + valid + ["time"]

    @property
    def hps(self) -> dict[str, list]:
        """Every hyper-parameter of the last parameter group, after each training batch: {'lr': [...], ...}."""
        keys = list(dict.fromkeys(k for h in self._hypers for k in h))
        return {k: [h.get(k) for h in self._hypers] for k in keys}

    @property
    def losses(self) -> list[float]:
        """Smoothed training loss after every training batch of the last fit."""
        return [float(x) for x in self._losses]

    def before_fit(self) -> None:
        self.lrs, self._losses, self.iters, self.values, self.log, self._hypers = [], [], [], [], [], []
        self.smooth_loss.reset()

    def before_epoch(self) -> None:
        self.start_epoch = time.time()
        self.log = [self.learn.epoch]

    def before_train(self) -> None:
        self._reset_all()

    def before_validate(self) -> None:
        self._reset_all()

    def _reset_all(self) -> None:
        self.loss.reset()
        for m in self.metrics:
            m.reset()

    def after_batch(self) -> None:
        if len(self.learn.yb) == 0 or self.learn.loss is None:   # no targets, or cancelled before the loss
            return
        if self.learn.training:
            self.smooth_loss.accumulate(self.learn)
            self.learn.smooth_loss = smooth = self.smooth_loss.value
            self._losses.append(smooth)
            hypers = self.learn.opt.hypers[-1]
            self.lrs.append(hypers["lr"])
            self._hypers.append(dict(hypers))
            if not self.train_metrics:
                return
        self.loss.accumulate(self.learn)
        for m in self.metrics:
            try:
                m.accumulate(self.learn)
            except Exception as e:
                e.args = (f"metric {m.name!r} failed: {e.args[0] if e.args else ''}", *e.args[1:])
                raise

    def after_train(self) -> None:
        self.log.append(float(self.smooth_loss.value) if self.smooth_loss.count else None)
        if self.train_metrics:
            self.log += [m.value for m in self.metrics]

    def after_validate(self) -> None:
        # An empty or cancelled validation pass reports None ("missing") rather than a made-up number.
        if self._valid_cancelled or self.loss.count == 0:
            self.log += [None] * (1 + len(self.metrics))
        else:
            self.log += [self.loss.value] + [_safe_value(m) for m in self.metrics]
        self._valid_cancelled = False

    def after_cancel_validate(self) -> None:
        self._valid_cancelled = True

    def after_epoch(self) -> None:
        while len(self.log) < len(self.metric_names) - 1:     # validation did not run at all
            self.log.append(None)
        self.log.append(round(time.time() - self.start_epoch, 3))
        self.values.append(self.log[1:-1])
        self.iters.append(len(self._losses))

    def plot_loss(self, skip_start: int = 5, with_valid: bool = True) -> Any:
        """Plot the smoothed train loss per batch and the valid loss per epoch."""
        import matplotlib.pyplot as plt
        fig, ax = plt.subplots()
        ax.plot(range(skip_start, len(self._losses)), self.losses[skip_start:], label="train")
        if with_valid and self.values:
            i = 1 + (len(self.metrics) if self.train_metrics else 0)
            pts = [(it, v[i]) for it, v in zip(self.iters, self.values) if v[i] is not None]
            if pts:
                ax.plot(*zip(*pts), label="valid")
        ax.set_xlabel("batch")
        ax.set_ylabel("loss")
        ax.legend()
        return ax

    def plot_sched(self, keys: list[str] | None = None) -> Any:
        """Plot the scheduled hyper-parameters (the lr by default) against the batch number."""
        import matplotlib.pyplot as plt
        series = self.hps
        # by default, the hyper-parameters that changed during the fit
        keys = keys or [k for k, v in series.items() if len(set(map(repr, v))) > 1] or ["lr"]
        fig, axs = plt.subplots(1, len(keys), figsize=(5 * len(keys), 3), squeeze=False)
        for ax, k in zip(axs[0], keys):
            ax.plot(series[k])
            ax.set_title(k)
        return axs


def _safe_value(m: Metric) -> Any:
    v = m.value
    return float(v) if hasattr(v, "item") and getattr(v, "numel", lambda: 1)() == 1 else v
