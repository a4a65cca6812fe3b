"""Checks for exercise 08 (vision): the flip, rotate and zoom matrices, one resample for a whole batch, one resample
against two, freezing with trainable norm layers, discriminative learning rates from a slice, fine_tune's phases.

Each check runs a module-level probe on the student's piece, where it lives, and judges the plain data it returns
against the reference library's answer on inputs chosen here (fixed edge cases plus fresh random ones on every run).
Hints name the idea, never the code.
"""
from __future__ import annotations

import math
import random
from typing import Any, Callable

from fastlayers.checks.framework import (NOT_WRITTEN, attempt, call, check, expect_close, expect_equal,
                                         expect_type, fail, labelled, probe)
from fastlayers.checks.bridge import Raised

__all__ = ["flip_mats", "rotate_mats", "zoom_mats", "augment_batch", "once_and_twice", "freeze_to", "lr_range",
           "fine_tune"]

PRELOAD = ["fastlayers.all"]  # the notebook's process imports these before it starts a notebook

MAT_ATOL = 1e-5   # matrices: float32 trigonometry computed in another order differs in the last bits
IMG_ATOL = 1e-4   # resampled pixels


def _ref():
    # Imported when a check runs, so `fastlayers.checks` stays cheap to import.
    import fastlayers.all as ref
    return ref


def _fresh_seed() -> int:
    """A new seed on every run: the inputs a check uses cannot be known in advance."""
    return random.SystemRandom().randrange(1, 2 ** 31)


def _expect_count(values: Any, n: int, called: str, what: str = "values") -> None:
    """A list of exactly `n` answers (a shorter list is a wrong answer, never a shorter comparison)."""
    if not isinstance(values, list) or len(values) != n:
        fail(f"a different number of {what}", called=called, expected=f"<{n} {what}>",
             got=f"<{len(values) if isinstance(values, list) else type(values).__name__}>")


def _short(t: Any) -> str:
    """A tensor argument in a `called:` line: its values when few, else its shape."""
    import torch
    if isinstance(t, torch.Tensor):
        if t.numel() <= 6:
            vals = ", ".join(f"{v:g}" if isinstance(v, float) else str(v) for v in t.tolist())
            return f"tensor([{vals}])"
        return f"<tensor of shape {tuple(t.shape)}, {str(t.dtype).replace('torch.', '')}>"
    return repr(t)


# ----------------------------------------------------------------------------------------------------------------
# Probes shared by the three matrix pieces
# ----------------------------------------------------------------------------------------------------------------

def mats_on(fn: Callable, args: list) -> dict:
    """Probe: fn(*args); the result, whether the inputs were left unchanged, and whether the matrices share memory
    (writing into the first matrix of a copy-free result shows up in the second)."""
    import torch
    before = [a.clone() if isinstance(a, torch.Tensor) else a for a in args]
    out = call(fn, *args)
    kept = all(not isinstance(a, torch.Tensor) or (a.dtype == b.dtype and torch.equal(a, b))
               for a, b in zip(args, before))
    if not isinstance(out, torch.Tensor):
        return {"out": out, "inputs_kept": kept, "shared": False}
    answer = out.detach().clone()
    shared = False
    if out.ndim == 3 and out.shape[0] >= 2 and out.is_floating_point():
        try:
            with torch.no_grad():
                second = out[1].clone()
                out[0, 2, 2] += 1.0
                shared = not torch.equal(out[1], second)
        except RuntimeError:  # torch refuses in-place writes into expanded (shared) memory
            shared = True
    return {"out": answer, "inputs_kept": kept, "shared": shared}


def _judge_mats(got: dict, expected: Any, called: str, hint: str, wrong_hint: Callable[[Any], str] | None = None) -> None:
    import torch
    out = got["out"]
    n = expected.shape[0]
    expect_type(out, torch.Tensor, "a tensor of shape (n, 3, 3)", called=called,
                hint="Return one torch tensor holding all n matrices.")
    if tuple(out.shape) != (n, 3, 3):
        fail("wrong shape", called=called, expected=f"<shape ({n}, 3, 3)>", got=f"<shape {tuple(out.shape)}>",
             hint="One 3x3 matrix per image: a batch of n images needs a tensor of shape (n, 3, 3), also for n = 0 "
                  "and n = 1.")
    if out.dtype != torch.float32:
        fail("wrong dtype", called=called, expected="<torch.float32>", got=f"<{out.dtype}>",
             hint="The matrices are float32 whatever the dtype of the input (angles may come as integers or "
                  "float64): affine_grid works in the batch's float type, and float32 is the usual one.")
    if not got["inputs_kept"]:
        fail("the input tensor was changed", called=called,
             hint="Build the matrices in a new tensor; the caller still needs the tensor it passed.")
    if got["shared"]:
        fail("the matrices share one piece of memory", called=called,
             hint="Each image needs its own matrix: `expand` makes n views of one identity, so writing into one "
                  "image's matrix would change them all. Make a real copy per image.")
    hint = (wrong_hint(out) if wrong_hint is not None else "") or hint
    expect_close(out, expected, rtol=0, atol=MAT_ATOL, called=called, hint=hint)


# ----------------------------------------------------------------------------------------------------------------
# 1. flip_mats
# ----------------------------------------------------------------------------------------------------------------

