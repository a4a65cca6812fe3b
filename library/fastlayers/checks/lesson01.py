"""Checks for exercise 01 (tensors and type dispatch): dispatch_types, closest, TypeDispatch, TensorBase, to_plain.

Each check runs the same probe (a module-level function) on the student's piece, where it lives, and on the
reference here; both answers come back as plain data and are compared. Hints name the idea, never the code.
"""
from __future__ import annotations

import random
import types
import typing
from typing import Any, Callable

from fastlayers.checks.framework import (NOT_WRITTEN, Raised, attempt, call, check, expect_close, expect_count,
                                         expect_equal, fail, first_difference, labelled, probe, show)

__all__ = ["dispatch_types", "closest", "type_dispatch", "tensor_base", "to_plain"]


def _core():
    # Imported when a check runs, so `fastlayers.checks` stays cheap to import.
    import fastlayers.core as core
    return core


# ----------------------------------------------------------------------------------------------------------------
# Classes the probes dispatch on (module level, so the grader and the notebook's process both have them)
# ----------------------------------------------------------------------------------------------------------------

class Animal:
    """An animal."""


class Dog(Animal):
    """A dog (an Animal)."""


class Puppy(Dog):
    """A puppy (a Dog, an Animal)."""


class Cat(Animal):
    """A cat (an Animal)."""


class Robot:
    """A robot, no animal."""


class RoboDog(Dog, Robot):
    """Two bases: its MRO is RoboDog, Dog, Animal, Robot, object (Robot comes after all of Dog's ancestors)."""


class Teapot:
    """Registered nowhere."""


def _types() -> dict[str, Any]:
    """Names a case may use, and the classes (or typing helpers) they stand for, the same on both sides."""
    import torch
    core = _core()
    return {"object": object, "int": int, "bool": bool, "float": float, "str": str, "NoneType": type(None),
            "Tensor": torch.Tensor, "TensorBase": core.TensorBase, "TensorImage": core.TensorImage,
            "TensorMask": core.TensorMask, "TensorCategory": core.TensorCategory, "Animal": Animal, "Dog": Dog,
            "Puppy": Puppy, "Cat": Cat, "Robot": Robot, "RoboDog": RoboDog, "Teapot": Teapot, "typing": typing}


def _name(t: Any) -> str:
    """A class as the name a case uses for it (anything else as a short text)."""
    if isinstance(t, type):
        for name, cls in _types().items():
            if cls is t:
                return name
        return t.__qualname__
    return f"<not a class: {show(t, 40)}>"


def _raised(out: Any) -> Any:
    """A `Raised` (not plain data) as a dict that can travel; anything else as it is."""
    if isinstance(out, Raised):
        return {"$raised": out.type, "kinds": out.kinds, "message": out.message, "where": out.where}
    return out


def _is_raised(out: Any) -> bool:
    return isinstance(out, dict) and "$raised" in out


def _raised_text(out: dict) -> str:
    return f"<raised {out['$raised']}: {out['message']}>" if out["message"] else f"<raised {out['$raised']}>"


def _fail_raised(out: dict, called: str, expected: Any, hint: str) -> None:
    """Fail because the student's code raised where the reference answered."""
    not_written = out["$raised"] == "NotImplementedError"
    fail(f"raised {out['$raised']}", called=called, expected=expected, got=_raised_text(out), where=out["where"],
         hint=NOT_WRITTEN if not_written else hint)




# ----------------------------------------------------------------------------------------------------------------
# 1. dispatch_types
# ----------------------------------------------------------------------------------------------------------------

# Signatures the cases annotate (copied for each case, then given the case's annotations).
def _sig_x(x): ...
def _sig_xy(x, y): ...
def _sig_pos_only(a, /, b): ...
def _sig_star(*args): ...
def _sig_star_then_kw(*args, key): ...
def _sig_var_kw(**kwargs): ...
def _sig_default(x=3): ...
def _sig_none(): ...


_SIGNATURES = {"x": _sig_x, "x, y": _sig_xy, "a, /, b": _sig_pos_only, "*args": _sig_star,
               "*args, key": _sig_star_then_kw, "**kwargs": _sig_var_kw, "x=3": _sig_default, "": _sig_none}

# (signature, {parameter or 'return': annotation written as in a def}, what the case is about)
_ANNOTATION_CASES = (
    ("x", {}, "no annotation"),
    ("x", {"x": "int"}, "a class"),
    ("x", {"x": "Dog"}, "a class"),
    ("x", {"x": "Tensor"}, "a class"),
    ("x", {"x": "TensorImage"}, "a class"),
    ("x", {"x": "(int, float)"}, "a tuple"),
    ("x", {"x": "(float, int)"}, "a tuple"),
    ("x", {"x": "(Cat, Dog, Robot)"}, "a tuple"),
    ("x", {"x": "(Dog,)"}, "a tuple"),
    ("x", {"x": "int | str"}, "a union"),
    ("x", {"x": "Dog | None"}, "a union"),
    ("x", {"x": "typing.Union[Dog, Cat]"}, "a typing union"),
    ("x", {"x": "typing.Optional[float]"}, "a typing union"),
    ("x", {"x": "Robot", "return": "str"}, "a return annotation"),
    ("x", {"return": "int"}, "a return annotation"),
    ("x, y", {"y": "int"}, "only the first parameter"),
    ("x, y", {"x": "Dog", "y": "Cat"}, "only the first parameter"),
    ("a, /, b", {"a": "Puppy", "b": "int"}, "positional-only"),
    ("x=3", {}, "a default, no annotation"),
    ("x=3", {"x": "int"}, "a default"),
    ("*args", {"args": "int"}, "no positional parameter"),
    ("*args, key", {"key": "Dog"}, "no positional parameter"),
    ("**kwargs", {"kwargs": "int"}, "no positional parameter"),
    ("", {}, "no positional parameter"),
    ("", {"return": "Dog"}, "no positional parameter"),
    ("x", {"x": "3"}, "a bad annotation"),
    ("x", {"x": "[int]"}, "a bad annotation"),
    ("x", {"x": "(int, 3)"}, "a bad annotation"),
    ("x, y", {"x": "'nothing'.upper", "y": "int"}, "a bad annotation"),
)


def _annotated(signature: str, annotations: dict[str, str]) -> Callable:
    """A fresh copy of the signature's function, annotated as the case says (annotations evaluated here)."""
    template = _SIGNATURES[signature]
    f = types.FunctionType(template.__code__, {"__builtins__": {}}, "f", template.__defaults__)  # globals of its own
    names = _types()
    f.__annotations__ = {k: eval(v, {"__builtins__": {}}, names) for k, v in annotations.items()}  # noqa: S307
    f.__kwdefaults__ = None
    return f


def _show_def(signature: str, annotations: dict[str, str]) -> str:
    """The case as the `def` line a learner would write."""
    parts = []
    for p in signature.split(", ") if signature else []:
        bare = p.lstrip("*").split("=")[0]
        ann = annotations.get(bare)
        if ann is None or p == "/":
            parts.append(p)
        elif "=" in p:
            parts.append(f"{bare}: {ann} = {p.split('=')[1]}")
        else:
            parts.append(f"{p}: {ann}")
    ret = f" -> {annotations['return']}" if "return" in annotations else ""
    return f"def f({', '.join(parts)}){ret}"


