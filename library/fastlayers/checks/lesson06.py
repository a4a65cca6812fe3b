"""Checks for exercise 06 (schedules): cosine annealing, combined schedules, one cycle, ParamScheduler, valley.

Each check runs the same probe (a module-level function) on the student's piece, where it lives, and on the
reference here; both answers come back as plain data and are compared. Hints name the idea, never the code.
"""
from __future__ import annotations

import math
import random
from functools import partial
from typing import Any, Callable

from fastlayers.checks.framework import (call, check, describe_call, expect_close, expect_count, expect_type, fail,
                                         labelled, probe)
from fastlayers.checks.lesson04 import tiny_learner

__all__ = ["sched_cos", "combine_scheds", "one_cycle_scheds", "param_scheduler", "valley"]

RTOL, ATOL = 1e-5, 1e-9
FLOAT_HINT = "Return a plain Python number (a float), not a tensor or an array."


def _ref():
    # Imported when a check runs, so `fastlayers.checks` stays cheap to import.
    import fastlayers.training as ref
    return ref


def _matches(fn: Callable, cases: tuple, got: list) -> bool:
    """Whether `got` agrees with `fn` on `cases` (used to name a known mistake in a hint)."""
    try:
        return all(math.isclose(float(g), float(fn(*c)), rel_tol=1e-6, abs_tol=1e-12) for g, c in zip(got, cases))
    except Exception:  # noqa: BLE001  a mistake detector must never crash the check
        return False




def _expect_floats(values: list, cases: tuple, fn_name: str) -> None:
    expect_count(values, len(cases), fn_name)
    for args, v in zip(cases, values):
        expect_type(v, float, "a float", called=f"{fn_name}{tuple(args)!r}", hint=FLOAT_HINT)


# ----------------------------------------------------------------------------------------------------------------
# 1. sched_cos
# ----------------------------------------------------------------------------------------------------------------

def apply_each(fn: Callable, cases: list) -> list:
    """Probe: fn(*case) for each case."""
    return [call(fn, *c) for c in cases]


def _sched_cases(seed: int, n: int) -> tuple:
    rng = random.Random(seed)
    fixed = ((1.0, 0.0, 0.0), (1.0, 0.0, 1.0), (0.0, 1.0, 0.5), (0.1, 2.0, 0.25), (2.0, 0.1, 0.75), (5.0, 5.0, 0.3),
             (-2.0, 3.0, 0.9), (1e-3, 1e-5, 0.6))
    rand = tuple((rng.uniform(-3, 3), rng.uniform(-3, 3), rng.random()) for _ in range(n))
    return fixed + rand


@check(points=2, timeout=10)
def sched_cos(student: Callable) -> None:
    """`sched_cos(start, end, pos)` follows half a cosine from `start` (pos 0) to `end` (pos 1)."""
    ref = _ref()
    cases = _sched_cases(seed=6, n=40)
    got = probe(apply_each, student, cases)
    expected = [float(ref.sched_cos(*c)) for c in cases]
    _expect_floats(got, cases, "sched_cos")
    hint = ("Halfway (pos=0.5) the value is the average of start and end, and near both ends it barely moves: "
            "that is half a period of a cosine, shifted and scaled so pos=0 gives start and pos=1 gives end.")
    if _matches(ref.sched_lin, cases, got):
        hint = "This is a straight line: the cosine schedule changes slowly near both ends and fast in the middle."
    elif _matches(lambda s, e, p: ref.sched_cos(e, s, p), cases, got):
        hint = "Start and end are swapped: at pos=0 the schedule must return `start`."
    elif _matches(lambda s, e, p: ref.sched_cos(s, e, 1 - p), cases, got):
        hint = "The position runs backwards: pos=0 must give `start`, pos=1 must give `end`."
    for args, g, e in zip(cases, got, expected):
        expect_close(g, e, rtol=RTOL, atol=ATOL, called=f"sched_cos{args!r}", hint=hint)