def _flip_cases(seed: int) -> list:
    import torch
    g = torch.Generator().manual_seed(seed)
    cases = [torch.tensor([True, False, True, False]), torch.tensor([False]), torch.tensor([True]),
             torch.zeros(0, dtype=torch.bool), torch.tensor([True, True, True]), torch.tensor([False, False, False])]
    cases += [torch.rand(k, generator=g) < 0.5 for k in (7, 16)]
    return cases


@check(points=1, timeout=10)
def flip_mats(student: Callable) -> None:
    """`flip_mats(flip)`: the identity, or a horizontal mirror where `flip` is True; float32, one matrix per image."""
    ref = _ref()
    for flip in _flip_cases(_fresh_seed()):
        called = f"flip_mats({_short(flip)})"
        got = probe(mats_on, student, [flip])

        def wrong(out: Any) -> str:
            import torch
            if out.shape == (len(flip), 3, 3) and flip.any() and torch.allclose(out[flip][:, 1, 1], -torch.ones(1)):
                return "That mirrors y (upside down). A horizontal flip negates the x coordinate, the first one."
            if out.shape == (len(flip), 3, 3) and (~flip).any() and torch.allclose(out[~flip][:, 0, 0], -torch.ones(1)):
                return "The mirror went to the images whose flag is False: flip exactly where `flip` is True."
            return ""
        _judge_mats(got, ref.flip_mats(flip), called, "Where `flip` is True, the output pixel at (x, y) reads the "
                    "input at (-x, y); everywhere else the matrix is the identity.", wrong)


# ----------------------------------------------------------------------------------------------------------------
# 2. rotate_mats
# ----------------------------------------------------------------------------------------------------------------

def _rotate_cases(seed: int) -> list:
    import torch
    g = torch.Generator().manual_seed(seed)
    return [torch.tensor([0.0, 90.0, 180.0, -90.0]), torch.tensor([30.0]), torch.tensor([45, -45, 360]),
            torch.tensor([10.0, -170.0], dtype=torch.float64), torch.zeros(0),
            (torch.rand(9, generator=g) * 720 - 360), (torch.rand(3, generator=g) * 20 - 10).double()]


@check(points=2, timeout=10)
def rotate_mats(student: Callable) -> None:
    """`rotate_mats(degrees)`: rotations about the centre, angles in degrees, float32 (n, 3, 3)."""
    ref = _ref()
    for degrees in _rotate_cases(_fresh_seed()):
        called = f"rotate_mats({_short(degrees)})"
        got = probe(mats_on, student, [degrees])
        expected = ref.rotate_mats(degrees)

        def wrong(out: Any) -> str:
            import torch
            if out.shape != expected.shape or not len(degrees):
                return ""
            if torch.allclose(out, expected.transpose(1, 2), atol=MAT_ATOL):
                return ("The rotation turns the wrong way: compare the signs of the two sine entries with the "
                        "coordinate map in the statement (x reads x cos - y sin).")
            if torch.allclose(out, ref.rotate_mats(degrees * 180 / math.pi), atol=MAT_ATOL):
                return "The angles are in degrees: turn them into radians before taking cosines and sines."
            return ""
        _judge_mats(got, expected, called, "The output pixel at (x, y) reads the input at (x cos t - y sin t, "
                    "x sin t + y cos t), t the angle in radians; the third row and column stay as in the identity.",
                    wrong)


# ----------------------------------------------------------------------------------------------------------------
# 3. zoom_mats
# ----------------------------------------------------------------------------------------------------------------

def _zoom_cases(seed: int) -> list:
    import torch
    g = torch.Generator().manual_seed(seed)
    n = 6
    rand = (torch.rand(n, generator=g) * 1.5 + 0.5, torch.rand(n, generator=g) * 2 - 1,
            torch.rand(n, generator=g) * 2 - 1)
    return [[torch.tensor([1.0, 2.0, 0.5])], [torch.tensor([1.25]), torch.tensor([0.5]), torch.tensor([-0.5])],
            [torch.tensor([2.0, 1.5]), torch.tensor([1.0, -1.0]), None],
            [torch.tensor([2.0, 3.0]), None, torch.tensor([0.25, -0.75])],
            [torch.tensor([1.0]), torch.tensor([0.9]), torch.tensor([0.9])],
            [torch.zeros(0) + 1.0], [rand[0].double(), rand[1], rand[2]], list(rand)]


@check(points=2, timeout=10)
def zoom_mats(student: Callable) -> None:
    """`zoom_mats(scale, cx, cy)`: zoom in by `scale` about (cx, cy), which stays in place; float32 (n, 3, 3)."""
    ref = _ref()
    for args in _zoom_cases(_fresh_seed()):
        called = f"zoom_mats({', '.join(_short(a) for a in args)})"
        got = probe(mats_on, student, args)
        expected = ref.zoom_mats(*args)

        def wrong(out: Any) -> str:
            import torch
            scale = args[0]
            if out.shape != expected.shape or not len(scale):
                return ""
            if torch.allclose(out[:, 0, 0], scale.float(), atol=MAT_ATOL) and not torch.allclose(scale, torch.ones(1)):
                return ("Zooming in by 2 makes things look twice as big, so an output pixel reads the input at "
                        "half its distance from the zoom's centre: the diagonal holds the inverse of the scale.")
            if (len(args) > 1 and args[1] is not None and
                    torch.allclose(out[:, 0, 2], -expected[:, 0, 2], atol=MAT_ATOL)):
                return ("The zoom's centre must stay where it is: put x = cx into the map and you must get cx back. "
                        "The translation has the wrong sign.")
            if torch.allclose(out[:, :2, :2], expected[:, :2, :2], atol=MAT_ATOL):
                return ("The scaling is right; the translation column is not. With cx = None (or cy = None) that "
                        "coordinate's centre is 0, and the point (cx, cy) itself must map to itself.")
            return ""
        _judge_mats(got, expected, called, "The output pixel at (x, y) reads the input at (cx + (x - cx)/s, "
                    "cy + (y - cy)/s): the scale's inverse on the diagonal, the rest in the translation column.", wrong)


