"""Checks for exercise 07 (metrics): accuracy, AvgMetric, AvgSmoothLoss, F1Score.

A metric lives in the student's process. Each check writes a script of metric calls here (create, reset,
accumulate a batch, read value or name), runs it in a probe where the student's class lives, on a stand-in learner
that holds only `pred`, `yb` and `loss` built from the batches the check chose, and runs the same script on the
reference class here; the values read after every batch come back as plain data and are compared. Batches are of
uneven sizes, some hold one class only, scores tie, a class may be missing from a whole pass, two metrics may be
alive at once; the random part of the data is new on every run. Hints name the idea, never the code.
"""
from __future__ import annotations

import math
import random
import warnings
from functools import partial
from typing import Any, Callable

from fastlayers.checks.bridge import call, context
from fastlayers.checks.failure import CheckFailure, raised_failure
from fastlayers.checks.framework import (check, expect_close, expect_equal, expect_raises, expect_type, fail,
                                         labelled, probe)

__all__ = ["accuracy", "avg_metric", "smooth_loss", "f1_score"]

FLOAT_HINT = ("`value` is a plain Python float (convert a 0-d tensor with float(...)): the results table and "
              "the early-stopping callbacks compare it with other numbers.")
NONE_HINT = ("Before any batch (right after the metric is created, or after reset()) there is nothing to measure "
             "yet: `value` is None, not a number.")
AFTER_BATCH_HINT = "Once a batch has been accumulated there is something to measure: `value` is a number."
PROPERTY_HINT = ("`value` and `name` are properties: the Recorder reads `metric.value` without calling it, so "
                 "keep the @property line above the def.")
LEARN_HINT = "A metric reads only learn.pred, learn.yb (a tuple of targets) and learn.loss."
SHAPE_HINT = ("The targets must have the shape of the scores without their last (class) dimension; otherwise "
              "comparing them broadcasts into a grid and gives a number that means nothing.")
SHARED_HINT = ("Two metrics were alive at once, each fed its own batches. Keep every running total on the instance "
               "(set in reset), never on the class or in a global, so one metric cannot see the other's batches.")


def _ref():
    # Imported when a check runs, so `fastlayers.checks` stays cheap to import.
    import fastlayers.training as ref
    return ref


def _seed() -> int:
    """A new seed on every run: the batches a check uses cannot be known in advance."""
    return random.SystemRandom().randrange(1, 2 ** 31)


def _close(a: Any, b: Any, rtol: float = 1e-6, atol: float = 1e-9) -> bool:
    try:
        return a is not None and b is not None and math.isclose(float(a), float(b), rel_tol=rtol, abs_tol=atol)
    except Exception:  # noqa: BLE001  a mistake detector must never crash the check
        return False


def _expect_count(values: Any, n: int, called: str, what: str = "values") -> None:
    """One answer per question: exactly `n` of them (a shorter list is a wrong answer, never a shorter comparison)."""
    if not isinstance(values, list) or len(values) != n:
        fail("the answers do not match the questions", called=called, expected=f"<{n} {what}>",
             got=f"<{len(values) if isinstance(values, list) else type(values).__name__} {what}>")


# ----------------------------------------------------------------------------------------------------------------
# The stand-in learner and the script probe (they run where the student's metric lives)
# ----------------------------------------------------------------------------------------------------------------

class StandInLearner:
    """What a metric reads from the Learner after a batch: `pred`, `yb` (a tuple of targets), `loss`, `training`."""

    def __init__(self, pred: Any, yb: tuple, loss: Any, training: bool):
        self.pred, self.yb, self.loss, self.training = pred, yb, loss, training

    def __repr__(self) -> str:
        return "learn"


def _mean_abs_error(pred: Any, targ: Any) -> float:
    """A regression metric that returns a Python float (the others return 0-d tensors)."""
    return float((pred - targ).abs().mean())


def _weighted_hits(pred: Any, targ: Any, weight: Any) -> Any:
    """A metric with two targets: the weight of each correctly classified row, averaged over the rows."""
    return ((pred.argmax(dim=-1) == targ).float() * weight).mean()


def top_k_accuracy(pred: Any, targ: Any, k: int = 3) -> Any:
    """Share of rows whose target is among the k highest scores."""
    return (pred.topk(k, dim=-1).indices == targ[:, None]).any(dim=-1).float().mean()


def _funcs() -> dict:
    return {"accuracy": _ref().accuracy, "mean_abs_error": _mean_abs_error, "weighted_hits": _weighted_hits,
            "top_k_accuracy(k=2)": partial(top_k_accuracy, k=2)}


def _kwargs(spec: dict) -> dict:
    """Keyword arguments of a metric; a function travels by name ('@name') and is looked up where the probe runs."""
    table = _funcs()
    return {k: table[v[1:]] if isinstance(v, str) and v.startswith("@") else v for k, v in spec.items()}


