"""Checks for exercise 06 (schedules): cosine annealing, combined schedules, one cycle, ParamScheduler, valley."""
from __future__ import annotations

import math
import random
from functools import partial
from typing import Any, Callable

from fastlayers.checks.framework import call, check, describe_call, expect_close, fail
from fastlayers.checks.lesson04 import tiny_learner

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
    expected = [float(ref.sched_cos(*c)) for c in cases]
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
        if not callable(combined):
            fail("wrong kind of result", called=f"combine_scheds({pcts!r}, [...])",
                 expected="a function of the overall position", got=combined,
                 hint="Define an inner function of pos and return it (without calling it).")
        expected_fn = ref.combine_scheds(pcts, [_lin(a, b) for a, b in ends])
        bounds = [sum(pcts[:i]) for i in range(len(pcts) + 1)]
        positions = [0.0, 1.0] + bounds[1:-1] + [(a + b) / 2 for a, b in zip(bounds, bounds[1:])]
        positions += [rng.random() for _ in range(10)]
        for pos in positions:
            got = call(combined, pos)
            exp = float(expected_fn(pos))  # the reference may return a numpy scalar
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
    if _as_bounds(pos, pcts, ends, g):
        return ("`pcts` are the shares of each segment, not where they end: add them up to get the segment bounds "
                "(shares [0.3, 0.7] -> bounds 0, 0.3, 1.0).")
    if math.isclose(g, _linear(a, b, pos), rel_tol=1e-6, abs_tol=1e-9) and not math.isclose(local, pos):
        return ("The segment's schedule got the overall position; rescale it to the segment: "
                "(pos - segment start) / segment length, so each schedule sees 0 at its start and 1 at its end.")
    if idx > 0 and math.isclose(pos, bounds[idx]):
        return "A position exactly on a boundary belongs to the segment that starts there."
    if pos >= 1:
        return "pos=1 is the end of the last segment (its schedule at position 1); watch the index and rounding there."
    return (f"Position {pos} is in segment {idx} (it starts at {bounds[idx]:g}), at local position {local:g} there; "
            "the shares in `pcts` add up to the segment bounds.")


def _as_bounds(pos: float, pcts: list, ends: list, got: float) -> bool:
    """Whether `got` is what reading `pcts` as segment ends (instead of shares) would give."""
    bounds = [0.0] + list(pcts)
    idx = 0
    while idx < len(ends) - 1 and pos >= bounds[idx + 1]:
        idx += 1
    width = bounds[idx + 1] - bounds[idx]
    if width <= 0:
        return False
    return math.isclose(got, _linear(*ends[idx], (pos - bounds[idx]) / width), rel_tol=1e-6, abs_tol=1e-9)


