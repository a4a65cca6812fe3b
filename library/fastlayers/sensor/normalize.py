"""Per-channel normalization with statistics from the training series only (so nothing leaks from validation)."""
from __future__ import annotations

from typing import Sequence

import numpy as np
import torch
from torch import Tensor

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


class SeriesNormalize:
    "Scale each channel to mean 0 / std 1 with statistics set up from training series; `decode` undoes it."

    def __init__(self, mean: np.ndarray | None = None, std: np.ndarray | None = None):
        self.mean = None if mean is None else np.asarray(mean, dtype=np.float32)
        self.std = None if std is None else np.asarray(std, dtype=np.float32)

    def setup(self, train_series: Sequence[np.ndarray]) -> "SeriesNormalize":
        "Compute the statistics from the training split; call it with training series only."
        self.mean, self.std = channel_stats(train_series)
        return self

    def _stats_like(self, x):
        if self.mean is None:
            raise RuntimeError("SeriesNormalize has no statistics yet: call .setup(train_series) first.")
        if x.shape[-2] != len(self.mean):
            raise ValueError(f"series has {x.shape[-2]} channels but the statistics were computed on "
                             f"{len(self.mean)}: every split must have the same channels.")
        if isinstance(x, Tensor):
            return (torch.as_tensor(self.mean, device=x.device)[:, None],
                    torch.as_tensor(self.std, device=x.device)[:, None])
        return self.mean[:, None], self.std[:, None]

    def __call__(self, x):
        "Normalize a `(channels, length)` or `(n, channels, length)` array or tensor."
        mean, std = self._stats_like(x)
        return (x - mean) / std

    def decode(self, x):
        "Back to the original units."
        mean, std = self._stats_like(x)
        return x * std + mean
