"""The grading framework: the `@check` decorator, `CheckFailure`, and `expect_*` helpers used by every lesson's checks."""
from __future__ import annotations

import contextlib
import ctypes
import functools
import io
import math
import os
import signal
import sys
import tempfile
import threading
import time
import traceback
import warnings
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator

__all__ = ["check", "CheckFailure", "CheckTimeout", "CheckInfo", "checks_in", "call", "describe_call",
           "expect_equal", "expect_close", "expect_raises", "expect_true", "fail", "first_difference", "show"]

MAX_SHOWN = 300  # characters of a value shown in a failure message
MAX_NOTE_LINES = 15  # lines of captured output shown per note


UNSET: Any = type("Unset", (), {"__repr__": lambda self: "<unset>"})()  # "no value given" (None is a value)


class CheckFailure(AssertionError):
    """A check found a mistake: `str()` says what was called, expected, got, where they first differ, and a hint."""

    def __init__(self, summary: str = "wrong result", *, called: str = "", expected: Any = UNSET, got: Any = UNSET,
                 where: str = "", hint: str = ""):
        super().__init__(summary)
        self.summary, self.called, self.where, self.hint = summary, called, where, hint
        # Values are turned into text now: the student's object may change (or break) later.
        self.expected = "" if expected is UNSET else show(expected)
        self.got = "" if got is UNSET else show(got)
        self.check_name = ""  # filled in by @check

    def __str__(self) -> str:
        head = f"{self.check_name}: {self.summary}" if self.check_name else self.summary
        lines = [head]
        for label, text in [("called", self.called), ("expected", self.expected), ("got", self.got),
                            ("where", self.where), ("hint", self.hint)]:
            if text not in (None, ""):
                lines.append(f"  {label + ':':<9} {_indent(str(text), 12)}")
        return "\n".join(lines)


class CheckTimeout(BaseException):
    """Raised inside student code when a check's time limit runs out (a BaseException so `except Exception` can't hide it)."""


@dataclass
class CheckInfo:
    """What `@check` records about a check: its name, points, time limit and the function itself."""
    name: str
    points: float
    timeout: float
    func: Callable[..., Any] = field(repr=False)


# ----------------------------------------------------------------------------------------------------------------
# Showing values and finding where two values first differ
# ----------------------------------------------------------------------------------------------------------------

def _indent(text: str, n: int) -> str:
    return text.replace("\n", "\n" + " " * n)


def _is_tensor(x: Any) -> bool:
    # Duck-typed so this module never imports torch.
    return type(x).__module__.split(".")[0] == "torch" or (hasattr(x, "detach") and hasattr(x, "shape"))


def _is_array(x: Any) -> bool:
    return type(x).__module__.split(".")[0] == "numpy" and hasattr(x, "shape") and hasattr(x, "dtype")


def _to_numpy(x: Any):
    import numpy as np
    if _is_tensor(x):
        return x.detach().cpu().numpy() if hasattr(x, "numpy") else np.asarray(x)
    return np.asarray(x)


def show(x: Any, limit: int = MAX_SHOWN) -> str:
    """A short text for a value in a failure message (tensors and arrays with their type, shape and dtype)."""
    if isinstance(x, str) and x.startswith("<") and x.endswith(">"):
        return x  # already a description, e.g. "<raised ValueError: ...>"
    try:
        if _is_tensor(x) or _is_array(x):
            kind = type(x).__name__
            text = f"{kind} shape={tuple(x.shape)} dtype={x.dtype}: {_to_numpy(x).tolist()!r}"
        else:
            text = repr(x)
    except Exception as err:  # a broken __repr__ in student code must not break the message
        text = f"<{type(x).__name__} whose repr failed: {err!r}>"
    return text if len(text) <= limit else text[: limit - 5] + " ...]"


def _path_text(path: str) -> str:
    return f"at {path}" if path else "at the top level"


