"""Checks for exercise 02 (transforms and pipelines): Transform, Pipeline, Normalize, Categorize."""
from __future__ import annotations

from typing import Any

from fastlayers.checks.framework import (call, check, expect_close, expect_equal, expect_raises, expect_true,
                                         fail)

__all__ = ["transform", "pipeline", "normalize", "categorize"]


def _core():
    # Imported when a check runs, so `fastlayers.checks` stays cheap to import.
    import fastlayers.core as core
    return core


# ----------------------------------------------------------------------------------------------------------------
# 1. Transform
# ----------------------------------------------------------------------------------------------------------------

def _double(x):
    return x * 2


def _halve(x):
    return x / 2


_SPLIT_HINT = ("A transform whose split_idx is set acts only when called with that same split_idx; called with "
               "another one or with none (split_idx=None), it returns its input unchanged. With no split_idx of its "
               "own it always acts.")


def _transform_hint(x: Any, got: Any, expected: Any, split_idx: Any, own_split: Any, method: str) -> str:
    """Name the usual mistake behind a wrong transform result."""
    if isinstance(x, tuple) and isinstance(got, list):
        return "Return a tuple for a tuple (build it with tuple(...)); a list would be taken as a single item."
    if own_split is not None and split_idx != own_split:
        return _SPLIT_HINT
    if own_split is not None or split_idx is not None:
        if got is x or _same(got, x):
            return _SPLIT_HINT
    if isinstance(x, tuple) and not isinstance(got, tuple):
        return "A tuple is a group of elements: apply the function to each element and return a tuple of results."
    if isinstance(x, tuple) and isinstance(got, tuple) and len(got) != len(x):
        return "The function was applied to the whole tuple; apply it to each element separately."
    if isinstance(x, list):
        return "Only tuples are split into elements; a list is one item, passed whole to the function."
    if method == "decode":
        return "decode applies `decodes` (and does nothing where no decodes was given), not `encodes`."
    return "Call `encodes` on the item (or on each element of a tuple) and return the result."


def _same(a: Any, b: Any) -> bool:
    from fastlayers.checks.framework import first_difference
    return first_difference(a, b, same_type=True) is None


def _build(cls: type, kind: str):
    """The same transform built on the student's class or the reference one."""
    if kind == "functions":
        return cls(enc=_double, dec=_halve)
    if kind == "train_only":
        return cls(enc=_double, dec=_halve, split_idx=0)
    if kind == "valid_only":
        return cls(enc=_double, dec=_halve, split_idx=1)
    if kind == "subclass":
        class Double(cls):
            def encodes(self, x):
                return x * 2

            def decodes(self, x):
                return x / 2
        return Double()
    if kind == "no_decodes":
        class AddOne(cls):
            def encodes(self, x):
                return x + 1
        return AddOne()
    if kind == "class_split":
        class TrainOnlyShift(cls):
            split_idx = 0

            def encodes(self, x):
                return x + 100
        return TrainOnlyShift()
    raise ValueError(kind)


_TRANSFORM_KINDS = ["functions", "subclass", "no_decodes", "train_only", "valid_only", "class_split"]
_OWN_SPLIT = {"train_only": 0, "valid_only": 1, "class_split": 0}


@check(points=3, timeout=10)
def transform(Transform: type) -> None:
    """Your `Transform` maps tuples element by element, decodes with `decodes`, and respects `split_idx`."""
    import torch
    core = _core()
    items = [3, 2.5, torch.tensor([1.0, -2.0]), (3, 4), (torch.tensor([1.0, 2.0]), 5, 0.5), [1, 2]]
    for kind in _TRANSFORM_KINDS:
        try:
            student = _build(Transform, kind)
        except NotImplementedError:
            raise  # reported as "not written yet" by @check
        except Exception as err:
            fail(f"could not build a {kind.replace('_', ' ')} transform", called=f"Transform ({kind})",
                 got=f"<raised {type(err).__name__}: {err}>",
                 hint="Transform(enc=f, dec=g, split_idx=s) and subclasses defining encodes/decodes must both work.")
        reference = _build(core.Transform, kind)
        for method in ("__call__", "decode"):
            for split_idx in (None, 0, 1):
                if kind in ("functions", "subclass", "no_decodes") and split_idx == 1:
                    continue  # transforms for every split: None and 0 are enough
                for x in items:
                    if method == "decode" and isinstance(x, list):
                        continue  # halving a list is meaningless
                    if kind not in ("functions", "subclass") and isinstance(x, list):
                        continue  # only doubling makes sense for a list
                    args = () if split_idx is None else (split_idx,)
                    name = "t" if method == "__call__" else "t.decode"
                    called = f"{name}({x!r}{'' if split_idx is None else f', split_idx={split_idx}'}) " \
                             f"with t a {kind.replace('_', ' ')} transform"
                    got = call(getattr(student, method), x, *args)
                    expected = getattr(reference, method)(x, *args)
                    if _same(got, expected):
                        continue
                    expect_equal(got, expected, called=called, same_type=True,
                                 hint=_transform_hint(x, got, expected, split_idx, _OWN_SPLIT.get(kind), method))


