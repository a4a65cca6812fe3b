"""Lesson 05 (course/05_optimizers.ipynb, exercises/05_optimizers/): the generic optimizer: per-parameter callbacks
(stats update state, steppers update the parameter)."""
from __future__ import annotations

import math
from functools import partial
from typing import Any, Callable, Iterable

import torch

__all__ = ["Optimizer", "weight_decay", "l2_reg", "average_grad", "average_sqr_grad", "step_stat", "debias",
           "sgd_step", "momentum_step", "rms_prop_step", "adam_step", "radam_step", "lamb_step",
           "SGD", "RMSProp", "Adam", "RAdam", "Lamb", "Lookahead", "OptimWrapper", "expand_hyper"]


def expand_hyper(v: Any, n: int) -> list:
    """One value per parameter group: `slice(a, b)` geometric from a to b, `slice(b)` b/10 except the last."""
    if isinstance(v, slice):
        if v.start is None:
            return [v.stop / 10] * (n - 1) + [v.stop]
        if n == 1:
            return [v.stop]
        step = (v.stop / v.start) ** (1 / (n - 1))
        return [v.start * step ** i for i in range(n)]
    if isinstance(v, (list, tuple)) or (hasattr(v, "ndim") and getattr(v, "ndim") > 0):
        v = list(v)
        if len(v) != n:
            raise ValueError(f"got {len(v)} values for {n} parameter groups; pass one value per group, "
                             f"a single value, or a slice")
        return v
    return [v] * n


class Optimizer:
    """Runs `cbs` in order on every parameter with a gradient; stats return state to merge, steppers return None."""

    def __init__(self, params: Iterable, cbs: list[Callable], **defaults: Any) -> None:
        params = list(params)
        if not params:
            raise ValueError("the optimizer got no parameters: is the model empty, or is everything frozen?")
        # A flat list of tensors is one parameter group; a list of lists is several.
        groups = [params] if isinstance(params[0], torch.Tensor) else [list(g) for g in params]
        self.param_lists = groups
        self.hypers = [dict(defaults) for _ in groups]
        self.cbs = list(cbs)
        self.state: dict[torch.Tensor, dict] = {}
        self.frozen_idx = 0

    # -- iteration ---------------------------------------------------------------------------------
    def all_params(self, with_grad: bool = False):
        """Yield (param, group hypers) for every parameter (only those with a gradient if `with_grad`)."""
        for group, hyper in zip(self.param_lists, self.hypers):
            for p in group:
                if not with_grad or p.grad is not None:
                    yield p, hyper

    @property
    def param_groups(self) -> list[dict]:
        """torch-style view (`params` plus hypers), so tools such as GradScaler can use this optimizer."""
        return [{"params": g, **h} for g, h in zip(self.param_lists, self.hypers)]

    def zero_grad(self) -> None:
        """Drop every gradient (set to None: cheaper than filling with zeros)."""
        for group in self.param_lists:
            for p in group:
                p.grad = None

    @torch.no_grad()
    def step(self, closure: Callable | None = None) -> None:
        """Run the callbacks on each parameter with a gradient, merging what stats return into its state."""
        for p, hyper in self.all_params(with_grad=True):
            state = self.state.setdefault(p, {})
            for cb in self.cbs:
                new = cb(p, **{**state, **hyper})
                if new:
                    state.update(new)

    # -- hyper-parameters ------------------------------------------------------------------------
    def set_hyper(self, k: str, v: Any) -> None:
        """Set hyper-parameter `k` in every group: one value, one per group, or a slice (see expand_hyper)."""
        for h, val in zip(self.hypers, expand_hyper(v, len(self.hypers))):
            h[k] = val

    def set_hypers(self, **kwargs: Any) -> None:
        """`set_hyper` for each keyword."""
        for k, v in kwargs.items():
            self.set_hyper(k, v)

    # -- freezing --------------------------------------------------------------------------------
    def freeze_to(self, n: int, keep: set[int] = frozenset()) -> None:
        """Stop gradients for groups before `n` (negative counts from the end); params with id in `keep` stay."""
        self.frozen_idx = n if n >= 0 else len(self.param_lists) + n
        if self.frozen_idx >= len(self.param_lists):
            raise ValueError(f"freeze_to({n}) would freeze all {len(self.param_lists)} parameter groups; "
                             f"nothing would train")
        for i, group in enumerate(self.param_lists):
            for p in group:
                p.requires_grad_(i >= self.frozen_idx or id(p) in keep)

    def freeze(self, keep: set[int] = frozenset()) -> None:
        """Train only the last parameter group (plus the parameters in `keep`)."""
        if len(self.param_lists) < 2:
            raise ValueError("freeze needs at least 2 parameter groups; give the Learner a splitter "
                             "that splits the model into body and head")
        self.freeze_to(-1, keep)

    def unfreeze(self) -> None:
        """Train every parameter group."""
        self.freeze_to(0)

    # -- persistence -----------------------------------------------------------------------------
    def state_dict(self) -> dict:
        """Per-parameter state (in parameter order) and the hypers of each group."""
        params = [p for p, _ in self.all_params()]
        return {"state": [{k: (v.clone() if isinstance(v, torch.Tensor) else v)
                           for k, v in self.state.get(p, {}).items()} for p in params],
                "hypers": [dict(h) for h in self.hypers]}

    def load_state_dict(self, sd: dict) -> None:
        """Restore `state_dict()` output; fails clearly when it was saved for other parameters."""
        params = [p for p, _ in self.all_params()]
        if len(sd["state"]) != len(params) or len(sd["hypers"]) != len(self.hypers):
            raise ValueError(f"optimizer state is for {len(sd['state'])} parameters in {len(sd['hypers'])} groups, "
                             f"this optimizer has {len(params)} in {len(self.hypers)}: a different model or splitter")
        for p, st in zip(params, sd["state"]):
            for k, v in st.items():
                if isinstance(v, torch.Tensor) and v.shape != p.shape and v.dim() > 0:
                    raise ValueError(f"optimizer state {k!r} has shape {tuple(v.shape)} but its parameter has "
                                     f"shape {tuple(p.shape)}: the state was saved for a different model")
            self.state[p] = {k: (v.to(p.device) if isinstance(v, torch.Tensor) else v) for k, v in st.items()}
        self.hypers = [dict(h) for h in sd["hypers"]]

    def clear_state(self) -> None:
        """Forget momentum and other statistics."""
        self.state = {}


