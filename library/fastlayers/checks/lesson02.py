"""Checks for exercise 02 (transforms and pipelines): Transform, Pipeline, Normalize, Categorize.

Each check sends its cases to a probe (a module-level function) that builds and runs the student's class where it
lives, and sends the same cases to the same probe on the reference class; both answers come back as plain data
and are judged here. A probe only reports what the code did (results, exceptions, the inputs afterwards); every
verdict is taken in the check. Hints name the idea and the failing case, never the code.
"""
from __future__ import annotations

import math
import random
from types import MappingProxyType
from typing import Any

from fastlayers.checks.failure import Shown
from fastlayers.checks.framework import (NOT_WRITTEN, Raised, attempt, check, expect_close, expect_count,
                                         expect_equal, fail, first_difference, probe)

__all__ = ["transform", "pipeline", "normalize", "categorize"]

ABSENT = "<not passed>"  # an argument the case leaves out


def _core():
    # Imported when a check runs, so `fastlayers.checks` stays cheap to import.
    import fastlayers.core as core
    return core


# ----------------------------------------------------------------------------------------------------------------
# Shared: answers as plain data (inside probes) and reading them back (in the check)
# ----------------------------------------------------------------------------------------------------------------

def _run(fn: Any, *args: Any, **kwargs: Any) -> tuple[Any, list | None]:
    """Inside a probe: (result, None), or (None, the exception as plain data) when the call raised."""
    out = attempt(fn, *args, **kwargs)
    if isinstance(out, Raised):
        return None, ["raised", out.type, list(out.kinds), out.message[:300], out.where]
    return out, None


def _answer(fn: Any, *args: Any, **kwargs: Any) -> list:
    """Inside a probe: ["ok", result], or the exception as plain data."""
    value, err = _run(fn, *args, **kwargs)
    return err or ["ok", value]


def _done(fn: Any, *args: Any, **kwargs: Any) -> list:
    """Inside a probe: ["ok", None] when the call returned (its result is not graded), else the exception."""
    _, err = _run(fn, *args, **kwargs)
    return err or ["ok", None]


def _read(obj: Any, name: str) -> list:
    """Inside a probe: ["ok", obj.name], or ["missing"] when there is no such attribute."""
    return ["ok", getattr(obj, name)] if hasattr(obj, name) else ["missing"]


def _raised(out: Any) -> bool:
    return isinstance(out, list) and len(out) == 5 and out[0] == "raised"


def _raised_text(out: list) -> str:
    return f"<raised {out[1]}: {out[3]}>" if out[3] else f"<raised {out[1]}>"


def _value(out: Any, called: str, hint: str = "") -> Any:
    """The result an answer carries; the check fails when the call raised or the answer is malformed."""
    if _raised(out):
        kinds = out[2] if isinstance(out[2], list) else []
        fail(f"raised {out[1]}", called=called, expected="<a result, no exception>", got=_raised_text(out),
             where=str(out[4]), hint=NOT_WRITTEN if "NotImplementedError" in kinds else hint)
    if not (isinstance(out, list) and len(out) == 2 and out[0] == "ok"):
        fail("the answers do not match the questions", called=called, got=out)
    return out[1]


def _field(answer: Any, key: str, called: str) -> Any:
    """answer[key], after checking that the probe answered a dict with that key."""
    if not isinstance(answer, dict) or key not in answer:
        fail("the answers do not match the questions", called=called, expected=f"<an answer with {key!r}>",
             got=f"<a {type(answer).__name__}>")
    return answer[key]




def _same(a: Any, b: Any) -> bool:
    return first_difference(a, b, same_type=True) is None


def _close(a: Any, b: Any, rtol: float = 1e-5, atol: float = 1e-7) -> bool:
    return first_difference(a, b, rtol=rtol, atol=atol, same_type=True) is None


def _show(x: Any) -> str:
    """A short text for a case value (tensors by their class and values)."""
    import torch
    if isinstance(x, torch.Tensor):
        return f"{type(x).__name__}({x.tolist()})" if x.numel() <= 8 else f"<{type(x).__name__} of shape " \
                                                                           f"{tuple(x.shape)}>"
    if isinstance(x, tuple):
        inner = ", ".join(_show(o) for o in x)
        return f"({inner},)" if len(x) == 1 else f"({inner})"
    if isinstance(x, list):
        return "[" + ", ".join(_show(o) for o in x) + "]"
    if isinstance(x, float):
        return f"{x:.6g}" if "e" in f"{x:.6g}" or "." in f"{x:.6g}" else f"{x:.6g}.0"
    return repr(x)


# ----------------------------------------------------------------------------------------------------------------
# 1. Transform
# ----------------------------------------------------------------------------------------------------------------

# (no annotations: the reference Transform picks a function by its argument's annotation)
def _double(x):
    return x * 2


def _halve(x):
    return x / 2


def _negate(x):
    return -x


def _kind_of(x):
    return type(x).__name__


_FUNCS = MappingProxyType({"double": _double, "halve": _halve, "negate": _negate, "kind_of": _kind_of})


def _subclass(cls: type, enc: str | None, dec: str | None, class_split: Any) -> type:
    """A subclass of `cls` with encodes/decodes methods (only those named) and maybe a class-level split_idx."""
    f, g = _FUNCS.get(enc or ""), _FUNCS.get(dec or "")

    class Sub(cls):
        if f is not None:
            def encodes(self, x):
                return f(x)
        if g is not None:
            def decodes(self, x):
                return g(x)
        if class_split != ABSENT:
            split_idx = class_split
    return Sub


def _with_init(cls: type) -> type:
    """A subclass with its own __init__ (no enc, dec or split_idx passed on) and state used by its methods."""
    class AddK(cls):
        def __init__(self, k):
            super().__init__()
            self.k = k

        def encodes(self, x):
            return x + self.k

        def decodes(self, x):
            return x - self.k
    return AddK


