"""Checks for exercise 11 (interpretation and deployment): confusion matrix, top losses, most confused, predict,
export, a load in a fresh process, the inference module, a torch.export program, and the agreement check.

The learner the checks use is trained here, in the grader; its weights reach the notebook's process as a file, where
the probes rebuild the same learner around them. Images are held-out digits with a small secret noise, drawn afresh
on every run: the answers that come back (labels, probabilities, file facts) are judged here against this learner.
Hints name the idea, never the code.
"""
from __future__ import annotations

import atexit
import json
import math
import random
import secrets
import shutil
import sys
import tempfile
import types
from pathlib import Path
from typing import Any, Callable

from fastlayers.checks.framework import (attempt, call, check, expect_close, expect_count, expect_equal, expect_true,
                                         expect_type, fail, labelled, probe)
from fastlayers.checks.failure import NOT_WRITTEN
from fastlayers.checks.lesson00 import outcome, raised_text

__all__ = ["confusion_matrix", "top_losses", "most_confused", "predict", "export", "predict_in_fresh_process",
           "inference_model", "export_program", "agreement"]

PRELOAD = ["fastlayers.vision", "sklearn.datasets"]

SCRATCH = "fastlayers_notebook_only"  # a module that exists only in the notebook's process, while a check runs
VOCAB_FILE = "vocab.json"


def _ref():
    import fastlayers.training as ref
    return ref


def _raised_hint(o: dict, hint: str = "") -> str:
    return NOT_WRITTEN if o.get("raised") == "NotImplementedError" else hint


def _fail_on_raise(o: dict, called: str, expected: Any = "<a result, no exception>", hint: str = "") -> None:
    if isinstance(o, dict) and "raised" in o:
        fail(f"raised {o['raised']}", called=called, expected=expected, got=raised_text(o), where=o.get("where", ""),
             hint=_raised_hint(o, hint))


# ----------------------------------------------------------------------------------------------------------------
# The digits learner: trained in the grader, rebuilt around the same weights in the notebook's process
# ----------------------------------------------------------------------------------------------------------------

_DIGITS: dict = {}


def digits() -> tuple:
    """(images, labels): scikit-learn's digits as uint8 (n, 8, 8) images and str labels (read once per process)."""
    if not _DIGITS:
        import numpy as np
        from sklearn.datasets import load_digits
        d = load_digits()
        _DIGITS["images"] = (d.images * 16).clip(0, 255).astype(np.uint8)
        _DIGITS["labels"] = tuple(str(t) for t in d.target)
    return _DIGITS["images"], _DIGITS["labels"]


def digits_dls() -> Any:
    from fastlayers.vision import ImageDataLoaders
    images, labels = digits()
    return ImageDataLoaders.from_arrays(images, list(labels), valid_pct=0.2, seed=11, bs=64)


