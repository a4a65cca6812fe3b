"""Checks for exercise 04 (learner and callbacks): with_events, one_batch, TrainNoise, EarlyStopping, GradClip."""
from __future__ import annotations

import contextlib
import io
import math
from typing import Any, Callable

from fastlayers.checks.framework import call, check, expect_close, expect_equal, expect_true, fail

__all__ = ["with_events", "one_batch", "train_noise", "early_stopping", "grad_clip", "tiny_learner"]


def _ref():
    # Imported when a check runs, so `fastlayers.checks` stays cheap to import.
    import fastlayers.training as ref
    return ref


def tiny_learner(cbs: Any = None, learner_cls: type | None = None, seed: int = 0, n_train: int = 40,
                 n_valid: int = 16, bs: int = 8, n_in: int = 3, two_groups: bool = False):
    """A small seeded regression learner on in-memory data (5 training, 2 validation batches), no progress bar;
    `two_groups` splits the parameters into two groups (weights, then bias)."""
    import torch
    from torch import nn
    from torch.utils.data import DataLoader, TensorDataset
    ref = _ref()
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n_train + n_valid, n_in, generator=g)
    w = torch.linspace(-2, 2, n_in).view(n_in, 1)
    y = x @ w + 0.1 * torch.randn(n_train + n_valid, 1, generator=g)
    train = DataLoader(TensorDataset(x[:n_train], y[:n_train]), batch_size=bs)
    valid = DataLoader(TensorDataset(x[n_train:], y[n_train:]), batch_size=bs)
    torch.manual_seed(seed)
    cls = learner_cls or ref.Learner
    extra = {"splitter": _weight_then_bias} if two_groups else {}
    return cls((train, valid), nn.Linear(n_in, 1), loss_func=nn.MSELoss(), lr=1e-2, cbs=cbs, progress=False, **extra)


def _weight_then_bias(model: Any) -> list:
    return [[model.weight], [model.bias]]


# ----------------------------------------------------------------------------------------------------------------
# The training loop: event logs under cancellation
# ----------------------------------------------------------------------------------------------------------------

def _event_log():
    """A callback recording every event (with the loss seen at after_loss), last in order."""
    ref = _ref()

    def record(event: str) -> Callable:
        def method(self) -> None:
            extra = ""
            if event == "after_pred":
                extra = " (pred set)" if self.learn.pred is not None else " (pred missing)"
            if event == "after_loss":
                loss = self.learn.loss
                extra = f" (loss {float(loss):.4f})" if loss is not None else " (loss missing)"
            self.log.append(event + extra)
        return method

    cls = type("EventLog", (ref.Callback,), {"order": 100, **{e: record(e) for e in ref.EVENTS[1:]}})
    cb = cls()
    cb.log = []
    return cb


def _canceller(event: str, exc: type, epoch: int = 0, it: int | None = None, training: bool | None = None):
    """A callback raising `exc` at `event` (not before_fit) of the given epoch (and batch, and phase) once per fit."""
    ref = _ref()

    def method(self) -> None:
        learn = self.learn
        if self.fired or learn.epoch != epoch:
            return
        if it is not None and getattr(learn, "iter", None) != it:
            return
        if training is not None and learn.training != training:
            return
        self.fired = True
        raise exc()

    def before_fit(self) -> None:
        self.fired = False

    return type("Canceller", (ref.Callback,), {"order": 5, event: method, "before_fit": before_fit})()


def _scenarios() -> list[tuple[str, Any]]:
    ref = _ref()
    return [
        ("no callback cancels", None),
        ("CancelBatchException in after_pred of training batch 1", ("after_pred", ref.CancelBatchException, 0, 1, True)),
        ("CancelBatchException in before_batch of training batch 2", ("before_batch", ref.CancelBatchException, 0, 2, True)),
        ("CancelBatchException in after_loss of validation batch 0", ("after_loss", ref.CancelBatchException, 0, 0, False)),
        ("CancelBackwardException in before_backward of batch 2", ("before_backward", ref.CancelBackwardException, 0, 2, True)),
        ("CancelStepException in before_step of batch 0", ("before_step", ref.CancelStepException, 0, 0, True)),
        ("CancelTrainException in before_batch of batch 3", ("before_batch", ref.CancelTrainException, 0, 3, True)),
        ("CancelValidException in before_validate", ("before_validate", ref.CancelValidException, 0, None, None)),
        ("CancelEpochException in after_train of epoch 0", ("after_train", ref.CancelEpochException, 0, None, None)),
        ("CancelFitException in after_step of epoch 1, batch 1", ("after_step", ref.CancelFitException, 1, 1, True)),
    ]