def _make_transform(cls: type, spec: tuple) -> Any:
    kind = spec[0]
    if kind == "functions":
        _, enc, dec, split = spec
        kwargs = {}
        if enc:
            kwargs["enc"] = _FUNCS[enc]
        if dec:
            kwargs["dec"] = _FUNCS[dec]
        if split != ABSENT:
            kwargs["split_idx"] = split
        return cls(**kwargs)
    if kind == "subclass":
        _, enc, dec, class_split, ctor_split = spec
        sub = _subclass(cls, enc, dec, class_split)
        return sub() if ctor_split == ABSENT else sub(split_idx=ctor_split)
    if kind == "with_init":
        return _with_init(cls)(spec[1])
    raise ValueError(f"unknown transform spec {spec!r}")


def _invoke(t: Any, method: str, x: Any, how: Any) -> Any:
    """t(x) or t.decode(x), with split_idx left out, given by keyword, or given by position."""
    fn = t if method == "call" else t.decode
    if how == ABSENT:
        return fn(x)
    if how[0] == "kw":
        return fn(x, split_idx=how[1])
    return fn(x, how[1])


def transform_answers(cls: type, scenarios: list) -> list:
    """Probe: for each scenario build its transforms (in order), then make its calls; report results and inputs."""
    out = []
    for specs, calls in scenarios:
        built, err = [], None
        for spec in specs:
            t, err = _run(_make_transform, cls, spec)
            if err:
                break
            built.append(t)
        if err:
            out.append({"built": err})
            continue
        results, after = [], []
        for i, method, x, how in calls:
            results.append(_answer(_invoke, built[i], method, x, how))
            after.append(x)
        out.append({"built": ["ok", None], "results": results, "inputs_after": after})
    return out


_WORDS = MappingProxyType({"double": "doubles", "halve": "halves", "negate": "negates",
          "kind_of": "returns the name of its argument's type"})


def _spec_text(spec: tuple, name: str) -> str:
    kind = spec[0]
    if kind == "functions":
        _, enc, dec, split = spec
        args = ([f"enc={enc}"] if enc else []) + ([f"dec={dec}"] if dec else []) + \
               ([f"split_idx={split!r}"] if split != ABSENT else [])
        text = f"{name} = Transform({', '.join(args)})"
        return text + ("   (kind_of(x) is the name of x's type)" if "kind_of" in (enc, dec) else "")
    if kind == "subclass":
        _, enc, dec, class_split, ctor_split = spec
        parts = [f"encodes {_WORDS[enc]}" if enc else "no encodes", f"decodes {_WORDS[dec]}" if dec else "no decodes"]
        if class_split != ABSENT:
            parts.append(f"class attribute split_idx = {class_split!r}")
        ctor = "" if ctor_split == ABSENT else f"split_idx={ctor_split!r}"
        return f"{name} = Sub({ctor}) with Sub a subclass of Transform: {', '.join(parts)}"
    return (f"{name} = AddK({spec[1]!r}) with AddK a subclass of Transform whose __init__(self, k) calls "
            f"super().__init__() then sets self.k; encodes adds k, decodes subtracts it")


def _call_text(name: str, method: str, x: Any, how: Any) -> str:
    fn = name if method == "call" else f"{name}.decode"
    if how == ABSENT:
        return f"{fn}({_show(x)})"
    return f"{fn}({_show(x)}, split_idx={how[1]!r})" if how[0] == "kw" else f"{fn}({_show(x)}, {how[1]!r})"


def _own_split(spec: tuple) -> Any:
    if spec[0] == "functions":
        return None if spec[3] == ABSENT else spec[3]
    if spec[0] == "subclass":
        if spec[4] != ABSENT:
            return spec[4]
        return None if spec[3] == ABSENT else spec[3]
    return None


def _functions(spec: tuple) -> tuple:
    """The functions a spec encodes and decodes with (None: passes its input through)."""
    if spec[0] in ("functions", "subclass"):
        return _FUNCS.get(spec[1] or ""), _FUNCS.get(spec[2] or "")
    k = spec[1]
    return (lambda x: x + k), (lambda x: x - k)


def _try(f: Any, x: Any) -> Any:
    try:
        return f(x)
    except Exception:  # noqa: BLE001  only used to name a mistake
        return Raised("", [], "")


_SPLIT_HINT = ("A transform whose split_idx is set acts only when it is called with that same split_idx; called "
               "with another one, or with none, it returns its input unchanged. `decode` follows the same rule.")


def _transform_hint(spec: tuple, method: str, x: Any, how: Any, got: Any, expected: Any) -> str:
    """Name the usual mistake behind a wrong transform result."""
    enc, dec = _functions(spec)
    f = enc if method == "call" else dec
    own, asked = _own_split(spec), (None if how == ABSENT else how[1])
    if isinstance(x, tuple) and isinstance(got, list):
        return "A tuple comes back as a tuple (a list would be taken as one item by the next step)."
    if own is not None and asked != own:
        if own == 0 and asked is None:
            return _SPLIT_HINT + " split_idx=0 is a split like 1 (the training set); only None means every split."
        return _SPLIT_HINT
    if own is not None and _same(got, x):
        if own == 0:
            return "split_idx=0 is a split like 1 (the training set): called with split_idx=0, this transform acts."
        return "Called with its own split_idx, the transform acts."
    if own is None and _same(got, x) and not _same(expected, x):
        return ("This transform has no split_idx (neither from its constructor nor from its class), so it acts on "
                "every call, whatever split_idx it is given. Each transform keeps its own split_idx, on the "
                "instance: setting it on the class would change every other transform too.")
    if method == "decode" and enc is not None and _same(got, _try(_apply_each(enc), x)):
        return "decode applies decodes (the way back), not encodes."
    if f is not None and _same(got, _try(_apply_each(lambda o: type(o)(f(o))), x)):
        return "Return exactly what the function returns, without converting it back to the input's type."
    if any(g is not f and _same(got, _try(_apply_each(g), x)) for g in _FUNCS.values()):
        return ("Another transform's function was used: each transform keeps its own functions and split_idx, on "
                "the instance (state kept on the class is shared by every transform).")
    if f is None and not _same(got, x):
        return ("Nothing was given for this direction, so it must return its input unchanged (the class's own "
                "method does nothing).")
    if f is not None and _same(got, _try(f, x)) and isinstance(x, tuple):
        return "The function got the whole tuple; a tuple's elements are processed one by one."
    if isinstance(x, tuple) and any(isinstance(o, tuple) for o in x):
        return ("Only the outer tuple is split into elements: an element that is itself a tuple is passed whole to "
                "the function.")
    if isinstance(x, (list, str)):
        return f"A {type(x).__name__} is one item, passed whole to the function (only tuples are split)."
    if spec[0] == "with_init":
        return ("A subclass may write its own __init__ and call the parent's with no arguments: then the class's "
                "own encodes and decodes must stay in place.")
    return "Call encodes on the item (or on each element of a tuple) and return exactly what it returns."


