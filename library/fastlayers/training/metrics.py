"""Lesson 07 (course/07_metrics.ipynb, exercises/07_metrics/):
Metrics: objects that accumulate over the batches of a validation pass and report one value."""
from __future__ import annotations

from typing import Any, Callable

import torch

__all__ = ["Metric", "AvgMetric", "AvgLoss", "AvgSmoothLoss", "AccumMetric", "accuracy", "error_rate",
           "skm_metric", "F1Score", "Precision", "Recall", "RocAuc", "find_bs"]


def find_bs(b: tuple) -> int:
    """The batch size of a tuple of tensors: the length of its first element."""
    return len(b[0])


class Metric:
    """The metric API: `reset()` before a pass, `accumulate(learn)` after each batch, `value` at the end."""

    def reset(self) -> None:
        """Forget everything accumulated (called before each pass)."""
        raise NotImplementedError

    def accumulate(self, learn: Any) -> None:
        """Take in one batch: read `learn.pred`, `learn.yb`, `learn.loss`."""
        raise NotImplementedError

    @property
    def value(self) -> Any:
        """The metric over everything accumulated since `reset` (None when nothing was)."""
        raise NotImplementedError

    @property
    def name(self) -> str:
        """Column name in the results table: the class name in snake_case."""
        from .callback import snake_name
        return snake_name(type(self).__name__)


class AvgMetric(Metric):
    """Averages `func(pred, *yb)` over batches, weighting each batch by its size."""

    def __init__(self, func: Callable) -> None:
        self.func = func
        self.reset()

    def reset(self) -> None:
        self.total, self.count = 0.0, 0

    def accumulate(self, learn: Any) -> None:
        bs = find_bs(learn.yb)
        self.total += float(self.func(learn.pred, *learn.yb)) * bs
        self.count += bs

    @property
    def value(self) -> float | None:
        return self.total / self.count if self.count else None

    @property
    def name(self) -> str:
        return getattr(self.func, "func", self.func).__name__


class AvgLoss(Metric):
    """The batch-size-weighted mean of the loss."""

    def reset(self) -> None:
        self.total, self.count = 0.0, 0

    def accumulate(self, learn: Any) -> None:
        bs = find_bs(learn.yb)
        self.total += learn.loss.detach().float() * bs   # stays a tensor: no device sync per batch
        self.count += bs

    @property
    def value(self) -> float | None:
        return float(self.total / self.count) if self.count else None

    @property
    def name(self) -> str:
        return "loss"


class AvgSmoothLoss(Metric):
    """Exponential moving average of the loss, debiased so early values are not pulled towards 0."""

    def __init__(self, beta: float = 0.98) -> None:
        self.beta = beta
        self.reset()

    def reset(self) -> None:
        self.count, self.val = 0, 0.0

    def accumulate(self, learn: Any) -> None:
        # Plain floats: a few Python operations per batch cost far less than tensor ops on a tiny scalar.
        self.count += 1
        self.val = self.beta * self.val + (1 - self.beta) * float(learn.loss)

    @property
    def value(self) -> float | None:
        # None before the first batch, like every metric: there is nothing to average yet.
        return self.val / (1 - self.beta ** self.count) if self.count else None

    @property
    def name(self) -> str:
        return "smooth_loss"


class AccumMetric(Metric):
    """Stores every prediction and target of the pass and computes `func(targs, preds)` once at the end."""

    def __init__(self, func: Callable, dim_argmax: int | None = -1, activation: str | None = None,
                 thresh: float | None = None, to_np: bool = True, invert_arg: bool = True,
                 name: str | None = None, **kwargs: Any) -> None:
        self.func, self.dim_argmax, self.activation, self.thresh = func, dim_argmax, activation, thresh
        self.to_np, self.invert_arg, self.kwargs = to_np, invert_arg, kwargs
        self._name = name or getattr(func, "__name__", "metric")
        self.reset()

    def reset(self) -> None:
        self.preds, self.targs = [], []

    def accumulate(self, learn: Any) -> None:
        pred = learn.pred.detach()
        if self.activation == "softmax":
            pred = torch.softmax(pred.float(), dim=-1)
        elif self.activation == "sigmoid":
            pred = torch.sigmoid(pred.float())
        if self.dim_argmax is not None:
            pred = pred.argmax(dim=self.dim_argmax)
        if self.thresh is not None:
            pred = (pred >= self.thresh)
        self.preds.append(pred.cpu())
        self.targs.append(learn.yb[0].detach().cpu())

    @property
    def value(self) -> Any:
        if not self.preds:
            return None
        preds, targs = torch.cat(self.preds), torch.cat(self.targs)
        if self.to_np:
            preds, targs = preds.numpy(), targs.numpy()
        return self.func(targs, preds, **self.kwargs) if self.invert_arg else self.func(preds, targs, **self.kwargs)

    @property
    def name(self) -> str:
        return self._name


def accuracy(inp: torch.Tensor, targ: torch.Tensor, axis: int = -1) -> torch.Tensor:
    """Fraction of rows whose argmax equals the target."""
    if inp.shape[:-1] != targ.shape:
        raise ValueError(f"accuracy: predictions of shape {tuple(inp.shape)} do not match targets of shape "
                         f"{tuple(targ.shape)}; expected predictions (N, n_classes) and targets (N,)")
    return (inp.argmax(dim=axis) == targ).float().mean()


def error_rate(inp: torch.Tensor, targ: torch.Tensor, axis: int = -1) -> torch.Tensor:
    """1 - accuracy."""
    return 1 - accuracy(inp, targ, axis)


def skm_metric(func: Callable, is_class: bool = True, thresh: float | None = None, axis: int = -1,
               activation: str | None = None, **kwargs: Any) -> AccumMetric:
    """Wrap a scikit-learn metric `func(y_true, y_pred, **kwargs)` as a metric computed once per pass."""
    return AccumMetric(func, dim_argmax=axis if is_class and thresh is None else None, activation=activation,
                       thresh=thresh, **kwargs)


def _skm(name: str) -> Callable:
    import sklearn.metrics  # imported on use: it is slow to import
    return getattr(sklearn.metrics, name)


def F1Score(average: str = "binary", pos_label: int = 1, labels: Any = None) -> AccumMetric:
    """F1 over the whole pass (not an average of per-batch F1s)."""
    return skm_metric(_skm("f1_score"), average=average, pos_label=pos_label, labels=labels, name="f1_score")


def Precision(average: str = "binary", pos_label: int = 1, labels: Any = None) -> AccumMetric:
    """Precision over the whole pass."""
    return skm_metric(_skm("precision_score"), average=average, pos_label=pos_label, labels=labels,
                      name="precision_score")


def Recall(average: str = "binary", pos_label: int = 1, labels: Any = None) -> AccumMetric:
    """Recall over the whole pass."""
    return skm_metric(_skm("recall_score"), average=average, pos_label=pos_label, labels=labels,
                      name="recall_score")


def _positive_prob(targs: Any, probs: Any) -> float:
    return _skm("roc_auc_score")(targs, probs[:, 1] if probs.ndim == 2 and probs.shape[1] == 2 else probs,
                                 **({"multi_class": "ovr"} if probs.ndim == 2 and probs.shape[1] > 2 else {}))


def RocAuc() -> AccumMetric:
    """ROC AUC from the softmax probabilities of the whole pass (binary or one-vs-rest)."""
    return AccumMetric(_positive_prob, dim_argmax=None, activation="softmax", name="roc_auc_score")
