"""Lesson 11 (course/11_interpretation.ipynb, exercises/11_interpretation/): interpreting a classifier: the confusion
matrix, the most confused pairs, the items with the highest loss."""
from __future__ import annotations

from typing import Any, Sequence

import torch

__all__ = ["ClassificationInterpretation", "confusion_matrix", "top_losses", "most_confused"]


def confusion_matrix(targs: torch.Tensor, decoded: torch.Tensor, n_classes: int) -> torch.Tensor:
    """`cm[actual, predicted]`: how many items of class `actual` were predicted as `predicted` (int64, n x n)."""
    targs, decoded = torch.as_tensor(targs).long().flatten(), torch.as_tensor(decoded).long().flatten()
    if len(targs) != len(decoded):
        raise ValueError(f"{len(targs)} targets but {len(decoded)} predictions: give one prediction per target")
    for name, ids in (("target", targs), ("prediction", decoded)):
        bad = ids[(ids < 0) | (ids >= n_classes)]
        if len(bad):
            raise ValueError(f"{name} class id {int(bad[0])} is outside 0..{n_classes - 1} (n_classes={n_classes})")
    # each (actual, predicted) pair is one cell of the flattened matrix: count them all at once
    return torch.bincount(targs * n_classes + decoded, minlength=n_classes * n_classes).view(n_classes, n_classes)


def top_losses(losses: torch.Tensor, k: int | None = None, largest: bool = True) -> tuple[torch.Tensor, torch.Tensor]:
    """(losses, indices) of the `k` items with the highest loss (lowest with `largest=False`); all items when `k`
    is None or larger than their number; equal losses keep their order (the lower index first)."""
    values, idx = torch.sort(losses, descending=largest, stable=True)
    k = len(losses) if k is None else min(k, len(losses))
    return values[:k], idx[:k]


def most_confused(cm: torch.Tensor, vocab: Sequence, min_val: int = 1) -> list[tuple]:
    """(actual, predicted, count) for every off-diagonal cell of `cm` with count >= `min_val`, the most frequent
    first; equal counts keep the matrix's row-by-row order."""
    n = len(cm)
    pairs = [(vocab[i], vocab[j], int(cm[i, j])) for i in range(n) for j in range(n) if i != j and cm[i, j] >= min_val]
    return sorted(pairs, key=lambda t: -t[2])  # sorted is stable: ties stay in row-major order


def _class_names(learn: Any, dl: Any, n: int) -> list:
    """Class names from the data's vocab, a torch dataset's `classes`, or else 0..n-1."""
    vocab = getattr(learn.dls, "vocab", None)
    if vocab is None:
        ds = getattr(dl, "dataset", None)
        vocab = getattr(ds, "classes", None) or getattr(ds, "vocab", None)
    if vocab is None:
        return list(range(n))
    vocab = list(vocab)
    if len(vocab) < n:
        raise ValueError(f"the vocab has {len(vocab)} classes but the model predicts {n}")
    return vocab


