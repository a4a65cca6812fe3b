"""The grading framework: the `@check` decorator and the `expect_*` helpers every lesson's checks use.

Grading infrastructure, not lesson material. A check body runs on the grader's side; it reaches the student's
code only through `probe`, `call` and `attempt` (see `bridge`), which hand back plain data. The same body gives
instant feedback in the student's kernel and the grade that counts under the grader (`runner`).
"""
from __future__ import annotations

import functools
import math
import time
from dataclasses import dataclass, field
from typing import Any, Callable

from fastlayers.checks.bridge import (Captured, Raised, Remote, attempt, call, capture_output, context, keep,
                                      probe, time_limit)
from fastlayers.checks.failure import (NOT_WRITTEN, UNSET, CheckFailure, CheckTimeout, Shown, _is_array, _is_tensor,
                                       describe_call, running_in_notebook, show, show_number)

__all__ = ["check", "CheckFailure", "CheckTimeout", "CheckInfo", "Outcome", "checks_in", "call", "probe", "attempt",
           "keep", "Raised", "labelled", "describe_call", "expect_equal", "expect_close", "expect_raises", "expect_true",
           "expect_count", "expect_type", "fail", "first_difference", "show", "NOT_WRITTEN"]

# Two short lines: a notebook's output area is about 100 characters wide and would break a long line mid-word.
OFFICIAL = ("(These checks run in your own kernel, for quick feedback.\n"
            " The grade that counts is computed separately, by `fastlayers check` or your instructor's grader.)")


# ----------------------------------------------------------------------------------------------------------------
# Where two values first differ
# ----------------------------------------------------------------------------------------------------------------

def _to_numpy(x: Any):
    import numpy as np
    if _is_tensor(x):
        return x.detach().cpu().numpy() if hasattr(x, "numpy") else np.asarray(x)
    return np.asarray(x)


def _is_number(x: Any) -> bool:
    if isinstance(x, bool):
        return False
    if isinstance(x, (int, float)):
        return True
    return (_is_array(x) or _is_tensor(x)) and getattr(x, "ndim", 1) == 0  # numpy scalars, 0-d tensors


def _numbers_match(g: float, e: float, rtol: float | None, atol: float) -> bool:
    if math.isnan(e):
        return math.isnan(g)
    if rtol is None:
        return g == e
    return abs(g - e) <= atol + rtol * abs(e)


def _kind(x: Any) -> str:
    return type(x).__name__


def _difference(got: Any, expected: Any, rtol: float | None, atol: float, same_type: bool,
                path: str) -> tuple[str, str] | None:
    """None when equal, else (path, what differs there)."""
    if same_type and type(got) is not type(expected):
        return path, f"got a {_kind(got)}, expected a {_kind(expected)}"
    if (_is_array(expected) or _is_tensor(expected)) and _is_number(expected) and _is_number(got) and not same_type:
        expected = expected.item()    # a numpy scalar or 0-d tensor is compared as the number it holds
    if _is_tensor(expected) or _is_array(expected):
        return _array_difference(got, expected, rtol, atol, path)
    if isinstance(expected, dict):
        if not isinstance(got, dict):
            return path, f"got a {_kind(got)}, expected a dict"
        missing = [k for k in expected if k not in got]
        extra = [k for k in got if k not in expected]
        if missing:
            return path, f"key {missing[0]!r} is missing"
        if extra:
            return path, f"unexpected key {extra[0]!r}"
        for key in expected:
            diff = _difference(got[key], expected[key], rtol, atol, same_type, f"{path}[{key!r}]")
            if diff:
                return diff
        return None
    if isinstance(expected, (list, tuple)):
        if not isinstance(got, (list, tuple)):
            return path, f"got a {_kind(got)}, expected a {_kind(expected)}"
        if len(got) != len(expected):
            return path, f"got {len(got)} elements, expected {len(expected)}"
        for i, (g, e) in enumerate(zip(got, expected)):
            diff = _difference(g, e, rtol, atol, same_type, f"{path}[{i}]")
            if diff:
                return diff
        return None
    if isinstance(expected, (int, float)) and not isinstance(expected, bool) and _is_number(got):
        if isinstance(got, int) and isinstance(expected, int) and not isinstance(got, bool) and rtol is None:
            # exact integers compare exactly (a float holds 53 bits: 10**17 + 1 would equal 10**17 + 2)
            return None if int(got) == int(expected) else (path, f"got {got!r}, expected {expected!r}")
        g, e = float(got), float(expected)
        if _numbers_match(g, e, rtol, atol):
            return None
        if isinstance(got, int) and isinstance(expected, int):
            return path, f"got {got!r}, expected {expected!r}"
        gt, et = _pair_text(g, e)
        return path, f"got {gt}, expected {et}"
    try:
        equal = bool(got == expected)
    except Exception:  # noqa: BLE001  e.g. comparing a tensor with a number gives an ambiguous truth value
        equal = False
    return None if equal else (path, f"got {show(got, 120)}, expected {show(expected, 120)}")