# ----------------------------------------------------------------------------------------------------------------
# 2. Pipeline
# ----------------------------------------------------------------------------------------------------------------

def _pipeline_tfms():
    """Reference transforms whose order matters (none of them commute)."""
    T = _core().Transform

    class AddOne(T):
        order = 5
        def encodes(self, x): return x + 1
        def decodes(self, x): return x - 1

    class Times3(T):
        order = 1
        def encodes(self, x): return x * 3
        def decodes(self, x): return x / 3

    class Square(T):
        order = 1
        def encodes(self, x): return x ** 2
        def decodes(self, x): return x ** 0.5

    class Halve(T):
        order = 5
        def encodes(self, x): return x / 2
        def decodes(self, x): return x * 2

    class TrainShift(T):
        order = 3
        split_idx = 0
        def encodes(self, x): return x + 10
        def decodes(self, x): return x - 10

    class Scale(T):
        "Divides by the largest item seen in setup."
        order = 1
        def setups(self, items): self.m = max(float(o) for o in items)
        def encodes(self, x): return x / self.m
        def decodes(self, x): return x * self.m

    class Center(T):
        "Subtracts the mean of the items seen in setup."
        order = 2
        def setups(self, items): self.mu = sum(float(o) for o in items) / len(items)
        def encodes(self, x): return x - self.mu
        def decodes(self, x): return x + self.mu

    return AddOne, Times3, Square, Halve, TrainShift, Scale, Center


def _order_hint(tfms: list, got: Any) -> str:
    """Recognise results of an unsorted, reversed or unstable composition."""
    def run(fs, x):
        for t in fs:
            x = t(x)
        return x
    candidates = [("as given, without sorting", tfms),
                  ("highest order first", sorted(tfms, key=lambda t: -t.order)),
                  ("reversed among equal orders", sorted(reversed(tfms), key=lambda t: t.order))]
    for label, fs in candidates:
        try:
            if abs(float(run(fs, 4.0)) - float(got)) < 1e-9:
                return (f"The transforms ran {label}. Sort them by `order`, lowest first, with a stable sort "
                        "(sorted(funcs, key=lambda t: t.order)) so that equal orders keep the given order.")
        except Exception:  # noqa: BLE001
            pass
    return "Sort the transforms by `order` (lowest first, stable) and apply each one to the result of the one before."