def digits_model() -> Any:
    """A small CNN with batchnorm and dropout (so a prediction made in training mode differs)."""
    import torch
    from torch import nn
    with torch.random.fork_rng():
        torch.manual_seed(11)
        return nn.Sequential(nn.Conv2d(1, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(),
                             nn.Conv2d(8, 16, 3, stride=2, padding=1), nn.BatchNorm2d(16), nn.ReLU(),
                             nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Dropout(0.3), nn.Linear(16, 10))


_GRADER: dict = {}


def _grader() -> dict:
    """The grader's learner, trained once per process, its weights file and a scratch folder."""
    if not _GRADER:
        import torch
        ref = _ref()
        folder = Path(tempfile.mkdtemp(prefix="fastlayers-lesson11-"))
        atexit.register(shutil.rmtree, folder, True)
        with torch.random.fork_rng():
            torch.manual_seed(11)
            learn = ref.Learner(digits_dls(), digits_model(), progress=False, path=folder)
            learn.fit_one_cycle(2, 1e-2)
        learn.model.eval()
        torch.save(learn.model.state_dict(), folder / "weights.pth")
        _GRADER.update(learn=learn, folder=folder, weights=str(folder / "weights.pth"))
    return _GRADER


def student_learner(weights: str, path: Any = None) -> Any:
    """In the notebook's process: the digits learner around the grader's weights, its model in training mode."""
    import torch
    ref = _ref()
    learn = ref.Learner(digits_dls(), digits_model(), progress=False, path=path or tempfile.gettempdir())
    learn.model.load_state_dict(torch.load(weights, weights_only=True))
    return learn


def _held_out(n: int) -> Any:
    """n digits of the validation split (never trained on) with a small secret noise, drawn afresh on every run
    (uint8 (n, 8, 8))."""
    import numpy as np
    from fastlayers.data import RandomSplitter
    rng = np.random.default_rng(secrets.randbits(64))
    images, _ = digits()
    valid = np.asarray(RandomSplitter(0.2, 11)(list(range(len(images))))[1])  # the split of digits_dls
    picked = images[rng.choice(valid, size=n, replace=False)].astype(np.int64)
    return np.clip(picked + rng.integers(-24, 25, size=picked.shape), 0, 255).astype(np.uint8)


def _grader_preds(images: Any) -> tuple:
    """(labels, ids, probabilities) of the grader's learner on `images`."""
    import torch
    learn = _grader()["learn"]
    probs = learn.get_preds(dl=learn.dls.test_dl(list(images)))[0].as_subclass(torch.Tensor)
    ids = probs.argmax(dim=1)
    return [str(learn.dls.vocab[int(i)]) for i in ids], ids, probs


# ----------------------------------------------------------------------------------------------------------------
# 1. confusion_matrix
# ----------------------------------------------------------------------------------------------------------------

def on_tensors(fn: Callable, *args: Any, **kwargs: Any) -> dict:
    """Probe: what fn did on tensors (value or exception), and whether its tensor arguments were left as they were."""
    import torch
    before = [a.clone() if isinstance(a, torch.Tensor) else None for a in args]
    o = outcome(lambda *a: fn(*a, **kwargs), *args) if kwargs else outcome(fn, *args)
    o["kept"] = all(b is None or (a.shape == b.shape and bool((a == b).all())) for a, b in zip(args, before))
    return o


def _cm_cases() -> list:
    rng = random.Random()
    fixed = [([0, 1, 2, 2, 1], [0, 2, 2, 1, 1], 3), ([], [], 4), ([3, 3, 3], [3, 3, 3], 5), ([0, 1], [1, 0], 2),
             ([4, 0, 4, 4], [0, 4, 4, 4], 6), ([0], [0], 1), ([1, 1, 0, 2, 2, 2], [0, 2, 0, 2, 1, 2], 3)]
    for _ in range(4):
        n = rng.randint(2, 12)
        m = rng.randint(1, 300)
        fixed.append(([rng.randrange(n) for _ in range(m)], [rng.randrange(n) for _ in range(m)], n))
    return fixed


_CM_ERRORS = (([0, 1, 2], [0, 1], 3, ("3", "2")), ([0, 1], [0, 7], 3, ("7",)), ([-1, 0], [0, 0], 2, ("-1",)),
              ([0, 5], [0, 1], 4, ("5",)))


def _cm_reference(targs: list, decoded: list, n: int) -> list:
    cm = [[0] * n for _ in range(n)]
    for a, p in zip(targs, decoded):
        cm[a][p] += 1
    return cm


@check(points=2, timeout=20)
def confusion_matrix(student: Callable) -> None:
    """`confusion_matrix(targs, decoded, n_classes)`: cm[actual, predicted] counts as int64 (n, n); clear errors."""
    import torch
    for targs, decoded, n in _cm_cases():
        called = f"confusion_matrix({_short(targs)}, {_short(decoded)}, {n})"
        t, d = torch.tensor(targs, dtype=torch.int64), torch.tensor(decoded, dtype=torch.int64)
        want = torch.tensor(_cm_reference(targs, decoded, n), dtype=torch.int64)
        o = probe(on_tensors, student, t, d, n)
        _fail_on_raise(o, called, want, hint="These ids and lengths are valid: build the matrix.")
        got = o["value"]
        expect_type(got, torch.Tensor, "a tensor", called=called, hint="Return a torch tensor (n_classes x n_classes).")
        if got.dtype != torch.int64:
            fail("wrong dtype", called=called, expected="<an int64 tensor of counts>", got=f"<a {got.dtype} tensor>",
                 hint="Counts are whole numbers: make the matrix int64 (torch.zeros makes floats unless told).")
        if tuple(got.shape) != (n, n):
            fail("wrong shape", called=called, expected=f"<shape ({n}, {n})>", got=f"<shape {tuple(got.shape)}>",
                 hint="The matrix has one row and one column per class, n_classes of each, also for classes that "
                      "never occur in these ids.")
        if not o["kept"]:
            fail("the inputs were changed", called=called,
                 hint="Compute the counts without writing into targs or decoded: the caller still needs them.")
        hint = "Row = the actual class, column = the predicted class; each item adds one to its cell."
        if torch.equal(got, want.T):
            hint = "Rows and columns are swapped: cm[actual, predicted], so each row is one actual class."
        elif int(got.sum()) != len(targs):
            hint = f"There are {len(targs)} items, so the counts must add up to {len(targs)}: count every item once."
        expect_equal(got, want, called=called, hint=hint)
    for targs, decoded, n, words in _CM_ERRORS:
        called = f"confusion_matrix({_short(targs)}, {_short(decoded)}, {n})"
        o = probe(on_tensors, student, torch.tensor(targs), torch.tensor(decoded), n)
        length = len(targs) != len(decoded)
        _expect_value_error(o, called, words,
                            "The lengths differ: one prediction per target, or the call is wrong; say both lengths."
                            if length else
                            f"A class id must lie in 0..n_classes-1 (here 0..{n - 1}); name the id that does not.")


def _expect_value_error(o: dict, called: str, words: tuple, hint: str) -> None:
    if "raised" not in o:
        fail("did not raise", called=called, expected="<raises ValueError>", got=o.get("value"), hint=hint)
    if o["raised"] == "NotImplementedError" or "ValueError" not in o.get("kinds", []):
        fail(f"raised {o['raised']}, not ValueError", called=called, expected="<raises ValueError>",
             got=raised_text(o), where=o.get("where", ""),
             hint=_raised_hint(o, "Check the inputs yourself, before computing anything, and raise a ValueError. "
                                  + hint))
    missing = [w for w in words if w not in o.get("message", "")]
    if missing:
        fail("raised, but the message does not name what is wrong", called=called,
             expected=f"<ValueError whose message contains {' and '.join(repr(w) for w in words)}>",
             got=raised_text(o), hint=hint)


def _short(values: list) -> str:
    text = repr(values)
    return text if len(text) <= 60 else f"<{len(values)} ids>"


# ----------------------------------------------------------------------------------------------------------------
# 2. top_losses
# ----------------------------------------------------------------------------------------------------------------

def _loss_cases() -> list:
    import torch
    g = torch.Generator().manual_seed(secrets.randbits(32))
    rounded = (torch.rand(300, generator=g) * 5).round() / 5  # many equal losses
    return [
        (torch.tensor([0.5, 2.0, 0.5, 2.0, 1.0]), {"k": 3}),
        (torch.tensor([0.5, 2.0, 0.5, 2.0, 1.0]), {}),
        (torch.tensor([0.5, 2.0, 0.5, 2.0, 1.0]), {"largest": False}),
        (torch.tensor([3.0, 1.0, 3.0, 1.0, 3.0, 1.0, 2.0, 2.0]), {"k": 4, "largest": False}),
        (torch.tensor([1.0] * 10), {"k": 4}),
        (torch.tensor([0.1, 0.3, 0.2]), {"k": 99}),
        (torch.tensor([0.1, 0.3, 0.2]), {"k": 0}),
        (torch.tensor([0.7]), {}),
        (torch.rand(50, generator=g) * 3, {"k": 10}),
        (rounded, {"k": 40}),
        (rounded, {}),
    ]


@check(points=2, timeout=20)
def top_losses(student: Callable) -> None:
    """`top_losses(losses, k=None, largest=True)`: (values, indices), largest first, equal losses in index order."""
    import torch
    ref = _ref()
    for losses, kwargs in _loss_cases():
        shown = f"tensor of {len(losses)} losses" if len(losses) > 8 else repr([round(float(v), 3) for v in losses])
        called = "top_losses(" + ", ".join([shown] + [f"{k}={v!r}" for k, v in kwargs.items()]) + ")"
        want_v, want_i = ref.top_losses(losses, **kwargs)
        o = probe(on_tensors, student, losses, **kwargs)
        _fail_on_raise(o, called, "<(values, indices)>",
                       hint="k larger than the number of items means all of them; k=None means all.")
        got = o["value"]
        if not (isinstance(got, tuple) and len(got) == 2):
            fail("wrong kind of result", called=called, expected="<a tuple (values, indices)>", got=got,
                 hint="Return two tensors in a tuple: the losses, and their positions in the input.")
        values, idx = got
        expect_type(values, torch.Tensor, "a tensor of losses", called=called)
        expect_type(idx, torch.Tensor, "a tensor of indices", called=called)
        if idx.dtype != torch.int64:
            fail("wrong dtype", called=called, expected="<int64 indices>", got=f"<{idx.dtype} indices>",
                 hint="Positions are whole numbers: return them as an int64 tensor.")
        if not o["kept"]:
            fail("the losses were changed", called=called,
                 hint="Sort a copy (or use a function that returns a sorted copy): the caller's losses stay as they "
                      "were.")
        expect_close(values, want_v, rtol=0, atol=0, called=called, hint=_top_hint(losses, kwargs, values, idx))
        expect_equal(idx, want_i, called=called, hint=_top_hint(losses, kwargs, values, idx))


def _top_hint(losses: Any, kwargs: dict, values: Any, idx: Any) -> str:
    import torch
    k, largest = kwargs.get("k"), kwargs.get("largest", True)
    n = len(losses) if k is None else min(k, len(losses))
    if len(idx) != n:
        return (f"Expected {n} items: k=None means all, and a k larger than the number of items gives all of them."
                if k is None or k >= len(losses) else f"Return exactly k={k} items.")
    if len(values) == n and n and not torch.equal(values, torch.sort(losses, descending=largest).values[:n]):
        return ("These are not the largest losses, largest first." if largest else
                "With largest=False, return the smallest losses, smallest first.")
    return ("Equal losses must keep their order: the lower index first. torch.topk gives no such promise, and "
            "reversing an ascending sort puts equal ones backwards; a stable sort in the right direction does.")


# ----------------------------------------------------------------------------------------------------------------
# 3. most_confused
# ----------------------------------------------------------------------------------------------------------------

def _confused_cases() -> list:
    import torch
    rng = random.Random()
    cases = [
        (torch.tensor([[5, 2, 0], [2, 4, 3], [1, 2, 7]]), ["cat", "dog", "fox"], 1),
        (torch.tensor([[5, 2, 0], [2, 4, 3], [1, 2, 7]]), ["cat", "dog", "fox"], 2),
        (torch.tensor([[9, 0], [0, 9]]), ["no", "yes"], 1),
        (torch.tensor([[1, 3], [3, 1]]), ["b", "a"], 3),
        (torch.tensor([[1, 0, 2], [0, 1, 0], [2, 0, 1]]), ["x", "y", "z"], 0),
    ]
    for _ in range(3):
        n = rng.randint(3, 8)
        cm = torch.tensor([[rng.randint(0, 4) for _ in range(n)] for _ in range(n)])
        cases.append((cm, [f"class {chr(65 + i)}" for i in range(n)], rng.choice([1, 1, 2])))
    return cases


@check(points=2, timeout=20)
def most_confused(student: Callable) -> None:
    """`most_confused(cm, vocab, min_val=1)`: (actual, predicted, count) off the diagonal, most frequent first."""
    ref = _ref()
    for cm, vocab, min_val in _confused_cases():
        called = f"most_confused(<{len(cm)}x{len(cm)} matrix>, {vocab!r}, min_val={min_val})"
        if len(cm) <= 3:
            called = f"most_confused({cm.tolist()!r}, {vocab!r}, min_val={min_val})"
        want = ref.most_confused(cm, list(vocab), min_val)
        o = probe(on_tensors, student, cm, list(vocab), min_val)
        _fail_on_raise(o, called, want)
        got = o["value"]
        if not isinstance(got, list):
            fail("wrong type of result", called=called, expected="<a list of tuples>", got=got,
                 hint="Return a list (sorted), one tuple per pair of classes.")
        for item in got:
            if not (isinstance(item, tuple) and len(item) == 3 and type(item[2]) is int):
                fail("wrong kind of element", called=called, expected="<tuples (actual name, predicted name, count) "
                     "with count a Python int>", got=item,
                     hint="Each element is a tuple of the two class names and the count as a Python int (a tensor "
                          "element is a 0-d tensor until you convert it).")
        expect_equal(got, want, called=called, same_type=True, hint=_confused_hint(cm, vocab, min_val, got))


def _confused_hint(cm: Any, vocab: list, min_val: int, got: list) -> str:
    ref = _ref()
    want = ref.most_confused(cm, vocab, min_val)
    if any(a == p for a, p, _ in got):
        return "The diagonal counts the right answers: only pairs of different classes are confusions."
    if sorted((p, a, c) for a, p, c in got) == sorted(want):
        return "Actual and predicted are swapped: the row of the matrix is the actual class, the column the predicted."
    if sorted(got) == sorted(want):
        return ("The right pairs, in another order: most frequent first, and equal counts in the matrix's row-by-row "
                "order (by actual class, then predicted class). Python's sort is stable.")
    if len(got) != len(want):
        return f"Keep every off-diagonal cell whose count is at least min_val={min_val} (that includes min_val itself)."
    return "One tuple (actual name, predicted name, count) per off-diagonal cell with count >= min_val."


# ----------------------------------------------------------------------------------------------------------------
# 4. predict
# ----------------------------------------------------------------------------------------------------------------

def _switched_off(*args: Any, **kwargs: Any) -> Any:
    raise RuntimeError("learn.predict and learn.get_preds are switched off in this check: write predict without them")


def predict_each(fn: Callable, weights: str, images: Any) -> list:
    """Probe: the student's predict(learn, image) for each image; the model is put back in training mode each time."""
    learn = student_learner(weights)
    learn.predict = learn.get_preds = _switched_off
    out = []
    for image in images:
        learn.model.train()
        out.append(outcome(fn, learn, image))
    return out


@check(points=2, timeout=30)
def predict(student: Callable) -> None:
    """`predict(learn, item)`: (label, idx, probs) for one image, the model in eval mode, decoded with the vocab."""
    import torch
    images = _held_out(12)
    want_labels, want_ids, want_probs = _grader_preds(images)
    with labelled("predict(learn, image) on held-out digits"):
        got = probe(predict_each, student, _grader()["weights"], images)
    expect_count(got, len(images), "predict(learn, image) on held-out digits")
    for k, o in enumerate(got):
        called = f"predict(learn, image) on held-out digit {k}"
        _fail_on_raise(o, called, f"<({want_labels[k]!r}, tensor({int(want_ids[k])}), <10 probabilities>)>")
        out = o["value"]
        if not (isinstance(out, tuple) and len(out) == 3):
            fail("wrong kind of result", called=called, expected="<a tuple (label, idx, probs)>", got=out,
                 hint="Return three things in a tuple: the decoded label, the class id and the probabilities.")
        label, idx, probs = out
        expect_type(probs, torch.Tensor, "a tensor of probabilities", called=called)
        if tuple(probs.shape) != (10,):
            fail("wrong shape of probabilities", called=called, expected="<shape (10,): one per class>",
                 got=f"<shape {tuple(probs.shape)}>",
                 hint="The model returns a batch of one row: give back that row, one probability per class.")
        hint = _predict_hint(probs, want_probs[k])
        expect_close(probs.as_subclass(torch.Tensor).float(), want_probs[k], rtol=1e-4, atol=1e-5, called=called,
                     hint=hint)
        expect_type(idx, torch.Tensor, "a 0-d int64 tensor", called=called,
                    hint="idx is the tensor argmax gives (0-d, int64), not a Python int.")
        if idx.dtype != torch.int64 or idx.dim() != 0:
            fail("wrong kind of idx", called=called, expected="<a 0-d int64 tensor>",
                 got=f"<a {idx.dim()}-d {idx.dtype} tensor>", hint="idx is the argmax of the probabilities.")
        expect_equal(int(idx), int(want_ids[k]), called=called, hint="idx is the class with the highest probability.")
        expect_type(label, str, "a str, the class name", called=called,
                    hint="Decode the id into the class name with the data's vocab.")
        expect_equal(label, want_labels[k], called=called, hint="The label is the vocab's name for idx.")


def _predict_hint(probs: Any, want: Any) -> str:
    import torch
    p = probs.as_subclass(torch.Tensor).float()
    if torch.allclose(p.exp(), want, atol=1e-4) or bool((p <= 0).all()):
        return "These look like log-probabilities: the activation of a classifier is the softmax."
    if not math.isclose(float(p.sum()), 1.0, abs_tol=1e-3):
        return "Probabilities of one item add up to 1: apply the softmax over the classes (the last axis)."
    return ("The probabilities differ. Put the model in eval mode before predicting: in training mode dropout drops "
            "activations at random and batchnorm uses the statistics of this one batch.")


# ----------------------------------------------------------------------------------------------------------------
# 5. export
# ----------------------------------------------------------------------------------------------------------------

def export_run(fn: Callable, weights: str, images: Any) -> dict:
    """Probe: export twice (absolute and relative file name), then read the file back; plain facts only."""
    import os
    import torch
    ref = _ref()
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        learn = student_learner(weights, path=folder / "learner")
        learn.path.mkdir()
        n_items = (len(learn.dls.train.dataset), len(learn.dls.valid.dataset))
        cwd_before = set(os.listdir("."))
        first = outcome(fn, learn, folder / "absolute.pkl")
        second = outcome(fn, learn, "relative.pkl")
        stray = sorted(set(os.listdir(".")) - cwd_before)
        for name in stray:  # a file written next to the notebook instead of under learn.path
            if name == "relative.pkl":
                os.remove(name)
        out: dict = {"first": _path_fact(first, folder), "second": _path_fact(second, folder), "stray": stray,
                     "absolute_exists": (folder / "absolute.pkl").is_file(),
                     "relative_exists": (learn.path / "relative.pkl").is_file(),
                     "items_after": (len(learn.dls.train.dataset), len(learn.dls.valid.dataset)), "items_before": n_items}
        if out["absolute_exists"]:
            out["size"] = (folder / "absolute.pkl").stat().st_size
            state = attempt(torch.load, folder / "absolute.pkl", weights_only=False)
            out["kind"] = type(state).__name__
            if isinstance(state, dict):
                out["keys"] = sorted(str(k) for k in state)
                dls = state.get("dls")
                out["saved_items"] = [len(dl.dataset) for dl in (getattr(dls, "train", None), getattr(dls, "valid", None))
                                      if dl is not None and hasattr(dl, "dataset")]
            loaded = outcome(ref.load_learner, folder / "absolute.pkl")
            if "raised" in loaded:
                out["load"] = loaded
            else:
                again = loaded["value"]
                out["probs"] = again.get_preds(dl=again.dls.test_dl(list(images)))[0].as_subclass(torch.Tensor)
        return out


def _path_fact(o: dict, folder: Path) -> dict:
    if "raised" in o:
        return o
    value = o["value"]
    fact = {"type": type(value).__name__}
    if isinstance(value, (str, Path)):
        p = Path(value)
        fact["relative"] = str(p.relative_to(folder)) if p.is_absolute() and folder in p.parents else str(p)
    return fact


def _reference_export_size() -> int:
    g = _grader()
    if "export_size" not in g:
        g["export_size"] = _ref().export(g["learn"], g["folder"] / "reference.pkl").stat().st_size
    return g["export_size"]


@check(points=2, timeout=40)
def export(student: Callable) -> None:
    """`export(learn, fname)` saves model, loss and the emptied pipelines to one file and returns its Path."""
    images = _held_out(16)
    _, _, want_probs = _grader_preds(images)
    called_abs, called_rel = "export(learn, <folder>/'absolute.pkl')", "export(learn, 'relative.pkl')"
    with labelled(called_abs):
        got = probe(export_run, student, _grader()["weights"], images)
    for called, fact in ((called_abs, got["first"]), (called_rel, got["second"])):
        _fail_on_raise(fact, called)
        if fact.get("type") not in ("PosixPath", "WindowsPath", "Path"):
            fail("wrong type of result", called=called, expected="<a pathlib.Path: the file written>",
                 got=f"<a {fact.get('type')}>", hint="Return the path of the file as a pathlib.Path.")
    if not got["absolute_exists"]:
        fail("no file at the given path", called=called_abs, expected="<the file <folder>/absolute.pkl>",
             hint="An absolute file name is used as it is.")
    if not got["relative_exists"]:
        where = " It was written next to the notebook instead." if "relative.pkl" in got["stray"] else ""
        fail("no file under learn.path", called=called_rel, expected="<the file learn.path/'relative.pkl'>",
             hint="A relative file name is relative to learn.path, the learner's folder." + where)
    if got["second"].get("relative") != "learner/relative.pkl":
        fail("returned another path than the one written", called=called_rel,
             expected="<learn.path/'relative.pkl'>", got=got["second"].get("relative"),
             hint="Return the full path of the file you wrote (learn.path joined with the name).")
    if got["items_after"] != got["items_before"]:
        fail("the learner lost its data", called=called_abs, expected=f"<learn.dls with {got['items_before']} items>",
             got=f"<learn.dls with {got['items_after']} items>",
             hint="Empty a copy of the pipelines for the file; the learner itself keeps training and validating on "
                  "its data after an export.")
    if got.get("kind") != "dict" or not {"model", "loss_func", "dls"} <= set(got.get("keys", [])):
        fail("the file does not hold what inference needs", called=called_abs,
             expected="<a dict with the keys 'model', 'loss_func' and 'dls'>",
             got=f"<a {got.get('kind')}{' with keys ' + str(got['keys']) if 'keys' in got else ''}>",
             hint="Save one dict holding the model itself (not only its weights), the loss function and the "
                  "emptied data pipelines.")
    if any(got.get("saved_items", [1])):
        fail("the file holds the data", called=called_abs, expected="<pipelines with 0 items>",
             got=f"<loaders with {got.get('saved_items')} items>",
             hint="Inference needs the pipelines (vocab, statistics), not the training images: save "
                  "ref.empty_dls(learn.dls), which keeps the first and drops the second.")
    limit = 2 * _reference_export_size() + 20_000
    expect_true(got["size"] <= limit, "the file is too large", called=called_abs,
                expected=f"<at most {limit} bytes (the reference export is {_reference_export_size()})>",
                got=f"<{got['size']} bytes>", hint="Save the model, the loss and the emptied pipelines, nothing more.")
    if "load" in got:
        fail("load_learner cannot read the file", called=f"load_learner(<the file of {called_abs}>)",
             got=raised_text(got["load"]),
             hint="load_learner reads a dict with at least 'model' (the module itself) and 'dls'.")
    expect_close(got["probs"], want_probs, rtol=1e-4, atol=1e-5, called=f"load_learner(<the file of {called_abs}>)",
                 summary="the loaded learner predicts differently",
                 hint="Save the learner's own model (with its trained weights) and its own data pipelines.")


# ----------------------------------------------------------------------------------------------------------------
# 6. predict_in_fresh_process
# ----------------------------------------------------------------------------------------------------------------

_SCRATCH_SOURCE = '''
import torch.nn.functional as F


def loss(pred, targ):
    "A loss defined where the learner was made, not in an importable file."
    return F.cross_entropy(pred, targ)
'''


def _scratch_module(name: str) -> types.ModuleType:
    module = types.ModuleType(name)
    exec(compile(_SCRATCH_SOURCE, f"<{name}>", "exec"), module.__dict__)  # noqa: S102  the check's own code
    return module


def fresh_run(fn: Callable, fname: str, images: Any, scratch: str) -> dict:
    """Probe: fn(fname, images) while the module `scratch` exists in this process (and in no other)."""
    sys.modules[scratch] = _scratch_module(scratch)
    try:
        return outcome(fn, fname, images)
    finally:
        sys.modules.pop(scratch, None)


def _exports() -> dict:
    """The grader's export, and one whose loss lives in a module (named afresh per process) that only the notebook's
    process will have; the probe registers that module for both, so the two calls look alike from there."""
    g = _grader()
    if "export" not in g:
        ref = _ref()
        g["export"] = str(ref.export(g["learn"], g["folder"] / "digits.pkl"))
        g["scratch"] = f"{SCRATCH}_{secrets.token_hex(4)}"
        sys.modules[g["scratch"]] = module = _scratch_module(g["scratch"])
        try:
            learn = g["learn"]
            odd = ref.Learner(learn.dls, learn.model, loss_func=module.loss, progress=False, path=g["folder"])
            g["notebook_only"] = str(ref.export(odd, g["folder"] / f"{secrets.token_hex(4)}.pkl"))
        finally:
            sys.modules.pop(g["scratch"], None)
    return g


@check(points=3, timeout=120)
def predict_in_fresh_process(student: Callable) -> None:
    """`predict_in_fresh_process(fname, images)`: labels from a new Python process; its failure is a RuntimeError."""
    g = _exports()
    images = _held_out(9)
    want, _, _ = _grader_preds(images)
    order = ["loads", "fails"]
    random.SystemRandom().shuffle(order)  # the probe sees two alike calls, in either order
    for case in order:
        if case == "loads":
            called = "predict_in_fresh_process(<an export of the digits learner>, <9 held-out digits>)"
            o = probe(fresh_run, student, g["export"], images, g["scratch"])
            _judge_loaded(o, called, want, len(images))
        else:
            called = "predict_in_fresh_process(<an export whose loss is defined only in this notebook>, <9 digits>)"
            o = probe(fresh_run, student, g["notebook_only"], images, g["scratch"])
            _judge_failed(o, called, g["scratch"])


def _judge_loaded(o: dict, called: str, want: list, n: int) -> None:
    _fail_on_raise(o, called, want, hint="This export loads in any process that can import fastlayers.")
    got = o["value"]
    if not isinstance(got, list):
        fail("wrong type of result", called=called, expected=f"<a list of {n} labels>", got=got,
             hint="Return the labels the fresh process printed, as a list of str (parse its JSON line).")
    expect_count(got, n, called, what="labels", hint="One label per image, in the images' order.")
    for label in got:
        expect_type(label, str, "a str label", called=called, hint="Labels are the class names, as str.")
    expect_equal(got, want, called=called, hint="Predict each image, in order, with the loaded learner; send the "
                                                "images to the child exactly as they came (a .npy file keeps them).")


def _judge_failed(o: dict, called: str, scratch: str) -> None:
    if "raised" not in o:
        fail("did not raise", called=called, expected="<raises RuntimeError naming the child's error>", got=o["value"],
             hint="This export needs a function that exists only in the notebook's own process, so a fresh process "
                  "cannot load it. Getting labels means the file was loaded here, not in a new process: start a "
                  "new Python process and let it load the file.")
    if o["raised"] == "NotImplementedError":
        fail("raised NotImplementedError", called=called, expected="<raises RuntimeError>", got=raised_text(o),
             where=o.get("where", ""), hint=NOT_WRITTEN)
    if "RuntimeError" not in o.get("kinds", []):
        fail(f"raised {o['raised']}, not RuntimeError", called=called, expected="<raises RuntimeError>",
             got=raised_text(o), where=o.get("where", ""),
             hint=_raised_hint(o, "When the child process fails (a non-zero return code), raise a RuntimeError "
                                  "yourself, with the last line of what the child wrote to stderr."))
    if scratch not in o.get("message", ""):
        fail("raised, but without the child's error", called=called,
             expected=f"<RuntimeError whose message contains the child's last stderr line (it names {scratch!r})>",
             got=raised_text(o),
             hint="Put the last line of the child's stderr in the message: that is where Python names what failed.")


# ----------------------------------------------------------------------------------------------------------------
# 7. InferenceModel
# ----------------------------------------------------------------------------------------------------------------

_INFERENCE_SPECS = (
    # (name, input shape without the batch, div, mean, std, n_out)
    ("three-channel images, divided by 255", (3, 5, 7), 255.0, (0.2, 0.5, 0.7), (0.3, 0.2, 0.25), 5),
    ("one-channel images, divided by 2", (1, 6, 6), 2.0, (10.0,), (4.0,), 3),
    ("two-channel series, divided by 1", (2, 12), 1.0, (100.0, -3.0), (50.0, 7.0), 4),
)


def seeded_model(shape: tuple, n_out: int) -> Any:
    """A tiny model for inputs of `shape` (channels first), the same in every process."""
    import torch
    from torch import nn
    conv, pool = (nn.Conv2d, nn.AdaptiveAvgPool2d) if len(shape) == 3 else (nn.Conv1d, nn.AdaptiveAvgPool1d)
    with torch.random.fork_rng():
        torch.manual_seed(len(shape) * 100 + shape[0] * 10 + n_out)
        return nn.Sequential(conv(shape[0], 6, 3, padding=1), nn.ReLU(), pool(1), nn.Flatten(), nn.Linear(6, n_out))


def inference_run(cls: type, spec: tuple, batches: list) -> dict:
    """Probe: cls(model, div, mean, std) in eval mode on each batch; and whether the batches were left alone."""
    import torch
    _, shape, div, mean, std, n_out = spec
    made = outcome(cls, seeded_model(shape, n_out), div, list(mean), list(std))
    if "raised" in made:
        return {"made": made}
    module = made["value"].eval()
    before = [b.clone() for b in batches]
    with torch.no_grad():
        outs = [outcome(module, b) for b in batches]
    return {"outs": outs, "kept": all(torch.equal(a, b) for a, b in zip(batches, before))}


@check(points=2, timeout=30)
def inference_model(InferenceModel: type) -> None:
    """`InferenceModel(model, div, mean, std)`: uint8 batches in, the softmax of the model on the normalized floats out."""
    import torch
    ref = _ref()
    g = torch.Generator().manual_seed(secrets.randbits(32))
    for spec in _INFERENCE_SPECS:
        name, shape, div, mean, std, n_out = spec
        batches = [torch.randint(0, 256, (n,) + shape, dtype=torch.uint8, generator=g) for n in (1, 6)]
        called = f"InferenceModel(model, div={div:g}, mean={list(mean)}, std={list(std)}) on {name}"
        with labelled(called):
            got = probe(inference_run, InferenceModel, spec, batches)
        if "made" in got:
            _fail_on_raise(got["made"], called.split(" on ")[0])
        expect_count(got.get("outs"), len(batches), called, what="outputs")
        expected = ref.InferenceModel(seeded_model(shape, n_out), div, mean, std).eval()
        for b, o in zip(batches, got["outs"]):
            at = f"{called}, a batch of {len(b)}"
            _fail_on_raise(o, at, hint=f"This batch has shape {tuple(b.shape)}: the channels on axis 1 and "
                                       f"{b.dim() - 2} more after them. Shape mean and std to line up with axis 1 "
                                       "whatever the number of axes.")
            out = o["value"]
            expect_type(out, torch.Tensor, "a tensor of probabilities", called=at)
            with torch.no_grad():
                want = expected(b)
            if tuple(out.shape) != tuple(want.shape):
                fail("wrong shape", called=at, expected=f"<shape {tuple(want.shape)}>", got=f"<shape {tuple(out.shape)}>",
                     hint="One row of class probabilities per item of the batch.")
            expect_close(out.float(), want, rtol=1e-4, atol=1e-6, called=at,
                         hint=_inference_hint(out, b, spec))
        if not got["kept"]:
            fail("the input batch was changed", called=called,
                 hint="Work on new tensors: the caller's batch must stay as it was (no in-place operations on it).")


def _inference_hint(out: Any, batch: Any, spec: tuple) -> str:
    import torch
    _, shape, div, mean, std, n_out = spec
    model = seeded_model(shape, n_out).eval()
    x = batch.float()
    view = [1, -1] + [1] * (x.ndim - 2)
    m, s = torch.tensor(mean).view(view), torch.tensor(std).view(view)
    o = out.float()
    with torch.no_grad():
        tries = {
            "Not divided by div: the bytes must first become the floats the model was trained on (divide by div).":
                model((x - m) / s).softmax(-1),
            "The division by div comes first, then the normalization with mean and std.":
                model((x - m) / s / div).softmax(-1),
            "Divide by div, the number given to the module, not by a fixed 255 (other data scale differently).":
                model((x / 255 - m) / s).softmax(-1),
            "These are the model's raw outputs: the probabilities are their softmax over the classes.":
                model((x / div - m) / s),
            "The softmax goes over the classes (the last axis), not over the items of the batch.":
                model((x / div - m) / s).softmax(0),
            "These look like log-probabilities: the activation is the softmax itself.":
                model((x / div - m) / s).log_softmax(-1),
        }
    for hint, value in tries.items():
        if value.shape == o.shape and torch.allclose(o, value, atol=1e-5):
            return hint
    return ("Each channel (axis 1) has its own mean and std: subtract the channel's mean and divide by its std, "
            "after dividing the bytes by div.")


# ----------------------------------------------------------------------------------------------------------------
# 8. export_program
# ----------------------------------------------------------------------------------------------------------------

def program_run(fn: Callable, weights: str, batches: list) -> dict:
    """Probe: export_program(learn, fname) into a scratch folder, load the file with plain torch, run it."""
    import torch
    with tempfile.TemporaryDirectory() as folder:
        learn = student_learner(weights, path=Path(folder))
        made = outcome(fn, learn, Path(folder) / "digits.pt2")
        if "raised" in made:
            return {"made": made}
        result = {"type": type(made["value"]).__name__}
        if not (Path(folder) / "digits.pt2").is_file():
            return dict(result, missing=True)
        extra = {VOCAB_FILE: ""}
        loaded = outcome(lambda f: torch.export.load(f, extra_files=extra), str(Path(folder) / "digits.pt2"))
        if "raised" in loaded:
            return dict(result, load=loaded)
        module = loaded["value"].module()
        result["vocab"] = extra[VOCAB_FILE] if isinstance(extra[VOCAB_FILE], str) else \
            bytes(extra[VOCAB_FILE]).decode("utf-8", "replace")
        with torch.no_grad():
            result["outs"] = [outcome(module, torch.from_numpy(b)[:, None]) for b in batches]
        return result


@check(points=3, timeout=90)
def export_program(student: Callable) -> None:
    """`export_program(learn, fname)`: a torch.export program (any batch size) with the class names, plain torch only."""
    import torch
    sizes = (1, 3, 17)
    batches = [_held_out(n) for n in sizes]
    called = "export_program(learn, <folder>/'digits.pt2')"
    with labelled(called):
        got = probe(program_run, student, _grader()["weights"], batches)
    if "made" in got:
        _fail_on_raise(got["made"], called)
    if got["type"] not in ("PosixPath", "WindowsPath"):
        fail("wrong type of result", called=called, expected="<a pathlib.Path: the file written>",
             got=f"<a {got['type']}>", hint="Return the path of the file as a pathlib.Path.")
    if got.get("missing"):
        fail("no file at the given path", called=called, expected="<the file <folder>/digits.pt2>")
    if "load" in got:
        fail("plain torch cannot load the file", called="torch.export.load(<the file>)", got=raised_text(got["load"]),
             where=got["load"].get("where", ""),
             hint="Save the exported program with torch.export.save (torch.save would pickle Python objects that "
                  "need the library to load).")
    vocab = _ref_vocab()
    try:
        names = json.loads(got["vocab"])
    except (TypeError, ValueError):
        names = got["vocab"]
    expect_equal(names, vocab, called=f"the extra file {VOCAB_FILE!r} of the program",
                 summary="the class names are missing or wrong",
                 hint="Save the class names (learn.dls.vocab, each as str) as a JSON list in the extra file "
                      "'vocab.json'.")
    expect_count(got.get("outs"), len(batches), called, what="outputs")
    for n, b, o in zip(sizes, batches, got["outs"]):
        at = f"the program on a batch of {n} uint8 images (n, 1, 8, 8)"
        _fail_on_raise(o, at, hint=_program_hint(o))
        _, _, want = _grader_preds(b)
        expect_type(o["value"], torch.Tensor, "a tensor of probabilities", called=at)
        expect_close(o["value"].float(), want, rtol=1e-4, atol=1e-5, called=at,
                     hint="The program takes raw bytes and gives the learner's probabilities: export the reference "
                          "inference module of the learner (its batch maths, the model, the softmax), traced on raw "
                          "uint8 images, not on normalized float batches.")


def _program_hint(o: dict) -> str:
    message = o.get("message", "")
    if any(w in message for w in ("unsigned char", "Byte", "dtype", "type (")):
        return ("The program gets raw uint8 images: export the inference module (bytes to floats, normalization, "
                "model, softmax) traced on raw uint8 images, not the bare model on float batches.")
    return ("The program must take any batch size: mark the batch dimension as dynamic (a torch.export.Dim), and "
            "trace it on an example of two or more raw images (with one, the size 1 gets fixed).")


def _ref_vocab() -> list:
    return [str(v) for v in _grader()["learn"].dls.vocab]


# ----------------------------------------------------------------------------------------------------------------
# 9. agreement
# ----------------------------------------------------------------------------------------------------------------

def _programs() -> dict:
    """Three programs made here: faithful, with changed weights, and with the class names in another order."""
    g = _grader()
    if "programs" not in g:
        import copy
        import torch
        ref = _ref()
        images, _ = digits()
        learn = g["learn"]
        faithful = ref.export_program(learn, g["folder"] / "faithful.pt2", list(images[:2]))
        changed = ref.Learner(learn.dls, copy.deepcopy(learn.model), progress=False, path=g["folder"])
        with torch.no_grad(), torch.random.fork_rng():
            torch.manual_seed(secrets.randbits(32))
            last = changed.model[-1]
            last.weight.add_(torch.randn_like(last.weight) * 2 * float(last.weight.std()))
        tampered = ref.export_program(changed, g["folder"] / "tampered.pt2", list(images[:2]))
        names = _ref_vocab()
        rotated = names[3:] + names[:3]
        program = torch.export.load(str(faithful))
        renamed = g["folder"] / "renamed.pt2"
        torch.export.save(program, renamed, extra_files={VOCAB_FILE: json.dumps(rotated)})
        g["programs"] = {"faithful": str(faithful), "tampered": str(tampered), "renamed": str(renamed)}
    return g["programs"]


def agreement_run(fn: Callable, weights: str, fname: str, images: Any) -> dict:
    """Probe: fn(learn, fname, images) on a learner rebuilt from the weights."""
    return outcome(fn, student_learner(weights), fname, images)


def _program_labels(fname: str, images: Any) -> tuple[list, list]:
    """(names, ids) the program at fname predicts, decoded with its own vocab (run here, with plain torch)."""
    import torch
    extra = {VOCAB_FILE: ""}
    module = torch.export.load(fname, extra_files=extra).module()
    names = json.loads(extra[VOCAB_FILE])
    with torch.no_grad():
        ids = module(torch.from_numpy(images)[:, None]).argmax(dim=1).tolist()
    return [names[i] for i in ids], ids


@check(points=2, timeout=90)
def agreement(student: Callable) -> None:
    """`agreement(learn, fname, images)`: the share of images on which program and learner name the same class."""
    programs = _programs()
    images = _held_out(40)
    learner_labels, learner_ids, _ = _grader_preds(images)
    descriptions = {"faithful": "a faithful export", "tampered": "an export whose last layer was changed",
                    "renamed": "a faithful export whose vocab.json lists the classes in another order"}
    for kind in ("faithful", "tampered", "renamed"):
        names, ids = _program_labels(programs[kind], images)
        want = sum(a == b for a, b in zip(names, learner_labels)) / len(images)
        by_index = sum(a == int(b) for a, b in zip(ids, learner_ids)) / len(images)
        called = f"agreement(learn, <{descriptions[kind]}>, <40 held-out digits>)"
        o = probe(agreement_run, student, _grader()["weights"], programs[kind], images)
        _fail_on_raise(o, called, want)
        got = o["value"]
        expect_type(got, float, "a float between 0 and 1", called=called,
                    hint="Return the share as a Python float (matches divided by the number of images).")
        hint = "Count the images on which both name the same class, divided by the number of images."
        if math.isclose(got, by_index) and not math.isclose(by_index, want):
            hint = ("Compare the class names each side decodes: this program's vocab.json lists the classes in "
                    "another order, so equal ids can name different classes.")
        elif got == 1.0 and want < 1.0:
            hint = ("This program was changed on purpose, so it cannot agree everywhere: run the program itself on "
                    "the images and compare its labels with the learner's.")
        elif math.isclose(got, want * len(images)):
            hint = "Return the share of images (between 0 and 1), not the number of matches."
        expect_close(got, want, rtol=0, atol=1e-9, called=called, hint=hint)