# -- stats and steppers: each takes the parameter plus its merged state and hypers as keywords --------
def weight_decay(p: torch.Tensor, lr: float, wd: float, do_wd: bool = True, **kwargs: Any) -> None:
    """Decoupled weight decay: shrink the weights, independent of the gradient."""
    if do_wd and wd != 0:
        p.mul_(1 - lr * wd)


def l2_reg(p: torch.Tensor, wd: float, do_wd: bool = True, **kwargs: Any) -> None:
    """L2 regularisation: add `wd * p` to the gradient."""
    if do_wd and wd != 0:
        p.grad.add_(p, alpha=wd)


def average_grad(p: torch.Tensor, mom: float, dampening: bool = False, grad_avg: torch.Tensor | None = None,
                 **kwargs: Any) -> dict:
    """Momentum: `avg = mom*avg + (1-mom if dampening else 1)*grad`."""
    if grad_avg is None:
        grad_avg = torch.zeros_like(p)
    grad_avg.mul_(mom).add_(p.grad, alpha=1 - mom if dampening else 1.0)
    return {"grad_avg": grad_avg}


def average_sqr_grad(p: torch.Tensor, sqr_mom: float, dampening: bool = True,
                     sqr_avg: torch.Tensor | None = None, **kwargs: Any) -> dict:
    """Moving average of squared gradients."""
    if sqr_avg is None:
        sqr_avg = torch.zeros_like(p)
    sqr_avg.mul_(sqr_mom).addcmul_(p.grad, p.grad, value=1 - sqr_mom if dampening else 1.0)
    return {"sqr_avg": sqr_avg}


def step_stat(p: torch.Tensor, step: int = 0, **kwargs: Any) -> dict:
    """Counts the steps taken by this parameter (needed for debiasing)."""
    return {"step": step + 1}


def debias(mom: float, damp: float, step: int) -> float:
    """Sum of the weights a moving average has given so far: divide by it to remove the bias towards 0."""
    return damp * (1 - mom ** step) / (1 - mom)


def sgd_step(p: torch.Tensor, lr: float, **kwargs: Any) -> None:
    """p -= lr * grad."""
    p.add_(p.grad, alpha=-lr)


def momentum_step(p: torch.Tensor, lr: float, grad_avg: torch.Tensor, **kwargs: Any) -> None:
    """p -= lr * (moving average of the gradients)."""
    p.add_(grad_avg, alpha=-lr)


def rms_prop_step(p: torch.Tensor, lr: float, sqr_avg: torch.Tensor, eps: float,
                  grad_avg: torch.Tensor | None = None, **kwargs: Any) -> None:
    """p -= lr * grad / (sqrt(mean squared grad) + eps)."""
    p.addcdiv_(grad_avg if grad_avg is not None else p.grad, sqr_avg.sqrt().add_(eps), value=-lr)