def _next_batch(learn: StandInLearner, batch: dict) -> None:
    """Put one batch in the learner, as fresh tensors (pred and loss require grad on a training batch). Like the
    real Learner, it is the same learner object for every batch: only its attributes change."""
    pred = batch["pred"].clone()
    loss = None if batch["loss"] is None else batch["loss"].clone()
    if batch["grad"]:
        pred.requires_grad_(pred.is_floating_point())
        if loss is not None:
            loss.requires_grad_(True)
    learn.pred, learn.yb, learn.loss, learn.training = pred, tuple(t.clone() for t in batch["yb"]), loss, batch["grad"]


def _unchanged(learn: StandInLearner, batch: dict) -> bool:
    import torch
    try:
        same = torch.equal(learn.pred.detach(), batch["pred"]) and len(learn.yb) == len(batch["yb"]) and \
            all(torch.equal(a, b) for a, b in zip(learn.yb, batch["yb"]))
        if batch["loss"] is not None:
            same = same and torch.equal(learn.loss.detach(), batch["loss"])
        return bool(same)
    except Exception:  # noqa: BLE001  replaced by something that is not a tensor any more
        return False


def _run(label: str, fn: Callable, *args: Any, **kwargs: Any) -> Any:
    """Call the student's code; an exception becomes a failure that names the step of the script."""
    context.last_call = label
    try:
        return fn(*args, **kwargs)
    except CheckFailure:
        raise
    except AttributeError as err:
        raise raised_failure(err, label, LEARN_HINT if "StandInLearner" in str(err) else "") from err
    except Exception as err:  # noqa: BLE001
        raise raised_failure(err, label) from err


def _read(metric: Any, attr: str) -> Any:
    return getattr(metric, attr)


def metric_script(make: Callable, steps: list) -> dict:
    """Probe: run a script of metric calls; return what `value`/`name` read, in order, and the batches changed.

    Steps: ["new", kwargs, label], ["reset", slot, label], ["accumulate", slot, batch, label], ["value", slot, label],
    ["name", slot, label]; `slot` numbers the metrics in the order they were made."""
    metrics, read, changed = [], [], []
    learn = StandInLearner(None, (), None, False)
    for step in steps:
        op, label = step[0], step[-1]
        if op == "new":
            metrics.append(_run(label, make, **_kwargs(step[1])))
        elif op == "reset":
            _run(label, metrics[step[1]].reset)
        elif op == "accumulate":
            _next_batch(learn, step[2])
            _run(label, metrics[step[1]].accumulate, learn)
            if not _unchanged(learn, step[2]):
                changed.append(label)
        else:
            read.append(_run(label, _read, metrics[step[1]], op))
    return {"read": read, "changed": changed}


# ----------------------------------------------------------------------------------------------------------------
# Scripts, written here: every value read carries what was accumulated before it (for the hints)
# ----------------------------------------------------------------------------------------------------------------

class _Script:
    def __init__(self, shared: bool = False):
        self.steps: list = []
        self.reads: list = []      # (op, context) per value/name read, in order
        self.slots: list = []
        self.shared = shared       # several metrics alive at once, fed in turn

    def new(self, kwargs: dict, text: str, note: str = "") -> int:
        """A metric `text` (how it is made, e.g. 'F1Score(pos_label=0)'); `note` says what its batches are like."""
        self.slots.append({"text": text, "kwargs": kwargs, "since": [], "earlier": [], "resets": 0, "note": note})
        self.steps.append(["new", dict(kwargs), f"{text} (creating it)"])
        return len(self.slots) - 1

    def reset(self, slot: int) -> None:
        s = self.slots[slot]
        s["earlier"], s["since"], s["resets"] = s["earlier"] + s["since"], [], s["resets"] + 1
        self.steps.append(["reset", slot, f"{s['text']}.reset()"])

    def accumulate(self, slot: int, batch: dict) -> None:
        s = self.slots[slot]
        s["since"].append(batch)
        n = len(batch["yb"][0])
        self.steps.append(["accumulate", slot, batch, f"{s['text']}.accumulate(learn) with a batch of {n} rows"
                                                      f"{self._note(slot)}"])

    def value(self, slot: int) -> None:
        s = self.slots[slot]
        sizes = ", ".join(str(len(b["yb"][0])) for b in s["since"])
        if not s["resets"]:
            when = "right after it was created"
        elif not s["since"]:
            when = "after reset(), before any batch" + (" (a pass had run before)" if s["earlier"] else "")
        else:
            when = ("after a first pass, reset() and" if s["earlier"] else "after reset() and") + \
                   f" {len(s['since'])} batch{'es' if len(s['since']) > 1 else ''} ({sizes} rows)"
        label = f"{s['text']}.value {when}{self._note(slot)}"
        self.reads.append(("value", {"slot": slot, "since": list(s["since"]), "earlier": list(s["earlier"]),
                                     "kwargs": s["kwargs"], "label": label, "shared": self.shared}))
        self.steps.append(["value", slot, label])

    def name(self, slot: int) -> None:
        label = f"{self.slots[slot]['text']}.name"
        self.reads.append(("name", {"slot": slot, "label": label}))
        self.steps.append(["name", slot, label])

    def pass_(self, slot: int, batches: list, twice: bool = False) -> None:
        """reset(), then each batch with a value read after it (the last one read twice when `twice`)."""
        self.reset(slot)
        for b in batches:
            self.accumulate(slot, b)
            self.value(slot)
        if twice:
            self.value(slot)

    def side_by_side(self, a: int, b: int, pairs: list) -> None:
        """Two metrics alive at once: each gets its own batch in turn, and both values are read after each pair."""
        self.reset(a)
        self.reset(b)
        for batch_a, batch_b in pairs:
            self.accumulate(a, batch_a)
            self.accumulate(b, batch_b)
            self.value(a)
            self.value(b)

    def _note(self, slot: int) -> str:
        notes = [self.slots[slot]["note"]] + (["while another metric is fed other batches"] if self.shared else [])
        return "".join(f"; {n}" for n in notes if n)