def _run(learner_cls: type | None, cancel: Any, n_epoch: int = 2) -> tuple[list, Any]:
    cbs = [] if cancel is None else [_canceller(*cancel)]
    log = _event_log()
    learn = tiny_learner(cbs=cbs + [log], learner_cls=learner_cls)
    learn.fit(n_epoch)
    return log.log, learn.model.weight.detach().clone()


def _compare_logs(got: list, expected: list, called: str, hint_for: Callable[[str, str], str]) -> None:
    """Fail at the first event that differs, showing a few events around it."""
    for i, (g, e) in enumerate(zip(got + [None] * len(expected), expected + [None] * len(got))):
        if g != e:
            lo = max(i - 3, 0)
            fail("the events fired differ from the reference loop", called=called,
                 expected=" -> ".join(map(str, expected[lo:i + 3])) + (" -> ..." if i + 3 < len(expected) else ""),
                 got=" -> ".join(map(str, got[lo:i + 3])) + (" -> ..." if i + 3 < len(got) else ""),
                 where=f"event number {i}: got {g or '(nothing more)'}, expected {e or '(nothing more)'}",
                 hint=hint_for(str(g), str(e)))
        if g is None and e is None:
            return


def _loop_check(learner_cls: type, hint_for: Callable[[str, str], str], piece: str) -> None:
    import torch
    ref = _ref()
    for label, cancel in _scenarios():
        expected, w_ref = _run(None, cancel)
        called = f"learn.fit(2) with your {piece}, {label}"
        try:
            got, w = _run(learner_cls, cancel)
        except ref.CancelFitException:
            fail("CancelFitException escaped from fit", called=called, got="<raised CancelFitException>",
                 hint="The fit stage catches CancelFitException: with_events(learn, ..., 'fit', CancelFitException).")
        except Exception as err:  # noqa: BLE001  the student's loop crashed
            hint = ("This piece is not written yet: replace `raise NotImplementedError()` in its cell with your code."
                    if isinstance(err, NotImplementedError) else hint_for(f"raised {type(err).__name__}: {err}", ""))
            fail(f"raised {type(err).__name__}", called=called, expected="<training runs to its end>",
                 got=f"<raised {type(err).__name__}: {err}>", hint=hint)
        _compare_logs(got, expected, called, hint_for)
        if not torch.allclose(w, w_ref, rtol=1e-5, atol=1e-7):
            fail("the trained weights differ from the reference loop", called=called + ", then learn.model.weight",
                 expected=w_ref, got=w, hint=hint_for("weights", ""))


def _with_events_hint(got: str, expected: str) -> str:
    if got == "weights" or (got.startswith("after_loss (loss") and expected.startswith("after_loss (loss")):
        return "Same events, but the model trained differently: run the body f() exactly once, between the events."
    if expected.startswith("after_cancel_"):
        return (f"The stage was cancelled: fire {expected} when its cancel exception is caught, before "
                f"after_{expected[13:]}.")
    if expected.startswith("after_") and got.startswith("before_"):
        return "after_<stage> fires in every case, also when the stage was cancelled."
    if got.startswith("raised Cancel"):
        return ("A cancel exception flew out of the wrong stage: put learn(f'before_{stage}') inside the try, "
                "and catch only this stage's own cancel_exc.")
    if got.startswith("raised"):
        return "Only this stage's cancel exception is caught; fire the events with learn(event_name)."
    return ("Catch only `cancel_exc` (other stages' cancel exceptions must reach their own stage), and fire "
            "before_<stage> inside the try.")


@check(points=3, timeout=15)
def with_events(student: Callable) -> None:
    """Your `with_events` fires before/after_cancel/after events and catches only its own stage's cancel exception."""
    ref = _ref()

    class StudentLoop(ref.Learner):
        def _with_events(self, f, stage, cancel):
            return student(self, f, stage, cancel)
    _loop_check(StudentLoop, _with_events_hint, "with_events")


