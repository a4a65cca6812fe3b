"""Property tests: schedules and per-group learning rates behave for any valid input."""
from __future__ import annotations

import math

import pytest
from hypothesis import given, settings, strategies as st

from fastlayers.training import combined_cos, expand_hyper, sched_cos, sched_exp

pos = st.floats(0.0, 1.0)
lr = st.floats(1e-6, 1.0)


@settings(max_examples=60, deadline=None)
@given(pos, lr, st.floats(2.0, 100.0), st.floats(1e2, 1e6), st.floats(0.05, 0.95))
def test_one_cycle_lr_stays_between_its_ends(p, lr_max, div, div_final, pct):
    f = combined_cos(pct, lr_max / div, lr_max, lr_max / div_final)
    assert lr_max / div_final * (1 - 1e-9) <= f(p) <= lr_max * (1 + 1e-9)
    assert f(pct) == pytest.approx(lr_max)


@settings(max_examples=60, deadline=None)
@given(lr, lr, pos, pos)
def test_cos_and_exp_are_monotonic(a, b, p, q):
    lo, hi = sorted((p, q))
    if a <= b:
        assert sched_cos(a, b, lo) <= sched_cos(a, b, hi) + 1e-15
        assert sched_exp(a, b, lo) <= sched_exp(a, b, hi) * (1 + 1e-12)


@settings(max_examples=60, deadline=None)
@given(lr, st.floats(1.0, 1e4), st.integers(2, 8))
def test_slice_is_geometric_from_start_to_stop(stop, ratio, n):
    start = stop / ratio
    lrs = expand_hyper(slice(start, stop), n)
    assert len(lrs) == n and lrs[0] == pytest.approx(start) and lrs[-1] == pytest.approx(stop)
    steps = [lrs[i + 1] / lrs[i] for i in range(n - 1)]
    assert all(math.isclose(s, steps[0], rel_tol=1e-9) for s in steps)
    assert expand_hyper(slice(stop), n) == [stop / 10] * (n - 1) + [stop]
