"""SeriesBlock: series as an input of the DataBlock API (type transform, per-channel normalization, padded batches)."""
from __future__ import annotations

from typing import Any

import numpy as np
import torch

from ..core import TensorSeries, Transform
from ..data import TfmdDL, TransformBlock
from ..data.loader import collate
from .normalize import SeriesNormalize
from .padding import pad_series
from .series import to_series_list

__all__ = ["ToSeries", "SeriesDL", "SeriesBlock"]


class ToSeries(Transform):
    "Type transform: a `(channels, length)` array, tensor or nested list (or a 1-D univariate one) -> `TensorSeries`."

    def __init__(self, fill_nan: str | float | None = None):
        super().__init__()
        self.fill_nan = fill_nan

    def encodes(self, item: object) -> TensorSeries:
        if isinstance(item, torch.Tensor):
            item = item.as_subclass(torch.Tensor).detach().cpu().numpy()
        arr = np.asarray(item, dtype=np.float32)
        if arr.ndim == 1:  # one channel: unambiguous, so accept it
            arr = arr[None]
        # the same checks (shape, inf, NaN with the fill_nan option) as every other way series come in
        (series,) = to_series_list([arr], fill_nan=self.fill_nan, name="series")
        return TensorSeries(torch.from_numpy(series))


class SeriesDL(TfmdDL):
    """A TfmdDL for series: with `pad`, each batch's series are padded to its longest and the `(n, length)` mask of
    real steps follows them as one more input, so batches are `(x, mask, y)` and models ignore the padding."""

    def __init__(self, dataset: Any = None, bs: int = 64, pad: bool = True, **kwargs):
        self.pad = pad
        super().__init__(dataset, bs=bs, **kwargs)

    def create_batch(self, items: list) -> tuple:
        if not self.pad:
            return collate(items)
        x, mask = pad_series([it[0] for it in items])
        rest = collate([tuple(it[1:]) for it in items]) if len(items[0]) > 1 else ()
        return (TensorSeries(x), mask, *rest)

    @property
    def n_inp(self) -> int:
        "The dataset's inputs, plus the mask when padding."
        return getattr(self.dataset, "n_inp", 1) + int(self.pad)

    def new(self, dataset: Any = None, **kwargs) -> "SeriesDL":
        kwargs.setdefault("pad", self.pad)
        return super().new(dataset, **kwargs)

    def decode_batch(self, b: Any, max_n: int = 9) -> list:
        "Items of batch `b` decoded (mask dropped, each series cut to its real steps, in original units)."
        b = self.decode(b)
        if not self.pad:
            return super().decode_batch(b, max_n)
        x, mask, *rest = b
        out = []
        for i in range(min(len(x), max_n)):
            item = (x[i][..., : int(mask[i].sum())], *(r[i] for r in rest))
            out.append(self.decode_item(item))
        return out

    def show_batch(self, b: Any = None, max_n: int = 9, ctxs=None, show: bool = True, **kwargs):
        "Each series (real steps only) with its label."
        from ..data.show import show_batch
        b = self.one_batch() if b is None else b
        samples = self.decode_batch(b, max_n)
        if not show:
            return samples
        y = b[self.n_inp] if len(b) > self.n_inp else None
        return show_batch(b[0], y, samples, ctxs=ctxs, max_n=max_n, **kwargs)


def SeriesBlock(pad: bool = True, normalize: bool = True, fill_nan: str | float | None = None) -> TransformBlock:
    """A series input: item -> `TensorSeries`, per-channel normalization with statistics from the training split
    (decodable), and batches padded with a mask (`pad=False` stacks equal-length series without one)."""
    tfms = [ToSeries(fill_nan)] + ([SeriesNormalize()] if normalize else [])
    return TransformBlock(type_tfms=tfms, dl_type=SeriesDL, dls_kwargs={"pad": pad})
