"""Lesson 04 (course/04_learner_callbacks.ipynb, exercises/04_learner_callbacks/):
Callbacks: the events of the training loop, cancel exceptions, and the two default callbacks."""
from __future__ import annotations

import re
from typing import Any, Callable

import numpy as np
import torch

__all__ = ["EVENTS", "Callback", "CancelBatchException", "CancelTrainException", "CancelValidException",
           "CancelEpochException", "CancelStepException", "CancelBackwardException", "CancelFitException",
           "TrainEvalCallback", "CastToTensor"]

# Every event, in the order it can fire during one fit.
EVENTS = ("after_create before_fit before_epoch before_train before_batch after_pred after_loss "
          "before_backward after_cancel_backward after_backward before_step after_cancel_step after_step "
          "after_cancel_batch after_batch after_cancel_train after_train before_validate after_cancel_validate "
          "after_validate after_cancel_epoch after_epoch after_cancel_fit after_fit").split()


class CancelBatchException(Exception):
    """Raise in a callback to skip the rest of this batch."""


class CancelTrainException(Exception):
    """Raise in a callback to skip the rest of this training phase."""


class CancelValidException(Exception):
    """Raise in a callback to skip the rest of this validation phase."""


class CancelEpochException(Exception):
    """Raise in a callback to skip the rest of this epoch."""


class CancelStepException(Exception):
    """Raise in a callback to skip this optimizer step."""


class CancelBackwardException(Exception):
    """Raise in a callback to skip this backward pass."""


class CancelFitException(Exception):
    """Raise in a callback to stop training."""


_INNER_LOOP = frozenset("before_batch after_pred after_loss before_backward after_cancel_backward after_backward "
                       "before_step after_cancel_step after_step after_cancel_batch after_batch".split())

# Learner attributes a callback may replace (through `self.learn`) during a fit.
_LOOP_STATE = frozenset("xb yb pred loss loss_grad model opt dl dls epoch iter n_epoch n_iter training "
                        "train_iter pct_train loss_func".split())

_CANCELS = (CancelBatchException, CancelTrainException, CancelValidException, CancelEpochException,
            CancelStepException, CancelBackwardException, CancelFitException)


def snake_name(name: str) -> str:
    """`TrainEvalCallback` -> `train_eval`: the attribute name a callback gets on its Learner."""
    name = re.sub(r"Callback$", "", name) or name
    name = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", name)        # CSVLogger -> CSV_Logger
    return re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name).lower()  # TrainEval -> Train_Eval