# ----------------------------------------------------------------------------------------------------------------
# 2. combine_scheds
# ----------------------------------------------------------------------------------------------------------------

def _linear(a: float, b: float, pos: float) -> float:
    return a + pos * (b - a)


def combined_values(combine: Callable, pcts: list, ends: list, positions: list) -> dict:
    """Probe: build linear schedules from `ends`, combine them, evaluate at `positions`.

    Also reports what each schedule was asked (its local positions) and whether `pcts` was changed."""
    seen: list[list] = [[] for _ in ends]

    def segment(i: int, a: float, b: float) -> Callable[[float], float]:
        def sched(pos: float) -> float:
            seen[i].append(pos)
            return _linear(a, b, pos)
        sched.__qualname__ = f"linear {a:g} -> {b:g}"
        return sched
    given = list(pcts)
    combined = call(combine, given, [segment(i, a, b) for i, (a, b) in enumerate(ends)])
    if not callable(combined):
        return {"callable": False, "got": combined}
    values = [call(combined, p) for p in positions]
    return {"callable": True, "values": values, "pcts_after": given, "seen": seen}


_COMBINE_CASES = (
    # (pcts, (start, end) per segment): distinct, discontinuous segments so each mistake shows
    ((0.3, 0.7), ((0.0, 1.0), (10.0, 20.0))),
    ((0.25, 0.75), ((1.0, 3.0), (-1.0, -5.0))),
    ((0.2, 0.5, 0.3), ((0.0, 1.0), (100.0, 200.0), (-3.0, 3.0))),
    ((0.1,) * 10, tuple((float(i), float(i) + 0.5) for i in range(10))),  # shares that add up to 0.9999999999999999
)


def _combine_cases() -> list:
    rng = random.Random(60)
    cases = [(list(p), [list(e) for e in ends]) for p, ends in _COMBINE_CASES]
    for _ in range(8):  # random shares (2 to 5 segments) and random linear pieces
        k = rng.randint(2, 5)
        raw = [rng.uniform(0.1, 1.0) for _ in range(k)]
        cases.append(([r / sum(raw) for r in raw], [[rng.uniform(-5, 5), rng.uniform(-5, 5)] for _ in range(k)]))
    return cases


@check(points=2, timeout=10)
def combine_scheds(student: Callable) -> None:
    """`combine_scheds(pcts, scheds)` runs each schedule over its share of training, on its own 0..1 position."""
    ref = _ref()
    rng = random.Random(61)
    for pcts, ends in _combine_cases():
        bounds = [sum(pcts[:i]) for i in range(len(pcts) + 1)]
        positions = [0.0, 1.0] + bounds[1:-1] + [(a + b) / 2 for a, b in zip(bounds, bounds[1:])]
        positions += [rng.random() for _ in range(10)]
        got = probe(combined_values, student, pcts, ends, positions)
        called = f"combine_scheds({_short(pcts)}, <{len(ends)} linear schedules>)"
        if not got["callable"]:
            fail("wrong kind of result", called=called, expected="<a function of the overall position>",
                 got=got["got"], hint="Return a function of the overall position (define it inside and return it "
                                      "without calling it).")
        expect_count(got.get("values"), len(positions), called)
        if got["pcts_after"] != pcts:
            fail("the list of shares was changed", called=called, expected=_short(pcts), got=_short(got["pcts_after"]),
                 hint="combine_scheds must not modify the list it is given: the caller may use it again. Build "
                      "the segment bounds in a new list.")
        exp = probe(combined_values, ref.combine_scheds, pcts, ends, positions)
        for pos, g, e in zip(positions, got["values"], exp["values"]):
            at = f"{called}({pos!r})"
            expect_type(g, float, "a float", called=at, hint=FLOAT_HINT)
            expect_close(g, float(e), rtol=RTOL, atol=1e-7, called=at, hint=_combine_hint(pos, pcts, ends, g))


def _short(values: list) -> str:
    return "[" + ", ".join(f"{v:.4g}" for v in values) + "]"


