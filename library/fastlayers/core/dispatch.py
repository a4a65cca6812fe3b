"""Lesson 01 (course/01_tensors.ipynb, exercises/01_tensors/):
Type dispatch: pick a function by the types of the first one or two arguments (most specific type wins).

A function is registered under the annotation of its first parameter (`dispatch_types`); a call picks the registered
function whose types come first in the argument's MRO (`closest`). `TypeDispatch` keeps such a table;
`typedispatch` keeps one module-wide table per function name.
"""
from __future__ import annotations

import inspect
import typing
from typing import Any, Callable

__all__ = ["TypeDispatch", "typedispatch", "dispatch_types", "closest"]


def _as_types(annotation: Any) -> tuple[type, ...]:
    """Turn an annotation (a type, a tuple of types, a Union, None or missing) into a tuple of types."""
    if annotation is inspect.Parameter.empty or annotation is None or annotation is Any:
        return (object,)
    if isinstance(annotation, tuple):
        return tuple(t for a in annotation for t in _as_types(a))
    if typing.get_origin(annotation) in (typing.Union, getattr(__import__("types"), "UnionType", None)):
        return tuple(t for a in typing.get_args(annotation) for t in _as_types(a))
    if isinstance(annotation, type):
        return (annotation,)
    origin = typing.get_origin(annotation)  # e.g. list[int] dispatches on list
    if isinstance(origin, type):
        return (origin,)
    raise TypeError(f"cannot dispatch on the annotation {annotation!r}: annotate with a class or a tuple of classes")


