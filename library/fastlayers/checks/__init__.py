"""Graders for the exercise notebooks: `checks.lesson06.sched_cos(fn)`; lesson modules load on first use."""
from __future__ import annotations

import importlib
import pkgutil
import re
from types import ModuleType

from fastlayers.checks.framework import CheckFailure, CheckTimeout, check, checks_in

__all__ = ["CheckFailure", "CheckTimeout", "check", "checks_in", "lessons"]

_LESSON = re.compile(r"lesson\d\d")


def lessons() -> list[str]:
    """Names of the lesson check modules that exist, e.g. ['lesson02', 'lesson06']."""
    return sorted(m.name for m in pkgutil.iter_modules(__path__) if _LESSON.fullmatch(m.name))


def __getattr__(name: str) -> ModuleType:
    # Lesson modules import torch and the reference library: load them only when a notebook asks.
    if _LESSON.fullmatch(name):
        try:
            return importlib.import_module(f"{__name__}.{name}")
        except ModuleNotFoundError as err:
            if err.name != f"{__name__}.{name}":
                raise
            raise AttributeError(f"fastlayers.checks has no {name}: the lessons with checks are {lessons()}") from None
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(lessons()))
