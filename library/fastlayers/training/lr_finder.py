"""Lesson 06 (course/06_schedules.ipynb, exercises/06_schedules/: valley):
The learning-rate finder: train briefly with an exponentially growing lr, then suggest a good one."""
from __future__ import annotations

import copy
import math
from collections import namedtuple
from typing import Any

import numpy as np
import torch

from .callback import CancelFitException, CancelValidException
from .schedule import ParamScheduler, SchedExp

__all__ = ["LRFinder", "lr_find", "minimum", "steep", "valley", "slide", "SuggestedLRs"]


class LRFinder(ParamScheduler):
    """Grows the lr from `start_lr` to `end_lr` over `num_it` batches; stops when the loss diverges."""
    order = 60

    def __init__(self, start_lr: float = 1e-7, end_lr: float = 10, num_it: int = 100, stop_div: bool = True):
        if num_it < 6:
            raise ValueError(f"lr_find needs num_it >= 6 to make a suggestion, got {num_it}")
        if not 0 < start_lr < end_lr:
            raise ValueError(f"lr_find needs 0 < start_lr < end_lr, got {start_lr} and {end_lr}")
        super().__init__({"lr": SchedExp(start_lr, end_lr)})
        self.num_it, self.stop_div = num_it, stop_div
        self.run_valid = True

    def before_fit(self) -> None:
        super().before_fit()
        # Kept in memory and restored in cleanup(): the finder must leave the model as it found it.
        self._saved = (copy.deepcopy(self.learn.model.state_dict()), copy.deepcopy(self.learn.opt.state_dict()))
        self.best_loss = math.inf

    def before_batch(self) -> None:
        if self.learn.training:
            self.learn.opt.set_hyper("lr", self.scheds["lr"](self.learn.train_iter / self.num_it))

    def after_batch(self) -> None:
        if not self.learn.training:
            return
        super().after_batch()
        smooth = float(self.learn.smooth_loss)
        self.best_loss = min(self.best_loss, smooth)
        if self.stop_div and (smooth > 4 * self.best_loss or math.isnan(smooth)):
            raise CancelFitException()
        if self.learn.train_iter >= self.num_it:   # TrainEval (order -10) has already counted this batch
            raise CancelFitException()

    def before_validate(self) -> None:
        raise CancelValidException()

    def cleanup(self) -> None:
        saved = getattr(self, "_saved", None)
        if saved is not None:
            self.learn.model.load_state_dict(saved[0])
            self.learn.opt.load_state_dict(saved[1])
            self._saved = None


def SuggestedLRs(names: tuple, lrs: tuple) -> tuple:
    """A named tuple of suggested lrs, one field per suggestion function (`sugg.valley`, or unpack it)."""
    return namedtuple("SuggestedLRs", names)(*lrs)


def minimum(lrs: torch.Tensor, losses: torch.Tensor, num_it: int) -> tuple:
    """A tenth of the lr with the lowest loss."""
    i = int(losses.argmin())
    return float(lrs[i]) / 10, (float(lrs[i]), float(losses[i]))


def steep(lrs: torch.Tensor, losses: torch.Tensor, num_it: int) -> tuple:
    """The lr where the loss falls fastest against log(lr)."""
    slopes = (losses[1:] - losses[:-1]) / (lrs[1:].log() - lrs[:-1].log())
    i = int(slopes.argmin())
    return float(lrs[i]), (float(lrs[i]), float(losses[i]))


def valley(lrs: torch.Tensor, losses: torch.Tensor, num_it: int) -> tuple:
    """Inside the longest decreasing stretch of the loss curve, a point a half of the way in."""
    n = len(losses)
    run = [1] * n                  # run[i]: length of the longest decreasing sequence ending at i
    start = end = 0
    for i in range(1, n):
        for j in range(i):
            if losses[i] < losses[j] and run[i] < run[j] + 1:
                run[i] = run[j] + 1
            if run[end] < run[i]:
                end, start = i, i - run[i]
    third = (end - start) / 3
    i = start + int(third) + int(third / 2)
    return float(lrs[i]), (float(lrs[i]), float(losses[i]))


def slide(lrs: torch.Tensor, losses: torch.Tensor, num_it: int, lr_diff: int = 15, thresh: float = 0.005,
          adjust_value: float = 1.0) -> tuple:
    """Walk left from the end until the loss gradient at two points `lr_diff` apart agrees within `thresh`."""
    loss = losses.numpy().astype(float)
    grad = np.gradient(loss)
    right, left = -1, -1 - lr_diff
    found = float(lrs[left])
    while left >= -len(loss) and abs(grad[right] - grad[left]) > thresh:
        found = float(lrs[left])
        right, left = right - 1, left - 1
    lr = found * adjust_value
    return lr, (lr, float(np.interp(np.log10(lr), np.log10(lrs.numpy()), loss)))


def suggest(lrs: list, losses: list, num_it: int, funcs: tuple) -> tuple[tuple, list]:
    """Apply the suggestion functions to the recorded curve (ends trimmed, cut at the first NaN)."""
    lrs_t = torch.tensor(lrs[num_it // 10:-5], dtype=torch.float64)
    losses_t = torch.tensor(losses[num_it // 10:-5], dtype=torch.float64)
    nan = torch.nonzero(torch.isnan(losses_t)).flatten()
    if len(nan):
        lrs_t, losses_t = lrs_t[:int(nan[0])], losses_t[:int(nan[0])]
    if len(losses_t) < 2:
        raise ValueError(f"lr_find recorded only {len(losses)} losses, too few to suggest an lr: "
                         f"use more data, a larger num_it, or stop_div=False")
    results = [f(lrs_t, losses_t, num_it) for f in funcs]
    names = tuple(f.__name__ for f in funcs)
    return SuggestedLRs(names, tuple(r[0] for r in results)), [r[1] for r in results]


def lr_find(learn: Any, start_lr: float = 1e-7, end_lr: float = 10, num_it: int = 100, stop_div: bool = True,
            show_plot: bool = True, suggest_funcs: tuple | None = None) -> tuple:
    """Run the finder on `learn` (its model and optimizer are restored afterwards) and return suggestions."""
    suggest_funcs = (valley,) if suggest_funcs is None else tuple(suggest_funcs)
    n_epoch = math.ceil(num_it / len(learn.dls.train))
    if learn.opt is None:
        learn.create_opt()
    finder = LRFinder(start_lr, end_lr, num_it, stop_div)
    tables = [c for c in learn.cbs if hasattr(c, "table")]
    old = [c.table for c in tables]
    for c in tables:
        c.table = False          # no per-epoch table: the finder skips validation
    try:
        learn.fit(n_epoch, cbs=finder)
    finally:
        for c, t in zip(tables, old):
            c.table = t
    rec = learn.recorder
    sugg, points = suggest(rec.lrs, rec.losses, num_it, suggest_funcs)
    if show_plot:
        plot_lr_find(rec.lrs, rec.losses, sugg, points)
    return sugg


def plot_lr_find(lrs: list, losses: list, sugg: tuple | None = None, points: list | None = None,
                 skip_end: int = 5) -> Any:
    """Loss against lr (log scale), with the suggestions marked."""
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots()
    ax.plot(lrs[:-skip_end or None], losses[:-skip_end or None])
    ax.set_xscale("log")
    ax.set_xlabel("learning rate")
    ax.set_ylabel("loss")
    if sugg is not None and points:
        for name, (x, y) in zip(sugg._fields, points):
            ax.plot(x, y, "o", label=name)
        ax.legend()
    return ax