def adam_step(p: torch.Tensor, lr: float, mom: float, step: int, sqr_mom: float, grad_avg: torch.Tensor,
              sqr_avg: torch.Tensor, eps: float, **kwargs: Any) -> None:
    """p -= lr/debias1 * avg / (sqrt(sqr/debias2) + eps)."""
    d1, d2 = debias(mom, 1 - mom, step), debias(sqr_mom, 1 - sqr_mom, step)
    p.addcdiv_(grad_avg, (sqr_avg / d2).sqrt().add_(eps), value=-lr / d1)


def radam_step(p: torch.Tensor, lr: float, mom: float, step: int, sqr_mom: float, grad_avg: torch.Tensor,
               sqr_avg: torch.Tensor, eps: float, **kwargs: Any) -> None:
    """Adam rectified: plain momentum steps while the variance estimate is too young (r <= 5)."""
    d1, d2 = debias(mom, 1 - mom, step), debias(sqr_mom, 1 - sqr_mom, step)
    r_inf = 2 / (1 - sqr_mom) - 1
    r = r_inf - 2 * step * sqr_mom ** step / (1 - sqr_mom ** step)
    if r > 5:
        v = math.sqrt(((r - 4) * (r - 2) * r_inf) / ((r_inf - 4) * (r_inf - 2) * r))
        p.addcdiv_(grad_avg, (sqr_avg / d2).sqrt().add_(eps), value=-lr * v / d1)
    else:
        p.add_(grad_avg, alpha=-lr / d1)


def lamb_step(p: torch.Tensor, lr: float, mom: float, step: int, sqr_mom: float, grad_avg: torch.Tensor,
              sqr_avg: torch.Tensor, eps: float, **kwargs: Any) -> None:
    """Adam direction scaled per layer by the trust ratio min(||p|| / ||step||, 10)."""
    d1, d2 = debias(mom, 1 - mom, step), debias(sqr_mom, 1 - sqr_mom, step)
    upd = (grad_avg / d1) / ((sqr_avg / d2).sqrt() + eps)
    r1, r2 = p.norm().item(), upd.norm().item()
    q = 1.0 if r1 == 0 or r2 == 0 else min(r1 / r2, 10.0)
    p.add_(upd, alpha=-lr * q)


def _wd_cb(decouple_wd: bool) -> Callable:
    return weight_decay if decouple_wd else l2_reg


def SGD(params: Iterable, lr: float, mom: float = 0.0, wd: float = 0.0, decouple_wd: bool = True) -> Optimizer:
    """SGD with optional momentum (no dampening, like PyTorch)."""
    cbs = [_wd_cb(decouple_wd)] + ([average_grad, momentum_step] if mom != 0 else [sgd_step])
    return Optimizer(params, cbs, lr=lr, mom=mom, wd=wd)


def RMSProp(params: Iterable, lr: float, sqr_mom: float = 0.99, mom: float = 0.0, eps: float = 1e-8,
            wd: float = 0.0, decouple_wd: bool = True) -> Optimizer:
    """Divide the step by a moving root-mean-square of the gradients."""
    cbs = [_wd_cb(decouple_wd)] + ([average_grad] if mom != 0 else []) + [average_sqr_grad, rms_prop_step]
    return Optimizer(params, cbs, lr=lr, mom=mom, sqr_mom=sqr_mom, eps=eps, wd=wd)


def _adam_like(stepper: Callable, params: Iterable, lr: float, mom: float, sqr_mom: float, eps: float, wd: float,
               decouple_wd: bool) -> Optimizer:
    cbs = [_wd_cb(decouple_wd), partial(average_grad, dampening=True), average_sqr_grad, step_stat, stepper]
    return Optimizer(params, cbs, lr=lr, mom=mom, sqr_mom=sqr_mom, eps=eps, wd=wd)


def Adam(params: Iterable, lr: float, mom: float = 0.9, sqr_mom: float = 0.99, eps: float = 1e-5,
         wd: float = 0.01, decouple_wd: bool = True) -> Optimizer:
    """Adam with debiasing; decoupled weight decay (AdamW) by default."""
    return _adam_like(adam_step, params, lr, mom, sqr_mom, eps, wd, decouple_wd)


def RAdam(params: Iterable, lr: float, mom: float = 0.9, sqr_mom: float = 0.99, eps: float = 1e-5,
          wd: float = 0.0, decouple_wd: bool = True) -> Optimizer:
    """Rectified Adam."""
    return _adam_like(radam_step, params, lr, mom, sqr_mom, eps, wd, decouple_wd)


