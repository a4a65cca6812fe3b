"""The reference watch: while a check runs a student's piece, notice whether the library's own code for that piece
runs (a wrapper, a closure, a class that delegates to it), so that such a piece earns nothing.

Grading infrastructure, not lesson material. Used by the grader's notebook process (`agent`) for the grade that
counts, and by `bridge.probe` in the student's kernel, so the notebook's quick feedback says the same.
"""
from __future__ import annotations

import os
import sys
import threading
import types
from typing import Any

__all__ = ["from_library", "reference_codes", "ReferenceWatch"]


def from_library(obj: Any) -> bool:
    """True for a function, class or module object that the fastlayers package defines."""
    return str(getattr(obj, "__module__", "") or "").split(".")[0] == "fastlayers"


_found: dict[tuple[str, int], frozenset] = {}


def reference_codes(name: str) -> frozenset:
    """The code objects of the reference library's own pieces called `name` (any case): a function's code and the
    functions defined inside it, or the methods a class defines itself (not those it inherits: a student's class
    may share the reference's base classes). Only modules already imported are searched: a piece nobody imported
    cannot run. Remembered per name and number of loaded modules: a lesson probes the same piece many times."""
    key, codes = name.lower(), set()
    memo = (key, len(sys.modules))
    if memo in _found:
        return _found[memo]
    library = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))  # the fastlayers package folder

    def add(code: Any) -> None:
        # only code written in the library: a decorator's wrapper (torch.no_grad's, functools') is shared by
        # every function it decorates, the student's too
        if (isinstance(code, types.CodeType) and code not in codes
                and os.path.abspath(code.co_filename).startswith(library + os.sep)):
            codes.add(code)
            for const in code.co_consts:
                add(const)

    def add_callable(obj: Any) -> None:
        for f in (obj, getattr(obj, "__func__", None), getattr(obj, "__wrapped__", None),
                  getattr(obj, "fget", None), getattr(obj, "fset", None)):
            add(getattr(f, "__code__", None))

    for mod_name, mod in list(sys.modules.items()):
        if not mod_name.startswith("fastlayers.") or mod_name.startswith("fastlayers.checks"):
            continue
        for obj in list(vars(mod).values()):
            if str(getattr(obj, "__name__", "")).lower() != key:
                continue
            if not from_library(obj):
                continue
            if isinstance(obj, type):
                for member in list(vars(obj).values()):
                    add_callable(member)
            else:
                add_callable(obj)
    _found[memo] = frozenset(codes)
    return _found[memo]


class ReferenceWatch:
    """While a probe runs, notice whether the reference library's own code for the piece under check runs: a
    student's function that calls, wraps or delegates to the library's version earns nothing for it.

    A global trace function sees each Python call as it starts (one set lookup per call; no per-line tracing).
    It lives in the student's process, so a determined student can remove it; removing it is itself noticed,
    and only code written to evade the grader gets past it.

    `kernel=True` is the student's own kernel (quick feedback only): there the watch steps aside when a trace
    function is already set (JupyterLab's debugger uses one) and does not judge a changed one."""

    HINT = ("The exercise is to write this piece yourself: code that calls, wraps or delegates to the library's own "
            "version earns nothing for it. The other library pieces the statement names stay yours to use.")

    def __init__(self, piece: str, kernel: bool = False):
        self.kernel = kernel
        self.codes = reference_codes(piece) if piece else frozenset()
        if kernel and sys.gettrace() is not None:
            self.codes = frozenset()  # a debugger is tracing: leave it be
        # by identity: code objects compare equal by content, and a student's copy of one line is not a call
        self.ids = frozenset(id(code) for code in self.codes)
        self.piece, self.hit, self.verdict, self.hint = piece, False, "", ""

    def _trace(self, frame: Any, event: str, arg: Any) -> None:
        if event == "call" and not self.hit and id(frame.f_code) in self.ids:
            self.hit = frame.f_code.co_qualname if hasattr(frame.f_code, "co_qualname") else frame.f_code.co_name
        return None  # no line events: only the start of each call is looked at

    def __enter__(self) -> "ReferenceWatch":
        if self.codes:
            self._before = sys.gettrace(), threading.gettrace() if hasattr(threading, "gettrace") else None
            sys.settrace(self._trace)
            threading.settrace(self._trace)
        return self

    def __exit__(self, *exc: Any) -> None:
        if not self.codes:
            return
        removed = sys.gettrace() != self._trace  # a bound method: equal, not identical, to the one we set
        sys.settrace(self._before[0])
        threading.settrace(self._before[1])  # type: ignore[arg-type]
        if self.hit:
            inside = f" (its `{self.hit}`)" if self.hit != self.piece else ""
            self.verdict = f"your `{self.piece}` runs the reference library's own `{self.piece}`{inside}"
            self.hint = self.HINT
        elif removed and not self.kernel:
            self.verdict = "your code changed Python's trace function while it was being checked"
            self.hint = "Leave sys.settrace alone in the pieces you hand in; the grader needs it to watch the piece."