_ONE_CYCLE_FACTS = [  # measured with lr_max=1e-3 and default arguments: (pos, lr, mom); the ends first
    (0.0, 4.0e-5, 0.95), (1.0, 1e-8, 0.95), (0.25, 1e-3, 0.85), (0.1, 3.716719e-4, 0.915451),
    (0.125, 5.2e-4, 0.90), (0.5, 7.500025e-4, 0.875), (0.75, 2.500075e-4, 0.925), (0.9, 4.323687e-5, 0.945677),
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
                expect_close(value, float(exp[key](pos)), rtol=1e-5, atol=1e-12,
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


# ----------------------------------------------------------------------------------------------------------------
# 4. ParamScheduler
# ----------------------------------------------------------------------------------------------------------------

def _hyper_log():
    """A callback recording the optimizer's lr and mom when each step is taken and after each validation."""
    ref = _ref()

    class HyperLog(ref.Callback):
        order = 99  # after every other callback has had its say

        def before_fit(self):
            self.steps, self.valids = [], []

        def before_step(self):
            h = self.learn.opt.hypers[-1]
            self.steps.append((round(self.learn.epoch), self.learn.iter, h["lr"], h["mom"]))

        def after_validate(self):
            h = self.learn.opt.hypers[-1]
            self.valids.append((self.learn.epoch, h["lr"], h["mom"]))
    return HyperLog()


def _run_scheduler(cb, n_epoch: int) -> Any:
    learn = tiny_learner()
    log = _hyper_log()
    learn.fit(n_epoch, cbs=[cb, log])
    return log


@check(points=3, timeout=15)
def param_scheduler(ParamScheduler: type) -> None:
    """Your `ParamScheduler` sets every scheduled hyper-parameter from pct_train before each training batch."""
    ref = _ref()
    scheds = {"lr": partial(ref.sched_lin, 1e-2, 1e-4), "mom": partial(ref.sched_cos, 0.95, 0.8)}
    for n_epoch in (1, 3):
        cb = call(ParamScheduler, dict(scheds))
        got = _run_scheduler(cb, n_epoch)
        exp = _run_scheduler(ref.ParamScheduler(dict(scheds)), n_epoch)
        called = f"learn.fit({n_epoch}, cbs=ParamScheduler({{'lr': linear 1e-2 -> 1e-4, 'mom': cosine 0.95 -> 0.8}}))"
        if len(got.steps) != len(exp.steps):
            fail("a different number of optimizer steps", called=called, expected=len(exp.steps), got=len(got.steps),
                 hint="The scheduler only sets hyper-parameters; it must not skip or cancel batches.")
        for (ep, it, lr, mom), (_, _, elr, emom) in zip(got.steps, exp.steps):
            where = f"the optimizer step of epoch {ep}, batch {it}"
            for name, value, expected in (("lr", lr, elr), ("mom", mom, emom)):
                expect_close(value, expected, rtol=1e-6, atol=1e-12, called=called,
                             summary=f"wrong {name} in effect at {where}",
                             hint=_scheduler_hint(name, got.steps, exp.steps, (ep, it), value, expected, n_epoch))
        for (ep, lr, mom), (_, elr, emom) in zip(got.valids, exp.valids):
            expect_close((lr, mom), (elr, emom), rtol=1e-6, atol=1e-12, called=called,
                         summary=f"hyper-parameters changed during the validation of epoch {ep}",
                         hint="Validation batches must leave the hyper-parameters alone: do nothing in before_batch "
                              "when not self.learn.training (or set run_valid = False).")


def _scheduler_hint(name: str, got: list, exp: list, at: tuple, value: float, expected: float, n_epoch: int) -> str:
    """Recover the positions the student's lr values correspond to, and name the usual mistake."""
    if name == "mom":
        return "Set every hyper-parameter in the dict (loop over self.scheds.items()), not only the learning rate."
    n_iter = sum(1 for s in exp if s[0] == 0)
    total = n_iter * n_epoch
    # the lr schedule in this check is linear from 1e-2 to 1e-4, so each lr gives back the position it was set from
    try:
        seen = [(float(lr) - 1e-2) / (1e-4 - 1e-2) for _, _, lr, _ in got]
    except Exception:  # noqa: BLE001
        return "Set numbers: self.learn.opt.set_hyper(name, sched(self.learn.pct_train))."
    candidates = {
        "late": [max(k - 1, 0) / total if k else 0.0 for k in range(len(got))],
        "per_epoch": [it / n_iter for _, it, _, _ in got],
        "epochs": [ep / n_epoch for ep, _, _, _ in got],
    }
    def near(a: list, b: list) -> bool:
        return len(a) == len(b) and all(abs(x - y) < 1e-6 for x, y in zip(a, b))
    if abs(seen[0]) > 1e-6 and (near(seen[1:], [k / total for k in range(1, len(got))])
                                or near(seen[1:], [k / total for k in range(len(got) - 1)])):
        return ("The first batch ran with the lr from before the schedule started: set the hyper-parameters in "
                "before_batch, so each batch uses its own value (after_batch is one batch too late).")
    if near(seen, candidates["per_epoch"]):
        return ("The schedule restarts every epoch: use self.learn.pct_train (progress over the whole fit), not the "
                "batch number within the epoch.")
    if near(seen, candidates["epochs"]):
        return ("The value only changes once per epoch: the position is the share of all training batches done "
                "(self.learn.pct_train), not the share of epochs.")
    return (f"Before each training batch: self.learn.opt.set_hyper(name, sched(self.learn.pct_train)) for each "
            f"scheduled name (expected {expected!r}, got {value!r}).")


# ----------------------------------------------------------------------------------------------------------------
# 5. valley
# ----------------------------------------------------------------------------------------------------------------

def _finder_curves() -> list[tuple[str, Any, Any]]:
    """LR-finder-like curves (float64 tensors, already trimmed like `suggest` does), some noisy."""
    import torch
    out = []
    lrs_full = torch.logspace(-7, 1, 100, dtype=torch.float64)
    lrs = lrs_full[10:-5]
    x = lrs.log10()
    g = torch.Generator().manual_seed(66)
    base = 2.3 - 1.5 / (1 + torch.exp(-(x + 3.0) * 2.5)) + torch.relu(x + 0.5) ** 2  # falls, then blows up
    out.append(("a clean curve", lrs, base))
    for k in range(4):
        noise = 0.03 * (k + 1) * torch.randn(len(lrs), generator=g, dtype=torch.float64)
        out.append((f"a noisy curve (noise {0.03 * (k + 1):.2f})", lrs, base + noise))
    step = base.clone()
    step[30:40] = step[30]  # a plateau in the middle of the slope
    out.append(("a curve with a plateau", lrs, step))
    short = torch.logspace(-6, 0, 20, dtype=torch.float64)
    out.append(("a short curve", short, torch.tensor([2.0, 2.1, 1.9, 1.8, 1.85, 1.6, 1.5, 1.2, 1.3, 1.0, 0.9, 0.95,
                                                        0.7, 0.8, 0.9, 1.5, 2.5, 4.0, 8.0, 20.0],
                                                       dtype=torch.float64)))
    return out


@check(points=2, timeout=10)
def valley(student: Callable) -> None:
    """Your `valley(lrs, losses, num_it)` suggests the same lr and point as the reference."""
    ref = _ref()
    for label, lrs, losses in _finder_curves():
        got = call(student, lrs.clone(), losses.clone(), 100)
        exp = ref.valley(lrs, losses, 100)
        called = f"valley(lrs, losses, 100) on {label}"
        if not (isinstance(got, tuple) and len(got) == 2 and isinstance(got[1], tuple) and len(got[1]) == 2):
            fail("wrong kind of result", called=called, expected="(lr, (lr, loss)): a tuple of the suggested lr and "
                 "the point to mark", got=got)
        expect_close(got, exp, rtol=1e-9, atol=0, called=called, hint=_valley_hint(lrs, losses, got, exp))


def _valley_hint(lrs: Any, losses: Any, got: Any, exp: Any) -> str:
    try:
        idx = int((lrs - float(got[0])).abs().argmin())
        exp_idx = int((lrs - float(exp[0])).abs().argmin())
    except Exception:  # noqa: BLE001
        return "Return plain floats: (float(lrs[idx]), (float(lrs[idx]), float(losses[idx])))."
    if idx == int(losses.argmin()):
        return "That is the lowest loss; valley picks a point a good way down the longest decreasing stretch instead."
    if abs(idx - exp_idx) == 1:
        return ("Off by one point: start = end - run[end] (not + 1), end is the *first* point with the longest run, "
                "and the index is start + int(length/3) + int(length/3/2) with length = end - start.")
    return ("run[i] counts the longest decreasing sequence ending at i where the points need not be neighbours "
            "(compare with every earlier point j, not only i-1); then index start + int(length/3) + int(length/3/2).")