def dispatch_types_answers(fn: Callable, cases: list) -> list:
    """Probe: fn(f) for each case's function f, as ['tuple' or the result's type, [class names]] or what it raised."""
    out = []
    for signature, annotations, _ in cases:
        res = _raised(attempt(fn, _annotated(signature, annotations)))
        if _is_raised(res):
            out.append(res)
        elif isinstance(res, (tuple, list)):
            out.append([type(res).__name__, [_name(t) for t in res]])
        else:
            out.append([type(res).__name__, _name(res) if isinstance(res, type) else show(res, 60)])
    return out


_DISPATCH_TYPES_HINTS = {
    "no annotation": "A parameter without an annotation accepts anything: it is registered for (object,).",
    "a class": "A single class is returned as a tuple holding that one class.",
    "a tuple": "A tuple of classes is already the answer: the same classes, in the same order (do not nest it "
               "inside another tuple, do not sort it).",
    "a union": "A union such as `int | str` stands for its members: return them as a tuple, in order "
               "(typing.get_args lists them).",
    "a typing union": "typing.Union[...] and typing.Optional[...] are unions too, of another Python type than "
                      "`int | str`: typing.get_origin recognises both kinds.",
    "a return annotation": "The return annotation (after ->) describes the result, not a parameter: ignore it.",
    "only the first parameter": "Only the first parameter decides: later parameters' annotations do not count, and "
                                "an unannotated first parameter means object even when later ones are annotated.",
    "positional-only": "A positional-only parameter (before /) is a positional parameter like any other.",
    "a default, no annotation": "A default value is not an annotation: without an annotation the answer is "
                                "(object,).",
    "a default": "A default value does not change the annotation the parameter has.",
    "no positional parameter": "Only parameters a positional argument fills count (positional-only or "
                               "positional-or-keyword, in inspect's terms); *args, keyword-only parameters and "
                               "**kwargs do not. With no such parameter, the function accepts anything: (object,).",
    "a bad annotation": "An annotation that is not a class, a tuple of classes or a union cannot be dispatched on: "
                        "raise a TypeError whose message contains the word 'annotation'.",
}


@check(points=2, timeout=10)
def dispatch_types(student: Callable) -> None:
    """`dispatch_types(f)` turns the annotation of f's first positional parameter into a tuple of classes."""
    ref = _core()
    cases = [list(c) for c in _ANNOTATION_CASES]
    got = probe(dispatch_types_answers, student, cases)
    expected = probe(dispatch_types_answers, ref.dispatch_types, cases)
    expect_count(got, len(cases), "dispatch_types on each case")
    for (signature, annotations, kind), g, e in zip(cases, got, expected):
        called = f"dispatch_types(f) with {_show_def(signature, annotations)}"
        hint = _DISPATCH_TYPES_HINTS[kind]
        if _is_raised(e):
            if not _is_raised(g):
                fail("did not raise", called=called, expected="<raises TypeError>", got=_shown_types(g), hint=hint)
            if g["$raised"] == "NotImplementedError":
                _fail_raised(g, called, "<raises TypeError>", hint)
            if "TypeError" not in g["kinds"]:
                fail("raised the wrong exception", called=called, expected="<raises TypeError>",
                     got=_raised_text(g), where=g["where"], hint=hint)
            if "annotation" not in g["message"]:
                fail("raised, but the message does not say what was wrong", called=called,
                     expected="<TypeError whose message mentions 'annotation'>", got=_raised_text(g), hint=hint)
            continue
        if _is_raised(g):
            _fail_raised(g, called, _shown_types(e), hint)
        if g[0] != "tuple":
            fail("wrong type of result", called=called, expected=f"<a tuple: {_shown_types(e)}>",
                 got=f"<a {g[0]}: {_shown_types(g)}>", hint="Return a tuple of classes (a tuple, not a list).")
        expect_equal(_shown_types(g), _shown_types(e), called=called, hint=hint)


def _shown_types(answer: Any) -> str:
    """['tuple', ['int', 'float']] as the text '(int, float)'."""
    if not isinstance(answer, list) or len(answer) != 2:
        return show(answer, 80)
    kind, names = answer
    if isinstance(names, list):
        inner = ", ".join(str(n) for n in names) + ("," if len(names) == 1 and kind == "tuple" else "")
        return f"({inner})" if kind == "tuple" else f"[{inner}]" if kind == "list" else f"<a {kind}: {inner}>"
    return f"<a {kind}: {names}>"


# ----------------------------------------------------------------------------------------------------------------
# 2. closest
# ----------------------------------------------------------------------------------------------------------------

# (class of the argument, table entries as (label, class names) in table order)
_CLOSEST_CASES = (
    ("Puppy", (("animal", ("Animal",)), ("dog", ("Dog",)), ("anything", ("object",)))),
    ("Puppy", (("anything", ("object",)), ("animal", ("Animal",)))),
    ("RoboDog", (("robot", ("Robot",)), ("animal", ("Animal",)))),
    ("RoboDog", (("robot", ("Robot",)), ("anything", ("object",)))),
    ("RoboDog", (("robot", ("Robot",)), ("cat or dog", ("Cat", "Dog")))),
    ("Dog", (("dog or cat", ("Dog", "Cat")), ("dog", ("Dog",)))),
    ("Dog", (("dog", ("Dog",)), ("dog or cat", ("Dog", "Cat")))),
    ("Dog", (("cat or dog", ("Cat", "Dog")), ("dog or robot", ("Dog", "Robot")))),
    ("Dog", (("dog or robot", ("Dog", "Robot")), ("cat or dog", ("Cat", "Dog")))),
    ("Dog", (("three", ("Dog", "Cat", "Robot")), ("two", ("Robot", "Dog")))),
    ("Dog", (("animal", ("Animal",)), ("three", ("Dog", "Cat", "Robot")))),
    ("Puppy", (("animal or dog", ("Animal", "Dog")), ("dog", ("Dog",)))),
    ("Puppy", (("dog", ("Dog",)), ("animal or puppy", ("Animal", "Puppy")))),
    ("Cat", (("dog", ("Dog",)), ("robot", ("Robot",)))),
    ("Cat", ()),
    ("bool", (("anything", ("object",)), ("int", ("int",)))),
    ("bool", (("number", ("float", "int")),)),
    ("str", (("number", ("int", "float")),)),
    ("int", (("anything", ("object",)),)),
    ("TensorMask", (("tensor", ("Tensor",)), ("image", ("TensorImage",)), ("base", ("TensorBase",)))),
    ("TensorCategory", (("image", ("TensorImage",)), ("base", ("TensorBase",)), ("tensor", ("Tensor",)))),
    ("Tensor", (("image", ("TensorImage",)), ("base", ("TensorBase",)))),
    ("Robot", (("anything", ("object",)), ("robot", ("Robot",)), ("robodog", ("RoboDog",)))),
)

