"""The watch that notices when the library's own version of the piece under check runs (in the notebook's process,
while a probe runs): wrappers, closures and delegating classes are caught; the student's own code, other library
pieces and decorators the library shares with students are not."""
from __future__ import annotations

import sys

import pytest
import torch

import fastlayers.training as ref
from fastlayers import checks
from fastlayers.checks.failure import CheckFailure
from fastlayers.checks.watch import ReferenceWatch, reference_codes


def _watched(piece: str, fn, *args):
    with ReferenceWatch(piece) as watch:
        fn(*args)
    return watch


def test_the_library_pieces_are_found_by_name():
    assert ref.sched_cos.__code__ in reference_codes("sched_cos")
    assert ref.Optimizer.step.__wrapped__.__code__ in reference_codes("optimizer")  # any case; under no_grad
    assert not reference_codes("no_such_piece")


def test_wrappers_closures_and_delegating_classes_are_seen():
    def sched_cos(start, end, pos):
        return ref.sched_cos(start, end, pos)
    assert _watched("sched_cos", sched_cos, 0.0, 1.0, 0.3).verdict

    def combine_scheds(pcts, scheds):
        inner = ref.combine_scheds(pcts, scheds)
        return lambda pos: inner(pos)
    assert _watched("combine_scheds", combine_scheds, [0.5, 0.5], [ref.sched_lin, ref.sched_cos]).verdict

    class Optimizer:
        def __init__(self, params, cbs, **defaults):
            self.inner = ref.Optimizer(params, cbs, **defaults)

        def step(self):
            self.inner.step()

    def run(cls):
        p = torch.nn.Parameter(torch.ones(3))
        opt = cls([p], [ref.sgd_step], lr=0.1)
        p.sum().backward()
        opt.step()
    watch = _watched("Optimizer", run, Optimizer)
    assert "reference library's own `Optimizer`" in watch.verdict and watch.hint


def test_own_code_and_other_library_pieces_are_not():
    def sched_cos(start, end, pos):  # uses another library piece, which the statements allow
        import math
        return ref.sched_lin(start, end, (1 - math.cos(math.pi * pos)) / 2)
    assert not _watched("sched_cos", sched_cos, 0.0, 1.0, 0.3).verdict

    class Optimizer:  # decorated like the library's own step: the decorator's code is shared, not the piece
        def __init__(self, params):
            self.params = list(params)

        @torch.no_grad()
        def step(self):
            for p in self.params:
                p -= 0.1 * p.grad
    p = torch.nn.Parameter(torch.ones(3))
    opt = Optimizer([p])
    p.sum().backward()
    assert not _watched("Optimizer", opt.step).verdict


def test_switching_the_watch_off_fails_the_piece_and_the_trace_is_restored():
    before = sys.gettrace()

    def sched_cos(start, end, pos):
        sys.settrace(None)
        return start + (end - start) * pos
    watch = _watched("sched_cos", sched_cos, 0.0, 1.0, 0.3)
    assert "trace function" in watch.verdict
    assert sys.gettrace() is before


def test_the_check_in_the_kernel_says_what_the_grader_says():
    def sched_cos(start, end, pos):
        return ref.sched_cos(start, end, pos)
    with pytest.raises(CheckFailure) as info:
        checks.lesson06.sched_cos(sched_cos)
    assert str(info.value).splitlines()[0].endswith("runs the reference library's own `sched_cos`")

    import math

    def sched_cos(start, end, pos):  # noqa: F811  the student's own version passes
        return start + (1 - math.cos(math.pi * pos)) * (end - start) / 2
    checks.lesson06.sched_cos(sched_cos)


def test_in_the_kernel_a_debuggers_trace_function_is_left_alone():
    calls = []

    def debugger(frame, event, arg):
        calls.append(event)
        return None

    def sched_cos(start, end, pos):
        return ref.sched_cos(start, end, pos)
    sys.settrace(debugger)
    try:
        watch = _kernel_watched("sched_cos", sched_cos, 0.0, 1.0, 0.3)
        assert sys.gettrace() is debugger
    finally:
        sys.settrace(None)
    assert not watch.verdict and calls  # the debugger kept tracing; the grader's own watch still sees it

    def hides(start, end, pos):  # in the kernel a changed trace function is not judged (the grader does judge it)
        sys.settrace(None)
        return start
    assert not _kernel_watched("sched_cos", hides, 0.0, 1.0, 0.3).verdict
    assert _watched("sched_cos", hides, 0.0, 1.0, 0.3).verdict


def _kernel_watched(piece: str, fn, *args):
    with ReferenceWatch(piece, kernel=True) as watch:
        fn(*args)
    return watch
