"""Checks for exercise 04 (learner and callbacks): with_events, one_batch, TrainNoise, EarlyStopping, GradClip.

Every check runs whole training scenarios inside module-level probes, where the student's piece lives: a probe
builds a reference Learner around the piece, fits it with recording callbacks, and returns what happened as plain
data (the events fired, the losses seen, the final weights, what the model and the optimizer received). The same
probe runs with the reference pieces here, on the same data, and the check compares the two. Data and gradients
come from a fresh seed on every run. Hints name the idea, never the code.
"""
from __future__ import annotations

import contextlib
import functools
import io
import math
import random
from typing import Any, Callable

from fastlayers.checks.failure import NOT_WRITTEN, student_place
from fastlayers.checks.framework import check, expect_close, expect_true, fail, first_difference, labelled, probe

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


def _fresh_seed() -> int:
    """A new seed on every run: the data, weights and gradients a check uses cannot be known in advance."""
    return random.SystemRandom().randrange(1, 2 ** 31)


def _raised(err: BaseException) -> dict:
    """An exception as plain data (class names, message, the student's line)."""
    return {"type": type(err).__name__, "kinds": [c.__name__ for c in type(err).__mro__],
            "message": str(err)[:300], "where": student_place(err)}


def _expect_list(values: Any, n: int, called: str, what: str) -> None:
    """One answer per question: a list of exactly `n` items (a shorter list is a wrong answer, never a shorter
    comparison)."""
    count = len(values) if isinstance(values, list) else None
    if count != n:
        fail(f"a different number of {what}", called=called, expected=f"<{n} {what}>",
             got=f"<{count if count is not None else 'no list of'} {what}>")


def _expect_keys(got: Any, keys: tuple, called: str) -> None:
    """The probe's answer is a dict with exactly these keys (anything else cannot be graded)."""
    if not isinstance(got, dict) or sorted(map(str, got)) != sorted(keys):
        fail("the answer cannot be graded", called=called, expected=f"<a record with {', '.join(keys)}>",
             got=f"<a {type(got).__name__}>")


def _expect_no_raise(got: dict, called: str, hint: str) -> None:
    """Fail when the student's code raised (NotImplementedError: the piece is not written yet)."""
    raised = got.get("raised")
    if raised:
        kinds = raised.get("kinds", []) if isinstance(raised, dict) else []
        name = str(raised.get("type", "an exception")) if isinstance(raised, dict) else "an exception"
        message = str(raised.get("message", "")) if isinstance(raised, dict) else ""
        fail(f"raised {name}", called=called, expected="<training runs to its end>",
             got=f"<raised {name}: {message}>" if message else f"<raised {name}>",
             where=str(raised.get("where", "")) if isinstance(raised, dict) else "",
             hint=NOT_WRITTEN if "NotImplementedError" in kinds else hint)


# ----------------------------------------------------------------------------------------------------------------
# Small learners on in-memory batches (built inside probes, where the student's pieces live)
# ----------------------------------------------------------------------------------------------------------------

class _Loaders:
    """Just what a Learner needs from its data: lists of batches (tuples of tensor views), n_inp, a device."""

    def __init__(self, train: list, valid: list, n_inp: int):
        self.train, self.valid, self.n_inp, self.device = train, valid, n_inp, "cpu"


def _batches(tensors: tuple, start: int, stop: int, bs: int) -> list:
    """Batches as views of the tensors (a loader that hands out slices of the dataset itself)."""
    return [tuple(t[i:min(i + bs, stop)] for t in tensors) for i in range(start, stop, bs)]


def _loop_data(seed: int, two: bool) -> tuple:
    """Regression data, inputs neither centred nor of unit variance: (x, y) or (x1, x2, y1, y2)."""
    import torch
    g = torch.Generator().manual_seed(seed)
    x1 = torch.randn(56, 3, generator=g) * 1.5 + 0.5
    y1 = x1 @ torch.tensor([[1.0], [-2.0], [0.5]]) + 0.1 * torch.randn(56, 1, generator=g)
    if not two:
        return x1, y1
    x2 = torch.randn(56, 2, generator=g) * 0.7 - 1.0
    return x1, x2, y1, y1 + 0.3 * x2.sum(1, keepdim=True)


def _two_target_loss(pred: Any, y1: Any, y2: Any) -> Any:
    return ((pred - y1) ** 2).mean() + 0.5 * ((pred - y2) ** 2).mean()


@functools.lru_cache(maxsize=None)
def _net_class() -> type:
    from torch import nn

    class Net(nn.Module):
        """A linear model of one or two inputs, remembering what it was called with."""

        def __init__(self, n_inp: int):
            super().__init__()
            self.lin1 = nn.Linear(3, 1)
            self.lin2 = nn.Linear(2, 1) if n_inp == 2 else None

        def forward(self, x1, *rest):
            if self.lin2 is None:
                if rest:
                    raise TypeError(f"the model takes one input, got {1 + len(rest)}")
                return self.lin1(x1)
            if len(rest) != 1:
                raise TypeError(f"the model takes two inputs, got {1 + len(rest)}")
            return self.lin1(x1) + self.lin2(rest[0])
    return Net


def _loop_learner(seed: int, two: bool, cbs: list, cls: type) -> Any:
    import torch
    from torch import nn
    data = _loop_data(seed, two)
    torch.manual_seed(seed)
    model = _net_class()(2 if two else 1)
    dls = _Loaders(_batches(data, 0, 40, 8), _batches(data, 40, 56, 8), 2 if two else 1)
    loss = _two_target_loss if two else nn.MSELoss()
    return cls(dls, model, loss_func=loss, lr=1e-2, cbs=cbs, progress=False)


# ----------------------------------------------------------------------------------------------------------------
# Recording callbacks (classes made once, when a check first runs)
# ----------------------------------------------------------------------------------------------------------------

def _grads_clean(model: Any) -> bool:
    return all(p.grad is None or not bool(p.grad.any()) for p in model.parameters())


def _loss_note(loss: Any) -> str:
    import torch
    if loss is None:
        return " (learn.loss not set)"
    if not isinstance(loss, torch.Tensor):
        return f" (learn.loss is a {type(loss).__name__}, not a tensor)"
    if loss.requires_grad:
        return " (learn.loss still carries the graph)"
    return ""