_CLASS_POOL = ("object", "int", "bool", "float", "str", "Animal", "Dog", "Puppy", "Cat", "Robot", "RoboDog",
               "Tensor", "TensorBase", "TensorImage", "TensorMask", "TensorCategory")


def _closest_cases() -> list:
    """The fixed cases and random tables (fixed seed): queries, several entries, ties of every kind."""
    cases = [[q, [[label, list(names)] for label, names in entries]] for q, entries in _CLOSEST_CASES]
    rng = random.Random(101)
    for i in range(60):
        entries, seen = [], set()
        for j in range(rng.randint(1, 5)):
            names = tuple(rng.sample(_CLASS_POOL, rng.choice((1, 1, 2, 2, 3))))
            if names not in seen:
                seen.add(names)
                entries.append([f"f{j}", list(names)])
        cases.append([rng.choice(_CLASS_POOL[1:]), entries])
    return cases


def _labelled_fn(label: str) -> Callable:
    def registered(x: Any = None) -> str:
        return label
    registered.__qualname__ = registered.__name__ = f"<function {label!r}>"
    return registered


def closest_answers(fn: Callable, cases: list) -> list:
    """Probe: fn(cls, table) for each case, as the label of the function it picked (None for none) or what it
    raised, and the table's entries afterwards."""
    names, out = _types(), []
    for query, entries in cases:
        funcs = [_labelled_fn(label) for label, _ in entries]
        table = {tuple(names[n] for n in classes): f for (_, classes), f in zip(entries, funcs)}
        labels = {id(f): label for (label, _), f in zip(entries, funcs)}
        res = _raised(attempt(fn, names[query], table))
        if not _is_raised(res) and res is not None:
            res = labels.get(id(res), f"<not one of the table's functions: {show(res, 60)}>")
        after = [[labels.get(id(f), "?"), [_name(t) for t in k] if isinstance(k, tuple) else _name(k)]
                 for k, f in table.items()]
        out.append({"picked": res, "table": after})
    return out


def _show_table(entries: list) -> str:
    return "{" + ", ".join(f"({', '.join(c)}{',' if len(c) == 1 else ''}): {label}" for label, c in entries) + "}"


def _rule_picks(query: str, entries: list) -> dict[str, Any]:
    """What a few usual wrong rules would pick (labels), to name the mistake in a hint."""
    names = _types()
    cls = names[query]
    mro = cls.__mro__

    def depth(c: type, target: type) -> int | None:  # steps up through __bases__, breadth first
        level, frontier = 0, [c]
        while frontier:
            if target in frontier:
                return level
            frontier = [b for f in frontier for b in f.__bases__]
            level += 1
        return None

    def best(score: Callable) -> Any:
        scored = [(score([names[n] for n in classes]), i, label) for i, (label, classes) in enumerate(entries)]
        scored = [s for s in scored if s[0] is not None]
        return min(scored)[2] if scored else None

    def dist(types_: list) -> int | None:
        ds = [mro.index(t) for t in types_ if t in mro]
        return min(ds) if ds else None
    def far(types_: list) -> int | None:
        ds = [mro.index(t) for t in types_ if t in mro]
        return (max(ds), len(types_)) if ds else None
    return {
        "one class": best(lambda ts: (dist(ts[:1]), len(ts)) if dist(ts[:1]) is not None else None),
        "farthest": best(far),
        "first": best(lambda ts: 0 if dist(ts) is not None else None),
        "general": best(lambda ts: (-dist(ts), len(ts)) if dist(ts) is not None else None),
        "bases": best(lambda ts: (min([d for d in (depth(cls, t) for t in ts) if d is not None], default=None),
                                  len(ts)) if dist(ts) is not None else None),
        "no size": best(lambda ts: dist(ts)),
        "bigger tuple": best(lambda ts: (dist(ts), -len(ts)) if dist(ts) is not None else None),
        "last": _last_best(entries, lambda ts: (dist(ts), len(ts)) if dist(ts) is not None else None),
    }


def _last_best(entries: list, score: Callable) -> Any:
    """The label of the LAST entry among those with the best score (a wrong tie rule)."""
    names = _types()
    scored = [(score([names[n] for n in classes]), label) for label, classes in entries]
    scored = [s for s in scored if s[0] is not None]
    if not scored:
        return None
    top = min(s for s, _ in scored)
    return [label for s, label in scored if s == top][-1]


_CLOSEST_HINTS = {
    "one class": "Every class of a tuple counts: an entry matches through any of its classes, and its distance is "
                 "that of its class nearest the start of the MRO.",
    "farthest": "An entry's distance is that of its class nearest the start of the MRO, not its farthest one.",
    "bases": "Distance is measured along the MRO (cls.__mro__), not by counting steps up through __bases__: with "
             "two bases, every ancestor of the first base comes before the second base.",
    "no size": "On a tie in MRO distance, the entry with fewer classes wins (a single class is more specific than "
               "a tuple that also contains it); only then the earlier entry.",
    "bigger tuple": "On a tie in MRO distance, the entry with fewer classes wins, not the one with more.",
    "last": "On a complete tie (same distance, same number of classes), the entry that comes first in the table "
            "wins.",
    "general": "That is the most general match. The most specific one wins: the class nearest the start of the "
               "argument's MRO.",
    "first": "That is the first entry that matches at all. Every matching entry must be compared: the one whose "
             "class comes earliest in the argument's MRO wins, wherever it sits in the table.",
}


def _closest_rule_hint(cases: list, got: list, query: str, entries: list, picked: Any) -> str:
    """The hint of the wrong rule that explains every answer (else one that explains this answer)."""
    answers = [g.get("picked") if isinstance(g, dict) else None for g in got]
    every = [_rule_picks(q, e) for q, e in cases]
    for rule, hint in _CLOSEST_HINTS.items():
        if all(r[rule] == a for r, a in zip(every, answers)):
            return hint
    here = _rule_picks(query, entries)
    return next((hint for rule, hint in _CLOSEST_HINTS.items() if here[rule] == picked),
                "Score each entry by the position of its nearest class in the MRO; smaller wins.")


