"""Plain data: the only thing that crosses between a student's process and the grader.

Grading infrastructure, not lesson material. `encode` turns a value into JSON-ready data made of None, bools,
numbers, strings, lists and tagged dicts; `decode` builds fresh objects from it. Tensors, arrays, tuples, dicts,
sets, numpy scalars and dtypes travel; anything else (a function, a model, an object with its own `__eq__`)
arrives as an `Opaque` stand-in that equals nothing, so a result that is not plain data of the expected type is
simply a wrong answer. Decoding never runs code chosen by the sender: it builds only the built-in types, numpy
and torch values, and the reference library's own tensor classes (a tensor of any other class arrives as a
tensor of a stand-in class that carries the name).
"""
from __future__ import annotations

import base64
import importlib
import math
import sys
from typing import Any

__all__ = ["encode", "decode", "copy", "Opaque", "PlainError", "MAX_BYTES"]

MAX_BYTES = 64 * 2 ** 20   # the most tensor/array data one answer may carry
MAX_ITEMS = 2_000_000      # containers' elements, all levels together
MAX_DEPTH = 60
MAX_TEXT = 10_000_000      # characters of strings, all together


class PlainError(ValueError):
    """A value too big, too deep or malformed to travel as plain data."""


class Opaque:
    """Stands for an object that is not plain data: shows its type, equals nothing but itself."""

    def __init__(self, type_name: str, text: str = ""):
        self.type_name, self.text = type_name, text

    def __repr__(self) -> str:
        return self.text or f"<a {self.type_name} object>"

    def __eq__(self, other: Any) -> bool:
        return self is other

    __hash__ = object.__hash__


def _qualname(obj: Any) -> str:
    t = obj if isinstance(obj, type) else type(obj)
    return f"{t.__module__}.{t.__qualname__}"


def _describe(obj: Any) -> str:
    """A short, address-free text for a non-plain object (never calls the object's own __repr__)."""
    name = getattr(obj, "__qualname__", None) or getattr(obj, "__name__", None)
    if isinstance(obj, type):
        return f"<class {obj.__qualname__}>"
    if callable(obj) and isinstance(name, str):
        return f"<function {name}>"
    return f"<a {type(obj).__qualname__} object>"


class _Budget:
    def __init__(self):
        self.bytes = self.items = self.text = 0

    def spend(self, *, nbytes: int = 0, items: int = 0, text: int = 0) -> None:
        self.bytes += nbytes
        self.items += items
        self.text += text
        if self.bytes > MAX_BYTES or self.items > MAX_ITEMS or self.text > MAX_TEXT:
            raise PlainError("the answer is too large to grade (more than 64 MB of data)")


def encode(value: Any) -> Any:
    """`value` as JSON-ready plain data (see the module docstring)."""
    return _encode(value, _Budget(), 0, set())


def _encode(x: Any, budget: _Budget, depth: int, seen: set) -> Any:
    if depth > MAX_DEPTH:
        raise PlainError(f"the answer is nested more than {MAX_DEPTH} levels deep")
    budget.spend(items=1)
    t = type(x)
    if x is None or t is bool:
        return x
    if t is int:
        return x if abs(x) < 2 ** 53 else {"$": "bigint", "v": str(x)}
    if t is float:
        return x if math.isfinite(x) else {"$": "float", "v": repr(x)}
    if t is str:
        budget.spend(text=len(x))
        return x
    np = sys.modules.get("numpy")
    torch = sys.modules.get("torch")
    if torch is not None and isinstance(x, torch.Tensor):
        return _encode_tensor(x, torch, budget, depth, seen)
    if np is not None and isinstance(x, np.ndarray):
        return _encode_array(x, np, budget)
    if np is not None and isinstance(x, np.generic):
        if x.dtype.kind in "biufc" or x.dtype.kind == "?":
            return {"$": "np", "dtype": x.dtype.str, "v": _encode(x.item(), budget, depth + 1, seen)}
        return {"$": "opaque", "type": _qualname(x), "text": f"<a numpy {x.dtype} value>"}
    if torch is not None and isinstance(x, torch.dtype):
        return {"$": "dtype", "v": str(x)}
    if torch is not None and isinstance(x, torch.device):
        return {"$": "device", "v": str(x)}
    # subclasses of the built-in scalars travel as the value they hold (their own methods are not trusted)
    if isinstance(x, int):
        return _encode(int.__index__(x), budget, depth, seen)
    if isinstance(x, float):
        return _encode(float.__float__(x), budget, depth, seen)
    if isinstance(x, str):
        return _encode(str.__str__(x), budget, depth, seen)
    if isinstance(x, (list, tuple, dict, set, frozenset)):
        if id(x) in seen:
            return {"$": "opaque", "type": t.__qualname__, "text": "<a container that holds itself>"}
        seen = seen | {id(x)}
        if isinstance(x, dict):
            pairs = [[_encode(k, budget, depth + 1, seen), _encode(v, budget, depth + 1, seen)]
                     for k, v in dict.items(x)]
            return {"$": "dict", "v": pairs}
        items = [_encode(v, budget, depth + 1, seen) for v in (list.__iter__(x) if isinstance(x, list) else
                                                              tuple.__iter__(x) if isinstance(x, tuple) else
                                                              iter(list(x)))]
        if isinstance(x, list):
            return items
        return {"$": "tuple" if isinstance(x, tuple) else "set", "v": items}
    if isinstance(x, slice):
        return {"$": "slice", "v": [_encode(v, budget, depth + 1, seen) for v in (x.start, x.stop, x.step)]}
    return {"$": "opaque", "type": _qualname(x), "text": _describe(x)}


