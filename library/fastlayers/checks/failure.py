"""What a failing check says: `CheckFailure` (called, expected, got, where, hint) and short, address-free value texts.

Grading infrastructure, not lesson material. A failure renders as a handful of lines and nothing else: IPython
shows exactly those lines (`_render_traceback_`), never a traceback through the library or the check's source.
"""
from __future__ import annotations

import functools
import linecache
import math
import os
import sys
import sysconfig
import traceback
from typing import Any

__all__ = ["CheckFailure", "CheckTimeout", "UNSET", "Shown", "show", "show_number", "describe_call", "student_place",
           "raised_failure", "NOT_WRITTEN"]

MAX_SHOWN = 300        # characters of a value shown in a failure message
MAX_FIELD = 600        # characters of any one field (texts coming from a student's process are cut too)
NOT_WRITTEN = "This piece is not written yet: replace `raise NotImplementedError()` in its cell with your code."

UNSET: Any = type("Unset", (), {"__repr__": lambda self: "<unset>"})()  # "no value given" (None is a value)

_RED, _GREEN, _BOLD, _RESET = "\x1b[31m", "\x1b[32m", "\x1b[1m", "\x1b[0m"


def _cut(text: Any, limit: int = MAX_FIELD) -> str:
    text = str(text)
    return text if len(text) <= limit else text[: limit - 4] + " ..."


class CheckFailure(AssertionError):
    """A check found a mistake: `str()` says what was called, expected, got, where they first differ, and a hint."""

    FIELDS = ("summary", "called", "expected", "got", "where", "hint")

    def __init__(self, summary: str = "wrong result", *, called: str = "", expected: Any = UNSET, got: Any = UNSET,
                 where: str = "", hint: str = ""):
        super().__init__(summary)
        self.summary, self.called, self.where, self.hint = _cut(summary), _cut(called), _cut(where), _cut(hint)
        # Values are turned into text now: the student's object may change (or break) later.
        self.expected = "" if expected is UNSET else show(expected)
        self.got = "" if got is UNSET else show(got)
        self.check_name = ""  # filled in by @check
        self.points = 0.0

    def lines(self, color: bool = False) -> list[str]:
        """The message, one line per field (the first names the check and its points)."""
        if self.check_name:
            fail_word = f"{_RED}{_BOLD}FAIL{_RESET}" if color else "FAIL"
            head = f"{fail_word} {self.check_name} (0/{self.points:g} points): {self.summary}"
        else:
            head = self.summary
        out = [head]
        for label in ("called", "expected", "got", "where", "hint"):
            text = getattr(self, label)
            if text not in (None, ""):
                out.append(f"  {label + ':':<9} {_indent(str(text), 12)}")
        return out

    def __str__(self) -> str:
        return "\n".join(self.lines())

    def _render_traceback_(self) -> list[str]:
        # IPython asks an exception how to show itself: only the message, no traceback, no check source.
        return self.lines(color=True)

    def to_dict(self) -> dict[str, str]:
        """The fields as plain strings (what crosses from a student's process)."""
        return {k: str(getattr(self, k)) for k in self.FIELDS}

    @classmethod
    def from_dict(cls, d: Any) -> "CheckFailure":
        """Rebuild from `to_dict` data; every field is cut to a sane length (it may come from a student's process)."""
        d = d if isinstance(d, dict) else {}
        f = cls(_cut(d.get("summary", "wrong result"), 200), called=_cut(d.get("called", "")),
                where=_cut(d.get("where", "")), hint=_cut(d.get("hint", "")))
        f.expected, f.got = _cut(d.get("expected", ""), MAX_SHOWN), _cut(d.get("got", ""), MAX_SHOWN)
        return f


class CheckTimeout(BaseException):
    """Raised inside student code when a check's time limit runs out (a BaseException so `except Exception` can't hide it)."""


def _indent(text: str, n: int) -> str:
    return text.replace("\n", "\n" + " " * n)


# ----------------------------------------------------------------------------------------------------------------
# Showing values
# ----------------------------------------------------------------------------------------------------------------

def show_number(x: float, digits: int = 6) -> str:
    """A float with `digits` significant digits (ints as they are)."""
    if isinstance(x, bool) or not isinstance(x, float):
        return repr(x)
    if math.isnan(x) or math.isinf(x):
        return repr(x)
    text = f"{x:.{digits}g}"
    return text if any(c in text for c in ".en") else text + ".0"


def _round(values: Any) -> Any:
    """Nested lists of numbers with floats rounded to 6 significant digits (for showing tensors and arrays)."""
    if isinstance(values, list):
        return [_round(v) for v in values]
    if isinstance(values, float):
        return float(show_number(values)) if math.isfinite(values) else values
    return values


class _Raw(str):
    def __repr__(self) -> str:
        return str(self)


def _show_nested(x: Any, depth: int = 0) -> Any:
    """A copy of containers with their leaves made printable (rounded floats, short callables)."""
    if depth > 6:
        return _Raw("...")
    if isinstance(x, float) and type(x) is float:
        return _Raw(show_number(x))
    if type(x) in (list, tuple):
        items = [_show_nested(v, depth + 1) for v in x]
        return items if type(x) is list else tuple(items)
    if type(x) is dict:
        return {_show_nested(k, depth + 1): _show_nested(v, depth + 1) for k, v in x.items()}
    if _is_tensor(x) or _is_array(x) or callable(x) or isinstance(x, functools.partial):
        return _Raw(show(x, 120))
    return x


