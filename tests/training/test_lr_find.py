"""LR finder: schedule, early stop, restoring the model, and the suggestion rules."""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from torch import nn

from fastlayers.training import Learner, minimum, slide, steep, valley
from fastlayers.training.lr_finder import suggest

from .conftest import make_dls, make_model


def _learner():
    return Learner(make_dls(n_train=10 * 16, n_valid=16, bs=16), make_model(), nn.CrossEntropyLoss())


def test_lr_find_schedule_restores_model_and_optimizer():
    learn = _learner()
    learn.fit(1)
    w = {k: v.clone() for k, v in learn.model.state_dict().items()}
    opt_state = learn.opt.state_dict()
    sugg = learn.lr_find(num_it=30, show_plot=False, stop_div=False)
    lrs = learn.recorder.lrs
    assert len(lrs) == 30                                 # exactly num_it batches, over 3 epochs of 10
    assert lrs == pytest.approx([1e-7 * (10 / 1e-7) ** (i / 30) for i in range(30)], rel=1e-6)
    assert all(torch.equal(w[k], v) for k, v in learn.model.state_dict().items())
    assert learn.opt.state_dict()["hypers"] == opt_state["hypers"]
    assert sugg.valley > 0 and sugg._fields == ("valley",)
    assert all(v is None for v in learn.recorder.values[0][1:])          # validation skipped


def test_lr_find_stops_when_loss_diverges():
    learn = _learner()
    learn.lr_find(num_it=100, end_lr=1e6, show_plot=False)
    n = len(learn.recorder.losses)
    assert n < 100
    losses = learn.recorder.losses
    assert losses[-1] > 4 * min(losses) or math.isnan(losses[-1])


def test_lr_find_several_suggestions_and_bad_num_it():
    learn = _learner()
    lr_min, lr_steep = learn.lr_find(num_it=40, suggest_funcs=(minimum, steep), show_plot=False)
    assert lr_min > 0 and lr_steep > 0
    with pytest.raises(ValueError, match="num_it >= 6"):
        learn.lr_find(num_it=3, show_plot=False)


LRS = torch.tensor([10 ** (-5 + i * 0.2) for i in range(20)], dtype=torch.float64)


def test_minimum_rule():
    losses = torch.tensor([3.0 - 0.1 * i if i < 12 else 1.9 + 0.5 * (i - 11) for i in range(20)], dtype=torch.float64)
    lr, (x, y) = minimum(LRS, losses, 100)
    assert lr == pytest.approx(float(LRS[11]) / 10) and y == pytest.approx(1.9)


def test_steep_rule():
    losses = torch.tensor([3.0] * 5 + [2.9, 2.0, 1.8, 1.7] + [1.7] * 11, dtype=torch.float64)
    lr, _ = steep(LRS, losses, 100)
    assert lr == pytest.approx(float(LRS[5]))           # the drop from index 5 to 6 is the steepest


def test_valley_rule():
    # rises 0..3, then decreases from index 3 to 15 (a run of 13), then rises
    losses = torch.tensor([1.0, 1.1, 1.2, 5.0] + [4.5 - 0.3 * i for i in range(12)] + [2.0, 3.0, 4.0, 5.0],
                          dtype=torch.float64)
    lr, _ = valley(LRS, losses, 100)
    start, end = 2, 15           # decreasing subsequence ends at 15; the rule measures it from end - length
    third = (end - start) / 3
    assert lr == pytest.approx(float(LRS[start + int(third) + int(third / 2)]))


def test_slide_rule():
    lrs = torch.tensor(np.logspace(-6, 0, 60))
    losses = torch.tensor(np.r_[np.full(30, 2.0), np.linspace(2.0, 1.0, 20), np.linspace(1.0, 3.0, 10)])
    lr, (x, y) = slide(lrs, losses, 100)
    grad = np.gradient(losses.numpy())
    r, l_ = -1, -16
    expected = float(lrs[l_])
    while l_ >= -60 and abs(grad[r] - grad[l_]) > 0.005:
        expected = float(lrs[l_])
        r, l_ = r - 1, l_ - 1
    assert lr == pytest.approx(expected)
    assert 1e-6 < lr < 1                               # somewhere inside the descending part or before it


def test_suggest_trims_ends_and_cuts_at_nan():
    lrs = [10 ** (-7 + i * 0.08) for i in range(100)]
    losses = [3.0 - 0.02 * i for i in range(60)] + [float("nan")] * 40
    sugg, points = suggest(lrs, losses, 100, (minimum,))
    # minimum over indices 10..59 (trimmed start num_it//10, cut at the NaN) is the last finite one
    assert sugg.minimum == pytest.approx(lrs[59] / 10)
    with pytest.raises(ValueError, match="too few"):
        suggest(lrs[:8], losses[:8], 100, (valley,))
