"""The bridge between a check and the student's code: `probe`, `call`, `attempt`, and the time limit.

Grading infrastructure, not lesson material. A check body never touches a student's object directly. It asks
`probe(fn, student, *args)` to run `fn(student, *args)` where the student's object lives, and gets back plain
data (see `plain`): a copy, never the student's own object. In a notebook the student's object is in the same
kernel and `probe` runs `fn` right there; under the grader (`runner`) the student's object is a `Remote` handle
and `probe` sends the request to the notebook's own process. Either way the same check code runs, the same
plain data comes back, and what the check passes is a copy, so nothing the student's code mutates can reach the
check's cases or the reference.

`fn` must be a module-level function (the notebook's process imports it by name). Inside `fn`, `call` and
`attempt` are ordinary calls that remember what was called, for the failure message.
"""
from __future__ import annotations

import contextlib
import ctypes
import importlib
import io
import os
import signal
import tempfile
import threading
import time
import types
import warnings
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator

from fastlayers.checks import plain
from fastlayers.checks.failure import CheckFailure, CheckTimeout, describe_call, raised_failure, student_place

__all__ = ["probe", "call", "attempt", "Raised", "keep", "Remote", "run_probe", "reply_value", "probe_name",
           "resolve_probe", "time_limit", "capture_output", "Captured", "context"]

MAX_NOTE_LINES = 15  # lines of captured output shown per note


class _Context(threading.local):
    in_probe: bool = False          # running inside a probe (where the student's object lives)
    last_call: str = ""             # the latest student call made through `call`/`attempt`
    deadline: float | None = None   # monotonic time at which the running check's limit ends
    notes: "Captured | None" = None  # output of the student's code gathered from replies


context = _Context()


class Remote:
    """A student's object that lives in another process: a notebook name, or an object a probe kept there."""

    def __init__(self, session: Any, ref: str | int, name: str):
        self.session, self.ref, self.name = session, ref, name
        self.__qualname__ = name  # describe_call shows the name the notebook gave the object

    def __repr__(self) -> str:
        return self.name


@dataclass
class Raised:
    """What `attempt` returns when the student's code raised: the exception's class names, message and place."""
    type: str
    kinds: list  # the class names of the exception and its bases
    message: str
    where: str = ""

    def is_a(self, *names: str) -> bool:
        return any(n in self.kinds for n in names)

    def __repr__(self) -> str:
        return f"<raised {self.type}: {self.message}>" if self.message else f"<raised {self.type}>"


class _Kept:
    def __init__(self, obj: Any):
        self.obj = obj


def keep(obj: Any) -> Any:
    """Return this from a probe to keep `obj` where it lives; the check gets a handle to probe it again."""
    return _Kept(obj)


def probe_name(fn: Callable) -> str:
    """'module:function' for a module-level function (what travels to the notebook's process)."""
    qual = getattr(fn, "__qualname__", "")
    if not qual or "." in qual or "<" in qual:
        raise TypeError(f"probe functions must be module-level functions, not {qual or fn!r}")
    return f"{fn.__module__}:{qual}"


def resolve_probe(name: str) -> Callable:
    """The function a `probe_name` names (imports its module)."""
    module, _, qual = name.partition(":")
    fn = getattr(importlib.import_module(module), qual)
    if not callable(fn):
        raise TypeError(f"{name} is not a function")
    return fn


# ----------------------------------------------------------------------------------------------------------------
# Running a probe where the student's object lives (in the kernel, or in the notebook's process for the grader)
# ----------------------------------------------------------------------------------------------------------------