@functools.lru_cache(maxsize=None)
def _recorders() -> dict:
    ref = _ref()

    def record(event: str) -> Callable:
        def method(self) -> None:
            learn, note = self.learn, ""
            if event == "after_pred" and getattr(learn, "pred", None) is None:
                note = " (learn.pred not set)"
            elif event == "after_loss":
                loss = getattr(learn, "loss", None)
                note = _loss_note(loss)
                if not note:
                    self.losses.append(float(loss))
            elif event == "after_batch" and learn.training:
                note = " (gradients cleared)" if _grads_clean(learn.model) else " (gradients left over)"
            self.events.append(event + note)
            self.at = (bool(learn.training), learn.epoch, getattr(learn, "iter", 0), event)
        return method

    def log_init(self) -> None:
        self.events, self.losses, self.at = [], [], None

    event_log = type("EventLog", (ref.Callback,), {"order": 100, "__init__": log_init,
                                                   **{e: record(e) for e in ref.EVENTS[1:]}})

    def raise_now(self) -> None:
        learn = self.learn
        if self.fired and not self.every:
            return
        if (self.epoch is not None and learn.epoch != self.epoch) or \
                (self.it is not None and getattr(learn, "iter", None) != self.it) or \
                (self.training is not None and learn.training != self.training):
            return
        self.fired = True
        raise self.exc("raised by a callback of the check")

    def cancel_init(self, exc: type, epoch: Any, it: Any, training: Any, every: bool) -> None:
        self.exc, self.epoch, self.it, self.training, self.every, self.fired = exc, epoch, it, training, every, False

    def canceller(event: str) -> type:
        return type("Canceller", (ref.Callback,), {"order": 5, "__init__": cancel_init, event: raise_now})

    class Replacer(ref.Callback):
        """Replaces the batch, the prediction and the loss, as augmentation or regularisation callbacks do."""
        order = 10

        def before_batch(self):
            self.learn.xb = tuple(x * 1.5 + 0.25 for x in self.learn.xb)

        def after_pred(self):
            self.learn.pred = self.learn.pred * 0.5 + 0.1

        def after_loss(self):
            penalty = sum((p ** 2).sum() for p in self.learn.model.parameters())
            self.learn.loss_grad = self.learn.loss_grad * 2.0 + 0.01 * penalty
            self.learn.loss = self.learn.loss_grad.detach()

    return {"log": event_log, "canceller": canceller, "replacer": Replacer}


# ----------------------------------------------------------------------------------------------------------------
# 1 and 2. with_events and one_batch: whole fits, compared event by event with the reference loop
# ----------------------------------------------------------------------------------------------------------------

def _reference_with_events(learn: Any, f: Callable, stage: str, cancel_exc: type) -> None:
    return learn._with_events(f, stage, cancel_exc)


@contextlib.contextmanager
def _reference_stage_runner(piece: Callable):
    """While one_batch is graded, its calls to `with_events` go to the reference stage runner, so a notebook whose
    own with_events is unfinished or wrong is graded on one_batch alone (no cascade between pieces)."""
    namespace = getattr(piece, "__globals__", None)
    if not isinstance(namespace, dict) or "with_events" not in namespace:
        yield
        return
    own = namespace["with_events"]
    namespace["with_events"] = _reference_with_events
    try:
        yield
    finally:
        namespace["with_events"] = own


def loop_run(piece: Any, role: str, spec: tuple, seed: int) -> dict:
    """Probe: fit a small learner for 2 epochs with `piece` as its with_events or one_batch (`role`; 'reference'
    runs the reference loop), with the scenario's callbacks and an event log; what happened, as plain data."""
    ref, cbs, spec = _ref(), _recorders(), dict(spec)
    cls = ref.Learner
    if role == "with_events":
        class Loop(ref.Learner):
            def _with_events(self, f, stage, cancel_exc):
                return piece(self, f, stage, cancel_exc)
        cls = Loop
    elif role == "one_batch":
        class Loop(ref.Learner):
            def _do_one_batch(self):
                return piece(self)
        cls = Loop
    extra = []
    if spec.get("raise"):
        event, exc_name, epoch, it, training, every = spec["raise"]
        exc = getattr(ref, exc_name, None) or {"ValueError": ValueError, "RuntimeError": RuntimeError}[exc_name]
        extra.append(cbs["canceller"](event)(exc, epoch, it, training, every))
    if spec.get("replace"):
        extra.append(cbs["replacer"]())
    log = cbs["log"]()
    learn = _loop_learner(seed, bool(spec.get("two")), extra + [log], cls)
    raised = None
    with _reference_stage_runner(piece) if role == "one_batch" else contextlib.nullcontext():
        try:
            learn.fit(2)
        except Exception as err:  # noqa: BLE001  reported as data: the check compares it with the reference
            raised = _raised(err)
            raised["where"] = _position(log.at, raised["where"])
    return {"events": log.events, "losses": log.losses,
            "weights": [p.detach().clone() for p in learn.model.parameters()], "raised": raised}


_BATCH_EVENTS = frozenset("before_batch after_pred after_loss before_backward after_cancel_backward after_backward "
                          "before_step after_cancel_step after_step after_cancel_batch after_batch".split())


def _position(at: Any, place: str) -> str:
    """Where in the loop an exception escaped: the phase, batch and last event logged, and the line it passed (the
    phase says more than the line: an exception a callback raised only passes through the student's code)."""
    if at is None:
        return place.split(": ", 1)[0]
    training, epoch, it, event = at
    inner = event in _BATCH_EVENTS
    batch = f"{'training' if training else 'validation'} batch {it} of epoch {epoch}" if inner else f"epoch {epoch}"
    return f"{batch}, after {event}" + (f" ({place.split(': ', 1)[0]})" if place else "")


def _spec(**parts: Any) -> tuple:
    """A scenario's callbacks as (name, value) pairs: module-level case data stays immutable."""
    return tuple(sorted((k.rstrip("_"), v) for k, v in parts.items()))


# (what the scenario is, its callbacks, hint for with_events, hint for one_batch)
_BATCH_ORDER = ("In a batch: the prediction, after_pred, the loss, after_loss; then, only while training, the "
                "backward stage, the step stage, and clearing the gradients after the step stage.")
_STAGE_RUN = ("Every stage runs the same way: before_<stage>, the body exactly once, then after_<stage>; every "
              "stage of the loop (fit, epoch, train, validate, batch, backward, step) goes through your function.")
