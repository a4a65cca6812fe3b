"""DataLoaders: the train and valid loaders together, with the device, vocab, class count and default loss."""
from __future__ import annotations

from typing import Any

import torch
import torch.utils.data as tud

from .lists import Datasets
from .loader import DataLoader, TfmdDL, resolve_device, to_device

__all__ = ["DataLoaders", "TorchLoader"]


class TorchLoader:
    """An existing `torch.utils.data.DataLoader` used as is: batches become tuples on our device."""

    def __init__(self, dl: tud.DataLoader, device: torch.device | str | None = None):
        self.dl, self.device = dl, None if device is None else resolve_device(device)

    dataset = property(lambda self: self.dl.dataset)
    bs = property(lambda self: self.dl.batch_size)
    n_inp = property(lambda self: 1)

    def __len__(self) -> int:
        return len(self.dl)

    def __iter__(self):
        for b in self.dl:
            b = tuple(b) if isinstance(b, (list, tuple)) else (b,)
            yield to_device(b, self.device)

    def one_batch(self) -> tuple:
        return next(iter(self))

    def to(self, device) -> "TorchLoader":
        self.device = None if device is None else resolve_device(device)
        return self

    def new(self, dataset=None, **kwargs) -> DataLoader:
        """A fastlayers DataLoader over `dataset` with this loader's batch size."""
        kwargs.setdefault("bs", self.bs or 1)
        return DataLoader(self.dataset if dataset is None else dataset, device=self.device, **kwargs)

    decode_batch = DataLoader.decode_batch
    decode_item = DataLoader.decode_item
    show_batch = DataLoader.show_batch

    def decode(self, b):
        return b


def _as_loader(dl: Any, device) -> Any:
    """Our loaders as they are; a torch DataLoader wrapped; anything else (a dataset too) is a TypeError."""
    if isinstance(dl, (DataLoader, TorchLoader)):
        return dl
    if isinstance(dl, tud.DataLoader):
        return TorchLoader(dl, device)
    raise TypeError(f"DataLoaders takes DataLoader or torch.utils.data.DataLoader objects, got {type(dl).__name__}; "
                    f"for datasets use DataLoaders.from_dsets(train_ds, valid_ds, bs=...)")


class DataLoaders:
    """A training and a validation loader (and any more), all sending batches to one device."""

    def __init__(self, *loaders: Any, path: str = ".", device: torch.device | str | None = None):
        if not loaders:
            raise ValueError("DataLoaders needs at least one loader (train, then valid)")
        self.loaders = [_as_loader(dl, device) for dl in loaders]
        self.path = path
        self.device = device   # None: the default device (resolve_device)

    @classmethod
    def from_dsets(cls, *dsets: Any, bs: int = 64, shuffle_train: bool = True, device=None, path: str = ".",
                   num_workers: int = 0, **kwargs) -> "DataLoaders":
        """One loader per dataset: the first shuffled (dropping the last partial batch), the others in order.
        Datasets get a TfmdDL (kwargs may give after_item/after_batch...), anything indexable a DataLoader."""
        if not dsets:
            raise ValueError("from_dsets needs at least a training dataset")
        loaders: list = []
        for i, ds in enumerate(dsets):
            train = i == 0
            n = len(ds) if hasattr(ds, "__len__") else None
            opts = dict(bs=bs, shuffle=shuffle_train and train, num_workers=num_workers,
                        drop_last=train and shuffle_train and n is not None and n > bs)
            opts.update(kwargs)
            if isinstance(ds, Datasets) and loaders and isinstance(loaders[0], TfmdDL):
                # the valid loader reuses the pipelines set up on the training loader (never set up on valid data)
                dl = loaders[0].new(ds, shuffle=False, drop_last=False)
            elif isinstance(ds, Datasets):
                dl = TfmdDL(ds, **opts)
            else:
                dl = DataLoader(ds, **{k: v for k, v in opts.items()
                                       if k not in ("after_item", "before_batch", "after_batch")})
            loaders.append(dl)
        return cls(*loaders, path=path, device=device)

    # ----- access -----
    def __getitem__(self, i: int):
        return self.loaders[i]

    def __len__(self) -> int:
        return len(self.loaders)

    train = property(lambda self: self.loaders[0])
    valid = property(lambda self: self.loaders[1] if len(self.loaders) > 1 else None)
    train_ds = property(lambda self: self.train.dataset)
    valid_ds = property(lambda self: None if self.valid is None else self.valid.dataset)

    # ----- device -----
    @property
    def device(self) -> torch.device:
        return self._device

    @device.setter
    def device(self, device: torch.device | str | None) -> None:
        self._device = resolve_device(device)
        for dl in self.loaders:
            dl.to(self._device)

    def to(self, device: torch.device | str) -> "DataLoaders":
        """Send all batches to `device`; returns self."""
        self.device = device
        return self

    def cpu(self) -> "DataLoaders":
        return self.to("cpu")

    def cuda(self) -> "DataLoaders":
        return self.to("cuda")

    # ----- what the training layer asks for -----
    @property
    def n_inp(self) -> int:
        """How many leading batch elements are inputs (the rest are targets); 1 unless the dataset says otherwise.
        Our own loaders answer themselves, since one may add inputs of its own (a padding mask)."""
        if isinstance(self.train, DataLoader):
            return self.train.n_inp
        return getattr(self.train_ds, "n_inp", 1)

    @property
    def vocab(self):
        """The target vocabulary (from Categorize, or a torchvision dataset's `classes`), or None."""
        ds = self.train_ds
        vocab = getattr(ds, "vocab", None)
        if vocab is None:
            vocab = getattr(ds, "classes", None)  # torchvision datasets name their labels here
        return vocab

    @property
    def c(self) -> int | None:
        """Number of classes (or regression outputs), or None when unknown."""
        c = getattr(self.train_ds, "c", None)
        if c is None and self.vocab is not None:
            c = len(self.vocab)
        return c

    @property
    def loss_func(self):
        """The default loss carried by the targets' transform (cross-entropy for Categorize, MSE for
        RegressionSetup); None for plain torch datasets, whose loss the Learner must be given."""
        return getattr(self.train_ds, "loss_func", None)

    def one_batch(self):
        return self.train.one_batch()

    def show_batch(self, *args, **kwargs):
        return self.train.show_batch(*args, **kwargs)

    def test_dl(self, items: Any, with_labels: bool = False, **kwargs) -> DataLoader:
        """A loader over new items, processed like the validation set (labels only if `with_labels`)."""
        src = self.valid if self.valid is not None else self.train
        ds = src.dataset
        if isinstance(ds, Datasets):
            items_ds = ds.new(items, with_labels=with_labels, split_idx=1)
            return src.new(items_ds, shuffle=False, drop_last=False, **kwargs)
        return DataLoader(items, bs=src.bs or 64, device=self.device, **kwargs)

    def __repr__(self) -> str:
        return f"DataLoaders({', '.join(repr(dl) for dl in self.loaders)})"
