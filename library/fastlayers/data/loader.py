"""Lesson 03 (course/03_data_loaders.ipynb, exercises/03_data_loaders/: DataLoader, collate):
DataLoader: sample indices, create items, collate, move to the device; every stage is a replaceable method."""
from __future__ import annotations

import math
from typing import Any, Callable, Iterator, Sequence

import numpy as np
import torch
import torch.utils.data as tud

from ..core import Pipeline, TensorBase, TransformError

__all__ = ["DataLoader", "TfmdDL", "collate", "to_device", "default_device", "resolve_device"]

# Stages a user may replace by passing a function of the same name (or by overriding the method in a subclass).
_STAGES = ("get_idxs", "shuffle_fn", "create_item", "after_item", "before_batch", "create_batch", "after_batch")


def resolve_device(device: torch.device | str | None = None) -> torch.device:
    """The one device rule of loaders and learners: `device` as tensors on it report theirs (`cuda` becomes
    `cuda:0`, the current GPU); None picks CUDA if available, else Apple's MPS, else the CPU."""
    if device is None:
        mps = getattr(torch.backends, "mps", None)
        device = "cuda" if torch.cuda.is_available() else "mps" if mps is not None and mps.is_available() else "cpu"
    device = torch.device(device)
    # A tensor moved to "cuda" reports "cuda:0", and torch.device("cuda") != torch.device("cuda:0"): without the
    # index, every comparison with a tensor's device would say "elsewhere".
    if device.index is None and device.type == "cuda":
        device = torch.device("cuda", torch.cuda.current_device())
    elif device.index is None and device.type == "mps":
        device = torch.device("mps", 0)
    return device


def default_device() -> torch.device:
    """Where training runs unless told otherwise: CUDA if available, else Apple's MPS, else the CPU."""
    return resolve_device(None)


def to_device(b: Any, device: torch.device | str | None, non_blocking: bool = False) -> Any:
    """Move every tensor in `b` (nested tuples, lists, dicts) to `device`; None leaves them where they are."""
    if device is None:
        return b
    if isinstance(b, torch.Tensor):
        return b.to(device, non_blocking=non_blocking)
    if isinstance(b, (tuple, list)):
        return type(b)(to_device(o, device, non_blocking) for o in b)
    if isinstance(b, dict):
        return {k: to_device(v, device, non_blocking) for k, v in b.items()}
    return b


def _shape_or_type(o: Any) -> str:
    return f"{type(o).__name__}{tuple(o.shape)}" if hasattr(o, "shape") else type(o).__name__


def collate(items: Sequence) -> Any:
    """Stack a list of items into a batch: tensors stacked, numbers to a tensor, tuples and lists element-wise (the
    batch keeps the items' container type), dicts key by key, strings listed."""
    first = items[0]
    if isinstance(first, torch.Tensor):
        try:
            return torch.stack(list(items))
        except RuntimeError as e:
            shapes = sorted({_shape_or_type(o) for o in items})
            raise RuntimeError(f"cannot collate tensors of different shapes {shapes[:6]}: resize them to one shape in "
                               f"the item transforms, or pad them in before_batch") from e
    if isinstance(first, np.ndarray):
        return collate([torch.from_numpy(np.asarray(o)) for o in items])
    if isinstance(first, (bool, int, float, np.number)):
        return torch.tensor(items)
    if isinstance(first, (tuple, list)):
        if len({len(o) for o in items}) > 1:
            kind = type(first).__name__
            raise RuntimeError(f"cannot collate {kind}s of different lengths {sorted({len(o) for o in items})}")
        return type(first)(collate(list(col)) for col in zip(*items))
    if isinstance(first, dict):
        return {k: collate([o[k] for o in items]) for k in first}
    if isinstance(first, (str, bytes)) or first is None:
        return list(items)
    raise TypeError(f"cannot collate items of type {sorted({_shape_or_type(o) for o in items})}: turn them into tensors "
                    f"with a transform (e.g. ToTensor, or a torchvision `transform=`), or pass create_batch=...")