@check(points=3, timeout=10)
def pipeline(Pipeline: type) -> None:
    """Your `Pipeline` sorts by order, decodes in reverse, passes its split_idx on, and sets up transforms in turn."""
    import torch
    core = _core()
    AddOne, Times3, Square, Halve, TrainShift, Scale, Center = _pipeline_tfms()

    # order and composition
    tfms = [AddOne(), Square(), Halve()]  # none of these commute, so every wrong order shows
    p = call(Pipeline, tfms)
    rp = core.Pipeline(tfms)
    for x in (4.0, torch.tensor([4.0, 1.5]), (4.0, 2.0)):
        got = call(p, x)
        expect_close(got, rp(x), called=f"Pipeline([AddOne (order 5), Square (order 1), Halve (order 5)])({x!r})",
                     hint=_order_hint(tfms, got if not isinstance(got, tuple) else got[0]))
        y = rp(x)
        back = call(p.decode, y)
        hint = "decode undoes the steps in reverse order: the last transform applied is the first one decoded."
        try:
            forward = y
            for t in sorted(tfms, key=lambda t: t.order):
                forward = t.decode(forward)
            if _same(back, forward) and not _same(forward, x):
                hint = "The decodes ran in forward order; undo the steps in reverse (last applied, first undone)."
        except Exception:  # noqa: BLE001
            pass
        expect_close(back, rp.decode(y), called=f"Pipeline([AddOne, Square, Halve]).decode({y!r})", hint=hint)

    # split_idx is passed on to every transform
    for split_idx in (None, 0, 1):
        p = call(Pipeline, [TrainShift(), Times3()], split_idx=split_idx)
        rp = core.Pipeline([TrainShift(), Times3()], split_idx=split_idx)
        called = f"Pipeline([TrainShift (split_idx 0), Times3], split_idx={split_idx})"
        expect_close(call(p, 1.0), rp(1.0), called=f"{called}(1.0)",
                     hint="Pass the pipeline's split_idx to each transform: t(x, split_idx=self.split_idx).")
        expect_close(call(p.decode, 39.0), rp.decode(39.0), called=f"{called}.decode(39.0)",
                     hint="Pass the pipeline's split_idx to each decode too: t.decode(x, split_idx=self.split_idx).")

    # setup: each transform learns from the items as processed by the ones before it
    items = [2.0, 4.0, 6.0, 8.0]
    center, scale = Center(), Scale()
    p = call(Pipeline, [center, scale])
    call(p.setup, list(items))
    ref_scale, ref_center = Scale(), Center()
    ref_scale.setup(items)
    ref_center.setup([ref_scale(o) for o in items])
    called = "Pipeline([Center (order 2), Scale (order 1)]).setup([2.0, 4.0, 6.0, 8.0])"
    for t, r, attr in ((scale, ref_scale, "m"), (center, ref_center, "mu")):
        if not hasattr(t, attr):
            fail("a transform was not set up", called=called, expected=f"{type(t).__name__}.{attr} learnt in setup",
                 got=f"{type(t).__name__} has no attribute {attr!r}",
                 hint="setup calls each transform's setup(items) (which runs its setups).")
    hint = ("Each transform's setup must see the items as the transforms before it leave them: set up the first, "
            "apply it to the items, set up the second on the result, and so on.")
    if abs(center.mu - sum(items) / len(items)) < 1e-9:
        hint = "Center learnt from the raw items. " + hint
    expect_close(center.mu, ref_center.mu, called=called + " then Center's learnt mean", hint=hint)
    expect_close(scale.m, ref_scale.m, called=called + " then Scale's learnt max",
                 hint="Scale (order 1) comes first and learns from the raw items.")
    expect_close(call(p, 6.0), ref_center(ref_scale(6.0)), called=called + "; then p(6.0)")


# ----------------------------------------------------------------------------------------------------------------
# 3. Normalize
# ----------------------------------------------------------------------------------------------------------------

def _images(seed: int, n: int, constant_channel: bool = False):
    import torch
    core = _core()
    g = torch.Generator().manual_seed(seed)
    scale = torch.tensor([1.0, 5.0, 0.1]).view(1, 3, 1, 1)
    shift = torch.tensor([0.0, 10.0, -3.0]).view(1, 3, 1, 1)
    x = torch.randn(n, 3, 5, 7, generator=g) * scale + shift
    if constant_channel:
        x[:, 2] = 0.5
    return core.TensorImage(x)


@check(points=2, timeout=10)
def normalize(Normalize: type) -> None:
    """Your `Normalize` learns per-channel stats in setups, normalizes images only, and decodes back."""
    import torch
    from fastlayers.data.transforms import Normalize as RefNormalize
    core = _core()
    train, batch = _images(2, 16), _images(3, 4)

    norm, ref = call(Normalize), RefNormalize()
    call(norm.setup, train)
    ref.setup(train)
    for attr in ("mean", "std"):
        got = getattr(norm, attr, None)
        hint = "One statistic per channel: reduce over the batch, height and width axes (0, 2, 3), keep channels."
        if got is not None and hasattr(got, "shape") and tuple(got.shape) != (3,) and getattr(got, "numel", lambda: 0)() == 1:
            hint = "This is one number for the whole batch. " + hint
        expect_close(got, ref.__dict__[attr], rtol=1e-4, atol=1e-6, called=f"Normalize().setup(images of shape "
                     f"{tuple(train.shape)}) then .{attr}", hint=hint)

    got = call(norm, batch)
    expect_close(got, ref(batch), rtol=1e-4, atol=1e-5, called="norm(batch of images)",
                 hint="encodes returns (x - mean) / std, with mean and std reshaped to (1, channels, 1, 1).")
    expect_true(isinstance(got, core.TensorImage), "the result is not a TensorImage",
                called="norm(batch of images)", got=type(got).__name__,
                hint="Compute with tensor operations on x so the result keeps x's type.")
    back = call(norm.decode, ref(batch))
    expect_close(back, batch, rtol=1e-4, atol=1e-4, called="norm.decode(normalized batch)",
                 hint="decodes undoes encodes: x * std + mean.")

    labels = core.TensorCategory(torch.tensor([1, 0, 2, 1]))
    got = call(norm, (batch, labels))
    expect_true(isinstance(got, tuple) and len(got) == 2, "a tuple did not stay a pair", called="norm((images, labels))",
                got=got)
    expect_equal(got[1], labels, same_type=True, called="norm((images, labels))[1]",
                 hint="Labels must pass through untouched: annotate encodes/decodes with `x: TensorImage`, not "
                      "torch.Tensor (a TensorCategory is a torch.Tensor too).")
    got = call(norm.decode, (batch, labels))
    expect_equal(got[1], labels, same_type=True, called="norm.decode((images, labels))[1]",
                 hint="Annotate decodes with `x: TensorImage` too, so labels pass through.")

    flat = _images(4, 8, constant_channel=True)
    norm, ref = call(Normalize), RefNormalize()
    call(norm.setup, flat)
    ref.setup(flat)
    got = call(norm, flat)
    expect_true(bool(torch.isfinite(torch.as_tensor(got)).all()), "dividing by a zero standard deviation",
                called="norm(images whose channel 2 is constant) after setup on them", got=got,
                hint="Add eps to the standard deviation learnt in setups, so a constant channel stays finite.")
    expect_close(got, ref(flat), rtol=1e-4, atol=1e-4, called="norm(images whose channel 2 is constant)")

    mean, std = torch.tensor([0.5, 0.5, 0.5]), torch.tensor([0.25, 0.25, 0.25])
    norm, ref = call(Normalize, mean=mean.clone(), std=std.clone()), RefNormalize(mean, std)
    call(norm.setup, train)
    expect_close(call(norm, batch), ref(batch), rtol=1e-4, atol=1e-5,
                 called="Normalize(mean=[0.5]*3, std=[0.25]*3).setup(images) then norm(batch)",
                 hint="Statistics given to the constructor are kept: setups learns them only when they are missing.")


