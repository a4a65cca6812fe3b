"""Lesson 01 (course/01_tensors.ipynb, exercises/01_tensors/):
Semantic tensors: torch.Tensor subclasses that say what they hold and keep that type through torch ops.

`TensorBase.__torch_function__` gives every tensor an operation returns the class torch passes in and a copy of
the metadata (attributes) of the first semantic argument that has some; `as_plain` and `to_plain` strip them.
"""
from __future__ import annotations

from typing import Any

import torch

__all__ = ["TensorBase", "TensorImage", "TensorMask", "TensorCategory", "TensorMultiCategory", "TensorText",
           "TensorSeries", "retain_type", "to_plain"]


def _find_meta(args) -> dict | None:
    """The metadata (`__dict__`) of the first semantic tensor among `args`, looking one level into lists."""
    for a in args:
        if isinstance(a, TensorBase) and a.__dict__:
            return a.__dict__
        if isinstance(a, (list, tuple)):
            for b in a:
                if isinstance(b, TensorBase) and b.__dict__:
                    return b.__dict__
    return None


def _convert(ret, cls: type, meta: dict | None):
    """Cast every plain tensor in `ret` to `cls` and copy `meta` onto it."""
    if isinstance(ret, torch.Tensor):
        if not isinstance(ret, cls):
            ret = ret.as_subclass(cls)
        if meta and not ret.__dict__:
            ret.__dict__.update(meta)
        return ret
    if isinstance(ret, (tuple, list)) and type(ret) in (tuple, list):
        return type(ret)(_convert(r, cls, meta) for r in ret)
    return ret


class TensorBase(torch.Tensor):
    """A tensor that keeps its subclass and its metadata attributes through torch operations."""

    def __new__(cls, x: Any, **meta):
        res = torch.as_tensor(x) if not isinstance(x, torch.Tensor) else x
        res = res.as_subclass(cls)
        res.__dict__.update(meta)
        return res

    @classmethod
    def __torch_function__(cls, func, types, args=(), kwargs=None):
        # Run the op on plain tensors, then put our type back. torch's default refuses to mix two unrelated
        # subclasses (an image plus a mask); we follow the class torch picked, like fastai does.
        with torch._C.DisableTorchFunctionSubclass():
            ret = func(*args, **(kwargs or {}))
        if func in _NO_WRAP:
            return ret
        return _convert(ret, cls, _find_meta(args))

    def as_plain(self) -> torch.Tensor:
        """This tensor as a plain torch.Tensor (no copy): ops on it skip the subclass machinery and run faster."""
        return self.as_subclass(torch.Tensor)

    def show(self, ctx=None, **kwargs):
        """Print the tensor (subclasses draw themselves instead)."""
        print(self.as_plain()) if ctx is None else ctx.set_title(str(self.as_plain().tolist()))
        return ctx

    def __repr__(self) -> str:
        return f"{type(self).__name__}{repr(self.as_plain())[len('tensor'):]}"


_NO_WRAP = torch.overrides.get_default_nowrap_functions() | {torch.Tensor.__repr__, torch.Tensor.__format__,
                                                              torch.Tensor.tolist, torch.Tensor.numpy}


def _axes(ctx, figsize=(3, 3)):
    import matplotlib.pyplot as plt
    if ctx is None:
        _, ctx = plt.subplots(figsize=figsize)
    return ctx


class TensorImage(TensorBase):
    """An image, channels first (C,H,W) or a batch (N,C,H,W); shows itself with matplotlib."""

    def show(self, ctx=None, cmap=None, title: str | None = None, **kwargs):
        ax = _axes(ctx)
        im = self.as_plain().detach().cpu()
        if im.ndim == 3 and im.shape[0] in (1, 3, 4):
            im = im.permute(1, 2, 0)  # matplotlib wants (H,W,C)
        if im.ndim == 3 and im.shape[-1] == 1:
            im = im[..., 0]
        if im.is_floating_point():
            im = im.clamp(0, 1) if im.max() <= 1 else im / 255
        ax.imshow(im.numpy(), cmap=cmap or ("gray" if im.ndim == 2 else None))
        ax.axis("off")
        if title is not None:
            ax.set_title(title)
        return ax


class TensorMask(TensorImage):
    """A segmentation mask (H,W) of class ids; shows itself as a translucent colour map."""

    def show(self, ctx=None, cmap="tab20", alpha=0.5, **kwargs):
        ax = _axes(ctx)
        ax.imshow(self.as_plain().detach().cpu().numpy(), cmap=cmap, alpha=alpha)
        ax.axis("off")
        return ax


class TensorCategory(TensorBase):
    """Class ids (a scalar for one item, a vector for a batch)."""


class TensorMultiCategory(TensorBase):
    """Multi-label targets, one-hot encoded over the vocabulary."""


class TensorText(TensorBase):
    """Token ids of a text."""


class TensorSeries(TensorBase):
    """A multichannel time series (C,T) or a batch (N,C,T); shows itself as one line per channel."""

    def show(self, ctx=None, title: str | None = None, **kwargs):
        ax = _axes(ctx, figsize=(4, 2.5))
        x = self.as_plain().detach().cpu()
        for c, channel in enumerate(x.reshape(-1, x.shape[-1])):
            ax.plot(channel.numpy(), label=f"ch{c}", linewidth=1)
        if title is not None:
            ax.set_title(title)
        return ax


def retain_type(new, old, typ: type | None = None):
    """Give `new` the semantic type of `old` (or `typ`) when `new` is a tensor of a more general type."""
    if typ is None:
        if not isinstance(old, TensorBase) or not isinstance(new, torch.Tensor):
            return new
        typ = type(old)
    if isinstance(new, typ) or not isinstance(new, torch.Tensor) or not issubclass(typ, torch.Tensor):
        return new
    if issubclass(typ, type(new)):  # only ever specialise a more general tensor, never swap one meaning for another
        res = new.as_subclass(typ)
        if isinstance(old, TensorBase) and old.__dict__:
            res.__dict__.update(old.__dict__)
        return res
    return new


def to_plain(x):
    """Strip semantic types from a tensor or a (nested) tuple/list of tensors, keeping the data as is."""
    if isinstance(x, TensorBase):
        return x.as_subclass(torch.Tensor)
    if isinstance(x, (tuple, list)):
        return type(x)(to_plain(o) for o in x)
    if isinstance(x, dict):
        return {k: to_plain(v) for k, v in x.items()}
    return x