def _is_tensor(x: Any) -> bool:
    """A torch tensor (of any class), found without importing torch."""
    torch = sys.modules.get("torch")
    return torch is not None and isinstance(x, torch.Tensor)


def _is_array(x: Any) -> bool:
    return type(x).__module__.split(".")[0] == "numpy" and hasattr(x, "shape") and hasattr(x, "dtype")


def _callable_text(x: Any) -> str | None:
    if isinstance(x, functools.partial):
        parts = [_callable_text(x.func) or type(x.func).__name__] + [show(a, 40) for a in x.args] + \
                [f"{k}={show(v, 40)}" for k, v in x.keywords.items()]
        return f"partial({', '.join(parts)})"
    if isinstance(x, type):
        return x.__qualname__
    if callable(x) and hasattr(x, "__qualname__") and type(x).__name__ in ("function", "builtin_function_or_method",
                                                                            "method", "method-wrapper"):
        return f"<function {x.__qualname__}>"
    return None


class Shown(str):
    """Text that a failure message shows as it is (already formatted)."""


def show(x: Any, limit: int = MAX_SHOWN) -> str:
    """A short text for a value in a failure message: rounded floats, tensors with type/shape/dtype, no addresses."""
    if isinstance(x, Shown):
        return _cut(str(x), limit)
    if isinstance(x, str) and x.startswith("<") and x.endswith(">"):
        return _cut(x, limit)  # already a description, e.g. "<raised ValueError: ...>"
    try:
        named = _callable_text(x)
        if named is not None:
            text = named
        elif _is_tensor(x) or _is_array(x):
            kind = type(x).__name__
            values = x.detach().cpu().tolist() if hasattr(x, "detach") else x.tolist()
            grad = ", requires_grad" if getattr(x, "requires_grad", False) else ""
            text = f"{kind} shape={tuple(x.shape)} dtype={x.dtype}{grad}: {_round(values)!r}"
        elif isinstance(x, float) and type(x) is float:
            text = show_number(x)
        elif type(x) in (list, tuple, dict):
            text = repr(_show_nested(x))
        else:
            text = repr(x)
    except Exception as err:  # a broken __repr__ in student code must not break the message
        text = f"<{type(x).__name__} whose repr failed: {type(err).__name__}>"
    if " at 0x" in text:  # default object reprs carry memory addresses: say the type instead
        text = f"<a {type(x).__qualname__} object>"
    return text if len(text) <= limit else text[: limit - 5] + " ...]"


def describe_call(fn: Any, *args: Any, **kwargs: Any) -> str:
    """`name(arg, key=value)` text for the `called:` line of a failure."""
    name = getattr(fn, "__qualname__", None) or getattr(fn, "__name__", None) or type(fn).__name__
    parts = [show(a, 60) for a in args] + [f"{k}={show(v, 60)}" for k, v in kwargs.items()]
    return f"{name}({', '.join(parts)})"


# ----------------------------------------------------------------------------------------------------------------
# Where student code raised
# ----------------------------------------------------------------------------------------------------------------

_LIBRARY = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))  # .../fastlayers
_SYSTEM = {os.path.abspath(p) for p in (sysconfig.get_paths().get("stdlib"), sysconfig.get_paths().get("purelib"),
                                        sysconfig.get_paths().get("platlib")) if p}


def _is_student_file(filename: str) -> bool:
    if filename.startswith("<cell") or "ipykernel" in filename or filename.startswith("<ipython-input"):
        return True
    if filename.startswith("<"):
        return False
    path = os.path.abspath(filename)
    if path.startswith(_LIBRARY) or any(path.startswith(p) for p in _SYSTEM):
        return False
    return "site-packages" not in path


def student_place(err: BaseException) -> str:
    """'line N of your cell: <code>' for the last frame of `err`'s traceback in the student's own code, or ''."""
    frames = [f for f in traceback.extract_tb(err.__traceback__) if _is_student_file(f.filename)]
    if not frames:
        return ""
    f = frames[-1]
    code = (f.line or linecache.getline(f.filename, f.lineno) or "").strip()
    cell = f.filename[1:-1].split(": ", 1)[-1] if f.filename.startswith("<cell") else "your cell"
    where = f"line {f.lineno} of {cell}" if cell != "your cell" else f"line {f.lineno} of your code"
    if f.name and f.name != "<module>":
        where += f", in {f.name}"
    return f"{where}: {_cut(code, 160)}" if code else where


def raised_failure(err: BaseException, called: str, hint: str = "") -> CheckFailure:
    """The failure for student code that raised `err` while being called as `called`."""
    if isinstance(err, NotImplementedError):
        hint = hint or NOT_WRITTEN
    message = str(err).strip()
    got = f"<raised {type(err).__name__}: {message}>" if message else f"<raised {type(err).__name__}>"
    return CheckFailure(f"raised {type(err).__name__}", called=called, expected="<a result, no exception>",
                        got=_cut(got, MAX_SHOWN), where=student_place(err), hint=hint)


def running_in_notebook() -> bool:
    """Whether this is an interactive Jupyter kernel (not nbgrader, not a script, not pytest)."""
    if os.environ.get("NBGRADER_EXECUTION") or os.environ.get("FASTLAYERS_CHECKS_RAISE"):
        return False
    shell = getattr(sys.modules.get("IPython"), "get_ipython", lambda: None)()
    return type(shell).__name__ == "ZMQInteractiveShell"