def _batch(pred: Any, targs: Any, loss: Any = None, grad: bool = False) -> dict:
    return {"pred": pred, "yb": list(targs) if isinstance(targs, (list, tuple)) else [targs], "loss": loss,
            "grad": grad}


def _grade(student: Any, make_ref: Callable, scripts: list, hint_for: Callable, rtol: float, atol: float) -> None:
    """Run each script on the student's metric and on the reference's, and judge every value read."""
    for script in scripts:
        got, exp = _run_script(student, make_ref, script, script.steps[0][-1])
        _judge(script, got, exp, hint_for, rtol=rtol, atol=atol)


def _run_script(student: Any, make_ref: Callable, script: _Script, first_called: str) -> tuple[list, list]:
    """The values the student's and the reference's metrics read, checked for count and for changed batches."""
    got = probe(metric_script, student, script.steps)
    with warnings.catch_warnings():  # scikit-learn warns when F1 is undefined; the reference says 0.0 as documented
        warnings.simplefilter("ignore")
        exp = probe(metric_script, make_ref, script.steps)
    if not isinstance(got, dict) or not isinstance(got.get("read"), list) or not isinstance(got.get("changed"), list):
        fail("the answer cannot be graded", called=first_called, expected="<the values read>",
             got=f"<a {type(got).__name__}>")
    _expect_count(got["read"], len(exp["read"]), first_called, "values read")
    if got["changed"]:
        fail("the batch was changed", called=str(got["changed"][0]),
             hint="A metric only reads the batch: the Recorder and the other metrics read the same learn.pred and "
                  "learn.yb after it. Work on new tensors instead of changing these in place.")
    return got["read"], exp["read"]


def _judge(script: _Script, got: list, exp: list, hint_for: Callable, rtol: float, atol: float) -> None:
    for (op, ctx), g, e in zip(script.reads, got, exp):
        called = ctx["label"]
        if str(getattr(g, "type_name", "")).endswith("method"):
            fail("a method where a property was expected", called=called, expected=e, got=g, hint=PROPERTY_HINT)
        if op == "name":
            expect_equal(g, e, called=called, hint="`name` titles the metric's column in the results table: the "
                         "name of the function it averages; a functools.partial keeps the wrapped function in its "
                         "`func` attribute.")
            continue
        if e is None:
            if g is not None:
                fail("a value before any batch", called=called, expected=None, got=g, hint=NONE_HINT)
            continue
        if g is None:
            fail("no value after a batch", called=called, expected=e, got=None, hint=hint_for(ctx, g))
        expect_type(g, float, "a float", called=called, hint=FLOAT_HINT)
        # a mistake that first shows when two metrics are alive at once is most likely state they share
        expect_close(g, float(e), rtol=rtol, atol=atol, called=called,
                     hint=SHARED_HINT if ctx["shared"] else hint_for(ctx, g))


# ----------------------------------------------------------------------------------------------------------------
# 1. accuracy
# ----------------------------------------------------------------------------------------------------------------

def accuracy_on(fn: Callable, inp: Any, targ: Any, grad: bool) -> dict:
    """Probe: fn(inp, targ), and whether the inputs were left as they were."""
    x, t = inp.clone(), targ.clone()
    if grad:
        x.requires_grad_(True)
    out = call(fn, x, t)
    return {"out": out, "kept": bool(_same(x, inp) and _same(t, targ))}


def _same(a: Any, b: Any) -> bool:
    import torch
    try:
        return torch.equal(a.detach(), b)
    except Exception:  # noqa: BLE001
        return False