# ----------------------------------------------------------------------------------------------------------------
# 4. Categorize
# ----------------------------------------------------------------------------------------------------------------

@check(points=2, timeout=10)
def categorize(Categorize: type) -> None:
    """Your `Categorize` learns a sorted vocab, encodes labels to TensorCategory ids, decodes them, rejects unknowns."""
    from fastlayers.data.transforms import Categorize as RefCategorize
    core = _core()
    for labels in (["dog", "cat", "bird", "cat", "dog"], [3, 1, 2, 1, 10, 2]):
        cat, ref = call(Categorize), RefCategorize()
        call(cat.setup, list(labels))
        ref.setup(list(labels))
        got = list(cat.vocab) if isinstance(getattr(cat, "vocab", None), (list, tuple)) else getattr(cat, "vocab", None)
        hint = "The vocab is the sorted unique labels: sorted(set(labels))."
        if got == list(dict.fromkeys(labels)):
            hint = "The vocab is in order of first appearance; sort it, so the ids do not depend on the data's order."
        elif isinstance(got, list) and got == sorted(set(labels), key=str) and got != sorted(set(labels)):
            hint = "The labels were sorted as text (10 before 2); sort the labels themselves."
        expect_equal(got, list(ref.vocab), called=f"Categorize().setup({labels!r}) then .vocab", hint=hint)
        for label in sorted(set(labels), key=str):
            got = call(cat, label)
            hint = "Return the label's position in the vocab as a TensorCategory (its type tells decode what to undo)."
            expect_equal(got, ref(label), same_type=True, called=f"cat({label!r})", hint=hint)
            back = call(cat.decode, ref(label))
            # compare with the vocab entry itself (the reference wraps decoded labels in a str subclass)
            expect_equal(back, list(ref.vocab)[int(ref(label))], called=f"cat.decode({ref(label)!r})",
                         hint="decodes takes a TensorCategory id and returns vocab[int(id)], the label itself.")
        unknown = "horse" if isinstance(labels[0], str) else 7
        expect_raises((KeyError, ValueError), cat, unknown,
                      hint="A label missing from the vocab must raise an error naming it: a silent id would train "
                           "the model on the wrong class.")

    cat, ref = call(Categorize, vocab=["zebra", "ant"]), RefCategorize(vocab=["zebra", "ant"])
    call(cat.setup, ["ant", "zebra", "ant"])
    ref.setup(["ant", "zebra", "ant"])
    expect_equal(list(cat.vocab), list(ref.vocab), called="Categorize(vocab=['zebra', 'ant']).setup([...]) then .vocab",
                 hint="A vocab given to the constructor is kept as given (order included); setups only fills a missing one.")
    expect_equal(call(cat, "zebra"), ref("zebra"), same_type=True, called="Categorize(vocab=['zebra', 'ant'])('zebra')")