# ----------------------------------------------------------------------------------------------------------------
# 4. augment_batch: one composed matrix per image, one resample
# ----------------------------------------------------------------------------------------------------------------

def augment_on(fn: Callable, x: Any, flip: Any, degrees: Any, scale: Any, cx: Any, cy: Any) -> dict:
    """Probe: fn(x, flip, degrees, scale, cx, cy) and whether x was left unchanged."""
    before = x.clone()
    out = call(fn, x, flip, degrees, scale, cx, cy)
    return {"out": out, "x_kept": bool(x.dtype == before.dtype and (x == before).all())}


def _images(g: Any, n: int, c: int, h: int, w: int, dtype: Any) -> Any:
    """Smooth shapes plus a little noise: what a resample does to real pictures, at random."""
    import torch
    yy, xx = torch.meshgrid(torch.linspace(-1, 1, h), torch.linspace(-1, 1, w), indexing="ij")
    out = torch.empty(n, c, h, w)
    for i in range(n):
        for k in range(c):
            a, b, r = (torch.rand(3, generator=g) * torch.tensor([1.2, 1.2, 0.6]) - torch.tensor([0.6, 0.6, -0.2]))
            out[i, k] = ((xx - a) ** 2 + (yy - b) ** 2 < r ** 2).float() * 0.8
    out += 0.1 * torch.rand(out.shape, generator=g)
    return out.to(dtype)


def _augment_cases(seed: int) -> list:
    import torch
    g = torch.Generator().manual_seed(seed)

    def params(n: int, flip: Any = None) -> tuple:
        flip = torch.rand(n, generator=g) < 0.5 if flip is None else flip
        return (flip, torch.rand(n, generator=g) * 60 - 30, torch.rand(n, generator=g) * 0.6 + 0.9,
                torch.rand(n, generator=g) * 1.6 - 0.8, torch.rand(n, generator=g) * 1.6 - 0.8)
    cases = [("4 RGB images of 12x12", _images(g, 4, 3, 12, 12, torch.float32),
              params(4, torch.tensor([True, False, True, False]))),
             ("1 grey image of 9x14 (not square)", _images(g, 1, 1, 9, 14, torch.float32), params(1)),
             ("3 float64 images of 10x10", _images(g, 3, 2, 10, 10, torch.float64), params(3)),
             ("6 grey images of 16x12", _images(g, 6, 1, 16, 12, torch.float32), params(6))]
    ident = (torch.tensor([False, False]), torch.zeros(2), torch.ones(2), torch.zeros(2), torch.zeros(2))
    cases.append(("2 images with no flip, no rotation and no zoom", _images(g, 2, 1, 8, 8, torch.float32), ident))
    return cases


@check(points=3, timeout=20)
def augment_batch(student: Callable) -> None:
    """`augment_batch(x, flip, degrees, scale, cx, cy)`: flip @ rotate @ zoom per image, resampled once."""
    import torch
    ref = _ref()
    for label, x, (flip, degrees, scale, cx, cy) in _augment_cases(_fresh_seed()):
        called = f"augment_batch(x, flip, degrees, scale, cx, cy) on {label}"
        got = probe(augment_on, student, x, flip, degrees, scale, cx, cy)
        mats = ref.flip_mats(flip) @ ref.rotate_mats(degrees) @ ref.zoom_mats(scale, cx, cy)
        expected = ref.apply_affine(x, mats)
        out = got["out"]
        expect_type(out, torch.Tensor, "a tensor (the resampled batch)", called=called,
                    hint="Return the resampled batch as one tensor.")
        expect_equal(tuple(out.shape), tuple(x.shape), called=called,
                     hint="The output batch has the input's shape: the size given to affine_grid is the batch's.")
        if out.dtype != x.dtype:
            fail("wrong dtype", called=called, expected=f"<{x.dtype}>", got=f"<{out.dtype}>",
                 hint="Keep the batch's dtype: the matrices are float32, so bring them to the batch's dtype before "
                      "building the sampling grid.")
        if not got["x_kept"]:
            fail("the input batch was changed", called=called, hint="Resample into a new tensor; leave x as it is.")
        expect_close(out, expected, rtol=0, atol=IMG_ATOL, called=called,
                     hint=_augment_hint(ref, x, out, flip, degrees, scale, cx, cy))


