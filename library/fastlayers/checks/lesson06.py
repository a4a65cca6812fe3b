"""Checks for exercise 06 (schedules): cosine annealing, combined schedules, one cycle, ParamScheduler, valley."""
from __future__ import annotations

import math
import random
from functools import partial
from typing import Any, Callable

from fastlayers.checks.framework import call, check, describe_call, expect_close, fail

__all__ = ["sched_cos", "combine_scheds", "one_cycle_scheds", "param_scheduler", "valley"]

RTOL, ATOL = 1e-5, 1e-9


def _ref():
    # Imported when a check runs, so `fastlayers.checks` stays cheap to import.
    import fastlayers.training as ref
    return ref


def _values(fn: Callable, cases: list[tuple]) -> list:
    return [call(fn, *args) for args in cases]


def _matches(fn: Callable, cases: list[tuple], got: list) -> bool:
    """Whether `got` agrees with `fn` on `cases` (used to name a known mistake in a hint)."""
    try:
        return all(math.isclose(float(g), float(fn(*c)), rel_tol=1e-6, abs_tol=1e-12) for g, c in zip(got, cases))
    except Exception:  # noqa: BLE001  a mistake detector must never crash the check
        return False


def _sched_cases(seed: int, n: int) -> list[tuple]:
    rng = random.Random(seed)
    fixed = [(1.0, 0.0, 0.0), (1.0, 0.0, 1.0), (0.0, 1.0, 0.5), (0.1, 2.0, 0.25), (2.0, 0.1, 0.75), (5.0, 5.0, 0.3)]
    rand = [(rng.uniform(-3, 3), rng.uniform(-3, 3), rng.random()) for _ in range(n)]
    return fixed + rand


@check(points=2, timeout=10)
def sched_cos(student: Callable) -> None:
    """`sched_cos(start, end, pos)` follows half a cosine from `start` (pos 0) to `end` (pos 1)."""
    ref = _ref()
    cases = _sched_cases(seed=6, n=40)
    got = _values(student, cases)
    expected = [ref.sched_cos(*c) for c in cases]
    hint = "sched_cos(start, end, pos) = start + (1 + cos(pi*(1-pos))) * (end-start) / 2"
    if _matches(ref.sched_lin, cases, got):
        hint = "This is a straight line (sched_lin): the cosine schedule changes slowly near both ends and fast in the middle."
    elif _matches(lambda s, e, p: ref.sched_cos(e, s, p), cases, got):
        hint = "Start and end are swapped: at pos=0 the schedule must return `start`."
    elif _matches(lambda s, e, p: ref.sched_cos(s, e, 1 - p), cases, got):
        hint = "The position runs backwards: pos=0 must give `start`, pos=1 must give `end`."
    for args, g, e in zip(cases, got, expected):
        expect_close(g, e, rtol=RTOL, atol=ATOL, called=describe_call(student, *args), hint=hint)


def _lin(a: float, b: float) -> Callable[[float], float]:
    return partial(_linear, a, b)


def _linear(a: float, b: float, pos: float) -> float:
    return a + pos * (b - a)


_COMBINE_CASES = [
    # (pcts, (start, end) per segment): distinct, discontinuous segments so each mistake shows
    ([0.3, 0.7], [(0.0, 1.0), (10.0, 20.0)]),
    ([0.25, 0.75], [(1.0, 3.0), (-1.0, -5.0)]),
    ([0.2, 0.5, 0.3], [(0.0, 1.0), (100.0, 200.0), (-3.0, 3.0)]),
]


@check(points=2, timeout=10)
def combine_scheds(student: Callable) -> None:
    """`combine_scheds(pcts, scheds)` runs each schedule over its share of training, on its own 0..1 position."""
    ref = _ref()
    rng = random.Random(60)
    cases = list(_COMBINE_CASES)
    for _ in range(8):  # random shares (2 to 4 segments) and random linear pieces
        k = rng.randint(2, 4)
        raw = [rng.uniform(0.1, 1.0) for _ in range(k)]
        cases.append(([r / sum(raw) for r in raw], [(rng.uniform(-5, 5), rng.uniform(-5, 5)) for _ in range(k)]))
    for pcts, ends in cases:
        scheds = [_lin(a, b) for a, b in ends]
        combined = call(student, pcts, scheds)
        expected_fn = ref.combine_scheds(pcts, [_lin(a, b) for a, b in ends])
        bounds = [sum(pcts[:i]) for i in range(len(pcts) + 1)]
        positions = [0.0, 1.0] + bounds[1:-1] + [(a + b) / 2 for a, b in zip(bounds, bounds[1:])]
        positions += [rng.random() for _ in range(10)]
        for pos in positions:
            got = call(combined, pos)
            exp = expected_fn(pos)
            called = f"combine_scheds({pcts!r}, {ends!r} as linear schedules)({pos!r})"
            expect_close(got, exp, rtol=RTOL, atol=1e-7, called=called, hint=_combine_hint(pos, pcts, ends, got))