def _accuracy_cases(seed: int) -> list:
    """(label, scores, targets, requires_grad): random, tied, square, sequence-shaped, float64, tiny batches."""
    import torch
    g = torch.Generator().manual_seed(seed)
    cases = []
    x = torch.randn(12, 3, generator=g)
    cases.append(("random scores, 3 classes", x, torch.randint(0, 3, (12,), generator=g), False))
    ties = torch.randint(0, 2, (16, 4), generator=g).float()   # many rows with several top scores
    ties[0] = 1.0                                               # a row where all four classes tie
    t = torch.randint(0, 4, (16,), generator=g)
    t[0] = 3
    cases.append(("scores with ties (0s and 1s)", ties, t, False))
    # every top score shared, each target the last of its tied classes: only the first of them is the prediction
    cases.append(("rows whose top score is shared", torch.tensor([[1.0, 1.0, 0.0], [0.0, 2.0, 2.0], [3.0, 3.0, 3.0],
                                                                  [1.0, 0.0, 1.0], [0.5, 0.5, 0.5]]),
                  torch.tensor([1, 2, 2, 2, 0]), False))
    sq = torch.randn(5, 5, generator=g)
    cases.append(("as many rows as classes", sq, torch.randint(0, 5, (5,), generator=g), False))
    seq = torch.randn(3, 7, 4, generator=g)
    cases.append(("a sequence model's scores (batch, steps, classes)", seq, torch.randint(0, 4, (3, 7), generator=g),
                  False))
    dbl = torch.randn(9, 2, generator=g, dtype=torch.float64)
    cases.append(("float64 scores that require grad", dbl, torch.randint(0, 2, (9,), generator=g), True))
    one = torch.randn(6, 3, generator=g)
    cases.append(("a batch whose targets are all one class", one, torch.full((6,), 2, dtype=torch.long), False))
    right = torch.randn(7, 3, generator=g)
    cases.append(("all predictions right", right, right.argmax(-1), False))
    wrong = torch.randn(7, 3, generator=g)
    cases.append(("all predictions wrong", wrong, (wrong.argmax(-1) + 1) % 3, False))
    cases.append(("a single row", torch.tensor([[0.2, -1.0]]), torch.tensor([0]), False))
    return cases


_SHAPE_ERRORS = (((4, 2), (4, 1)), ((4, 3), (5,)), ((2, 3, 4), (2, 4)), ((6,), (6,)), ((3, 2), (3, 2)))


def _ref_accuracy(inp: Any, targ: Any) -> float:
    return float(_ref().accuracy(inp, targ))


@check(points=2, timeout=10)
def accuracy(student: Callable) -> None:
    """`accuracy(inp, targ)`: the share of rows whose highest score (first on a tie) is the target; 0-d float32."""
    import torch
    for label, inp, targ, grad in _accuracy_cases(_seed()):
        called = f"accuracy(<scores {tuple(inp.shape)}, {str(inp.dtype)[6:]}>, <targets {tuple(targ.shape)}>) " \
                 f"on {label}"
        with labelled(called):
            got = probe(accuracy_on, student, inp, targ, grad)
        out = got.get("out") if isinstance(got, dict) else None
        expect_type(out, torch.Tensor, "a 0-d float32 tensor", called=called,
                    hint="Return a tensor (the metric averaging the batches converts it), not a Python number.")
        if out.ndim != 0 or out.dtype != torch.float32:
            fail("wrong kind of tensor", called=called, expected="<a 0-d tensor of dtype torch.float32>",
                 got=f"<a tensor of shape {tuple(out.shape)} and dtype {out.dtype}>",
                 hint="One number for the whole batch, as a float32 tensor whatever the dtype of the scores: "
                      "compare, then turn the booleans into float32 before averaging.")
        if not got.get("kept"):
            fail("the inputs were changed", called=called,
                 hint="accuracy only reads the scores and targets: other metrics use the same tensors after it.")
        exp = _ref_accuracy(inp, targ)
        expect_close(float(out), exp, rtol=1e-6, atol=1e-7, called=called, hint=_accuracy_hint(inp, targ, float(out)))
    for inp_shape, targ_shape in _SHAPE_ERRORS:
        called = f"accuracy(<scores of shape {inp_shape}>, <targets of shape {targ_shape}>)"
        raised = expect_raises(ValueError, student, torch.zeros(inp_shape), torch.zeros(targ_shape, dtype=torch.long),
                               called=called, hint=SHAPE_HINT)
        for shape in (inp_shape, targ_shape):
            if str(shape) not in raised.message:
                fail("raised, but the message does not name both shapes", called=called,
                     expected=f"<ValueError whose message contains {shape}>", got=raised,
                     hint="Write each shape as a Python tuple, so the reader sees e.g. (4, 2) and (4, 1) side by "
                          "side; torch prints a shape as torch.Size([4, 2]).")


