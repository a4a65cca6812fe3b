"""Lesson 06 (course/06_schedules.ipynb, exercises/06_schedules/):
Hyper-parameter schedules: functions of training progress `pos` in [0, 1], and the callback applying them."""
from __future__ import annotations

import math
from functools import partial
from typing import Any, Callable, Sequence

import numpy as np

from .callback import Callback

__all__ = ["sched_lin", "sched_cos", "sched_no", "sched_exp", "sched_poly", "SchedLin", "SchedCos", "SchedNo",
           "SchedExp", "SchedPoly", "combine_scheds", "combined_cos", "ParamScheduler"]


def sched_lin(start: Any, end: Any, pos: float) -> Any:
    """Straight line from start to end."""
    return start + pos * (end - start)


def sched_cos(start: Any, end: Any, pos: float) -> Any:
    """Half a cosine from start to end: flat at both ends."""
    return start + (1 + math.cos(math.pi * (1 - pos))) * (end - start) / 2


def sched_no(start: Any, end: Any, pos: float) -> Any:
    """Constant at start."""
    return start


def sched_exp(start: Any, end: Any, pos: float) -> Any:
    """Geometric from start to end (straight on a log scale)."""
    return start * (end / start) ** pos


def sched_poly(start: Any, end: Any, pos: float, power: float) -> Any:
    """start + (end - start) * pos**power."""
    return start + (end - start) * pos ** power


def _annealer(f: Callable) -> Callable:
    """Turn `f(start, end, pos)` into a factory `F(start, end)` returning a function of pos alone."""
    def make(start: Any, end: Any) -> Callable[[float], Any]:
        return partial(f, start, end)
    make.__name__ = make.__qualname__ = "Sched" + f.__name__[6:].capitalize()
    make.__doc__ = f"Schedule factory: `{make.__name__}(start, end)(pos)` == `{f.__name__}(start, end, pos)`."
    return make


SchedLin, SchedCos, SchedNo, SchedExp = (_annealer(f) for f in (sched_lin, sched_cos, sched_no, sched_exp))


def SchedPoly(start: Any, end: Any, power: float) -> Callable[[float], Any]:
    """Polynomial schedule factory."""
    return lambda pos: sched_poly(start, end, pos, power)


def combine_scheds(pcts: Sequence[float], scheds: Sequence[Callable]) -> Callable[[float], Any]:
    """Run `scheds[i]` over a fraction `pcts[i]` of training, each seeing its own position from 0 to 1."""
    if len(pcts) != len(scheds):
        raise ValueError(f"combine_scheds got {len(pcts)} fractions for {len(scheds)} schedules")
    if any(p < 0 for p in pcts) or not math.isclose(sum(pcts), 1.0, abs_tol=1e-6):
        raise ValueError(f"combine_scheds fractions must be >= 0 and sum to 1, got {list(pcts)}")
    edges = np.cumsum([0.0, *pcts])

    def combined(pos: float) -> Any:
        if pos >= 1.0:
            return scheds[-1](1.0)
        # the last segment that starts at or before pos (skipping empty segments)
        i = max(int(np.searchsorted(edges, pos, side="right")) - 1, 0)
        i = min(i, len(scheds) - 1)
        width = edges[i + 1] - edges[i]
        return scheds[i]((pos - edges[i]) / width if width > 0 else 1.0)
    return combined


def combined_cos(pct: float, start: Any, middle: Any, end: Any) -> Callable[[float], Any]:
    """Cosine from start to middle over `pct` of training, then cosine from middle to end."""
    return combine_scheds([pct, 1 - pct], [SchedCos(start, middle), SchedCos(middle, end)])


class ParamScheduler(Callback):
    """Sets each scheduled hyper-parameter from `learn.pct_train` before every training batch."""
    order = 60
    run_valid = False

    def __init__(self, scheds: dict[str, Callable[[float], Any]]) -> None:
        self.scheds = scheds

    def before_fit(self) -> None:
        self.hps: dict[str, list] = {k: [] for k in self.scheds}

    def before_batch(self) -> None:
        for k, f in self.scheds.items():
            self.learn.opt.set_hyper(k, f(self.learn.pct_train))

    def after_batch(self) -> None:
        for k in self.scheds:
            self.hps[k].append(self.learn.opt.hypers[-1][k])