def _one_batch_hint(got: str, expected: str) -> str:
    if "missing" in got:
        return "Set learn.pred before firing after_pred, and learn.loss (detached) before firing after_loss."
    if got == "weights" or (got.startswith("after_loss (loss") and expected.startswith("after_loss (loss")):
        return ("Same events, different weights: call learn.opt.zero_grad() after the step (zeroing before it "
                "throws the gradients away), exactly once per training batch.")
    if "missing" in got:
        return "Set learn.pred before firing after_pred, and learn.loss (detached) before firing after_loss."
    if got.startswith("raised") and "grad" in got:
        return ("During validation (learn.training is False) there is no backward pass and no step (validation runs "
                "without gradients): return after after_loss.")
    if got.startswith("raised"):
        return ("Follow the steps: learn.pred = learn.model(*learn.xb) (unpack the tuple), then "
                "learn.loss_func(learn.pred, *learn.yb); backward and step only when learn.training.")
    if expected.startswith(("before_backward", "before_step")) or got.startswith(("before_backward", "before_step")):
        return ("Run backward and step as stages with events: with_events(learn, ..., 'backward', "
                "CancelBackwardException), then with_events(learn, ..., 'step', CancelStepException), training only.")
    return "Order: pred, after_pred, loss, after_loss, then (training only) backward stage, step stage, zero_grad."


@check(points=3, timeout=15)
def one_batch(student: Callable) -> None:
    """Your `one_batch` predicts, computes the loss, and when training runs backward and step, then zero_grad."""
    ref = _ref()

    class StudentLoop(ref.Learner):
        def _do_one_batch(self):
            return student(self)
    with _reference_with_events(student):
        _loop_check(StudentLoop, _one_batch_hint, "one_batch")


@contextlib.contextmanager
def _reference_with_events(student: Callable):
    """While grading one_batch, its calls to `with_events` go to the reference stage runner, so a learner whose own
    with_events is unfinished or wrong is graded on one_batch alone (no cascade between pieces)."""
    namespace = getattr(student, "__globals__", None)
    if not isinstance(namespace, dict) or "with_events" not in namespace:
        yield
        return
    own = namespace["with_events"]

    def reference(learn, f, stage, cancel_exc):
        return learn._with_events(f, stage, cancel_exc)
    namespace["with_events"] = reference
    try:
        yield
    finally:
        namespace["with_events"] = own


# ----------------------------------------------------------------------------------------------------------------
# A callback that edits the batch
# ----------------------------------------------------------------------------------------------------------------

def _batch_spy(name: str, order: int):
    """A callback keeping (training, xb, yb) at before_batch; its own class name, as a Learner keeps one per name."""
    ref = _ref()

    def before_fit(self):
        self.seen = []

    def before_batch(self):
        self.seen.append((self.learn.training, self.learn.xb, self.learn.yb))
    return type(name, (ref.Callback,), {"order": order, "before_fit": before_fit, "before_batch": before_batch})()


@check(points=2, timeout=15)
def train_noise(TrainNoise: type) -> None:
    """Your `TrainNoise(std)` adds noise of that std to training inputs only, keeping xb a tuple and yb untouched."""
    import torch
    for std in (0.5, 2.0):
        before, after = _batch_spy("SpyBefore", -50), _batch_spy("SpyAfter", 50)
        cb = call(TrainNoise, std)
        learn = tiny_learner(cbs=[before, cb, after], n_train=512, n_valid=128, bs=128, n_in=20)
        called = f"learn.fit(1, cbs=TrainNoise({std})) on batches of 128 rows x 20 inputs"
        try:
            learn.fit(1)
        except Exception as err:  # noqa: BLE001
            hint = ("This piece is not written yet: replace `raise NotImplementedError()` in its cell with your code."
                    if isinstance(err, NotImplementedError) else
                    "Keep learn.xb a tuple of tensors: self.learn.xb = (x + noise,) + tuple(self.learn.xb[1:]).")
            fail(f"training raised {type(err).__name__}", called=called, expected="<training runs>",
                 got=f"<raised {type(err).__name__}: {err}>", hint=hint)
        for (training, xb0, yb0), (_, xb1, yb1) in zip(before.seen, after.seen):
            phase = "training" if training else "validation"
            expect_true(isinstance(xb1, tuple), "learn.xb is no longer a tuple", called=called, got=type(xb1).__name__,
                        hint="Assign a tuple: self.learn.xb = (x + noise,) + tuple(self.learn.xb[1:]); the model is "
                             "called as model(*xb).")
            expect_equal(yb1, yb0, called=called + f", targets of a {phase} batch",
                         hint="Only the inputs get noise: leave self.learn.yb alone.")
            if not training:
                expect_equal(xb1, xb0, called=called + ", inputs of a validation batch",
                             hint="Validation batches stay untouched: return early when not self.learn.training.")
                continue
            noise = xb1[0] - xb0[0]
            if float(noise.abs().max()) == 0:
                fail("no noise on a training batch", called=called, hint="Add std * torch.randn_like(x) to x.")
            mean, spread = float(noise.mean()), float(noise.std())
            expect_true(abs(mean) < 0.1 * std, "the noise is not centred on 0", called=called,
                        got=f"mean of the added noise {mean:.4f}", hint="Use noise with mean 0: torch.randn_like(x).")
            expect_close(spread, std, rtol=0.08, called=called + ", standard deviation of the added noise",
                         hint=f"The noise's standard deviation must be std={std}: multiply torch.randn_like(x) by std "
                              "(not std**2, and do not replace x by the noise).")
            corr = float(torch.corrcoef(torch.stack([xb1[0].flatten(), xb0[0].flatten()]))[0, 1])
            expect_true(corr > 0.1, "the inputs were replaced, not perturbed", called=called,
                        got=f"correlation between inputs before and after: {corr:.3f}",
                        hint="Add the noise to x: x + std * torch.randn_like(x).")


