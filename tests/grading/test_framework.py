"""The grading framework: failure messages, first differences, time limits, captured output, pass lines."""
from __future__ import annotations

import subprocess
import sys
import threading
import time
import warnings

import numpy as np
import pytest
import torch

from fastlayers.checks.framework import (CheckFailure, call, check, checks_in, expect_close, expect_equal,
                                         expect_raises, first_difference)


def add(a, b):
    return a + b


@check(points=2, timeout=1)
def add_check(fn):
    expect_equal(call(fn, 1, 2), 3, called="add(1, 2)", hint="return the sum")


def test_pass_line_shows_points(capsys):
    add_check(add)
    out, err = capsys.readouterr()
    assert out.startswith("PASS add_check (2/2 points") and err == ""


def test_failure_message_has_every_part(capsys):
    with pytest.raises(CheckFailure) as info:
        add_check(lambda a, b: a - b)
    text = str(info.value)
    assert text.splitlines() == ["FAIL add_check (0/2 points): wrong result", "  called:   add(1, 2)",
                                 "  expected: 3", "  got:      -1", "  hint:     return the sum"]
    assert isinstance(info.value, AssertionError)
    # IPython shows an exception that can render itself as those lines alone: no traceback, no check source
    assert [line.replace("\x1b[31m\x1b[1m", "").replace("\x1b[0m", "") for line in info.value._render_traceback_()] \
        == text.splitlines()


@pytest.mark.parametrize("got, expected, where", [
    ((1, 2, 3), (1, 2, 4), "at [2]: got 3, expected 4"),
    ({"a": [1, {"b": 2}]}, {"a": [1, {"b": 5}]}, "at ['a'][1]['b']: got 2, expected 5"),
    ({"a": 1}, {"a": 1, "z": 2}, "key 'z' is missing"),
    ({"a": 1, "y": 0}, {"a": 1}, "unexpected key 'y'"),
    ([1, 2], [1, 2, 3], "got 2 elements, expected 3"),
    (torch.tensor([[1., 2.], [3., 4.]]), torch.tensor([[1., 2.], [3., 5.]]), "at [1, 1]: got 4.0, expected 5.0"),
    (np.zeros(3), np.zeros(4), "got shape (3,), expected shape (4,)"),
    ((torch.zeros(2), 1), (torch.tensor([0., 7.]), 1), "at [0][1]: got 0.0, expected 7.0"),
    ("abc", "abd", "got 'abc', expected 'abd'"),
    (3, torch.tensor([3]), "got a int, expected a tensor"),
])
def test_first_difference_names_the_place(got, expected, where):
    diff = first_difference(got, expected)
    assert diff is not None and where in diff, diff


def test_first_difference_none_when_equal_and_types_on_request():
    assert first_difference({"a": (1, torch.ones(2))}, {"a": (1, torch.ones(2))}) is None
    assert first_difference([1, 2], (1, 2)) is None
    assert "got a list, expected a tuple" in first_difference([1, 2], (1, 2), same_type=True)
    assert first_difference(float("nan"), float("nan")) is None


def test_numpy_scalars_compare_as_numbers():
    # Reference code often returns numpy scalars; a student's plain float of the same value must match.
    assert first_difference(0.5, np.float64(0.5)) is None
    assert first_difference(0.5, np.float32(0.5), rtol=1e-6) is None
    assert "got 0.4, expected 0.5" in first_difference(0.4, np.float64(0.5))
    assert first_difference("0.5", np.float64(0.5)) is not None


def test_expect_close_tolerance():
    expect_close(torch.tensor([1.0, 2.0]), torch.tensor([1.0, 2.0 + 1e-7]))
    expect_close(0.30000001, 0.3, rtol=1e-6)
    with pytest.raises(CheckFailure, match=r"at \[1\].*1 of 2 elements differ.*rtol=1e-05"):
        expect_close(torch.tensor([1.0, 2.1]), torch.tensor([1.0, 2.0]))
    with pytest.raises(CheckFailure, match="expected: 0.3\n  got:      0.31"):
        expect_close(0.31, 0.3)


def test_expect_raises():
    def picky(x):
        if x < 0:
            raise ValueError("x must be >= 0")
        return x
    assert "x must" in str(expect_raises(ValueError, picky, -1, match="must"))
    with pytest.raises(CheckFailure, match="did not raise"):
        expect_raises(ValueError, picky, 1)
    with pytest.raises(CheckFailure, match="message does not say"):
        expect_raises(ValueError, picky, -1, match="positive")
    with pytest.raises(CheckFailure, match="wrong exception"):
        expect_raises(KeyError, picky, -1)


def test_not_implemented_gets_the_not_written_hint(capsys):
    def stub(a, b):
        raise NotImplementedError()
    with pytest.raises(CheckFailure) as info:
        add_check(stub)
    assert "raised NotImplementedError" in str(info.value) and "not written yet" in str(info.value)


def test_an_error_in_the_check_itself_is_not_blamed_on_the_student(capsys):
    @check(points=1, timeout=1)
    def broken(obj):
        {}["missing"]  # noqa: B018  the check's own code (or the reference) fails
    with pytest.raises(CheckFailure, match="the reference library raised an error") as info:
        broken(object())
    assert "Restart the kernel" in str(info.value)


@check(points=1, timeout=0.5)
def run_it(fn):
    call(fn)


def test_infinite_loop_stopped_within_the_limit(capsys):
    def forever():
        while True:
            try:
                time.sleep(0.01)
            except Exception:  # CheckTimeout is a BaseException: `except Exception` can't hide it
                pass
    start = time.perf_counter()
    with pytest.raises(CheckFailure) as info:
        run_it(forever)
    assert time.perf_counter() - start < 3
    assert "time limit of 0.5 s" in str(info.value) and "forever()" in str(info.value)
    # the alarm is disarmed afterwards: later code is not interrupted
    time.sleep(0.8)


