"""Lesson 08 (course/08_vision.ipynb, exercises/08_vision/): images as data: loading files or arrays into
`TensorImage`s, resizing, Fashion-MNIST from the dataset registry, and ready-made DataLoaders whose learners export
and predict on the images a user has in hand (a file path, a numpy array, a PIL image)."""
from __future__ import annotations

import gzip
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np
import torch
import torch.nn.functional as F

from ..core import Transform, TensorImage
from ..data import (CategoryBlock, DataBlock, GrandparentSplitter, IndexSplitter, IntToFloatTensor, Normalize,
                    RandomSplitter, TransformBlock, get_dataset)

__all__ = ["IMAGE_EXTENSIONS", "get_image_files", "parent_label", "load_image", "ToImage", "Resize", "ImageBlock",
           "ImageItem", "ImageOf", "LabelOf", "ImageDataLoaders", "imagenet_stats", "read_idx", "load_fashion_mnist",
           "FASHION_MNIST_CLASSES"]

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


class ImageItem:
    """One labelled image of an in-memory data set (the image is the caller's array row, never a copy)."""

    __slots__ = ("image", "label")

    def __init__(self, image: Any, label: Any):
        self.image, self.label = image, label

    def __repr__(self) -> str:
        shape = tuple(getattr(self.image, "shape", ()))
        return f"ImageItem(image of shape {shape}, label={self.label!r})"


class ImageOf(Transform):
    """Getter: the image of an `ImageItem`. Anything else passes through unchanged, so `learn.predict` and
    `test_dl` take the image itself (a path, an array, a PIL image) where training took labelled items."""

    def encodes(self, item: ImageItem):
        return item.image


class LabelOf(Transform):
    """Getter: the label of an `ImageItem`."""

    def encodes(self, item: ImageItem):
        return item.label


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
                    item_tfms: Any = None, batch_tfms: Any = None, bs: int = 64, valid_images: Any = None,
                    valid_labels: Sequence | None = None, **kwargs):
        """Images as an array (n,H,W) / (n,H,W,C) (or a list of whatever `load_image` reads), one label each:
        split at random (`valid_pct`), or validated on `valid_images`/`valid_labels` when those are given.

        The items hold the images themselves (array rows, not copies) with their labels, and module-level getters
        pick them apart: the learner exports without its data, and predicts on a new image given as it is."""
        _same_length(images, labels, "")
        items = [ImageItem(images[i], labels[i]) for i in range(len(images))]
        if (valid_images is None) != (valid_labels is None):
            raise ValueError("give both valid_images and valid_labels (or neither, for a random split)")
        if valid_images is not None:
            _same_length(valid_images, valid_labels, "valid ")
            n_train = len(items)
            items += [ImageItem(valid_images[i], valid_labels[i]) for i in range(len(valid_images))]
            splitter = IndexSplitter(range(n_train, len(items)))
        else:
            splitter = RandomSplitter(valid_pct, seed)
        block = DataBlock(blocks=(ImageBlock(), CategoryBlock()), splitter=splitter, get_x=ImageOf(),
                          get_y=LabelOf(), item_tfms=item_tfms, batch_tfms=batch_tfms)
        return block.dataloaders(items, bs=bs, **kwargs)


def _same_length(images: Any, labels: Sequence, which: str) -> None:
    if len(images) != len(labels):
        raise ValueError(f"{len(images)} {which}images but {len(labels)} {which}labels: give exactly one label per "
                         f"image")


# ----------------------------------------------------------------------------------------------------------------
# Fashion-MNIST: IDX files from the dataset registry
# ----------------------------------------------------------------------------------------------------------------

FASHION_MNIST_CLASSES = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag",
                         "Ankle boot")
_IDX_TYPES = {0x08: np.uint8, 0x09: np.int8, 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


def read_idx(path: str | Path) -> np.ndarray:
    """An IDX file (the MNIST format; gzip-compressed when its name ends in .gz) as a numpy array."""
    path = Path(path)
    raw = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] not in _IDX_TYPES:
        raise ValueError(f"{path} is not an IDX file (it does not start with two zero bytes and a type code)")
    ndim = raw[3]
    shape = tuple(int.from_bytes(raw[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim))
    dtype = np.dtype(_IDX_TYPES[raw[2]])
    data = np.frombuffer(raw, dtype=dtype, offset=4 + 4 * ndim)
    if data.size != int(np.prod(shape)):
        raise ValueError(f"{path} is truncated: its header promises shape {shape} ({int(np.prod(shape))} values) "
                         f"but it holds {data.size}")
    return data.reshape(shape).astype(dtype.newbyteorder("="))


def load_fashion_mnist(path: str | Path | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(train_images, train_labels, test_images, test_labels): uint8 (n, 28, 28) images and int64 labels indexing
    `FASHION_MNIST_CLASSES`, read from `path` or fetched through the registry (`get_dataset("fashion_mnist")`)."""
    folder = Path(path) if path is not None else get_dataset("fashion_mnist")
    parts = [read_idx(folder / f"{kind}-{what}-idx{n}-ubyte.gz") for kind in ("train", "t10k")
             for what, n in (("images", 3), ("labels", 1))]
    return parts[0], parts[1].astype(np.int64), parts[2], parts[3].astype(np.int64)