_OWN_CANCEL = ("A stage catches its own cancel exception wherever it is raised inside it (also in before_<stage>): "
               "it then fires after_cancel_<stage>, then after_<stage>, and the loop carries on after the stage.")
_OTHER_CANCEL = ("Catch only the stage's own cancel exception: a cancel exception of another stage passes through "
                 "untouched, without after_cancel_ or after_ events, up to the stage that owns it.")
_NOT_AFTER = ("after_<stage> and after_cancel_<stage> are not part of the watched stage: an exception a callback "
              "raises there is not caught by this stage, not even the stage's own cancel exception.")
_ERROR_FLIES = ("An ordinary error is not a cancellation: it leaves every stage at once, with no after_cancel_ "
                "and no after_ event on its way (the after event is not run whatever happens).")
_STAGES_OB = ("Run backward and the optimizer step as stages, each with its own cancel exception, so callbacks "
              "see their events and can skip them.")
_ZERO_OB = ("The gradients are cleared once per training batch, after the step stage (also when the step was "
            "skipped), and not when the batch was cancelled before that point.")

_LOOP_SCENARIOS = (
    ("no callback cancels", _spec(), _STAGE_RUN, _BATCH_ORDER),
    ("batches of two inputs and two targets", _spec(two=True), _STAGE_RUN,
     "learn.xb and learn.yb are tuples that may hold several tensors: the model gets every input and the loss "
     "function every target, unpacked."),
    ("a callback replaces learn.xb in before_batch, learn.pred in after_pred, learn.loss_grad and learn.loss "
     "in after_loss", _spec(replace=True), _STAGE_RUN,
     "Callbacks may replace the learner's attributes at each event: after an event, read the prediction and the "
     "loss from the learner again, not from a local variable saved before it."),
    ("CancelFitException raised in before_fit",
     _spec(raise_=("before_fit", "CancelFitException", None, None, None, False)), _OWN_CANCEL, _BATCH_ORDER),
    ("CancelBatchException raised in after_pred of training batch 1",
     _spec(raise_=("after_pred", "CancelBatchException", 0, 1, True, False)), _OWN_CANCEL, _BATCH_ORDER),
    ("CancelBatchException raised in before_batch of training batch 2",
     _spec(raise_=("before_batch", "CancelBatchException", 0, 2, True, False)), _OWN_CANCEL, _BATCH_ORDER),
    ("CancelBatchException raised in after_step of training batch 1",
     _spec(raise_=("after_step", "CancelBatchException", 0, 1, True, False)), _OTHER_CANCEL, _ZERO_OB),
    ("CancelBatchException raised in after_loss of validation batch 0",
     _spec(raise_=("after_loss", "CancelBatchException", 0, 0, False, False)), _OWN_CANCEL, _BATCH_ORDER),
    ("CancelBackwardException raised in before_backward of training batch 2",
     _spec(raise_=("before_backward", "CancelBackwardException", 0, 2, True, False)), _OWN_CANCEL, _STAGES_OB),
    ("CancelStepException raised in every before_step",
     _spec(raise_=("before_step", "CancelStepException", None, None, True, True)), _OWN_CANCEL, _ZERO_OB),
    ("CancelTrainException raised in before_batch of training batch 3",
     _spec(raise_=("before_batch", "CancelTrainException", 0, 3, True, False)), _OTHER_CANCEL, _BATCH_ORDER),
    ("CancelTrainException raised in before_train of epoch 1",
     _spec(raise_=("before_train", "CancelTrainException", 1, None, None, False)), _OWN_CANCEL, _BATCH_ORDER),
    ("CancelValidException raised in before_validate of epoch 0",
     _spec(raise_=("before_validate", "CancelValidException", 0, None, None, False)), _OWN_CANCEL, _BATCH_ORDER),
    ("CancelValidException raised in after_loss of validation batch 1",
     _spec(raise_=("after_loss", "CancelValidException", 0, 1, False, False)), _OTHER_CANCEL, _BATCH_ORDER),
    ("CancelEpochException raised in after_train of epoch 0",
     _spec(raise_=("after_train", "CancelEpochException", 0, None, None, False)), _OTHER_CANCEL, _BATCH_ORDER),
    ("CancelEpochException raised in after_batch of training batch 2",
     _spec(raise_=("after_batch", "CancelEpochException", 0, 2, True, False)), _OTHER_CANCEL, _BATCH_ORDER),
    ("CancelBatchException raised in after_batch of training batch 1 (it reaches the caller of fit)",
     _spec(raise_=("after_batch", "CancelBatchException", 0, 1, True, False)), _NOT_AFTER, _BATCH_ORDER),
    ("CancelFitException raised in after_step of epoch 1, training batch 1",
     _spec(raise_=("after_step", "CancelFitException", 1, 1, True, False)), _OTHER_CANCEL, _BATCH_ORDER),
    ("a callback raises ValueError in after_loss of training batch 2",
     _spec(raise_=("after_loss", "ValueError", 0, 2, True, False)), _ERROR_FLIES,
     "An error raised by a callback must reach the caller of fit unchanged: one_batch does not catch it."),
    ("a callback raises RuntimeError in before_epoch of epoch 1",
     _spec(raise_=("before_epoch", "RuntimeError", 1, None, None, False)), _ERROR_FLIES, _BATCH_ORDER),
)


def _window(events: list, i: int) -> str:
    lo = max(i - 3, 0)
    part = " -> ".join(map(str, events[lo:i + 3])) or "(nothing)"
    return ("... -> " if lo else "") + part + (" -> ..." if i + 3 < len(events) else "")


def _compare_events(got: list, expected: list, called: str, hint: str) -> None:
    """Fail at the first event that differs (or is missing, or extra), showing a few events around it."""
    for i in range(max(len(got), len(expected))):
        g = got[i] if i < len(got) else None
        e = expected[i] if i < len(expected) else None
        if g != e:
            fail("the events fired differ from the reference loop", called=called,
                 expected=_window(expected, i), got=_window(got, i),
                 where=f"event number {i}: got {g or '(no more events)'}, expected {e or '(no more events)'}",
                 hint=_event_hint(str(g), str(e), hint))


