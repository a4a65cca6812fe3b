"""Lesson 02 (course/02_transforms.ipynb, exercises/02_transforms/):
Transform: encodes/decodes/setups chosen by type, applied to each element of a tuple."""
from __future__ import annotations

import inspect
from typing import Any, Callable

from .dispatch import TypeDispatch
from .tensors import TensorBase, retain_type

__all__ = ["Transform", "ItemTransform", "TransformError"]

_METHODS = ("encodes", "decodes", "setups")


class TransformError(RuntimeError):
    """Raised when a transform fails on an item: the message names the transform (and the item, when known)."""


class _TfmDict(dict):
    """Class namespace where defining `encodes` twice adds a second type to a table instead of replacing the first."""

    def __setitem__(self, key, value):
        if key in _METHODS and callable(value) and not isinstance(value, TypeDispatch):
            if key not in self:
                super().__setitem__(key, TypeDispatch(name=key, is_method=True))
            self[key].add(value)
        else:
            super().__setitem__(key, value)


class _TfmMeta(type):
    """Metaclass that collects encodes/decodes/setups into per-class dispatch tables, inheriting the parents'."""

    @classmethod
    def __prepare__(mcs, name, bases):
        return _TfmDict()

    def __new__(mcs, name, bases, namespace):
        for key in _METHODS:
            table = TypeDispatch(name=key, is_method=True)
            for base in reversed(bases):  # parents first, so this class's own methods win
                parent = base.__dict__.get(key) if isinstance(base.__dict__.get(key), TypeDispatch) else \
                    getattr(base, key, None)
                if isinstance(parent, TypeDispatch):
                    table.update(parent)
            if key in namespace:
                table.update(namespace[key])
            dict.__setitem__(namespace, key, table)
        return super().__new__(mcs, name, bases, dict(namespace))


_return_types: dict[Callable, type | None] = {}


def _return_type(f: Callable) -> type | None:
    """The class named by `f`'s return annotation, if it is a class (used to cast results); cached per function."""
    f = getattr(f, "__func__", f)  # a bound method: look at (and cache by) the function itself
    if f not in _return_types:
        _return_types[f] = _read_return_type(f)
    return _return_types[f]


def _read_return_type(f: Callable) -> type | None:
    try:
        ann = inspect.signature(f).return_annotation
    except (ValueError, TypeError):
        return None
    if isinstance(ann, str):
        try:
            ann = eval(ann, getattr(f, "__globals__", {}))
        except Exception:
            return None
    return ann if isinstance(ann, type) and ann is not inspect.Signature.empty else None


class Transform(metaclass=_TfmMeta):
    """A reversible step: `encodes`/`decodes` picked by the element's type, applied to each element of a tuple."""

    order: int = 0
    split_idx: int | None = None  # 0: only on the training set, 1: only on the validation set, None: always
    train_setup: bool | None = None  # None: let the caller decide whether setups sees only the training items

    def __init__(self, enc: Callable | None = None, dec: Callable | None = None, split_idx: int | None = None,
                 order: int | None = None):
        if split_idx is not None:
            self.split_idx = split_idx
        if order is not None:
            self.order = order
        self.name = getattr(enc, "__name__", type(self).__name__) if enc is not None else type(self).__name__
        # A transform built from plain functions keeps them in instance tables (the functions have no `self`).
        if enc is not None:
            self.encodes = TypeDispatch(enc, name="encodes")
        if dec is not None:
            self.decodes = TypeDispatch(dec, name="decodes")

    def __call__(self, x: Any, split_idx: int | None = None) -> Any:
        """Encode `x` (each element separately when `x` is a tuple)."""
        return self._call("encodes", x, split_idx)

    def decode(self, x: Any, split_idx: int | None = None) -> Any:
        """Undo `encodes` on `x` where a `decodes` is registered for the element's type."""
        return self._call("decodes", x, split_idx)

    def setup(self, items=None, train_setup: bool = False) -> None:
        """Let the transform learn its state (a vocab, statistics) from `items` (only their training part if asked)."""
        train_setup = train_setup if self.train_setup is None else self.train_setup
        self.setups(getattr(items, "train", items) if train_setup else items)

    def setups(self, items) -> None:  # overridden by subclasses that learn from data
        pass

    def _call(self, method: str, x: Any, split_idx: int | None) -> Any:
        if self.split_idx is not None and split_idx != self.split_idx:
            return x
        if isinstance(x, tuple):
            return tuple(self._do_one(method, o) for o in x)
        return self._do_one(method, x)

    def _do_one(self, method: str, x: Any) -> Any:
        f, ret = self._find(method, type(x))
        if f is None:  # no method for this type: pass through unchanged
            return x
        y = f(x)
        return y if ret is None and not isinstance(x, TensorBase) else retain_type(y, x, ret)

    def _find(self, method: str, cls: type) -> tuple[Callable | None, type | None]:
        """The function for `cls` and its return type, remembered per transform (dispatch runs once per type)."""
        cache = self.__dict__.get("_found")
        if cache is None or cache[0] != TypeDispatch.generation:
            cache = self.__dict__["_found"] = (TypeDispatch.generation, {})
        key = (method, cls)
        if key not in cache[1]:
            f = getattr(self, method).lookup(cls)
            cache[1][key] = (f, None if f is None else _return_type(f))
        return cache[1][key]

    def __getstate__(self) -> dict:
        state = dict(self.__dict__)
        state.pop("_found", None)  # holds bound methods; rebuilt on first use
        return state

    def __repr__(self) -> str:
        enc = getattr(self, "encodes")
        kinds = enc.td.types() if hasattr(enc, "td") else enc.types()
        return f"{self.name}: encodes ({'; '.join(kinds) or 'nothing'})"


class ItemTransform(Transform):
    """A transform that receives the whole tuple (e.g. `(x, y)`) instead of one element at a time."""

    def _call(self, method: str, x: Any, split_idx: int | None) -> Any:
        if self.split_idx is not None and split_idx != self.split_idx:
            return x
        return self._do_one(method, x)
