"""Parameter groups: freezing with trainable norm layers, weight decay exemptions, fine_tune's lrs."""
from __future__ import annotations

import pytest
import torch
from torch import nn

from fastlayers.training import Callback, Learner, SGD, combined_cos, norm_bias_params

from .conftest import make_dls


def body_head_model():
    body = nn.Sequential(nn.Linear(4, 8), nn.BatchNorm1d(8), nn.ReLU(), nn.Linear(8, 8), nn.LayerNorm(8))
    return nn.Sequential(body, nn.Linear(8, 3))


def split_body_head(m):
    return [list(m[0].parameters()), list(m[1].parameters())]


def _learner(**kw):
    return Learner(make_dls(n_train=4 * 16, n_valid=16, bs=16), body_head_model(), nn.CrossEntropyLoss(),
                   splitter=split_body_head, **kw)


def test_freeze_keeps_norm_layers_training():
    learn = _learner()
    learn.freeze()
    body = learn.model[0]
    assert not body[0].weight.requires_grad and not body[3].weight.requires_grad
    assert body[1].weight.requires_grad and body[4].weight.requires_grad      # BatchNorm, LayerNorm
    assert all(p.requires_grad for p in learn.model[1].parameters())
    frozen = body[0].weight.detach().clone()
    bn_w, bn_mean = body[1].weight.detach().clone(), body[1].running_mean.clone()
    learn.fit(1, lr=1e-2)
    assert torch.equal(body[0].weight, frozen)
    assert not torch.equal(body[1].weight, bn_w)              # norm parameters still train
    assert not torch.equal(body[1].running_mean, bn_mean)     # and update their statistics
    learn.unfreeze()
    assert all(p.requires_grad for p in learn.model.parameters())


def test_train_bn_false_freezes_norm_too():
    learn = _learner(train_bn=False)
    learn.freeze()
    assert not learn.model[0][1].weight.requires_grad


def test_freeze_needs_groups():
    learn = Learner(make_dls(), nn.Sequential(nn.Linear(4, 3)), nn.CrossEntropyLoss())
    with pytest.raises(ValueError, match="at least 2 parameter groups"):
        learn.freeze()


def test_no_weight_decay_on_norm_and_bias_by_default():
    learn = _learner(opt_func=SGD, wd=0.5)
    learn.model.zero_grad()
    learn.create_opt()
    learn.opt.set_hypers(lr=0.1, wd=0.5)
    for p in learn.model.parameters():
        p.grad = torch.zeros_like(p)          # only weight decay can move a parameter
    before = {id(p): p.detach().clone() for p in learn.model.parameters()}
    learn.opt.step()
    exempt = {id(p) for p in norm_bias_params(learn.model)}
    for p in learn.model.parameters():
        moved = not torch.equal(p, before[id(p)])
        assert moved == (id(p) not in exempt and bool(before[id(p)].abs().sum() > 0))
    learn2 = _learner(opt_func=SGD, wd=0.5, wd_bn_bias=True)
    learn2.create_opt()
    assert not any(st.get("do_wd") is False for st in learn2.opt.state.values())


class AllLrs(Callback):
    order = 70

    def before_fit(self):
        self.lrs = getattr(self, "lrs", [])
        self.lrs.append([])

    def after_batch(self):
        if self.training:
            self.lrs[-1].append([h["lr"] for h in self.opt.hypers])


def test_fine_tune_schedule():
    learn = _learner()
    rec = AllLrs()
    learn.add_cb(rec)
    learn.fine_tune(2, base_lr=2e-3)
    frozen, unfrozen = rec.lrs
    assert len(frozen) == 4 and len(unfrozen) == 8
    f = combined_cos(0.99, 1 / 25, 1.0, 1e-5)
    assert [g[1] for g in frozen] == pytest.approx([2e-3 * f(i / 4) for i in range(4)], rel=1e-5)
    assert [g[0] for g in frozen] == pytest.approx([2e-4 * f(i / 4) for i in range(4)], rel=1e-5)
    f = combined_cos(0.3, 1 / 5, 1.0, 1e-5)
    assert [g[1] for g in unfrozen] == pytest.approx([1e-3 * f(i / 8) for i in range(8)], rel=1e-5)
    assert [g[0] for g in unfrozen] == pytest.approx([1e-5 * f(i / 8) for i in range(8)], rel=1e-5)
    assert all(p.requires_grad for p in learn.model.parameters())