def _signature_types(f: Callable, skip_self: bool, n: int) -> list[tuple[type, ...]]:
    """The dispatch types of the first `n` positional parameters of `f` (after `self` for methods); `(object,)` for
    each one that is missing."""
    try:
        sig = inspect.signature(f)
    except (ValueError, TypeError):  # builtins and some classes have no signature: accept anything
        return [(object,)] * n
    params = [p for p in sig.parameters.values()
              if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    if skip_self:
        params = params[1:]
    types = [_as_types(_resolve(p.annotation, f)) for p in params[:n]]
    return types + [(object,)] * (n - len(types))


def dispatch_types(f: Callable, skip_self: bool = False) -> tuple[type, ...]:
    """The classes `f` is registered for: the annotation of its first positional parameter (after `self` for
    methods) as a tuple of classes; `(object,)` when it has none."""
    return _signature_types(f, skip_self, 1)[0]


def _resolve(annotation: Any, f: Callable) -> Any:
    """Evaluate a string annotation (from `from __future__ import annotations`) in the function's module."""
    if not isinstance(annotation, str):
        return annotation
    try:
        return eval(annotation, getattr(f, "__globals__", {}))
    except Exception as e:
        raise TypeError(f"cannot resolve the annotation {annotation!r} of {f.__qualname__}: {e}") from None


def _distance(cls: type, target: type) -> int | None:
    """How far `target` is up `cls`'s MRO (0 = same class); None when `cls` is not a subclass."""
    try:
        return cls.__mro__.index(target)
    except ValueError:
        return None


def _match(cls: type, types: tuple[type, ...]) -> tuple[int, int] | None:
    """How closely `cls` matches one registered tuple of `types`, smaller is closer: (the MRO distance to the nearest
    of them, how many types there are, so a single class beats a tuple); None when none of them is in its MRO."""
    ds = [d for d in (_distance(cls, t) for t in types) if d is not None]
    return (min(ds), len(types)) if ds else None


def closest(cls: type, table: dict[tuple[type, ...], Callable]) -> Callable | None:
    """The function of `table` ({tuple of classes: function}) whose classes come first in `cls`'s MRO; on a tie the
    entry with fewer classes wins, then the earlier entry; None when no entry matches."""
    best, best_score = None, None
    for types, f in table.items():
        score = _match(cls, types)
        if score is not None and (best_score is None or score < best_score):
            best, best_score = f, score
    return best


class TypeDispatch:
    """A table of functions chosen by the types of their first `n_args` arguments; the closest match in the MRO wins."""

    generation = 0  # bumped on every registration, so caches built on top of lookups know when to forget

    def __init__(self, funcs: Callable | list[Callable] = (), name: str | None = None, n_args: int = 1,
                 is_method: bool = False):
        self.name, self.n_args, self.is_method = name, n_args, is_method
        self.entries: list[tuple[tuple[tuple[type, ...], ...], Callable]] = []
        self._cache: dict[tuple[type, ...], Callable | None] = {}
        for f in ([funcs] if callable(funcs) else funcs):
            self.add(f)

    def add(self, f: Callable) -> "TypeDispatch":
        """Register `f` under the annotations of its first argument(s); a later function with the same types replaces it."""
        types = tuple(_signature_types(f, self.is_method, self.n_args))
        self.entries = [(t, g) for t, g in self.entries if t != types] + [(types, f)]
        self.name = self.name or f.__name__
        self._cache.clear()
        TypeDispatch.generation += 1
        return self

    def update(self, other: "TypeDispatch") -> None:
        """Add every function of `other` (used when a subclass inherits its parent's table)."""
        for _, f in other.entries:
            self.add(f)

    def lookup(self, *classes: type) -> Callable | None:
        """The registered function closest to `classes` (each compared along its MRO), or None."""
        key = classes[: self.n_args]
        if key in self._cache:
            return self._cache[key]
        best, best_score = None, None
        for types, f in self.entries:
            score = []
            for cls, options in zip(key, types):
                match = _match(cls, options)
                if match is None:
                    break
                score.append(match)
            else:
                score += [(0, 1)] * (self.n_args - len(key))
                if best_score is None or score < best_score:  # earlier argument decides first
                    best, best_score = f, score
        self._cache[key] = best
        return best

    def types(self) -> list[str]:
        """Readable names of the registered type combinations (used in error messages)."""
        return [", ".join("|".join(t.__name__ for t in opts) for opts in types) for types, _ in self.entries]

    def __call__(self, *args, **kwargs):
        if self.is_method and len(args) == 1 and callable(args[0]) and not kwargs:
            return self.add(args[0])  # `MyTransform.encodes(f)`: register a method after the class was made
        f = self.lookup(*(type(a) for a in args[: self.n_args]))
        if f is None:
            got = ", ".join(type(a).__name__ for a in args[: self.n_args])
            raise TypeError(f"{self.name}: no function registered for ({got}); registered types: "
                            f"{self.types() or 'none'}. Register one with an annotation for this type.")
        return f(*args, **kwargs)

    def __get__(self, instance, owner):
        # On a class, give back the table itself (so `MyTfm.encodes(f)` can add to it); on an instance, bind `self`.
        return self if instance is None else _BoundDispatch(self, instance)

    def __repr__(self) -> str:
        return f"{self.name}: {self.types()}"


class _BoundDispatch:
    """A `TypeDispatch` of methods bound to one instance."""

    __slots__ = ("td", "instance")

    def __init__(self, td: TypeDispatch, instance):
        self.td, self.instance = td, instance

    def lookup(self, *classes: type) -> Callable | None:
        f = self.td.lookup(*classes)
        return None if f is None else f.__get__(self.instance)

    def __call__(self, *args, **kwargs):
        f = self.lookup(*(type(a) for a in args[: self.td.n_args]))
        if f is None:
            got = ", ".join(type(a).__name__ for a in args[: self.td.n_args])
            raise TypeError(f"{type(self.instance).__name__}.{self.td.name}: nothing registered for ({got}); "
                            f"registered: {self.td.types() or 'none'}")
        return f(*args, **kwargs)


_registry: dict[str, TypeDispatch] = {}


def typedispatch(f: Callable) -> TypeDispatch:
    """Decorator: add `f` to the module-wide dispatch table named `f.__name__`, dispatching on its first two arguments."""
    td = _registry.setdefault(f.__name__, TypeDispatch(name=f.__name__, n_args=2))
    return td.add(f)
