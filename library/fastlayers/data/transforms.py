"""Lesson 02 (course/02_transforms.ipynb, exercises/02_transforms/: Normalize, Categorize):
Common transforms: to tensor, int to float, normalize, categorize (single and multi label), regression targets."""
from __future__ import annotations

from typing import Any, Iterable, Sequence

import numpy as np
import torch

from ..core import (Transform, TensorCategory, TensorImage, TensorMask, TensorMultiCategory,
                    TensorSeries)
from .losses import BCEWithLogitsLossFlat, CrossEntropyLossFlat, MSELossFlat

__all__ = ["ToTensor", "IntToFloatTensor", "Normalize", "CategoryMap", "Category", "MultiCategory", "Categorize",
           "MultiCategorize", "RegressionSetup", "show_title"]


def show_title(o: Any, ctx=None, label: str | None = None):
    """Show `o` as a title: on a matplotlib axis, into a pandas row, or printed when there is no context."""
    if ctx is None:
        print(o)
    elif hasattr(ctx, "set_title"):
        ctx.set_title(f"{o}" if label is None else f"{label}: {o}")
    else:  # a dict-like row (pandas Series) that a DataFrame display collects
        ctx[label or "label"] = o
    return ctx


class Category(str):
    """A decoded label; shows itself as a title."""

    def show(self, ctx=None, **kwargs):
        return show_title(str(self), ctx, kwargs.get("label"))


class MultiCategory(list):
    """The decoded labels of a multi-label item; shows itself as a `;`-joined title."""

    def show(self, ctx=None, **kwargs):
        return show_title(";".join(map(str, self)), ctx, kwargs.get("label"))


class ToTensor(Transform):
    """Turn numpy arrays and numbers into tensors (semantic tensors pass through unchanged)."""

    order = 5

    def encodes(self, x: np.ndarray):
        return torch.from_numpy(x)

    def encodes(self, x: (int, float)):
        return torch.tensor(x)


