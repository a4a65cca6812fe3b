"""Lesson 09 (course/09_sensor_sequences.ipynb, exercises/09_sensor_sequences/):
Per-channel normalization with statistics from the training series only (so nothing leaks from validation)."""
from __future__ import annotations

from typing import Sequence

import numpy as np
import torch
from torch import Tensor

from ..core import Transform

__all__ = ["channel_stats", "SeriesNormalize"]


def channel_stats(train_series: Sequence[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    "Mean and std of each channel over every time step of every training series `(channels, length_i)`."
    if len(train_series) == 0:
        raise ValueError("channel_stats needs at least one training series.")
    # concatenating along time weights each series by its length: every real step counts once
    steps = np.concatenate([np.asarray(s, dtype=np.float64) for s in train_series], axis=-1)
    mean, std = steps.mean(axis=-1), steps.std(axis=-1)
    # a flat channel (std 0) would divide by zero: leave its scale alone
    return mean.astype(np.float32), np.where(std > 1e-8, std, 1.0).astype(np.float32)


class SeriesNormalize(Transform):
    "Scale each channel to mean 0 / std 1 with statistics set up from training series; `decode` undoes it."

    order = 90          # after the series is built, before any batch-level step
    train_setup = True  # whatever the caller passes, statistics come from the training split only

    def __init__(self, mean: np.ndarray | None = None, std: np.ndarray | None = None):
        super().__init__()
        self.mean = None if mean is None else np.asarray(mean, dtype=np.float32)
        self.std = None if std is None else np.asarray(std, dtype=np.float32)

    def setup(self, items=None, train_setup: bool = False) -> "SeriesNormalize":
        "Compute the statistics from the training split of `items` (a list of training series, or a split dataset)."
        super().setup(items, train_setup)
        return self

    def setups(self, items) -> None:
        if self.mean is not None:  # statistics given by hand are kept
            return
        if items is None:
            raise ValueError("SeriesNormalize.setup needs the training series to compute its statistics.")
        self.mean, self.std = channel_stats([_as_array(s) for s in items])

    def _stats_like(self, x):
        if self.mean is None:
            raise RuntimeError("SeriesNormalize has no statistics yet: call .setup(train_series) first.")
        if x.ndim not in (2, 3) or x.shape[-2] != len(self.mean):
            raise ValueError(f"series has {x.shape[-2] if x.ndim >= 2 else 1} channels but the statistics were "
                             f"computed on {len(self.mean)}: every split must have the same channels.")
        if isinstance(x, Tensor):
            return (torch.as_tensor(self.mean, device=x.device)[:, None],
                    torch.as_tensor(self.std, device=x.device)[:, None])
        return self.mean[:, None], self.std[:, None]

    # `(channels, length)` or `(n, channels, length)`, as a numpy array or a tensor (a TensorSeries stays one)
    def encodes(self, x: np.ndarray) -> np.ndarray:
        mean, std = self._stats_like(x)
        return (x - mean) / std

    def encodes(self, x: Tensor):
        mean, std = self._stats_like(x)
        return (x - mean) / std

    def decodes(self, x: np.ndarray) -> np.ndarray:
        mean, std = self._stats_like(x)
        return x * std + mean

    def decodes(self, x: Tensor):
        mean, std = self._stats_like(x)
        return x * std + mean


def _as_array(s) -> np.ndarray:
    "A training series as a numpy array (tensors, including semantic ones, are stripped to plain CPU data first)."
    if isinstance(s, tuple):  # an item of a Datasets: the series is its first element
        s = s[0]
    if isinstance(s, Tensor):
        s = s.as_subclass(Tensor).detach().cpu().numpy()
    return np.asarray(s)
