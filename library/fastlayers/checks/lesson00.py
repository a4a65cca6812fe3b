"""Checks for exercise 00 (setup): four small pieces that teach how checks work.

Each check runs a probe (a module-level function) on the student's piece, where it lives, and judges the plain
answers here against values computed in this module. Hints name the idea, never the code.
"""
from __future__ import annotations

import math
import random
from typing import Any, Callable

from fastlayers.checks.framework import (attempt, check, expect_count, expect_equal, expect_true, expect_type, fail,
                                         labelled, probe)
from fastlayers.checks.failure import NOT_WRITTEN

__all__ = ["square", "evens", "check_probability", "averager"]


def outcome(fn: Callable, *args: Any) -> dict:
    """Inside a probe: what fn(*args) did, as plain data (a raised exception becomes its class names and message)."""
    from fastlayers.checks.bridge import Raised
    out = attempt(fn, *args)
    if isinstance(out, Raised):
        return {"raised": out.type, "kinds": list(out.kinds), "message": out.message[:300], "where": out.where}
    return {"value": out, "type": type(out).__name__}


def raised_text(o: dict) -> str:
    return f"<raised {o['raised']}: {o['message']}>" if o.get("message") else f"<raised {o['raised']}>"


def _fail_on_raise(o: dict, called: str, expected: Any, hint: str = "") -> None:
    if "raised" in o:
        fail(f"raised {o['raised']}", called=called, expected=expected, got=raised_text(o), where=o.get("where", ""),
             hint=NOT_WRITTEN if o["raised"] == "NotImplementedError" else
             hint or "This input is allowed: the function should return a result for it, not raise.")


def outcomes(fn: Callable, cases: list) -> list:
    """Probe: what fn did on each case (a value, or the exception it raised)."""
    return [outcome(fn, *c) for c in cases]


# ----------------------------------------------------------------------------------------------------------------
# 1. square
# ----------------------------------------------------------------------------------------------------------------

def _square_cases() -> list:
    rng = random.Random()  # fresh values every run: the answers must be computed, not remembered
    fixed = [3, -4, 0, 1, 12345678901, 2.5, -0.5, 1e-3]
    return [(x,) for x in fixed + [rng.randint(-10**6, 10**6), round(rng.uniform(-100, 100), 3)]]


@check(points=1, timeout=10)
def square(student: Callable) -> None:
    """`square(x)` is x times itself: an int for an int, a float for a float, element by element for a tensor."""
    import torch
    for (x,) in _square_cases():  # one call at a time: a wrong power of a large number can take very long
        called = f"square({x!r})"
        want = x * x
        o = probe(outcomes, student, [(x,)])
        expect_count(o, 1, called)
        o = o[0]
        _fail_on_raise(o, called, want, hint=XOR_HINT if "^" in o.get("message", "") else "")
        value = o["value"]
        if value is None:
            fail("returned None", called=called, expected=want, got=None, hint=NONE_HINT)
        kind = int if isinstance(x, int) else float
        expect_type(value, kind, f"an {kind.__name__}" if kind is int else "a float", called=called,
                    hint="For a whole number the square is a whole number too: keep it an int (some ways of taking "
                         "a power always give a float)." if kind is int else "Return a plain Python number.")
        expect_true(math.isclose(value, want, rel_tol=1e-12, abs_tol=0), "wrong result", called=called,
                    expected=want, got=value, hint=_square_hint(x, value))
    t = torch.tensor([[1.0, -2.0], [3.0, 0.5]])
    o = probe(outcomes, student, [(t,)])
    called = "square(tensor([[1.0, -2.0], [3.0, 0.5]]))"
    expect_count(o, 1, called)
    _fail_on_raise(o[0], called, t * t, hint=TENSOR_HINT)
    expect_equal(o[0]["value"], t * t, called=called, hint=TENSOR_HINT)


NONE_HINT = ("The function gave back None: it computes (or prints) the value but never returns it. A function "
             "without a return statement returns None.")
TENSOR_HINT = ("The same arithmetic works on a tensor, one element at a time: avoid anything that only accepts a "
               "single number (such as float(x) or the math module).")
XOR_HINT = "In Python `^` is bitwise exclusive-or, not a power: Python writes powers with two stars."


def _square_hint(x: Any, got: Any) -> str:
    try:
        g = float(got)
    except (TypeError, ValueError):
        return "Return the square of x (x multiplied by itself)."
    if math.isclose(g, 2 * x):
        return "That is x times two. The square is x multiplied by itself."
    if isinstance(x, int) and g == (x ^ 2):
        return XOR_HINT
    if 0 < x < 100 and math.isclose(g, float(x) ** x, rel_tol=1e-9):
        return "That raises x to the power x; the square raises it to the power 2."
    if x < 0 and math.isclose(g, -x * x):
        return "A negative number squared is positive: (-4) squared is 16."
    return "Return the square of x (x multiplied by itself)."