@check(points=3, timeout=10)
def closest(student: Callable) -> None:
    """`closest(cls, table)` picks the function registered for the class nearest `cls` in its MRO."""
    ref = _core()
    cases = _closest_cases()
    got = probe(closest_answers, student, cases)
    expected = probe(closest_answers, ref.closest, cases)
    expect_count(got, len(cases), "closest on each case")
    for (query, entries), g, e in zip(cases, got, expected):
        called = f"closest({query}, {_show_table(entries)})"
        mro = " -> ".join(_name(c) for c in _types()[query].__mro__)
        if not isinstance(g, dict) or "picked" not in g or "table" not in g:
            fail("the answers do not match the questions", called=called, got=g)
        picked = g["picked"]
        if _is_raised(picked):
            hint = ("When no entry matches, return None (the caller decides what to do)." if e["picked"] is None
                    else f"The MRO of {query} is {mro}.")
            _fail_raised(picked, called, e["picked"], hint)
        if picked != e["picked"]:
            hint = f"The MRO of {query} is {mro}. "
            if e["picked"] is None:
                hint += "None of the table's classes is in it, so nothing matches: return None."
            elif picked is None:
                hint += "An entry matches when any of its classes is in the argument's MRO (object is in every MRO)."
            elif isinstance(picked, str) and picked.startswith("<not one"):
                hint += "Return the function registered in the table (its value), not its key or a wrapper."
            else:
                hint += _closest_rule_hint(cases, got, query, entries, picked)
            fail("picked the wrong function", called=called, expected=e["picked"], got=picked, hint=hint)
        if g["table"] != e["table"]:
            fail("the table was changed", called=called, expected=_show_table(e["table"]),
                 got=show(g["table"], 200), hint="closest only reads the table: the dispatcher that owns it keeps "
                                                 "using it after the call.")


# ----------------------------------------------------------------------------------------------------------------
# 3. TypeDispatch
# ----------------------------------------------------------------------------------------------------------------

def _registered(label: str, fn_name: str, annotation: str | None) -> Callable:
    """A function named `fn_name`, annotated with `annotation`, answering (label, its extra arguments)."""
    def registered(x, *args, **kwargs):
        return [label, [_arg_text(a) for a in args], {k: _arg_text(v) for k, v in kwargs.items()}]
    registered.__name__ = registered.__qualname__ = fn_name
    registered.__annotations__ = {} if annotation is None else \
        {"x": eval(annotation, {"__builtins__": {}}, _types())}  # noqa: S307
    return registered


def _arg_text(a: Any) -> Any:
    return a if isinstance(a, (int, float, str, type(None))) else f"<a {type(a).__name__}>"


def _value(spec: Any) -> Any:
    """A case's argument: ('new', 'Dog') makes a Dog(); tensors come as the grader sent them; the rest as it is."""
    if isinstance(spec, tuple) and len(spec) == 2 and spec[0] == "new":
        return _types()[spec[1]]()
    return spec


def dispatcher_run(cls: type, steps: list) -> list:
    """Probe: build a dispatcher with `cls` and run the steps; one answer per step."""
    out, d = [], None
    for step in steps:
        kind = step[0]
        if kind == "make":
            funcs = [_registered(*spec) for spec in step[1]]
            d = call(cls, funcs) if step[2] is None else call(cls, funcs, name=step[2])
            out.append("made")
        elif kind == "add":
            res = call(d.add, _registered(*step[1]))
            out.append("itself" if res is d else f"<a {type(res).__name__}>")
        elif kind == "chain":
            first, second = (_registered(*spec) for spec in step[1])
            res = call(d.add, first)
            res = call(getattr(res, "add"), second) if hasattr(res, "add") else res
            out.append("itself" if res is d else f"<a {type(res).__name__}>")
        elif kind == "call":
            value, args, kwargs = _value(step[1]), [_value(a) for a in step[2]], step[3]
            out.append(_raised(attempt(d, value, *args, **kwargs)))
    return out


def _fn(label: str, annotation: str | None, fn_name: str | None = None) -> tuple:
    return (label, fn_name or label.replace(" ", "_"), annotation)


# Each scenario: (what it builds, steps); the names in `called` are the functions' names.
_DISPATCH_SCENARIOS = (
    ("TypeDispatch([anything, number, dog]) with anything(x), number(x: (int, float)), dog(x: Dog)", [
        ("make", [_fn("anything", None), _fn("number", "(int, float)"), _fn("dog", "Dog")], None),
        ("call", 3, [], {}), ("call", 2.5, [], {}), ("call", True, [], {}), ("call", "text", [], {}),
        ("call", ("new", "Puppy"), [], {}), ("call", None, [], {}), ("call", ("new", "RoboDog"), [], {}),
        ("call", ("new", "Cat"), [], {}), ("call", 7, [], {})]),
    ("TypeDispatch([greet, describe]) with greet(x: (Dog, Cat)), describe(x: Robot)", [
        ("make", [_fn("greet", "(Dog, Cat)"), _fn("describe", "Robot")], None),
        ("call", ("new", "Puppy"), [], {}), ("call", ("new", "RoboDog"), [], {}),
        ("call", ("new", "Teapot"), [], {}), ("call", 7, [], {})]),
    ("TypeDispatch(name='render').add(draw).add(paint) with draw(x: Animal), paint(x: TensorImage)", [
        ("make", [], "render"), ("chain", [_fn("draw", "Animal"), _fn("paint", "TensorImage")]),
        ("call", "mask", [], {}), ("call", ("new", "Dog"), [], {}), ("call", "label", [], {})]),
    ("TypeDispatch([shout], name='speak') with shout(x: str)", [
        ("make", [_fn("shout", "str")], "speak"), ("call", "hi", [], {}), ("call", 3.5, [], {})]),
    ("TypeDispatch(name='nothing_yet'), then .add(first_int), .add(second_int) (both x: int), .add(num) "
     "(x: (int, float))", [
        ("make", [], "nothing_yet"), ("call", 1, [], {}),
        ("add", _fn("first int", "int")), ("call", 5, [], {}),
        ("add", _fn("second int", "int")), ("call", 5, [], {}),
        ("add", _fn("num", "(int, float)")), ("call", 5, [], {}), ("call", 1.5, [], {}), ("call", False, [], {})]),
    ("TypeDispatch([animal]) with animal(x: Animal), then .add(dog) with dog(x: Dog)", [
        ("make", [_fn("animal", "Animal")], None), ("call", ("new", "Dog"), [], {}),
        ("call", ("new", "Puppy"), [], {}),
        ("add", _fn("dog", "Dog")), ("call", ("new", "Dog"), [], {}), ("call", ("new", "Puppy"), [], {}),
        ("call", ("new", "Cat"), [], {}), ("call", ("new", "Robot"), [], {})]),
    ("TypeDispatch([tensor, obj]) with tensor(x: Tensor), obj(x), called with more arguments", [
        ("make", [_fn("tensor", "Tensor"), _fn("obj", None)], None),
        ("call", "TENSOR", [1, 2], {"key": "v"}), ("call", "text", [], {"scale": 3}),
        ("call", 3, [("new", "Dog")], {}), ("call", ("new", "Dog"), [3, "x"], {"flag": True, "n": None})]),
)


def _scenarios() -> list:
    """The scenarios with their tensors made (a mask and a plain tensor travel as plain data)."""
    import torch
    core = _core()
    tensors = {"TENSOR": torch.arange(6.0).view(2, 3), "mask": core.TensorMask(torch.tensor([[0, 1], [1, 0]]))}
    out = []
    for what, steps in _DISPATCH_SCENARIOS:
        made = []
        for step in steps:
            if step[0] == "call":
                step = ("call", tensors.get(step[1], step[1]) if isinstance(step[1], str) and step[1] in tensors
                        else step[1], list(step[2]), dict(step[3]))
            made.append(step)
        out.append((what, made))
    return out