def _event_hint(got: str, expected: str, hint: str) -> str:
    """A hint for the first differing event: the state notes recorded at an event name a known mistake."""
    if "(learn.pred not set)" in got:
        return "Set the prediction on the learner before firing after_pred: callbacks read it there."
    if "(learn.loss" in got:
        return ("Before after_loss the learner holds two losses: learn.loss_grad, with the graph (for the backward "
                "pass), and learn.loss, a detached tensor for callbacks to read (a tensor, not a number).")
    if "(gradients" in got and got.split(" ")[0] == expected.split(" ")[0]:
        return _ZERO_OB
    return hint


def _raise_hint(message: str, hint: str) -> str:
    """A hint for an error the student's code (or a callback reading its results) raised."""
    if "does not require grad" in message:
        return ("The backward pass needs the loss that carries the graph (learn.loss_grad; learn.loss is detached), "
                "and runs only while training: validation runs without gradients (inside torch.no_grad).")
    if "'float' object" in message or "'int' object" in message:
        return ("learn.loss stays a tensor (the detached loss), not a Python number: callbacks such as the Recorder "
                "treat it as a tensor.")
    if "dtype" in message or "Double" in message or "Float" in message:
        return "Keep the tensors' dtype: a float32 batch must stay float32."
    return hint


def _judge_loop(got: Any, exp: dict, called: str, hint: str) -> None:
    _expect_keys(got, ("events", "losses", "weights", "raised"), called)
    raised, exp_raised = got["raised"], exp["raised"]
    if raised and not (exp_raised and raised.get("type") == exp_raised["type"]):
        _expect_no_raise(got, called, _raise_hint(str(raised.get("message", "")), hint))
    if exp_raised and not raised:
        fail(f"the {exp_raised['type']} raised by a callback did not reach the caller of fit", called=called,
             expected=f"<fit raises {exp_raised['type']}>", got="<fit returned normally>", hint=hint)
    if not isinstance(got["events"], list):
        fail("the answer cannot be graded", called=called, expected="<a list of events>",
             got=f"<a {type(got['events']).__name__}>")
    _compare_events(got["events"], exp["events"], called, hint)
    _expect_list(got["losses"], len(exp["losses"]), called, "losses seen at after_loss")
    expect_close(got["losses"], exp["losses"], rtol=1e-5, atol=1e-7, called=called,
                 summary="the losses seen at after_loss differ from the reference loop", hint=hint)
    _expect_list(got["weights"], len(exp["weights"]), called, "parameter tensors")
    expect_close(got["weights"], exp["weights"], rtol=1e-5, atol=1e-7, called=called + ", then the model's weights",
                 summary="the trained weights differ from the reference loop",
                 hint="Same events, but the model trained differently. " + hint)


def _loop_check(student: Any, role: str) -> None:
    seed = _fresh_seed()
    for label, spec, hint_we, hint_ob in _LOOP_SCENARIOS:
        called = f"learn.fit(2) with your {role}: {label}"
        with labelled(called):
            got = probe(loop_run, student, role, spec, seed)
        exp = probe(loop_run, None, "reference", spec, seed)
        _judge_loop(got, exp, called, hint_we if role == "with_events" else hint_ob)


@check(points=3, timeout=20)
def with_events(student: Callable) -> None:
    """Your `with_events` fires before/after_cancel/after events and catches only its own stage's cancel exception."""
    _loop_check(student, "with_events")


@check(points=3, timeout=20)
def one_batch(student: Callable) -> None:
    """Your `one_batch` predicts, computes the loss, and when training runs backward and step, then zero_grad."""
    _loop_check(student, "one_batch")


# ----------------------------------------------------------------------------------------------------------------
# 3. TrainNoise: what the model receives, judged against the batches the grader knows
# ----------------------------------------------------------------------------------------------------------------

_NOISE_ROWS, _NOISE_TRAIN, _NOISE_BS = 640, 512, 128


def _noise_data(seed: int, two: bool) -> tuple:
    """Inputs far from mean 0 and variance 1 (20 columns, and 5 more as a second input), one target column."""
    import torch
    g = torch.Generator().manual_seed(seed)
    x1 = torch.randn(_NOISE_ROWS, 20, generator=g) * 2.5 + 3.0
    y = x1[:, :1] * 0.5 + torch.randn(_NOISE_ROWS, 1, generator=g)
    if not two:
        return x1, y
    return x1, torch.randn(_NOISE_ROWS, 5, generator=g) * 0.3 - 2.0, y


@functools.lru_cache(maxsize=None)
def _noise_classes() -> dict:
    from torch import nn
    ref = _ref()

    class Watched(nn.Module):
        """A linear model that keeps a copy of every input it is called with."""

        def __init__(self, two: bool):
            super().__init__()
            self.lin1, self.lin2 = nn.Linear(20, 1), (nn.Linear(5, 1) if two else None)
            self.inputs = []

        def forward(self, x1, *rest):
            self.inputs.append([x.detach().clone() for x in (x1, *rest)])
            if len(rest) != (1 if self.lin2 is not None else 0):
                raise TypeError(f"the model takes {2 if self.lin2 is not None else 1} inputs, got {1 + len(rest)}")
            return self.lin1(x1) + (self.lin2(rest[0]) if rest else 0)

    class Spy(ref.Callback):
        """Notes the phase of each batch (first of all callbacks) and the batch as the model was called with it."""
        order = -1000

        def __init__(self):
            self.phases, self.batches = [], []

        def before_batch(self):
            self.phases.append(bool(self.learn.training))

        def after_pred(self):
            xb, yb = self.learn.xb, self.learn.yb
            self.batches.append({"xb_type": type(xb).__name__, "xb_len": len(xb) if hasattr(xb, "__len__") else -1,
                                 "yb": [y.detach().clone() for y in yb]})
    return {"model": Watched, "spy": Spy}


def noise_run(make: Any, std: float, seed: int, two: bool) -> dict:
    """Probe: fit one epoch with the callback `make(std)`; the inputs the model got, each batch's phase, learn.xb's
    kind and learn.yb at after_pred, and the dataset's tensors afterwards (the loader hands out views of them)."""
    import torch
    from torch import nn
    ref, classes = _ref(), _noise_classes()
    data = _noise_data(seed, two)
    torch.manual_seed(seed)
    model, spy = classes["model"](two), classes["spy"]()
    dls = _Loaders(_batches(data, 0, _NOISE_TRAIN, _NOISE_BS), _batches(data, _NOISE_TRAIN, _NOISE_ROWS, _NOISE_BS),
                   2 if two else 1)
    raised = None
    try:
        cb = make(std)
        learn = ref.Learner(dls, model, loss_func=nn.MSELoss(), lr=1e-3, cbs=[spy, cb], progress=False)
        learn.fit(1)
    except Exception as err:  # noqa: BLE001  reported as data
        raised = _raised(err)
    return {"inputs": model.inputs, "phases": spy.phases, "batches": spy.batches, "data": list(data),
            "raised": raised}