class ClassificationInterpretation:
    """Predictions, targets and per-item losses of a classifier on one loader, with ways to look at them."""

    def __init__(self, learn: Any, dl: Any, preds: torch.Tensor, targs: torch.Tensor, decoded: torch.Tensor,
                 losses: torch.Tensor) -> None:
        self.learn, self.dl, self.preds, self.targs, self.decoded, self.losses = learn, dl, preds, targs, decoded, losses
        self.vocab = _class_names(learn, dl, preds.shape[-1])

    @classmethod
    def from_learner(cls, learn: Any, ds_idx: int = 1, dl: Any = None) -> "ClassificationInterpretation":
        """Run `learn` on a loader (the validation set by default) and keep what it got."""
        if dl is None:
            dl = learn.dls.valid if ds_idx == 1 else learn.dls.train
        preds, targs, decoded, losses = learn.get_preds(dl=dl, with_decoded=True, with_loss=True)
        if targs is None:
            raise ValueError("interpretation needs targets, but the loader gave none")
        return cls(learn, dl, preds, targs, decoded, losses)

    def confusion_matrix(self) -> torch.Tensor:
        """`cm[actual, predicted]` counts."""
        return confusion_matrix(self.targs, self.decoded, len(self.vocab))

    def most_confused(self, min_val: int = 1) -> list[tuple]:
        """(actual, predicted, count) for off-diagonal cells with count >= min_val, most frequent first."""
        return most_confused(self.confusion_matrix(), self.vocab, min_val)

    def top_losses(self, k: int | None = None, largest: bool = True) -> tuple[torch.Tensor, torch.Tensor]:
        """(losses, indices) of the `k` items with the highest (or lowest) loss."""
        return top_losses(self.losses, k, largest)

    def print_classification_report(self) -> None:
        """Print precision, recall, F1 and support for every class (scikit-learn's `classification_report`)."""
        from sklearn.metrics import classification_report
        # zero_division=0: a class never predicted scores 0 instead of printing a warning to stderr
        print(classification_report(self.targs.long().numpy(), self.decoded.long().numpy(),
                                    labels=list(range(len(self.vocab))), target_names=[str(v) for v in self.vocab],
                                    zero_division=0))

    def plot_confusion_matrix(self, normalize: bool = False, cmap: str = "Blues") -> Any:
        """Heat map of the confusion matrix, counts written in the cells."""
        import matplotlib.pyplot as plt
        cm = self.confusion_matrix().float()
        if normalize:
            cm = cm / cm.sum(1, keepdim=True).clamp(min=1)
        fig, ax = plt.subplots(figsize=(max(4, len(cm) * 0.6),) * 2)
        ax.imshow(cm.numpy(), cmap=cmap)
        ticks = range(len(self.vocab))
        ax.set_xticks(ticks, [str(v) for v in self.vocab], rotation=90)
        ax.set_yticks(ticks, [str(v) for v in self.vocab])
        ax.set_xlabel("predicted")
        ax.set_ylabel("actual")
        for i in range(len(cm)):
            for j in range(len(cm)):
                ax.text(j, i, f"{cm[i, j]:.2f}" if normalize else int(cm[i, j]), ha="center", va="center",
                        color="white" if cm[i, j] > cm.max() / 2 else "black")
        return ax

    def plot_top_losses(self, k: int = 9) -> Any:
        """Show the items with the highest loss, titled predicted/actual/loss/probability."""
        import matplotlib.pyplot as plt
        losses, idxs = self.top_losses(k)
        ds = getattr(self.dl, "dataset", None)
        cols = min(3, len(idxs))
        rows = (len(idxs) + cols - 1) // cols
        fig, axs = plt.subplots(rows, cols, figsize=(3 * cols, 3 * rows), squeeze=False)
        for ax, loss, i in zip(axs.flat, losses, idxs):
            i = int(i)
            title = (f"{self.vocab[int(self.decoded[i])]}/{self.vocab[int(self.targs[i])]}\n"
                     f"{float(loss):.2f}/{float(self.preds[i].max()):.2f}")
            x = ds[i][0] if ds is not None else None
            x = torch.as_tensor(x) if x is not None and not hasattr(x, "size") else x
            if isinstance(x, torch.Tensor) and x.dim() in (2, 3):
                img = x if x.dim() == 2 else (x[0] if x.shape[0] == 1 else x.permute(1, 2, 0))
                ax.imshow(img.float().cpu().numpy(), cmap="gray" if img.dim() == 2 else None)
            elif x is not None and hasattr(x, "size") and not isinstance(x, torch.Tensor):
                ax.imshow(x)      # e.g. a PIL image from a torchvision dataset
            else:
                ax.text(0.5, 0.5, f"item {i}", ha="center", va="center")
            ax.set_title(title, fontsize=9)
            ax.axis("off")
        for ax in list(axs.flat)[len(idxs):]:
            ax.axis("off")
        return axs