def _augment_hint(ref: Any, x: Any, out: Any, flip: Any, degrees: Any, scale: Any, cx: Any, cy: Any) -> str:
    import torch
    f, r, z = ref.flip_mats(flip), ref.rotate_mats(degrees), ref.zoom_mats(scale, cx, cy)

    def same(y: Any) -> bool:
        return y.shape == out.shape and torch.allclose(out, y.to(out.dtype), atol=IMG_ATOL)
    try:
        if same(ref.apply_affine(ref.apply_affine(ref.apply_affine(x, z), r), f)) or \
                same(ref.apply_affine(ref.apply_affine(ref.apply_affine(x, f), r), z)):
            return ("The right geometry, but resampled step by step: each resample interpolates (and blurs) again. "
                    "Multiply the matrices first and sample the batch once.")
        for order in ((z, r, f), (r, f, z), (f, z, r), (z, f, r), (r, z, f)):
            if same(ref.apply_affine(x, order[0] @ order[1] @ order[2])):
                return ("One resample, but the matrices are multiplied in another order: the statement asks for "
                        "flip, then rotate, then zoom, from left to right (matrix products do not commute).")
        for pad in ("zeros", "border"):
            if same(ref.apply_affine(x, f @ r @ z, pad=pad)):
                return "Pixels that fall outside the image: the statement asks for reflection padding."
        if same(ref.apply_affine(x, f @ r @ z, mode="nearest")):
            return "Use bilinear interpolation (nearest neighbours is for masks)."
    except Exception:  # noqa: BLE001  a mistake detector must never break the check
        pass
    return ("Build each image's matrix as the product flip @ rotate @ zoom, then resample once: a grid from the first "
            "two rows of each matrix for the batch's shape, sampled bilinearly with reflection padding, with "
            "align_corners=False in both calls.")


# ----------------------------------------------------------------------------------------------------------------
# 5. once_and_twice: one resample is sharper than two
# ----------------------------------------------------------------------------------------------------------------

def once_twice_on(fn: Callable, x: Any, a: Any, b: Any) -> dict:
    """Probe: fn(x, a, b) and whether its inputs were left unchanged."""
    before = (x.clone(), a.clone(), b.clone())
    out = call(fn, x, a, b)
    kept = all(bool((u == v).all()) for u, v in zip((x, a, b), before))
    return {"out": out, "kept": kept}


def _pair_cases(seed: int) -> list:
    import torch
    ref = _ref()
    g = torch.Generator().manual_seed(seed)

    def u(n: int, lo: float, hi: float) -> Any:
        return torch.rand(n, generator=g) * (hi - lo) + lo
    cases = []
    for label, n, c, h, w in (("3 grey images of 16x16", 3, 1, 16, 16), ("2 RGB images of 12x20", 2, 3, 12, 20),
                              ("5 grey images of 24x24", 5, 1, 24, 24)):
        x = _images(g, n, c, h, w, torch.float32)
        a = ref.rotate_mats(u(n, 10, 35)) @ ref.zoom_mats(u(n, 1.1, 1.4), u(n, -0.6, 0.6), u(n, -0.6, 0.6))
        b = ref.flip_mats(torch.rand(n, generator=g) < 0.5) @ ref.rotate_mats(u(n, -35, -10)) @ \
            ref.zoom_mats(u(n, 1.05, 1.3), u(n, -0.5, 0.5), u(n, -0.5, 0.5))
        cases.append((label, x, a, b))
    return cases


def _sharpness_ref(ref: Any, x: Any, a: Any, b: Any) -> tuple:
    once = ref.sharpness(ref.apply_affine(x, a @ b))
    twice = ref.sharpness(ref.apply_affine(ref.apply_affine(x, a), b))
    return once, twice


@check(points=2, timeout=20)
def once_and_twice(student: Callable) -> None:
    """`once_and_twice(x, a, b)`: per-image sharpness after one composed resample and after a-then-b resamples."""
    import torch
    ref = _ref()
    for label, x, a, b in _pair_cases(_fresh_seed()):
        called = f"once_and_twice(x, a, b) on {label}"
        got = probe(once_twice_on, student, x, a, b)
        out = got["out"]
        if not (isinstance(out, tuple) and len(out) == 2):
            fail("wrong kind of result", called=called, expected="<a tuple (once, twice) of two tensors>", got=out,
                 hint="Return a tuple of two tensors: the sharpness per image after one resample, then after two.")
        once, twice = _sharpness_ref(ref, x, a, b)
        n = x.shape[0]
        for part, value in (("once", out[0]), ("twice", out[1])):
            expect_type(value, torch.Tensor, f"a tensor of shape ({n},)", called=f"{called}: {part}",
                        hint="Each of the two is a tensor with one sharpness per image.")
            if tuple(value.shape) != (n,):
                fail("wrong shape", called=f"{called}: {part}", expected=f"<shape ({n},)>",
                     got=f"<shape {tuple(value.shape)}>",
                     hint="One number per image: average over the channels and the pixel pairs of each image, "
                          "not over the batch.")
        if not got["kept"]:
            fail("an input was changed", called=called, hint="Leave x and both matrices as they are.")
        expect_close(out[1].double(), twice.double(), rtol=1e-4, atol=1e-7, called=f"{called}: twice",
                     hint=_sharpness_hint(ref, x, a, b, out[1], twice, twice_part=True))
        expect_close(out[0].double(), once.double(), rtol=1e-4, atol=1e-7, called=f"{called}: once",
                     hint=_sharpness_hint(ref, x, a, b, out[0], once, twice_part=False))