def first_difference(got: Any, expected: Any, *, rtol: float | None = None, atol: float = 0.0,
                     same_type: bool = False, path: str = "") -> str | None:
    """None when `got` matches `expected`, else where they first differ (index/key/element), as text.

    With `rtol` None numbers must be equal; otherwise `|got - expected| <= atol + rtol * |expected|`.
    `same_type=True` also requires the exact same types (e.g. tuple vs list, a tensor subclass vs plain tensor).
    """
    if same_type and type(got) is not type(expected):
        return f"{_path_text(path)}: got a {type(got).__name__}, expected a {type(expected).__name__}"
    if (_is_array(expected) or _is_tensor(expected)) and _is_number(expected) and _is_number(got):
        expected = expected.item()    # a numpy scalar or 0-d tensor is compared as the number it holds
    if _is_tensor(expected) or _is_array(expected):
        return _array_difference(got, expected, rtol, atol, path)
    if isinstance(expected, dict):
        if not isinstance(got, dict):
            return f"{_path_text(path)}: got a {type(got).__name__}, expected a dict"
        missing = [k for k in expected if k not in got]
        extra = [k for k in got if k not in expected]
        if missing:
            return f"{_path_text(path)}: key {missing[0]!r} is missing"
        if extra:
            return f"{_path_text(path)}: unexpected key {extra[0]!r}"
        for key in expected:
            diff = first_difference(got[key], expected[key], rtol=rtol, atol=atol, same_type=same_type,
                                    path=f"{path}[{key!r}]")
            if diff:
                return diff
        return None
    if isinstance(expected, (list, tuple)):
        if not isinstance(got, (list, tuple)):
            return f"{_path_text(path)}: got a {type(got).__name__}, expected a {type(expected).__name__}"
        if len(got) != len(expected):
            return f"{_path_text(path)}: got {len(got)} elements, expected {len(expected)}"
        for i, (g, e) in enumerate(zip(got, expected)):
            diff = first_difference(g, e, rtol=rtol, atol=atol, same_type=same_type, path=f"{path}[{i}]")
            if diff:
                return diff
        return None
    if isinstance(expected, (int, float)) and not isinstance(expected, bool) and _is_number(got):
        g, e = float(got), float(expected)
        if _numbers_match(g, e, rtol, atol):
            return None
        return f"{_path_text(path)}: got {got!r}, expected {expected!r}"
    try:
        equal = got == expected
        equal = bool(equal)
    except Exception:  # e.g. comparing a tensor with a number gives an ambiguous truth value
        equal = False
    return None if equal else f"{_path_text(path)}: got {show(got, 120)}, expected {show(expected, 120)}"


def _is_number(x: Any) -> bool:
    if isinstance(x, bool):
        return False
    if isinstance(x, (int, float)):
        return True
    # numpy scalars and 1-element tensors
    return (_is_array(x) or _is_tensor(x)) and getattr(x, "ndim", 1) == 0


def _numbers_match(g: float, e: float, rtol: float | None, atol: float) -> bool:
    if math.isnan(e):
        return math.isnan(g)
    if rtol is None:
        return g == e
    return abs(g - e) <= atol + rtol * abs(e)


def _array_difference(got: Any, expected: Any, rtol: float | None, atol: float, path: str) -> str | None:
    import numpy as np
    kind = "tensor" if _is_tensor(expected) else "array"
    if not (_is_tensor(got) or _is_array(got)):
        return f"{_path_text(path)}: got a {type(got).__name__}, expected a {kind}"
    if tuple(got.shape) != tuple(expected.shape):
        return f"{_path_text(path)}: got shape {tuple(got.shape)}, expected shape {tuple(expected.shape)}"
    g, e = _to_numpy(got), _to_numpy(expected)
    if g.dtype == object or e.dtype == object or g.dtype.kind in "USb" or e.dtype.kind in "US":
        bad = g != e
    else:
        g64, e64 = g.astype(np.float64), e.astype(np.float64)
        if rtol is None:
            bad = ~((g64 == e64) | (np.isnan(g64) & np.isnan(e64)))
        else:
            bad = ~np.isclose(g64, e64, rtol=rtol, atol=atol, equal_nan=True)
    bad = np.asarray(bad)
    if not bad.any():
        return None
    idx = tuple(int(i) for i in np.argwhere(bad)[0]) if bad.ndim else ()
    count = int(bad.sum())
    where = f"{path}[{', '.join(map(str, idx))}]" if idx else path
    return (f"{_path_text(where)}: got {g[idx].item()!r}, expected {e[idx].item()!r} "
            f"({count} of {bad.size} elements differ)")


# ----------------------------------------------------------------------------------------------------------------
# Helpers used inside check bodies
# ----------------------------------------------------------------------------------------------------------------

