"""SensorDataLoaders: labelled series -> normalized, (padded and masked) batches for a Learner."""
from __future__ import annotations

from typing import Callable, Sequence

import numpy as np
import pandas as pd
import torch
import torch.utils.data as tud

from ..core import TensorCategory, TensorSeries
from ..data import Categorize, DataLoader, DataLoaders, RandomSplitter
from .normalize import SeriesNormalize
from .padding import pad_series
from .recipe import recipe_bs
from .series import check_labels, check_same_channels, load_aeon, series_from_df, to_series_list

__all__ = ["SeriesDataset", "SensorDataLoaders"]


class SeriesDataset(tud.Dataset):
    "Normalized series with their labels: items `(TensorSeries, TensorCategory)`, batches `(x, [mask,] y)`."

    def __init__(self, series: Sequence[np.ndarray], labels: Sequence | None, categorize: Categorize,
                 normalize: SeriesNormalize, with_mask: bool, augment: Callable | None = None, split_idx: int = 0):
        self.x = [torch.from_numpy(np.ascontiguousarray(normalize(s))) for s in series]
        self.y = None if labels is None else [categorize(l) for l in labels]
        self.categorize, self.normalize, self.augment = categorize, normalize, augment
        self.with_mask, self.split_idx = with_mask, split_idx
        self.length = self.x[0].shape[-1] if self.x else None  # equal-length loaders take only this length

    def __len__(self) -> int:
        return len(self.x)

    def __getitem__(self, i: int) -> tuple:
        x = self.x[i]
        if self.augment is not None:  # the augmentation itself checks split_idx: training items only
            x = self.augment(x, split_idx=self.split_idx)
        return (TensorSeries(x),) if self.y is None else (TensorSeries(x), TensorCategory(self.y[i]))

    # what the Learner and DataLoaders read
    n_inp = property(lambda self: 2 if self.with_mask else 1)
    vocab = property(lambda self: self.categorize.vocab)
    c = property(lambda self: self.categorize.c)
    loss_func = property(lambda self: self.categorize.loss_func)

    def collate(self, items: list) -> tuple:
        "Stack items; with variable lengths pad them and add the mask right after the series."
        cols = list(zip(*items))
        if self.with_mask:
            x, mask = pad_series(cols[0])
            head = (TensorSeries(x), mask)
        else:
            head = (TensorSeries(torch.stack(cols[0])),)
        return head + tuple(TensorCategory(torch.stack([torch.as_tensor(o) for o in c])) for c in cols[1:])

    def decode(self, item: tuple) -> tuple:
        "One batch row back to readable form: the real steps in original units, and the label name."
        x, rest = item[0], list(item[1:])
        if self.with_mask:
            x = x[..., : int(rest.pop(0).sum())]
        x = TensorSeries(self.normalize.decode(torch.as_tensor(x).as_subclass(torch.Tensor).cpu()))
        return (x,) + tuple(self.categorize.decode(TensorCategory(o)) for o in rest)