def run_probe(fn: Callable, target: Any, args: tuple, kwargs: dict, kept: dict | None = None) -> dict:
    """Run `fn(target, *args, **kwargs)` and describe the outcome as a reply of plain data.

    The reply is {"value": plain} or {"kept": id, "type": name} or {"failure": fields} or
    {"timeout": {"called": ...}} or {"raised": {...}}; a value that cannot travel is a failure.
    """
    context.in_probe, context.last_call = True, ""
    try:
        value = fn(target, *args, **kwargs)
        if isinstance(value, _Kept):
            store = kept if kept is not None else _local_kept
            store[len(store) + 1] = value.obj
            return {"kept": len(store), "type": type(value.obj).__name__}
        return {"value": plain.encode(value)}
    except CheckFailure as err:
        return {"failure": err.to_dict()}
    except CheckTimeout:
        return {"timeout": {"called": context.last_call}}
    except plain.PlainError as err:
        return {"failure": CheckFailure("the answer cannot be graded", called=context.last_call,
                                        got=f"<{err}>").to_dict()}
    except Exception as err:  # noqa: BLE001  the student's object misbehaved outside `call`
        return {"failure": raised_failure(err, context.last_call or describe_call(fn, target)).to_dict()}
    finally:
        context.in_probe = False


_local_kept: dict[int, Any] = {}


def reply_value(reply: dict, session: Any = None, name: str = "") -> Any:
    """The value a reply carries (a `Remote` handle for a kept object); raises the failure it reports."""
    notes = context.notes
    if notes is not None:
        notes.add(reply.get("output"))
    if "value" in reply:
        return plain.decode(reply["value"])
    if "kept" in reply:
        if session is None:
            return _local_kept[int(reply["kept"])]
        return Remote(session, int(reply["kept"]), f"{name or 'object'} ({reply.get('type', 'object')})")
    if "timeout" in reply:
        raise CheckTimeout(str(reply["timeout"].get("called", ""))[:300])
    if "failure" in reply:
        raise CheckFailure.from_dict(reply["failure"])
    raise CheckFailure("the notebook's process sent an answer that is not one", got=str(reply)[:200])


def probe(fn: Callable, target: Any, *args: Any, **kwargs: Any) -> Any:
    """Run `fn(target, *args, **kwargs)` where `target` lives and return its result as plain data (a copy).

    `target` is a student's object (a `Remote` handle under the grader) or a reference object. Inside a probe it is
    a plain call.
    """
    if context.in_probe:
        return fn(target, *args, **kwargs)
    if isinstance(target, Remote):
        remaining = None if context.deadline is None else max(context.deadline - time.monotonic(), 0.05)
        reply = target.session.probe(probe_name(fn), target.ref, plain.encode(args), plain.encode(kwargs), remaining)
        return reply_value(reply, target.session, target.name)
    from fastlayers.checks.watch import ReferenceWatch
    piece = _student_piece(target)
    with ReferenceWatch(piece, kernel=True) as watch:  # as the grader does: the library's own piece earns nothing
        reply = run_probe(fn, target, plain.copy(args), plain.copy(kwargs))
    if watch.verdict:
        reply = {"failure": CheckFailure(watch.verdict, called=piece, hint=watch.hint).to_dict()}
    return reply_value(reply)


def _student_piece(target: Any) -> str:
    """The name of a student's function or class (what the watch looks for in the library), or ''. The checks also
    probe reference objects in the kernel, to compute what is expected: those are not watched."""
    if not isinstance(target, (type, types.FunctionType)):
        return ""
    from fastlayers.checks.watch import from_library
    if from_library(target):
        return ""
    name = str(getattr(target, "__name__", ""))
    return name if name.isidentifier() else ""


def _call_probe(fn: Callable, *args: Any, **kwargs: Any) -> Any:
    return call(fn, *args, **kwargs)


def call(fn: Callable[..., Any], *args: Any, hint: str = "", **kwargs: Any) -> Any:
    """Call student code and return its result; an exception it raises becomes a `CheckFailure` naming the call.

    From a check body the result comes back as plain data (a copy); inside a probe it is the object itself.
    """
    if not context.in_probe:
        if hint:
            kwargs["hint"] = hint
        return probe(_call_probe, fn, *args, **kwargs)
    called = describe_call(fn, *args, **kwargs)
    context.last_call = called
    try:
        return fn(*args, **kwargs)
    except CheckFailure:
        raise
    except Exception as err:  # noqa: BLE001
        raise raised_failure(err, called, hint) from err