_last_call = threading.local()  # the latest student call made through `call`/`expect_raises` in this thread


def describe_call(fn: Any, *args: Any, **kwargs: Any) -> str:
    """`name(arg, key=value)` text for the `called:` line of a failure."""
    name = getattr(fn, "__qualname__", None) or getattr(fn, "__name__", None) or type(fn).__name__
    parts = [show(a, 60) for a in args] + [f"{k}={show(v, 60)}" for k, v in kwargs.items()]
    return f"{name}({', '.join(parts)})"


def call(fn: Callable[..., Any], *args: Any, hint: str = "", **kwargs: Any) -> Any:
    """Call student code; an exception it raises becomes a `CheckFailure` saying what was called and what it raised."""
    called = describe_call(fn, *args, **kwargs)
    _last_call.text = called  # so a time-out can say which call never returned
    try:
        return fn(*args, **kwargs)
    except CheckFailure:
        raise
    except Exception as err:
        raise _raised_failure(err, called, hint) from err


def _raised_failure(err: BaseException, called: str, hint: str = "") -> CheckFailure:
    if isinstance(err, NotImplementedError):
        hint = hint or "This piece is not written yet: replace `raise NotImplementedError()` in its cell with your code."
    tb = traceback.extract_tb(err.__traceback__)
    # The last frame is where the error happened: usually the student's own cell.
    place = f"raised in {tb[-1].name} (line {tb[-1].lineno})" if tb else ""
    return CheckFailure(f"raised {type(err).__name__}", called=called, expected="<a result, no exception>",
                        got=f"<raised {type(err).__name__}: {err}>", where=place, hint=hint)


def fail(summary: str, *, called: str = "", expected: Any = UNSET, got: Any = UNSET, where: str = "",
         hint: str = "") -> None:
    """Raise a `CheckFailure` (for conditions the `expect_*` helpers don't cover)."""
    raise CheckFailure(summary, called=called, expected=expected, got=got, where=where, hint=hint)


def expect_true(condition: Any, summary: str, *, called: str = "", hint: str = "", got: Any = UNSET) -> None:
    """Fail with `summary` unless `condition` holds."""
    if not condition:
        fail(summary, called=called, got=got, hint=hint)


def expect_equal(got: Any, expected: Any, *, called: str = "", hint: str = "", same_type: bool = False,
                 summary: str = "wrong result") -> None:
    """Fail unless `got` equals `expected` exactly (recursing into tuples, lists, dicts, tensors and arrays)."""
    diff = first_difference(got, expected, same_type=same_type)
    if diff:
        raise CheckFailure(summary, called=called, expected=expected, got=got, where=diff, hint=hint)


def expect_close(got: Any, expected: Any, *, rtol: float = 1e-5, atol: float = 1e-8, called: str = "",
                 hint: str = "", same_type: bool = False, summary: str = "wrong result") -> None:
    """Fail unless numbers/tensors/arrays (also nested in containers) agree within `atol + rtol*|expected|`."""
    diff = first_difference(got, expected, rtol=rtol, atol=atol, same_type=same_type)
    if diff:
        raise CheckFailure(summary, called=called, expected=expected, got=got,
                           where=f"{diff} [tolerance rtol={rtol:g}, atol={atol:g}]", hint=hint)


def expect_raises(exc_type: type[BaseException] | tuple[type[BaseException], ...], fn: Callable[..., Any],
                  *args: Any, match: str | None = None, hint: str = "", **kwargs: Any) -> BaseException:
    """Fail unless `fn(*args, **kwargs)` raises `exc_type` (whose message contains `match`, if given); returns it."""
    called = describe_call(fn, *args, **kwargs)
    _last_call.text = called
    names = " or ".join(t.__name__ for t in (exc_type if isinstance(exc_type, tuple) else (exc_type,)))
    try:
        result = fn(*args, **kwargs)
    except exc_type as err:
        if match is not None and match not in str(err):
            raise CheckFailure("raised, but with the wrong message", called=called,
                               expected=f"<{names} mentioning {match!r}>",
                               got=f"<{type(err).__name__}: {err}>", hint=hint) from err
        return err
    except Exception as err:
        raise CheckFailure("raised the wrong exception", called=called, expected=f"<raises {names}>",
                           got=f"<raised {type(err).__name__}: {err}>", hint=hint) from err
    raise CheckFailure("did not raise", called=called, expected=f"<raises {names}>", got=result, hint=hint)


