"""Lesson 08 (course/08_vision.ipynb, exercises/08_vision/): batch augmentation on the GPU (or CPU): every
geometric step is a matrix, so a batch is resampled only once.

Flipping, rotating and zooming each map output pixel coordinates to input coordinates. Applying them one after
another would interpolate (and blur) the image once per step; multiplying their 3x3 matrices first and calling
`grid_sample` a single time gives the same geometry with one interpolation, for the whole batch at once
(`sharpness` measures the difference).
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from ..core import ItemTransform, TensorImage, TensorMask

__all__ = ["flip_mats", "rotate_mats", "zoom_mats", "AffineAugment", "Lighting", "aug_transforms", "apply_affine",
           "sharpness"]


def _eye(n: int, device=None) -> torch.Tensor:
    return torch.eye(3, device=device).expand(n, 3, 3).clone()


def flip_mats(flip: torch.Tensor) -> torch.Tensor:
    """Horizontal flips: one 3x3 matrix per image, mirroring x where `flip` (bool, shape (n,)) is True."""
    m = _eye(len(flip), flip.device)
    m[:, 0, 0] = 1 - 2 * flip.float()
    return m


def rotate_mats(degrees: torch.Tensor) -> torch.Tensor:
    """Rotations by `degrees` (shape (n,)) about the image centre."""
    rad = degrees.float() * math.pi / 180
    m = _eye(len(degrees), degrees.device)
    m[:, 0, 0], m[:, 0, 1] = rad.cos(), -rad.sin()
    m[:, 1, 0], m[:, 1, 1] = rad.sin(), rad.cos()
    return m


def zoom_mats(scale: torch.Tensor, cx: torch.Tensor | None = None, cy: torch.Tensor | None = None) -> torch.Tensor:
    """Zoom in by `scale` (>1 magnifies) towards the centre (`cx`, `cy` in [-1, 1], default the middle)."""
    m = _eye(len(scale), scale.device)
    m[:, 0, 0] = m[:, 1, 1] = 1 / scale.float()
    if cx is not None:
        m[:, 0, 2] = cx * (1 - 1 / scale.float())
    if cy is not None:
        m[:, 1, 2] = cy * (1 - 1 / scale.float())
    return m


def apply_affine(x: torch.Tensor, mats: torch.Tensor, size: tuple[int, int] | None = None,
                 mode: str = "bilinear", pad: str = "reflection") -> torch.Tensor:
    """Resample a batch (n, c, h, w) through per-image 3x3 matrices (output coords -> input coords), once."""
    n, c, h, w = x.shape
    size = size or (h, w)
    grid = F.affine_grid(mats[:, :2].to(x.dtype if x.is_floating_point() else torch.float32),
                         [n, c, *size], align_corners=False)
    src = x if x.is_floating_point() else x.float()
    out = F.grid_sample(src, grid.to(src.dtype), mode=mode, padding_mode=pad, align_corners=False)
    return out if x.is_floating_point() else out.round().to(x.dtype)


def sharpness(x: torch.Tensor) -> torch.Tensor:
    """Per image of a batch (n, c, h, w): the mean squared difference of horizontally adjacent pixels plus that of
    vertically adjacent ones. Every interpolation averages neighbours, so each resample lowers it."""
    dx = (x[..., :, 1:] - x[..., :, :-1]).pow(2).flatten(1).mean(1)
    dy = (x[..., 1:, :] - x[..., :-1, :]).pow(2).flatten(1).mean(1)
    return dx + dy


class AffineAugment(ItemTransform):
    """Random flip + rotation + zoom for a training batch, composed into one matrix per image (train only).

    Images are resampled bilinearly and masks (`TensorMask`) with nearest neighbours, through the same matrices,
    so an image and its segmentation mask stay aligned.
    """

    split_idx, order = 0, 30

    def __init__(self, do_flip: bool = True, max_rotate: float = 10.0, min_zoom: float = 1.0,
                 max_zoom: float = 1.1, p_affine: float = 0.75, size: tuple[int, int] | None = None,
                 pad_mode: str = "reflection"):
        super().__init__()
        if not 0 <= p_affine <= 1:
            raise ValueError(f"p_affine is a probability, got {p_affine}")
        if min_zoom <= 0 or max_zoom < min_zoom:
            raise ValueError(f"need 0 < min_zoom <= max_zoom, got {min_zoom}, {max_zoom}")
        self.do_flip, self.max_rotate, self.min_zoom, self.max_zoom = do_flip, max_rotate, min_zoom, max_zoom
        self.p_affine, self.size, self.pad_mode = p_affine, size, pad_mode

    def random_mats(self, n: int, device=None) -> torch.Tensor:
        """Draw one composed matrix per image; each image is transformed with probability `p_affine`."""
        u = lambda: torch.rand(n, device=device)  # noqa: E731
        flip = (u() < 0.5) & self.do_flip
        degrees = (u() * 2 - 1) * self.max_rotate
        scale = self.min_zoom + u() * (self.max_zoom - self.min_zoom)
        mats = flip_mats(flip) @ rotate_mats(degrees) @ zoom_mats(scale, u() * 2 - 1, u() * 2 - 1)
        keep = u() >= self.p_affine
        mats[keep] = torch.eye(3, device=device)
        return mats

    def encodes(self, b: tuple) -> tuple:
        imgs = [x for x in b if isinstance(x, TensorImage) and x.ndim == 4]
        if not imgs:
            return b
        mats = self.random_mats(imgs[0].shape[0], imgs[0].device)
        out = []
        for x in b:
            if isinstance(x, TensorImage) and x.ndim == 4:
                mode, pad = ("nearest", "zeros") if isinstance(x, TensorMask) else ("bilinear", self.pad_mode)
                x = type(x)(apply_affine(x.as_subclass(torch.Tensor), mats, self.size, mode, pad))
            out.append(x)
        return tuple(out)


class Lighting(ItemTransform):
    """Random brightness and contrast on float images in [0, 1], per image (train only)."""

    split_idx, order = 0, 40

    def __init__(self, max_lighting: float = 0.2, p: float = 0.75):
        super().__init__()
        self.max_lighting, self.p = max_lighting, p

    def encodes(self, b: tuple) -> tuple:
        out = []
        for x in b:
            if isinstance(x, TensorImage) and not isinstance(x, TensorMask) and x.ndim == 4 and x.is_floating_point():
                n = x.shape[0]
                on = (torch.rand(n, 1, 1, 1, device=x.device) < self.p).float()
                bright = (torch.rand(n, 1, 1, 1, device=x.device) * 2 - 1) * self.max_lighting * on
                contrast = 1 + (torch.rand(n, 1, 1, 1, device=x.device) * 2 - 1) * self.max_lighting * on
                mean = x.mean(dim=(1, 2, 3), keepdim=True)
                x = ((x - mean) * contrast + mean + bright).clamp(0, 1)
            out.append(x)
        return tuple(out)


def aug_transforms(do_flip: bool = True, max_rotate: float = 10.0, min_zoom: float = 1.0, max_zoom: float = 1.1,
                   max_lighting: float = 0.2, p_affine: float = 0.75, p_lighting: float = 0.75,
                   size: tuple[int, int] | None = None) -> list:
    """The usual batch augmentations: one composed affine resample, then lighting."""
    tfms = [AffineAugment(do_flip, max_rotate, min_zoom, max_zoom, p_affine, size)]
    if max_lighting > 0:
        tfms.append(Lighting(max_lighting, p_lighting))
    return tfms