def _accuracy_hint(inp: Any, targ: Any, got: float) -> str:
    import torch
    correct = inp.argmax(-1) == targ
    top = inp.max(-1, keepdim=True).values
    any_top = ((inp == top).float() * torch.nn.functional.one_hot(targ, inp.shape[-1]).float()).sum(-1) > 0
    if _close(got, float(any_top.float().mean())):
        return ("A row whose highest score is shared by several classes predicts the first of them (the lowest "
                "index), as argmax does; it is not right merely because the target is among the tied ones.")
    if _close(got, float(inp.flip(-1).argmax(-1).eq(inp.shape[-1] - 1 - targ).float().mean())):
        return "On a tie the prediction is the first of the highest scores (the lowest class index), not the last."
    if _close(got, float(correct.sum())):
        return "Return the share of correct predictions (between 0 and 1), not their count."
    if inp.ndim == 3 and _close(got, float(correct.sum()) / len(targ)):
        return "Every element of targ is a prediction to score: divide by all of them, not by the batch size."
    if inp.ndim >= 2 and inp.shape[0] == inp.shape[-1] and _close(got, float((inp.argmax(0) == targ).float().mean())):
        return "The class scores lie along the last dimension: each row's prediction is the best of its own scores."
    return ("Each row predicts the class of its highest score, the last dimension holds the classes, and the result "
            "is the share of rows (and steps) where that prediction equals the target.")


# ----------------------------------------------------------------------------------------------------------------
# Batches (built here, sent to the probe as plain data)
# ----------------------------------------------------------------------------------------------------------------

def _class_batch(g: Any, n: int, n_classes: int, *, one_class: int | None = None, ties: bool = False,
                 grad: bool = False) -> dict:
    """Scores (n, n_classes) and int64 targets; `ties`: small integer scores, so rows often share their top score."""
    import torch
    pred = torch.randint(0, 3, (n, n_classes), generator=g).float() if ties else torch.randn(n, n_classes, generator=g)
    targ = torch.full((n,), one_class, dtype=torch.long) if one_class is not None else \
        torch.randint(0, n_classes, (n,), generator=g)
    return _batch(pred, targ, grad=grad)


def _regression_batch(g: Any, n: int, grad: bool = False) -> dict:
    import torch
    return _batch(torch.randn(n, 1, generator=g) * 2, torch.randn(n, 1, generator=g), grad=grad)


def _weighted_batch(g: Any, n: int) -> dict:
    import torch
    pred = torch.randn(n, 3, generator=g)
    return _batch(pred, [torch.randint(0, 3, (n,), generator=g), torch.rand(n, generator=g) * 3])


# ----------------------------------------------------------------------------------------------------------------
# 2. AvgMetric
# ----------------------------------------------------------------------------------------------------------------

def _avg_scripts(seed: int) -> list:
    import torch
    g = torch.Generator().manual_seed(seed)
    scripts = []
    s = _Script()
    m = s.new({"func": "@accuracy"}, "AvgMetric(accuracy)")
    s.value(m)
    s.name(m)
    s.pass_(m, [_class_batch(g, 8, 3), _class_batch(g, 8, 3, ties=True), _class_batch(g, 8, 3, one_class=1),
                _class_batch(g, 3, 3)], twice=True)
    s.reset(m)
    s.value(m)
    s.pass_(m, [_class_batch(g, 5, 3, grad=True), _class_batch(g, 1, 3, grad=True)])
    scripts.append(s)

    s = _Script()
    m = s.new({"func": "@mean_abs_error"}, "AvgMetric(mean_abs_error)")
    s.name(m)
    s.reset(m)  # reset twice in a row: the second one must not break anything
    s.pass_(m, [_regression_batch(g, 4), _regression_batch(g, 4), _regression_batch(g, 4), _regression_batch(g, 2)],
            twice=True)
    s.pass_(m, [_regression_batch(g, 3, grad=True), _regression_batch(g, 7, grad=True)])
    scripts.append(s)

    s = _Script()
    m = s.new({"func": "@top_k_accuracy(k=2)"}, "AvgMetric(partial(top_k_accuracy, k=2))")
    s.name(m)
    s.pass_(m, [_class_batch(g, 6, 4), _class_batch(g, 6, 4), _class_batch(g, 1, 4)])
    scripts.append(s)

    s = _Script()
    m = s.new({"func": "@weighted_hits"}, "AvgMetric(weighted_hits)", "batches with two targets (classes, weights)")
    s.pass_(m, [_weighted_batch(g, 5), _weighted_batch(g, 5), _weighted_batch(g, 2)])
    scripts.append(s)

    s = _Script(shared=True)
    a = s.new({"func": "@accuracy"}, "AvgMetric(accuracy) #1")
    b = s.new({"func": "@mean_abs_error"}, "AvgMetric(mean_abs_error) #2")
    s.side_by_side(a, b, [(_class_batch(g, n_a, 2), _regression_batch(g, n_b))
                          for n_a, n_b in ((8, 3), (8, 7), (2, 5))])
    scripts.append(s)
    return scripts


@check(points=3, timeout=15)
def avg_metric(AvgMetric: type) -> None:
    """Your `AvgMetric(func)`: reset, accumulate, value (batch-size weighted, a float, None before any batch), name."""
    _grade(AvgMetric, _ref().AvgMetric, _avg_scripts(_seed()), _avg_hint, rtol=1e-5, atol=1e-7)