# ----------------------------------------------------------------------------------------------------------------
# 2. evens
# ----------------------------------------------------------------------------------------------------------------

def evens_on(fn: Callable, xs: list) -> dict:
    """Probe: fn(xs), whether it returned the very list it got, and the list afterwards."""
    o = outcome(fn, xs)
    if "value" in o:
        o["same_object"] = o["value"] is xs
        if not isinstance(o["value"], list):
            o["value"] = f"<a {type(o['value']).__name__}>"
    o["after"] = list(xs)
    return o


def _evens_cases() -> list:
    rng = random.Random()
    cases = [[1, 2, 4, 3, 5, 6], [], [0], [7, 9, 11], [2, 4, 8], [-3, -2, -1, 0, 1, 2], [4, 4, 3, 3, 2, 2],
             [10, 1, 8, 3, 6], [10**17 + 1, 10**17 + 2, 3]]
    cases.append([rng.randint(-50, 50) for _ in range(rng.randint(5, 15))])
    return cases


@check(points=1, timeout=10)
def evens(student: Callable) -> None:
    """`evens(xs)` is a new list of the even numbers of xs, in their order, duplicates kept; xs is left unchanged."""
    for xs in _evens_cases():
        called = f"evens({xs!r})"
        want = [x for x in xs if x % 2 == 0]
        o = probe(evens_on, student, xs)
        _fail_on_raise(o, called, want)
        if not isinstance(o["value"], list):
            fail("wrong type of result", called=called, expected=f"<a list: {want!r}>", got=o["value"],
                 hint="Return a list (a list comprehension builds one), not a generator, set or other container.")
        if o["after"] != xs:
            fail("the list it was given was changed", called=called, expected=f"<xs still {xs!r}>",
                 got=f"<xs now {o['after']!r}>",
                 hint="Build a new list and leave the caller's list alone: they may still need it.")
        if o["same_object"] and want:
            fail("returned the list it was given, not a new one", called=called, expected=want, got=o["value"],
                 hint="Return a new list, so that changing the result later can't change the caller's list.")
        if o["value"] != want:  # exact: large ints must not be compared as floats
            hint = _evens_hint(xs, o["value"])
            expect_equal(o["value"], want, called=called, hint=hint)
            fail("wrong result", called=called, expected=want, got=o["value"], hint=hint)


def _evens_hint(xs: list, got: list) -> str:
    want = [x for x in xs if x % 2 == 0]
    if got == [x for x in want if x > 0]:
        return "Zero and negative even numbers are even too."
    if got == [x for x in xs if x % 2]:
        return "These are the odd numbers: a number is even when dividing it by 2 leaves no remainder."
    if got == xs[::2] or got == xs[1::2]:
        return "Keep numbers by their value, not by their position in the list."
    if got == sorted(set(want)) or got == sorted(want):
        return "Keep the even numbers in the order they come in, and keep repeated ones."
    if any(abs(x) > 2**53 for x in xs):
        return ("Very large whole numbers lose digits when turned into floats (e.g. by dividing with /): test "
                "evenness with whole-number arithmetic.")
    return "Keep every even number of xs (and only those), in their order."


# ----------------------------------------------------------------------------------------------------------------
# 3. check_probability
# ----------------------------------------------------------------------------------------------------------------

_GOOD = (0, 1, 0.5, 0.0, 1.0, 1e-12, 0.999999, 0.25)
_BAD = (-0.1, 1.5, 2, -1, 1.000001, float("nan"), float("inf"), float("-inf"), -1e-12)


@check(points=1, timeout=10)
def check_probability(student: Callable) -> None:
    """`check_probability(p)` returns p as a float when 0 <= p <= 1 and raises a ValueError naming p otherwise."""
    rng = random.Random()
    good = list(_GOOD) + [round(rng.random(), 6)]
    bad = list(_BAD) + [round(1 + rng.uniform(0.01, 5), 3), round(-rng.uniform(0.01, 5), 3)]
    got = probe(outcomes, student, [(p,) for p in good + bad])
    expect_count(got, len(good) + len(bad), "check_probability")
    for p, o in zip(good, got[:len(good)]):
        called = f"check_probability({p!r})"
        _fail_on_raise(o, called, float(p))
        expect_type(o["value"], float, "a float", called=called,
                    hint="Return the probability as a float, also when it was given as the int 0 or 1.")
        expect_equal(o["value"], float(p), called=called, hint="A valid probability comes back unchanged (as a "
                                                               "float). 0 and 1 are valid probabilities.")
    for p, o in zip(bad, got[len(good):]):
        called = f"check_probability({p!r})"
        if "raised" not in o:
            fail("did not raise", called=called, expected="<raises ValueError>", got=o["value"],
                 hint=_no_raise_hint(p))
        if o["raised"] == "NotImplementedError":
            fail("raised NotImplementedError", called=called, expected="<raises ValueError>", got=raised_text(o),
                 hint=NOT_WRITTEN)
        if "ValueError" not in o["kinds"]:
            fail(f"raised {o['raised']}, not ValueError", called=called, expected="<raises ValueError>",
                 got=raised_text(o), where=o.get("where", ""),
                 hint="A value outside the allowed range is a ValueError (an assert can be switched off, and a "
                      "TypeError means a value of the wrong type).")
        if str(p) not in o["message"]:
            fail("raised, but the message does not say which value was wrong", called=called,
                 expected=f"<ValueError whose message contains {str(p)!r}>", got=raised_text(o),
                 hint="Put the value itself in the message (an f-string does it), so whoever reads the error knows "
                      "what they passed.")