def _corr(a: Any, b: Any) -> float:
    import torch
    a, b = a.flatten().double(), b.flatten().double()
    a, b = a - a.mean(), b - b.mean()
    denom = float(torch.sqrt((a * a).sum() * (b * b).sum()))
    return float((a * b).sum()) / denom if denom > 0 else 1.0


_NOISE_RUNS = ((0.5, False), (2.0, True))


@check(points=2, timeout=20)
def train_noise(TrainNoise: type) -> None:
    """Your `TrainNoise(std)` adds fresh noise of that std to the first input of training batches only, keeping
    learn.xb a tuple, the other inputs, the targets and the dataset untouched."""
    import torch
    seed = _fresh_seed()
    for std, two in _NOISE_RUNS:
        called = (f"learn.fit(1, cbs=TrainNoise({std})) on 4 training and 1 validation batches of 128 rows "
                  f"({'two inputs: 20 and 5 columns' if two else 'one input of 20 columns'}, mean 3, std 2.5)")
        with labelled(called):
            got = probe(noise_run, TrainNoise, std, seed, two)
        _expect_keys(got, ("inputs", "phases", "batches", "data", "raised"), called)
        message = str(got["raised"].get("message", "")) if isinstance(got["raised"], dict) else ""
        _expect_no_raise(got, called, _raise_hint(message, "learn.xb must stay a tuple of tensors with as many "
                                                           "inputs as before: the other callbacks and the model rely "
                                                           "on it."))
        data = _noise_data(seed, two)
        n_inp = 2 if two else 1
        n_batches = _NOISE_ROWS // _NOISE_BS
        for what in ("inputs", "phases", "batches"):
            _expect_list(got[what], n_batches, called, f"batches seen ({what})")
        expect_true(got["phases"] == [True] * 4 + [False], "the batches did not run as training then validation",
                    called=called, got=got["phases"], hint="TrainNoise only edits batches: it cancels nothing.")
        noise, inputs = [], []
        for b, (training, seen, info) in enumerate(zip(got["phases"], got["inputs"], got["batches"])):
            phase = f"{'training' if training else 'validation'} batch {b if training else 0}"
            _expect_keys(info, ("xb_type", "xb_len", "yb"), called + f", {phase}")
            lo = b * _NOISE_BS
            orig = [t[lo:lo + _NOISE_BS] for t in data[:n_inp]]
            expect_true(info.get("xb_type") == "tuple" and info.get("xb_len") == n_inp,
                        "learn.xb is no longer a tuple of the batch's inputs", called=called + f", {phase}",
                        expected=f"<a tuple of {n_inp} tensor{'s' if two else ''}>",
                        got=f"<a {info.get('xb_type')} of length {info.get('xb_len')}>",
                        hint="Replace learn.xb by a new tuple holding every input of the batch: the model is called "
                             "with the tuple unpacked, one argument per input.")
            _expect_list(seen, n_inp, called + f", {phase}", "inputs given to the model")
            expect_close(info["yb"], [data[-1][lo:lo + _NOISE_BS]], rtol=0, atol=0, called=called + f", {phase}",
                         summary="the targets changed",
                         hint="Only the first input gets noise: learn.yb stays as it is.")
            for k in range(1 if training else 0, n_inp):
                expect_close(seen[k], orig[k], rtol=0, atol=0, called=called + f", {phase}, input {k}",
                             summary=f"{'the second input' if k else 'a validation batch'} changed",
                             hint="Only the first input of a batch gets noise; the others pass unchanged."
                             if k else "Validation batches stay untouched: the noise is for training batches only.")
            if training:
                x = seen[0]
                expect_true(isinstance(x, torch.Tensor) and x.shape == orig[0].shape and x.dtype == orig[0].dtype,
                            "the noisy input changed shape or type", called=called + f", {phase}",
                            expected=f"<a {orig[0].dtype} tensor of shape {tuple(orig[0].shape)}>",
                            got=f"<{getattr(x, 'dtype', type(x).__name__)} of shape "
                                f"{tuple(getattr(x, 'shape', ()))}>",
                            hint="Noise of the input's own shape and dtype, added to it.")
                noise.append(x - orig[0])
                inputs.append(orig[0])
        changed = first_difference(got["data"], list(data))
        if changed is not None:
            fail("the dataset itself changed", called=called + ", then the dataset's tensors", where=changed,
                 hint="The batch's tensors may be views of the dataset: add the noise into a new tensor, never in "
                      "place, or the data drifts a little more every epoch.")
        _judge_noise(torch.stack(noise), torch.stack(inputs), std, called)


def _judge_noise(noise: Any, inputs: Any, std: float, called: str) -> None:
    """Statistics of the noise added to 4 training batches of 128 x 20 (10240 numbers)."""
    if float(noise.abs().max()) == 0:
        fail("no noise on the training batches", called=called,
             hint="Training batches get Gaussian noise of standard deviation std on their first input.")
    kept = _corr(noise + inputs, inputs)
    expect_true(kept > 0.3, "the inputs were replaced, not perturbed", called=called,
                got=f"<correlation between the inputs before and after: {kept:.3f}>",
                hint="The noise is added to the input: the model still sees the input, slightly blurred.")
    checks = ((_corr(noise, inputs), "the noise depends on the input", "Add noise that does not depend on the input's "
                                                                       "values: the same kind for every element."),
              (_corr(noise[0], noise[1]), "two batches got the same noise",
               "Draw fresh noise for every batch (no fixed seed, no noise kept from an earlier batch)."),
              (_corr(noise[:, :64], noise[:, 64:]), "rows share their noise",
               "Every element gets its own noise: draw it with the input's full shape."),
              (_corr(noise[:, :, :10], noise[:, :, 10:]), "columns share their noise",
               "Every element gets its own noise: draw it with the input's full shape."))
    for corr, summary, hint in checks:
        expect_true(abs(corr) < 0.15, summary, called=called, got=f"<correlation {corr:.3f}, expected about 0>",
                    hint=hint)
    mean, spread = float(noise.mean()), float(noise.std())
    expect_true(abs(mean) < 0.05 * std, "the noise is not centred on 0", called=called,
                got=f"<mean of the added noise {mean:.4g}>", hint="Gaussian noise with mean 0, added to the input.")
    expect_close(spread, std, rtol=0.05, called=called + ", standard deviation of the added noise",
                 hint=f"The added noise must have standard deviation std={std} (not std squared, not scaled by the "
                      f"input's own size or spread), independently of the input.")


