"""The DataBlock API: say what the inputs and targets are, how to get and split them; get Datasets/DataLoaders."""
from __future__ import annotations

from typing import Any, Callable, Sequence

from ..core import Pipeline, Transform, listify
from .lists import Datasets, _get
from .loader import TfmdDL, collate
from .splitters import RandomSplitter, check_splits
from .transforms import Categorize, MultiCategorize, RegressionSetup, ToTensor

__all__ = ["TransformBlock", "CategoryBlock", "MultiCategoryBlock", "RegressionBlock", "DataBlock"]


class TransformBlock:
    """What one element of an item needs: `type_tfms` (item -> tensor, in the Datasets), `item_tfms` (after each
    item, in the loader), `batch_tfms` (on each batch), and optionally a loader class and its keyword arguments."""

    def __init__(self, type_tfms: Sequence | None = None, item_tfms: Sequence | None = None,
                 batch_tfms: Sequence | None = None, dl_type: type | None = None, dls_kwargs: dict | None = None):
        self.type_tfms = listify(type_tfms)
        self.item_tfms = [ToTensor()] + listify(item_tfms)
        self.batch_tfms = listify(batch_tfms)
        self.dl_type, self.dls_kwargs = dl_type, dls_kwargs or {}


def CategoryBlock(vocab: Sequence | None = None, sort: bool = True, add_na: bool = False) -> TransformBlock:
    """A single-label classification target."""
    return TransformBlock(type_tfms=Categorize(vocab=vocab, sort=sort, add_na=add_na))


def MultiCategoryBlock(vocab: Sequence | None = None) -> TransformBlock:
    """A multi-label target (a list of labels per item), one-hot encoded."""
    return TransformBlock(type_tfms=MultiCategorize(vocab=vocab))


def RegressionBlock(n_out: int | None = None) -> TransformBlock:
    """A regression target: a number or a vector of numbers."""
    return TransformBlock(type_tfms=RegressionSetup(c=n_out))



def _dedupe(tfms: list) -> list:
    """Keep one transform per class (each block adds a ToTensor; one is enough)."""
    seen, out = set(), []
    for t in tfms:
        key = type(t) if isinstance(t, Transform) and type(t) in (ToTensor,) else id(t)
        if key not in seen:
            seen.add(key)
            out.append(t)
    return out


