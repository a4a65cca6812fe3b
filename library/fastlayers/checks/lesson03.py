"""Checks for exercise 03 (datasets and data loaders): RandomSplitter, FuncSplitter, Datasets, collate, DataLoader.

Each check sends its cases to a probe (a module-level function) that builds the inputs and runs the student's piece
where it lives, and sends the same cases to the same probe on the reference; both answers come back as plain data
and are judged here. Cases travel as names, sizes and seeds: each side builds its own items from them, so inputs
that cannot travel (a DataFrame, a class of the user's own, a dataset that logs what it is asked) are the same on
both sides. The random cases get fresh seeds on every run. Hints name the idea and the failing case, never the code.
"""
from __future__ import annotations

import functools
import random
from typing import Any, Callable

from fastlayers.checks import plain
from fastlayers.checks.framework import (NOT_WRITTEN, Raised, attempt, call, check, expect_count, expect_raises,
                                         fail, first_difference, labelled, probe, show)

__all__ = ["random_splitter", "func_splitter", "datasets", "collate", "dataloader_idxs", "dataloader_batches"]

PRELOAD = ["pandas"]  # the notebook's process imports these before it starts a notebook (DataFrame cases)


def _data():
    # Imported when a check runs, so `fastlayers.checks` stays cheap to import.
    import fastlayers.data as ref
    return ref


def _fresh_seed() -> int:
    """A new seed on every run, for the random cases: their answers cannot be known in advance."""
    return random.SystemRandom().randrange(2 ** 31)


# ----------------------------------------------------------------------------------------------------------------
# Shared: outcomes as plain data, and where two answers first differ in kind (class, dtype, shape)
# ----------------------------------------------------------------------------------------------------------------