def _encode_tensor(x: Any, torch: Any, budget: _Budget, depth: int, seen: set) -> dict:
    plain = x.detach().as_subclass(torch.Tensor)
    if plain.layout != torch.strided or plain.is_quantized:
        return {"$": "opaque", "type": _qualname(x), "text": f"<a {plain.layout} tensor>"}
    data = plain.to("cpu", copy=True).contiguous().reshape(-1)
    if data.dtype == torch.bool:
        raw = data.to(torch.uint8)
    elif data.is_complex():
        raw = torch.view_as_real(data).reshape(-1).view(torch.uint8)
    else:
        raw = data.view(torch.uint8)
    budget.spend(nbytes=raw.numel())
    meta = {}
    extra = getattr(x, "__dict__", {}) if type(x) is not torch.Tensor else {}
    for k, v in list(extra.items())[:20]:
        if isinstance(k, str) and not k.startswith("_"):
            meta[k] = _encode(v, budget, depth + 1, seen)
    return {"$": "tensor", "dtype": str(plain.dtype).replace("torch.", ""), "shape": list(plain.shape),
            "data": base64.b64encode(raw.numpy().tobytes()).decode("ascii"), "cls": _qualname(x),
            "grad": bool(x.requires_grad), "device": str(x.device), "meta": meta}


def _encode_array(x: Any, np: Any, budget: _Budget) -> dict:
    if x.dtype.kind not in "biufc?":
        if x.dtype.kind in "USO" and x.size <= 100_000:  # text (or object) arrays travel as nested lists
            return {"$": "ndarray-list", "dtype": x.dtype.str if x.dtype.kind != "O" else "O",
                    "shape": list(x.shape), "v": encode(x.tolist())}
        return {"$": "opaque", "type": _qualname(x), "text": f"<a numpy array of {x.dtype}>"}
    raw = np.ascontiguousarray(x).tobytes()
    budget.spend(nbytes=len(raw))
    return {"$": "ndarray", "dtype": x.dtype.str, "shape": list(x.shape), "data": base64.b64encode(raw).decode("ascii")}


# ----------------------------------------------------------------------------------------------------------------
# decoding (grader side: builds fresh objects, runs nothing the sender chose)
# ----------------------------------------------------------------------------------------------------------------

_foreign: dict[str, type] = {}


def _tensor_class(name: str, torch: Any) -> type:
    """The reference library's tensor class of that name, or a stand-in subclass carrying a foreign name."""
    if name == "torch.Tensor":
        return torch.Tensor
    module, _, qual = name.rpartition(".")
    if module.split(".")[0] == "fastlayers" and qual.isidentifier():
        mod = sys.modules.get(module)
        try:
            mod = mod or importlib.import_module(module)
            cls = getattr(mod, qual, None)
        except Exception:  # noqa: BLE001
            cls = None
        if isinstance(cls, type) and issubclass(cls, torch.Tensor):
            return cls
    if name not in _foreign:
        short = qual if qual.isidentifier() else "ForeignTensor"
        _foreign[name] = type(short, (torch.Tensor,), {"__module__": module or "student", "foreign_name": name})
    return _foreign[name]


