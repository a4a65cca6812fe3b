"""Images as data: loading files or arrays into `TensorImage`s, resizing, and ready-made DataLoaders."""
from __future__ import annotations

from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np
import torch
import torch.nn.functional as F

from ..core import Transform, TensorImage
from ..data import (CategoryBlock, DataBlock, GrandparentSplitter, IntToFloatTensor, Normalize, RandomSplitter,
                    TransformBlock)

__all__ = ["IMAGE_EXTENSIONS", "get_image_files", "parent_label", "load_image", "ToImage", "Resize", "ImageBlock",
           "ImageDataLoaders", "imagenet_stats"]

IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tif", ".tiff", ".webp")
imagenet_stats = ([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])


def get_image_files(path: str | Path, folders: Sequence[str] | None = None) -> list[Path]:
    """Every image file under `path` (recursively, sorted), optionally only inside the named top-level folders."""
    path = Path(path)
    if not path.is_dir():
        raise FileNotFoundError(f"no folder at {path}: pass the folder that holds your images")
    roots = [path / f for f in folders] if folders else [path]
    return sorted(p for r in roots for p in r.rglob("*") if p.suffix.lower() in IMAGE_EXTENSIONS)


def parent_label(path: str | Path) -> str:
    """The label of a file is the name of the folder it sits in."""
    return Path(path).parent.name


def load_image(item: Any, mode: str | None = None) -> TensorImage:
    """A path, PIL image, numpy array (H,W) / (H,W,C) or tensor (H,W) / (C,H,W) as a uint8 `TensorImage` (C,H,W).

    Like the libraries they come from, numpy arrays are read channels-last and torch tensors channels-first.
    """
    if isinstance(item, (str, Path)):
        from PIL import Image, UnidentifiedImageError
        try:
            with Image.open(item) as im:
                item = im.convert(mode) if mode else (im.convert("RGB") if im.mode not in ("L", "RGB") else im.copy())
        except UnidentifiedImageError as err:
            raise ValueError(f"{item} is not an image file PIL can read; remove it or fix the file") from err
    if hasattr(item, "convert") and not isinstance(item, (np.ndarray, torch.Tensor)):  # a PIL image
        item = np.asarray(item)
    channels_last = not isinstance(item, torch.Tensor)
    t = torch.as_tensor(np.array(item)) if channels_last else item
    if t.ndim == 2:
        t = t[None]
    elif t.ndim == 3 and channels_last:
        t = t.permute(2, 0, 1)
    elif t.ndim != 3:
        raise ValueError(f"an image must have 2 or 3 dimensions, got shape {tuple(t.shape)}")
    if t.is_floating_point():
        t = (t.clamp(0, 1) * 255).round() if t.max() <= 1 else t.clamp(0, 255).round()
    return TensorImage(t.to(torch.uint8).contiguous())


class ToImage(Transform):
    """Type transform: whatever `load_image` accepts -> uint8 `TensorImage` (C,H,W)."""

    def __init__(self, mode: str | None = None):
        super().__init__()
        self.mode = mode

    def encodes(self, item: object):
        return load_image(item, self.mode)


class Resize(Transform):
    """Item transform: resize each image to `size` (int or (h, w)); masks use nearest neighbours."""

    order = 1

    def __init__(self, size: int | tuple[int, int]):
        super().__init__()
        self.size = (size, size) if isinstance(size, int) else tuple(size)

    def encodes(self, x: TensorImage):
        if tuple(x.shape[-2:]) == self.size:
            return x
        mask = type(x).__name__ == "TensorMask"
        src = x.as_plain()[None].float()
        out = F.interpolate(src, size=self.size, mode="nearest" if mask else "bilinear", align_corners=None if mask else False)
        return out[0].round().to(x.dtype) if not x.is_floating_point() else out[0]


def ImageBlock(mode: str | None = None, stats: tuple | None = None) -> TransformBlock:
    """An image input: loaded to uint8, then on the batch turned into floats in [0,1] and normalized."""
    return TransformBlock(type_tfms=ToImage(mode), batch_tfms=[IntToFloatTensor(), Normalize(*(stats or (None, None)))])


class ImageDataLoaders:
    """Factory methods for image classification DataLoaders."""

    @staticmethod
    def from_folder(path: str | Path, train: str = "train", valid: str = "valid", valid_pct: float | None = None,
                    seed: int | None = None, item_tfms: Any = None, batch_tfms: Any = None, bs: int = 64,
                    label_func: Callable = parent_label, **kwargs):
        """`path/train/<label>/*.png` and `path/valid/<label>/*.png` (or a random split with `valid_pct`)."""
        splitter = RandomSplitter(valid_pct, seed) if valid_pct is not None else GrandparentSplitter(train, valid)
        folders = None if valid_pct is not None else [train, valid]
        block = DataBlock(blocks=(ImageBlock(), CategoryBlock()), get_items=lambda p: get_image_files(p, folders),
                          splitter=splitter, get_y=label_func, item_tfms=item_tfms, batch_tfms=batch_tfms)
        return block.dataloaders(path, bs=bs, **kwargs)

    @staticmethod
    def from_arrays(images: Any, labels: Sequence, valid_pct: float = 0.2, seed: int | None = None,
                    item_tfms: Any = None, batch_tfms: Any = None, bs: int = 64, **kwargs):
        """Images as an array (n,H,W) / (n,H,W,C) / (n,C,H,W) with one label each, split at random."""
        if len(images) != len(labels):
            raise ValueError(f"{len(images)} images but {len(labels)} labels: give exactly one label per image")
        block = DataBlock(blocks=(ImageBlock(), CategoryBlock()), splitter=RandomSplitter(valid_pct, seed),
                          get_x=lambda i: images[i], get_y=lambda i: labels[i],
                          item_tfms=item_tfms, batch_tfms=batch_tfms)
        return block.dataloaders(list(range(len(images))), bs=bs, **kwargs)