def _call_text(step: tuple) -> str:
    value, args, kwargs = step[1:]

    def text(v: Any) -> str:
        if isinstance(v, tuple) and v[:1] == ("new",):
            return f"{v[1]}()"
        return show(v, 40)
    parts = [text(value)] + [text(a) for a in args] + [f"{k}={text(v)}" for k, v in kwargs.items()]
    return f"d({', '.join(parts)})"


def _registered_names(steps: list, upto: int) -> tuple[str | None, list[str]]:
    """The dispatcher's expected name and the class names registered before step `upto`."""
    name, classes = None, []
    for step in steps[:upto]:
        specs = step[1] if step[0] in ("make", "chain") else [step[1]] if step[0] == "add" else []
        if step[0] == "make":
            name = step[2]
        for _, fn_name, annotation in specs:
            name = name or fn_name
            found = (object,) if annotation is None else eval(annotation, {"__builtins__": {}}, _types())  # noqa: S307
            for c in found if isinstance(found, tuple) else (found,):
                if c.__name__ not in classes:
                    classes.append(c.__name__)
    return name, classes


@check(points=3, timeout=10)
def type_dispatch(TypeDispatch: type) -> None:
    """Your `TypeDispatch` registers functions by annotation and calls the closest one, or says what is registered."""
    ref = _core()
    for what, steps in _scenarios():
        with labelled(what):
            got = probe(dispatcher_run, TypeDispatch, steps)
        expected = probe(dispatcher_run, ref.TypeDispatch, steps)
        expect_count(got, len(steps), what)
        for i, (step, g, e) in enumerate(zip(steps, got, expected)):
            if step[0] in ("add", "chain"):
                called = f"{what}: the value .add returned"
                if g != e:
                    fail("add did not return the dispatcher", called=called, expected="<the dispatcher itself>",
                         got=g, hint="add returns the dispatcher itself, so that registrations can be chained "
                                     "(d.add(f).add(g)).")
                continue
            if step[0] != "call":
                continue
            called = f"{_call_text(step)} with d = {what}"
            if _is_raised(e):
                _judge_no_match(g, step, steps, i, called)
                continue
            if _is_raised(g):
                _fail_raised(g, called, e, _dispatch_hint(step, g, e))
            if g != e:
                fail("called the wrong function, or with the wrong arguments", called=called, expected=e, got=g,
                     where=first_difference(g, e) or "", hint=_dispatch_hint(step, g, e))


def _dispatch_hint(step: tuple, got: Any, expected: Any) -> str:
    if _is_raised(got):
        return ("A function is registered for this argument's class (perhaps added after an earlier call): every "
                "call must look it up in the table as the table is now, then call it.")
    if isinstance(got, list) and len(got) == 3 and isinstance(expected, list) and got[0] == expected[0]:
        return ("The right function was chosen but did not get all the arguments: pass the first argument and "
                "every other positional and keyword argument on, unchanged.")
    if not (isinstance(got, list) and len(got) == 3):
        return "Call the chosen function on the arguments and return what it returns (not the function itself)."
    return ("The function registered for the class nearest the start of type(x)'s MRO wins (ref.closest finds it); "
            "a function added later replaces one registered for the same classes, and must be used by every later "
            "call.")


def _judge_no_match(got: Any, step: tuple, steps: list, upto: int, called: str) -> None:
    """Nothing is registered for the argument: a TypeError that names the dispatcher, the class and the table."""
    name, classes = _registered_names(steps, upto)
    value = _value(step[1])
    cls_name = type(value).__name__
    if not _is_raised(got):
        fail("did not raise", called=called, expected="<raises TypeError>", got=got,
             hint="When no registered class is in the argument's MRO, raise a TypeError (returning None would hide "
                  "the mistake from the caller).")
    if got["$raised"] == "NotImplementedError" or "TypeError" not in got["kinds"]:
        _fail_raised(got, called, "<raises TypeError>",
                     "When nothing matches, raise a TypeError: the argument has a type the dispatcher cannot handle.")
    missing = [w for w in [name, cls_name] + classes if w and w not in got["message"]]
    if missing:
        fail("the error message does not say enough", called=called,
             expected=f"<a TypeError whose message names {', '.join(repr(w) for w in [name, cls_name] + classes)}>",
             got=_raised_text(got), where=f"the message does not contain {missing[0]!r}",
             hint=f"A clear error names the dispatcher ({name!r}: the name given, else the first function "
                  f"registered), the class of the argument ({cls_name!r}) and every class registered "
                  "(each class of a tuple too), so the reader sees at once what is missing.")


# ----------------------------------------------------------------------------------------------------------------
# 4. TensorBase
# ----------------------------------------------------------------------------------------------------------------

def _tensor_data() -> dict:
    """Plain tensors the probe wraps (fixed seed): values with both signs, distinct enough to see every op."""
    import torch
    g = torch.Generator().manual_seed(11)
    return {"a": torch.randn(3, 4, generator=g), "b": torch.randn(3, 4, generator=g) + 2,
            "n": torch.randn(3, 4, generator=g), "p": torch.randn(3, 4, generator=g),
            "ids": torch.tensor([[3, 0, 2, 1], [1, 1, 0, 2], [2, 3, 3, 0]]),
            "f64": torch.randn(5, generator=g, dtype=torch.float64), "w": torch.tensor([1.0, -2.0, 0.5])}


def _meta_after_change(cls: type, data: Any) -> Any:
    m = cls(data.clone(), tag="m")
    y = m + 1
    y.tag = "changed on the result"
    y.extra = "added to the result"
    return [getattr(m, "tag", None), sorted(k for k in vars(m) if not k.startswith("_"))]


def _in_place(a: Any, b: Any) -> Any:
    c = a.clone()
    c.add_(b)
    return c


def _out_kwarg(cls: type, a: Any, b: Any) -> Any:
    import torch
    c = cls(torch.zeros(3, 4), tag="out")
    torch.add(b, a, out=c)
    return c


def _shares_memory(cls: type, data: Any) -> Any:
    t = data.clone()
    x = cls(t, tag="shared")
    t.add_(100)
    return x


def _as_plain_shares(cls: type, data: Any) -> Any:
    x = cls(data.clone(), tag="x")
    q = x.as_plain()
    q.mul_(-1)
    return [q, x, sorted(k for k in vars(q) if not k.startswith("_"))]


def _as_plain_grad(cls: type, w: Any) -> Any:
    x = cls(w.clone().requires_grad_(True), tag="w")
    return x.as_plain().requires_grad


def _backward(cls: type, w: Any) -> Any:
    leaf = w.clone().requires_grad_(True)
    x = cls(leaf, tag="w")
    loss = (x * x).sum()
    loss.backward()
    return [loss.detach(), leaf.grad.tolist()]


def _inputs(cls: type, sub: type, sib: type, d: dict) -> tuple:
    """The tensors the operations use: a, b, n (no metadata), s (a Sub), s2 (a Sibling), ids."""
    return (cls(d["a"], tag="a", channels=["x", "y", "z"]), cls(d["b"], tag="b"), cls(d["n"]),
            sub(d["a"] + 10, tag="s"), sib(d["b"] - 10, tag="s2"), cls(d["ids"], tag="ids"))