def _combine_hint(pos: float, pcts: list, ends: list, got: Any) -> str:
    """Name the usual mistake behind a wrong combined value."""
    bounds = [sum(pcts[:i]) for i in range(len(pcts) + 1)]
    idx = max([i for i in range(len(pcts)) if pos >= bounds[i]] or [0])
    if pos >= 1:
        idx = len(pcts) - 1
    local = min((pos - bounds[idx]) / (bounds[idx + 1] - bounds[idx]), 1.0)
    g = float(got)
    a, b = ends[idx]
    if _as_bounds(pos, pcts, ends, g):
        return ("`pcts` are the shares of each segment, not where they end: add them up to get the segment bounds "
                "(shares 0.3 and 0.7 make the bounds 0, 0.3 and 1.0).")
    if math.isclose(g, _linear(a, b, pos), rel_tol=1e-6, abs_tol=1e-9) and not math.isclose(local, pos):
        return ("The segment's schedule got the overall position. Rescale it to the segment, so each schedule "
                "sees 0 at the start of its own segment and 1 at its end.")
    if idx > 0 and math.isclose(pos, bounds[idx]):
        return "A position exactly on a boundary belongs to the segment that starts there."
    if pos >= 1:
        return ("pos=1 is the end of the last segment (its schedule at position 1), even when the shares add up to "
                "slightly less than 1 through rounding.")
    return (f"Position {pos:.4g} is in segment {idx} (it starts at {bounds[idx]:.4g}), at local position {local:.4g} "
            "there; the shares in `pcts` add up to the segment bounds.")


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


# ----------------------------------------------------------------------------------------------------------------
# 3. one_cycle_scheds
# ----------------------------------------------------------------------------------------------------------------

def one_cycle_values(make: Callable, kwargs: dict, positions: list) -> dict:
    """Probe: call `make(**kwargs)`, describe the result, evaluate its 'lr' and 'mom' schedules at `positions`."""
    out = call(make, **kwargs)
    if not isinstance(out, dict):
        return {"kind": type(out).__name__}
    keys = sorted(str(k) for k in out)
    if keys != ["lr", "mom"] or not all(callable(v) for v in out.values()):
        return {"kind": "dict", "keys": keys}
    return {"kind": "dict", "keys": keys, "lr": [call(out["lr"], p) for p in positions],
            "mom": [call(out["mom"], p) for p in positions]}


def reference_one_cycle(lr_max: float, div: float = 25., div_final: float = 1e5, pct_start: float = 0.25,
                        moms: tuple = (0.95, 0.85, 0.95)) -> dict:
    """The reference one-cycle schedules (what `fit_one_cycle` uses)."""
    ref = _ref()
    return {"lr": ref.combined_cos(pct_start, lr_max / div, lr_max, lr_max / div_final),
            "mom": ref.combined_cos(pct_start, *moms)}


def _one_cycle_cases() -> list:
    rng = random.Random(606)
    cases = [{"lr_max": 1e-3}]
    for _ in range(6):
        cases.append(dict(lr_max=10 ** rng.uniform(-4, 0), div=rng.choice([5.0, 10.0, 25.0]),
                          div_final=rng.choice([1e3, 1e4, 1e5]), pct_start=rng.choice([0.1, 0.25, 0.3, 0.5, 0.8]),
                          moms=rng.choice([(0.95, 0.85, 0.95), (0.8, 0.7, 0.8), (0.9, 0.8, 0.85)])))
    return cases