class DataBlock:
    """A recipe for Datasets and DataLoaders: blocks (inputs then targets), getters, a splitter and transforms."""

    def __init__(self, blocks: Sequence | None = None, get_items: Callable | None = None,
                 splitter: Callable | None = None, get_x: Callable | Sequence | None = None,
                 get_y: Callable | Sequence | None = None, item_tfms: Sequence | None = None,
                 batch_tfms: Sequence | None = None, n_inp: int | None = None, dl_type: type | None = None):
        blocks = [TransformBlock()] * 2 if blocks is None else list(blocks)
        self.blocks = [b() if isinstance(b, type) or (callable(b) and not isinstance(b, TransformBlock)) else b
                       for b in blocks]
        self.n_inp = n_inp if n_inp is not None else max(1, len(self.blocks) - 1)
        self.get_items, self.splitter = get_items, splitter or RandomSplitter()
        self.getters = self._getters(get_x, get_y)
        self.item_tfms = _dedupe([t for b in self.blocks for t in b.item_tfms] + listify(item_tfms))
        self.batch_tfms = [t for b in self.blocks for t in b.batch_tfms] + listify(batch_tfms)
        self.dl_type = dl_type or next((b.dl_type for b in self.blocks if b.dl_type), TfmdDL)
        self.dls_kwargs = {k: v for b in self.blocks for k, v in b.dls_kwargs.items()}

    def _getters(self, get_x, get_y) -> list[list]:
        n, n_inp = len(self.blocks), self.n_inp
        xs = listify(get_x) if isinstance(get_x, (list, tuple)) else [get_x] * n_inp
        ys = listify(get_y) if isinstance(get_y, (list, tuple)) else [get_y] * (n - n_inp)
        if len(xs) != n_inp or len(ys) != n - n_inp:
            raise ValueError(f"{n} blocks with n_inp={n_inp} need {n_inp} get_x and {n - n_inp} get_y functions; "
                             f"got {len(xs)} and {len(ys)}")
        return [[g] if g is not None else [] for g in xs + ys]

    def _tfms(self) -> list[list]:
        """One pipeline per block: its getter, then the block's type transforms (fresh setups per call)."""
        return [g + list(b.type_tfms) for g, b in zip(self.getters, self.blocks)]

    def _items(self, source: Any):
        items = self.get_items(source) if self.get_items is not None else source
        if items is None or len(items) == 0:
            raise ValueError(f"no items: get_items returned {'nothing' if items is None else 'an empty list'} for "
                             f"{source!r}; check the path or the function")
        return items

    def datasets(self, source: Any) -> Datasets:
        """Items from `source`, split, with one pipeline per block (their transforms set up on the training part)."""
        items = self._items(source)
        splits = check_splits(self.splitter(items), len(items))
        return Datasets(items, tfms=self._tfms(), splits=splits, n_inp=self.n_inp)

    def dataloaders(self, source: Any, bs: int = 64, **kwargs):
        """Datasets as above, then a DataLoaders whose loaders apply the item and batch transforms."""
        dsets = self.datasets(source)
        opts = {**self.dls_kwargs, **kwargs}
        from .loaders import DataLoaders
        train = self.dl_type(dsets.train, bs=bs, shuffle=True, drop_last=len(dsets.train) > bs,
                             after_item=self.item_tfms, after_batch=self.batch_tfms, **opts)
        valid = train.new(dsets.valid, shuffle=False, drop_last=False)
        return DataLoaders(train, valid, device=opts.get("device"))

    def summary(self, source: Any, bs: int = 4, show_batch: bool = False) -> None:
        """Walk one item through every step (getting, splitting, each transform, collating, batch transforms),
        printing what comes out; on failure, say which step failed and re-raise."""
        step = "get_items"
        try:
            items = self._items(source)
            print(f"Collected {len(items)} items from {type(source).__name__}; first: {_short(_get(items, 0))}")
            step = "splitter"
            splits = check_splits(self.splitter(items), len(items))
            print(f"Split: {len(splits[0])} train, {len(splits[1]) if len(splits) > 1 else 0} valid")
            step = "setting up the type transforms"
            dsets = Datasets(items, tfms=self._tfms(), splits=splits, n_inp=self.n_inp)
            i = splits[0][0]
            item = _get(items, i)
            print(f"\nBuilding one item (training index {i}) from {_short(item)}")
            out = []
            for k, tl in enumerate(dsets.tls):
                kind = "x" if k < self.n_inp else "y"
                x = item
                print(f"  Pipeline {k} ({kind}): {tl.tfms}")
                for t in tl.tfms.fs:
                    step = f"transform {t.name} of pipeline {k}"
                    x = t(x, 0)
                    print(f"    {t.name:<20} -> {_short(x)}")
                out.append(x)
            sample = tuple(out)
            print(f"\nAfter the item transforms {Pipeline(self.item_tfms)}:")
            ai = Pipeline(self.item_tfms, split_idx=0)
            step = "item transforms"
            sample = ai(sample)
            print(f"  {_short(sample)}")
            step = "collating a batch"
            n = min(bs, len(splits[0]))
            batch = collate([ai(dsets.train[j]) for j in range(n)])
            print(f"\nCollated {n} items: {_short(batch)}")
            if self.batch_tfms:
                step = "batch transforms"
                dl = self.dl_type(dsets.train, bs=n, after_item=self.item_tfms, after_batch=self.batch_tfms)
                batch = dl.one_batch()
                print(f"After the batch transforms {dl.after_batch}: {_short(batch)}")
            print("\nAll steps ran.")
            if show_batch:
                self.dataloaders(source, bs=bs).show_batch(max_n=bs)
        except Exception as e:
            print(f"\nFAILED at {step}: {type(e).__name__}: {e}")
            raise


def _short(o: Any) -> str:
    if isinstance(o, tuple):
        return "(" + ", ".join(_short(x) for x in o) + ")"
    if hasattr(o, "shape") and hasattr(o, "dtype"):
        return f"{type(o).__name__} shape {tuple(o.shape)} {o.dtype}"
    r = repr(o).replace("\n", " ")
    return f"{type(o).__name__} {r[:70]}{'...' if len(r) > 70 else ''}"
