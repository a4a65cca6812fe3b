"""Lesson 03 (course/03_data_loaders.ipynb, exercises/03_data_loaders/: RandomSplitter, FuncSplitter):
Splitters: functions from a list of items to (train indices, valid indices)."""
from __future__ import annotations

from pathlib import Path
from typing import Callable, Sequence

import numpy as np
import torch

__all__ = ["RandomSplitter", "IndexSplitter", "ColSplitter", "GrandparentSplitter", "FuncSplitter", "check_splits"]


def RandomSplitter(valid_pct: float = 0.2, seed: int | None = None) -> Callable:
    """Split at random, `valid_pct` of the items to validation; the same `seed` gives the same split."""
    if not 0 < valid_pct < 1:
        raise ValueError(f"valid_pct must be strictly between 0 and 1, got {valid_pct}")

    def _split(items: Sequence) -> tuple[list[int], list[int]]:
        g = torch.Generator().manual_seed(seed) if seed is not None else None
        idx = torch.randperm(len(items), generator=g).tolist()
        cut = int(valid_pct * len(items))
        return idx[cut:], idx[:cut]
    return _split


def IndexSplitter(valid_idx: Sequence[int]) -> Callable:
    """The given indices go to validation, the rest to training."""
    def _split(items: Sequence) -> tuple[list[int], list[int]]:
        valid = sorted({int(i) for i in valid_idx})
        bad = [i for i in valid if not 0 <= i < len(items)]
        if bad:
            raise IndexError(f"IndexSplitter: indices {bad[:5]} are outside 0..{len(items) - 1}")
        taken = set(valid)
        return [i for i in range(len(items)) if i not in taken], valid
    return _split


def FuncSplitter(func: Callable) -> Callable:
    """Items for which `func(item)` is true go to validation."""
    def _split(items: Sequence) -> tuple[list[int], list[int]]:
        mask = [bool(func(o)) for o in _rows(items)]
        return [i for i, m in enumerate(mask) if not m], [i for i, m in enumerate(mask) if m]
    return _split


def ColSplitter(col: str | int = "is_valid") -> Callable:
    """Rows of a DataFrame whose column `col` is true go to validation."""
    def _split(df) -> tuple[list[int], list[int]]:
        if col not in df.columns:
            raise KeyError(f"ColSplitter: no column {col!r}; the DataFrame has {list(df.columns)}")
        mask = np.asarray(df[col]).astype(bool)
        return np.flatnonzero(~mask).tolist(), np.flatnonzero(mask).tolist()
    return _split


def GrandparentSplitter(train_name: str = "train", valid_name: str = "valid") -> Callable:
    """Files whose grandparent folder is `valid_name` go to validation, `train_name` to training (others nowhere)."""
    def _split(paths: Sequence) -> tuple[list[int], list[int]]:
        names = [Path(p).parent.parent.name for p in paths]
        return ([i for i, n in enumerate(names) if n == train_name],
                [i for i, n in enumerate(names) if n == valid_name])
    return _split


def _rows(items):
    """Iterate the items, or a DataFrame's rows."""
    return (r for _, r in items.iterrows()) if hasattr(items, "iterrows") else iter(items)


def check_splits(splits: Sequence[Sequence[int]], n: int) -> list[list[int]]:
    """Validate index lists over `n` items: in range, not empty, no item in two splits; return them as lists."""
    splits = [[int(i) for i in s] for s in splits]
    names = ["train", "valid"] + [f"split {k}" for k in range(2, len(splits))]
    for name, s in zip(names, splits):
        if not s:
            raise ValueError(f"the {name} split is empty ({n} items in all): check the splitter (e.g. valid_pct, "
                             f"folder names, the validation column)")
        bad = [i for i in s if not 0 <= i < n]
        if bad:
            raise IndexError(f"the {name} split has indices {bad[:5]} outside 0..{n - 1}")
    seen: dict[int, str] = {}
    for name, s in zip(names, splits):
        for i in s:
            if i in seen:
                raise ValueError(f"the split leaks: item {i} is in both {seen[i]} and {name}; "
                                 f"a splitter must put every item in at most one split")
            seen[i] = name
    return splits