@check(points=3, timeout=10)
def one_cycle_scheds(student: Callable) -> None:
    """`one_cycle_scheds(lr_max, div, div_final, pct_start, moms)` gives the one-cycle lr and momentum schedules."""
    rng = random.Random(607)
    for kwargs in _one_cycle_cases():
        pct = kwargs.get("pct_start", 0.25)
        positions = [0.0, 1.0, pct, pct / 2, 0.6 * pct + 0.4, rng.random(), rng.random()]
        called = describe_call(student, **kwargs)
        got = probe(one_cycle_values, student, kwargs, positions)
        if "lr" not in got:
            fail("wrong kind of result", called=called,
                 expected="<a dict with the keys 'lr' and 'mom', each a function of the position>",
                 got=f"<a {got['kind']}{' with keys ' + str(got['keys']) if 'keys' in got else ''}>",
                 hint="Return a dict of two schedules: 'lr' for the learning rate and 'mom' for the momentum.")
        exp = reference_one_cycle(**kwargs)
        for key in ("lr", "mom"):
            expect_count(got[key], len(positions), f"{called}[{key!r}]")
            for pos, value in zip(positions, got[key]):
                at = f"{called}[{key!r}]({pos:.4g})"
                expect_type(value, float, "a float", called=at, hint=FLOAT_HINT)
                expect_close(value, float(exp[key](pos)), rtol=1e-5, atol=1e-12, called=at,
                             hint=_one_cycle_hint(key, pos, value, **kwargs))


def _one_cycle_hint(key: str, pos: float, value: Any, lr_max: float, div: float = 25., div_final: float = 1e5,
                    pct_start: float = 0.25, moms: tuple = (0.95, 0.85, 0.95)) -> str:
    v = float(value)
    if key == "mom":
        flipped = reference_one_cycle(lr_max, div, div_final, pct_start, (moms[1], moms[0], moms[1]))["mom"](pos)
        if math.isclose(v, flipped, rel_tol=1e-6) and not math.isclose(moms[0], moms[1]):
            return ("Momentum moves against the learning rate: it starts at the first value of moms, drops to the "
                    "second while the lr peaks, and rises to the third by the end.")
        return "Momentum follows moms (first, second, third value) with cosines, on the same two phases as the lr."
    if pos >= 1:
        return "At the very end the learning rate is lr_max divided by div_final, not by div."
    if pos == 0:
        return "The learning rate starts at lr_max divided by div."
    return ("The learning rate rises along a cosine from lr_max/div to lr_max during the first pct_start of "
            "training, then falls along a cosine to lr_max/div_final; pct_start is the share of the first phase.")


# ----------------------------------------------------------------------------------------------------------------
# 4. ParamScheduler
# ----------------------------------------------------------------------------------------------------------------

_SCHED_SPECS = {"lr": ("lin", 1e-2, 1e-4), "mom": ("cos", 0.95, 0.8), "wd": ("lin", 0.0, 0.1)}


def scheduler_run(cls: type, n_epoch: int, names: list, two_groups: bool) -> dict:
    """Probe: fit a tiny learner with `cls(scheds)`; the hyper-parameters of every group at each step and validation."""
    ref = _ref()
    makers = {"lin": ref.sched_lin, "cos": ref.sched_cos}
    scheds = {n: partial(makers[_SCHED_SPECS[n][0]], *_SCHED_SPECS[n][1:]) for n in names}
    given = dict(scheds)
    cb = call(cls, given)

    class HyperLog(ref.Callback):
        order = 99  # after every other callback has had its say

        def before_fit(self):
            self.steps, self.valids = [], []

        def _now(self):
            return [[float(h.get(n, float("nan"))) for n in names] for h in self.learn.opt.hypers]

        def before_step(self):
            self.steps.append([self.learn.epoch, self.learn.iter, self._now()])

        def after_validate(self):
            self.valids.append([self.learn.epoch, self._now()])

    log = HyperLog()
    learn = tiny_learner(two_groups=two_groups)
    call(learn.fit, n_epoch, cbs=[cb, log])
    return {"steps": log.steps, "valids": log.valids,
            "scheds_kept": list(given) == list(scheds) and all(given[k] is scheds[k] for k in scheds)}


_SCHEDULER_RUNS = ((1, ("lr", "mom"), False), (3, ("lr", "mom"), False), (2, ("lr", "mom", "wd"), True))


