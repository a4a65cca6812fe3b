"""Lesson 09 (course/09_sensor_sequences.ipynb, exercises/09_sensor_sequences/):
Padding variable-length series into one batch, with a mask that says which steps are real."""
from __future__ import annotations

from typing import Sequence

import torch
from torch import Tensor

__all__ = ["pad_series", "pad_collate"]


def pad_series(xs: Sequence[Tensor], pad_value: float = 0.0) -> tuple[Tensor, Tensor]:
    "Stack `(channels, length_i)` series into `(n, channels, max_length)` and a `(n, max_length)` mask of real steps."
    if len(xs) == 0:
        raise ValueError("pad_series got no series; pass at least one (channels, length) tensor.")
    channels = {int(x.shape[0]) for x in xs}
    if len(channels) > 1:
        raise ValueError(f"series in one batch have different channel counts {sorted(channels)}; "
                         "every series must have the same channels.")
    longest = max(int(x.shape[-1]) for x in xs)
    out = xs[0].new_full((len(xs), xs[0].shape[0], longest), pad_value)
    mask = torch.zeros(len(xs), longest, dtype=torch.bool)
    for i, x in enumerate(xs):
        # padding goes at the end, so step t means the same moment in every series
        out[i, :, : x.shape[-1]] = x
        mask[i, : x.shape[-1]] = True
    return out, mask


def pad_collate(batch: Sequence[tuple[Tensor, Tensor]]) -> tuple[Tensor, Tensor, Tensor]:
    "Collate `(series, label)` pairs into `(x, mask, y)`: models read `mask` so padding cannot change predictions."
    xs, ys = zip(*batch)
    x, mask = pad_series(xs)
    return x, mask, torch.stack([torch.as_tensor(y) for y in ys])