def decode(data: Any) -> Any:
    """Fresh values from `encode`'s output; raises PlainError on anything malformed."""
    return _decode(data, 0)


def _decode(d: Any, depth: int) -> Any:
    if depth > MAX_DEPTH + 2:
        raise PlainError("plain data nested too deep")
    if d is None or type(d) in (bool, int, float, str):
        return d
    if type(d) is list:
        return [_decode(v, depth + 1) for v in d]
    if type(d) is not dict:
        raise PlainError(f"not plain data: {type(d).__name__}")
    tag = d.get("$")
    if tag == "tuple":
        return tuple(_decode(v, depth + 1) for v in d["v"])
    if tag == "set":
        items = [_decode(v, depth + 1) for v in d["v"]]
        try:
            return set(items)
        except TypeError:
            return Opaque("set", "<a set of unhashable items>")
    if tag == "dict":
        out = {}
        for k, v in d["v"]:
            key = _decode(k, depth + 1)
            try:
                out[key] = _decode(v, depth + 1)
            except TypeError:
                return Opaque("dict", "<a dict with unhashable keys>")
        return out
    if tag == "bigint":
        return int(d["v"])
    if tag == "float":
        return float(d["v"])
    if tag == "slice":
        return slice(*[_decode(v, depth + 1) for v in d["v"]])
    if tag == "opaque":
        return Opaque(str(d.get("type", "object")), str(d.get("text", ""))[:200])
    if tag == "np":
        import numpy as np
        return np.dtype(d["dtype"]).type(_decode(d["v"], depth + 1))
    if tag == "ndarray":
        import numpy as np
        arr = np.frombuffer(base64.b64decode(d["data"]), dtype=np.dtype(d["dtype"]))
        return arr.reshape(d["shape"]).copy()
    if tag == "ndarray-list":
        import numpy as np
        values = _decode(d["v"], depth + 1)
        return np.array(values, dtype=None if d["dtype"] == "O" else np.dtype(d["dtype"])).reshape(d["shape"])
    if tag == "dtype":
        import torch
        dtype = getattr(torch, str(d["v"]).replace("torch.", ""), None)
        return dtype if isinstance(dtype, torch.dtype) else Opaque("torch.dtype", str(d["v"])[:50])
    if tag == "device":
        import torch
        try:
            return torch.device(str(d["v"]))
        except (RuntimeError, ValueError):
            return Opaque("torch.device", str(d["v"])[:50])
    if tag == "tensor":
        return _decode_tensor(d, depth)
    raise PlainError(f"unknown plain-data tag {tag!r}")


def _decode_tensor(d: dict, depth: int) -> Any:
    import torch
    dtype = getattr(torch, str(d["dtype"]), None)
    if not isinstance(dtype, torch.dtype):
        raise PlainError(f"unknown tensor dtype {d['dtype']!r}")
    raw = bytearray(base64.b64decode(d["data"]))
    shape = [int(s) for s in d["shape"]]
    if dtype == torch.bool:
        flat = torch.frombuffer(raw, dtype=torch.uint8).to(torch.bool) if raw else torch.zeros(0, dtype=torch.bool)
    elif dtype.is_complex:
        real = torch.empty(0, dtype=dtype).real.dtype
        flat = torch.view_as_complex(torch.frombuffer(raw, dtype=real).reshape(-1, 2)) if raw else \
            torch.zeros(0, dtype=dtype)
    else:
        flat = torch.frombuffer(raw, dtype=dtype) if raw else torch.zeros(0, dtype=dtype)
    t = flat.reshape(shape).clone().as_subclass(_tensor_class(str(d.get("cls", "torch.Tensor")), torch))
    if d.get("grad") and (t.is_floating_point() or t.is_complex()):
        t.requires_grad_(True)
    for k, v in (d.get("meta") or {}).items():
        if isinstance(k, str) and k.isidentifier() and not k.startswith("_"):
            try:
                setattr(t, k, _decode(v, depth + 1))
            except Exception:  # noqa: BLE001  a stand-in class may refuse an attribute: leave it off
                pass
    return t


def copy(value: Any) -> Any:
    """A deep copy made of plain data only: what a value looks like after crossing to the grader."""
    return decode(encode(value))