class IntToFloatTensor(Transform):
    """Byte images to floats in [0,1] (divide by `div`); masks become long; decodes multiplies back."""

    order = 10

    def __init__(self, div: float = 255.0, div_mask: int = 1):
        super().__init__()
        self.div, self.div_mask = div, div_mask

    def encodes(self, x: TensorImage):
        return x.float() / self.div

    def encodes(self, x: TensorMask):
        return (x.long() // self.div_mask).long()

    def decodes(self, x: TensorImage):
        return (x * self.div).clamp(0, self.div)

    def decodes(self, x: TensorMask):
        return x * self.div_mask


class Normalize(Transform):
    """Per-channel (axis 1) standardisation of image and series batches; stats given or computed from one batch."""

    order = 99

    def __init__(self, mean: Any = None, std: Any = None, eps: float = 1e-7):
        super().__init__()
        self.mean = None if mean is None else torch.as_tensor(mean, dtype=torch.float32)
        self.std = None if std is None else torch.as_tensor(std, dtype=torch.float32)
        self.eps = eps

    @classmethod
    def from_stats(cls, mean: Sequence[float], std: Sequence[float]) -> "Normalize":
        """Normalize with known per-channel statistics (e.g. ImageNet's)."""
        return cls(mean, std)

    def setups(self, items):
        if self.mean is not None and self.std is not None:
            return
        x = _first_batch_input(items)
        axes = tuple(i for i in range(x.ndim) if i != 1)  # keep the channel axis
        self.mean = x.float().mean(axes).as_subclass(torch.Tensor)
        self.std = x.float().std(axes).as_subclass(torch.Tensor) + self.eps

    def _shaped(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        if self.mean is None:
            raise RuntimeError("Normalize has no statistics: pass mean and std, or set it up on training data first")
        shape = [1] * x.ndim
        shape[1 if x.ndim > 1 else 0] = -1
        return self.mean.to(x.device).view(shape), self.std.to(x.device).view(shape)

    def encodes(self, x: (TensorImage, TensorSeries)):
        if isinstance(x, TensorMask):
            return x
        mean, std = self._shaped(x)
        return (x - mean) / std

    def decodes(self, x: (TensorImage, TensorSeries)):
        if isinstance(x, TensorMask):
            return x
        mean, std = self._shaped(x)
        return x * std + mean


def _first_batch_input(items) -> torch.Tensor:
    """The input tensor of one batch of `items` (a DataLoader, a tensor, or a list of tensors)."""
    if hasattr(items, "one_batch"):
        return items.one_batch()[0]
    if isinstance(items, torch.Tensor):
        return items
    return torch.stack([o[0] if isinstance(o, tuple) else o for o in items])


class CategoryMap(list):
    """A vocabulary: the sorted unique labels, with `o2i` mapping each label to its id."""

    def __init__(self, labels: Iterable, sort: bool = True, add_na: bool = False):
        labels = [_plain_label(o) for o in labels]
        uniq = list(dict.fromkeys(labels))  # keeps first-seen order when not sorting
        if sort:
            uniq = sorted(uniq, key=lambda o: (str(type(o)), o))
        if add_na:
            uniq = ["#na#"] + [o for o in uniq if o != "#na#"]
        super().__init__(uniq)
        self.o2i = {o: i for i, o in enumerate(self)}

    def __repr__(self) -> str:
        return f"CategoryMap({list.__repr__(self)})"


def _plain_label(o: Any) -> Any:
    """Labels as hashable Python values (a 0-d tensor or numpy scalar becomes a number)."""
    if isinstance(o, (torch.Tensor, np.ndarray, np.generic)) and np.ndim(o) == 0:
        return o.item()
    return o


class Categorize(Transform):
    """Labels to class ids with a vocab learnt from the training labels; decodes ids back to labels."""

    order = 1
    loss_func = CrossEntropyLossFlat()

    def __init__(self, vocab: Sequence | None = None, sort: bool = True, add_na: bool = False):
        super().__init__()
        self.sort, self.add_na = sort, add_na
        self.vocab = None if vocab is None else CategoryMap(vocab, sort=False, add_na=add_na)

    def setups(self, labels):
        if self.vocab is None:
            self.vocab = CategoryMap(labels, sort=self.sort, add_na=self.add_na)

    @property
    def c(self) -> int | None:
        """Number of classes."""
        return None if self.vocab is None else len(self.vocab)

    def encodes(self, o):
        if isinstance(o, TensorCategory):  # already encoded
            return o
        if self.vocab is None:
            raise RuntimeError("Categorize has no vocab: pass vocab=..., or set it up on the training labels first")
        label = _plain_label(o)
        try:
            return TensorCategory(self.vocab.o2i[label])
        except (KeyError, TypeError):
            shown = ", ".join(map(repr, self.vocab[:10])) + (", ..." if len(self.vocab) > 10 else "")
            raise KeyError(f"label {label!r} is not in the vocab learnt from the training set ({shown}); "
                           f"every validation label must appear in training: change the split, or pass vocab=... "
                           f"(with add_na=True to map unknowns to '#na#')") from None

    def decodes(self, o: TensorCategory):
        return Category(self.vocab[int(o)])


class MultiCategorize(Transform):
    """A list of labels to a one-hot float vector over the vocab; decodes back to the list of labels."""

    order = 1
    loss_func = BCEWithLogitsLossFlat()

    def __init__(self, vocab: Sequence | None = None):
        super().__init__()
        self.vocab = None if vocab is None else CategoryMap(vocab, sort=False)

    def setups(self, label_lists):
        if self.vocab is None:
            self.vocab = CategoryMap(o for labels in label_lists for o in ([labels] if isinstance(labels, str)
                                                                             else labels))

    @property
    def c(self) -> int | None:
        """Number of classes."""
        return None if self.vocab is None else len(self.vocab)

    def encodes(self, labels: (list, tuple)):
        out = torch.zeros(len(self.vocab))
        missing = [o for o in labels if o not in self.vocab.o2i]
        if missing:
            raise KeyError(f"labels {missing} are not in the vocab learnt from the training set; "
                           f"change the split or pass vocab=...")
        out[[self.vocab.o2i[o] for o in labels]] = 1.0
        return TensorMultiCategory(out)

    def encodes(self, labels: str):  # one label given as a bare string
        return self.encodes([labels])

    def decodes(self, o: TensorMultiCategory):
        return MultiCategory(self.vocab[i] for i in torch.nonzero(o.as_plain() > 0.5).flatten().tolist())


class RegressionSetup(Transform):
    """Numbers (or vectors) to float tensors for regression; `c` is the number of outputs."""

    order = 1
    loss_func = MSELossFlat()

    def __init__(self, c: int | None = None):
        super().__init__()
        self.c = c

    def encodes(self, o):
        if isinstance(o, torch.Tensor):
            return o.float()
        return torch.tensor(o, dtype=torch.float32)

    def setups(self, items):
        if self.c is None and items is not None:
            first = next(iter(items), None)
            self.c = 1 if first is None or np.ndim(first) == 0 else int(np.size(first))