def _apply_each(f: Any) -> Any:
    return lambda x: tuple(f(o) for o in x) if isinstance(x, tuple) else f(x)


def _transform_scenarios(rng: random.Random) -> list:
    import torch
    from fastlayers.core import TensorImage
    a, b = rng.randint(-40, 40), round(rng.uniform(-9, 9), 3)
    vec, img = torch.tensor([1.0, -2.0, 0.5]), TensorImage(torch.tensor([[0.5, 2.0]]))
    nested, mixed = ((1, 2), 3), (1.5, "xy", [7])
    for_double = (3, -2.5, a, b, "ab", [1, 2], vec, (3, 4), mixed, (), (7,), nested, (vec, 5, 0.5))
    for_halve = (3, -2.5, 0, b, vec, (3, 4), (vec, 5, 0.5), (a,), ())
    splits = (ABSENT, ("kw", 0), ("pos", 1), ("kw", None))

    def calls(idx, method, items, hows=(ABSENT,)):
        return [(idx, method, x, h) for x in items for h in hows]

    fn = ("functions", "double", "halve", ABSENT)
    scenarios = [
        ((fn,), calls(0, "call", for_double) + calls(0, "call", (3, (3, 4)), splits[1:]) +
         calls(0, "decode", for_halve) + calls(0, "decode", ((3, 4),), splits[1:])),
        ((("functions", "kind_of", None, ABSENT),),
         calls(0, "call", (3, "ab", [1, 2], vec, img, (3, [1], "x"), nested, (), ("ab",))) +
         calls(0, "decode", (3, (3, 4), [1, 2]))),
        ((("functions", None, "halve", ABSENT),), calls(0, "call", (3, (3, 4))) + calls(0, "decode", (3, (3, 4)))),
    ]
    for split in (0, 1):
        spec = ("functions", "double", "halve", split)
        scenarios.append(((spec,), calls(0, "call", (3, (3, 4), vec), splits + (("pos", 0), ("kw", 1))) +
                          calls(0, "decode", (3, (3, 4)), splits + (("pos", 0), ("kw", 1)))))
    scenarios += [
        ((("subclass", "double", "halve", ABSENT, ABSENT),),
         calls(0, "call", (3, (3, 4), "ab", [1, 2], b), (ABSENT, ("kw", 1))) + calls(0, "decode", (3, (3, 4), b))),
        ((("subclass", "kind_of", None, ABSENT, ABSENT),), calls(0, "call", (3, nested, [1])) +
         calls(0, "decode", (3, (3, 4)))),
        ((("subclass", "double", "halve", 0, ABSENT),), calls(0, "call", (3, (3, 4)), splits + (("pos", 0),)) +
         calls(0, "decode", (3,), splits + (("kw", 0),))),
        ((("subclass", "negate", "negate", 0, 1),), calls(0, "call", (3, (3, 4)), splits + (("kw", 1),)) +
         calls(0, "decode", (3,), (ABSENT, ("kw", 0), ("kw", 1)))),
        ((("with_init", 5),), calls(0, "call", (3, (3, 4), vec), (ABSENT, ("kw", 0))) +
         calls(0, "decode", (3, (3, 4)))),
        # two transforms of the same class: each keeps its own functions and split_idx
        ((("functions", "double", "halve", 0), ("functions", "negate", "negate", ABSENT)),
         calls(0, "call", (3,), (("kw", 0), ("kw", 1))) + calls(1, "call", (3, (3, 4)), (ABSENT, ("kw", 1))) +
         calls(0, "decode", (3,), (("kw", 0),)) + calls(1, "decode", (3,))),
        ((("functions", "negate", None, ABSENT), ("functions", "kind_of", "double", 1)),
         calls(0, "call", (3, (3, 4))) + calls(0, "decode", (3,)) + calls(1, "call", (3,), (("kw", 1),))),
    ]
    return scenarios


@check(points=3, timeout=10)
def transform(Transform: type) -> None:
    """Your `Transform` maps tuples element by element, decodes with `decodes`, and respects `split_idx`."""
    core = _core()
    scenarios = _transform_scenarios(random.Random())
    got = probe(transform_answers, Transform, scenarios)
    exp = probe(transform_answers, core.Transform, scenarios)
    expect_count(got, len(scenarios), "Transform")
    for (specs, calls), g, e in zip(scenarios, got, exp):
        names = ["t"] if len(specs) == 1 else [f"t{i + 1}" for i in range(len(specs))]
        setup = "\n".join(_spec_text(s, n) for s, n in zip(specs, names))
        _value(_field(g, "built", setup), setup,
               hint="Transform(enc=f, dec=g, split_idx=s) and subclasses (with or without their own __init__) must "
                    "both work.")
        results, after = _field(g, "results", setup), _field(g, "inputs_after", setup)
        expect_count(results, len(calls), setup)
        expect_count(after, len(calls), setup)
        for (i, method, x, how), r, er, a in zip(calls, results, e["results"], after):
            called = f"{setup}\n{_call_text(names[i], method, x, how)}"
            value, expected = _value(r, called), er[1]
            if not _same(value, expected):
                expect_equal(value, expected, called=called, same_type=True,
                             hint=_transform_hint(specs[i], method, x, how, value, expected))
            if not _same(a, x):
                fail("the input was changed", called=called, expected=x, got=a,
                     hint="A transform returns new values; it must not modify the item it is given.")


# ----------------------------------------------------------------------------------------------------------------
# 2. Pipeline
# ----------------------------------------------------------------------------------------------------------------