# ----------------------------------------------------------------------------------------------------------------
# Early stopping
# ----------------------------------------------------------------------------------------------------------------

class _Stub:
    """Just enough of a Learner for driving a callback by hand."""

    def __init__(self, **kw: Any) -> None:
        self.__dict__.update(kw)


def _drive(cb: Any, fits: list[list[float]], student: bool) -> list[str]:
    """Feed each fit's validation losses to `cb` epoch by epoch; describe how each fit ended."""
    ref = _ref()
    rec = _Stub(values=[], metric_names=["epoch", "train_loss", "valid_loss", "time"])
    learn = _Stub(recorder=rec, epoch=0, training=False, n_epoch=0)
    cb.learn = learn
    outcomes = []
    for losses in fits:
        rec.values, learn.n_epoch = [], len(losses)
        run = call if student else (lambda f, *a: f(*a))
        run(cb, "before_fit")
        outcome = "ran all epochs"
        for epoch, loss in enumerate(losses):
            learn.epoch = epoch
            rec.values.append([0.5, loss])
            try:
                with contextlib.redirect_stdout(io.StringIO()) if not student else contextlib.nullcontext():
                    cb("after_epoch")  # (the reference announces its stop: keep that out of the notes)
            except ref.CancelFitException:
                outcome = f"stopped the fit after epoch {epoch}"
                break
            except (ref.CancelEpochException, ref.CancelTrainException, ref.CancelValidException,
                    ref.CancelBatchException) as err:
                outcome = f"raised {type(err).__name__} after epoch {epoch}"
                break
            except Exception as err:  # noqa: BLE001  a bug in the student's callback
                fail(f"raised {type(err).__name__}", called=f"EarlyStopping.after_epoch at epoch {epoch}",
                     expected="<a result, no exception>", got=f"<raised {type(err).__name__}: {err}>",
                     hint="The latest row is self.learn.recorder.values[-1] = [train_loss, valid_loss, ...]."
                     if not isinstance(err, NotImplementedError) else
                     "This piece is not written yet: replace `raise NotImplementedError()` in its cell with your code.")
        outcomes.append(outcome)
    return outcomes


_STOP_CASES = [
    (1, [[1.0, 0.9, 0.95, 0.8, 0.7]]),
    (2, [[1.0, 0.9, 0.95, 0.8, 0.85, 0.86, 0.5]]),
    (2, [[1.0, 0.9, 0.95, 0.96, 0.97]]),
    (1, [[1.0, 1.0, 0.5]]),                       # equal is not better
    (3, [[2.0, 1.0, 1.1, 0.9, 1.2, 1.3, 1.4, 0.1]]),
    (1, [[1.0, 0.5, 0.6], [0.9, 0.8, 0.7]]),      # the best value is forgotten between fits
]