def _sharpness_hint(ref: Any, x: Any, a: Any, b: Any, got: Any, expected: Any, twice_part: bool) -> str:
    import torch
    g = got.double()

    def same(y: Any) -> bool:
        return torch.allclose(g, y.double(), rtol=1e-4, atol=1e-7)
    try:
        if not twice_part:
            if same(ref.sharpness(ref.apply_affine(x, b @ a))):
                return ("The two matrices are multiplied in the wrong order. Follow one output pixel: the second "
                        "resample reads the first result through b, and the first result read x through a.")
            if same(ref.sharpness(ref.apply_affine(ref.apply_affine(x, a), b))):
                return "That is the sharpness after two resamples; `once` samples x a single time."
        else:
            if same(ref.sharpness(ref.apply_affine(ref.apply_affine(x, b), a))):
                return "The two resamples ran in the wrong order: first through a, then the result through b."
        if same(_sharpness_variant(ref, x, a, b, twice_part, "sum")):
            return ("Average the squared differences (over channels and pixel pairs) instead of adding them up: "
                    "the measure must not grow with the image size.")
        if same(_sharpness_variant(ref, x, a, b, twice_part, "horizontal")):
            return "Count both directions: horizontally adjacent pixels and vertically adjacent ones."
        if same(_sharpness_variant(ref, x, a, b, twice_part, "joint")):
            return ("Take the mean of the horizontal squared differences and the mean of the vertical ones "
                    "separately, then add the two means.")
    except Exception:  # noqa: BLE001  a mistake detector must never break the check
        pass
    return ("Sharpness of one image: the mean squared difference between horizontally adjacent pixels plus the mean "
            "squared difference between vertically adjacent pixels (each mean over the channels too).")


def _sharpness_variant(ref: Any, x: Any, a: Any, b: Any, twice_part: bool, kind: str) -> Any:
    """The usual wrong sharpness measures, to name the mistake."""
    import torch
    y = ref.apply_affine(ref.apply_affine(x, a), b) if twice_part else ref.apply_affine(x, a @ b)
    dx = (y[..., :, 1:] - y[..., :, :-1]) ** 2
    dy = (y[..., 1:, :] - y[..., :-1, :]) ** 2
    if kind == "sum":
        return dx.flatten(1).sum(1) + dy.flatten(1).sum(1)
    if kind == "horizontal":
        return dx.flatten(1).mean(1)
    return torch.cat([dx.flatten(1), dy.flatten(1)], 1).mean(1)


# ----------------------------------------------------------------------------------------------------------------
# 6. freeze_to: groups before n frozen, normalization layers always training
# ----------------------------------------------------------------------------------------------------------------

def _build(spec: str) -> tuple:
    """A model and its parameter groups, by name (the same model wherever it is built)."""
    import torch
    from torch import nn

    class ScaledBatchNorm(nn.BatchNorm2d):
        """A batchnorm subclass: still a normalization layer."""
    torch.manual_seed(0)
    if spec == "body and head":
        body = nn.Sequential(nn.Linear(4, 8), nn.BatchNorm1d(8), nn.ReLU(), nn.Linear(8, 8), nn.LayerNorm(8))
        model = nn.Sequential(body, nn.Linear(8, 3))
        return model, [list(model[0].parameters()), list(model[1].parameters())]
    if spec == "three stages":
        stem = nn.Sequential(nn.Conv2d(3, 4, 3), nn.BatchNorm2d(4), nn.ReLU())
        middle = nn.Sequential(nn.Conv2d(4, 4, 3, bias=False), nn.GroupNorm(2, 4), nn.InstanceNorm2d(4, affine=True),
                               nn.Sequential(nn.Conv2d(4, 4, 1), ScaledBatchNorm(4)))
        head = nn.Sequential(nn.Flatten(), nn.Linear(16, 8), nn.BatchNorm1d(8), nn.Linear(8, 2))
        model = nn.Sequential(stem, middle, head)
        return model, [list(m.parameters()) for m in model]
    if spec == "four groups, one norm layer outside them":
        layers = nn.ModuleList([nn.Linear(3, 3), nn.LayerNorm(3), nn.Linear(3, 3), nn.BatchNorm1d(3),
                                nn.Linear(3, 3), nn.Linear(3, 2), nn.LayerNorm(2)])
        model = nn.Sequential(*layers)
        groups = [list(layers[0].parameters()), list(layers[1].parameters()) + list(layers[2].parameters()),
                  list(layers[4].parameters()), list(layers[5].parameters())]  # layers 3 and 6 in no group
        return model, groups
    raise ValueError(spec)


_FREEZE_SPECS = ("body and head", "three stages", "four groups, one norm layer outside them")


def freeze_on(fn: Callable, spec: str, n: int, flags: list) -> dict:
    """Probe: build model `spec`, set each parameter's requires_grad from `flags`, call fn(model, groups, n);
    the requires_grad of every parameter afterwards, what was raised, and whether the groups were left alone."""
    model, groups = _build(spec)
    params = list(model.parameters())
    for p, f in zip(params, flags):
        p.requires_grad_(bool(f))
    sizes = [len(g) for g in groups]
    out = attempt(fn, model, groups, n)
    raised = None
    if isinstance(out, Raised):
        raised = {"type": out.type, "kinds": out.kinds, "message": out.message, "where": out.where}
        out = None
    return {"flags": [bool(p.requires_grad) for p in params], "raised": raised, "returned": out,
            "groups_kept": [len(g) for g in groups] == sizes}