# name: (order, split_idx, operation, constant). Learnt steps keep what they learn in `state`.
_STEPS = MappingProxyType({
    "AddOne": (5, None, "add", 1.0),
    "Square": (1, None, "square", None),
    "Halve": (5, None, "mul", 0.5),
    "Times3": (1, None, "mul", 3.0),
    "Negate": (-2, None, "mul", -1.0),
    "PlusTwo": (0, None, "add", 2.0),
    "Square0": (0, None, "square", None),
    "Triple0": (0, None, "mul", 3.0),
    "TrainShift": (3, 0, "add", 10.0),
    "ValidShift": (3, 1, "add", 100.0),
    "Scale": (1, None, "scale", None),
    "Center": (2, None, "center", None),
    "LateCenter": (4, None, "center", None),
})
_STEP_WORDS = MappingProxyType({"TrainShift": "+10, split_idx 0", "ValidShift": "+100, split_idx 1",
               "Scale": "divides by the largest |item| seen in setup", "Center": "subtracts the mean seen in setup",
               "LateCenter": "the same as Center"})
_CLASSES: dict = {}


def _forward(op: str, k: Any, state: Any, x: Any) -> Any:
    if op == "add":
        return x + k
    if op == "mul":
        return x * k
    if op == "square":
        return x ** 2
    return x / state if op == "scale" else x - state


def _backward(op: str, k: Any, state: Any, x: Any) -> Any:
    if op == "add":
        return x - k
    if op == "mul":
        return x / k
    if op == "square":
        return x ** 0.5
    return x * state if op == "scale" else x + state


def _step_class() -> type:
    """The reference transform behind every pipeline step (made once per process)."""
    if "Step" not in _CLASSES:
        from fastlayers.core import Transform

        class Step(Transform):
            def __init__(self, step, log):
                order, split, op, k = _STEPS[step]
                super().__init__(split_idx=split, order=order)
                self.step, self.log, self.op, self.k, self.state = step, log, op, k, None

            def setups(self, items):
                seen = [float(o) for o in items]
                self.log.append([self.step, seen])
                if self.op == "scale":
                    self.state = max(abs(v) for v in seen)
                elif self.op == "center":
                    self.state = sum(seen) / len(seen)

            def _ready(self):
                if self.op in ("scale", "center") and self.state is None:
                    raise RuntimeError(f"{self.step} was used before its setup")

            def encodes(self, x):
                self._ready()
                return _forward(self.op, self.k, self.state, x)

            def decodes(self, x):
                self._ready()
                return _backward(self.op, self.k, self.state, x)
        _CLASSES["Step"] = Step
    return _CLASSES["Step"]


def pipeline_answers(cls: type, cases: list) -> list:
    """Probe: per case build the steps, a pipeline of them, set it up, call and decode; report what happened."""
    Step = _step_class()
    out = []
    for names, split, items, inputs, decode_inputs in cases:
        log: list = []
        given = [Step(n, log) for n in names]
        steps = list(given)
        p, err = _run(cls, given) if split == ABSENT else _run(cls, given, split_idx=split)
        if err:
            out.append({"built": err})
            continue
        answer = {"built": ["ok", None], "setup": ["ok", None]}
        if items is not None:
            answer["setup"] = _done(p.setup, items)
        answer["items_after"] = items
        answer["log"] = log
        answer["states"] = [s.state for s in steps]
        answer["calls"] = [_answer(p, x) for x in inputs]
        answer["decodes"] = [_answer(p.decode, y) for y in decode_inputs]
        answer["given_after"] = [getattr(s, "step", "?") for s in given]
        out.append(answer)
    return out


def _pipeline_cases(rng: random.Random) -> list:
    import torch
    vec = torch.tensor([4.0, 1.5])
    r = round(rng.uniform(1, 5), 3)
    items = [2.0, 4.0, 6.0, 8.0, -3.0] + [round(rng.uniform(-9, 9), 3) for _ in range(3)]
    learnt = ("LateCenter", "AddOne", "Center", "TrainShift", "Scale")
    cases = [
        # none of these commute, so every wrong order shows
        (("AddOne", "Square", "Halve"), ABSENT, None, (4.0, 0.5, r, vec, (4.0, 2.0)),
         (12.5, 2.0, r + 1, torch.tensor([12.5, 3.0]), (12.5, 2.5))),
        # three steps with the same order, given out of alphabetical order, and a negative order
        (("PlusTwo", "Negate", "Square0", "Triple0"), ABSENT, None, (1.0, 3.0, -2.0, r), (48.0, 3.0, 12.0)),
        (("Square0", "Triple0", "PlusTwo"), ABSENT, None, (1.0, r), (11.0,)),
    ]
    for split in (None, 0, 1, ABSENT):
        cases.append((("TrainShift", "ValidShift", "Times3"), split, None, (1.0, (1.0, 2.0)), (39.0, (39.0, 306.0))))
    for split in (0, None, 1):
        cases.append((learnt, split, list(items), (6.0, -1.0, (2.0, 5.0)), (0.5, 12.0, (0.25, -1.0))))
    cases.append(((), ABSENT, [1.0, 2.0], (3.0, (1.0, 2.0)), (3.0,)))
    return cases


def _steps_text(names: tuple, split: Any) -> str:
    parts = []
    for n in names:
        order, _, _, _ = _STEPS[n]
        extra = f", {_STEP_WORDS[n]}" if n in _STEP_WORDS else ""
        parts.append(f"{n} (order {order}{extra})")
    tail = "" if split == ABSENT else f", split_idx={split!r}"
    return f"p = Pipeline([{', '.join(parts)}]{tail})"


def _simulate(names: list, x: float, split: Any, decode: bool = False) -> float:
    """Pure-Python run of stateless steps in the given order (used to name an ordering mistake)."""
    for n in names:
        order, own, op, k = _STEPS[n]
        if own is not None and own != split:
            continue
        x = (_backward if decode else _forward)(op, k, None, x)
    return x