# ----------------------------------------------------------------------------------------------------------------
# 4. EarlyStopping: driven epoch by epoch on chosen losses, and in a real fit
# ----------------------------------------------------------------------------------------------------------------

class _Stub:
    """Just enough of a Learner (or a Recorder) for driving a callback by hand."""

    def __init__(self, **kw: Any) -> None:
        self.__dict__.update(kw)


def _reference_early_stopping(patience: int) -> Any:
    return _ref().EarlyStoppingCallback(patience=patience)


def _quiet(make: Any):
    """The reference announces its stop on stdout: keep that out of the notes (a student's prints stay)."""
    return contextlib.redirect_stdout(io.StringIO()) if make is _reference_early_stopping else contextlib.nullcontext()


def early_stub_run(make: Any, cases: list) -> dict:
    """Probe: for each (patience, fits), one callback `make(patience)` fed each fit's rows [train_loss, valid_loss,
    mae] after each epoch; how each fit ended."""
    import torch
    ref = _ref()
    out = []
    for patience, fits in cases:
        rec = _Stub(values=[], metric_names=["epoch", "train_loss", "valid_loss", "mae", "time"])
        learn = _Stub(recorder=rec, epoch=0, training=False, n_epoch=0, loss=None)
        try:
            cb = make(patience)
            cb.learn = learn
            ends = []
            for rows in fits:
                rec.values, learn.n_epoch, learn.epoch = [], len(rows), 0
                with _quiet(make):
                    cb("before_fit")
                end = f"ran all {len(rows)} epochs"
                for epoch, row in enumerate(rows):
                    learn.epoch, learn.loss = epoch, torch.tensor(row[0] * 0.9)
                    rec.values.append(list(row))
                    try:
                        with _quiet(make):
                            cb("after_epoch")
                    except ref.CancelFitException:
                        end = f"stopped the fit after epoch {epoch}"
                        break
                    except (ref.CancelEpochException, ref.CancelTrainException, ref.CancelValidException,
                            ref.CancelBatchException, ref.CancelStepException, ref.CancelBackwardException) as err:
                        end = f"raised {type(err).__name__} after epoch {epoch}"
                        break
                ends.append(end)
            out.append(ends)
        except Exception as err:  # noqa: BLE001  reported as data
            return {"ends": out, "raised": _raised(err)}
    return {"ends": out, "raised": None}


@functools.lru_cache(maxsize=None)
def _feeder_class() -> type:
    ref = _ref()

    class Feeder(ref.Callback):
        """Writes chosen validation losses into the Recorder's row (same order as the Recorder, added after it)."""
        order = 50

        def __init__(self, losses):
            self.losses, self.started = losses, []

        def before_epoch(self):
            self.started.append(self.learn.epoch)

        def after_epoch(self):
            self.learn.recorder.values[-1][1] = self.losses[self.learn.epoch]
    return Feeder


def early_fit_run(make: Any, patience: int, losses: list, seed: int) -> dict:
    """Probe: a real fit of len(losses) epochs whose recorded validation losses are `losses`, with `make(patience)`;
    the epochs that started and the events that ended the fit."""
    ref = _ref()
    feeder = _feeder_class()(list(losses))
    log = _recorders()["log"]()
    raised = None
    try:
        learn = _loop_learner(seed, False, [feeder, make(patience), log], ref.Learner)
        with _quiet(make):
            learn.fit(len(losses))
    except Exception as err:  # noqa: BLE001  reported as data
        raised = _raised(err)
    return {"started": feeder.started, "ending": [e for e in log.events if e.endswith("_fit")], "raised": raised}


def class_order(cls: Any) -> Any:
    """Probe: the class's `order`."""
    return getattr(cls, "order", None)


_NAN = float("nan")
_STOP_CASES = (  # (patience, the validation losses of each fit): ties, NaN, and state carried between fits
    (1, ((1.0, 0.9, 0.95, 0.8, 0.7),)),
    (2, ((1.0, 0.9, 0.95, 0.8, 0.85, 0.86, 0.5),)),
    (2, ((1.0, 0.9, 0.95, 0.96, 0.97),)),
    (1, ((1.0, 1.0, 0.5),)),                          # equal is not better
    (2, ((0.8, 0.7, 0.7, 0.7, 0.6),)),                # a run of ties
    (3, ((2.0, 1.0, 1.1, 0.9, 1.2, 1.3, 1.4, 0.1),)),
    (2, ((1.0, 1.5, 1.2, 1.1, 1.05),)),               # it recovers, but stays above the best
    (4, ((1.0, 1.1, 1.2),)),                          # patience longer than the fit
    (1, ((1.0, _NAN, 0.5),)),                         # NaN is never an improvement
    (2, ((_NAN, 1.0, _NAN, 1.2, 0.9),)),
    (1, ((1.0, 0.5, 0.6), (0.9, 0.8, 0.7))),          # the best value is forgotten between fits
    (2, ((1.0, 1.1), (_NAN, 0.9, 1.0, 1.1))),         # and so is the count
)


def _random_stop_cases(seed: int) -> list:
    """Random walks of losses rounded to 0.1 (many ties), some NaN, some callbacks used for two fits."""
    rng = random.Random(seed)
    cases = []
    for _ in range(10):
        fits = []
        for _ in range(rng.choice((1, 1, 2))):
            v, losses = round(rng.uniform(0.8, 2.0), 1), []
            for _ in range(rng.randint(3, 9)):
                v = round(max(v + rng.choice((-0.2, -0.1, -0.1, 0.0, 0.0, 0.1, 0.2)), 0.1), 1)
                losses.append(_NAN if rng.random() < 0.08 else v)
            fits.append(losses)
        cases.append((rng.randint(1, 3), tuple(fits)))
    return cases