def _no_raise_hint(p: float) -> str:
    if math.isnan(p):
        return ("NaN (not a number) is not a probability, but every comparison with NaN is False, so a test for "
                "'below 0 or above 1' lets it through. Test that p lies inside the range instead.")
    if p in (1.000001, -1e-12):
        return "The range includes its ends 0 and 1 but nothing beyond them, however slightly."
    return "Values below 0 or above 1 are not probabilities: raise a ValueError for them."


# ----------------------------------------------------------------------------------------------------------------
# 4. Averager
# ----------------------------------------------------------------------------------------------------------------

def averager_run(cls: type, script: list) -> list:
    """Probe: run `script` ([instance number, method, args...] steps) on instances of `cls` made when first used."""
    made: dict = {}
    out = []
    for inst, method, *args in script:
        if inst not in made:
            o = outcome(cls)
            if "raised" in o:
                return out + [dict(o, step="Averager()")]
            made[inst] = o["value"]
        o = outcome(getattr(made[inst], method), *args)
        if method == "add":
            o.pop("value", None)  # what add returns is not part of the statement
            o.pop("type", None)
        out.append(o)
    return out


class _Mean:
    """What an Averager should say (the check's own model of the statement)."""

    def __init__(self):
        self.sums, self.ns = 0.0, 0

    def step(self, method: str, *args: Any) -> Any:
        if method == "add":
            value, n = (args + (1,))[:2]
            self.sums, self.ns = self.sums + value * n, self.ns + n
            return None
        return "ValueError" if self.ns == 0 else self.sums / self.ns


_SCRIPTS = (
    ("mean before any value", [[0, "mean"]]),
    ("one value", [[0, "add", 3.0], [0, "mean"]]),
    ("a fresh averager after another was used", [[0, "add", 5.0, 4], [0, "mean"], [1, "mean"]]),
    ("values of one item each", [[0, "add", 1], [0, "add", 2], [0, "mean"], [0, "add", 6], [0, "mean"]]),
    ("batches of different sizes", [[0, "add", 2.0, 1], [0, "add", 4.0, 3], [0, "mean"], [0, "mean"]]),
    ("whole numbers whose mean is not whole", [[0, "add", 1, 1], [0, "add", 2, 1], [0, "mean"]]),
    ("whole numbers whose mean is whole", [[0, "add", 2], [0, "add", 4], [0, "mean"]]),
    ("two averagers at once", [[0, "add", 10.0, 2], [1, "add", 1.0, 1], [1, "mean"], [0, "mean"], [1, "add", 3.0, 1],
                               [1, "mean"], [0, "mean"]]),
    ("negative values", [[0, "add", -1.5, 2], [0, "add", 0.5, 2], [0, "mean"]]),
)


def _random_script() -> tuple:
    rng = random.Random()
    steps = []
    for _ in range(rng.randint(4, 9)):
        steps.append([0, "add", round(rng.uniform(-10, 10), 3), rng.randint(1, 64)])
        if rng.random() < 0.4:
            steps.append([0, "mean"])
    return ("random batches", steps + [[0, "mean"]])


def _show_script(script: list, upto: int) -> str:
    names = "ab"
    parts = []
    for inst, method, *args in script[:upto + 1]:
        parts.append(f"{names[inst]}.{method}({', '.join(repr(a) for a in args)})")
    text = "; ".join(parts)
    return text if len(text) < 400 else "...; " + "; ".join(parts[-4:])