def _order_hint(names: tuple, split: Any, x: Any, got: Any, decode: bool) -> str:
    ordered = sorted(names, key=lambda n: _STEPS[n][0])
    if not isinstance(x, float) or not isinstance(got, float) or \
            any(_STEPS[n][2] in ("scale", "center") for n in names):
        return ("Sort the transforms by order, lowest first, keeping the given order among equal orders; "
                "decode runs them backwards.")
    if decode:
        cands = [("in forward order", ordered), ("in the order given, backwards", list(reversed(names)))]
    else:
        cands = [("in the order given, without sorting", list(names)),
                 ("highest order first", sorted(names, key=lambda n: -_STEPS[n][0])),
                 ("with equal orders reversed", sorted(reversed(names), key=lambda n: _STEPS[n][0]))]
    s = None if split == ABSENT else split
    for label, seq in cands:
        try:
            if math.isclose(_simulate(seq, x, s, decode), got, rel_tol=1e-9, abs_tol=1e-12):
                if decode:
                    return (f"The decodes ran {label}: undo the steps in reverse (the last one applied is the "
                            "first one undone).")
                return (f"The transforms ran {label}. Sort them by order, lowest first; among equal orders keep "
                        "the order they were given in (a stable sort).")
        except (ArithmeticError, TypeError, ValueError):
            continue
    if s is not None and any(_STEPS[n][1] is not None for n in names):
        return ("Pass the pipeline's split_idx to every transform you call (and to every decode), so each "
                "decides whether it acts.")
    return ("Apply each transform to the result of the one before, in sorted order; decode undoes them in reverse "
            "order.")


def _setup_hint(items: list, got_log: list, exp_log: list) -> str:
    got_order, exp_order = [e[0] for e in got_log], [e[0] for e in exp_log]
    if sorted(map(str, got_order)) == sorted(exp_order) and got_order != exp_order:
        return "Set the transforms up one at a time in the pipeline's order (sorted by order), not the given order."
    if len(got_order) != len(exp_order) or sorted(map(str, got_order)) != sorted(exp_order):
        return "setup sets up every transform once (each one's setup), then they are all ready to use."
    for (name, seen), (_, want) in zip(got_log, exp_log):
        if _close(seen, want, 1e-9, 1e-9):
            continue
        if _close(seen, [float(o) for o in items], 1e-9, 1e-9):
            return (f"{name} learnt from the raw items. Each transform learns from the items as the transforms "
                    "before it leave them: set one up, apply it to the items, set the next one up on the result.")
        return (f"{name} saw different items. The items pass through the earlier transforms as calling the "
                "pipeline would pass them: with the pipeline's split_idx, so a training-only step acts on them "
                "only in a pipeline whose split_idx is 0.")
    return "Each transform learns from the items as the transforms before it leave them."


@check(points=3, timeout=10)
def pipeline(Pipeline: type) -> None:
    """Your `Pipeline` sorts by order, decodes in reverse, passes its split_idx on, and sets up transforms in turn."""
    core = _core()
    cases = _pipeline_cases(random.Random())
    got = probe(pipeline_answers, Pipeline, cases)
    exp = probe(pipeline_answers, core.Pipeline, cases)
    expect_count(got, len(cases), "Pipeline")
    for (names, split, items, inputs, decode_inputs), g, e in zip(cases, got, exp):
        built = _steps_text(names, split)
        _value(_field(g, "built", built), built)
        if _field(g, "given_after", built) != list(names):
            fail("the list of transforms was changed", called=built, expected=list(names), got=g["given_after"],
                 hint="Pipeline must not modify the list it is given (the caller may use it again): keep the "
                      "same transform objects, sorted, in a list of its own.")
        step = built
        if items is not None:
            step = f"{built}\np.setup({_show(items)})"
            _value(_field(g, "setup", step), step,
                   hint="A transform can be used only once it is set up: set each one up, then apply it to the items "
                        "that the next ones learn from.")
            log, exp_log = _field(g, "log", step), e["log"]
            if not isinstance(log, list) or not all(isinstance(o, list) and len(o) == 2 for o in log):
                fail("the answers do not match the questions", called=step, got=log)
            if not _close(log, exp_log, 1e-9, 1e-9):
                got_order, exp_order = [o[0] for o in log], [o[0] for o in exp_log]
                expected_text, got_text = f"set up in turn: {exp_order}", f"set up in turn: {got_order}"
                if got_order == exp_order:
                    k = next(k for k, (o, eo) in enumerate(zip(log, exp_log)) if not _close(o, eo, 1e-9, 1e-9))
                    expected_text = f"{exp_log[k][0]}'s setup sees {_show(exp_log[k][1])}"
                    got_text = f"{log[k][0]}'s setup saw {_show(log[k][1])}"
                fail("the transforms were set up on the wrong items or in the wrong order", called=step,
                     expected=Shown(expected_text), got=Shown(got_text),
                     hint=_setup_hint(items, log, exp_log))
            if not _same(_field(g, "items_after", step), items):
                fail("the list of items was changed", called=step, expected=items, got=g["items_after"],
                     hint="setup must not modify the list of items it is given: each step's items are new values.")
        for key, values, verb in (("calls", inputs, "p"), ("decodes", decode_inputs, "p.decode")):
            answers = _field(g, key, step)
            expect_count(answers, len(values), step)
            for x, a, ea in zip(values, answers, e[key]):
                called = f"{step}\n{verb}({_show(x)})"
                value = _value(a, called, hint="Call each transform itself on the result of the one before (it splits "
                                               "tuples and checks split_idx); undo each with its decode method."
                                               if key == "calls" else "Undo each step with the transform's decode "
                                               "method, which splits tuples and checks split_idx like a call does.")
                expected = _value(ea, called)
                if not _close(value, expected):
                    first = value[0] if isinstance(value, tuple) and value else value
                    expect_close(value, expected, called=called, same_type=True,
                                 hint=_order_hint(names, split, x[0] if isinstance(x, tuple) else x, first,
                                                  key == "decodes"))


# ----------------------------------------------------------------------------------------------------------------
# 3. Normalize
# ----------------------------------------------------------------------------------------------------------------