class SensorDataLoaders(DataLoaders):
    "Train/valid loaders of series, with factories for arrays, long DataFrames and aeon datasets."

    @classmethod
    def from_arrays(cls, X, y, X_valid=None, y_valid=None, valid_pct: float = 0.2, seed: int | None = None,
                    bs: int | None = None, augment: Callable | None = None, fill_nan: str | float | None = None,
                    device=None, **kwargs) -> "SensorDataLoaders":
        """Series `(n, channels, length)` or a list of `(channels, length_i)` with labels; validation given,
        or a random `valid_pct` of the series. Normalization statistics come from the training series only.
        `bs=None` picks the batch size from the number of training series (`recipe_bs`)."""
        series = to_series_list(X, fill_nan=fill_nan, name="X")
        labels = check_labels(y, len(series), "y")
        if X_valid is None:
            if y_valid is not None:
                raise ValueError("y_valid was given without X_valid.")
            train_idx, valid_idx = RandomSplitter(valid_pct, seed=seed)(series)
            series, valid, labels, valid_labels = ([series[i] for i in train_idx], [series[i] for i in valid_idx],
                                                   labels[list(train_idx)], labels[list(valid_idx)])
        else:
            valid = to_series_list(X_valid, fill_nan=fill_nan, name="X_valid")
            valid_labels = check_labels(y_valid, len(valid), "y_valid")
        n_channels = check_same_channels(series, "X")
        check_same_channels(valid, "X_valid", expected=n_channels)
        normalize = SeriesNormalize().setup(series)       # training split only: nothing leaks from valid
        categorize = Categorize()
        categorize.setup(list(labels))
        with_mask = len({s.shape[-1] for s in list(series) + list(valid)}) > 1
        bs = recipe_bs(len(series)) if bs is None else bs
        train_ds = SeriesDataset(series, labels, categorize, normalize, with_mask, augment, split_idx=0)
        valid_ds = SeriesDataset(valid, valid_labels, categorize, normalize, with_mask, None, split_idx=1)
        train_dl = DataLoader(train_ds, bs=bs, shuffle=True, drop_last=len(train_ds) > bs, seed=seed,
                              create_batch=train_ds.collate, **kwargs)
        # validation needs no gradient noise: bigger batches are just faster
        valid_dl = DataLoader(valid_ds, bs=max(bs, 64), create_batch=valid_ds.collate, **kwargs)
        return cls(train_dl, valid_dl, device=device)

    @classmethod
    def from_df(cls, df: pd.DataFrame, id_col: str, time_col: str, channel_cols: Sequence[str], label_col: str,
                valid_ids: Sequence | None = None, valid_pct: float = 0.2, seed: int | None = None,
                fill_nan: str | float | None = None, **kwargs) -> "SensorDataLoaders":
        "Long format (one row per series id and time step); validation is `valid_ids` or a random `valid_pct`."
        ids, series, labels = series_from_df(df, id_col, time_col, channel_cols, label_col, fill_nan)
        if valid_ids is None:
            return cls.from_arrays(series, labels, valid_pct=valid_pct, seed=seed, **kwargs)
        unknown = set(valid_ids) - set(ids)
        if unknown:
            raise ValueError(f"valid_ids {sorted(unknown)[:5]} are not ids in {id_col!r}.")
        is_valid = np.asarray([i in set(valid_ids) for i in ids])
        pick = lambda seq, keep: [s for s, k in zip(seq, keep) if k]
        return cls.from_arrays(pick(series, ~is_valid), pick(labels, ~is_valid), pick(series, is_valid),
                               pick(labels, is_valid), seed=seed, **kwargs)

    @classmethod
    def from_aeon(cls, name: str, bs: int | None = None, seed: int | None = None, **kwargs) -> "SensorDataLoaders":
        "A dataset bundled with aeon (offline), its test split as validation; `bs=None` picks it from the size."
        X, y = load_aeon(name, "train")
        X_valid, y_valid = load_aeon(name, "test")
        return cls.from_arrays(X, y, X_valid, y_valid, bs=bs, seed=seed, **kwargs)

    @property
    def normalize(self) -> SeriesNormalize:
        "The per-channel normalization (statistics from the training split)."
        return self.train_ds.normalize

    def new_empty(self) -> "SensorDataLoaders":
        "The same processing (statistics, vocab, masking, series length) over no series: what `export` keeps."
        ds = self.train_ds
        empty = SeriesDataset([], [], ds.categorize, ds.normalize, ds.with_mask, None, split_idx=1)
        empty.length = ds.length
        dl = DataLoader(empty, bs=self.valid.bs, create_batch=empty.collate)
        return type(self)(dl, dl, device=self.device)

    def test_dl(self, items, with_labels: bool = False, labels=None, **kwargs) -> DataLoader:
        "Series processed like the validation set (same statistics and vocab); labels only when given."
        ds = self.train_ds
        series = to_series_list(items, name="test items")
        check_same_channels(series, "test items", expected=len(ds.normalize.mean))
        if not ds.with_mask and len({s.shape[-1] for s in series} | {ds.length}) > 1:
            raise ValueError("these loaders were built for equal-length series (no mask), but the test items have "
                             f"other lengths; give them the training length {ds.length}.")
        if with_labels and labels is None:
            raise ValueError("with_labels=True needs labels=...")
        test_ds = SeriesDataset(series, check_labels(labels, len(series)) if with_labels else None,
                                ds.categorize, ds.normalize, ds.with_mask, None, split_idx=1)
        return DataLoader(test_ds, bs=self.valid.bs, create_batch=test_ds.collate, device=self.device, **kwargs)