def _keeps_global_rng(probe_fn: Callable) -> Callable:
    """A probe that seeds torch's global generator puts its state back afterwards: the student's own random numbers
    after a check are what they would have been without it."""
    @functools.wraps(probe_fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        import torch
        state = torch.get_rng_state()
        try:
            return probe_fn(*args, **kwargs)
        finally:
            torch.set_rng_state(state)
    return wrapper


def _outcome(fn: Callable, *args: Any, **kwargs: Any) -> dict:
    """Inside a probe: {"value": result}, or {"raised": the exception as plain data}."""
    out = attempt(fn, *args, **kwargs)
    if isinstance(out, Raised):
        return {"raised": {"type": out.type, "kinds": list(out.kinds), "message": out.message[:400],
                           "where": out.where}}
    return {"value": out}


def _raised_text(raised: dict) -> str:
    message = str(raised.get("message", ""))
    return f"<raised {raised.get('type')}: {message}>" if message else f"<raised {raised.get('type')}>"


def _expect_no_raise(out: Any, called: str, hint: str = "") -> Any:
    """The value an outcome carries; fails when the student's code raised (or the answer is malformed)."""
    if not isinstance(out, dict) or not ("value" in out or "raised" in out):
        fail("the answer cannot be graded", called=called, got=f"<a {type(out).__name__}>")
    if "raised" in out:
        raised = out["raised"] if isinstance(out["raised"], dict) else {}
        kinds = raised.get("kinds", [])
        fail(f"raised {raised.get('type')}", called=called, expected="<a result, no exception>",
             got=_raised_text(raised), where=str(raised.get("where", "")),
             hint=NOT_WRITTEN if "NotImplementedError" in kinds else hint)
    return out["value"]


def _kind(x: Any) -> str:
    """'a Tensor of dtype float32 and shape (3,)', 'a tuple of 2', 'an int'."""
    import torch
    if isinstance(x, torch.Tensor):
        text = f"{type(x).__name__} of dtype {str(x.dtype).replace('torch.', '')} and shape {tuple(x.shape)}"
    elif isinstance(x, (list, tuple)):
        text = f"{type(x).__name__} of {len(x)}"
    elif isinstance(x, dict):
        text = f"dict with keys {list(x)}"
    else:
        text = type(x).__name__
    return ("an " if text[0].lower() in "aeiou" else "a ") + text


def layout_difference(got: Any, expected: Any, path: str = "") -> str | None:
    """Where `got` first differs from `expected` in kind: container types, lengths, dict keys (in order), tensor
    class, dtype and shape, element types. None when they have the same layout (values are compared elsewhere)."""
    import torch
    here = path or "the result"
    if isinstance(expected, torch.Tensor):
        if not isinstance(got, torch.Tensor) or type(got) is not type(expected) or got.dtype != expected.dtype \
                or tuple(got.shape) != tuple(expected.shape):
            return f"{here}: got {_kind(got)}, expected {_kind(expected)}"
        return None
    if type(got) is not type(expected):
        return f"{here}: got {_kind(got)}, expected {_kind(expected)}"
    if isinstance(expected, dict):
        if list(got) != list(expected):
            return f"{here}: got keys {list(got)}, expected {list(expected)}"
        for k in expected:
            diff = layout_difference(got[k], expected[k], f"{path}[{k!r}]")
            if diff:
                return diff
    elif isinstance(expected, (list, tuple)):
        if len(got) != len(expected):
            return f"{here}: got {len(got)} elements, expected {len(expected)}"
        for i, (g, e) in enumerate(zip(got, expected)):
            diff = layout_difference(g, e, f"{path}[{i}]")
            if diff:
                return diff
    return None


def _difference(got: Any, expected: Any) -> str | None:
    """Kind first (class, dtype, shape), then values, exactly."""
    return layout_difference(got, expected) or first_difference(got, expected, same_type=True)


def _expect_same(got: Any, expected: Any, called: str, hint: str, summary: str = "wrong result") -> None:
    where = _difference(got, expected)
    if where is not None:
        fail(summary, called=called, expected=expected, got=got, where=where, hint=hint)


def _expect_record(got: Any, keys: tuple, called: str) -> None:
    """The probe answered a dict with these keys (anything else cannot be graded)."""
    if not isinstance(got, dict) or any(k not in got for k in keys):
        fail("the answer cannot be graded", called=called, expected=f"<a record with {', '.join(keys)}>",
             got=f"<a {type(got).__name__}>")


def _int_lists(value: Any, count: int) -> bool:
    """Whether `value` is a tuple of `count` lists of Python ints."""
    return (type(value) is tuple and len(value) == count and all(type(part) is list for part in value)
            and all(type(i) is int for part in value for i in part))


# ----------------------------------------------------------------------------------------------------------------
# Items of several kinds, built on each side from a name and a size (only their length or elements matter)
# ----------------------------------------------------------------------------------------------------------------

def _names(n: int, seed: int) -> list:
    rng = random.Random(seed)
    return [f"{rng.choice('vtvxt')}{i:03d}_{rng.choice(['cat', 'dog', 'bird'])}" for i in range(n)]


def make_items(kind: str, n: int, seed: int = 0) -> Any:
    """`n` items of one kind: list, range, tuple, array, tensor (2-d: its length is its rows), frame (a DataFrame of
    3 columns), names (strings), floats (a 1-d tensor), float_array."""
    import numpy as np
    import torch
    g = torch.Generator().manual_seed(seed)
    if kind == "list":
        return [f"item{i}" for i in range(n)]
    if kind == "range":
        return range(n)
    if kind == "tuple":
        return tuple(i * 10 for i in range(n))
    if kind == "ints":
        return [int(v) for v in torch.randint(-20, 40, (n,), generator=g)]
    if kind == "array":
        return np.arange(n) * 2
    if kind == "tensor":
        return torch.arange(2 * n, dtype=torch.float32).reshape(n, 2)
    if kind == "names":
        return _names(n, seed)
    if kind == "names_tuple":
        return tuple(_names(n, seed))
    if kind == "floats":
        return torch.rand(n, generator=g)
    if kind == "float_array":
        return torch.rand(n, generator=g).double().numpy()
    if kind == "frame":
        import pandas as pd
        x = torch.randint(0, 9, (n,), generator=g).tolist()
        return pd.DataFrame({"x": x, "name": _names(n, seed), "is_valid": [v % 3 == 0 for v in x]})
    raise ValueError(f"unknown kind of items {kind!r}")


_ITEMS_TEXT = {"list": "a list", "range": "a range", "tuple": "a tuple", "ints": "a list", "array": "a numpy array",
               "tensor": "a 2-d tensor", "names": "a list", "names_tuple": "a tuple", "floats": "a 1-d tensor",
               "float_array": "a numpy array", "frame": "a DataFrame"}


def _items_text(kind: str, n: int) -> str:
    what = "rows" if kind in ("frame", "tensor") else "items"
    return f"<{_ITEMS_TEXT[kind]} of {n} {what}>"


# ----------------------------------------------------------------------------------------------------------------
# 1. RandomSplitter
# ----------------------------------------------------------------------------------------------------------------

@_keeps_global_rng
def random_splits(make: Callable, cases: list) -> list:
    """Probe: per case, seed torch's global generator, build a splitter, split the items twice, then draw from the
    global generator (to see whether the splitter used or reset it)."""
    import torch
    out = []
    for pct, seed, kind, n, global_seed in cases:
        items = make_items(kind, n)
        torch.manual_seed(global_seed)
        with labelled(f"RandomSplitter({pct!r}, seed={seed!r})({_items_text(kind, n)})"):
            split = call(make, pct, seed=seed)
            if not callable(split):
                out.append({"callable": False, "got": split})
                continue
            first = call(split, items)
            second = call(split, items)
        out.append({"callable": True, "first": first, "second": second, "after": torch.rand(3).tolist()})
    return out


def _random_split_cases(seed: int) -> list:
    # (valid_pct, seed, kind of items, n, global seed): roundings (2.6 -> 2, 0.7 -> 0), no seed, 0 and 1 item
    fixed = [(0.2, 42, "list", 10, 0), (0.2, 42, "list", 10, 1), (0.25, 7, "range", 13, 2), (0.2, 3, "tuple", 13, 3),
             (0.5, 0, "array", 9, 4), (0.1, 5, "tensor", 7, 5), (0.3, 11, "frame", 20, 6), (0.2, None, "list", 25, 7),
             (0.9, None, "range", 10, 8), (0.2, 1, "list", 0, 9), (0.4, 123, "list", 1, 10)]
    rng = random.Random(seed)
    rand = [(round(rng.uniform(0.05, 0.95), 2), rng.choice([None, rng.randrange(10 ** 6)]),
             rng.choice(["list", "range", "array", "tensor", "frame"]), rng.randint(2, 60), rng.randrange(10 ** 6))
            for _ in range(6)]
    return fixed + rand


TYPE_HINT = "Return a tuple (train, valid) of two lists of Python ints (turn a tensor into a list of ints first)."


def _random_split_hint(pct: float, seed: Any, n: int, got: tuple, exp: tuple) -> str:
    train, valid = exp
    perm = valid + train
    cut = len(valid)
    if got == (valid, train):
        return "Train and valid are swapped: the first list is the training set, the second the validation set."
    if got == (perm[:n - cut], perm[n - cut:]) and cut:
        return "The validation set is the *start* of the shuffled order, not its end."
    if len(got[1]) != cut:
        return (f"The validation set holds valid_pct of the items, rounded down: with {n} items and "
                f"valid_pct={pct:g} that is {cut} item(s), not {len(got[1])}.")
    if sorted(got[1]) == sorted(valid) and sorted(got[0]) == sorted(train):
        return "The right indices in a different order: keep both lists in the shuffled order."
    if seed is None:
        return ("With seed=None shuffle with torch's randperm and no generator of your own, so torch.manual_seed "
                "makes the split reproducible; other random sources give other orders.")
    return ("A different shuffle: use torch's randperm with a torch.Generator seeded with `seed` (Python's random "
            "module or numpy give other orders for the same seed).")


@check(points=2, timeout=10)
def random_splitter(RandomSplitter: Callable) -> None:
    """`RandomSplitter(valid_pct, seed)` splits at random like the reference, the same way at every call."""
    ref = _data()
    for pct in (1.5, -0.2, 0.0, 1.0):
        expect_raises(ValueError, RandomSplitter, pct, match="valid_pct", called=f"RandomSplitter({pct!r})",
                      hint="valid_pct must be strictly between 0 and 1: refuse anything else when the splitter is "
                           "made, with a ValueError that names valid_pct.")
    cases = _random_split_cases(_fresh_seed())
    got = probe(random_splits, RandomSplitter, cases)
    exp = probe(random_splits, ref.RandomSplitter, cases)
    expect_count(got, len(cases), "RandomSplitter on every case")
    for (pct, seed, kind, n, global_seed), g, e in zip(cases, got, exp):
        made = f"RandomSplitter({pct!r}, seed={seed!r})"
        called = f"{made}({_items_text(kind, n)})"
        _expect_record(g, ("callable",), called)
        if not g["callable"]:
            fail("wrong kind of result", called=made, expected="<a function of the items>", got=g.get("got"),
                 hint="RandomSplitter returns a function; the split happens when that function is called with the "
                      "items.")
        _expect_record(g, ("first", "second", "after"), called)
        for which in ("first", "second"):
            at = called if which == "first" else f"{called}, called a second time"
            if not _int_lists(g[which], 2):
                fail("wrong type of result", called=at, expected="<a tuple of two lists of ints>",
                     got=g[which], where=_difference(g[which], e[which]) or "", hint=TYPE_HINT)
        if g["first"] != e["first"]:
            fail("wrong split", called=called, expected=e["first"], got=g["first"],
                 where=first_difference(g["first"], e["first"]) or "",
                 hint=_random_split_hint(pct, seed, n, g["first"], e["first"]))
        if g["second"] != e["second"]:
            fail("a second call gave a different split", called=f"{called}, called a second time",
                 expected=e["second"], got=g["second"],
                 hint="The same splitter must give the same split every time it is called: make the seeded "
                      "generator inside the split function, fresh at every call, not once outside it.")
        if g["after"] != e["after"]:
            fail("the splitter changed torch's global random numbers", called=called,
                 expected="<the global generator as the reference leaves it>", got="<other random numbers after it>",
                 hint="With a seed, shuffle with a torch.Generator of your own and leave the global one alone "
                      "(torch.manual_seed would reset everybody's random numbers); without a seed, draw one "
                      "permutation from the global generator." if seed is not None else
                      "Without a seed, draw exactly one permutation from torch's global generator per split.")


# ----------------------------------------------------------------------------------------------------------------
# 2. FuncSplitter
# ----------------------------------------------------------------------------------------------------------------

def _multiple_of_3(o):
    return o % 3 == 0


def _odd_as_number(o):
    return int(o) % 2


def _starts_with_v(o):
    return o.startswith("v")


def _first_letter_of_v(o):
    return o[:1] if o.startswith("v") else ""


def _above_half(o):
    return o > 0.5


def _row_flag(row):
    return row["is_valid"]


def _row_at_least_4(row):
    return row["x"] >= 4


def _never(o):
    return None


def _always(o):
    return True


_SPLIT_FUNCS = {"multiple_of_3": _multiple_of_3, "odd_as_number": _odd_as_number, "starts_with_v": _starts_with_v,
                "first_letter_of_v": _first_letter_of_v, "above_half": _above_half, "row_flag": _row_flag,
                "row_at_least_4": _row_at_least_4, "never": _never, "always": _always}

_FUNC_TEXT = {"multiple_of_3": "o % 3 == 0 (a bool)", "odd_as_number": "1 for odd, 0 for even (an int)",
              "starts_with_v": "starts with 'v' (a bool)",
              "first_letter_of_v": "'v' for names starting with v, else '' (a string)",
              "above_half": "o > 0.5 (a tensor or numpy bool)", "row_flag": "row['is_valid'] (a numpy bool)",
              "row_at_least_4": "row['x'] >= 4 (a numpy bool)", "never": "None for every item",
              "always": "True for every item"}


def _func_called(fname: str, kind: str, n: int) -> str:
    return f"FuncSplitter(<func: {_FUNC_TEXT[fname]}>)({_items_text(kind, n)})"


def func_splits(make: Callable, cases: list) -> list:
    """Probe: per case, make a splitter from a named function (counting its calls) and split the items."""
    out = []
    for fname, kind, n, seed in cases:
        seen: list = []
        f = _SPLIT_FUNCS[fname]

        def counted(o, f=f):
            seen.append(1)
            return f(o)
        counted.__qualname__ = fname
        with labelled(_func_called(fname, kind, n)):
            split = call(make, counted)
            if not callable(split):
                out.append({"callable": False, "got": split})
                continue
            result = call(split, make_items(kind, n, seed))
        out.append({"callable": True, "result": result, "calls": len(seen)})
    return out


def _func_split_cases(seed: int) -> list:
    rng = random.Random(seed)
    s = [rng.randrange(10 ** 6) for _ in range(12)]
    return [("multiple_of_3", "ints", 17, s[0]), ("odd_as_number", "range", 9, 0), ("odd_as_number", "array", 6, 0),
            ("starts_with_v", "names", 15, s[1]), ("first_letter_of_v", "names_tuple", 12, s[2]),
            ("above_half", "floats", 11, s[3]), ("above_half", "float_array", 10, s[4]),
            ("row_flag", "frame", 14, s[5]), ("row_at_least_4", "frame", 9, s[6]), ("never", "ints", 5, s[7]),
            ("always", "ints", 4, s[8]), ("multiple_of_3", "ints", 0, s[9]), ("multiple_of_3", "ints", 1, 3),
            ("starts_with_v", "names", rng.randint(20, 40), s[10])]


def _func_split_hint(fname: str, kind: str, got: tuple, exp: tuple) -> str:
    if got == (exp[1], exp[0]):
        return "Train and valid are swapped: items for which func is true go to validation (the second list)."
    if kind == "frame":
        return ("The items of a DataFrame are its rows: give func each row (a Series) in turn; iterating a "
                "DataFrame directly gives its column names.")
    if fname in ("odd_as_number", "first_letter_of_v", "above_half", "never"):
        return ("Read func's answer the way an `if` does: 1, a non-empty string, numpy's True and a tensor holding "
                "True are all true; 0, '' and None are false.")
    return "Valid holds the positions of the items for which func is true, train all the others, both in increasing order."


@check(points=2, timeout=10)
def func_splitter(FuncSplitter: Callable) -> None:
    """`FuncSplitter(func)` sends the items for which func is true to validation, like the reference."""
    ref = _data()
    cases = _func_split_cases(_fresh_seed())
    got = probe(func_splits, FuncSplitter, cases)
    exp = probe(func_splits, ref.FuncSplitter, cases)
    expect_count(got, len(cases), "FuncSplitter on every case")
    for (fname, kind, n, _), g, e in zip(cases, got, exp):
        called = _func_called(fname, kind, n)
        _expect_record(g, ("callable",), called)
        if not g["callable"]:
            fail("wrong kind of result", called=f"FuncSplitter(<func: {_FUNC_TEXT[fname]}>)",
                 expected="<a function of the items>", got=g.get("got"),
                 hint="FuncSplitter returns a function; it splits when it is called with the items.")
        _expect_record(g, ("result", "calls"), called)
        if not _int_lists(g["result"], 2):
            fail("wrong type of result", called=called, expected="<a tuple of two lists of ints>", got=g["result"],
                 where=_difference(g["result"], e["result"]) or "", hint=TYPE_HINT)
        if g["result"] != e["result"]:
            fail("wrong split", called=called, expected=e["result"], got=g["result"],
                 where=first_difference(g["result"], e["result"]) or "",
                 hint=_func_split_hint(fname, kind, g["result"], e["result"]))
        if g["calls"] != e["calls"]:
            fail("func was not called once per item", called=called, expected=f"<{e['calls']} calls>",
                 got=f"<{g['calls']} calls>",
                 hint="Ask func about each item exactly once and remember the answer: func may be slow, or count, "
                      "or give a different answer when asked twice.")


# ----------------------------------------------------------------------------------------------------------------
# 3. Datasets
# ----------------------------------------------------------------------------------------------------------------

def _number(s):
    """'v017_dog' -> tensor(17.)"""
    import torch
    return torch.tensor(float(s[1:4]))


def _label(s):
    return s.split("_")[1]


def _length(s):
    return len(s)


def _transform_classes() -> dict:
    """Reference transforms with state or a split (defined when first used, in the process that uses them)."""
    if not _CLASSES:
        import torch
        from fastlayers.core import Transform

        class Center(Transform):
            """Subtract the mean of the (training) numbers it was set up on; decode adds it back."""
            def setups(self, items):
                self.mean = float(torch.stack([torch.as_tensor(o) for o in items]).float().mean())

            def encodes(self, x):
                return x - self.mean

            def decodes(self, x):
                return x + self.mean

        class TrainOnly(Transform):
            """Add 1000, on the training split only (like an augmentation)."""
            split_idx = 0

            def encodes(self, x):
                return x + 1000

        _CLASSES.update(center=Center, train_only=TrainOnly)
    return _CLASSES


_CLASSES: dict = {}


def _pipeline(names: tuple) -> list:
    ref = _data()
    classes = _transform_classes()
    makers = {"number": lambda: _number, "label": lambda: _label, "length": lambda: _length,
              "categorize": ref.Categorize, "center": classes["center"], "train_only": classes["train_only"]}
    return [makers[name]() for name in names]


def _datasets_items(n: int, seed: int) -> list:
    """Names like 'v017_dog'; the first three hold the three labels (cases keep them in the training set)."""
    rng = random.Random(seed)
    labels = ["cat", "dog", "bird"]
    return [f"{rng.choice('vt')}{rng.randrange(1000):03d}_{labels[k % 3]}" for k in range(n)]


def _all_items(ds: Any) -> list:
    return [ds[i] for i in range(len(ds))]


def _all_decoded(ds: Any) -> list:
    return [ds.decode(ds[i]) for i in range(len(ds))]


def datasets_run(cls: Callable, case: dict) -> dict:
    """Probe: build `cls(items, tfms, n_inp=..., splits=...)` for a case; the outcome of each question about it and
    its subsets (length, n_inp, every item, every item decoded), in the order they are judged."""
    items = _datasets_items(case["n"], case["seed"])
    tfms = [_pipeline(names) for names in case["tfms"]]
    kwargs = {"splits": case["splits"]} if case["splits"] is not None else {}
    if case["n_inp"] is not None:
        kwargs["n_inp"] = case["n_inp"]
    ds = call(cls, items, tfms, **kwargs)
    out = {}

    def ask(obj: Any, name: str) -> None:
        out[f"len({name})"] = _outcome(len, obj)
        out[f"{name}.n_inp"] = _outcome(getattr, obj, "n_inp")
        out[f"{name}[i] for each i"] = _outcome(_all_items, obj)
        out[f"{name}.decode({name}[i]) for each i"] = _outcome(_all_decoded, obj)
    ask(ds, "ds")
    for name in (("train", "valid") if case["splits"] is not None else ("train",)):
        sub = _outcome(getattr, ds, name)
        out[f"ds.{name}"] = sub if "raised" in sub else {"value": None}
        if "value" in sub:
            ask(sub["value"], f"ds.{name}")
    out["the list of items, afterwards"] = {"value": items}
    return out


def _datasets_cases(seed: int) -> list:
    rng = random.Random(seed)
    cases = []
    for tfms, n_inp, n in (
            ((("number", "center"), ("label", "categorize")), None, 12),
            ((("number",), ("number", "train_only"), ("label", "categorize")), None, 10),
            ((("label", "categorize"),), None, 9),
            ((("number", "center"), ("length",)), 2, 8),
            ((("number", "train_only", "center"), ("label", "categorize")), None, rng.randint(12, 20))):
        idx = list(range(3, n))  # items 0 to 2 (one of each label) always train: every label is in the vocab
        rng.shuffle(idx)
        valid = sorted(idx[:max(2, n // 4)])
        cases.append({"n": n, "seed": rng.randrange(10 ** 6), "tfms": [list(t) for t in tfms], "n_inp": n_inp,
                      "splits": [[i for i in range(n) if i not in valid], valid]})
    cases.append({"n": 7, "seed": rng.randrange(10 ** 6), "tfms": [["number", "center"], ["label", "categorize"]],
                  "n_inp": None, "splits": None})
    return cases


def _tfms_text(tfms: list) -> str:
    return "[" + ", ".join("[" + ", ".join(t) + "]" for t in tfms) + "]"


_DATASETS_HINTS = {
    "len": "len(ds) is the number of items (every pipeline covers all of them).",
    "n_inp": "n_inp is the number given, or else all the pipelines but the last one, and never less than 1.",
    "items": ("ds[i] is a tuple with one element per pipeline, in the order of tfms, each the pipeline's output for "
              "item i (a tuple even when there is only one pipeline). Each pipeline is set up on the training items "
              "only (the splits go to every TfmdLists), so what it learns (a vocab, a mean) comes from them."),
    "decoded": "decode undoes each element of the tuple with its own pipeline (the first with the first, ...) and "
               "returns a tuple.",
    "subset": ("A subset shares the pipelines that were set up on the training items: setting them up again on the "
               "subset's items changes what they learnt (a vocab, a mean); and it knows its split, so training-only "
               "transforms act on split 0 only. It keeps n_inp."),
    "after": "Datasets must not change the list of items it is given.",
}


def _datasets_hint(question: str) -> str:
    if question.startswith("the list"):
        return _DATASETS_HINTS["after"]
    if ".n_inp" in question:
        return _DATASETS_HINTS["n_inp"]
    if question.startswith("len("):
        return _DATASETS_HINTS["len"]
    if question.startswith(("ds.train", "ds.valid")):
        return _DATASETS_HINTS["subset"]
    return _DATASETS_HINTS["decoded" if "decode" in question else "items"]


@check(points=3, timeout=15)
def datasets(Datasets: Callable) -> None:
    """`Datasets(items, tfms, n_inp, splits)` gives the same items, subsets and decoded items as the reference."""
    ref = _data()
    for case in _datasets_cases(_fresh_seed()):
        kw = "" if case["n_inp"] is None else f", n_inp={case['n_inp']}"
        kw += "" if case["splits"] is None else f", splits=<{len(case['splits'][0])} train, " \
                                                 f"{len(case['splits'][1])} valid>"
        made = f"ds = Datasets(<{case['n']} names like 'v017_dog'>, {_tfms_text(case['tfms'])}{kw})"
        with labelled(made):
            got = probe(datasets_run, Datasets, case)
        exp = probe(datasets_run, ref.Datasets, case)
        _expect_record(got, tuple(exp), made)
        for question, answer in exp.items():
            called = f"{made}; {question}"
            value = _expect_no_raise(got[question], called, hint=_datasets_hint(question))
            _expect_same(value, answer.get("value"), called, _datasets_hint(question),
                         summary=f"wrong {question.replace(' for each i', '')}")


# ----------------------------------------------------------------------------------------------------------------
# 4. collate
# ----------------------------------------------------------------------------------------------------------------

class Point:
    """A record of the user's own: not a tensor, number, string or container, so it cannot be collated."""

    def __init__(self, x: float, y: float):
        self.x, self.y = x, y


def collate_items(kind: str, seed: int) -> list:
    """A list of items of one kind (2 to 5 of them, one for 'one item'), random from `seed`."""
    import numpy as np
    import torch
    from fastlayers.core import TensorCategory, TensorImage
    g = torch.Generator().manual_seed(seed)
    rng = random.Random(seed)
    n = 1 if kind == "one item" else rng.randint(2, 5)

    def randn(*shape, dtype=torch.float32):
        return torch.randn(shape, generator=g).to(dtype)

    def ints(*shape, high=10, dtype=torch.int64):
        return torch.randint(0, high, shape, generator=g).to(dtype)

    makers = {
        "float32 tensors": lambda i: randn(3),
        "float64 matrices": lambda i: randn(2, 3, dtype=torch.float64),
        "int64 tensors": lambda i: ints(4),
        "uint8 images": lambda i: ints(1, 2, 2, high=256, dtype=torch.uint8),
        "bool tensors": lambda i: randn(3) > 0,
        "float16 tensors": lambda i: randn(2, dtype=torch.float16),
        "0-d tensors": lambda i: randn(),
        "TensorImages": lambda i: TensorImage(torch.rand(1, 2, 2, generator=g)),
        "TensorCategories": lambda i: TensorCategory(rng.randrange(5)),
        "ints": lambda i: rng.randint(-5, 5),
        "floats": lambda i: rng.uniform(-2, 2),
        "bools": lambda i: rng.random() < 0.5,
        "an int then floats": lambda i: 3 if i == 0 else rng.uniform(-2, 2),
        "numpy float64 scalars": lambda i: np.float64(rng.uniform(-1, 1)),
        "numpy int32 scalars": lambda i: np.int32(rng.randint(0, 9)),
        "numpy float32 arrays": lambda i: np.asarray(torch.rand(2, 3, generator=g).numpy(), dtype=np.float32),
        "numpy int16 arrays": lambda i: np.arange(3, dtype=np.int16) * rng.randint(1, 5),
        "strings": lambda i: f"s{rng.randrange(100)}",
        "Nones": lambda i: None,
        "(tensor, int) tuples": lambda i: (randn(3), rng.randrange(4)),
        "(str, float, tensor) tuples": lambda i: (f"n{i}", rng.uniform(0, 1), ints(2)),
        "((tensor, int), str) tuples": lambda i: ((randn(2), rng.randrange(3)), f"id{i}"),
        "[tensor, int] lists": lambda i: [randn(2), rng.randrange(3)],
        "lists of numbers": lambda i: [rng.randint(0, 9), rng.randint(0, 9), rng.uniform(0, 1)],
        "lists of strings": lambda i: [f"a{i}", f"b{i}"],
        "dicts": lambda i: {"x": randn(2, 2, dtype=torch.float64), "label": rng.random() < 0.5, "name": f"r{i}"},
        "dicts holding tuples": lambda i: {"pair": (ints(2), rng.uniform(0, 1)), "id": i},
        "tuples holding dicts": lambda i: (randn(2), {"a": rng.randrange(5), "b": [rng.randrange(5), f"t{i}"]}),
        "one item": lambda i: (randn(3), rng.randrange(4)),
        # cases that must be refused
        "tensors of different shapes": lambda i: randn(2 + i),
        "2-d tensors of different shapes": lambda i: randn(2, 3) if i % 2 == 0 else randn(3, 2),
        "tuples of different lengths": lambda i: (randn(2), 1) if i == 0 else (randn(2), 1, "extra"),
        "lists of different lengths": lambda i: [1, 2] if i == 0 else [1, 2, 3],
        "Points": lambda i: Point(rng.random(), rng.random()),
        "sets": lambda i: {i, i + 1},
        "(tensor, Point) tuples": lambda i: (randn(2), Point(i, i)),
    }
    if kind in ("tuples of different lengths", "lists of different lengths", "tensors of different shapes",
                "2-d tensors of different shapes"):
        n = max(n, 2)
    return [makers[kind](i) for i in range(n)]


_COLLATE_OK = ("float32 tensors", "float64 matrices", "int64 tensors", "uint8 images", "bool tensors",
               "float16 tensors", "0-d tensors", "TensorImages", "TensorCategories", "ints", "floats", "bools",
               "an int then floats", "numpy float64 scalars", "numpy int32 scalars", "numpy float32 arrays",
               "numpy int16 arrays", "strings", "Nones", "(tensor, int) tuples",
               "(str, float, tensor) tuples", "((tensor, int), str) tuples", "[tensor, int] lists",
               "lists of numbers", "lists of strings", "dicts", "dicts holding tuples", "tuples holding dicts",
               "one item")
_COLLATE_ERRORS = ("tensors of different shapes", "2-d tensors of different shapes", "tuples of different lengths",
                   "lists of different lengths", "Points", "sets", "(tensor, Point) tuples")


def collate_runs(fn: Callable, cases: list) -> list:
    """Probe: per case, build the items, collate them, and send back the outcome and the list of items afterwards
    (for the cases whose items can travel)."""
    out = []
    for kind, seed in cases:
        items = collate_items(kind, seed)
        result = _outcome(fn, items)
        if kind in _COLLATE_OK:
            result["items_after"] = items
        out.append(result)
    return out


def _tuples_for_lists(x: Any) -> Any:
    """Lists inside an item as tuples (the reference collates tuples; lists are collated the same way)."""
    if isinstance(x, list):
        return tuple(_tuples_for_lists(o) for o in x)
    if isinstance(x, tuple):
        return tuple(_tuples_for_lists(o) for o in x)
    if isinstance(x, dict):
        return {k: _tuples_for_lists(v) for k, v in x.items()}
    return x


def _lists_like(batch: Any, template: Any) -> Any:
    """`batch` with a list wherever the item `template` has one."""
    if isinstance(template, (list, tuple)):
        parts = [_lists_like(b, t) for b, t in zip(batch, template)]
        return parts if isinstance(template, list) else tuple(parts)
    if isinstance(template, dict):
        return {k: _lists_like(batch[k], t) for k, t in template.items()}
    return batch


def expected_batch(items: list) -> Any:
    """The reference collate, extended to lists (collated element-wise like tuples, giving a list)."""
    ref = _data()
    return _lists_like(ref.collate([_tuples_for_lists(o) for o in items]), items[0])


def _collate_cases(seed: int) -> list:
    rng = random.Random(seed)
    return [(kind, rng.randrange(10 ** 6)) for kind in _COLLATE_OK + _COLLATE_ERRORS]


def _item_kind(o: Any, depth: int = 0) -> str:
    """A short text for the kind of an item: `(Tensor float32 (3,), int)`."""
    import numpy as np
    import torch
    if isinstance(o, (torch.Tensor, np.ndarray)):
        return f"{type(o).__name__} {str(o.dtype).replace('torch.', '')} {tuple(o.shape)}"
    if depth < 3 and isinstance(o, (tuple, list)):
        inner = ", ".join(_item_kind(x, depth + 1) for x in o)
        return f"({inner})" if isinstance(o, tuple) else f"[{inner}]"
    if depth < 3 and isinstance(o, dict):
        return "{" + ", ".join(f"{k!r}: {_item_kind(v, depth + 1)}" for k, v in o.items()) + "}"
    return type(o).__name__


def _items_shown(items: list) -> str:
    """The items of a collate case, as values when that is short, else by their kinds."""
    import torch
    text = show(items, 400)
    if len(text) <= 100 and "object" not in text:
        return text
    kinds = sorted({_item_kind(o) for o in items}, key=[_item_kind(o) for o in items].index)
    if isinstance(items[0], torch.Tensor) or len(kinds) > 1:
        return f"[<{len(items)} items: {'; '.join(kinds)}>]"
    return f"[<{len(items)} items like {kinds[0]}>]"


_COLLATE_HINTS = {
    "tensor": ("Tensors are stacked along a new first axis (a batch of n items of shape s has shape (n, *s)); "
               "stacking keeps their dtype and their class (a TensorImage batch is a TensorImage)."),
    "number": ("Numbers become one 1-d tensor with the dtype torch picks for that list: Python ints int64, floats "
               "float32, bools bool, numpy scalars their own dtype."),
    "array": "numpy arrays become tensors (same dtype) and are then stacked like tensors.",
    "text": "Strings and None cannot go into a tensor: their batch is a plain list of the items.",
    "tuple": ("A batch of tuples is a tuple of batches: collate the first elements of all items together, then the "
              "second ones, and so on, each as an item list of its own (recursion)."),
    "list": ("A batch of lists is collated like a batch of tuples, position by position, but the result is a list; "
             "a list is not a number sequence to put in one tensor."),
    "dict": ("A batch of dicts is a dict with the first item's keys, in their order, each collated over all the "
             "items."),
}


def _collate_hint(kind: str) -> str:
    if "list" in kind:
        return _COLLATE_HINTS["list"]
    if "dict" in kind:
        return _COLLATE_HINTS["dict"]
    if "tuple" in kind or kind == "one item":
        return _COLLATE_HINTS["tuple"]
    if "array" in kind:
        return _COLLATE_HINTS["array"]
    if kind in ("strings", "Nones"):
        return _COLLATE_HINTS["text"]
    if "tensor" in kind.lower() or "images" in kind or "matrices" in kind:
        return _COLLATE_HINTS["tensor"]
    return _COLLATE_HINTS["number"]


def _error_requirement(kind: str, items: list) -> tuple:
    """(exception class name, words its message must contain, hint) for a case that must be refused."""
    if "shapes" in kind:
        shapes = sorted({tuple(o.shape) for o in items})
        return ("RuntimeError", [str(s) for s in shapes],
                "Tensors of different shapes cannot be stacked: raise a RuntimeError whose message lists the "
                "shapes found, each written as a tuple such as (2, 3), so the user sees which items differ.")
    if "lengths" in kind:
        return ("RuntimeError", ["length"],
                "Items of different lengths cannot be collated position by position: raise a RuntimeError that "
                "says the lengths differ, instead of letting the shorter item silently cut the others.")
    name = "set" if kind == "sets" else "Point"
    return ("TypeError", [name],
            "Anything that is not a tensor, array, number, string, None, tuple, list or dict cannot be "
            "collated: raise a TypeError whose message names the items' type, so the user knows which transform "
            "is missing.")


@check(points=3, timeout=15)
def collate(collate: Callable) -> None:
    """`collate(items)` builds the reference's batch for tensors, numbers, arrays, text, tuples, lists and dicts, and
    refuses what cannot be collated with a clear error."""
    cases = _collate_cases(_fresh_seed())
    got = probe(collate_runs, collate, cases)
    expect_count(got, len(cases), "collate on every case")
    for (kind, seed), g in zip(cases, got):
        items = collate_items(kind, seed)
        called = f"collate({_items_shown(items)})"
        if kind in _COLLATE_OK:
            value = _expect_no_raise(g, called, hint=_collate_hint(kind))
            _expect_same(value, plain.copy(expected_batch(items)), called, _collate_hint(kind))
            _expect_record(g, ("items_after",), called)
            if _difference(g["items_after"], plain.copy(items)) is not None:
                fail("the list of items was changed", called=called, expected=plain.copy(items),
                     got=g["items_after"], where=_difference(g["items_after"], plain.copy(items)) or "",
                     hint="collate must leave the items it is given as they were: build the batch in new objects.")
            continue
        exc, words, hint = _error_requirement(kind, items)
        if not isinstance(g, dict) or "raised" not in g:
            fail("did not raise", called=called, expected=f"<raises {exc}>", got=g.get("value") if
                 isinstance(g, dict) else g, hint=hint)
        raised = g["raised"] if isinstance(g["raised"], dict) else {}
        kinds = raised.get("kinds", [])
        if "NotImplementedError" in kinds:
            fail("raised NotImplementedError", called=called, expected=f"<raises {exc}>", got=_raised_text(raised),
                 hint=NOT_WRITTEN)
        if exc not in kinds:
            fail("raised the wrong exception", called=called, expected=f"<raises {exc}>", got=_raised_text(raised),
                 where=str(raised.get("where", "")), hint=hint)
        missing = [w for w in words if w not in str(raised.get("message", ""))]
        if missing:
            fail("raised, but the message does not say what was wrong", called=called,
                 expected=f"<{exc} whose message mentions {', '.join(map(repr, words))}>",
                 got=_raised_text(raised), hint=hint)


# ----------------------------------------------------------------------------------------------------------------
# 5. DataLoader: the indices of an epoch, and the batches
# ----------------------------------------------------------------------------------------------------------------

def reference_loader(dataset: Any, bs: int = 64, shuffle: bool = False, drop_last: bool = False,
                     seed: int | None = None, collate_fn: Callable | None = None) -> Any:
    """The reference DataLoader with the exercise's signature (its collate stage is `create_batch`) and its
    `get_idxs` answering a list of ints, as the exercise asks (the reference's own gives a range or a tensor)."""
    ref = _data()

    class ReferenceLoader(ref.DataLoader):
        def get_idxs(self) -> list:
            return [int(i) for i in super().get_idxs()]

    stages = {} if collate_fn is None else {"create_batch": collate_fn}
    return ReferenceLoader(dataset, bs=bs, shuffle=shuffle, drop_last=drop_last, seed=seed, **stages)


@_keeps_global_rng
def loader_indices(cls: Callable, cases: list) -> list:
    """Probe: per case, seed torch's global generator, build the loader over a list, ask len() and get_idxs() for
    three epochs, then draw from the global generator."""
    import torch
    out = []
    for n, bs, shuffle, drop_last, seed, global_seed in cases:
        torch.manual_seed(global_seed)
        made = _loader_text(n, bs, shuffle, drop_last, seed)
        with labelled(made):
            dl = call(cls, [f"item{i}" for i in range(n)], bs=bs, shuffle=shuffle, drop_last=drop_last, seed=seed)
        with labelled(f"{made}.get_idxs()"):
            epochs = [call(dl.get_idxs) for _ in range(3)]
        with labelled(f"len({made})"):
            length = call(len, dl)
        out.append({"len": length, "epochs": epochs, "after": torch.rand(3).tolist()})
    return out


def _indices_cases(seed: int) -> list:
    # (n, bs, shuffle, drop_last, seed, global seed): partial and exact last batches, bs > n, empty, no seed
    fixed = [(10, 3, False, False, None, 0), (10, 3, False, True, None, 1), (12, 4, False, True, None, 2),
             (12, 4, False, False, None, 3), (0, 4, False, False, None, 4), (5, 8, False, False, None, 5),
             (1, 1, False, False, None, 6), (20, 6, True, False, 0, 7), (20, 6, True, True, 1, 8),
             (7, 2, True, False, 42, 9), (13, 5, True, False, None, 10), (9, 9, True, True, 3, 11)]
    rng = random.Random(seed)
    rand = []
    for _ in range(6):
        n, bs = rng.randint(1, 50), rng.randint(1, 12)
        drop = rng.random() < 0.5 and n >= bs
        rand.append((n, bs, rng.random() < 0.7, drop, rng.choice([None, rng.randrange(10 ** 6)]),
                     rng.randrange(10 ** 6)))
    return fixed + rand


def _loader_text(n: int, bs: int, shuffle: bool, drop_last: bool, seed: Any, data: str = "") -> str:
    what = data or f"<a list of {n} items>"
    return f"DataLoader({what}, bs={bs}, shuffle={shuffle}, drop_last={drop_last}, seed={seed})"


def _epoch_hint(n: int, shuffle: bool, seed: Any, epochs: list, k: int) -> str:
    got = epochs[k]
    if not shuffle:
        return "Without shuffle an epoch visits 0, 1, ..., n-1 in order, all of them (drop_last only changes the batches)."
    if sorted(got) != list(range(n)):
        return "A shuffled epoch is a permutation: every index from 0 to n-1 exactly once."
    if k > 0 and got == epochs[0]:
        return ("Every epoch came out in the same order: the loader's one generator (made once, in __init__) must "
                "keep running, so each call draws the next permutation; do not seed it again.")
    if seed is None:
        return ("With seed=None draw the permutation from torch's global generator with randperm, so "
                "torch.manual_seed makes the order reproducible; other random sources give other orders.")
    return ("A different order: draw the permutation with torch's randperm from the loader's own generator "
            "(self.generator), one draw per epoch.")


@check(points=2, timeout=10)
def dataloader_idxs(DataLoader: Callable) -> None:
    """`get_idxs()` gives the reference's indices epoch after epoch (in order, or shuffled from the seed) and `len`
    counts the batches, with and without drop_last."""
    cases = _indices_cases(_fresh_seed())
    got = probe(loader_indices, DataLoader, cases)
    exp = probe(loader_indices, reference_loader, cases)
    expect_count(got, len(cases), "DataLoader on every case")
    for (n, bs, shuffle, drop_last, seed, _), g, e in zip(cases, got, exp):
        made = _loader_text(n, bs, shuffle, drop_last, seed)
        _expect_record(g, ("len", "epochs", "after"), made)
        expect_count(g["epochs"], 3, f"{made}.get_idxs()")
        for k, (ge, ee) in enumerate(zip(g["epochs"], e["epochs"])):
            at = f"{made}.get_idxs() in epoch {k + 1}"
            if type(ge) is not list or any(type(i) is not int for i in ge):
                fail("wrong type of result", called=at, expected="<a list of Python ints>", got=ge,
                     hint="Return a list of Python ints (turn a tensor into a list of ints first).")
            expected = ee
            if ge != expected:
                fail("wrong indices", called=at, expected=expected, got=ge,
                     where=first_difference(ge, expected) or "",
                     hint=_epoch_hint(n, shuffle, seed, g["epochs"], k))
        if g["len"] != e["len"]:
            hint = ("With drop_last only full batches count: a last, shorter batch is left out." if drop_last else
                    "Without drop_last a last, shorter batch counts too: the number of batches is n/bs rounded up.")
            fail("wrong number of batches", called=f"len({made})", expected=e["len"], got=g["len"], hint=hint)
        if g["after"] != e["after"]:
            fail("the loader changed torch's global random numbers", called=made,
                 expected="<the global generator as the reference leaves it>", got="<other random numbers after it>",
                 hint="With a seed, the loader draws from its own generator only and leaves torch's global one "
                      "alone; without one it draws one permutation per shuffled epoch from the global generator, "
                      "and nothing when it does not shuffle.")


class LoggedDataset:
    """A map-style dataset that records every index it is asked for (its type and value)."""

    def __init__(self, n: int):
        self.n, self.asked = n, []

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, i: Any) -> tuple:
        import torch
        self.asked.append([type(i).__name__, i if isinstance(i, (int, slice)) else str(i)])
        if not isinstance(i, int) or isinstance(i, bool):
            raise TypeError(f"LoggedDataset indices must be ints, not {type(i).__name__}")
        if not 0 <= i < self.n:
            raise IndexError(f"index {i} is out of range for {self.n} items")
        return torch.tensor([float(i), i / 2]), f"item{i}"


def _listing(items: list) -> list:
    """A collate_fn that returns the items as a list (shows exactly which items each batch holds)."""
    return list(items)


def make_dataset(kind: str, n: int, seed: int) -> Any:
    import torch
    from torch.utils.data import TensorDataset
    g = torch.Generator().manual_seed(seed)
    if kind == "logged":
        return LoggedDataset(n)
    if kind == "pairs":
        return [(torch.randn(3, generator=g), int(v)) for v in torch.randint(0, 3, (n,), generator=g)]
    if kind == "dicts":
        return [{"x": torch.randn(2, 2, generator=g).double(), "flag": bool(i % 2), "name": f"r{i}"}
                for i in range(n)]
    if kind == "tensors":
        return TensorDataset(torch.randn(n, 3, generator=g), torch.randint(0, 4, (n,), generator=g))
    if kind == "numbers":
        return [i * 10 for i in range(n)]
    raise ValueError(f"unknown dataset {kind!r}")


_DATASET_TEXT = {"logged": "<a dataset of {n} (tensor, str) items>", "pairs": "<a list of {n} (tensor, int) pairs>",
                 "dicts": "<a list of {n} dicts>", "tensors": "<a TensorDataset of {n} rows>",
                 "numbers": "<a list of {n} numbers>"}


def _one_epoch(dl: Any) -> list:
    batches = []
    for b in dl:  # a for loop: list(dl) would ask len(dl) first, which another check grades
        batches.append(b)
    return batches


@_keeps_global_rng
def loader_batches(cls: Callable, case: dict) -> dict:
    """Probe: build the loader over a dataset, run two epochs, and report the batches and what the dataset was
    asked for."""
    import torch
    ds = make_dataset(case["data"], case["n"], case["seed"])
    kwargs = dict(bs=case["bs"], shuffle=case["shuffle"], drop_last=case["drop_last"], seed=case["loader_seed"])
    if case["listing"]:
        kwargs["collate_fn"] = _listing
    torch.manual_seed(case["global_seed"])
    dl = call(cls, ds, **kwargs)
    epochs = [call(_one_epoch, dl) for _ in range(2)]
    out = {"epochs": epochs, "asked": getattr(ds, "asked", None)}
    if case["data"] in ("pairs", "dicts", "numbers"):
        out["dataset_after"] = ds
    return out


def _batch_cases(seed: int) -> list:
    rng = random.Random(seed)
    cases = []
    for data, n, bs, shuffle, drop_last, listing in (
            ("logged", 10, 4, False, False, False), ("logged", 11, 3, True, True, False),
            ("numbers", 10, 3, False, True, True), ("numbers", 13, 4, True, False, True),
            ("numbers", 12, 4, True, True, False), ("pairs", 9, 4, True, False, False),
            ("dicts", 7, 3, False, False, False), ("tensors", 23, 5, True, False, False),
            ("tensors", 20, 5, False, True, False), ("pairs", 6, 10, False, False, False),
            ("numbers", 0, 3, False, False, True), ("pairs", rng.randint(10, 30), rng.randint(2, 7), True,
                                                     rng.random() < 0.5, False)):
        cases.append({"data": data, "n": n, "bs": bs, "shuffle": shuffle, "drop_last": drop_last, "listing": listing,
                      "seed": rng.randrange(10 ** 6), "global_seed": rng.randrange(10 ** 6),
                      "loader_seed": rng.choice([None, rng.randrange(10 ** 6)]) if shuffle else None})
    return cases


def _batches_hint(case: dict, got: list, exp: list, epochs: list | None = None) -> str:
    n, bs = case["n"], case["bs"]
    if epochs and case["shuffle"] and len(epochs) == 2 and first_difference(epochs[0], epochs[1]) is None:
        return ("Both epochs came out in the same order: each pass over the loader asks get_idxs() for a new order, "
                "drawn from the loader's one generator.")
    if len(got) != len(exp):
        if case["drop_last"]:
            return "With drop_last the last, shorter batch is left out; every full batch is kept."
        return "Every item is in one batch: the last batch holds what is left, even when it is shorter than bs."
    if case["listing"]:
        return ("Each batch is collate_fn applied to the items of one chunk of bs consecutive indices of "
                "get_idxs(): use the loader's collate_fn, and one get_idxs() per epoch.")
    return (f"Each batch collates the items dataset[i] of {bs} consecutive indices of the epoch's get_idxs() "
            f"({n} items in all): call get_idxs() once per epoch and cut its indices in order.")


@check(points=3, timeout=15)
def dataloader_batches(DataLoader: Callable) -> None:
    """Iterating the loader gives the reference's batches, epoch after epoch, through its collate_fn, reading each
    item once with an int index."""
    for case in _batch_cases(_fresh_seed()):
        made = _loader_text(case["n"], case["bs"], case["shuffle"], case["drop_last"], case["loader_seed"],
                            _DATASET_TEXT[case["data"]].format(n=case["n"]))
        if case["listing"]:
            made = made[:-1] + ", collate_fn=<returns the items as a list>)"
        with labelled(f"iterating {made}"):
            got = probe(loader_batches, DataLoader, case)
        exp = probe(loader_batches, reference_loader, case)
        _expect_record(got, tuple(exp), made)
        expect_count(got["epochs"], 2, f"two epochs of {made}")
        for k, (ge, ee) in enumerate(zip(got["epochs"], exp["epochs"])):
            at = f"epoch {k + 1} of {made}"
            if not isinstance(ge, list) or len(ge) != len(ee):
                fail("wrong number of batches", called=at, expected=f"<{len(ee)} batches>",
                     got=f"<{len(ge) if isinstance(ge, list) else 'no'} batches>", hint=_batches_hint(case, ge, ee))
            for j, (gb, eb) in enumerate(zip(ge, ee)):
                where = _difference(gb, eb)
                if where is not None:
                    fail(f"wrong batch {j}", called=at, expected=eb, got=gb, where=where,
                         hint=_batches_hint(case, ge, ee, got["epochs"]))
        if exp["asked"] is not None and got["asked"] != exp["asked"]:
            bad = [a for a in (got["asked"] or []) if not (isinstance(a, list) and a and a[0] == "int")]
            hint = ("Read each item with dataset[i] where i is a Python int (a tensor or numpy index is not what a "
                    "dataset expects)." if bad else
                    "Read each item once per epoch, with dataset[i], in the order of the epoch's indices.")
            fail("the dataset was read differently", called=made, expected=f"<{len(exp['asked'])} reads, one per "
                 "item and epoch, each with a Python int>", got=f"<{len(got['asked'] or [])} reads"
                 f"{', some with a ' + str(bad[0][0]) if bad else ''}>", hint=hint)
        if "dataset_after" in exp and _difference(got["dataset_after"], exp["dataset_after"]) is not None:
            fail("the dataset was changed", called=made, where=_difference(got["dataset_after"], exp["dataset_after"]),
                 hint="A loader only reads its dataset: build each batch from new lists, never by changing the items.")