def normalize_answers(cls: type, kwargs: dict, train: Any, batches: list, pairs: list) -> dict:
    """Probe: build `cls(**kwargs)`, set it up on `train`, encode and decode batches and (image, other) tuples."""
    norm, err = _run(cls, **kwargs)
    if err:
        return {"built": err}
    out = {"built": ["ok", None], "setup": _done(norm.setup, train), "train_after": train,
           "stats": [_read(norm, "mean"), _read(norm, "std")]}
    out["calls"] = [_answer(norm, b) for b in batches]
    out["batches_after"] = batches
    out["decodes"] = [_answer(norm.decode, b) for b in batches]
    out["pairs"] = [_answer(norm, p) for p in pairs]
    out["pair_decodes"] = [_answer(norm.decode, p) for p in pairs]
    out["stats_after"] = [_read(norm, "mean"), _read(norm, "std")]
    return out


def _images(rng: random.Random, shape: tuple, constant: int | None = None) -> Any:
    """A TensorImage batch whose channels have very different means and spreads (none of them 0 and 1)."""
    import torch
    from fastlayers.core import TensorImage
    g = torch.Generator().manual_seed(rng.randrange(2 ** 31))
    c = shape[1]
    scale = torch.tensor([rng.uniform(0.3, 4.0) for _ in range(c)]).view(1, c, 1, 1)
    shift = torch.tensor([rng.uniform(-5.0, 5.0) for _ in range(c)]).view(1, c, 1, 1)
    x = torch.randn(*shape, generator=g) * scale + shift
    if constant is not None:
        x[:, constant] = 0.5
    return TensorImage(x)


def _normalize_cases(rng: random.Random) -> list:
    """(label, constructor kwargs, training images, batches to encode and decode, tuples)."""
    import torch
    from fastlayers.core import TensorCategory
    train3 = _images(rng, (2, 3, 2, 3))  # few pixels per channel: the sample and population std differ by 4%
    other3 = _images(rng, (5, 3, 4, 2))  # statistics of its own: normalized with train3's
    labels = TensorCategory(torch.tensor([1, 0, 2, 1, 0]))
    plain4d = torch.randn(5, 3, 4, 2, generator=torch.Generator().manual_seed(rng.randrange(2 ** 31))) * 3 + 2
    mean, std = torch.tensor([0.5, -1.0, 2.0]), torch.tensor([0.25, 2.0, 0.5])
    return [
        ("images with 3 channels", {}, train3, [train3, other3],
         [(other3, labels), (other3, plain4d), (other3, 3, "cat")]),
        ("images with 1 channel", {}, _images(rng, (4, 1, 5, 3)), [_images(rng, (2, 1, 3, 3))], []),
        ("images with 4 channels", {"eps": 0.5}, _images(rng, (3, 4, 3, 5)),
         [_images(rng, (2, 4, 2, 2))], []),
        ("images whose channel 1 is constant", {}, _images(rng, (4, 3, 3, 2), constant=1),
         [_images(rng, (4, 3, 3, 2), constant=1)], []),
        ("images with 3 channels", {"mean": mean, "std": std, "eps": 0.5},
         train3, [other3], [(other3, labels)]),
    ]


def _stat_hint(attr: str, got: Any, train: Any, eps: float, given: bool) -> str:
    import torch
    if given:
        return ("Statistics given to the constructor are kept as they are: setups learns them only when they are "
                "missing (and adds eps only to a standard deviation it learnt).")
    if not isinstance(got, torch.Tensor):
        return f"Keep {attr} as a float tensor with one value per channel."
    c = train.shape[1]
    if tuple(got.shape) != (c,):
        if got.numel() == 1:
            return "This is one number for the whole batch: learn one value per channel."
        return (f"Keep {attr} with shape (channels,) = ({c},): one value per channel, reduced over the batch, "
                "height and width axes; reshape only where it is used.")
    x = train.as_subclass(torch.Tensor).float().transpose(0, 1).reshape(c, -1)
    if attr == "std":
        for label, value in (("the population standard deviation (dividing by n)", x.std(1, unbiased=False) + eps),
                             ("the standard deviation without eps", x.std(1)),
                             ("the population standard deviation without eps", x.std(1, unbiased=False))):
            if torch.allclose(got.float(), value, rtol=1e-4, atol=1e-6):
                return (f"This is {label}. The statement asks for the sample standard deviation (torch's default, "
                        "dividing by n - 1), with eps added, kept in std.")
    return f"One {attr} per channel, over the batch, height and width axes (every pixel of that channel)."


def _normalize_hint(x: Any, got: Any, train: Any, decode: bool) -> str:
    import torch
    if not isinstance(got, torch.Tensor) or tuple(got.shape) != tuple(x.shape):
        return "Return a batch of the same shape as the input."
    c = x.shape[1]
    own = x.as_subclass(torch.Tensor).float().transpose(0, 1).reshape(c, -1)
    if not decode and train is not None and not _same(x, train):
        mine = (x - own.mean(1).view(1, -1, 1, 1)) / (own.std(1).view(1, -1, 1, 1))
        if torch.allclose(got.as_subclass(torch.Tensor), mine.as_subclass(torch.Tensor), rtol=1e-3, atol=1e-3):
            return ("These are the batch's own statistics. The statistics are learnt once, in setups, from the "
                    "training images, and every later batch is normalized with those.")
    if decode:
        return "decodes undoes encodes: from a normalized batch back to the original scale, per channel."
    return "Subtract each channel's mean and divide by its std (both reshaped to broadcast over the batch)."