def _pair_text(g: float, e: float) -> tuple[str, str]:
    """Two numbers rounded to the fewest digits (6 or more) that still tell them apart."""
    for digits in (6, 9, 12, 17):
        gt, et = show_number(g, digits), show_number(e, digits)
        if gt != et:
            return gt, et
    return repr(g), repr(e)


def _array_difference(got: Any, expected: Any, rtol: float | None, atol: float, path: str) -> tuple[str, str] | None:
    import numpy as np
    kind = "tensor" if _is_tensor(expected) else "array"
    if not (_is_tensor(got) or _is_array(got)):
        return path, f"got a {_kind(got)}, expected a {kind}"
    if tuple(got.shape) != tuple(expected.shape):
        return path, f"got shape {tuple(got.shape)}, expected shape {tuple(expected.shape)}"
    g, e = _to_numpy(got), _to_numpy(expected)
    if g.dtype == object or e.dtype == object or g.dtype.kind in "USb" or e.dtype.kind in "US":
        bad = g != e
    else:
        g64, e64 = g.astype(np.complex128 if g.dtype.kind == "c" else np.float64), \
            e.astype(np.complex128 if e.dtype.kind == "c" else np.float64)
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
    gv, ev = g[idx].item(), e[idx].item()
    if isinstance(gv, float) and isinstance(ev, float):
        gv, ev = _pair_text(gv, ev)
    else:
        gv, ev = repr(gv), repr(ev)
    return where, f"got {gv}, expected {ev} ({count} of {bad.size} elements differ)"


def first_difference(got: Any, expected: Any, *, rtol: float | None = None, atol: float = 0.0,
                     same_type: bool = False, path: str = "") -> str | None:
    """None when `got` matches `expected`, else where they first differ (index/key/element), as text.

    With `rtol` None numbers must be equal; otherwise `|got - expected| <= atol + rtol * |expected|`.
    `same_type=True` also requires the exact same types (e.g. tuple vs list, a tensor subclass vs plain tensor).
    """
    diff = _difference(got, expected, rtol, atol, same_type, path)
    if diff is None:
        return None
    where, what = diff
    return f"at {where}: {what}" if where else what


def _where(got: Any, expected: Any, rtol: float | None, atol: float, same_type: bool) -> str | None:
    """The `where:` line: None when equal; '' when the values shown already say it all (two plain numbers)."""
    diff = _difference(got, expected, rtol, atol, same_type, "")
    if diff is None:
        return None
    where, what = diff
    if not where and _is_number(got) and _is_number(expected) and not (_is_tensor(got) or _is_array(got)):
        return ""
    return f"at {where}: {what}" if where else what


# ----------------------------------------------------------------------------------------------------------------
# Expectations used inside check bodies
# ----------------------------------------------------------------------------------------------------------------

class labelled:
    """`with labelled("learn.fit(2) with your callback"):` names the call in failures raised inside the block
    (a probe's own inner call, e.g. `Learner.fit(...)`, says less to a learner than the scenario does)."""

    def __init__(self, called: str):
        self.called = called

    def __enter__(self) -> "labelled":
        return self

    def __exit__(self, kind: Any, err: Any, tb: Any) -> bool:
        if isinstance(err, CheckFailure):
            err.called = self.called
        return False


def fail(summary: str, *, called: str = "", expected: Any = UNSET, got: Any = UNSET, where: str = "",
         hint: str = "") -> None:
    """Raise a `CheckFailure` (for conditions the `expect_*` helpers don't cover)."""
    raise CheckFailure(summary, called=called, expected=expected, got=got, where=where, hint=hint)


def expect_true(condition: Any, summary: str, *, called: str = "", hint: str = "", got: Any = UNSET,
                expected: Any = UNSET) -> None:
    """Fail with `summary` unless `condition` holds."""
    if not condition:
        fail(summary, called=called, got=got, expected=expected, hint=hint)


