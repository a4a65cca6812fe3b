"""Masked building blocks: layers whose result on the real time steps ignores how much padding follows them."""
from __future__ import annotations

import torch
from torch import nn, Tensor

__all__ = ["lengths_from_mask", "masked_mean", "masked_max", "last_valid", "MaskedBatchNorm1d", "check_min_len"]


def lengths_from_mask(mask: Tensor) -> Tensor:
    "Number of real (unpadded) steps in each row of a `(n, length)` boolean mask."
    return mask.sum(dim=1)


def masked_mean(x: Tensor, mask: Tensor | None) -> Tensor:
    "Mean of `x` `(n, c, length)` over the real steps only, giving `(n, c)`."
    if mask is None:
        return x.mean(dim=-1)
    m = mask.unsqueeze(1).to(x.dtype)
    return (x * m).sum(dim=-1) / m.sum(dim=-1).clamp_min(1.0)


def masked_max(x: Tensor, mask: Tensor | None) -> Tensor:
    "Max of `x` `(n, c, length)` over the real steps only, giving `(n, c)`."
    if mask is None:
        return x.amax(dim=-1)
    return x.masked_fill(~mask.unsqueeze(1), float("-inf")).amax(dim=-1)


def last_valid(x: Tensor, mask: Tensor | None) -> Tensor:
    "The last real step of `x` `(n, length, features)`: not the last padded step, which is only filler."
    if mask is None:
        return x[:, -1]
    idx = (lengths_from_mask(mask) - 1).clamp_min(0)
    return x[torch.arange(x.shape[0], device=x.device), idx]


def check_min_len(mask: Tensor | None, length: int, min_len: int, model: str) -> None:
    "Raise a clear error when a series is shorter than the model's receptive field `min_len`."
    shortest = length if mask is None else int(lengths_from_mask(mask).min())
    if shortest < min_len:
        raise ValueError(
            f"{model} needs series of at least {min_len} steps (its receptive field), but got one with "
            f"{shortest} steps. Pad or drop short series, use a smaller kernel_size, or pick a recurrent arch.")


class MaskedBatchNorm1d(nn.BatchNorm1d):
    "BatchNorm over `(n, c, length)` whose training statistics use the real steps only, so padding cannot shift them."

    def forward(self, x: Tensor, mask: Tensor | None = None) -> Tensor:  # type: ignore[override]
        if mask is None or not self.training:
            return super().forward(x)
        m = mask.unsqueeze(1).to(x.dtype)          # (n, 1, length)
        count = m.sum().clamp_min(2.0)
        mean = (x * m).sum(dim=(0, 2)) / count
        var = (((x - mean[None, :, None]) ** 2) * m).sum(dim=(0, 2)) / count
        with torch.no_grad():                      # running stats use the unbiased variance, like nn.BatchNorm1d
            self.num_batches_tracked += 1
            self.running_mean.lerp_(mean, self.momentum)
            self.running_var.lerp_(var * count / (count - 1), self.momentum)
        y = (x - mean[None, :, None]) / torch.sqrt(var[None, :, None] + self.eps)
        return (y * self.weight[None, :, None] + self.bias[None, :, None]) * m