def _attempt_probe(fn: Callable, *args: Any, **kwargs: Any) -> Any:
    out = attempt(fn, *args, **kwargs)
    if isinstance(out, Raised):
        return {"$raised": True, "type": out.type, "mro": out.kinds, "message": out.message, "where": out.where}
    return {"value": out}


def attempt(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Like `call`, but an exception comes back as a `Raised` value instead of failing the check."""
    if not context.in_probe:
        out = probe(_attempt_probe, fn, *args, **kwargs)
        if out.get("$raised"):
            return Raised(str(out["type"]), [str(n) for n in out["mro"]], str(out["message"])[:500],
                          str(out.get("where", ""))[:300])
        return out.get("value")
    context.last_call = describe_call(fn, *args, **kwargs)
    try:
        return fn(*args, **kwargs)
    except Exception as err:  # noqa: BLE001
        return Raised(type(err).__name__, [c.__name__ for c in type(err).__mro__], str(err), student_place(err))


# ----------------------------------------------------------------------------------------------------------------
# Time limit
# ----------------------------------------------------------------------------------------------------------------

_limit_active = threading.local()  # set while a limit is armed in this thread (nested limits reuse it)


@contextlib.contextmanager
def time_limit(seconds: float | None) -> Iterator[None]:
    """Raise `CheckTimeout` in the running code once `seconds` have passed.

    In the main thread (also in Jupyter kernels) a SIGALRM timer interrupts pure-Python loops; it re-fires every
    0.25 s in case student code swallows one with a bare `except:` and moves on. Off the main thread a watchdog
    thread injects the exception asynchronously instead. Code stuck inside one long C call is stopped when it
    returns; a loop that swallows every exception is beyond in-process help: the grader stops the process.
    """
    if getattr(_limit_active, "on", False) or seconds is None or seconds <= 0:
        yield
        return
    use_signal = hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()
    _limit_active.on = True
    try:
        with (_signal_limit(seconds) if use_signal else _thread_limit(seconds)):
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


class _Flush(BaseException):
    """Private: takes the place of a `CheckTimeout` injected too late, and is caught at once (see `_thread_limit`)."""


@contextlib.contextmanager
def _thread_limit(seconds: float) -> Iterator[None]:
    target = threading.get_ident()
    done, lock, injected = threading.Event(), threading.Lock(), [0]

    def watchdog() -> None:
        if done.wait(seconds):
            return
        while True:  # keep injecting until the checked code gives up
            with lock:
                if done.is_set():
                    return
                ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(target), ctypes.py_object(CheckTimeout))
                injected[0] += 1
            if done.wait(0.25):
                return

    watcher = threading.Thread(target=watchdog, daemon=True)
    watcher.start()
    try:
        yield
    finally:
        while True:
            try:
                with lock:  # after this, the watchdog injects nothing more
                    done.set()
                watcher.join()
                if injected[0]:
                    # An injection may still be pending here. Replace it with a private exception and take that one
                    # now: clearing it with NULL instead would leave the interpreter's "async exception" flag set
                    # for good, which slows every thread and makes the next sys.settrace hang (CPython 3.11).
                    try:  # raised as soon as this thread next checks for pending events: inside this try
                        ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(target), ctypes.py_object(_Flush))
                        while True:
                            pass
                    except _Flush:
                        pass
                break
            except CheckTimeout:
                continue


# ----------------------------------------------------------------------------------------------------------------
# Capturing what the student's code writes
# ----------------------------------------------------------------------------------------------------------------

@dataclass
class Captured:
    """What the checked code printed, wrote to stderr, and warned."""
    stdout: str = ""
    stderr: str = ""
    warnings: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {"stdout": self.stdout[-20000:], "stderr": self.stderr[-5000:], "warnings": self.warnings[:20]}

    def add(self, other: Any) -> None:
        """Add output reported by a probe's reply (plain dict) or another Captured."""
        if isinstance(other, Captured):
            other = other.as_dict()
        if not isinstance(other, dict):
            return
        self.stdout += str(other.get("stdout", ""))[-20000:]
        self.stderr += str(other.get("stderr", ""))[-5000:]
        self.warnings += [str(w)[:300] for w in other.get("warnings", []) or []][:20]

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
    import sys
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
    import sys
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
