"""Lesson 03 (course/03_data_loaders.ipynb, exercises/03_data_loaders/: Datasets):
TfmdLists (one pipeline over a list of items) and Datasets (several pipelines over the same items)."""
from __future__ import annotations

from typing import Any, Iterable, Sequence

import numpy as np
import torch

from ..core import Pipeline, Transform, TransformError
from .splitters import check_splits

__all__ = ["TfmdLists", "Datasets"]


def _get(items, i: int):
    """Item `i` of a list, array or DataFrame (a row)."""
    return items.iloc[i] if hasattr(items, "iloc") else items[i]


def _take(items, idxs: Sequence[int]):
    """The sub-list of `items` at `idxs`, keeping the container kind where it matters (DataFrames)."""
    if hasattr(items, "iloc"):
        return items.iloc[list(idxs)]
    if isinstance(items, (np.ndarray, torch.Tensor)):
        return items[list(idxs)]
    return [items[i] for i in idxs]


class TfmdLists:
    """Items with a `Pipeline` applied lazily on access; `splits` give `.train`/`.valid` views with their split_idx."""

    def __init__(self, items: Sequence, tfms: Pipeline | Iterable | Transform | None = None,
                 splits: Sequence[Sequence[int]] | None = None, split_idx: int | None = None,
                 do_setup: bool = True):
        self.items = items
        self.tfms = tfms if isinstance(tfms, Pipeline) else Pipeline(tfms)
        self.splits = check_splits(splits, len(items)) if splits is not None else [list(range(len(items)))]
        self.split_idx = split_idx
        if do_setup:
            self.setup()

    def setup(self, train_setup: bool = True) -> None:
        """Set up the pipeline on the training items (each transform sees the output of the earlier ones)."""
        self.tfms.setup(self, train_setup)

    def subset(self, i: int) -> "TfmdLists":
        """The items of split `i` (0 train, 1 valid), sharing this pipeline, with split_idx `i`."""
        if i >= len(self.splits):
            raise IndexError(f"no split {i}: these items have {len(self.splits)} split(s); pass splits=...")
        return TfmdLists(_take(self.items, self.splits[i]), self.tfms, split_idx=i, do_setup=False)

    @property
    def train(self) -> "TfmdLists":
        return self.subset(0)

    @property
    def valid(self) -> "TfmdLists":
        return self.subset(1)

    def new(self, items: Sequence, split_idx: int | None = None) -> "TfmdLists":
        """Other items through the same (already set up) pipeline."""
        return TfmdLists(items, self.tfms, split_idx=split_idx, do_setup=False)

    def __len__(self) -> int:
        return len(self.items)

    def __getitem__(self, i: int) -> Any:
        try:
            return self.tfms(_get(self.items, i), self.split_idx)
        except TransformError as e:
            raise TransformError(f"item {i}: {e}") from e.__cause__

    def __iter__(self):
        return (self[i] for i in range(len(self)))

    def decode(self, o: Any, **kwargs) -> Any:
        return self.tfms.decode(o, split_idx=self.split_idx, **kwargs)

    def show(self, o: Any, ctx=None, **kwargs):
        return self.tfms.show(o, ctx=ctx, **kwargs)

    def __repr__(self) -> str:
        return f"TfmdLists: {len(self)} items, {self.tfms}"


class Datasets:
    """Several pipelines (inputs, then targets) over the same items; item i is the tuple of each pipeline's output."""

    def __init__(self, items: Sequence | None = None, tfms: Sequence | None = None, n_inp: int | None = None,
                 splits: Sequence[Sequence[int]] | None = None, split_idx: int | None = None,
                 tls: list[TfmdLists] | None = None, do_setup: bool = True):
        if tls is None:
            if items is None:
                raise ValueError("Datasets needs items (and a list of pipelines in tfms)")
            tfms = [None] if tfms is None else tfms
            tls = [TfmdLists(items, t, splits=splits, split_idx=split_idx, do_setup=do_setup) for t in tfms]
        self.tls = tls
        self.n_inp = n_inp if n_inp is not None else max(1, len(tls) - 1)
        self.split_idx = split_idx
        lengths = {len(t) for t in tls}
        if len(lengths) > 1:
            raise ValueError(f"the pipelines of a Datasets have different lengths {sorted(lengths)}; "
                             f"they must all index the same items")

    @property
    def splits(self) -> list[list[int]]:
        return self.tls[0].splits

    def subset(self, i: int) -> "Datasets":
        """Split `i` (0 train, 1 valid) as a Datasets whose transforms know their split_idx."""
        return Datasets(tls=[t.subset(i) for t in self.tls], n_inp=self.n_inp, split_idx=i)

    @property
    def train(self) -> "Datasets":
        return self.subset(0)

    @property
    def valid(self) -> "Datasets":
        return self.subset(1)

    @property
    def subsets(self) -> list["Datasets"]:
        return [self.subset(i) for i in range(len(self.splits))]

    def new(self, items: Sequence, with_labels: bool = True, split_idx: int | None = 1) -> "Datasets":
        """Other items through the same pipelines (only the input ones unless `with_labels`), validation behaviour."""
        tls = self.tls if with_labels else self.tls[: self.n_inp]
        return Datasets(tls=[t.new(items, split_idx) for t in tls], n_inp=self.n_inp, split_idx=split_idx)

    def __len__(self) -> int:
        return len(self.tls[0])

    def __getitem__(self, i: int) -> tuple:
        return tuple(t[i] for t in self.tls)

    def __iter__(self):
        return (self[i] for i in range(len(self)))

    def decode(self, o: tuple, **kwargs) -> tuple:
        """Decode each element with its own pipeline."""
        return tuple(t.decode(x, **kwargs) for t, x in zip(self.tls, o))

    def show(self, o: tuple, ctx=None, **kwargs):
        """Show each element of item `o` in the same context (an image, then its label as the title)."""
        for t, x in zip(self.tls, o):
            ctx = t.show(x, ctx=ctx, **kwargs)
        return ctx

    @property
    def _target_tls(self) -> list[TfmdLists]:
        """The target pipelines; a single pipeline counts as one, as in fastai (`Datasets(items, [[Categorize()]])`)."""
        return self.tls[self.n_inp:] or self.tls[-1:]

    @property
    def vocab(self):
        """The vocab of the (last) target pipeline, or None."""
        for t in reversed(self._target_tls):
            for f in t.tfms.fs:
                if getattr(f, "vocab", None) is not None:
                    return f.vocab
        return None

    def _target_attr(self, name: str):
        for t in self._target_tls:
            for f in t.tfms.fs:
                if getattr(f, name, None) is not None:
                    return getattr(f, name)
        return None

    @property
    def loss_func(self):
        """The default loss carried by the target transform (e.g. Categorize's cross-entropy), or None."""
        return self._target_attr("loss_func")

    @property
    def c(self) -> int | None:
        """Number of classes (or regression outputs) from the target transform, or None."""
        return self._target_attr("c")

    def dataloaders(self, bs: int = 64, shuffle_train: bool = True, device=None, **kwargs):
        """A `DataLoaders` with one `TfmdDL` per split (train shuffled, valid in order)."""
        from .loaders import DataLoaders
        return DataLoaders.from_dsets(*self.subsets, bs=bs, shuffle_train=shuffle_train, device=device, **kwargs)

    def __repr__(self) -> str:
        return f"Datasets: {len(self)} items, {len(self.tls)} pipelines, n_inp={self.n_inp}"