def _weighted_mean(values: list, sizes: list) -> float:
    return sum(v * n for v, n in zip(values, sizes)) / sum(sizes)


def _avg_hint(ctx: dict, got: Any) -> str:
    if got is None:
        return AFTER_BATCH_HINT
    try:
        f = _kwargs(ctx["kwargs"])["func"]
        since, earlier = ctx["since"], ctx["earlier"]
        values = [float(f(b["pred"], *b["yb"])) for b in since]
        sizes = [len(b["yb"][0]) for b in since]
        if len(since) > 1 and len(set(sizes)) > 1 and _close(got, sum(values) / len(values)):
            return (f"Each batch counts as much as the items it holds: a batch of {min(sizes)} items must weigh less "
                    f"than one of {max(sizes)}. The plain mean of the batch results over-weights small batches.")
        if earlier and _close(got, _weighted_mean([float(f(b["pred"], *b["yb"])) for b in earlier + since],
                                                  [len(b["yb"][0]) for b in earlier + since])):
            return "reset() must forget the batches of the previous pass: value covers only those since the last reset."
        if len(since) > 1 and _close(got, values[-1]):
            return "value covers every batch since the last reset, not only the latest one."
        if _close(got, sum(v * n for v, n in zip(values, sizes))):
            return "That is a total: divide by the number of items accumulated to get their average."
        if "weighted_hits" in str(ctx["kwargs"]):
            return "This function takes the predictions and every target of the batch (here two: classes, weights)."
    except Exception:  # noqa: BLE001  a mistake detector must never crash the check
        pass
    return ("value is the average of the function over every item accumulated since the last reset: each batch's "
            "result counts once per item in the batch.")


# ----------------------------------------------------------------------------------------------------------------
# 3. AvgSmoothLoss
# ----------------------------------------------------------------------------------------------------------------

def _loss_batch(g: Any, n: int, loss: float, dtype: Any = None, grad: bool = True) -> dict:
    import torch
    return _batch(torch.randn(n, 2, generator=g), torch.randint(0, 2, (n,), generator=g),
                  torch.tensor(loss, dtype=dtype or torch.float32), grad=grad)


def _smooth_scripts(seed: int) -> list:
    import torch
    g = torch.Generator().manual_seed(seed)
    rng = random.Random(seed)
    scripts = []
    s = _Script()
    m = s.new({}, "AvgSmoothLoss()")
    s.value(m)
    losses = (2.3, 2.1, 1.7, 1.9, 1.2, 1.0)
    s.pass_(m, [_loss_batch(g, n, v) for n, v in zip((8, 8, 8, 8, 8, 3), losses)], twice=True)
    s.reset(m)
    s.value(m)
    s.pass_(m, [_loss_batch(g, n, rng.uniform(0.1, 3)) for n in (4, 4, 1)])
    scripts.append(s)

    s = _Script()
    m = s.new({"beta": 0.9}, "AvgSmoothLoss(beta=0.9)")
    level = [3.0 * math.exp(-i / 12) + rng.uniform(-0.2, 0.2) for i in range(40)]  # a falling, noisy loss
    s.pass_(m, [_loss_batch(g, rng.choice((16, 16, 16, 5)), v, torch.float64, grad=False) for v in level])
    scripts.append(s)

    for beta in (0.5, 0.0, 0.999):
        s = _Script()
        m = s.new({"beta": beta}, f"AvgSmoothLoss(beta={beta})")
        s.pass_(m, [_loss_batch(g, n, rng.uniform(0.5, 4)) for n in (6, 6, 2, 6, 1)])
        scripts.append(s)

    s = _Script(shared=True)
    a = s.new({}, "AvgSmoothLoss() #1")
    b = s.new({"beta": 0.7}, "AvgSmoothLoss(beta=0.7) #2")
    s.side_by_side(a, b, [(_loss_batch(g, 8, rng.uniform(1, 2)), _loss_batch(g, 4, rng.uniform(5, 9)))
                          for _ in range(4)])
    scripts.append(s)
    return scripts


@check(points=2, timeout=15)
def smooth_loss(AvgSmoothLoss: type) -> None:
    """Your `AvgSmoothLoss(beta)`: the debiased moving average of the losses, a float, None before any batch."""
    _grade(AvgSmoothLoss, _ref().AvgSmoothLoss, _smooth_scripts(_seed()), _smooth_hint, rtol=2e-5, atol=1e-7)


def _ema(losses: list, beta: float) -> float:
    avg = 0.0
    for v in losses:
        avg = beta * avg + (1 - beta) * v
    return avg


