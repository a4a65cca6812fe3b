"""The generic optimizer: measured steps, rectification, trust ratio, groups, slices, state."""
from __future__ import annotations

import pytest
import torch

from fastlayers.training import (SGD, Adam, Lamb, Lookahead, OptimWrapper, Optimizer, RAdam, RMSProp, debias,
                                 expand_hyper)


def _run(opt_factory, grads, p0=(1.0, -2.0), **kw):
    p = torch.tensor(p0, requires_grad=True)
    opt = opt_factory([p], **kw)
    out = []
    for g in grads:
        p.grad = torch.tensor(g)
        opt.step()
        out.append(p.detach().clone())
    return out, opt


GRADS = [(0.5, -1.0), (0.25, 0.5)]


def test_adam_measured_values():
    (s1, s2), _ = _run(Adam, GRADS, lr=0.1)
    assert s1.tolist() == pytest.approx([0.8990020, -1.8980011], abs=1e-6)
    assert s2.tolist() == pytest.approx([0.8047606, -1.8694335], abs=1e-6)


def test_sgd_measured_values():
    (s1, s2), _ = _run(SGD, GRADS, lr=0.1, mom=0.9, wd=0.01)
    assert s1.tolist() == pytest.approx([0.949, -1.898], abs=1e-6)
    assert s2.tolist() == pytest.approx([0.8780510, -1.8561021], abs=1e-6)


def test_sgd_matches_torch_sgd_with_l2():
    torch.manual_seed(0)
    g = [tuple(torch.randn(2).tolist()) for _ in range(4)]
    ours, _ = _run(SGD, g, lr=0.1, mom=0.9, wd=0.01, decouple_wd=False)
    p = torch.tensor([1.0, -2.0], requires_grad=True)
    ref = torch.optim.SGD([p], lr=0.1, momentum=0.9, weight_decay=0.01)
    for gi, o in zip(g, ours):
        p.grad = torch.tensor(gi)
        ref.step()
        assert p.detach().tolist() == pytest.approx(o.tolist(), abs=1e-6)


def test_adam_defaults_and_debias():
    _, opt = _run(Adam, [], lr=1e-3)
    assert opt.hypers[0] == {"lr": 1e-3, "mom": 0.9, "sqr_mom": 0.99, "eps": 1e-5, "wd": 0.01}
    assert debias(0.9, 0.1, 1) == pytest.approx(0.1)
    assert debias(0.9, 1.0, 2) == pytest.approx(1.9)


def test_radam_plain_momentum_steps_while_r_le_5():
    g = [(0.5, -1.0)] * 7
    steps, _ = _run(RAdam, g, lr=0.1)
    p = torch.tensor([1.0, -2.0])
    avg = torch.zeros(2)
    for i in range(5):                  # steps 1..5: p -= lr/debias1 * avg (no adaptive denominator)
        avg = 0.9 * avg + 0.1 * torch.tensor(g[i])
        p = p - 0.1 / debias(0.9, 0.1, i + 1) * avg
        assert steps[i].tolist() == pytest.approx(p.tolist(), abs=1e-6)
    avg = 0.9 * avg + 0.1 * torch.tensor(g[5])
    plain6 = p - 0.1 / debias(0.9, 0.1, 6) * avg
    assert steps[5].tolist() != pytest.approx(plain6.tolist(), abs=1e-4)   # rectified from step 6 on


def test_lamb_trust_ratio():
    (s1,), _ = _run(Lamb, [(1.0, 1.0)], p0=(3.0, 4.0), lr=0.01)
    upd = torch.tensor([1.0, 1.0]) / (1 + 1e-5)
    ratio = 5.0 / float(upd.norm())
    assert s1.tolist() == pytest.approx((torch.tensor([3.0, 4.0]) - 0.01 * ratio * upd).tolist(), abs=1e-6)
    (s1,), _ = _run(Lamb, [(1.0, 1.0)], p0=(100.0, 0.0), lr=0.01)      # ratio 70 is capped at 10
    assert s1.tolist() == pytest.approx((torch.tensor([100.0, 0.0]) - 0.1 * upd).tolist(), abs=1e-5)
    (s1,), _ = _run(Lamb, [(1.0, 1.0)], p0=(0.0, 0.0), lr=0.01)        # ||p|| = 0: ratio 1
    assert s1.tolist() == pytest.approx((-0.01 * upd).tolist(), abs=1e-6)