def expect_count(values: Any, n: int, called: str, what: str = "answers", hint: str = "") -> None:
    """Fail unless a probe answered with a list (or tuple) of exactly `n` values (a shorter one is a wrong answer,
    never a shorter comparison: `zip` would silently drop the missing ones)."""
    if not isinstance(values, (list, tuple)) or len(values) != n:
        count = len(values) if isinstance(values, (list, tuple)) else f"a {type(values).__name__}, not"
        fail(f"wrong number of {what}", called=called, expected=f"<{n} {what}>", got=f"<{count} {what}>", hint=hint)


def expect_type(value: Any, types: type | tuple[type, ...], what: str, *, called: str = "", hint: str = "") -> None:
    """Fail unless `value` is an instance of `types` (`what` names the expected kind, e.g. 'a float')."""
    if isinstance(value, Raised):
        fail(f"raised {value.type}", called=called, expected=what, got=value, where=value.where,
             hint=NOT_WRITTEN if value.is_a("NotImplementedError") else hint)
    if not isinstance(value, types) or (isinstance(value, bool) and bool not in _as_tuple(types)):
        fail("wrong type of result", called=called, expected=f"<{what}>", got=f"<a {_kind(value)}: {show(value, 120)}>",
             hint=hint)


def _as_tuple(types: Any) -> tuple:
    return types if isinstance(types, tuple) else (types,)


def expect_equal(got: Any, expected: Any, *, called: str = "", hint: str = "", same_type: bool = False,
                 summary: str = "wrong result") -> None:
    """Fail unless `got` equals `expected` exactly (recursing into tuples, lists, dicts, tensors and arrays)."""
    where = _where(got, expected, None, 0.0, same_type)
    if where is not None:
        raise CheckFailure(summary, called=called, expected=expected, got=got, where=where, hint=hint)


def expect_close(got: Any, expected: Any, *, rtol: float = 1e-5, atol: float = 1e-8, called: str = "",
                 hint: str = "", same_type: bool = False, summary: str = "wrong result") -> None:
    """Fail unless numbers/tensors/arrays (also nested in containers) agree within `atol + rtol*|expected|`."""
    where = _where(got, expected, rtol, atol, same_type)
    if where is not None:
        if _is_number(got) and _is_number(expected) and not where:
            gt, et = _pair_text(float(got), float(expected))
            got, expected = Shown(gt), Shown(et)
        elif where:
            where += f" [tolerance rtol={rtol:g}, atol={atol:g}]"
        raise CheckFailure(summary, called=called, expected=expected, got=got, where=where, hint=hint)


def expect_raises(exc_type: type[BaseException] | tuple[type[BaseException], ...], fn: Callable[..., Any],
                  *args: Any, match: str | None = None, hint: str = "", called: str = "", **kwargs: Any) -> Raised:
    """Fail unless `fn(*args, **kwargs)` raises `exc_type` (whose message contains `match`, if given)."""
    called = called or describe_call(fn, *args, **kwargs)
    names = [t.__name__ for t in _as_tuple(exc_type)]
    words = " or ".join(names)
    out = attempt(fn, *args, **kwargs)
    if not isinstance(out, Raised):
        fail("did not raise", called=called, expected=f"<raises {words}>", got=out, hint=hint)
    if out.is_a("NotImplementedError") and "NotImplementedError" not in names:
        fail("raised NotImplementedError", called=called, expected=f"<raises {words}>", got=out, hint=NOT_WRITTEN)
    if not out.is_a(*names):
        fail("raised the wrong exception", called=called, expected=f"<raises {words}>", got=out, hint=hint)
    if match is not None and match not in out.message:
        fail("raised, but the message does not say what was wrong", called=called,
             expected=f"<{words} whose message mentions {match!r}>", got=out, hint=hint)
    return out


# ----------------------------------------------------------------------------------------------------------------
# The decorator
# ----------------------------------------------------------------------------------------------------------------

@dataclass
class Outcome:
    """How one run of a check went."""
    name: str
    points: float
    passed: bool
    failure: CheckFailure | None = None
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def score(self) -> float:
        return self.points if self.passed else 0.0

    def message(self) -> str:
        return "" if self.failure is None else str(self.failure)

    def text(self, color: bool = False) -> str:
        """The lines a learner sees: notes, then PASS or the failure's message."""
        lines = list(self.notes)
        if self.passed:
            word = "\x1b[32m\x1b[1mPASS\x1b[0m" if color else "PASS"
            lines.append(f"{word} {self.name} ({self.points:g}/{self.points:g} points, {self.seconds:.1f} s)")
        else:
            lines.extend(self.failure.lines(color=color))
        return "\n".join(lines)