@check(points=2, timeout=15)
def normalize(Normalize: type) -> None:
    """Your `Normalize` learns per-channel stats in setups, normalizes images only, and decodes back."""
    import torch
    from fastlayers.data.transforms import Normalize as RefNormalize
    for label, kwargs, train, batches, pairs in _normalize_cases(random.Random()):
        ctor = "Normalize(" + ", ".join(f"{k}={_show(v)}" for k, v in kwargs.items()) + ")"
        setup = f"norm = {ctor}; norm.setup(train)   (train: {label}, shape {tuple(train.shape)})"
        got = probe(normalize_answers, Normalize, kwargs, train, batches, pairs)
        exp = probe(normalize_answers, RefNormalize, kwargs, train, batches, pairs)
        _value(_field(got, "built", setup), setup)
        _value(_field(got, "setup", setup), setup)
        if not _same(_field(got, "train_after", setup), train):
            fail("the training images were changed", called=setup, where=first_difference(got["train_after"], train),
                 hint="setups only reads the images: compute the statistics into new tensors, leaving the batch as "
                      "it was.")
        stats = _field(got, "stats", setup)
        expect_count(stats, 2, setup)
        for attr, s, es in zip(("mean", "std"), stats, exp["stats"]):
            called = f"{setup}\nnorm.{attr}"
            if s == ["missing"]:
                fail(f"no attribute {attr} after setup", called=called, expected=es[1],
                     hint=f"setups keeps the learnt statistics in self.{attr}.")
            value = _value(s, called)
            if not (isinstance(value, torch.Tensor) and value.is_floating_point()
                    and tuple(value.shape) == tuple(es[1].shape)) or \
                    not _close(value.as_subclass(torch.Tensor), es[1].as_subclass(torch.Tensor), 1e-4, 1e-6):
                expect_close(value, es[1], rtol=1e-4, atol=1e-6, called=called,
                             hint=_stat_hint(attr, value, train, kwargs.get("eps", 1e-7), "mean" in kwargs))
        for key, verb in (("calls", "norm"), ("decodes", "norm.decode")):
            answers = _field(got, key, setup)
            expect_count(answers, len(batches), setup)
            for k, (b, a, ea) in enumerate(zip(batches, answers, exp[key])):
                what = "train" if b is train else f"a batch of shape {tuple(b.shape)}"
                called = f"{setup}\n{verb}({what})"
                value = _value(a, called)
                if not _close(value, ea[1], 1e-4, 1e-4):
                    expect_close(value, ea[1], rtol=1e-4, atol=1e-4, called=called, same_type=True,
                                 hint=_normalize_hint(b, value, train, key == "decodes"))
            if key == "calls" and not _same(_field(got, "batches_after", setup), batches):
                fail("the batch was changed", called=f"{setup}\nnorm(batch)",
                     where=first_difference(got["batches_after"], batches),
                     hint="encodes returns a new tensor: the batch it is given must stay as it was (it may be shown or "
                          "used again).")
        for key, verb in (("pairs", "norm"), ("pair_decodes", "norm.decode")):
            answers = _field(got, key, setup)
            expect_count(answers, len(pairs), setup)
            for p, a, ea in zip(pairs, answers, exp[key]):
                inner = ", ".join(["images"] + [_show(o) if not isinstance(o, torch.Tensor) else
                                                f"<{type(o).__name__} of shape {tuple(o.shape)}>" for o in p[1:]])
                called = f"{setup}\n{verb}(({inner}))"
                value = _value(a, called)
                if not (isinstance(value, tuple) and len(value) == len(p)):
                    fail("a tuple did not stay a tuple of the same length", called=called, got=value,
                         expected=f"<a tuple of {len(p)} elements>")
                for j in range(1, len(p)):
                    if not _same(value[j], p[j]):
                        expect_equal(value[j], p[j], same_type=True, called=f"{called}[{j}]",
                                     hint="Only images are normalized: every other element (labels, plain tensors "
                                          "of any shape, numbers) passes through untouched. The type annotation on "
                                          "encodes and decodes says which elements they take.")
                expect_close(value[0], ea[1][0], rtol=1e-4, atol=1e-4, same_type=True, called=f"{called}[0]")
        after = _field(got, "stats_after", setup)
        if not _same(after, stats):
            fail("the statistics changed after setup", called=f"{setup}\nnorm(...) on other batches, then norm.mean "
                 "and norm.std", where=first_difference(after, stats),
                 hint="mean and std are learnt in setups only; encoding and decoding batches must not change them.")


# ----------------------------------------------------------------------------------------------------------------
# 4. Categorize
# ----------------------------------------------------------------------------------------------------------------

def categorize_answers(cls: type, vocab: Any, items: list, labels: list, ids: list, unknowns: list) -> dict:
    """Probe: build `cls` (with `vocab` if given), set it up on `items`, encode labels, decode ids, try unknowns."""
    cat, err = _run(cls) if vocab == ABSENT else _run(cls, vocab=vocab)
    if err:
        return {"built": err}
    out = {"built": ["ok", None], "setup": _done(cat.setup, items), "items_after": items,
           "vocab": _read(cat, "vocab")}
    out["encoded"] = [_answer(cat, o) for o in labels]
    out["decoded"] = [_answer(cat.decode, i) for i in ids]
    out["unknown"] = [_answer(cat, u) for u in unknowns]
    out["vocab_after"] = _read(cat, "vocab")
    return out


_WORDS_POOL = ("ant", "Bee", "cat", "Dog", "eel", "fox", "Gnu", "hen", "ibis", "Jay", "koi", "lynx", "mole", "Newt")


def _categorize_cases(rng: random.Random) -> list:
    """(given vocab, training labels, labels not in the vocab)."""
    pool = list(_WORDS_POOL)
    rng.shuffle(pool)
    drawn = [rng.choice(pool[:6]) for _ in range(10)] + pool[:2]
    ints = [rng.randint(-30, 30) for _ in range(6)]
    return [
        (ABSENT, ["cat", "dog", "bird", "cat", "dog"], ["horse", "Dog", "dog "]),
        (ABSENT, ["dog", "Cat", "ant", "Bird", "cat", "ant"], ["CAT", "bird"]),
        (ABSENT, [3, 1, 2, 1, 10, 2, -4], [99, "3", 4]),
        (ABSENT, ["3", "1", "10", "2", "1"], [3, "7"]),
        (ABSENT, [0.5, 2.0, -1.25, 0.5], [1.5]),
        (ABSENT, ["only", "only"], ["other"]),
        (ABSENT, drawn, pool[6:8]),
        (ABSENT, ints + [ints[0]], [max(ints) + 7]),
        (["zebra", "ant", "moose"], ["ant", "zebra", "ant", "cow"], ["cow", "Ant"]),
    ]