@check(points=3, timeout=20)
def param_scheduler(ParamScheduler: type) -> None:
    """Your `ParamScheduler` sets every scheduled hyper-parameter from pct_train before each training batch."""
    ref = _ref()
    for n_epoch, names, two_groups in _SCHEDULER_RUNS:
        names = list(names)
        what = ", ".join(f"{n}: {'linear' if _SCHED_SPECS[n][0] == 'lin' else 'cosine'} {_SCHED_SPECS[n][1]:g} -> "
                         f"{_SCHED_SPECS[n][2]:g}" for n in names)
        called = f"learn.fit({n_epoch}, cbs=ParamScheduler({{{what}}}))" + \
                 (" with two parameter groups" if two_groups else "")
        with labelled(called):
            got = probe(scheduler_run, ParamScheduler, n_epoch, names, two_groups)
        exp = probe(scheduler_run, ref.ParamScheduler, n_epoch, names, two_groups)
        if not isinstance(got.get("steps"), list) or len(got["steps"]) != len(exp["steps"]) or \
                len(got.get("valids", [])) != len(exp["valids"]):
            fail("a different number of optimizer steps", called=called, expected=len(exp["steps"]),
                 got=len(got.get("steps") or []), hint="The scheduler only sets hyper-parameters; it must not skip or cancel "
                                             "batches.")
        if got.get("scheds_kept") is not True:
            fail("the dict of schedules was changed", called=called,
                 hint="The callback reads its schedules; it must not add, remove or replace entries of the dict it "
                      "was given (the caller may use it again).")
        for (ep, it, groups), (_, _, egroups) in zip(got["steps"], exp["steps"]):
            for g, (values, evalues) in enumerate(zip(groups, egroups)):
                for name, value, expected in zip(names, values, evalues):
                    where = f"the optimizer step of epoch {ep}, batch {it}" + \
                            (f", parameter group {g}" if two_groups else "")
                    expect_close(value, expected, rtol=1e-6, atol=1e-12, called=called,
                                 summary=f"wrong {name} in effect at {where}",
                                 hint=_scheduler_hint(name, g, got["steps"], exp["steps"], n_epoch))
        for (ep, groups), (_, egroups) in zip(got["valids"], exp["valids"]):
            expect_close(groups, egroups, rtol=1e-6, atol=1e-12, called=called,
                         summary=f"hyper-parameters changed during the validation of epoch {ep}",
                         hint="Validation batches must leave the hyper-parameters alone: the scheduler acts before "
                              "training batches only.")


def _scheduler_hint(name: str, group: int, got: list, exp: list, n_epoch: int) -> str:
    """Recover the positions the student's lr values correspond to, and name the usual mistake."""
    if group > 0:
        return ("Only the first parameter group got the value: set the hyper-parameter through the optimizer's "
                "set_hyper, which updates every group.")
    if name != "lr":
        return "Set every hyper-parameter named in the dict, not only the learning rate."
    n_iter = sum(1 for s in exp if s[0] == 0)
    total = n_iter * n_epoch
    # the lr schedule is linear from 1e-2 to 1e-4, so each lr gives back the position it was set from
    seen = [(float(groups[0][0]) - 1e-2) / (1e-4 - 1e-2) for _, _, groups in got]

    def near(a: list, b: list) -> bool:
        return len(a) == len(b) and all(abs(x - y) < 1e-6 for x, y in zip(a, b))
    if abs(seen[0]) > 1e-6 and (near(seen[1:], [k / total for k in range(1, len(got))])
                                or near(seen[1:], [k / total for k in range(len(got) - 1)])):
        return ("The first batch ran with the value from before the schedule started: set the hyper-parameters "
                "before each training batch, not after it (one batch too late).")
    if near(seen, [it / n_iter for _, it, _ in got]):
        return ("The schedule restarts every epoch: the position is the progress over the whole fit "
                "(learn.pct_train), not the batch number within the epoch.")
    if near(seen, [ep / n_epoch for ep, _, _ in got]):
        return ("The value only changes once per epoch: the position is the share of all training batches done "
                "(learn.pct_train), not the share of epochs.")
    return "Before each training batch, set each scheduled hyper-parameter to its schedule's value at learn.pct_train."


