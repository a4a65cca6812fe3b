"""Lesson 02 (course/02_transforms.ipynb, exercises/02_transforms/):
Pipeline: transforms composed in `order`, set up one at a time, decoded in reverse."""
from __future__ import annotations

from typing import Any, Callable, Iterable

from .transform import Transform, TransformError

__all__ = ["Pipeline"]


def _as_transform(f: Transform | Callable) -> Transform:
    """A transform as is; a plain function or class wrapped into one."""
    if isinstance(f, Transform):
        return f
    if isinstance(f, type) and issubclass(f, Transform):
        return f()
    if callable(f):
        return Transform(f)
    raise TypeError(f"Pipeline got {f!r}, which is neither a Transform nor a function; pass transforms or callables")


class Pipeline:
    """A list of transforms sorted by `order`: call encodes them in order, `decode` undoes them in reverse."""

    def __init__(self, funcs: Iterable | Transform | Callable | None = None, split_idx: int | None = None):
        if funcs is None:
            funcs = []
        elif isinstance(funcs, Pipeline):
            funcs = funcs.fs
        elif isinstance(funcs, Transform) or callable(funcs):
            funcs = [funcs]
        self.fs: list[Transform] = sorted((_as_transform(f) for f in funcs), key=lambda t: t.order)  # stable sort
        self.split_idx = split_idx

    def setup(self, items=None, train_setup: bool = False) -> None:
        """Set up each transform on `items` as processed by the transforms before it, then add it to the pipeline."""
        tfms, self.fs = self.fs, []
        if items is not None and not _reads_through(items, self):
            items = _Processed(items, self)   # plain items: show each setups the output of the pipeline so far
        for t in tfms:
            self.add(t, items, train_setup)

    def add(self, t: Transform | Callable, items=None, train_setup: bool = False) -> None:
        """Set up `t` on `items` (seen through the current pipeline) and insert it by `order`."""
        t = _as_transform(t)
        try:
            t.setup(items, train_setup)
        except TransformError:
            raise
        except Exception as e:
            raise TransformError(f"setup of transform {t.name} failed: {type(e).__name__}: {e}") from e
        self.fs = sorted(self.fs + [t], key=lambda t: t.order)

    def __call__(self, x: Any, split_idx: int | None = None) -> Any:
        """Apply every transform in order."""
        split_idx = self.split_idx if split_idx is None else split_idx
        for t in self.fs:
            try:
                x = t(x, split_idx)
            except TransformError:
                raise
            except Exception as e:  # name the culprit: a bare traceback deep in a transform is hard to place
                raise TransformError(f"transform {t.name} failed on {_describe(x)}: {type(e).__name__}: {e}") from e
        return x

    def decode(self, x: Any, split_idx: int | None = None, full: bool = True) -> Any:
        """Apply every `decodes` in reverse order (with full=False, stop as soon as `x` can show itself)."""
        split_idx = self.split_idx if split_idx is None else split_idx
        for t in reversed(self.fs):
            if not full and _showable(x):
                break
            x = t.decode(x, split_idx)
        return x

    def show(self, x: Any, ctx=None, **kwargs):
        """Decode `x` until it (or each of its elements) can show itself, then show it."""
        x = self.decode(x, full=False)
        if hasattr(x, "show"):
            return x.show(ctx=ctx, **kwargs)
        for o in (x if isinstance(x, tuple) else (x,)):
            if hasattr(o, "show"):
                ctx = o.show(ctx=ctx, **kwargs)
        return ctx

    def __len__(self) -> int:
        return len(self.fs)

    def __getitem__(self, i: int) -> Transform:
        return self.fs[i]

    def __repr__(self) -> str:
        return f"Pipeline: {' -> '.join(t.name for t in self.fs) or '(empty)'}"


def _reads_through(items: Any, pipe: Pipeline) -> bool:
    """Whether `items` already applies `pipe` when read (a TfmdLists or a loader built around it)."""
    return any(getattr(items, a, None) is pipe for a in ("tfms", "after_item", "before_batch", "after_batch"))


class _Processed:
    """A lazy view of `items` as they come out of `pipe` in its current state (grows as setup adds transforms)."""

    def __init__(self, items: Any, pipe: Pipeline):
        self.items, self.pipe = items, pipe

    def __len__(self) -> int:
        return len(self.items)

    def __getitem__(self, i: int) -> Any:
        return self.pipe(self.items[i])

    def __iter__(self):
        return (self.pipe(o) for o in self.items)

    @property
    def train(self) -> "_Processed":
        return _Processed(getattr(self.items, "train", self.items), self.pipe)


def _showable(x: Any) -> bool:
    return hasattr(x, "show") or (isinstance(x, tuple) and all(hasattr(o, "show") for o in x))


def _describe(x: Any) -> str:
    """A short description of an item for error messages: its type and shape or value."""
    shape = getattr(x, "shape", None)
    if shape is not None:
        return f"{type(x).__name__} of shape {tuple(shape)}"
    if isinstance(x, tuple):
        return "(" + ", ".join(_describe(o) for o in x) + ")"
    r = repr(x)
    return f"{type(x).__name__} {r[:60]}{'...' if len(r) > 60 else ''}"
