"""Small helpers every layer uses."""
from __future__ import annotations

from typing import Any

__all__ = ["listify"]


def listify(x: Any) -> list:
    """`x` as a list: None -> [], a list or tuple -> its elements, anything else -> [x]."""
    if x is None:
        return []
    if isinstance(x, (list, tuple)):
        return list(x)
    return [x]
