"""Schedules, one-cycle and ParamScheduler: every number in the reference facts."""
from __future__ import annotations

import math

import numpy as np
import pytest
from torch import nn

from fastlayers.training import (Learner, ParamScheduler, SchedCos, SchedLin, SchedPoly, combine_scheds,
                                 combined_cos, sched_cos, sched_exp, sched_lin, sched_no, sched_poly)

from .conftest import make_dls, make_model


@pytest.mark.parametrize("pos", [0.0, 0.2, 0.5, 0.9, 1.0])
def test_sched_formulas(pos):
    assert sched_lin(2.0, 8.0, pos) == pytest.approx(2 + pos * 6)
    assert sched_cos(2.0, 8.0, pos) == pytest.approx(2 + (1 + math.cos(math.pi * (1 - pos))) * 6 / 2)
    assert sched_no(2.0, 8.0, pos) == 2.0
    assert sched_exp(2.0, 8.0, pos) == pytest.approx(2 * 4 ** pos)
    assert sched_poly(2.0, 8.0, pos, 2) == pytest.approx(2 + 6 * pos ** 2)
    assert SchedPoly(2.0, 8.0, 2)(pos) == pytest.approx(sched_poly(2.0, 8.0, pos, 2))


def test_cos_is_flat_at_ends_and_hits_midpoint():
    assert sched_cos(0.0, 1.0, 0.5) == pytest.approx(0.5)
    assert sched_cos(0.0, 1.0, 0.01) < sched_lin(0.0, 1.0, 0.01)


def test_combine_scheds_rescales_position_per_segment():
    f = combine_scheds([0.3, 0.7], [SchedLin(0.0, 1.0), SchedLin(1.0, 3.0)])
    assert f(0.0) == 0.0
    assert f(0.15) == pytest.approx(0.5)
    assert f(0.3) == pytest.approx(1.0)
    assert f(0.65) == pytest.approx(2.0)
    assert f(1.0) == pytest.approx(3.0)


def test_combine_scheds_bad_input():
    with pytest.raises(ValueError, match="sum to 1"):
        combine_scheds([0.3, 0.3], [SchedLin(0, 1), SchedLin(1, 0)])
    with pytest.raises(ValueError, match="2 fractions for 1"):
        combine_scheds([0.5, 0.5], [SchedLin(0, 1)])


ONE_CYCLE = [(0.0, 4.0e-5, 0.95), (0.1, 3.716719e-4, 0.915451), (0.125, 5.2e-4, 0.90), (0.25, 1e-3, 0.85),
             (0.5, 7.500025e-4, 0.875), (0.75, 2.500075e-4, 0.925), (0.9, 4.323687e-5, 0.945677), (1.0, 1e-8, 0.95)]


@pytest.mark.parametrize("pos, lr, mom", ONE_CYCLE)
def test_one_cycle_values(pos, lr, mom):
    lr_f = combined_cos(0.25, 1e-3 / 25, 1e-3, 1e-3 / 1e5)
    mom_f = combined_cos(0.25, 0.95, 0.85, 0.95)
    assert lr_f(pos) == pytest.approx(lr, rel=1e-5)
    assert mom_f(pos) == pytest.approx(mom, rel=1e-5)


RECORDED_LRS = [4e-4, 3.716719e-3, 9.083282e-3, 9.890739e-3, 9.045094e-3, 7.500025e-3, 5.522687e-3,
                3.454981e-3, 1.654430e-3, 4.323687e-4]


def test_fit_one_cycle_recorded_lrs_and_moms():
    learn = Learner(make_dls(n_train=5 * 16, n_valid=16, bs=16), make_model(), nn.CrossEntropyLoss())
    learn.fit_one_cycle(2, 1e-2)
    assert learn.recorder.lrs == pytest.approx(RECORDED_LRS, rel=1e-5)
    moms = learn.recorder.hps["mom"]
    assert moms[0] == pytest.approx(0.95) and min(moms) == pytest.approx(0.85, abs=2e-3)
    assert len(moms) == 10


def test_fit_one_cycle_discriminative_lrs_per_group():
    model = make_model()
    learn = Learner(make_dls(n_train=5 * 16, n_valid=16, bs=16), model, nn.CrossEntropyLoss(),
                    splitter=lambda m: [list(m[:3].parameters()), list(m[3].parameters())])
    learn.fit_one_cycle(1, slice(1e-3))
    # last batch lr of each group: the one-cycle value at pos 0.8 scaled per group
    at = combined_cos(0.25, 1 / 25, 1.0, 1e-5)(0.8)
    assert learn.opt.hypers[0]["lr"] == pytest.approx(1e-4 * at, rel=1e-5)
    assert learn.opt.hypers[1]["lr"] == pytest.approx(1e-3 * at, rel=1e-5)


def test_fit_flat_cos_is_flat_then_cosine():
    learn = Learner(make_dls(n_train=8 * 8, n_valid=8, bs=8), make_model(), nn.CrossEntropyLoss())
    learn.fit_flat_cos(1, lr=1e-2)
    lrs = learn.recorder.lrs
    assert lrs[:6] == pytest.approx([1e-2] * 6)
    assert lrs[6] == pytest.approx(sched_cos(1e-2, 1e-7, 0.0))      # pos 0.75: start of the cosine part
    assert lrs[7] == pytest.approx(sched_cos(1e-2, 1e-7, (7 / 8 - 0.75) / 0.25))


def test_param_scheduler_any_hyper():
    learn = Learner(make_dls(n_train=4 * 8, n_valid=8, bs=8), make_model(), nn.CrossEntropyLoss())
    learn.fit(1, cbs=ParamScheduler({"wd": SchedLin(0.0, 0.4), "lr": SchedCos(1e-3, 1e-4)}))
    assert learn.recorder.hps["wd"] == pytest.approx([0.0, 0.1, 0.2, 0.3])
    assert learn.recorder.lrs == pytest.approx([sched_cos(1e-3, 1e-4, p) for p in (0, .25, .5, .75)])


def test_schedules_work_on_arrays():
    f = combined_cos(0.25, np.array([1.0, 2.0]), np.array([10.0, 20.0]), np.array([0.0, 0.0]))
    assert f(0.25) == pytest.approx([10.0, 20.0])