def _smooth_hint(ctx: dict, got: Any) -> str:
    if got is None:
        return AFTER_BATCH_HINT
    try:
        beta = float(ctx["kwargs"].get("beta", 0.98))
        losses = [float(b["loss"]) for b in ctx["since"]]
        n, raw = len(losses), _ema(losses, beta)
        if _close(got, raw, rtol=1e-5):
            return ("The moving average starts at 0, so its first values are pulled towards 0 (after one batch it is "
                    "only (1 - beta) times the loss). value corrects for this: it divides by the total weight the "
                    "losses have received so far.")
        if _close(got, raw / (1 - beta ** (n + 1)), rtol=1e-5) or \
                (n > 1 and _close(got, raw / (1 - beta ** (n - 1)), rtol=1e-5)):
            return ("Off by one batch in the correction: after n batches the losses have received a total weight of "
                    "1 - beta**n, with n counting the latest batch (after one batch, value is that batch's loss).")
        if ctx["earlier"]:
            every = [float(b["loss"]) for b in ctx["earlier"]] + losses
            if any(_close(got, avg / d, rtol=1e-5) for avg in (_ema(every, beta), raw)
                   for d in (1 - beta ** len(every), 1 - beta ** n, 1.0) if d):
                return "reset() starts again from an average of 0 and a count of 0: forget the previous pass."
        if n > 1 and _close(got, sum(losses) / n, rtol=1e-5):
            return "That is the plain mean of the losses: recent batches must weigh more, through beta."
        if 0 < beta < 1 and _close(got, _ema(losses, 1 - beta) / (1 - (1 - beta) ** n), rtol=1e-5):
            return "beta is the share the old average keeps at each batch; the new loss gets the rest, 1 - beta."
        sizes = [len(b["yb"][0]) for b in ctx["since"]]
        weighted = _ema([v * k for v, k in zip(losses, sizes)], beta)
        if len(set(sizes)) > 1 and (_close(got, weighted / (1 - beta ** n), rtol=1e-5) or
                                    _close(got, weighted / _ema(sizes, beta), rtol=1e-5)):
            return "Each batch counts once, whatever its size: the loss is already a mean over the batch."
    except Exception:  # noqa: BLE001  a mistake detector must never crash the check
        pass
    return ("At each batch the average keeps the share beta of itself and takes the rest from the new loss; value "
            "divides it by the total weight given to the losses since the last reset.")


# ----------------------------------------------------------------------------------------------------------------
# 4. F1Score
# ----------------------------------------------------------------------------------------------------------------

def _scores_for(g: Any, classes: Any, tie_rows: int = 0) -> Any:
    """Two-class scores whose argmax is `classes`; the first `tie_rows` rows have both scores equal."""
    import torch
    n = len(classes)
    base = torch.randn(n, generator=g)
    margin = 0.1 + torch.rand(n, generator=g)
    pred = torch.stack([base, base], 1)
    pred[torch.arange(n), classes] += margin
    pred[:tie_rows] = base[:tie_rows, None]
    return pred


def _f1_batch(g: Any, n: int, pos_rate: float = 0.4, agree: float = 0.75, *, targ: Any = None, pred_cls: Any = None,
              tie_rows: int = 0, grad: bool = False) -> dict:
    """Targets with about `pos_rate` ones; predictions that agree with them about `agree` of the time."""
    import torch
    if targ is None:
        targ = (torch.rand(n, generator=g) < pos_rate).long()
    if pred_cls is None:
        flip = torch.rand(n, generator=g) > agree
        pred_cls = torch.where(flip, 1 - targ, targ)
    return _batch(_scores_for(g, pred_cls, tie_rows), targ.long(), grad=grad)


def _f1_scripts(seed: int) -> list:
    import torch
    g = torch.Generator().manual_seed(seed)
    zeros, ones = (lambda n: torch.zeros(n, dtype=torch.long)), (lambda n: torch.ones(n, dtype=torch.long))
    scripts = []
    s = _Script()
    m = s.new({}, "F1Score()")
    s.value(m)
    # the tied rows (the first 4 of the third batch) are of both classes: a tie read as class 1 changes tp and fp
    s.pass_(m, [_f1_batch(g, 8), _f1_batch(g, 8, targ=zeros(8)),
                _f1_batch(g, 8, targ=torch.tensor([1, 1, 0, 0, 1, 0, 0, 1]), tie_rows=4), _f1_batch(g, 5)],
            twice=True)
    s.pass_(m, [_f1_batch(g, 4, grad=True), _f1_batch(g, 4, grad=True)])
    s.reset(m)
    s.value(m)
    scripts.append(s)

    s = _Script()
    m = s.new({"pos_label": 0}, "F1Score(pos_label=0)")
    s.pass_(m, [_f1_batch(g, 7), _f1_batch(g, 6, targ=ones(6)),
                _f1_batch(g, 6, targ=torch.tensor([0, 0, 1, 1, 0, 1]), tie_rows=3), _f1_batch(g, 3)])
    scripts.append(s)

    s = _Script()
    m = s.new({}, "F1Score()", "batches where class 1 is rare or missing")
    s.pass_(m, [_f1_batch(g, 6, targ=zeros(6), pred_cls=zeros(6)),
                _f1_batch(g, 4, targ=zeros(4), pred_cls=torch.tensor([1, 0, 1, 0]), tie_rows=2),  # ties predict 0
                _f1_batch(g, 3, targ=zeros(3), pred_cls=torch.tensor([0, 1, 0]))])  # predicted, never a target
    s.pass_(m, [_f1_batch(g, 5, targ=torch.tensor([0, 1, 0, 1, 1]), pred_cls=zeros(5)),  # a target, never predicted
                _f1_batch(g, 2, targ=torch.tensor([1, 0]), pred_cls=torch.tensor([1, 1]))])
    scripts.append(s)

    s = _Script()
    m = s.new({"pos_label": 0}, "F1Score(pos_label=0)", "perfect predictions")
    t1, t2 = (torch.rand(5, generator=g) < 0.5).long(), torch.tensor([1, 1])
    s.pass_(m, [_f1_batch(g, 5, targ=t1, pred_cls=t1, grad=True), _f1_batch(g, 2, targ=t2, pred_cls=t2, grad=True)])
    scripts.append(s)

    s = _Script(shared=True)
    a = s.new({}, "F1Score() #1")
    b = s.new({"pos_label": 0}, "F1Score(pos_label=0) #2")
    s.side_by_side(a, b, [(_f1_batch(g, n_a, pos_rate=0.6), _f1_batch(g, n_b, pos_rate=0.2, agree=0.5))
                          for n_a, n_b in ((8, 3), (8, 6), (2, 5))])
    scripts.append(s)
    return scripts