def Lamb(params: Iterable, lr: float, mom: float = 0.9, sqr_mom: float = 0.99, eps: float = 1e-5,
         wd: float = 0.0, decouple_wd: bool = True) -> Optimizer:
    """LAMB: Adam with a per-parameter trust ratio."""
    return _adam_like(lamb_step, params, lr, mom, sqr_mom, eps, wd, decouple_wd)


class Lookahead:
    """Wraps an optimizer: every `k` steps, move slow weights `alpha` of the way to the fast ones and reset."""

    def __init__(self, opt: Any, k: int = 6, alpha: float = 0.5) -> None:
        self.opt, self.k, self.alpha, self.count = opt, k, alpha, 0
        self.slow: dict[torch.Tensor, torch.Tensor] = {}

    def __getattr__(self, attr: str) -> Any:
        if attr in ("opt", "__setstate__", "__getstate__"):
            raise AttributeError(attr)
        return getattr(self.opt, attr)

    @torch.no_grad()
    def step(self, closure: Callable | None = None) -> None:
        if not self.slow:
            self.slow = {p: p.detach().clone() for p, _ in self.opt.all_params()}
        self.opt.step()
        self.count += 1
        if self.count % self.k == 0:
            for p, _ in self.opt.all_params():
                slow = self.slow[p]
                slow.add_(p - slow, alpha=self.alpha)
                p.copy_(slow)

    def clear_state(self) -> None:
        self.opt.clear_state()
        self.slow, self.count = {}, 0

    def state_dict(self) -> dict:
        return {"opt": self.opt.state_dict(), "count": self.count,
                "slow": [self.slow[p].clone() for p, _ in self.opt.all_params()] if self.slow else []}

    def load_state_dict(self, sd: dict) -> None:
        self.opt.load_state_dict(sd["opt"])
        self.count = sd["count"]
        params = [p for p, _ in self.opt.all_params()]
        self.slow = {p: s.to(p.device) for p, s in zip(params, sd["slow"])}


# Names used by this library -> how torch.optim calls them; `mom` and `sqr_mom` live in `betas` for Adam-style.
_TORCH_NAMES = {"lr": "lr", "wd": "weight_decay", "mom": "momentum", "eps": "eps", "sqr_mom": "alpha"}


class OptimWrapper:
    """Makes any `torch.optim` optimizer usable by the Learner (hypers, freezing, schedules)."""

    def __init__(self, params: Iterable, opt: Callable | torch.optim.Optimizer = torch.optim.AdamW,
                 **kwargs: Any) -> None:
        params = list(params)
        groups = [params] if params and isinstance(params[0], torch.Tensor) else [list(g) for g in params]
        self.param_lists = groups
        self.opt = opt if isinstance(opt, torch.optim.Optimizer) else opt([{"params": g} for g in groups], **kwargs)
        self.frozen_idx = 0

    def _get(self, pg: dict, k: str) -> Any:
        if k in ("mom", "sqr_mom") and "betas" in pg:
            return pg["betas"][0 if k == "mom" else 1]
        return pg.get(_TORCH_NAMES.get(k, k))

    @property
    def hypers(self) -> list[dict]:
        return [{k: self._get(pg, k) for k in _TORCH_NAMES if self._get(pg, k) is not None}
                for pg in self.opt.param_groups]

    @property
    def param_groups(self) -> list[dict]:
        return self.opt.param_groups

    @property
    def state(self) -> dict:
        return self.opt.state

    def set_hyper(self, k: str, v: Any) -> None:
        for pg, val in zip(self.opt.param_groups, expand_hyper(v, len(self.opt.param_groups))):
            if k in ("mom", "sqr_mom") and "betas" in pg:
                b = list(pg["betas"])
                b[0 if k == "mom" else 1] = val
                pg["betas"] = tuple(b)
            elif _TORCH_NAMES.get(k, k) in pg:
                pg[_TORCH_NAMES.get(k, k)] = val

    def set_hypers(self, **kwargs: Any) -> None:
        for k, v in kwargs.items():
            self.set_hyper(k, v)

    def all_params(self, with_grad: bool = False):
        for g, h in zip(self.param_lists, self.hypers):
            for p in g:
                if not with_grad or p.grad is not None:
                    yield p, h

    def step(self, closure: Callable | None = None) -> None:
        self.opt.step()

    def zero_grad(self) -> None:
        self.opt.zero_grad(set_to_none=True)

    freeze_to, freeze, unfreeze = Optimizer.freeze_to, Optimizer.freeze, Optimizer.unfreeze

    def clear_state(self) -> None:
        self.opt.state.clear()

    def state_dict(self) -> dict:
        return self.opt.state_dict()

    def load_state_dict(self, sd: dict) -> None:
        self.opt.load_state_dict(sd)