def tensor_ops(cls: type, data: dict) -> dict:
    """Probe: build tensors of `cls` (and of a subclass, a sibling subclass and an unrelated subclass of
    torch.Tensor), run torch operations on them, and return each result (or what it raised)."""
    import torch
    import torch.nn.functional as F
    d = {k: v.clone() for k, v in data.items()}
    sub = type("Sub", (cls,), {"__module__": "probe", "__doc__": "a subclass of the class under test"})
    sib = type("Sibling", (cls,), {"__module__": "probe", "__doc__": "another subclass of the class under test"})
    other = type("Other", (torch.Tensor,), {"__module__": "probe", "__doc__": "a subclass of torch.Tensor only"})
    built = _raised(attempt(_inputs, cls, sub, sib, d))
    if _is_raised(built):
        return {"base": cls.__name__, "setup": built}
    a, b, n, s, s2, ids = built
    o = d["n"].as_subclass(other)
    o.note = "other"
    p = d["p"]
    ops: list[tuple[str, Callable[[], Any]]] = [
        ("TensorBase([1, 2, 3])", lambda: cls([1, 2, 3])),
        ("TensorBase(<float64 tensor>, tag=7, unit='m')", lambda: cls(d["f64"].clone(), tag=7, unit="m")),
        ("TensorBase(2.5)", lambda: cls(2.5)),
        ("Sub(<tensor>, kind='x') for a subclass Sub", lambda: sub(d["p"].clone(), kind="x")),
        ("x = TensorBase(t, tag='shared'); then t changed in place; x", lambda: _shares_memory(cls, d["p"])),
        ("a + 1", lambda: a + 1), ("a * b", lambda: a * b), ("b * a", lambda: b * a), ("n * a", lambda: n * a),
        ("a[0]", lambda: a[0]), ("a[:, 1:3]", lambda: a[:, 1:3]), ("a[a > 0]", lambda: a[a > 0]),
        ("a > 0", lambda: a > 0), ("a.T", lambda: a.T), ("a.view(-1)", lambda: a.view(-1)),
        ("a.permute(1, 0)", lambda: a.permute(1, 0)), ("a.mean(0)", lambda: a.mean(0)), ("a.sum()", lambda: a.sum()),
        ("ids.float()", lambda: ids.float()), ("ids.argmax(1)", lambda: ids.argmax(1)),
        ("torch.where(a > 0, a, b)", lambda: torch.where(a > 0, a, b)), ("F.relu(a)", lambda: F.relu(a)),
        ("a @ p.T with p a plain tensor", lambda: a @ p.T), ("p + a with p a plain tensor", lambda: p + a),
        ("a.clone()", lambda: a.clone()), ("a.to(torch.float64)", lambda: a.to(torch.float64)),
        ("torch.cat([n, a])", lambda: torch.cat([n, a])), ("torch.stack([b, a])", lambda: torch.stack([b, a])),
        ("torch.cat((n, b, a), dim=1)", lambda: torch.cat((n, b, a), dim=1)),
        ("a.split(1)", lambda: a.split(1)), ("a.unbind(1)", lambda: a.unbind(1)),
        ("s + a with s a Sub", lambda: s + a), ("a + s with s a Sub", lambda: a + s),
        ("n + s with s a Sub", lambda: n + s), ("s + s2 with s a Sub, s2 a Sibling", lambda: s + s2),
        ("a + o with o an Other tensor (o.note = 'other')", lambda: a + o),
        ("o + a with o an Other tensor (o.note = 'other')", lambda: o + a),
        ("c = a.clone(); c.add_(b); c", lambda: _in_place(a, b)),
        ("torch.add(b, a, out=c) with c = TensorBase(zeros, tag='out')", lambda: _out_kwarg(cls, a, b)),
        ("m = TensorBase(t, tag='m'); y = m + 1; y.tag = 'changed'; y.extra = 'added'; [m.tag, m's attributes]",
         lambda: _meta_after_change(cls, d["n"])),
        ("q = x.as_plain(); q changed in place; [q, x, q's attributes]", lambda: _as_plain_shares(cls, d["p"])),
        ("x = TensorBase(w.requires_grad_(True), tag='w'); x.as_plain().requires_grad",
         lambda: _as_plain_grad(cls, d["w"])),
        ("(x * x).sum().backward() with x = TensorBase(w, tag='w'): [loss, w.grad]", lambda: _backward(cls, d["w"])),
        ("a.shape", lambda: a.shape), ("a.tolist()", lambda: a.tolist()), ("a.sum().item()", lambda: a.sum().item()),
        ("a.dim()", lambda: a.dim()), ("len(a)", lambda: len(a)), ("a.dtype", lambda: a.dtype),
        ("a.is_floating_point()", lambda: a.is_floating_point()),
        ("a.detach().numpy()", lambda: a.detach().numpy()),
    ]
    results = [_settled(_raised(attempt(fn))) for _, fn in ops]
    return {"base": cls.__name__, "ops": [name for name, _ in ops], "results": results}


def _settled(result: Any) -> Any:
    """The result, or what was raised while turning it into plain data (sending a tensor runs torch operations on
    it, such as detach, which go through the class's own __torch_function__)."""
    from fastlayers.checks import plain
    encoded = _raised(attempt(plain.encode, result))
    return encoded if _is_raised(encoded) else result


_LEGEND = ("a = TensorBase(<3x4>, tag='a', channels=['x', 'y', 'z']), b = TensorBase(<3x4>, tag='b'), "
           "n = TensorBase(<3x4>) (no metadata), ids = TensorBase(<3x4 int64>, tag='ids')")


def _label(t: Any, base: str) -> str:
    """A tensor's class as the check names it: 'TensorBase' for the class under test, else its short name."""
    import torch
    if type(t) is torch.Tensor:
        return "torch.Tensor"
    full = getattr(type(t), "foreign_name", f"{type(t).__module__}.{type(t).__qualname__}")
    short = str(full).rsplit(".", 1)[-1]
    return "TensorBase" if short == base else short


def _meta(t: Any) -> dict:
    return {k: v for k, v in vars(t).items() if not k.startswith("_")}


def _shape(v: Any, base: str) -> Any:
    """The kind of a result: classes of tensors, containers, or the value itself."""
    import torch
    if isinstance(v, torch.Tensor):
        return _label(v, base)
    if type(v) in (tuple, list):
        return type(v)(_shape(x, base) for x in v)
    return f"<a {type(v).__name__}>"


def _walk(v: Any, path: str = ""):
    """(path, tensor) for every tensor in a result."""
    import torch
    if isinstance(v, torch.Tensor):
        yield path, v
    elif type(v) in (tuple, list):
        for i, x in enumerate(v):
            yield from _walk(x, f"{path}[{i}]")