@check(points=3, timeout=20)
def f1_score(F1Score: type) -> None:
    """Your `F1Score(pos_label)`: F1 from counts kept over the whole pass, 0.0 when the class never shows, a float."""
    _grade(F1Score, _ref().F1Score, _f1_scripts(_seed()), _f1_hint, rtol=1e-6, atol=1e-9)


def _counts(batches: list, pos: int, tie_last: bool = False) -> tuple[int, int, int]:
    tp = fp = fn = 0
    for b in batches:
        scores = b["pred"].flip(-1) if tie_last else b["pred"]
        pred = scores.argmax(-1)
        if tie_last:
            pred = scores.shape[-1] - 1 - pred
        p, t = pred == pos, b["yb"][0] == pos
        tp, fp, fn = tp + int((p & t).sum()), fp + int((p & ~t).sum()), fn + int((~p & t).sum())
    return tp, fp, fn


def _f1_of(tp: int, fp: int, fn: int) -> float:
    return 2 * tp / (2 * tp + fp + fn) if 2 * tp + fp + fn else 0.0


def _f1_hint(ctx: dict, got: Any) -> str:
    try:
        pos = int(ctx["kwargs"].get("pos_label", 1))
        since = ctx["since"]
        tp, fp, fn = _counts(since, pos)
        if 2 * tp + fp + fn == 0 and not _close(got, 0.0):
            return ("Class pos_label appears in no target and no prediction of this pass, so F1 has no natural value: "
                    "the statement defines it as 0.0 then.")
        per_batch = [_f1_of(*_counts([b], pos)) for b in since]
        sizes = [len(b["yb"][0]) for b in since]
        if len(since) > 1 and (_close(got, sum(per_batch) / len(per_batch)) or
                               _close(got, _weighted_mean(per_batch, sizes))):
            return ("That is an average of per-batch F1 scores. F1 is a ratio of counts: a batch with few or no "
                    "examples of the class scores 0 and drags the average down. Keep the counts over the whole pass "
                    "and compute F1 once from them.")
        if ctx["earlier"] and _close(got, _f1_of(*_counts(ctx["earlier"] + since, pos))):
            return "reset() must set every count back to 0: value covers only the batches since the last reset."
        if _close(got, _f1_of(*_counts(since, 1 - pos))):
            return "F1 measures the class pos_label: count the rows predicted as that class and those that truly are."
        if _close(got, _f1_of(*_counts(since, pos, tie_last=True))):
            return ("A row whose two scores are equal predicts the first class (index 0), as argmax does; a threshold "
                    "on probabilities or a comparison that favours class 1 gets these rows wrong.")
        if tp + fp + fn and _close(got, tp / (tp + fp + fn)):
            return ("That is the intersection over union (the Jaccard index), a different score: F1 weighs the rows "
                    "found (tp) twice against the mistakes.")
        total = sum(sizes)
        if _close(got, (tp + total - tp - fp - fn) / total):
            return "That is the accuracy. F1 ignores the rows that are neither predicted nor truly of the class."
        if (tp + fp and _close(got, tp / (tp + fp))) or (tp + fn and _close(got, tp / (tp + fn))):
            return ("That is only the precision or only the recall: F1 is their harmonic mean, and counts both the "
                    "false positives and the false negatives.")
    except Exception:  # noqa: BLE001  a mistake detector must never crash the check
        pass
    return ("F1 comes from three counts over every batch since the last reset: rows predicted as pos_label that truly "
            "are (tp), rows predicted as pos_label that are not (fp), rows of pos_label predicted as the other class "
            "(fn).")