def _vocab_hint(items: list, got: Any, expected: list) -> str:
    uniq = list(dict.fromkeys(items))
    if isinstance(got, tuple):
        return "Keep the vocab as a list."
    if not isinstance(got, list):
        return "The vocab is a list of the labels themselves."
    if got == uniq and got != expected:
        return "The vocab is in order of first appearance; sort it, so the ids do not depend on the data's order."
    if got == list(reversed(expected)):
        return "The vocab is sorted backwards: the smallest label gets id 0."
    if any(type(g) is not type(e) for g, e in zip(got, expected)) or len(got) != len(expected):
        if len(got) == len(expected):
            return "Keep the labels as they are in the vocab (an int stays an int, a str a str)."
        return "The vocab holds each distinct label once, with nothing added or left out."
    try:
        if got == sorted(expected, key=str) or got == sorted(expected, key=lambda o: str(o).lower()):
            return ("The labels were compared as text or ignoring case. Sort them with Python's default order for "
                    "their type: numbers by value, strings character by character (uppercase before lowercase).")
    except TypeError:
        pass
    return "The vocab is the distinct labels in Python's default sorted order."


@check(points=2, timeout=10)
def categorize(Categorize: type) -> None:
    """Your `Categorize` learns a sorted vocab, encodes labels to TensorCategory ids, decodes them, rejects unknowns."""
    import torch
    from fastlayers.core import TensorCategory
    from fastlayers.data.transforms import Categorize as RefCategorize
    for vocab, items, unknowns in _categorize_cases(random.Random()):
        n = len(vocab) if vocab != ABSENT else len(set(items))
        ids = [TensorCategory(torch.tensor(i)) for i in range(n)]
        labels = list(vocab) if vocab != ABSENT else sorted(set(items), key=lambda o: (str(o), type(o).__name__))
        got = probe(categorize_answers, Categorize, vocab, items, labels, ids, unknowns)
        exp = probe(categorize_answers, RefCategorize, vocab, items, labels, ids, unknowns)
        ctor = "Categorize()" if vocab == ABSENT else f"Categorize(vocab={vocab!r})"
        setup = f"cat = {ctor}; cat.setup({items!r})"
        _value(_field(got, "built", setup), setup)
        _value(_field(got, "setup", setup), setup)
        if not _same(_field(got, "items_after", setup), items):
            fail("the list of labels was changed", called=setup, expected=items, got=got["items_after"],
                 hint="setups only reads the labels: build the vocab as a new list, leaving the caller's list as "
                      "it was.")
        expected_vocab = list(exp["vocab"][1])
        v = _field(got, "vocab", setup)
        if v == ["missing"]:
            fail("no attribute vocab after setup", called=f"{setup}\ncat.vocab", expected=expected_vocab,
                 hint="setups keeps the vocab in self.vocab.")
        got_vocab = _value(v, f"{setup}\ncat.vocab")
        hint = ("A vocab given to the constructor is kept as it is (same order); setups learns one only when none "
                "was given.") if vocab != ABSENT else _vocab_hint(items, got_vocab, expected_vocab)
        expect_equal(got_vocab, expected_vocab, same_type=True, called=f"{setup}\ncat.vocab", hint=hint)
        encoded = _field(got, "encoded", setup)
        expect_count(encoded, len(labels), setup)
        for label, a, ea in zip(labels, encoded, exp["encoded"]):
            called = f"{setup}\ncat({label!r})"
            value, expected = _value(a, called), ea[1]
            if not (isinstance(value, TensorCategory) and value.ndim == 0 and not value.is_floating_point()
                    and not value.is_complex() and value.dtype != torch.bool):
                fail("wrong type of id", called=called, expected=expected, got=value,
                     hint="An id is a TensorCategory holding one integer (0-dimensional, an integer dtype): its type "
                          "tells decode what to undo, and a loss function needs integer class ids.")
            expect_equal(int(value), int(expected), called=called,
                         hint="The id is the label's position in the vocab.")
        decoded = _field(got, "decoded", setup)
        expect_count(decoded, n, setup)
        for i, a in zip(ids, decoded):
            called = f"{setup}\ncat.decode(TensorCategory({int(i)}))"
            value = _value(a, called)
            if not _same(value, expected_vocab[int(i)]):
                expect_equal(value, expected_vocab[int(i)], same_type=True, called=called,
                             hint="decodes turns an id back into the label itself: the vocab's entry at that "
                                  "position, with its own type.")
        tried = _field(got, "unknown", setup)
        expect_count(tried, len(unknowns), setup)
        for u, a in zip(unknowns, tried):
            called = f"{setup}\ncat({u!r})   ({u!r} is not in the vocab)"
            wanted = f"<raises KeyError or ValueError, the message naming {u!s}>"
            if not _raised(a):
                fail("an unknown label got an id", called=called, expected=wanted,
                     got=a[1] if isinstance(a, list) and len(a) == 2 else a,
                     hint="A label missing from the vocab is an error, not a class: a silent id would train the "
                          "model on the wrong class. Compare labels exactly (no case folding, no conversion).")
            kinds = a[2] if isinstance(a[2], list) else []
            if "NotImplementedError" in kinds:
                fail("raised NotImplementedError", called=called, expected=wanted, got=_raised_text(a),
                     hint=NOT_WRITTEN)
            if not ("KeyError" in kinds or "ValueError" in kinds):
                fail("raised the wrong kind of error", called=called, expected=wanted, got=_raised_text(a),
                     where=str(a[4]), hint="Raise a KeyError or a ValueError (or a subclass of either) for a label "
                                           "that is not in the vocab.")
            if str(u) not in str(a[3]):
                fail("the error does not name the unknown label", called=called, expected=wanted,
                     got=_raised_text(a), where=str(a[4]),
                     hint="Put the label itself in the error's message, so whoever reads it knows which label to "
                          "look for in the data.")
        if not _same(_field(got, "vocab_after", setup), v):
            fail("the vocab changed after setup", called=f"{setup}\ncat(...) on known and unknown labels, then "
                 "cat.vocab", expected=got_vocab, got=got["vocab_after"],
                 hint="The vocab is learnt in setups only; encoding labels must not change it.")