@check(points=2, timeout=10)
def early_stopping(EarlyStopping: type) -> None:
    """Your `EarlyStopping(patience)` stops the fit like the reference, on the same validation losses."""
    ref = _ref()
    order = getattr(EarlyStopping, "order", 0)
    expect_true(order > ref.Recorder.order, "the callback runs before the Recorder", called="EarlyStopping.order",
                got=order, hint=f"Give it an order larger than the Recorder's ({ref.Recorder.order}), e.g. 60, so "
                                 "after_epoch reads the row of the epoch that just ended.")
    for patience, fits in _STOP_CASES:
        got = _drive(call(EarlyStopping, patience), fits, student=True)
        exp = _drive(ref.EarlyStoppingCallback(patience=patience), fits, student=False)
        called = f"EarlyStopping(patience={patience}) fed the validation losses " + \
                 " then, in a new fit, ".join(map(str, fits))
        hint = "Stop with CancelFitException once `patience` epochs in a row brought no strict improvement."
        if any(g.startswith("raised") for g in got):
            hint = "Raise CancelFitException: the other cancel exceptions only skip part of an epoch."
        elif len(fits) > 1 and got[0] == exp[0]:
            hint = "Reset the best value and the count in before_fit: every fit starts afresh."
        elif 1.0 in fits[0][:2] and fits[0][:2] == [1.0, 1.0]:
            hint = "An equal loss is not an improvement: compare with < , not <=."
        expect_equal(got, exp, called=called, hint=hint)


# ----------------------------------------------------------------------------------------------------------------
# Gradient clipping
# ----------------------------------------------------------------------------------------------------------------

def _clip_model(seed: int, scale: float):
    import torch
    from torch import nn
    torch.manual_seed(seed)
    model = nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 2), nn.Linear(2, 2))
    model[3].weight.requires_grad_(False)  # a frozen parameter: no gradient
    g = torch.Generator().manual_seed(seed + 1)
    for p in model.parameters():
        if p.requires_grad:
            p.grad = torch.randn(p.shape, generator=g) * scale
    return model


@check(points=2, timeout=10)
def grad_clip(GradClip: type) -> None:
    """Your `GradClip(max_norm)` scales all gradients together in before_step when their global norm is too big."""
    ref = _ref()
    expect_true(callable(getattr(GradClip, "before_step", None)), "GradClip has no before_step method",
                called="GradClip.before_step", got=[m for m in vars(GradClip) if not m.startswith("__")],
                hint="Clip in before_step: after the backward pass, before the optimizer uses the gradients "
                     "(after_step is too late, the step has already used them).")
    for seed, scale, max_norm in [(0, 5.0, 1.0), (1, 0.05, 1.0), (2, 3.0, 2.5), (3, 1.0, 0.1)]:
        model, ref_model = _clip_model(seed, scale), _clip_model(seed, scale)
        cb, ref_cb = call(GradClip, max_norm), ref.GradientClip(max_norm)
        cb.learn, ref_cb.learn = _Stub(model=model, training=True), _Stub(model=ref_model, training=True)
        for event in ("after_backward", "before_step"):  # the loop fires both between backward and step
            call(cb, event)
        ref_cb("before_step")
        grads = [p.grad for p in model.parameters() if p.requires_grad]
        expected = [p.grad for p in ref_model.parameters() if p.requires_grad]
        fresh = [p.grad for p in _clip_model(seed, scale).parameters() if p.grad is not None]
        total = math.sqrt(sum(float((g ** 2).sum()) for g in fresh))  # the global norm before clipping
        called = f"GradClip({max_norm}) at before_step on gradients of global norm {total:.3f}"
        hint = ("One norm for all gradients together: sqrt of the sum of every squared entry; when it exceeds "
                "max_norm multiply every gradient by max_norm / (norm + 1e-6).")
        if total <= max_norm:
            hint = "The norm is already below max_norm: leave the gradients unchanged."
        expect_close(grads, expected, rtol=1e-5, atol=1e-7, called=called, hint=hint)
    # in a real fit: clipping happens before the optimizer step
    learn = tiny_learner(cbs=[call(GradClip, 0.01)])
    learn.fit(1)
    ref_learn = tiny_learner(cbs=[ref.GradientClip(0.01)])
    ref_learn.fit(1)
    expect_close(learn.model.weight.detach(), ref_learn.model.weight.detach(), rtol=1e-5, atol=1e-7,
                 called="learn.fit(1, cbs=GradClip(0.01)) then learn.model.weight",
                 hint="Clip in before_step: after the backward pass and before the optimizer uses the gradients.")