class Callback:
    """Base class: define methods named after events; read (and through `self.learn`, replace) the Learner's state."""
    order: int = 0
    run_train: bool = True   # False: skip events while the learner is training
    run_valid: bool = True   # False: skip events while the learner is validating
    unique: bool = False     # True: adding one replaces any other of the same class
    learn: Any = None

    def __init__(self, **events: Callable[[], Any]) -> None:
        """`Callback(after_batch=f)`: a callback whose events call the given functions, with no arguments."""
        unknown = [e for e in events if e not in EVENTS]
        if unknown:
            raise TypeError(f"Callback({', '.join(f'{e}=...' for e in unknown)}): not an event; the events are "
                            f"{', '.join(EVENTS)}")
        bad = [e for e, f in events.items() if not callable(f)]
        if bad:
            raise TypeError(f"Callback({bad[0]}=...) needs a function to call, got {type(events[bad[0]]).__name__}")
        self._funcs = dict(events)

    def handles(self, event: str) -> bool:
        """Whether this callback does anything at `event` (a method of its class, or a function it was given)."""
        return hasattr(type(self), event) or event in self.__dict__.get("_funcs", ())

    @property
    def name(self) -> str:
        return snake_name(type(self).__name__)

    def __getattr__(self, attr: str) -> Any:
        # Reading `self.model`, `self.loss`, `self.xb`... goes to the Learner, so callbacks read like the loop.
        if attr.startswith("__") or attr == "learn":
            raise AttributeError(attr)
        learn = self.__dict__.get("learn", type(self).learn)
        if learn is not None and hasattr(learn, attr):
            return getattr(learn, attr)
        raise AttributeError(f"{type(self).__name__} has no attribute {attr!r}")

    def __setattr__(self, attr: str, value: Any) -> None:
        # `self.loss = ...` in a callback would silently set the callback's own attribute; the loop would
        # never see it. Changing the Learner's state must be explicit: `self.learn.loss = ...`.
        learn = self.__dict__.get("learn")
        if attr in _LOOP_STATE and learn is not None:
            raise AttributeError(f"{type(self).__name__}: assign to self.learn.{attr}, not self.{attr} "
                                 f"(reading self.{attr} is fine; writing it would not change the training loop)")
        super().__setattr__(attr, value)

    def __call__(self, event: str) -> None:
        """Run the method for `event` if this callback has one, naming the callback and event in any error."""
        func = self.__dict__.get("_funcs", {}).get(event)   # a function given to __init__ wins, as in fastai
        method = getattr(type(self), event, None)
        if func is None and method is None:
            return
        if not (self.run_train and self.run_valid) and event in _INNER_LOOP:   # filters only per-batch events
            training = getattr(self.learn, "training", False)
            if (training and not self.run_train) or (not training and not self.run_valid):
                return
        try:
            func() if func is not None else method(self)
        except _CANCELS:
            raise
        except Exception as e:
            _name_in_error(e, f"{type(self).__name__}.{event}")
            raise

    def __repr__(self) -> str:
        funcs = self.__dict__.get("_funcs")
        return f"{type(self).__name__}({', '.join(funcs)})" if funcs else type(self).__name__


def _name_in_error(e: BaseException, where: str) -> None:
    """Prefix the exception's message with where it happened (keeping its type and traceback)."""
    prefix = f"in callback {where}: "
    if e.args and isinstance(e.args[0], str):
        if not e.args[0].startswith("in callback "):
            e.args = (prefix + e.args[0], *e.args[1:])
    else:
        e.args = (prefix + " ".join(map(repr, e.args)), *e.args[1:]) if e.args else (prefix.rstrip(": "),)


class TrainEvalCallback(Callback):
    """Puts the model in train/eval mode and counts progress (`pct_train`, `train_iter`, `epoch`)."""
    order, unique = -10, True

    def before_fit(self) -> None:
        self.learn.epoch, self.learn.pct_train, self.learn.train_iter = 0, 0.0, 0

    def after_batch(self) -> None:
        if not self.learn.training:
            return
        # Schedules read pct_train in before_batch, so the last batch sees 1 - 1/(n_iter*n_epoch), never 1.
        self.learn.pct_train += 1.0 / (self.learn.n_iter * self.learn.n_epoch)
        self.learn.train_iter += 1

    def before_train(self) -> None:
        self.learn.pct_train = self.learn.epoch / self.learn.n_epoch
        self.learn.model.train()
        self.learn.training = True

    def before_validate(self) -> None:
        self.learn.model.eval()
        self.learn.training = False


class CastToTensor(Callback):
    """Turns numpy arrays into tensors and semantic tensor subclasses into plain tensors (faster torch ops)."""
    order, unique = 9, True

    def before_batch(self) -> None:
        # only rebuild the batch when something needs casting
        if any(type(o) is not torch.Tensor for o in self.learn.xb + self.learn.yb):
            self.learn.xb = tuple(_plain(x) for x in self.learn.xb)
            self.learn.yb = tuple(_plain(y) for y in self.learn.yb)


def _plain(x: Any) -> Any:
    """A numpy array as a tensor, a tensor subclass as a plain torch.Tensor; anything else unchanged."""
    if isinstance(x, np.ndarray):
        return torch.as_tensor(x)
    if isinstance(x, torch.Tensor) and type(x) is not torch.Tensor:
        return x.as_subclass(torch.Tensor)
    return x