def reference_freeze_to(model: Any, groups: list, n: int) -> None:
    """The library's freezing, on bare parameter groups: an Optimizer over them, norm-layer parameters kept."""
    ref = _ref()
    keep = {id(p) for p in ref.norm_bias_params(model, with_bias=False)}
    ref.Optimizer(groups, [ref.sgd_step], lr=0.1).freeze_to(n, keep)


def _freeze_cases(seed: int) -> list:
    rng = random.Random(seed)
    sizes = {spec: len(list(_build(spec)[0].parameters())) for spec in _FREEZE_SPECS}
    n_groups = {spec: len(_build(spec)[1]) for spec in _FREEZE_SPECS}
    cases = []
    for spec in _FREEZE_SPECS:
        k = n_groups[spec]
        for n in sorted({1, -1, 0, k - 1, -(k - 1), rng.randrange(0, k)}):
            for pattern in ("all on", "all off", "random"):
                flags = [pattern == "all on" if pattern != "random" else rng.random() < 0.5
                         for _ in range(sizes[spec])]
                cases.append((spec, n, flags))
    return cases


def _param_names(spec: str) -> list:
    model, _ = _build(spec)
    return [name for name, _ in model.named_parameters()]


@check(points=2, timeout=20)
def freeze_to(student: Callable) -> None:
    """`freeze_to(model, groups, n)`: groups before n stop training, the rest train, norm layers always train."""
    for spec, n, flags in _freeze_cases(_fresh_seed()):
        called = f"freeze_to(model, groups, {n}) on a model with {spec}"
        with labelled(called):
            got = probe(freeze_on, student, spec, n, flags)
        exp = probe(freeze_on, reference_freeze_to, spec, n, flags)
        if got["raised"] is not None:
            not_written = "NotImplementedError" in got["raised"]["kinds"]
            fail(f"raised {got['raised']['type']}", called=called, got=f"<{got['raised']['message'][:120]}>",
                 where=got["raised"]["where"],
                 hint=NOT_WRITTEN if not_written else "Only a freeze that leaves no group training is an error.")
        _expect_count(got["flags"], len(exp["flags"]), called, "parameters")
        names = _param_names(spec)
        for name, g, e in zip(names, got["flags"], exp["flags"]):
            if g != e:
                fail("wrong requires_grad", called=called, expected=f"{name}.requires_grad == {e}",
                     got=f"{name}.requires_grad == {g}", hint=_freeze_hint(spec, name, n, e, flags, names))
        if not got["groups_kept"]:
            fail("the groups were changed", called=called, hint="Only switch requires_grad; leave the lists alone.")
    for spec in _FREEZE_SPECS:
        k = len(_build(spec)[1])
        for n in (k, k + 2):
            called = f"freeze_to(model, groups, {n}) on a model with {spec} ({k} groups)"
            flags = [True] * len(_param_names(spec))
            got = probe(freeze_on, student, spec, n, flags)
            if got["raised"] is None:
                fail("did not raise", called=called, expected="<raises ValueError>", got=got["returned"],
                     hint="Freezing every group would leave nothing to train: refuse with a ValueError.")
            if "ValueError" not in got["raised"]["kinds"]:
                fail("raised the wrong exception", called=called, expected="<raises ValueError>",
                     got=f"<raised {got['raised']['type']}: {got['raised']['message'][:100]}>",
                     hint="Refuse with a ValueError.")
            if got["flags"] != flags:
                fail("parameters changed before the error", called=called,
                     hint="Check that something will still train before switching any requires_grad: a call that "
                          "fails must leave the model as it was.")


def _freeze_hint(spec: str, name: str, n: int, expected: bool, flags: list, names: list) -> str:
    model, groups = _build(spec)
    ids = {id(p): i for i, p in enumerate(model.parameters())}
    group_of = {ids[id(p)]: gi for gi, g in enumerate(groups) for p in g}
    idx = names.index(name)
    if idx not in group_of:
        return "This parameter is in no group: leave its requires_grad as it was."
    k = len(groups)
    first = n if n >= 0 else k + n
    gi = group_of[idx]
    if expected and gi < first:
        return ("This parameter belongs to a normalization layer (an instance of one of the classes in "
                "ref.NORM_TYPES, subclasses included): it keeps training even in a frozen group.")
    if expected:
        return (f"This parameter is in group {gi}, at or after group {first}: it must train (set requires_grad to "
                f"True, also when it was False before)." + (" A negative n counts from the end, like a list index."
                                                             if n < 0 else ""))
    return (f"This parameter is in group {gi}, before group {first}, and is not part of a normalization layer: it "
            f"stops training. " + ("A negative n counts from the end, like a list index." if n < 0 else
                                   "Biases of ordinary layers freeze too."))


# ----------------------------------------------------------------------------------------------------------------
# 7. lr_range: discriminative learning rates
# ----------------------------------------------------------------------------------------------------------------

def apply_each(fn: Callable, cases: list) -> list:
    """Probe: fn(*case) for each case."""
    return [call(fn, *c) for c in cases]