def _tensor_columns(dataset: Any) -> tuple[torch.Tensor, ...] | None:
    """The tensors behind an in-memory dataset (a TensorDataset, a tensor, or a tuple of tensors), else None."""
    if isinstance(dataset, tud.TensorDataset):
        cols = tuple(dataset.tensors)
    elif isinstance(dataset, torch.Tensor):
        cols = (dataset,)
    elif isinstance(dataset, tuple) and dataset and all(isinstance(t, torch.Tensor) for t in dataset):
        cols = dataset
    else:
        return None
    lengths = [len(t) for t in cols]
    if len(set(lengths)) > 1:
        raise ValueError(f"the tensors have different lengths {lengths}: inputs and labels must have one row per item")
    return cols


class _ItemDataset(tud.Dataset):
    """Adapter that lets torch's worker processes build our items (create_item then after_item)."""

    def __init__(self, dl: "DataLoader"):
        self.dl = dl

    def __len__(self) -> int:
        return self.dl.n

    def __getitem__(self, i: int):
        return self.dl.do_item(i)


class DataLoader:
    """Batches from a dataset: get_idxs -> (shuffle_fn) -> create_item -> after_item -> before_batch -> create_batch
    -> device -> after_batch. In-memory tensors take a fast path that slices whole batches instead."""

    def __init__(self, dataset: Any = None, bs: int = 64, shuffle: bool = False, drop_last: bool = False,
                 num_workers: int = 0, pin_memory: bool = False, device: torch.device | str | None = None,
                 seed: int | None = None, n: int | None = None, **stages: Callable):
        if dataset is None:
            raise ValueError("DataLoader needs a dataset: a Datasets, a torch Dataset, a TensorDataset or tensors")
        if not isinstance(bs, int) or bs < 1:
            raise ValueError(f"bs must be a positive integer, got {bs!r}")
        unknown = set(stages) - set(_STAGES)
        if unknown:
            raise TypeError(f"DataLoader got unknown arguments {sorted(unknown)}; replaceable stages are {_STAGES}")
        for name, f in stages.items():
            if f is not None:
                setattr(self, name, f)
        self.dataset, self.bs, self.shuffle, self.drop_last = dataset, bs, shuffle, drop_last
        self.num_workers, self.pin_memory, self.seed = num_workers, pin_memory, seed
        self.device = None if device is None else resolve_device(device)
        self.generator = torch.Generator().manual_seed(seed) if seed is not None else None
        self.tensors = _tensor_columns(dataset)
        self.n = n if n is not None else (len(self.tensors[0]) if self.tensors is not None else self._dataset_len())
        if drop_last and self.n < bs:
            raise ValueError(f"bs={bs} is larger than the dataset ({self.n} items) and drop_last=True, so there would "
                             f"be no batch at all: use a smaller bs or drop_last=False")

    def _dataset_len(self) -> int:
        try:
            return len(self.dataset)
        except TypeError:
            raise TypeError(f"DataLoader needs a dataset with a length (got {type(self.dataset).__name__}); "
                            f"pass n=... with the number of items") from None

    # ----- the stages (replace any of them by passing a function, or override in a subclass) -----
    def get_idxs(self) -> Sequence[int] | torch.Tensor:
        """The item indices of one epoch, shuffled when `shuffle`."""
        idxs = range(self.n)
        return self.shuffle_fn(idxs) if self.shuffle else idxs

    def shuffle_fn(self, idxs: Sequence[int]) -> torch.Tensor:
        """A random permutation of `idxs` (reproducible from `seed`; otherwise from torch's global generator)."""
        perm = torch.randperm(len(idxs), generator=self.generator)
        return perm if isinstance(idxs, range) and idxs == range(len(idxs)) else torch.as_tensor(idxs)[perm]

    def create_item(self, i: int) -> Any:
        return self.dataset[i]

    def after_item(self, item: Any) -> Any:
        return item

    def before_batch(self, items: list) -> list:
        return items

    def create_batch(self, items: list) -> Any:
        return collate(items)

    def after_batch(self, b: Any) -> Any:
        return b

    # ----- putting them together -----
    def do_item(self, i: int) -> Any:
        return self.after_item(self.create_item(i))

    def do_batch(self, items: list) -> Any:
        return self.create_batch(self.before_batch(items))

    def batch_idxs(self) -> Iterator[Sequence[int]]:
        """The indices of each batch of one epoch."""
        idxs = self.get_idxs()
        stop = (self.n // self.bs) * self.bs if self.drop_last else self.n
        for s in range(0, stop, self.bs):
            yield idxs[s: s + self.bs]

    def __len__(self) -> int:
        return self.n // self.bs if self.drop_last else math.ceil(self.n / self.bs)

    def _uses_fast_path(self) -> bool:
        # Only when no item-level stage was customised: then slicing the tensors gives the same batches.
        cls = type(self)
        return (self.tensors is not None and self.num_workers == 0
                and all(getattr(cls, s) is getattr(DataLoader, s) and s not in self.__dict__
                        for s in ("create_item", "after_item", "before_batch", "create_batch", "get_idxs")))

    def __iter__(self) -> Iterator:
        if self._uses_fast_path():
            batches = self._fast_batches()
            if self._plain_after_batch():
                return batches  # nothing left to do per batch: hand out the slices directly
            return map(self.after_batch, batches)
        if self.num_workers == 0:
            batches = (self.do_batch([self.do_item(int(i)) for i in idxs]) for idxs in self.batch_idxs())
        else:
            batches = self._worker_batches()
        return self._finish(batches)

    def _finish(self, batches: Iterator) -> Iterator:
        """Pin, move to the device, then run after_batch."""
        device, pin = self.device, self.pin_memory and torch.cuda.is_available()
        for b in batches:
            if pin:
                b = _pin(b)
            if device is not None:
                b = to_device(b, device, non_blocking=pin)
            yield self.after_batch(b)

    def _plain_after_batch(self) -> bool:
        return type(self).after_batch is DataLoader.after_batch and "after_batch" not in self.__dict__

    # In-memory tensors smaller than this are copied to the device once, instead of one batch at a time.
    max_cached_bytes: int = 2**30

    def _columns_on_device(self) -> tuple[torch.Tensor, ...]:
        cols, device = self.tensors, self.device
        if device is None or all(t.device == device for t in cols):
            return cols
        if sum(t.numel() * t.element_size() for t in cols) > self.max_cached_bytes:
            return cols
        key = (device.type, device.index)
        if getattr(self, "_cache_key", None) != key:
            self._cached_cols, self._cache_key = tuple(t.to(device) for t in cols), key
        return self._cached_cols

    def _fast_batches(self) -> Iterator[tuple]:
        """Batches by slicing (in order) or gathering (shuffled) the in-memory tensors: no per-item Python work."""
        cols, bs = self._columns_on_device(), self.bs
        move = self.device is not None and any(t.device != self.device for t in cols)  # only for huge datasets
        stop = (self.n // bs) * bs if self.drop_last else self.n
        if not self.shuffle:
            for s in range(0, stop, bs):
                b = tuple([t[s: s + bs] for t in cols])
                yield to_device(b, self.device) if move else b
        else:
            perm = self.shuffle_fn(range(self.n)).to(cols[0].device)
            for s in range(0, stop, bs):
                idx = perm[s: s + bs]
                b = tuple([t[idx] for t in cols])
                yield to_device(b, self.device) if move else b

    def _worker_batches(self) -> Iterator:
        """Reuse torch's worker processes: they build items and collate; we keep sampling in this process."""
        tdl = tud.DataLoader(_ItemDataset(self), batch_sampler=[list(map(int, b)) for b in self.batch_idxs()],
                             collate_fn=self.do_batch, num_workers=self.num_workers,
                             persistent_workers=False)
        return iter(tdl)

    # ----- conveniences -----
    def one_batch(self) -> Any:
        """The first batch (of an unshuffled pass over the data)."""
        if self.n == 0:
            raise ValueError("this DataLoader has no items, so it has no batch")
        shuffle, self.shuffle = self.shuffle, False
        try:
            return next(iter(self))
        finally:
            self.shuffle = shuffle

    def new(self, dataset: Any = None, **kwargs) -> "DataLoader":
        """A DataLoader like this one (same stages and settings) over `dataset`, with `kwargs` changed."""
        settings = dict(bs=self.bs, shuffle=self.shuffle, drop_last=self.drop_last, num_workers=self.num_workers,
                        pin_memory=self.pin_memory, device=self.device, seed=self.seed)
        settings.update({s: self.__dict__[s] for s in _STAGES if s in self.__dict__})
        settings.update(kwargs)
        return type(self)(self.dataset if dataset is None else dataset, **settings)

    def to(self, device: torch.device | str | None) -> "DataLoader":
        """Send future batches to `device` (in place); returns self."""
        self.device = None if device is None else resolve_device(device)
        return self

    def decode(self, b: Any) -> Any:
        """Undo the batch transforms (nothing to undo for a plain DataLoader)."""
        return b

    def decode_batch(self, b: Any, max_n: int = 9) -> list:
        """Split batch `b` into at most `max_n` items, each a tuple, decoded back as far as possible."""
        b = self.decode(b)
        b = b if isinstance(b, tuple) else tuple(b) if isinstance(b, list) else (b,)
        n = min(len(b[0]), max_n)
        return [self.decode_item(tuple(_index(o, i) for o in b)) for i in range(n)]

    def decode_item(self, item: tuple) -> tuple:
        dec = getattr(self.dataset, "decode", None)
        return dec(item) if dec is not None else item

    def show_batch(self, b: Any = None, max_n: int = 9, ctxs=None, show: bool = True, **kwargs):
        """Show `max_n` items of a batch (the first one by default) with the `show_batch` registered for its types."""
        from .show import show_batch
        b = self.one_batch() if b is None else b
        if not show:
            return self.decode_batch(b, max_n)
        decoded = self.decode(b)
        x = decoded[0] if isinstance(decoded, (tuple, list)) else decoded
        y = decoded[1] if isinstance(decoded, (tuple, list)) and len(decoded) > 1 else None
        return show_batch(x, y, self.decode_batch(b, max_n), ctxs=ctxs, max_n=max_n, **kwargs)

    @property
    def n_inp(self) -> int:
        return getattr(self.dataset, "n_inp", 1)

    def __repr__(self) -> str:
        return (f"{type(self).__name__}: {self.n} items, bs={self.bs}, {len(self)} batches, shuffle={self.shuffle}, "
                f"device={self.device}")


def _index(o: Any, i: int) -> Any:
    return o[i] if not isinstance(o, TensorBase) or o.ndim else o


def _pin(b: Any) -> Any:
    if isinstance(b, torch.Tensor):
        return b.pin_memory()
    if isinstance(b, (tuple, list)):
        return type(b)(_pin(o) for o in b)
    return b


class TfmdDL(DataLoader):
    """A DataLoader whose `after_item`, `before_batch` and `after_batch` are Pipelines (set up on this loader)."""

    def __init__(self, dataset: Any = None, bs: int = 64, after_item=None, before_batch=None, after_batch=None,
                 do_setup: bool = True, **kwargs):
        super().__init__(dataset, bs=bs, **kwargs)
        split_idx = getattr(dataset, "split_idx", None)
        # Pipelines live on the instance, so they replace the plain methods of the same names.
        self.after_item = Pipeline(after_item, split_idx=split_idx)
        self.before_batch = Pipeline(before_batch, split_idx=split_idx)
        self.after_batch = Pipeline(after_batch, split_idx=split_idx)
        if do_setup:
            for p in (self.after_item, self.before_batch, self.after_batch):
                p.setup(self)  # e.g. Normalize computes its statistics from one batch of this loader

    def do_item(self, i: int) -> Any:
        try:
            return self.after_item(self.create_item(i))
        except TransformError as e:
            if str(e).startswith("item "):  # the Datasets already said which item
                raise
            raise TransformError(f"item {i}: {e}") from e.__cause__

    def new(self, dataset: Any = None, **kwargs) -> "TfmdDL":
        """A TfmdDL over `dataset` with the same (already set up) pipelines and settings."""
        settings = dict(bs=self.bs, shuffle=self.shuffle, drop_last=self.drop_last, num_workers=self.num_workers,
                        pin_memory=self.pin_memory, device=self.device, seed=self.seed,
                        after_item=self.after_item.fs, before_batch=self.before_batch.fs,
                        after_batch=self.after_batch.fs, do_setup=False)
        settings.update(kwargs)
        return type(self)(self.dataset if dataset is None else dataset, **settings)

    def decode(self, b: Any) -> Any:
        """Undo the batch transforms, then the before_batch ones."""
        return self.before_batch.decode(self.after_batch.decode(b))

    def decode_item(self, item: tuple) -> tuple:
        item = self.after_item.decode(item)
        dec = getattr(self.dataset, "decode", None)
        return dec(item) if dec is not None else item
