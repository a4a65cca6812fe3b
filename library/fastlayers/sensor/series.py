"""Getting series in: numpy arrays, long-format DataFrames and aeon's bundled datasets, checked on the way."""
from __future__ import annotations

from typing import Sequence

import numpy as np
import pandas as pd

__all__ = ["to_series_list", "check_labels", "check_same_channels", "series_from_df", "load_aeon"]


def _fill_nan(s: np.ndarray, fill: str | float) -> np.ndarray:
    "Fill NaNs in one `(channels, length)` series: 'ffill' carries the last reading forward (then back), or a number."
    if fill != "ffill":
        return np.where(np.isnan(s), np.float32(fill), s)
    out = s.copy()
    for c in range(out.shape[0]):
        row, ok = out[c], ~np.isnan(out[c])
        if not ok.any():
            raise ValueError(f"channel {c} is all NaN, so 'ffill' has nothing to carry; use fill_nan=<number>.")
        idx = np.where(ok, np.arange(len(row)), 0)
        np.maximum.accumulate(idx, out=idx)
        row[:] = row[idx]
        row[: np.argmax(ok)] = row[np.argmax(ok)]  # leading NaNs take the first real reading
    return out


def to_series_list(X, fill_nan: str | float | None = None, name: str = "X") -> list[np.ndarray]:
    "Turn `(n, channels, length)` data or a list of `(channels, length_i)` series into float32 arrays, checked."
    if isinstance(X, np.ndarray) and X.ndim == 2:
        raise ValueError(f"{name} is 2-D {X.shape}; series need (n, channels, length). "
                         f"For univariate series use {name}[:, None, :].")
    series = [np.asarray(s, dtype=np.float32) for s in X]
    if len(series) == 0:
        raise ValueError(f"{name} holds no series.")
    for i, s in enumerate(series):
        if s.ndim != 2:
            raise ValueError(f"{name}[{i}] has shape {s.shape}; each series must be (channels, length).")
        if s.shape[1] == 0:
            raise ValueError(f"{name}[{i}] has no time steps.")
        if np.isinf(s).any():
            raise ValueError(f"{name}[{i}] contains inf; clean or clip the readings first.")
        if np.isnan(s).any():
            if fill_nan is None:
                c, t = np.argwhere(np.isnan(s))[0]
                raise ValueError(f"{name}[{i}] contains NaN (first at channel {c}, step {t}). Clean the data, "
                                 "or pass fill_nan='ffill' (carry the last reading forward) or fill_nan=<number>.")
            series[i] = _fill_nan(s, fill_nan)
    check_same_channels(series, name)
    return series


def check_same_channels(series: Sequence[np.ndarray], name: str = "X", expected: int | None = None) -> int:
    "Return the common channel count, raising a clear error when series (or splits) disagree."
    counts = sorted({s.shape[0] for s in series} | ({expected} if expected is not None else set()))
    if len(counts) > 1:
        where = "" if expected is None else f" (the training split has {expected})"
        raise ValueError(f"{name} mixes channel counts {counts}{where}; every series in every split must "
                         "have the same channels in the same order.")
    return counts[0]


def check_labels(y, n: int, name: str = "y") -> np.ndarray:
    "Labels as an array of length `n`, with a clear error when some are missing."
    if y is None:
        raise ValueError(f"{name} is None: every series needs a label (use test_dl for unlabelled data).")
    labels = np.asarray(y, dtype=object)
    if labels.ndim != 1 or len(labels) != n:
        raise ValueError(f"got {labels.shape[0] if labels.ndim else 0} labels in {name} for {n} series; "
                         "give exactly one label per series.")
    missing = [i for i, v in enumerate(labels) if v is None or (isinstance(v, float) and np.isnan(v))]
    if missing:
        raise ValueError(f"{len(missing)} series have no label in {name} (first at index {missing[0]}); "
                         "drop them or label them.")
    return labels


def series_from_df(df: pd.DataFrame, id_col: str, time_col: str, channel_cols: Sequence[str],
                   label_col: str | None = None, fill_nan: str | float | None = None):
    "Long format (one row per id and time step) to `(ids, series, labels)`, each series sorted by time."
    cols = [id_col, time_col, *channel_cols] + ([label_col] if label_col else [])
    absent = [c for c in cols if c not in df.columns]
    if absent:
        raise ValueError(f"columns {absent} are not in the DataFrame (it has {list(df.columns)}).")
    ids, series, labels = [], [], []
    for key, g in df.sort_values([id_col, time_col]).groupby(id_col, sort=False):
        ids.append(key)
        series.append(g[list(channel_cols)].to_numpy(np.float32).T)
        if label_col:
            vals = g[label_col].dropna().unique()
            if len(vals) > 1:
                raise ValueError(f"series {key!r} has several labels {list(vals)} in {label_col!r}; "
                                 "a series needs one label (window it with make_windows for per-step labels).")
            labels.append(vals[0] if len(vals) else None)
    series = to_series_list(series, fill_nan=fill_nan, name="DataFrame series")
    return ids, series, (check_labels(labels, len(series), label_col) if label_col else None)


def load_aeon(name: str, split: str = "train", fill_nan: str | float | None = None):
    "Load one split of a dataset bundled with aeon (BasicMotions, JapaneseVowels, GunPoint...), offline."
    if split not in ("train", "test"):
        raise ValueError(f"split must be 'train' or 'test', got {split!r}")
    from aeon.datasets import load_classification  # imported here: aeon is slow to import

    X, y = load_classification(name, split=split)
    return to_series_list(X, fill_nan=fill_nan, name=f"{name} {split}"), check_labels(y, len(X))