# ----------------------------------------------------------------------------------------------------------------
# Time limit
# ----------------------------------------------------------------------------------------------------------------

_limit_active = threading.local()  # set while a check's time limit is armed in this thread (nested checks reuse it)


@contextlib.contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    """Raise `CheckTimeout` in the running code once `seconds` have passed.

    In the main thread (also in Jupyter kernels) a SIGALRM timer interrupts pure-Python loops; it re-fires every
    0.25 s in case student code swallows one with a bare `except:` and moves on. Off the main thread a watchdog
    thread injects the exception asynchronously instead. Code stuck inside one long C call is stopped when it
    returns; a loop that swallows every exception is beyond in-process help: the runner's per-cell safety timeout
    (a process kill) covers it.
    """
    if getattr(_limit_active, "on", False) or seconds is None or seconds <= 0:
        yield
        return
    use_signal = hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()
    _limit_active.on = True
    try:
        if use_signal:
            with _signal_limit(seconds):
                yield
        else:
            with _thread_limit(seconds):
                yield
    finally:
        _limit_active.on = False


@contextlib.contextmanager
def _signal_limit(seconds: float) -> Iterator[None]:
    state = {"armed": True}

    def on_alarm(signum, frame):  # noqa: ARG001
        if state["armed"]:
            raise CheckTimeout(f"time limit of {seconds:g} s exceeded")

    old_handler = signal.signal(signal.SIGALRM, on_alarm)
    old_delay, _ = signal.getitimer(signal.ITIMER_REAL)
    start = time.monotonic()
    signal.setitimer(signal.ITIMER_REAL, seconds, 0.25)
    try:
        yield
    finally:
        while True:  # a late alarm could land in this cleanup: retry until disarmed
            try:
                state["armed"] = False
                signal.setitimer(signal.ITIMER_REAL, 0)
                signal.signal(signal.SIGALRM, old_handler)
                if old_delay:  # someone else's timer was running: put back what is left of it
                    signal.setitimer(signal.ITIMER_REAL, max(old_delay - (time.monotonic() - start), 0.001))
                break
            except CheckTimeout:
                continue


@contextlib.contextmanager
def _thread_limit(seconds: float) -> Iterator[None]:
    target = threading.get_ident()
    done = threading.Event()

    def watchdog() -> None:
        if done.wait(seconds):
            return
        while not done.wait(0.25):  # keep injecting until the checked code gives up
            ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(target), ctypes.py_object(CheckTimeout))

    watcher = threading.Thread(target=watchdog, daemon=True)
    watcher.start()
    try:
        yield
    finally:
        while True:
            try:
                done.set()
                watcher.join()
                # clear an exception injected after the body ended but before we stopped the watchdog
                ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(target), None)
                break
            except CheckTimeout:
                continue


# ----------------------------------------------------------------------------------------------------------------
# Capturing what the checked code writes
# ----------------------------------------------------------------------------------------------------------------

@dataclass
class Captured:
    """What the checked code printed, wrote to stderr, and warned."""
    stdout: str = ""
    stderr: str = ""
    warnings: list[str] = field(default_factory=list)

    def notes(self) -> list[str]:
        """Lines to print on stdout so a learner sees them without losing points."""
        out = []
        for label, text in [("your code printed", self.stdout),
                            ("your code wrote to stderr (not counted against you)", self.stderr)]:
            if text.strip():
                out.append(f"note: {label}:\n{_clip(text)}")
        for w in self.warnings[:5]:
            out.append(f"note: warning (not counted against you): {w}")
        if len(self.warnings) > 5:
            out.append(f"note: ... and {len(self.warnings) - 5} more warnings")
        return out


def _clip(text: str) -> str:
    lines = text.rstrip().splitlines()
    if len(lines) > MAX_NOTE_LINES:
        lines = lines[:MAX_NOTE_LINES] + [f"... ({len(lines) - MAX_NOTE_LINES} more lines)"]
    return "\n".join("    " + line[:200] for line in lines)