def _rows(losses: list, rng: random.Random) -> list:
    """[train_loss, valid_loss, mae] per epoch: the other columns move on their own (the train loss keeps falling)."""
    return [[round(2.0 - 0.1 * i, 2), v, round(rng.uniform(0.1, 3.0), 3)] for i, v in enumerate(losses)]


def _losses_text(fits: tuple) -> str:
    return " then, in a new fit, ".join("[" + ", ".join("nan" if math.isnan(v) else f"{v:g}" for v in f) + "]"
                                        for f in fits)


@check(points=2, timeout=20)
def early_stopping(EarlyStopping: type) -> None:
    """Your `EarlyStopping(patience)` stops the fit like the reference, on the same validation losses."""
    ref = _ref()
    seed = _fresh_seed()
    order = probe(class_order, EarlyStopping)
    expect_true(isinstance(order, (int, float)) and not isinstance(order, bool) and order > ref.Recorder.order,
                "the callback does not run after the Recorder", called="EarlyStopping.order", got=order,
                expected=f"<a number larger than the Recorder's order, {ref.Recorder.order}>",
                hint="Callbacks run by increasing order; after_epoch must read the row the Recorder has just written.")
    rng = random.Random(seed)
    cases = [(p, fits) for p, fits in _STOP_CASES] + _random_stop_cases(seed)
    fed = [(p, [_rows(f, rng) for f in fits]) for p, fits in cases]
    got = probe(early_stub_run, EarlyStopping, fed)
    exp = probe(early_stub_run, _reference_early_stopping, fed)
    _expect_keys(got, ("ends", "raised"), "EarlyStopping driven epoch by epoch")
    _expect_no_raise(got, "EarlyStopping(patience) fed the rows [train_loss, valid_loss, mae] after each epoch",
                     "The latest row of the Recorder is its last entry in recorder.values: [train_loss, valid_loss, "
                     "*metrics].")
    _expect_list(got["ends"], len(cases), "EarlyStopping driven epoch by epoch", "cases answered")
    for (patience, fits), ends, expected in zip(cases, got["ends"], exp["ends"]):
        called = f"EarlyStopping(patience={patience}) fed the validation losses {_losses_text(fits)}"
        _expect_list(ends, len(fits), called, "fits")
        if ends != expected:
            fail("the fit ended differently", called=called, expected=expected, got=ends,
                 hint=_early_hint(patience, fits, ends, expected))
    for patience, losses in ((2, (1.0, 0.8, 0.9, 0.85, 0.7, 0.75, 0.76)), (1, (0.5, 0.5, 0.4))):
        called = f"learn.fit({len(losses)}, cbs=EarlyStopping({patience})) with validation losses {list(losses)}"
        with labelled(called):
            got = probe(early_fit_run, EarlyStopping, patience, list(losses), seed)
        exp = probe(early_fit_run, _reference_early_stopping, patience, list(losses), seed)
        _expect_keys(got, ("started", "ending", "raised"), called)
        _expect_no_raise(got, called, "In a real fit, after_epoch reads the row the Recorder has just written.")
        if got["started"] != exp["started"] or got["ending"] != exp["ending"]:
            fail("the fit ran a different number of epochs", called=called,
                 expected=f"<epochs {exp['started']}, then {' -> '.join(exp['ending'])}>",
                 got=f"<epochs {got['started']}, then {' -> '.join(map(str, got['ending']))}>",
                 hint="Stop the whole fit, through the fit's own cancel exception, once patience epochs in a row "
                      "brought no strict improvement.")


def _early_hint(patience: int, fits: tuple, ends: list, expected: list) -> str:
    if any(e.startswith("raised") for e in ends):
        return "Stop with the fit's cancel exception: the other cancel exceptions only skip part of an epoch."
    if len(fits) > 1 and ends[0] == expected[0]:
        return ("Every fit starts afresh: reset the best value and the count of epochs without improvement in "
                "before_fit.")
    if any(math.isnan(v) for f in fits for v in f):
        return "A NaN loss is never an improvement: it counts as an epoch without improvement (compare carefully)."
    flat = [v for f in fits for v in f]
    if any(a == b for a, b in zip(flat, flat[1:])):
        return "An equal loss is not an improvement: only a strictly lower value resets the count."
    return (f"Count the epochs since the validation loss (the second column of the row) last got strictly lower; "
            f"stop when that count reaches patience ({patience}).")


# ----------------------------------------------------------------------------------------------------------------
# 5. GradClip: the gradients the optimizer actually uses, in a real fit
# ----------------------------------------------------------------------------------------------------------------

@functools.lru_cache(maxsize=None)
def _clip_classes() -> dict:
    import torch
    from torch import nn
    ref = _ref()

    class ClipNet(nn.Module):
        """Three linear layers; the last one's weight is frozen, and one more layer is never used (no gradient)."""

        def __init__(self):
            super().__init__()
            self.lin1, self.lin2, self.lin3, self.unused = nn.Linear(4, 3), nn.Linear(3, 2), nn.Linear(2, 2), \
                nn.Linear(2, 2)
            self.lin3.weight.requires_grad_(False)

        def forward(self, x):
            return self.lin3(self.lin2(torch.relu(self.lin1(x))))

    class SetGrads(ref.Callback):
        """After the backward pass, gives every gradient chosen values with a chosen global norm (twice `norms`)."""
        order = 10

        def __init__(self, seed, norms):
            self.seed, self.norms, self.count = seed, norms, 0

        def after_backward(self):
            params = [p for p in self.learn.model.parameters() if p.grad is not None]
            g = torch.Generator().manual_seed(self.seed * 31 + self.count)
            new = [torch.randn(p.shape, generator=g) * float(torch.rand(1, generator=g) * 3 + 0.2) for p in params]
            total = math.sqrt(sum(float((t ** 2).sum()) for t in new))
            for p, t in zip(params, new):
                p.grad.copy_(t * (2 * self.norms[self.count % len(self.norms)] / total))
            self.count += 1

    class Halve(ref.Callback):
        """Halves the gradients at before_step, before GradClip (as unscaling does in mixed precision)."""
        order = -50

        def before_step(self):
            for p in self.learn.model.parameters():
                if p.grad is not None:
                    p.grad.mul_(0.5)

    class StepSpy(ref.Callback):
        """Keeps a copy of the gradients each time the optimizer steps."""
        order = -1000

        def __init__(self):
            self.steps = []

        def before_fit(self):
            opt, step = self.learn.opt, self.learn.opt.step
            model = self.learn.model

            def spied(*args, **kwargs):
                self.steps.append([None if p.grad is None else p.grad.detach().clone() for p in model.parameters()])
                return step(*args, **kwargs)
            opt.step = spied
    return {"net": ClipNet, "set": SetGrads, "halve": Halve, "spy": StepSpy}


