"""Series augmentations (jitter, scaling, magnitude warp, window slicing), applied to training items only."""
from __future__ import annotations

import torch
from torch import Tensor

__all__ = ["jitter", "scaling", "magnitude_warp", "window_slice", "SeriesAugment"]


def jitter(x: Tensor, sigma: float = 0.03, generator: torch.Generator | None = None) -> Tensor:
    "Add Gaussian noise of std `sigma` to every reading of `(channels, length)`."
    return x + sigma * torch.randn(x.shape, generator=generator, dtype=x.dtype)


def scaling(x: Tensor, sigma: float = 0.1, generator: torch.Generator | None = None) -> Tensor:
    "Multiply each channel by one random factor around 1 (std `sigma`)."
    return x * (1 + sigma * torch.randn(x.shape[0], 1, generator=generator, dtype=x.dtype))


def magnitude_warp(x: Tensor, sigma: float = 0.2, knots: int = 4, generator: torch.Generator | None = None) -> Tensor:
    "Multiply each channel by a smooth random curve around 1 (interpolated between `knots + 2` random points)."
    c, length = x.shape
    points = 1 + sigma * torch.randn(c, 1, knots + 2, generator=generator, dtype=x.dtype)
    curve = torch.nn.functional.interpolate(points, size=length, mode="linear", align_corners=True)
    return x * curve[:, 0]


def window_slice(x: Tensor, pct: float = 0.9, generator: torch.Generator | None = None) -> Tensor:
    "Crop a random `pct` of the series and stretch it back to the full length."
    c, length = x.shape
    keep = max(2, int(round(length * pct)))
    start = int(torch.randint(0, length - keep + 1, (1,), generator=generator))
    crop = x[None, :, start:start + keep]
    return torch.nn.functional.interpolate(crop, size=length, mode="linear", align_corners=True)[0]


class SeriesAugment:
    "Apply each augmentation with probability `p` to a training series; validation items are never augmented."
    split_idx = 0  # 0 = training split, as for train-only transforms in the core

    def __init__(self, augs=(jitter, scaling, magnitude_warp), p: float = 0.5, seed: int | None = None):
        self.augs, self.p = list(augs), p
        self.generator = torch.Generator()
        self.generator.manual_seed(torch.seed() if seed is None else seed)

    def __call__(self, x: Tensor, split_idx: int | None = None) -> Tensor:
        if split_idx != self.split_idx:
            return x
        for aug in self.augs:
            if torch.rand(1, generator=self.generator).item() < self.p:
                x = aug(x, generator=self.generator)
        return x