# ----------------------------------------------------------------------------------------------------------------
# 5. valley
# ----------------------------------------------------------------------------------------------------------------

def valley_on(fn: Callable, lrs: Any, losses: Any, num_it: int) -> Any:
    """Probe: fn(lrs, losses, num_it), and whether the inputs were left as they were."""
    before = (lrs.clone(), losses.clone())
    out = call(fn, lrs, losses, num_it)
    return {"out": out, "inputs_kept": bool((lrs == before[0]).all() and (losses == before[1]).all())}


def _finder_curves() -> list[tuple[str, Any, Any]]:
    """LR-finder-like curves (float64 tensors, already trimmed like `suggest` does), some noisy, some with ties."""
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
    step[30:40] = step[30]  # a plateau in the middle of the slope: equal losses are not a decrease
    out.append(("a curve with a plateau", lrs, step))
    rounded = (base * 20).round() / 20  # many ties
    out.append(("a curve with many equal losses", lrs, rounded))
    short = torch.logspace(-6, 0, 20, dtype=torch.float64)
    out.append(("a short curve", short, torch.tensor([2.0, 2.1, 1.9, 1.8, 1.85, 1.6, 1.5, 1.2, 1.3, 1.0, 0.9, 0.95,
                                                        0.7, 0.8, 0.9, 1.5, 2.5, 4.0, 8.0, 20.0],
                                                       dtype=torch.float64)))
    twin = torch.logspace(-6, 0, 16, dtype=torch.float64)  # two stretches of the same length: the first one wins
    out.append(("a curve with two equally long slopes", twin,
                torch.tensor([5.0, 4.0, 3.0, 2.0, 1.0, 6.0, 7.0, 8.0, 9.0, 4.5, 3.5, 2.5, 1.5, 0.5, 9.0, 9.5],
                             dtype=torch.float64)))
    return out


@check(points=2, timeout=10)
def valley(student: Callable) -> None:
    """Your `valley(lrs, losses, num_it)` suggests the same lr and point as the reference."""
    ref = _ref()
    for label, lrs, losses in _finder_curves():
        called = f"valley(lrs, losses, 100) on {label}"
        with labelled(called):
            got = probe(valley_on, student, lrs, losses, 100)
        exp = ref.valley(lrs, losses, 100)
        out = got["out"]
        if not (isinstance(out, tuple) and len(out) == 2 and isinstance(out[1], tuple) and len(out[1]) == 2):
            fail("wrong kind of result", called=called, expected="<(lr, (lr, loss)): a tuple of the suggested lr and "
                 "the point to mark, itself a tuple>", got=out)
        for part, value in (("the lr", out[0]), ("the point's lr", out[1][0]), ("the point's loss", out[1][1])):
            expect_type(value, float, "a float", called=f"{called}: {part}",
                        hint="Return plain Python floats (convert tensor elements with float(...)).")
        if not got["inputs_kept"]:
            fail("the loss curve was changed", called=called,
                 hint="valley must not modify the tensors it is given: the finder plots them afterwards.")
        expect_close(out, exp, rtol=1e-9, atol=0, called=called, hint=_valley_hint(lrs, losses, out, exp))


def _valley_hint(lrs: Any, losses: Any, got: Any, exp: Any) -> str:
    idx = int((lrs - float(got[0])).abs().argmin())
    exp_idx = int((lrs - float(exp[0])).abs().argmin())
    if idx == int(losses.argmin()):
        return "That is the lowest loss; valley picks a point a good way down the longest decreasing stretch instead."
    if abs(idx - exp_idx) == 1:
        return ("Off by one point. Check three things: where the stretch starts (counted back from its end by the "
                "length of the run), which end wins a tie (the first one), and how the index is rounded (each "
                "part rounded down on its own).")
    return ("A run counts the points of the longest strictly decreasing sequence ending at a point, where the points "
            "need not be neighbours (compare with every earlier point, not only the one before); equal losses do "
            "not count as a decrease.")