@check(points=4, timeout=20)
def tensor_base(TensorBase: type) -> None:
    """Your `TensorBase` keeps its class and metadata through torch operations, and `as_plain` strips them."""
    import torch
    ref = _core()
    data = _tensor_data()
    with labelled("building TensorBase tensors and running torch operations on them"):
        got = probe(tensor_ops, TensorBase, data)
    expected = probe(tensor_ops, ref.TensorBase, data)
    if isinstance(got, dict) and _is_raised(got.get("setup")):
        _fail_raised(got["setup"], f"building the tensors {_LEGEND}, s = Sub(<3x4>, tag='s') for a subclass Sub",
                     "<tensors of your class, with their metadata>", _raise_hint(got["setup"]))
    if not isinstance(got, dict) or got.get("ops") != expected["ops"]:
        fail("the answers do not match the questions", called="torch operations on TensorBase tensors",
             got=show(got, 100))
    expect_count(got.get("results"), len(expected["results"]), "torch operations on TensorBase tensors")
    base, ref_base = str(got["base"]), str(expected["base"])
    for op, g, e in zip(expected["ops"], got["results"], expected["results"]):
        called = op if op.startswith(("TensorBase(", "Sub(", "x =", "q =", "(x", "m =")) else f"{op}, with {_LEGEND}"
        if _is_raised(g):
            _fail_raised(g, called, _shape(e, ref_base), _raise_hint(g))
        g_shape, e_shape = _shape(g, base), _shape(e, ref_base)
        e_parts = list(_walk(e))
        if g_shape != e_shape and (e_parts or list(_walk(g))):
            fail("wrong class of result", called=called, expected=e_shape, got=g_shape,
                 hint=_class_hint(op, g_shape, e_shape))
        if not e_parts:  # no tensor in the result: a number, a size, a list of values, an array
            hint = _meta_hint(op, g, e) if "y.tag" in op else \
                "as_plain keeps the tensor in the autograd graph (no detaching)." if "as_plain" in op else \
                "Results that are not tensors (numbers, sizes, lists of numbers, arrays) come back unchanged."
            if isinstance(e, torch.dtype):  # the comparison helpers take dtypes for tensors: compare their names
                g, e = str(g), str(e)
            if isinstance(e, (bool, str)) or "y.tag" in op:
                expect_equal(g, e, called=called, hint=hint)
            else:
                expect_close(g, e, rtol=1e-6, atol=1e-7, called=called, hint=hint)
            continue
        g_parts = list(_walk(g))
        expect_count(g_parts, len(e_parts), called)
        for (path, gt), (_, et) in zip(g_parts, e_parts):
            at = f"{called}{' -> result' + path if path else ''}"
            if _meta(gt) != _meta(et):
                fail("wrong metadata", called=at, expected=_meta(et), got=_meta(gt), hint=_meta_hint(op, gt, et))
            expect_equal(str(gt.dtype), str(et.dtype), called=at + ": its dtype",
                         hint=_value_hint(op) if op.startswith(("TensorBase(", "Sub(", "x =")) else
                         "Run the operation as torch would; only the class and the metadata change.")
            expect_close(gt.as_subclass(torch.Tensor).detach(), et.as_subclass(torch.Tensor).detach(), rtol=1e-6,
                         atol=1e-7, called=at, hint=_value_hint(op))
        _judge_plain_values(g, e, called)


def _judge_plain_values(got: Any, expected: Any, called: str) -> None:
    """Non-tensor parts of a result list (e.g. the gradient as a list) must agree too."""
    import torch
    if type(expected) is list:
        for i, (g, e) in enumerate(zip(got, expected)):
            if not isinstance(e, torch.Tensor):
                expect_close(g, e, rtol=1e-6, atol=1e-7, called=f"{called} -> result[{i}]",
                             hint="Gradients flow through your tensors as through plain ones.")


def _raise_hint(raised: dict) -> str:
    msg = raised.get("message", "")
    if raised["$raised"] == "RecursionError" or "recursion" in msg:
        return ("Inside __torch_function__, run the operation with torch's subclass handling switched off "
                "(torch._C.DisableTorchFunctionSubclass()); otherwise the operation calls __torch_function__ again, "
                "forever.")
    if "no implementation found" in msg or "unsupported operand" in msg:
        return ("torch's default __torch_function__ refuses to mix unrelated subclasses. Run the operation yourself "
                "(with subclass handling switched off) instead of handing it to torch's default.")
    if "as_subclass" in msg or "__dict__" in msg:
        return "Only tensors become TensorBase tensors; numbers, sizes, lists of numbers and arrays pass unchanged."
    return ("__torch_function__ runs for every torch operation on your tensors: run the operation on plain tensors, "
            "then give the tensors in the result your class and the metadata.")


def _class_hint(op: str, got: Any, expected: Any) -> str:
    if "TensorBase(" in op or "Sub(" in op:
        return ("The constructor makes a tensor of `cls` (the class it is called on, a subclass included) from a "
                "tensor or from anything torch.as_tensor accepts.")
    if "as_plain" in op:
        return ("as_plain gives a plain torch.Tensor (of class torch.Tensor exactly, with no metadata), sharing the "
                "memory.")
    text = f"{got} {expected}"
    if "Sub" in text or "Sibling" in text:
        return ("torch calls __torch_function__ of the most derived class among the arguments (on a tie, the "
                "leftmost) and passes that class as `cls`: give the results that class, not your base class and "
                "not the first argument's class.")
    if "Other" in text:
        return ("A tensor of an unrelated torch.Tensor subclass does not change the result's class: it is `cls`, "
                "the class torch passes to your __torch_function__.")
    if isinstance(expected, tuple):
        return ("Operations such as split and unbind return a tuple of tensors: give each tensor in a tuple or a "
                "list your class too (and keep the tuple a tuple).")
    return ("Every tensor a torch operation returns on your tensors must be of class `cls` (the class torch passes "
            "to __torch_function__), not a plain torch.Tensor.")


def _meta_hint(op: str, got: Any, expected: Any) -> str:
    if "y.tag" in op:
        return ("Setting an attribute on a result changed the input: each result needs its own metadata dict "
                "(copy the attributes into it; never share the input's dict itself).")
    if "out=" in op:
        return ("This result is a tensor that already existed (given as out=) and has its own metadata: a result "
                "that already has metadata keeps it.")
    if "as_plain" in op:
        return "A plain tensor carries no metadata: as_plain gives the data only."
    if "TensorBase(" in op or "Sub(" in op:
        return "Every keyword argument of the constructor becomes an attribute of the tensor (in its __dict__)."
    if "o " in op or "o +" in op:
        return ("The metadata comes from tensors of your class only: an unrelated torch.Tensor subclass's attributes "
                "are not metadata.")
    if "cat" in op or "stack" in op:
        return ("torch.cat and torch.stack receive a list or a tuple of tensors: look one level inside list and "
                "tuple arguments for a tensor of your class with metadata.")
    return ("The result takes the metadata of the first argument, in order, that is an instance of your class "
            "(subclasses included) and has metadata; a tensor without metadata is skipped.")


