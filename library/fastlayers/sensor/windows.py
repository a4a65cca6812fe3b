"""Lesson 09 (course/09_sensor_sequences.ipynb, exercises/09_sensor_sequences/):
Cutting long recordings into fixed windows that never straddle two recordings or the train/valid boundary."""
from __future__ import annotations

from collections import Counter
from typing import Sequence

import numpy as np

__all__ = ["window_starts", "window_label", "make_windows", "split_by_time"]


def window_starts(length: int, size: int, stride: int) -> list[int]:
    "Start of every full window of `size` steps, `stride` apart, inside a recording of `length` steps."
    if size < 1 or stride < 1:
        raise ValueError(f"size and stride must be positive, got size={size}, stride={stride}")
    return list(range(0, length - size + 1, stride))


def window_label(step_labels: Sequence, how: str = "majority"):
    "One label for a window from its per-step labels: the most common ('majority', ties to the earliest) or 'last'."
    if how == "last":
        return step_labels[-1]
    if how == "majority":
        counts = Counter(step_labels)
        best = max(counts.values())
        return next(v for v in step_labels if counts[v] == best)  # earliest of the tied labels
    raise ValueError(f"label must be 'majority' or 'last', got {how!r}")


def make_windows(recordings: Sequence[np.ndarray], step_labels: Sequence[Sequence] | None = None,
                 size: int = 64, stride: int | None = None, label: str = "majority"):
    """Windows `(n, channels, size)` cut from each recording `(channels, length_i)` on its own,
    with one label each, and the recording index and start step of every window."""
    stride = size if stride is None else stride
    if step_labels is not None and len(step_labels) != len(recordings):
        raise ValueError(f"got {len(step_labels)} label sequences for {len(recordings)} recordings.")
    windows, labels, rec_idx, starts = [], [], [], []
    for r, rec in enumerate(recordings):
        rec = np.asarray(rec)
        if rec.ndim != 2:
            raise ValueError(f"recording {r} has shape {rec.shape}; each must be (channels, length).")
        if step_labels is not None and len(step_labels[r]) != rec.shape[1]:
            raise ValueError(f"recording {r} has {rec.shape[1]} steps but {len(step_labels[r])} step labels.")
        # windowing each recording separately is what keeps a window from spanning two of them
        for s in window_starts(rec.shape[1], size, stride):
            windows.append(rec[:, s:s + size])
            if step_labels is not None:
                labels.append(window_label(list(step_labels[r][s:s + size]), label))
            rec_idx.append(r)
            starts.append(s)
    if not windows:
        longest = max((np.asarray(r).shape[-1] for r in recordings), default=0)
        raise ValueError(f"no window of size {size} fits: the longest recording has {longest} steps. "
                         "Use a smaller size.")
    return (np.stack(windows).astype(np.float32), None if step_labels is None else np.asarray(labels),
            np.asarray(rec_idx), np.asarray(starts))


def split_by_time(recordings: Sequence[np.ndarray], step_labels: Sequence[Sequence] | None = None,
                  valid_pct: float = 0.2):
    "Cut every recording at `1 - valid_pct` of its length: the start goes to train, the end to valid."
    if not 0 < valid_pct < 1:
        raise ValueError(f"valid_pct must be between 0 and 1, got {valid_pct}")
    cuts = [int(round(np.asarray(r).shape[-1] * (1 - valid_pct))) for r in recordings]
    train = [np.asarray(r)[:, :c] for r, c in zip(recordings, cuts)]
    valid = [np.asarray(r)[:, c:] for r, c in zip(recordings, cuts)]
    if step_labels is None:
        return train, valid, None, None
    return (train, valid, [list(l)[:c] for l, c in zip(step_labels, cuts)],
            [list(l)[c:] for l, c in zip(step_labels, cuts)])