@contextlib.contextmanager
def capture_output() -> Iterator[Captured]:
    """Capture sys.stdout, sys.stderr, file descriptor 2 and warnings of the code run inside."""
    captured = Captured()
    out, err = io.StringIO(), io.StringIO()
    with contextlib.ExitStack() as stack:
        fd_file = stack.enter_context(_capture_fd2())
        stack.enter_context(contextlib.redirect_stdout(out))
        stack.enter_context(contextlib.redirect_stderr(err))
        caught = stack.enter_context(warnings.catch_warnings(record=True))
        warnings.simplefilter("always")
        try:
            yield captured
        finally:
            # gather even when the body failed, so the notes can be shown with the failure
            captured.warnings = [f"{w.category.__name__}: {w.message}" for w in caught]
            captured.stdout = out.getvalue()
            captured.stderr = err.getvalue()
            if fd_file is not None:
                with contextlib.suppress(Exception):
                    sys.stderr.flush()
                    fd_file.flush()
                    fd_file.seek(0)
                    captured.stderr += fd_file.read().decode("utf-8", "replace")


@contextlib.contextmanager
def _capture_fd2() -> Iterator[Any]:
    """Point file descriptor 2 at a temporary file (C extensions and subprocesses write there directly)."""
    try:
        saved = os.dup(2)
    except OSError:  # no fd 2 (some embedded interpreters): nothing to capture
        yield None
        return
    with tempfile.TemporaryFile() as tmp:
        with contextlib.suppress(Exception):
            sys.__stderr__.flush()
        os.dup2(tmp.fileno(), 2)
        try:
            yield tmp
        finally:
            os.dup2(saved, 2)
            os.close(saved)


# ----------------------------------------------------------------------------------------------------------------
# The decorator
# ----------------------------------------------------------------------------------------------------------------

def check(points: float = 1, timeout: float = 10) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Make a function a graded check worth `points`, stopped after `timeout` seconds; prints `PASS name (p/p points)`.

    The check body raises `CheckFailure` on a mistake. Output and warnings of the code it calls are shown as notes
    on stdout (never stderr: nbgrader zeroes a cell that writes there); any other exception escaping the body
    (e.g. the untouched `raise NotImplementedError()`) is reported as a `CheckFailure` too.
    """
    if not isinstance(points, (int, float)) or points <= 0:
        raise ValueError(f"@check(points=...) must be a positive number, got {points!r}")
    if not isinstance(timeout, (int, float)) or timeout <= 0:
        raise ValueError(f"@check(timeout=...) must be a positive number of seconds, got {timeout!r}")

    def decorate(fn: Callable[..., Any]) -> Callable[..., Any]:
        info = CheckInfo(fn.__name__, points, timeout, fn)

        @functools.wraps(fn)
        def run_check(*args: Any, **kwargs: Any) -> None:
            failure: CheckFailure | None = None
            _last_call.text = ""
            start = time.perf_counter()
            with capture_output() as captured:
                try:
                    with time_limit(timeout):
                        fn(*args, **kwargs)
                except CheckFailure as err:
                    failure = err
                except CheckTimeout as err:
                    failure = CheckFailure(
                        f"no answer within the time limit of {timeout:g} s",
                        called=getattr(_last_call, "text", "") or describe_call(fn, *args, **kwargs),
                        got="<still running when stopped>",
                        hint="Look for a loop whose condition never becomes false, or a step that never advances.")
                    failure.__cause__ = err
                except Exception as err:  # noqa: BLE001  anything else the student's code raised
                    failure = _raised_failure(err, describe_call(fn, *args, **kwargs))
                    failure.__cause__ = err
            for note in captured.notes():
                print(note)
            seconds = time.perf_counter() - start
            if failure is not None:
                failure.check_name = info.name
                print(f"FAIL {info.name} (0/{_pts(points)} points)")
                raise failure
            print(f"PASS {info.name} ({_pts(points)}/{_pts(points)} points, {seconds:.1f} s)")

        run_check.check_info = info  # type: ignore[attr-defined]
        return run_check

    return decorate


def _pts(points: float) -> str:
    return f"{points:g}"


def checks_in(module: Any) -> dict[str, CheckInfo]:
    """The checks a lesson module defines, by name, in definition order."""
    found = {}
    for name, obj in vars(module).items():
        info = getattr(obj, "check_info", None)
        if isinstance(info, CheckInfo) and getattr(obj, "__module__", None) == module.__name__:
            found[name] = info
    return found