def _value_hint(op: str) -> str:
    if op.startswith(("TensorBase(", "Sub(", "x =")):
        return ("The constructor uses the tensor it is given as it is: same dtype, same memory (no copy), only seen "
                "as your class; anything else goes through torch.as_tensor.")
    if "as_plain" in op:
        return "as_plain must not copy: the plain tensor shares the memory of the original."
    return "Run the operation itself on the arguments as given (only the class and the metadata of results change)."


# ----------------------------------------------------------------------------------------------------------------
# 5. to_plain
# ----------------------------------------------------------------------------------------------------------------

def _bump(v: Any) -> None:
    """Add 1 in place to every tensor in `v` (inside tuples, lists and dicts)."""
    import torch
    if isinstance(v, torch.Tensor):
        with torch.no_grad():
            v.as_subclass(torch.Tensor).add_(1)
    elif isinstance(v, (tuple, list)):
        for x in v:
            _bump(x)
    elif isinstance(v, dict):
        for x in v.values():
            _bump(x)


def to_plain_out(fn: Callable, batch: Any) -> Any:
    """Probe: fn(batch) (or what it raised)."""
    return _raised(attempt(fn, batch))


def to_plain_shares(fn: Callable, batch: Any) -> Any:
    """Probe: out = fn(batch); add 1 in place to every tensor of out; return the batch then (a tensor of out that
    shares memory with the batch shows the change in both)."""
    out = _raised(attempt(fn, batch))
    if _is_raised(out):
        return out
    _bump(out)
    return batch


def _batches() -> list[tuple[str, Any]]:
    import numpy as np
    import torch
    core = _core()
    g = torch.Generator().manual_seed(1)
    img = lambda *s: core.TensorImage(torch.rand(*s, generator=g))  # noqa: E731
    cat = lambda *v: core.TensorCategory(torch.tensor(v))  # noqa: E731
    return [
        ("a TensorImage", img(3, 2, 2)),
        ("a TensorBase with metadata", core.TensorBase(torch.randn(4, generator=g), tag="t", channels=["x"])),
        ("a plain tensor", torch.randn(3, generator=g)),
        ("a 0-d TensorCategory", core.TensorCategory(torch.tensor(2))),
        ("a tuple (images, labels)", (img(2, 1, 2, 2), cat(1, 0))),
        ("a list of TensorText", [core.TensorText(torch.tensor([4, 5, 6])), core.TensorText(torch.tensor([7]))]),
        ("a dict", {"image": img(1, 2, 2), "label": cat(3), "name": "cat", "weight": 0.5}),
        ("a nested batch", ([img(1, 2, 2), (cat(1), 3)], {"masks": [core.TensorMask(torch.tensor([[0, 1]]))],
                                                          "note": None})),
        ("a tuple without tensors", (3, "a", None, 2.5, [1, 2])),
        ("a list with a numpy array", [np.arange(3), img(1, 1, 1), "x"]),
        ("a tensor that requires grad", core.TensorBase(torch.randn(3, generator=g).requires_grad_(True))),
        ("a tuple holding a tensor that requires grad",
         (core.TensorImage(torch.randn(2, generator=g).requires_grad_(True)), cat(0))),
        ("empty containers", ((), [], {})),
        ("a number", 7),
        ("a string", "label"),
    ]


def _grads(v: Any, path: str = "") -> list:
    import torch
    if isinstance(v, torch.Tensor):
        return [(path, bool(v.requires_grad))]
    if isinstance(v, (tuple, list)):
        return [x for i, o in enumerate(v) for x in _grads(o, f"{path}[{i}]")]
    if isinstance(v, dict):
        return [x for k, o in v.items() for x in _grads(o, f"{path}[{k!r}]")]
    return []


def _to_plain_hint(where: str, got: Any, expected: Any) -> str:
    import torch
    if "expected a tuple" in where or "expected a list" in where:
        return "Keep each container's type: a tuple stays a tuple and a list stays a list."
    if "expected a dict" in where or "key" in where:
        return "A dict becomes a dict with the same keys, each value stripped."
    if "expected a Tensor" in where:
        deep = where.count("[") > 1 or "'" in where
        if deep:
            return ("Go into tuples, lists and dicts at every depth (a batch nests them): every semantic tensor "
                    "inside must come out plain.")
        return "A semantic tensor (any instance of ref.TensorBase, subclasses included) comes out as a plain torch.Tensor."
    if "got a Tensor" in where:
        return "Only tensors change: numbers, strings, None and numpy arrays come back as they are."
    if isinstance(expected, torch.Tensor) or "element" in where:
        return "Strip the class only: the values stay the same."
    return "Strip the class of every semantic tensor, keep everything else as it is."


@check(points=2, timeout=10)
def to_plain(student: Callable) -> None:
    """Your `to_plain` strips the semantic class from every tensor in a batch, sharing memory, keeping the rest."""
    for what, batch in _batches():
        called = f"to_plain(<{what}>)"
        if not isinstance(batch, (tuple, list, dict)) or len(show(batch, 200)) < 120:
            called = f"to_plain({show(batch, 120)}) ({what})"
        got = probe(to_plain_out, student, batch)
        expected = probe(to_plain_out, _core().to_plain, batch)
        if _is_raised(got):
            _fail_raised(got, called, expected, "to_plain accepts any value: tensors, containers of them, and "
                                                "anything else (returned as it is).")
        where = first_difference(got, expected, same_type=True)
        if where is not None:
            fail("wrong result", called=called, expected=expected, got=got, where=where,
                 hint=_to_plain_hint(where, got, expected))
        if _grads(got) != _grads(expected):
            fail("the result left autograd", called=called, expected=_grads(expected), got=_grads(got),
                 where="requires_grad of each tensor, as (position, flag)",
                 hint="Stripping the class must keep the tensor in the autograd graph: no detaching, no copy.")
        got_batch = probe(to_plain_shares, student, batch)
        expected_batch = probe(to_plain_shares, _core().to_plain, batch)
        batch_where = first_difference(got_batch, expected_batch, same_type=True)
        if batch_where is not None:
            same_kinds = first_difference(_kinds(got_batch), _kinds(expected_batch)) is None
            hint = ("The plain tensors must share memory with the batch's tensors (no copy): after adding 1 in place "
                    "to the result, the batch must show the change too." if same_kinds else
                    "to_plain must not change the batch it is given: build new containers, leave the old ones as "
                    "they were.")
            fail("the batch given to to_plain is not as expected afterwards", called=called + ", then 1 added in "
                 "place to every tensor of the result; the batch", expected=expected_batch, got=got_batch,
                 where=batch_where, hint=hint)


def _kinds(v: Any) -> Any:
    """The classes in a batch (not the values), to tell a changed container from unshared memory."""
    import torch
    if isinstance(v, torch.Tensor):
        return type(v).__name__
    if isinstance(v, (tuple, list)):
        return [type(v).__name__] + [_kinds(x) for x in v]
    if isinstance(v, dict):
        return {k: _kinds(x) for k, x in v.items()}
    return type(v).__name__