@dataclass
class CheckInfo:
    """What `@check` records about a check: its name, points, time limit and the function itself."""
    name: str
    points: float
    timeout: float
    func: Callable[..., Any] = field(repr=False)

    def run(self, *args: Any, **kwargs: Any) -> Outcome:
        """Run the check body on `args` (student objects, or `Remote` handles under the grader) and judge it."""
        remote = any(isinstance(a, Remote) for a in (*args, *kwargs.values()))
        start = time.perf_counter()
        failure: CheckFailure | None = None
        notes = Captured()
        saved = (context.deadline, context.notes, context.last_call)
        context.deadline, context.notes, context.last_call = time.monotonic() + self.timeout, notes, ""
        try:
            with (_nothing() if remote else time_limit(self.timeout)), \
                    (_nothing() if remote else capture_output()) as local:
                try:
                    self.func(*args, **kwargs)
                except CheckFailure as err:
                    failure = err
                except CheckTimeout as err:
                    failure = _timeout_failure(self.timeout, str(err) if remote else context.last_call)
                except Exception as err:  # noqa: BLE001  the check's own code (or the reference) broke
                    failure = _check_broke(err, remote)
            if local is not None:
                notes.add(local)
        finally:
            context.deadline, context.notes, context.last_call = saved
        if failure is not None:
            failure.check_name, failure.points = self.name, self.points
        return Outcome(self.name, self.points, failure is None, failure, notes.notes(), time.perf_counter() - start)


class _nothing:
    def __enter__(self):
        return None

    def __exit__(self, *exc):
        return False


def _timeout_failure(seconds: float, called: str) -> CheckFailure:
    return CheckFailure(f"no answer within the time limit of {seconds:g} s", called=called or "your code",
                        got="<still running when stopped>",
                        hint="Look for a loop whose condition never becomes false, or a step that never advances.")


def _check_broke(err: BaseException, remote: bool) -> CheckFailure:
    if remote:
        return CheckFailure("the grader itself failed on this check (not your mistake)",
                            got=f"<{type(err).__name__}: {str(err)[:200]}>",
                            hint="Report this to your instructor with the notebook; the other checks are unaffected.")
    return CheckFailure("the reference library raised an error while checking your code",
                        got=f"<{type(err).__name__}: {str(err)[:200]}>",
                        hint="Your code may have changed something the library shares (a module constant, a class "
                             "attribute, a global setting). Restart the kernel and run the notebook again; if it "
                             "happens again, look for code that modifies objects it did not create.")


_shown_official: list[bool] = []


def check(points: float = 1, timeout: float = 10) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Make a function a graded check worth `points`, stopped after `timeout` seconds.

    Called in a notebook, it prints `PASS name (p/p points)` or the failure's message. In an interactive kernel a
    failure is printed, so "Run All" reaches every check; under nbgrader, scripts and pytest it is raised (a
    `CheckFailure` that IPython shows as its message alone), so the cell fails. Output and warnings of the
    student's code are shown as notes on stdout, never on stderr (nbgrader zeroes a cell that writes there).
    """
    if not isinstance(points, (int, float)) or points <= 0:
        raise ValueError(f"@check(points=...) must be a positive number, got {points!r}")
    if not isinstance(timeout, (int, float)) or timeout <= 0:
        raise ValueError(f"@check(timeout=...) must be a positive number of seconds, got {timeout!r}")

    def decorate(fn: Callable[..., Any]) -> Callable[..., Any]:
        info = CheckInfo(fn.__name__, points, timeout, fn)

        @functools.wraps(fn)
        def run_check(*args: Any, **kwargs: Any) -> None:
            outcome = info.run(*args, **kwargs)
            interactive = running_in_notebook()
            if interactive and not _shown_official:
                _shown_official.append(True)
                print(OFFICIAL)
            if outcome.passed or interactive:
                print(outcome.text(color=interactive))
                return
            if outcome.notes:
                print("\n".join(outcome.notes))
            raise outcome.failure

        run_check.check_info = info  # type: ignore[attr-defined]
        return run_check

    return decorate


def checks_in(module: Any) -> dict[str, CheckInfo]:
    """The checks a lesson module defines, by name, in definition order."""
    found = {}
    for name, obj in vars(module).items():
        info = getattr(obj, "check_info", None)
        if isinstance(info, CheckInfo) and getattr(obj, "__module__", None) == module.__name__:
            found[name] = info
    return found