@check(points=2, timeout=10)
def averager(Averager: type) -> None:
    """`Averager` keeps the mean of values added in batches; `mean()` is a float, and raises before any value."""
    earlier: list = []  # the add steps of the scripts already run (on other instances)
    for label, script in _SCRIPTS + (_random_script(),):
        models: dict = {}
        with labelled(f"Averager on {label}"):
            got = probe(averager_run, Averager, script)
        if isinstance(got, list) and got and isinstance(got[-1], dict) and got[-1].get("step") == "Averager()":
            o = got[-1]
            fail(f"Averager() raised {o.get('raised')}", called="Averager()", got=raised_text(o),
                 where=o.get("where", ""), hint=NOT_WRITTEN if o.get("raised") == "NotImplementedError" else
                 "Creating an Averager takes no arguments and must not fail.")
        expect_count(got, len(script), f"Averager on {label}")
        for i, ((inst, method, *args), o) in enumerate(zip(script, got)):
            two = any(step[0] == 1 for step in script[:i + 1])
            called = f"a = Averager(); {'b = Averager(); ' if two else ''}{_show_script(script, i)}"
            model = models.setdefault(inst, _Mean())
            want = model.step(method, *args)
            if method == "add":
                _fail_on_raise(o, called, "<no exception>")
                continue
            if want == "ValueError":
                if "raised" not in o:
                    fail("did not raise", called=called, expected="<raises ValueError>", got=o.get("value"),
                         hint=SHARED_HINT if inst == 1 else
                         "With nothing added yet there is no mean: raise a ValueError rather than return a number "
                         "that looks like a real mean. (If yours does raise then, this Averager was not empty when "
                         "it was made: keep the numbers on the instance, set in __init__, not on the class.)")
                if "ValueError" not in o["kinds"]:
                    fail(f"raised {o['raised']}, not ValueError", called=called, expected="<raises ValueError>",
                         got=raised_text(o), where=o.get("where", ""),
                         hint=NOT_WRITTEN if o["raised"] == "NotImplementedError" else
                         "Asking for the mean before any value is a ValueError (raise it yourself, with a message "
                         "that says nothing was added yet).")
                continue
            _fail_on_raise(o, called, want)
            expect_type(o["value"], float, "a float", called=called,
                        hint="mean() returns a float, also when the values are whole numbers.")
            expect_true(math.isclose(o["value"], want, rel_tol=1e-9, abs_tol=1e-12), "wrong mean", called=called,
                        expected=want, got=o["value"], hint=_averager_hint(script, i, o["value"], earlier))
        earlier += [step for step in script if step[1] == "add"]


SHARED_HINT = ("b is a new Averager, yet it already holds values: the two averagers share their numbers. Keep the "
               "running numbers on each instance (set them in __init__), not on the class.")


def _weighted(steps: list) -> tuple[list, list, float | None]:
    values = [s[2] for s in steps]
    ns = [s[3] if len(s) > 3 else 1 for s in steps]
    return values, ns, (sum(v * n for v, n in zip(values, ns)) / sum(ns) if ns else None)


def _averager_hint(script: list, upto: int, got: float, earlier: list) -> str:
    inst = script[upto][0]
    mine = [s for s in script[:upto + 1] if s[0] == inst]
    steps = [s for s in mine if s[1] == "add"]
    values, ns, _ = _weighted(steps)
    everything = _weighted(earlier + [s for s in script[:upto + 1] if s[1] == "add"])[2]
    if earlier and everything is not None and math.isclose(got, everything, rel_tol=1e-9):
        return ("This Averager was just made, yet its mean includes values added to earlier Averagers: they share "
                "their numbers. Keep them on each instance (set them in __init__), not on the class.")
    means = [i for i, s in enumerate(mine[:-1]) if s[1] == "mean"]
    if means:
        _, _, since = _weighted([s for s in mine[means[-1]:] if s[1] == "add"])
        if since is not None and math.isclose(got, since, rel_tol=1e-9):
            return "Asking for the mean must not change what was added: mean() can be called many times."
    if values and math.isclose(got, sum(values) / len(values), rel_tol=1e-9):
        return ("That is the plain mean of the values added. Each value is the mean of a batch of n items, so it "
                "counts n times.")
    if values and math.isclose(got, sum(v * n for v, n in zip(values, ns)) / len(values), rel_tol=1e-9):
        return "Each call adds n items, not one: count the items, not the calls."
    exact = sum(v * n for v, n in zip(values, ns)) / sum(ns) if ns else 0.0
    if values and got == math.floor(exact) and got != exact:
        return "The mean was rounded down to a whole number: use true division, which keeps the fraction."
    if values and math.isclose(got, values[-1], rel_tol=1e-9):
        return "Only the last batch counts: add each new batch to what came before instead of replacing it."
    if len({s[0] for s in script[:upto + 1]}) > 1:
        return SHARED_HINT.replace("b is a new Averager, yet it already holds values", "a and b mix their values")
    return "mean() is the mean of every item added so far: each batch counts as many times as it has items."