def _clip_split(model: Any) -> list:
    return [list(model.lin1.parameters()), [p for n, p in model.named_parameters()
                                            if not n.startswith("lin1.") and p.requires_grad]]


def clip_run(make: Any, max_norm: float, seed: int, norms: list) -> dict:
    """Probe: fit 2 epochs of 3 training batches with `make(max_norm)` (plain SGD, two parameter groups), the
    gradients set to chosen values; the gradients the optimizer used at each step, and the final weights."""
    import torch
    from torch import nn
    ref, classes = _ref(), _clip_classes()
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(32, 4, generator=g) * 2.0
    y = torch.randn(32, 2, generator=g)
    torch.manual_seed(seed)
    spy = classes["spy"]()
    raised = None
    model = classes["net"]()
    try:
        cbs = [spy, classes["set"](seed, list(norms)), classes["halve"](), make(max_norm)]
        learn = ref.Learner(_Loaders(_batches((x, y), 0, 24, 8), _batches((x, y), 24, 32, 8), 1), model,
                            loss_func=nn.MSELoss(), opt_func=ref.SGD, lr=0.1, splitter=_clip_split, cbs=cbs,
                            progress=False)
        learn.fit(2)
    except Exception as err:  # noqa: BLE001  reported as data
        raised = _raised(err)
    return {"steps": spy.steps, "weights": [p.detach().clone() for p in model.parameters()], "raised": raised}


_PARAM_NAMES = ("lin1.weight", "lin1.bias", "lin2.weight", "lin2.bias", "lin3.weight (frozen)", "lin3.bias",
                "unused.weight (not used by forward)", "unused.bias (not used by forward)")


@check(points=2, timeout=20)
def grad_clip(GradClip: type) -> None:
    """Your `GradClip(max_norm)` scales all gradients together in before_step when their global norm is too big."""
    seed = _fresh_seed()
    for max_norm in (1.0, 0.25, 4.0):
        # global norms the optimizer would see without clipping, one per training batch: above, below, just above
        norms = [10 * max_norm, 0.5 * max_norm, 1.3 * max_norm, 3 * max_norm, 0.9 * max_norm, 200 * max_norm]
        called = f"learn.fit(2, cbs=GradClip({max_norm:g})), gradients of global norm " + \
                 ", ".join(f"{n:g}" for n in norms) + " at the 6 steps"
        with labelled(called):
            got = probe(clip_run, GradClip, max_norm, seed, norms)
        exp = probe(clip_run, _ref().GradientClip, max_norm, seed, norms)
        _expect_keys(got, ("steps", "weights", "raised"), called)
        message = str(got["raised"].get("message", "")) if isinstance(got["raised"], dict) else ""
        _expect_no_raise(got, called, "Some parameters have no gradient (.grad is None): a frozen one, and one the "
                                      "forward pass did not use. Leave them out." if "NoneType" in message else
                                      "GradClip only rescales the gradients of the model's parameters, in before_step.")
        _expect_list(got["steps"], len(exp["steps"]), called, "optimizer steps")
        for k, (grads, expected) in enumerate(zip(got["steps"], exp["steps"])):
            at = f"{called}: the gradients used by step {k}"
            _expect_list(grads, len(expected), at, "gradients")
            for name, gr, ex in zip(_PARAM_NAMES, grads, expected):
                if (gr is None) != (ex is None):
                    fail("a gradient appeared or disappeared", called=at + f", {name}", expected=ex, got=gr,
                         hint="Scale the existing gradients; parameters without one keep none.")
            pairs = [(gr, ex) for gr, ex in zip(grads, expected) if ex is not None]
            where = first_bad = None
            for name, (gr, ex) in zip([n for n, e in zip(_PARAM_NAMES, expected) if e is not None], pairs):
                if not _close(gr, ex):
                    first_bad, where = (gr, ex), name
                    break
            if first_bad is not None:
                expect_close(first_bad[0], first_bad[1], rtol=1e-5, atol=1e-7, called=at + f", {where}",
                             summary="the optimizer got different gradients",
                             hint=_clip_hint(pairs, norms[k], max_norm))
        _expect_list(got["weights"], len(exp["weights"]), called, "parameter tensors")
        expect_close(got["weights"], exp["weights"], rtol=1e-5, atol=1e-7, called=called + ", then the weights",
                     summary="the trained weights differ", hint="Only the gradients change; the weights are the "
                                                                "optimizer's business.")


def _close(a: Any, b: Any) -> bool:
    import torch
    return isinstance(a, torch.Tensor) and a.shape == b.shape and bool(torch.allclose(a.double(), b.double(),
                                                                                      rtol=1e-5, atol=1e-7))


def _clip_hint(pairs: list, norm: float, max_norm: float) -> str:
    """Name the usual mistake from the gradients the optimizer got at one step."""
    import torch
    if not all(isinstance(g, torch.Tensor) and g.shape == e.shape for g, e in pairs):
        return "Keep every gradient a tensor of its parameter's shape."
    got = torch.cat([g.flatten().double() for g, _ in pairs])
    exp = torch.cat([e.flatten().double() for _, e in pairs])
    got_norm = float(got.norm())
    same_direction = float(got @ exp) / max(got_norm * float(exp.norm()), 1e-30) > 1 - 1e-6
    if norm <= max_norm:
        return "The global norm is already at most max_norm here: leave the gradients as they are."
    if math.isclose(got_norm, norm, rel_tol=1e-4):
        return ("The optimizer got the gradients unclipped: clip at before_step, right before the step (after_step is "
                "too late, and at after_backward other callbacks may still change them).")
    if not same_direction:
        return ("The direction of the gradients changed: one factor for all of them together, computed from the norm "
                "of all gradient entries at once, not one per tensor or per element.")
    return ("Right direction, wrong size: the global norm is the square root of the sum of every squared gradient "
            "entry; when it is above max_norm, all gradients are scaled so that it becomes max_norm.")