def _combine_hint(pos: float, pcts: list, ends: list, got: Any) -> str:
    """Name the usual mistake behind a wrong combined value."""
    bounds = [sum(pcts[:i]) for i in range(len(pcts) + 1)]
    idx = max([i for i in range(len(pcts)) if pos >= bounds[i]] or [0])
    if pos >= 1:
        idx = len(pcts) - 1
    local = min((pos - bounds[idx]) / (bounds[idx + 1] - bounds[idx]), 1.0)
    try:
        g = float(got)
    except Exception:  # noqa: BLE001
        return "A schedule returns a number."
    a, b = ends[idx]
    if math.isclose(g, _linear(a, b, pos), rel_tol=1e-6, abs_tol=1e-9) and not math.isclose(local, pos):
        return ("The segment's schedule got the overall position; rescale it to the segment: "
                "(pos - segment start) / segment length, so each schedule sees 0 at its start and 1 at its end.")
    if idx > 0 and math.isclose(pos, bounds[idx]):
        return "A position exactly on a boundary belongs to the segment that starts there."
    if pos >= 1:
        return "pos=1 is the end of the last segment (its schedule at position 1); watch the index and rounding there."
    return (f"Position {pos} is in segment {idx} (it starts at {bounds[idx]:g}), at local position {local:g} there; "
            "the shares in `pcts` add up to the segment bounds.")


_ONE_CYCLE_FACTS = [  # measured with lr_max=1e-3 and default arguments: (pos, lr, mom)
    (0.0, 4.0e-5, 0.95), (0.1, 3.716719e-4, 0.915451), (0.125, 5.2e-4, 0.90), (0.25, 1e-3, 0.85),
    (0.5, 7.500025e-4, 0.875), (0.75, 2.500075e-4, 0.925), (0.9, 4.323687e-5, 0.945677), (1.0, 1e-8, 0.95),
]


def _reference_one_cycle(lr_max: float, div: float, div_final: float, pct_start: float, moms: tuple) -> dict:
    ref = _ref()
    return {"lr": ref.combined_cos(pct_start, lr_max / div, lr_max, lr_max / div_final),
            "mom": ref.combined_cos(pct_start, *moms)}


@check(points=3, timeout=10)
def one_cycle_scheds(student: Callable) -> None:
    """`one_cycle_scheds(lr_max, div, div_final, pct_start, moms)` gives the one-cycle lr and momentum schedules."""
    got = call(student, 1e-3)
    if not isinstance(got, dict) or set(got) != {"lr", "mom"}:
        fail("wrong kind of result", called=describe_call(student, 1e-3),
             expected="a dict with the keys 'lr' and 'mom', each a function of the position", got=got)
    for pos, lr, mom in _ONE_CYCLE_FACTS:
        for key, exp in [("lr", lr), ("mom", mom)]:
            value = call(got[key], pos)
            expect_close(value, exp, rtol=1e-5, atol=1e-12, called=f"one_cycle_scheds(1e-3)[{key!r}]({pos})",
                         hint=_one_cycle_hint(key, pos, value, 1e-3))
    rng = random.Random(606)
    for _ in range(6):
        args = dict(lr_max=10 ** rng.uniform(-4, 0), div=rng.choice([5.0, 10.0, 25.0]),
                    div_final=rng.choice([1e3, 1e4, 1e5]), pct_start=rng.choice([0.1, 0.25, 0.3, 0.5, 0.8]),
                    moms=rng.choice([(0.95, 0.85, 0.95), (0.8, 0.7, 0.8), (0.9, 0.8, 0.85)]))
        got = call(student, **args)
        exp = _reference_one_cycle(**args)
        for pos in [0.0, args["pct_start"] / 2, args["pct_start"], 0.6 * args["pct_start"] + 0.4, 1.0,
                    rng.random(), rng.random()]:
            for key in ("lr", "mom"):
                value = call(got[key], pos)
                expect_close(value, exp[key](pos), rtol=1e-5, atol=1e-12,
                             called=f"{describe_call(student, **args)}[{key!r}]({pos:g})",
                             hint=_one_cycle_hint(key, pos, value, args["lr_max"], **{k: v for k, v in args.items()
                                                                                     if k != "lr_max"}))


def _one_cycle_hint(key: str, pos: float, value: Any, lr_max: float, div: float = 25., div_final: float = 1e5,
                    pct_start: float = 0.25, moms: tuple = (0.95, 0.85, 0.95)) -> str:
    try:
        v = float(value)
    except Exception:  # noqa: BLE001
        return "Each schedule returns a number."
    if key == "mom":
        flipped = _reference_one_cycle(lr_max, div, div_final, pct_start, (moms[1], moms[0], moms[1]))["mom"](pos)
        if math.isclose(v, flipped, rel_tol=1e-6) and not math.isclose(moms[0], moms[1]):
            return ("Momentum is annealed in the opposite direction to the learning rate: "
                    f"it starts high ({moms[0]}), drops to {moms[1]} while the lr peaks, and rises again to {moms[2]}.")
        return f"Momentum goes {moms[0]} -> {moms[1]} -> {moms[2]} (cosine), on the same two phases as the lr."
    if pos >= 1:
        return f"At the end the lr is lr_max/div_final = {lr_max / div_final:g}, not lr_max/div."
    if pos == 0:
        return f"The lr starts at lr_max/div = {lr_max / div:g}."
    return (f"The lr rises (cosine) from lr_max/div to lr_max over the first pct_start={pct_start} of training, "
            "then falls (cosine) to lr_max/div_final; use ref.sched_cos for both halves.")