def test_rmsprop_matches_torch():
    g = [(0.5, -1.0), (0.25, 0.5), (-0.3, 0.1)]
    ours, _ = _run(RMSProp, g, lr=0.01, sqr_mom=0.99, eps=1e-8)
    p = torch.tensor([1.0, -2.0], requires_grad=True)
    ref = torch.optim.RMSprop([p], lr=0.01, alpha=0.99, eps=1e-8)
    for gi, o in zip(g, ours):
        p.grad = torch.tensor(gi)
        ref.step()
        assert p.detach().tolist() == pytest.approx(o.tolist(), abs=1e-5)


def test_lookahead_syncs_every_k_steps():
    steps, opt = _run(lambda ps, **kw: Lookahead(SGD(ps, **kw), k=2, alpha=0.5), [(1.0, 1.0)] * 2,
                      p0=(0.0, 0.0), lr=0.1)
    assert steps[0].tolist() == pytest.approx([-0.1, -0.1])
    assert steps[1].tolist() == pytest.approx([-0.1, -0.1])   # fast went to -0.2, slow moves halfway: -0.1


def test_param_groups_and_slices():
    a, b, c = (torch.zeros(1, requires_grad=True) for _ in range(3))
    opt = SGD([[a], [b], [c]], lr=1e-3)
    opt.set_hyper("lr", slice(1e-5, 1e-3))
    assert [h["lr"] for h in opt.hypers] == pytest.approx([1e-5, 1e-4, 1e-3])
    opt.set_hyper("lr", slice(1e-3))
    assert [h["lr"] for h in opt.hypers] == pytest.approx([1e-4, 1e-4, 1e-3])
    opt.set_hyper("lr", [1, 2, 3])
    assert [h["lr"] for h in opt.hypers] == [1, 2, 3]
    with pytest.raises(ValueError, match="2 values for 3 parameter groups"):
        opt.set_hyper("lr", [1, 2])
    assert expand_hyper(slice(1e-4, 1e-2), 1) == [1e-2]


def test_only_params_with_grad_are_stepped_and_zero_grad():
    a, b = torch.ones(2, requires_grad=True), torch.ones(2, requires_grad=True)
    opt = SGD([a, b], lr=1.0)
    a.grad = torch.ones(2)
    opt.step()
    assert a.tolist() == [0.0, 0.0] and b.tolist() == [1.0, 1.0]
    opt.zero_grad()
    assert a.grad is None


def test_state_dict_round_trip_and_mismatch():
    (_, _), opt = _run(Adam, GRADS, lr=0.1)
    sd = opt.state_dict()
    p = torch.tensor([1.0, -2.0], requires_grad=True)
    opt2 = Adam([p], lr=0.5)
    opt2.load_state_dict(sd)
    assert opt2.state[p]["step"] == 2 and opt2.hypers[0]["lr"] == 0.1
    assert torch.equal(opt2.state[p]["grad_avg"], opt.state[next(iter(opt.state))]["grad_avg"])
    with pytest.raises(ValueError, match="different model"):
        Adam([torch.zeros(3, requires_grad=True)], lr=0.1).load_state_dict(sd)
    with pytest.raises(ValueError, match="1 parameters"):
        Adam([torch.zeros(2, requires_grad=True), torch.zeros(2, requires_grad=True)], lr=.1).load_state_dict(sd)


def test_empty_params_error():
    with pytest.raises(ValueError, match="no parameters"):
        SGD([], lr=0.1)


def test_optim_wrapper_maps_hypers():
    p = torch.tensor([1.0, -2.0], requires_grad=True)
    opt = OptimWrapper([p], torch.optim.AdamW, lr=0.1, betas=(0.9, 0.99), weight_decay=0.01)
    assert opt.hypers[0]["mom"] == 0.9 and opt.hypers[0]["sqr_mom"] == 0.99 and opt.hypers[0]["wd"] == 0.01
    opt.set_hypers(mom=0.8, lr=0.05)
    assert opt.opt.param_groups[0]["betas"] == (0.8, 0.99) and opt.opt.param_groups[0]["lr"] == 0.05
    p.grad = torch.tensor([0.5, -1.0])
    opt.step()
    assert p.detach().tolist() != [1.0, -2.0]


def test_generic_optimizer_with_custom_stepper():
    def sign_step(p, lr, **kw):
        p.add_(p.grad.sign(), alpha=-lr)
    p = torch.tensor([1.0, -2.0], requires_grad=True)
    opt = Optimizer([p], [sign_step], lr=0.5)
    p.grad = torch.tensor([3.0, -0.1])
    opt.step()
    assert p.detach().tolist() == [0.5, -1.5]
