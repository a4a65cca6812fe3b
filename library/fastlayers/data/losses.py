"""Default loss functions that flatten predictions and targets, so one loss fits (N,C) and (N,...,C) outputs."""
from __future__ import annotations

import torch
import torch.nn.functional as F

__all__ = ["CrossEntropyLossFlat", "BCEWithLogitsLossFlat", "MSELossFlat"]


class CrossEntropyLossFlat:
    """Cross-entropy over class axis `axis` of the logits, for integer targets of any matching shape."""

    def __init__(self, axis: int = -1, reduction: str = "mean", **kwargs):
        self.axis, self.reduction, self.kwargs = axis, reduction, kwargs

    def __call__(self, logits: torch.Tensor, targ: torch.Tensor) -> torch.Tensor:
        logits = logits.transpose(self.axis, -1).reshape(-1, logits.shape[self.axis])
        return F.cross_entropy(logits.as_subclass(torch.Tensor), targ.reshape(-1).long().as_subclass(torch.Tensor),
                               reduction=self.reduction, **self.kwargs)

    def activation(self, logits: torch.Tensor) -> torch.Tensor:
        """Probabilities from logits."""
        return F.softmax(logits, dim=self.axis)

    def decodes(self, logits: torch.Tensor) -> torch.Tensor:
        """Predicted class ids."""
        return logits.argmax(dim=self.axis)

    def __repr__(self) -> str:
        return "CrossEntropyLossFlat()"


class BCEWithLogitsLossFlat:
    """Binary cross-entropy on logits for multi-label (one-hot float) targets, flattened."""

    def __init__(self, thresh: float = 0.5, reduction: str = "mean", **kwargs):
        self.thresh, self.reduction, self.kwargs = thresh, reduction, kwargs

    def __call__(self, logits: torch.Tensor, targ: torch.Tensor) -> torch.Tensor:
        return F.binary_cross_entropy_with_logits(logits.reshape(-1).as_subclass(torch.Tensor),
                                                  targ.reshape(-1).float().as_subclass(torch.Tensor),
                                                  reduction=self.reduction, **self.kwargs)

    def activation(self, logits: torch.Tensor) -> torch.Tensor:
        return torch.sigmoid(logits)

    def decodes(self, logits: torch.Tensor) -> torch.Tensor:
        return logits > self.thresh

    def __repr__(self) -> str:
        return "BCEWithLogitsLossFlat()"


class MSELossFlat:
    """Mean squared error between flattened predictions and flattened float targets."""

    def __init__(self, reduction: str = "mean"):
        self.reduction = reduction

    def __call__(self, pred: torch.Tensor, targ: torch.Tensor) -> torch.Tensor:
        return F.mse_loss(pred.reshape(-1).as_subclass(torch.Tensor), targ.reshape(-1).float().as_subclass(torch.Tensor),
                          reduction=self.reduction)

    def activation(self, pred: torch.Tensor) -> torch.Tensor:
        return pred

    def decodes(self, pred: torch.Tensor) -> torch.Tensor:
        return pred

    def __repr__(self) -> str:
        return "MSELossFlat()"