def _lr_cases(seed: int) -> list:
    rng = random.Random(seed)
    cases = [(slice(None, 1e-3), 3), (slice(1e-5, 1e-3), 3), (1e-2, 2), (slice(None, 0.1), 1), (slice(1e-4, 1e-2), 1),
             (slice(1e-6, 1e-3), 4), (3e-3, 1), (slice(2e-3, 2e-3), 3), (slice(None, 5e-3), 2), (1, 3)]
    for _ in range(6):
        lo = 10 ** rng.uniform(-7, -3)
        cases.append((slice(lo, lo * 10 ** rng.uniform(0.5, 3)), rng.randint(2, 7)))
        cases.append((slice(None, 10 ** rng.uniform(-5, -1)), rng.randint(2, 6)))
    return cases


def _show_lr(lr: Any) -> str:
    if isinstance(lr, slice):
        return f"slice({lr.stop:.3g})" if lr.start is None else f"slice({lr.start:.3g}, {lr.stop:.3g})"
    return f"{lr:g}"


@check(points=2, timeout=10)
def lr_range(student: Callable) -> None:
    """`lr_range(lr, n)`: n learning rates, one per group, from a number or a slice, as a list of floats."""
    ref = _ref()
    cases = _lr_cases(_fresh_seed())
    got = probe(apply_each, student, cases)
    _expect_count(got, len(cases), "lr_range", "answers")
    for (lr, n), g in zip(cases, got):
        called = f"lr_range({_show_lr(lr)}, {n})"
        expected = [float(v) for v in ref.expand_hyper(lr, n)]
        if not isinstance(g, list):
            fail("wrong type of result", called=called, expected="<a list of floats>",
                 got=f"<a {type(g).__name__}: {str(g)[:80]}>",
                 hint="Return a plain Python list with one float per parameter group (also for a single number).")
        _expect_count(g, n, called, "learning rates (one per group)")
        for v in g:
            expect_type(v, float, "a float", called=called,
                        hint="Each learning rate is a plain Python float (not an int, array or tensor element).")
        expect_close(g, expected, rtol=1e-9, atol=0, called=called, hint=_lr_hint(lr, n, g))


def _lr_hint(lr: Any, n: int, got: list) -> str:
    if not isinstance(lr, slice):
        return "A single number is used as it is by every group."
    if lr.start is None:
        return ("slice(stop) gives the last group (the head) stop and every other group a tenth of it; with one "
                "group only the head is left.")
    if n == 1:
        return "With one group there is only the head: it gets the slice's stop."
    if len(got) == n and all(isinstance(v, float) for v in got) and n > 2:
        lin = [lr.start + (lr.stop - lr.start) * i / (n - 1) for i in range(n)]
        if all(math.isclose(a, b, rel_tol=1e-6) for a, b in zip(got, lin)):
            return ("These are evenly spaced; the rates are spaced geometrically: each group's rate is the previous "
                    "one times the same factor.")
    if len(got) == n and math.isclose(got[0], lr.stop, rel_tol=1e-6) and not math.isclose(lr.start, lr.stop):
        return "The first group (the body's first layers) gets the slice's start, the last group its stop."
    return ("From start (first group) to stop (last group), multiplying by the same factor at each step: n rates "
            "include both ends, so there are n - 1 steps.")


# ----------------------------------------------------------------------------------------------------------------
# 8. fine_tune
# ----------------------------------------------------------------------------------------------------------------

def transfer_learner(seed: int) -> Any:
    """A small seeded classifier: a body with a batchnorm, and a head, split into two groups; no progress bar."""
    import torch
    from torch import nn
    from torch.utils.data import DataLoader, TensorDataset
    ref = _ref()
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(48, 4, generator=g)
    y = (x[:, 0] + x[:, 1] > 0).long() + (x[:, 2] > 1).long()
    train = DataLoader(TensorDataset(x[:32], y[:32]), batch_size=8)
    valid = DataLoader(TensorDataset(x[32:], y[32:]), batch_size=8)
    torch.manual_seed(seed)
    body = nn.Sequential(nn.Linear(4, 8), nn.BatchNorm1d(8), nn.ReLU(), nn.Linear(8, 8), nn.ReLU())
    model = nn.Sequential(body, nn.Linear(8, 3))
    return ref.Learner((train, valid), model, loss_func=nn.CrossEntropyLoss(), lr=1e-3, progress=False,
                       splitter=ref.body_head_splitter)


def fine_tune_run(fn: Callable, seed: int, kwargs: dict, x: Any) -> dict:
    """Probe: fn(learn, **kwargs) on a fresh transfer_learner, with a callback recording, before each training
    batch, each group's lr and which layers train; then the model's outputs on `x`."""
    import torch
    ref = _ref()

    class Log(ref.Callback):
        order = 99  # after the scheduler has set this batch's hyper-parameters

        def before_fit(self):
            fits.append({"n_epoch": self.learn.n_epoch, "steps": []})

        def before_batch(self):
            if self.learn.training:
                body, head = self.learn.model[0], self.learn.model[1]
                fits[-1]["steps"].append({
                    "lr": [float(h["lr"]) for h in self.learn.opt.hypers],
                    "mom": [float(h.get("mom", float("nan"))) for h in self.learn.opt.hypers],
                    "trains": [bool(body[0].weight.requires_grad), bool(body[1].weight.requires_grad),
                               bool(body[3].bias.requires_grad), bool(head.weight.requires_grad)]})
    fits: list = []
    learn = transfer_learner(seed)
    learn.add_cb(Log())
    returned = call(fn, learn, **kwargs)
    learn.model.eval()
    with torch.no_grad():
        out = learn.model(x).float()
    final = [bool(p.requires_grad) for p in learn.model.parameters()]
    return {"fits": fits, "outputs": out, "final_trains": final, "returned": returned}