def test_time_limit_off_the_main_thread(capsys):
    caught = []

    def worker():
        try:
            run_it(lambda: [None for _ in iter(int, 1)])
        except CheckFailure as err:
            caught.append(str(err))
    t = threading.Thread(target=worker)
    start = time.perf_counter()
    t.start()
    t.join(10)
    assert not t.is_alive() and time.perf_counter() - start < 5
    assert caught and "time limit" in caught[0]


_AFTER_A_THREAD_LIMIT = """
import sys, threading
from fastlayers.checks.bridge import time_limit
from fastlayers.checks.failure import CheckTimeout
def worker():
    try:
        with time_limit(0.3):
            while True:
                pass
    except CheckTimeout:
        print("stopped")
t = threading.Thread(target=worker); t.start(); t.join()
sys.settrace(lambda frame, event, arg: None)
(lambda: 1)()
sys.settrace(None)
print("traced")
"""


def test_a_thread_limit_leaves_the_interpreter_as_it_was():
    # Clearing a pending injected exception with NULL leaves CPython's async-exception flag set: every thread then
    # pays for it, and the next sys.settrace (the grader's reference watch) hangs. Run where a hang cannot stall us.
    out = subprocess.run([sys.executable, "-c", _AFTER_A_THREAD_LIMIT], capture_output=True, text=True, timeout=120)
    assert out.stdout.split() == ["stopped", "traced"], out.stderr[-2000:]


def test_output_and_warnings_become_notes_on_stdout(capsys):
    import os

    def noisy():
        print("hello from student")
        print("oops", file=sys.stderr)
        os.write(2, b"low-level\n")
        warnings.warn("deprecated thing")
    run_it(noisy)
    out, err = capsys.readouterr()
    assert err == ""
    assert "hello from student" in out and "oops" in out and "low-level" in out
    assert "UserWarning: deprecated thing" in out and "PASS run_it" in out


def test_notes_are_shown_on_failure_too(capsys):
    def noisy_wrong(a, b):
        print("trying", file=sys.stderr)
        return 0
    with pytest.raises(CheckFailure):
        add_check(noisy_wrong)
    out, err = capsys.readouterr()
    assert "trying" in out and err == ""


def test_bad_decorator_arguments():
    with pytest.raises(ValueError, match="points"):
        check(points=0)
    with pytest.raises(ValueError, match="timeout"):
        check(points=1, timeout=-1)


def test_checks_in_lists_checks_with_points():
    found = checks_in(sys.modules[__name__])
    assert found["add_check"].points == 2 and found["run_it"].timeout == 0.5


def test_import_is_cheap():
    import subprocess
    code = "import sys, fastlayers.checks, fastlayers.checks.pytest_plugin; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"


def test_lessons_load_lazily():
    from fastlayers import checks
    with pytest.raises(AttributeError, match="lessons with checks"):
        checks.lesson99  # noqa: B018
    for name in checks.lessons():
        assert checks_in(getattr(checks, name)), f"{name} defines no @check functions"


def test_checks_see_copies_and_results_as_plain_data(capsys):
    """A student's function that mutates its arguments or returns an object equal to everything gains nothing."""
    cases = [[1.0, 2.0]]
    seen = []

    @check(points=1, timeout=2)
    def sums(fn):
        got = call(fn, cases[0])
        seen.append(got)
        expect_equal(got, 3.0, called="sums([1.0, 2.0])")

    def mutating(xs):
        xs.append(100.0)
        return sum(xs[:2])
    sums(mutating)
    assert cases == [[1.0, 2.0]]  # the check's own case was not touched

    class Always:
        def __eq__(self, other):
            return True
    with pytest.raises(CheckFailure, match="wrong result") as info:
        sums(lambda xs: Always())
    assert "0x" not in str(info.value) and "Always object" in str(info.value)


def test_failures_show_rounded_numbers_and_no_addresses():
    def _linear(a, b, pos):
        return a + pos * (b - a)
    from functools import partial
    with pytest.raises(CheckFailure) as info:
        expect_close(0.0020799999999999985, 0.0021, called="f()")
    assert "0.00208" in str(info.value) and "0.0020799999" not in str(info.value)
    text = str(CheckFailure("x", called=f"f({partial(_linear, 1, 2)!r})", got=partial(_linear, 1, 2)))
    assert "partial(<function" in text and " at 0x" not in text.split("called")[-1].split("\n", 1)[-1]
    assert first_difference(0.30000001, 0.3) == "got 0.3, expected 0.3" or \
        "0.30000001" in first_difference(0.30000001, 0.3)


def test_in_a_notebook_a_failure_is_printed_and_run_all_goes_on(capsys, monkeypatch):
    import fastlayers.checks.framework as fw
    monkeypatch.setattr(fw, "running_in_notebook", lambda: True)
    add_check(lambda a, b: a - b)  # no exception: the next cells run
    out = capsys.readouterr().out
    assert "FAIL" in out and "add_check (0/2 points): wrong result" in out and "expected: 3" in out
    add_check(add)
    assert "PASS" in capsys.readouterr().out


def test_dtypes_and_devices_compare_as_values():
    expect_equal(torch.float32, torch.float32)
    expect_equal(torch.device("cpu"), torch.device("cpu"))
    with pytest.raises(CheckFailure, match="torch.int64"):
        expect_equal(torch.int64, torch.float32)


def test_large_integers_compare_exactly():
    expect_equal(10 ** 17 + 1, 10 ** 17 + 1)
    with pytest.raises(CheckFailure, match="100000000000000002"):
        expect_equal(10 ** 17 + 2, 10 ** 17 + 1)