def _fine_tune_cases() -> tuple:
    return ({"epochs": 2}, {"epochs": 1, "base_lr": 1e-2, "freeze_epochs": 2, "lr_mult": 10, "pct_start": 0.5, "div": 10.0},
            {"epochs": 3, "base_lr": 4e-3, "freeze_epochs": 1, "lr_mult": 50, "pct_start": 0.2, "div": 2.0})


_TRAINS = ("the body's first linear layer", "the body's batchnorm", "the body's second linear layer (its bias)",
           "the head")


@check(points=3, timeout=30)
def fine_tune(student: Callable) -> None:
    """`fine_tune(learn, epochs, ...)`: the head alone with slice(base_lr), then everything with discriminative lrs."""
    import torch
    seed = _fresh_seed() % 10_000
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(6, 4, generator=g)
    for kwargs in _fine_tune_cases():
        called = "fine_tune(learn, " + ", ".join(f"{k}={v!r}" for k, v in kwargs.items()) + ")"
        with labelled(called):
            got = probe(fine_tune_run, student, seed, kwargs, x)
        exp = probe(fine_tune_run, _ref().Learner.fine_tune, seed, kwargs, x)  # the method, as a function
        fits, efits = got["fits"], exp["fits"]
        if not isinstance(fits, list) or len(fits) != len(efits):
            fail("a different number of training runs", called=called, expected=f"<{len(efits)} calls of fit>",
                 got=f"<{len(fits) if isinstance(fits, list) else '?'} calls of fit>",
                 hint="fine_tune trains in two phases: one cycle with the body frozen, then one cycle with "
                      "everything training.")
        for phase, (f, e) in enumerate(zip(fits, efits), start=1):
            where = f"phase {phase}"
            expect_equal(f["n_epoch"], e["n_epoch"], called=called, summary=f"wrong number of epochs in {where}",
                         hint="Phase 1 runs freeze_epochs epochs, phase 2 runs epochs epochs.")
            _expect_count(f["steps"], len(e["steps"]), called, f"training batches in {where}")
            for i, (s, es) in enumerate(zip(f["steps"], e["steps"])):
                for layer, t, et in zip(_TRAINS, s["trains"], es["trains"]):
                    if t != et:
                        fail(f"{layer} {'trains' if t else 'is frozen'} in {where}", called=called,
                             expected=f"<{layer} {'trains' if et else 'frozen'}>",
                             got=f"<{layer} {'trains' if t else 'frozen'}>", hint=_trains_hint(phase, layer))
                expect_close(s["lr"], es["lr"], rtol=1e-6, atol=1e-12, called=called,
                             summary=f"wrong learning rates at training batch {i} of {where} (body group, head group)",
                             hint=_fine_tune_lr_hint(phase, s["lr"], es["lr"]))
                expect_close(s["mom"], es["mom"], rtol=1e-6, atol=1e-9, called=called,
                             summary=f"wrong momentum at training batch {i} of {where}",
                             hint="Each phase is one cycle: the momentum follows the one-cycle schedule too.")
        expect_equal(got["final_trains"], exp["final_trains"], called=called,
                     summary="not every parameter trains after fine_tune",
                     hint="fine_tune leaves the model unfrozen: everything trains in phase 2, and stays so.")
        expect_close(got["outputs"], exp["outputs"], rtol=1e-4, atol=1e-5, called=called,
                     summary="the trained model predicts differently",
                     hint="With the same schedules the weights end the same: look at what else your fine_tune does "
                          "to the learner.")


def _trains_hint(phase: int, layer: str) -> str:
    if phase == 1 and layer == "the body's batchnorm":
        return "In phase 1 the body is frozen, but its normalization layers keep training: freeze with the learner."
    if phase == 1:
        return "Phase 1 trains the head alone: freeze the body before the first cycle."
    return "Phase 2 trains everything: unfreeze before the second cycle."


def _fine_tune_lr_hint(phase: int, got: list, exp: list) -> str:
    if len(got) == 2 and len(exp) == 2 and got[1] > 0 and exp[1] > 0:
        ratio, eratio = got[0] / got[1], exp[0] / exp[1]
        if not math.isclose(ratio, eratio, rel_tol=1e-4):
            return ("The two groups' rates are not in the right proportion: in phase 1 the body group peaks at a "
                    "tenth of the head's; in phase 2 the first group is lr_mult times smaller than the head.")
        if phase == 2 and math.isclose(got[1] / exp[1], 2, rel_tol=1e-4):
            return "Phase 2 starts from half of base_lr."
    if phase == 1:
        return ("Phase 1 is one cycle peaking at base_lr for the head, with pct_start 0.99 and fit_one_cycle's other "
                "defaults (not the div or pct_start of phase 2).")
    return ("Phase 2 is one cycle with discriminative rates from base_lr/lr_mult to base_lr, base_lr halved first, "
            "using the given pct_start and div.")
