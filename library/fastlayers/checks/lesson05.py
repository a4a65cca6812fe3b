"""Checks for exercise 05 (optimizers): the generic Optimizer, momentum, Adam's step, weight decay, Adam, LAMB.

Each check runs the same probe on the student's piece, where it lives, and on the reference here. The probe builds
parameters from plain data (seeded values, several groups, frozen parameters and parameters that get no gradient at
some steps), runs an optimizer for many steps on a fixed loss, and returns the trajectory, the gradients and the
optimizer's state as plain data; the check compares them step by step. Hints name the idea, never the code.
"""
from __future__ import annotations

import math
import random
from functools import partial
from typing import Any, Callable

from fastlayers.checks.framework import (CheckFailure, NOT_WRITTEN, Raised, attempt, call, check, expect_close,
                                         expect_count, expect_equal, expect_true, fail, first_difference, labelled,
                                         probe)

__all__ = ["optimizer_step", "set_hyper", "average_grad", "momentum_step", "adam_step", "weight_decay", "l2_reg",
           "adam", "lamb_step"]

# float64 runs are compared tightly (a rewritten formula agrees to ~1e-15), float32 runs loosely
TOL = {"float64": (1e-9, 1e-12), "float32": (1e-4, 1e-6)}

ADAM_CBS = ("WD", "average_grad:damp", "average_sqr_grad", "step_stat", "STEP")


def _ref():
    # Imported when a check runs, so `fastlayers.checks` stays cheap to import.
    import fastlayers.training as ref
    return ref


# ----------------------------------------------------------------------------------------------------------------
# The parameters and the loss (plain data in, tensors built where the optimizer lives)
# ----------------------------------------------------------------------------------------------------------------

def _nested(values: list, shape: tuple) -> Any:
    if not shape:
        return values[0]
    step = len(values) // shape[0]
    return [_nested(values[i * step:(i + 1) * step], shape[1:]) for i in range(shape[0])]


def _param(rng: random.Random, name: str, shape: tuple, scale: float = 1.5, **flags: Any) -> dict:
    """One parameter's plain description: initial values, the loss's target and weights, and how it is used."""
    n = math.prod(shape)
    values = [0.0] * n if flags.pop("zeros", False) else [rng.uniform(-scale, scale) for _ in range(n)]
    return {"name": name, "init": _nested(values, shape),
            "target": _nested([rng.uniform(-1, 1) for _ in range(n)], shape),
            "weight": _nested([rng.uniform(0.5, 2.5) for _ in range(n)], shape),
            "quartic": flags.pop("quartic", 0.05), **flags}


def _role(q: dict) -> str:
    """The parameter's situation in words (for messages)."""
    if q.get("frozen"):
        return f"`{q['name']}` (frozen: requires_grad=False)"
    if q.get("zero"):
        return f"`{q['name']}` (its gradient is zero at every step)"
    if q.get("every", 1) == 0:
        return f"`{q['name']}` (never in the loss: it never gets a gradient)"
    if q.get("every", 1) > 1:
        return f"`{q['name']}` (in the loss, so with a gradient, only at steps {q.get('offset', 0)}, " \
               f"{q.get('offset', 0) + q['every']}, ...)"
    return f"`{q['name']}`"


def _in_loss(q: dict, k: int) -> bool:
    every = q.get("every", 1)
    return every > 0 and k % every == q.get("offset", 0)


def _build(spec: dict) -> list:
    import torch
    dtype = getattr(torch, spec["dtype"])
    groups = []
    for group in spec["groups"]:
        params = []
        for q in group:
            p = torch.tensor(q["init"], dtype=dtype)
            params.append(p.requires_grad_(not q.get("frozen", False)))
        groups.append(params)
    return groups


def _loss(params: list, qs: list, k: int, dtype: Any) -> Any:
    """The fixed loss at step k: a weighted bowl around each parameter's target plus a small quartic term."""
    import torch
    total = torch.zeros((), dtype=dtype)
    for p, q in zip(params, qs):
        if q.get("zero"):
            total = total + 0.0 * p.sum()
        elif _in_loss(q, k):
            w, t = torch.tensor(q["weight"], dtype=dtype), torch.tensor(q["target"], dtype=dtype)
            total = total + 0.5 * (w * (p - t) ** 2).sum() + q["quartic"] * (p ** 4).sum()
    return total


def _cbs(target: Any, role: str, names: tuple, wd_cb: str, stepper: str) -> list:
    """The callbacks a spec names, from the reference library, with `target` in the place of `role`."""
    ref = _ref()
    out = []
    for name in names:
        name = name.replace("WD", wd_cb).replace("STEP", stepper)
        base, _, flag = name.partition(":")
        fn = target if base == role else getattr(ref, base)
        out.append(partial(fn, dampening=True) if flag == "damp" else fn)
    return out


def _state(st: Any) -> dict:
    if not isinstance(st, dict):
        return {"<not a dict>": str(type(st).__name__)}
    return {str(k): (v.detach().clone() if hasattr(v, "detach") else v) for k, v in st.items()}


def _listing(opt: Any, flat: list, with_grad: bool) -> list:
    """all_params as (parameter index, hyper dict) pairs; -1 for a tensor that is none of the parameters."""
    out = []
    for pair in call(opt.all_params, with_grad=with_grad):
        p, h = pair
        idx = next((i for i, q in enumerate(flat) if q is p), -1)
        out.append([idx, dict(h) if isinstance(h, dict) else str(type(h).__name__)])
    return out


def run_steps(target: Any, role: str, spec: dict) -> dict:
    """Probe: build the parameters, an optimizer (`role` says what `target` is), run the steps; record everything.

    role "Optimizer": target is the optimizer class, run with reference callbacks; "maker": target builds the
    optimizer from (params, **kwargs); any other role: target is that callback, inside the reference Optimizer."""
    import torch
    ref = _ref()
    groups = _build(spec)
    flat = [p for g in groups for p in g]
    qs = [q for g in spec["groups"] for q in g]
    dtype = getattr(torch, spec["dtype"])
    params = groups[0] if spec.get("flat") else groups
    cbs = _cbs(target, role, tuple(spec.get("cbs", ())), spec.get("wd_cb", "weight_decay"),
               spec.get("stepper", "adam_step"))
    if role == "Optimizer":
        opt = call(target, params, cbs, **spec["defaults"])
    elif role == "maker":
        opt = call(target, params, **spec["kwargs"])
        if not (hasattr(opt, "step") and hasattr(opt, "hypers")):
            return {"kind": type(opt).__qualname__}
    else:
        opt = ref.Optimizer(params, cbs, **spec["defaults"])
    out = {"kind": f"{type(opt).__module__}.{type(opt).__qualname__}",
           "hypers": [dict(h) for h in opt.hypers], "steps": []}  # as built, before the run changes some groups
    for g, extra in enumerate(spec.get("hypers", ())):
        opt.hypers[g].update(extra)
    for k in range(spec["n_steps"]):
        _loss(flat, qs, k, dtype).backward()
        if k == 0 and role == "Optimizer":
            out["all"], out["with_grad"] = _listing(opt, flat, False), _listing(opt, flat, True)
        call(opt.step)
        record = {"params": [p.detach().clone() for p in flat],
                  "grads": [None if p.grad is None else p.grad.detach().clone() for p in flat]}
        call(opt.zero_grad)
        record["cleared"] = [p.grad is None for p in flat]
        out["steps"].append(record)
    out["state"] = [_state(opt.state.get(p) or {}) for p in flat]
    return out


def _describe(spec: dict, role: str) -> str:
    """What the run did, for the `called:` line."""
    groups = spec["groups"]
    params = "a flat list of parameters" if spec.get("flat") else f"{len(groups)} parameter groups"
    if role == "maker":
        kw = ", ".join(f"{k}={v!r}" for k, v in spec["kwargs"].items())
        return f"Adam(<{params}>, {kw}), {spec['n_steps']} steps on a fixed loss ({spec['dtype']})"
    names = [n.replace("WD", spec.get("wd_cb", "weight_decay")).replace("STEP", spec.get("stepper", "adam_step"))
             for n in spec.get("cbs", ())]
    names = [n.replace(":damp", " (dampening=True)") for n in names]
    if role != "Optimizer":
        names = [f"YOUR {n}" if n.split(" ")[0] == role else n for n in names]
    defaults = ", ".join(f"{k}={v!r}" for k, v in spec["defaults"].items())
    cls = "Optimizer" if role == "Optimizer" else "ref.Optimizer"
    text = f"{cls}(<{params}>, [{', '.join(names)}], {defaults}), {spec['n_steps']} steps on a fixed loss"
    if spec.get("hypers"):
        text += "; group hypers changed to " + "; ".join(f"group {g}: {h}" for g, h in enumerate(spec["hypers"]) if h)
    return text + f" ({spec['dtype']})"


# ----------------------------------------------------------------------------------------------------------------
# Comparing two runs
# ----------------------------------------------------------------------------------------------------------------



def _is_tensor(x: Any) -> bool:
    return hasattr(x, "shape") and hasattr(x, "dtype") and hasattr(x, "detach")


def _close(got: Any, expected: Any, rtol: float, atol: float, called: str, summary: str,
           hint: Callable[[], str]) -> None:
    """expect_close, working out the hint only when the values differ (some hints run variants to name a mistake)."""
    if first_difference(got, expected, rtol=rtol, atol=atol) is not None:
        expect_close(got, expected, rtol=rtol, atol=atol, called=called, summary=summary, hint=hint())


def compare_runs(got: dict, exp: dict, spec: dict, called: str, hint_at: Callable[..., str],
                 grads: bool = True, state: bool = True) -> None:
    """Fail at the first step where a parameter (or its gradient) differs; then compare the final state.

    `hint_at(k=step, i=parameter index, q=its spec, group=, got=, exp=, spec=, kind="param"|"grad"|"state")`."""
    rtol, atol = TOL[spec["dtype"]]
    qs = [q for g in spec["groups"] for q in g]
    group_of = [gi for gi, g in enumerate(spec["groups"]) for _ in g]
    expect_count(got.get("steps"), len(exp["steps"]), called, "one record per step")
    for k, (g_step, e_step) in enumerate(zip(got["steps"], exp["steps"])):
        if not isinstance(g_step, dict):
            fail("the run did not report this step", called=called, where=f"step {k}")
        for key in ("params", "grads"):
            expect_count(g_step.get(key), len(qs), called, f"every parameter at step {k}")
        for i, q in enumerate(qs):
            where = f"parameter {_role(q)} of group {group_of[i]}, after step {k}"
            hint = partial(hint_at, k=k, i=i, q=q, group=group_of[i], got=got, exp=exp, spec=spec)
            g_val, e_val = g_step["params"][i], e_step["params"][i]
            if not _is_tensor(g_val) or tuple(g_val.shape) != tuple(e_val.shape):
                fail("a parameter was replaced", called=called, where=where, expected=e_val, got=g_val,
                     hint="Change a parameter's values in place: the model holds the tensor itself, so a new tensor "
                          "would never reach it.")
            _close(g_val, e_val, rtol, atol, called, f"wrong value of {where}", partial(hint, kind="param"))
            if grads:
                g_grad, e_grad = g_step["grads"][i], e_step["grads"][i]
                if (g_grad is None) != (e_grad is None) or (e_grad is not None and not _is_tensor(g_grad)):
                    fail(f"wrong gradient of {where}", called=called, expected=e_grad, got=g_grad,
                         hint=hint(kind="grad"))
                if e_grad is not None:
                    _close(g_grad, e_grad, rtol, atol, called, f"wrong gradient of {where}", partial(hint, kind="grad"))
    if state:
        _compare_state(got.get("state"), exp["state"], qs, group_of, called, spec,
                       partial(hint_at, k=None, i=None, q=None, group=None, got=got, exp=exp, spec=spec, kind="state"))


def _compare_state(got: Any, exp: list, qs: list, group_of: list, called: str, spec: dict,
                   hint: Callable[[], str]) -> None:
    rtol, atol = TOL[spec["dtype"]]
    expect_count(got, len(exp), called, "the state of every parameter")
    for i, (g, e) in enumerate(zip(got, exp)):
        where = f"optimizer state of parameter {_role(qs[i])} of group {group_of[i]}, after the last step"
        if not isinstance(g, dict) or sorted(g) != sorted(e):
            fail(f"wrong {where}", called=called, expected=f"<a dict with the keys {sorted(e)}>",
                 got=f"<{'a dict with the keys ' + str(sorted(g)) if isinstance(g, dict) else type(g).__name__}>",
                 hint=hint())
        for key in e:
            if _is_tensor(e[key]):
                if not _is_tensor(g[key]) or g[key].dtype != e[key].dtype or g[key].shape != e[key].shape:
                    fail(f"wrong {where}", called=called, where=f"state[{key!r}]",
                         expected=f"<a tensor of shape {tuple(e[key].shape)} and dtype {e[key].dtype}, like the "
                                  f"parameter>", got=g[key],
                         hint="A statistic keeps one number per element of its parameter: a tensor with the "
                              "parameter's shape, dtype and device.")
            _close(g[key], e[key], rtol, atol, called, f"wrong {where}", hint)


def _did_not_move(got: dict, k: int, i: int, q: dict) -> bool:
    """Whether the student's run left parameter i where it was before step k."""
    import torch
    now = got["steps"][k]["params"][i]
    before = got["steps"][k - 1]["params"][i] if k else torch.tensor(q["init"], dtype=now.dtype)
    return bool(torch.equal(now, before))


def _had_grad(exp: dict, k: int, i: int) -> bool:
    return exp["steps"][k]["grads"][i] is not None


def _generic_hint(k: int, i: int, q: dict, group: int, exp: dict) -> str | None:
    """Hints about the situation of the parameter that went wrong, shared by every check."""
    if k is None:
        return None
    if q.get("frozen") or not _had_grad(exp, k, i) and not any(_had_grad(exp, j, i) for j in range(k + 1)):
        return ("This parameter has had no gradient so far (its .grad is None): no callback may run on it, so it "
                "must keep its initial values.")
    if not _had_grad(exp, k, i):
        return ("At this step the parameter has no gradient (.grad is None: it was not in this step's loss). The "
                "optimizer skips it entirely: no statistic is updated and it does not move.")
    return None


# ----------------------------------------------------------------------------------------------------------------
# The runs each check uses
# ----------------------------------------------------------------------------------------------------------------

def _mixed_groups(seed: int, big: bool = False) -> list:
    """Three groups: shapes (), (3,), (2, 3); a frozen parameter, one without a gradient at even steps, one with a
    zero gradient, one never in the loss."""
    rng = random.Random(seed)
    return [
        [_param(rng, "a", (3,), frozen=True), _param(rng, "b", (2, 3))],
        [_param(rng, "c", (4,), every=2, offset=1), _param(rng, "d", (), zero=True), _param(rng, "e", (2,))],
        [_param(rng, "f", (3, 2), scale=8.0 if big else 1.5, quartic=0.0 if big else 0.05),
         _param(rng, "g", (2,), every=0)],
    ]


def _flat_group(seed: int) -> list:
    rng = random.Random(seed)
    return [[_param(rng, "a", ()), _param(rng, "b", (3,)), _param(rng, "c", (2, 2), every=3)]]


def _spec(groups: list, cbs: tuple, defaults: dict, hypers: tuple = (), n_steps: int = 20, dtype: str = "float64",
          flat: bool = False, **extra: Any) -> dict:
    return {"groups": groups, "cbs": cbs, "defaults": defaults, "hypers": list(hypers), "n_steps": n_steps,
            "dtype": dtype, "flat": flat, **extra}


def _run_both(student: Any, role: str, ref_target: Any, spec: dict) -> tuple[dict, dict, str]:
    """The same run with the student's piece and with the reference's: (got, expected, what was run)."""
    called = _describe(spec, role)
    with labelled(called), _advice(role):
        got = probe(run_steps, student, role, spec)
    if not isinstance(got, dict):
        fail("the answers do not match the questions", called=called,
             expected="<a record of the run: the parameters after each step, the gradients, the state>",
             got=f"<{type(got).__name__}>")
    return got, probe(run_steps, ref_target, role, spec), called


def _compare_with_reference(student: Any, role: str, ref_target: Any, spec: dict,
                            hint_at: Callable[..., str]) -> None:
    got, exp, called = _run_both(student, role, ref_target, spec)
    compare_runs(got, exp, spec, called, hint_at)


class _advice:
    """Fills in a hint for an exception the student's code raised, from what the exception says."""

    def __init__(self, role: str):
        self.role = role

    def __enter__(self) -> "_advice":
        return self

    def __exit__(self, kind: Any, err: Any, tb: Any) -> bool:
        if isinstance(err, CheckFailure) and not err.hint:
            err.hint = _hint_for_error(str(err.got), self.role)
        return False


def _hint_for_error(got: str, role: str) -> str:
    if "leaf Variable that requires grad" in got:
        return ("The callbacks change the parameters in place. Autograd must not record the optimizer's own "
                "updates: run the step with gradient tracking switched off.")
    if "unexpected keyword argument" in got:
        return ("The optimizer passes every hyper-parameter and every state entry of the parameter as keywords to "
                "every callback: a callback takes what it needs and accepts the rest in **kwargs.")
    if "missing" in got and "argument" in got:
        return ("A callback did not get an argument it needs. Statistics return what they computed in a dict; the "
                "optimizer merges it into the parameter's state, and passes state and hyper-parameters as keywords "
                "to the callbacks after it.")
    if "NoneType" in got:
        return ("Something was None where a tensor was expected: a parameter without a gradient (frozen, or not in "
                "this step's loss) has .grad None and must be skipped; a statistic starts from zeros the first "
                "time, when its state is not there yet.")
    if "Boolean value of Tensor" in got:
        return ("A stepper changes the parameter in place and returns None; only statistics return something "
                "(a dict of state).")
    return ""


# ----------------------------------------------------------------------------------------------------------------
# Calling one callback directly
# ----------------------------------------------------------------------------------------------------------------

def call_once(fn: Callable, p: Any, grad: Any, tensors: dict, kwargs: dict) -> dict:
    """Probe: fn(p, **tensors, **kwargs) with p.grad set, under no_grad; what it returned and what it changed."""
    import torch
    p = p.clone().requires_grad_(True)
    p.grad = grad.clone()
    given = {k: v.clone() for k, v in tensors.items()}
    with torch.no_grad():
        out = call(fn, p, **given, **kwargs)
    if isinstance(out, dict):
        out = {str(k): (v.detach().clone() if hasattr(v, "detach") else v) for k, v in out.items()}
    elif hasattr(out, "detach"):
        out = out.detach().clone()
    return {"out": out, "p": p.detach().clone(), "grad": None if p.grad is None else p.grad.detach().clone(),
            "tensors": {k: v.detach().clone() for k, v in given.items()}}


def _direct(student: Callable, ref_fn: Callable, p: Any, grad: Any, tensors: dict, kwargs: dict,
            name: str) -> tuple[dict, dict, str]:
    shown = ", ".join([f"{k}=<tensor>" for k in tensors] + [f"{k}={v!r}" for k, v in kwargs.items()])
    called = f"{name}(p, {shown}) with p.grad set"
    with labelled(called), _advice(name):
        got = probe(call_once, student, p, grad, tensors, kwargs)
    exp = probe(call_once, ref_fn, p, grad, tensors, kwargs)
    if not (isinstance(got, dict) and sorted(got) == sorted(exp) and _is_tensor(got["p"])
            and isinstance(got["tensors"], dict) and sorted(got["tensors"]) == sorted(exp["tensors"])):
        fail("the answers do not match the questions", called=called,
             expected="<the result, the parameter, its gradient and the state tensors after the call>",
             got=f"<{type(got).__name__}>")
    return got, exp, called


def _expect_untouched(got: dict, exp: dict, called: str, what: str, hint: str) -> None:
    """`what` ("p", "grad" or a state tensor's name) came back as the reference left it."""
    g = got["tensors"].get(what) if what in exp["tensors"] else got.get(what)
    e = exp["tensors"][what] if what in exp["tensors"] else exp[what]
    label = {"p": "the parameter", "grad": "the gradient p.grad"}.get(what, f"the state tensor {what!r}")
    if (g is None) != (e is None):
        fail(f"{label} was changed", called=called, expected=e, got=g, hint=hint)
    if e is not None:
        expect_close(g, e, rtol=1e-12, atol=1e-15, called=called, summary=f"{label} was changed", hint=hint)


def _expect_none(got: dict, called: str) -> None:
    if got["out"] is not None:
        fail("a stepper returned something", called=called, expected=None, got=got["out"],
             hint="A stepper changes the parameter in place and returns None; only statistics return something "
                  "(a dict of state for the optimizer to keep).")


def _tensors(seed: int, shape: tuple, positive: bool = False, scale: float = 1.0):
    import torch
    g = torch.Generator().manual_seed(seed)
    t = torch.randn(*shape, generator=g, dtype=torch.float64) * scale
    return t.abs() + 0.01 if positive else t


# ----------------------------------------------------------------------------------------------------------------
# 1. The generic Optimizer
# ----------------------------------------------------------------------------------------------------------------

def _optimizer_runs() -> list:
    sgd = ("sgd_step",)
    mom = ("weight_decay", "average_grad", "momentum_step")
    adam_l2 = ("l2_reg", "average_grad:damp", "average_sqr_grad", "step_stat", "adam_step")
    return [
        _spec(_flat_group(51), sgd, {"lr": 0.1}, n_steps=8, flat=True),
        _spec(_mixed_groups(52), mom, {"lr": 0.05, "mom": 0.9, "wd": 0.01},
              hypers=({"lr": 0.02}, {"mom": 0.5, "wd": 0.2}, {"do_wd": False}), n_steps=16),
        _spec(_mixed_groups(53), adam_l2, {"lr": 0.03, "mom": 0.9, "sqr_mom": 0.99, "eps": 1e-5, "wd": 0.05},
              hypers=({}, {"lr": 0.1, "mom": 0.7}, {"eps": 0.1}), n_steps=16),
        _spec(_mixed_groups(54), mom, {"lr": 0.05, "mom": 0.8, "wd": 0.1}, hypers=({}, {"lr": 0.01}),
              n_steps=10, dtype="float32"),
    ]


@check(points=3, timeout=20)
def optimizer_step(Optimizer: type) -> None:
    """Your `Optimizer`'s all_params, step and zero_grad move every parameter like the reference, group by group."""
    ref = _ref()
    for spec in _optimizer_runs():
        got, exp, called = _run_both(Optimizer, "Optimizer", ref.Optimizer, spec)
        names = [q["name"] for g in spec["groups"] for q in g]
        for key, what in (("all", "all_params()"), ("with_grad", "all_params(with_grad=True) after the first "
                                                                "backward")):
            listing, expected = _named(got.get(key), names), _named(exp[key], names)
            expect_equal(listing, expected, called=f"{called}: {what}",
                         summary=f"wrong (parameter, hypers) pairs from {what}",
                         hint=_listing_hint(key, listing, expected))
        expect_count(got.get("steps"), len(exp["steps"]), called, "one record per step")
        for k, (g_step, e_step) in enumerate(zip(got["steps"], exp["steps"])):
            cleared = g_step.get("cleared") if isinstance(g_step, dict) else None
            expect_equal(cleared, e_step["cleared"], called=f"{called}: zero_grad() after step {k}",
                         summary="zero_grad left a gradient behind (one flag per parameter: is its .grad None?)",
                         hint="zero_grad drops the gradient of every parameter of every group: set .grad to None "
                              "(not to zeros: a zero gradient is still a gradient, and the next step would use it).")
        compare_runs(got, exp, spec, called, _optimizer_hint)


def _named(pairs: Any, names: list) -> list:
    """[parameter name, hypers] for each (index, hypers) pair a run reported (anything else reads as wrong)."""
    out = []
    for item in pairs if isinstance(pairs, list) else [pairs]:
        i, h = (list(item) + [-1, None])[:2] if isinstance(item, (list, tuple)) else (-1, item)
        out.append([names[i] if isinstance(i, int) and 0 <= i < len(names) else "<not a parameter>", h])
    return out


def _listing_hint(key: str, got: list, expected: list) -> str:
    if key == "with_grad":
        return ("With with_grad=True, keep only the parameters whose .grad is not None (frozen parameters and those "
                "not in the loss have none).")
    if len(got) == len(expected) and [n for n, _ in got] == [n for n, _ in expected]:
        return "Pair each parameter with the hyper-parameter dict of its own group."
    return "all_params goes through the groups in order, and through each group's parameters in order."


def _optimizer_hint(k: Any, i: Any, q: Any, group: Any, got: dict, exp: dict, kind: str, **_: Any) -> str:
    if kind == "state":
        return ("Each parameter has its own state dict (in self.state, keyed by the parameter tensor): a statistic's "
                "returned dict is merged into it, and a parameter that never had a gradient has no state.")
    generic = _generic_hint(k, i, q, group, exp)
    if generic:
        return generic
    if q.get("zero") and _did_not_move(got, k, i, q):
        return ("A zero gradient is still a gradient: the callbacks run on this parameter (weight decay still "
                "shrinks it, momentum still carries it).")
    if group:
        return (f"Group {group} went wrong: each parameter is updated with the hyper-parameters of its own group "
                f"(self.hypers[{group}] for group {group}).")
    if k:
        return ("The first step is right, a later one is not: what a statistic returns must be merged into the "
                "parameter's state and kept there for the next step, and each callback must see the state as the "
                "callbacks before it left it.")
    return ("For each parameter with a gradient, call every callback in order with the parameter and, as keywords, "
            "its state merged with its group's hyper-parameters.")


# ----------------------------------------------------------------------------------------------------------------
# 1b. set_hyper
# ----------------------------------------------------------------------------------------------------------------

def _hyper_runs() -> list:
    """(number of groups, defaults, [(k, v) for each set_hyper call]): built fresh for every check run."""
    return [(3, {"lr": 0.1, "mom": 0.9},
             [("lr", 0.5), ("mom", [0.9, 0.8, 0.7]), ("wd", (0.0, 0.1, 0.2)), ("do_wd", False), ("eps", 3),
              ("name", "adam"), ("lr", [1, 2]), ("lr", [1, 2, 3, 4]), ("mom", (0.95, 0.85, 0.75))]),
            (1, {"lr": 0.01}, [("lr", [0.3]), ("lr", 0.2), ("wd", (0.1,)), ("lr", [0.1, 0.2])]),
            (4, {"lr": 0.1}, [("lr", [0.1, 0.2, 0.3, 0.4]), ("name", "abcd"), ("sqr_mom", 0.99), ("lr", (1, 2, 3))])]


def hyper_session(cls: type, n_groups: int, defaults: dict, actions: list) -> list:
    """Probe: an optimizer over `n_groups` groups; after each set_hyper(k, v), the hypers (or what was raised).

    Also changes a list given to set_hyper afterwards, to see whether the hypers kept a reference to it."""
    import torch
    groups = [[torch.zeros(2, requires_grad=True)] for _ in range(n_groups)]
    opt = call(cls, groups, [], **defaults)
    out = []
    for k, v in actions:
        given = list(v) if isinstance(v, list) else v
        res = attempt(opt.set_hyper, k, given)
        raised = [res.type, res.message, res.where] if isinstance(res, Raised) else None
        if isinstance(given, list):
            given.append(-1.0)
            given[0] = -1.0
        out.append({"raised": raised, "hypers": [dict(h) for h in opt.hypers]})
    return out


@check(points=1, timeout=10)
def set_hyper(Optimizer: type) -> None:
    """Your `Optimizer.set_hyper(k, v)` sets `k` in every group: one value for all, or one per group."""
    ref = _ref()
    for n_groups, defaults, actions in _hyper_runs():
        setup = f"Optimizer(<{n_groups} parameter group{'s' if n_groups > 1 else ''}>, [], " + \
                ", ".join(f"{k}={v!r}" for k, v in defaults.items()) + ")"
        with labelled(setup), _advice("Optimizer"):
            got = probe(hyper_session, Optimizer, n_groups, defaults, actions)
        exp = probe(hyper_session, ref.Optimizer, n_groups, defaults, actions)
        expect_count(got, len(exp), setup, "the hypers after every call")
        done = []
        for (k, v), g, e in zip(actions, got, exp):
            done.append(f"set_hyper({k!r}, {v!r})")
            called = f"{setup}, then " + ", ".join(done[-3:]) + (" (and earlier calls)" if len(done) > 3 else "")
            raised = _raised(g)
            if e["raised"]:
                if raised is None:
                    fail("did not raise", called=called, expected=f"<raises {e['raised'][0]}>",
                         got="<no exception>" if isinstance(g, dict) else g,
                         hint=f"{len(v)} values for {n_groups} groups cannot be matched up: raise a ValueError (a "
                              "silent zip would drop values or leave groups unchanged).")
                want = f"got {len(v)} values for {n_groups} parameter groups"
                expect_true(raised[0] == "ValueError" and want in raised[1],
                            "raised, but not the ValueError the statement asks for", called=called,
                            expected=f"<ValueError whose message mentions {want!r}>",
                            got=f"<{raised[0]}: {raised[1]}>",
                            hint="Say what is wrong in the statement's words: how many values, how many groups.")
            elif raised is not None:
                kind, message, where = raised
                fail(f"raised {kind}", called=called, expected="<no exception>",
                     got=f"<raised {kind}: {message}>" if message else f"<raised {kind}>", where=where,
                     hint=NOT_WRITTEN if kind == "NotImplementedError" else _hyper_hint(v, n_groups))
            hypers = g.get("hypers") if isinstance(g, dict) else g
            new_name = isinstance(hypers, list) and any(isinstance(h, dict) and k not in h for h in hypers)
            expect_equal(hypers, e["hypers"], called=called,
                         summary="wrong hyper-parameters afterwards (one dict per group)",
                         hint="A name that is not there yet is added to every group's dict." if new_name else
                         _hyper_hint(v, n_groups, bool(e["raised"])))


def _raised(answer: Any) -> tuple[str, str, str] | None:
    """(exception type, message, where) from one answer of hyper_session, or None if nothing was raised."""
    r = answer.get("raised") if isinstance(answer, dict) else None
    if not r:
        return None
    r = list(r) if isinstance(r, (list, tuple)) else [r]
    kind, message, where = [str(x) for x in (r + ["", "", ""])[:3]]
    return kind, message, where


def _hyper_hint(v: Any, n_groups: int, raised: bool = False) -> str:
    if raised:
        return "When the number of values is wrong, raise before changing anything: no group may be half-updated."
    if isinstance(v, (list, tuple)):
        return ("A list or tuple gives one value per group, in group order: group i gets the i-th value (never the "
                "list itself). Copy the values: changing the caller's list later must not change the hypers.")
    return ("A single value (anything that is not a list or a tuple: a number, a bool, a string) goes to every "
            "group, and a new name is added to every group's dict.")


# ----------------------------------------------------------------------------------------------------------------
# 2. Momentum: average_grad and momentum_step
# ----------------------------------------------------------------------------------------------------------------

def _stat_cases() -> list:
    p, g, avg = _tensors(1, (2, 3)), _tensors(2, (2, 3)), _tensors(3, (2, 3))
    return [
        ({}, {"mom": 0.9}),
        ({}, {"mom": 0.9, "dampening": True}),
        ({"grad_avg": avg}, {"mom": 0.8}),
        ({"grad_avg": avg}, {"mom": 0.8, "dampening": True}),
        ({"grad_avg": avg}, {"mom": 0.0, "lr": 0.1, "wd": 0.01, "step": 3}),
    ], p, g


def _momentum_runs(with_adam: bool) -> list:
    mom = ("average_grad", "momentum_step")
    runs = [
        _spec(_mixed_groups(55), mom, {"lr": 0.05, "mom": 0.9},
              hypers=({}, {"mom": 0.5, "lr": 0.1}, {"mom": 0.0}), n_steps=20),
        _spec(_mixed_groups(56), ("weight_decay", "average_grad:damp", "momentum_step"),
              {"lr": 0.2, "mom": 0.9, "wd": 0.1}, hypers=({"mom": 0.6}, {}, {"lr": 0.05}), n_steps=20),
        _spec(_flat_group(58), mom, {"lr": 0.1, "mom": 0.85}, n_steps=12, flat=True, dtype="float32"),
    ]
    if with_adam:
        runs.append(_spec(_mixed_groups(57), ADAM_CBS, {"lr": 0.05, "mom": 0.9, "sqr_mom": 0.99, "eps": 1e-5,
                                                        "wd": 0.01}, hypers=({"mom": 0.7}, {}, {}), n_steps=15))
    return runs


def _variant_avg(avg: Any, grad: Any, mom: float, damp: bool) -> dict:
    """What common misreadings of the moving average give (for naming the mistake)."""
    import torch
    avg = torch.zeros_like(grad) if avg is None else avg
    return {
        "dampening ignored": avg * mom + grad,
        "dampening applied when not asked": avg * mom + (1 - mom) * grad,
        "mom and its complement swapped": avg * (1 - mom) + (mom if damp else 1.0) * grad,
        "the first average is the gradient itself": grad if avg.abs().sum() == 0 else None,
    }


@check(points=2, timeout=20)
def average_grad(average_grad: Callable) -> None:
    """Your `average_grad` stat keeps the moving average of the gradients like the reference."""
    ref = _ref()
    cases, p, g = _stat_cases()
    for tensors, kwargs in cases:
        got, exp, called = _direct(average_grad, ref.average_grad, p, g, tensors, kwargs, "average_grad")
        out = got["out"]
        if not (isinstance(out, dict) and list(out) == ["grad_avg"] and _is_tensor(out["grad_avg"])):
            fail("wrong kind of result", called=called, expected="<a dict with one key, 'grad_avg': a tensor>",
                 got=out, hint="A statistic returns its new state as a dict, {'grad_avg': the new average}: the "
                               "optimizer keeps it and passes it back at the next step.")
        for what in ("p", "grad"):
            _expect_untouched(got, exp, called, what, "A statistic only computes: it leaves the parameter and its "
                                                      "gradient as they are (the stepper moves the parameter).")
        if out["grad_avg"].dtype != exp["out"]["grad_avg"].dtype:
            fail("wrong dtype of the average", called=called, expected=f"<{exp['out']['grad_avg'].dtype}>",
                 got=f"<{out['grad_avg'].dtype}>",
                 hint="Start the average with the parameter's shape, dtype and device.")
        expect_close(out["grad_avg"], exp["out"]["grad_avg"], rtol=1e-12, atol=1e-14, called=called,
                     summary="wrong moving average", hint=_avg_hint(out["grad_avg"], tensors, kwargs, g))
    for spec in _momentum_runs(with_adam=True):
        _compare_with_reference(average_grad, "average_grad", ref.average_grad, spec, _stat_hint)


def _avg_hint(got: Any, tensors: dict, kwargs: dict, grad: Any) -> str:
    import torch
    if "grad_avg" not in tensors and kwargs.get("dampening") and torch.allclose(got, grad):
        return ("The first time, the average starts from zeros, and with dampening=True the new gradient is weighted "
                "by one minus the momentum: the first average is not the gradient itself.")
    for name, value in _variant_avg(tensors.get("grad_avg"), grad, kwargs["mom"],
                                    kwargs.get("dampening", False)).items():
        if value is not None and torch.allclose(got, value, rtol=1e-10, atol=1e-12):
            return {"dampening ignored": "With dampening=True the new gradient is weighted by one minus the momentum.",
                    "dampening applied when not asked": "Without dampening (the default), the new gradient is added "
                                                        "with weight 1.",
                    "mom and its complement swapped": "The old average is the part weighted by the momentum.",
                    "the first average is the gradient itself": "The first time (no grad_avg yet), the average starts "
                                                                "from zeros, so the first step gets the same weighting "
                                                                "as every other."}[name]
    return ("The new average is the old one (zeros the first time) times the momentum, plus the gradient times one "
            "(or one minus the momentum, with dampening).")


def _stat_hint(k: Any, i: Any, q: Any, group: Any, got: dict, exp: dict, kind: str, **_: Any) -> str:
    if kind == "state":
        return "After the run, the state holds the same moving average as the reference."
    if kind == "grad":
        return "A statistic must leave the gradient p.grad as it is: compute the average in a tensor of its own."
    return _generic_hint(k, i, q, group, exp) or (
        "The moving average is kept from step to step and uses the momentum of the parameter's group (mom=0 "
        "means no memory at all).")


@check(points=1, timeout=20)
def momentum_step(momentum_step: Callable) -> None:
    """Your `momentum_step` moves each parameter against its averaged gradient like the reference."""
    ref = _ref()
    p, g, avg = _tensors(4, (3, 2)), _tensors(5, (3, 2)), _tensors(6, (3, 2))
    for kwargs in ({"lr": 0.1}, {"lr": 0.03, "mom": 0.9, "wd": 0.01}):
        got, exp, called = _direct(momentum_step, ref.momentum_step, p, g, {"grad_avg": avg}, kwargs,
                                   "momentum_step")
        _expect_none(got, called)
        for what in ("grad_avg", "grad"):
            _expect_untouched(got, exp, called, what, "The stepper reads the average and the gradient; it changes "
                                                      "only the parameter (the average is the optimizer's state).")
        expect_close(got["p"], exp["p"], rtol=1e-12, atol=1e-14, called=called, summary="wrong parameter afterwards",
                     hint=_momentum_hint(got["p"], p, g, avg, kwargs["lr"]))
    for spec in _momentum_runs(with_adam=False):
        _compare_with_reference(momentum_step, "momentum_step", ref.momentum_step, spec, _stepper_hint)


def _momentum_hint(got: Any, p: Any, g: Any, avg: Any, lr: float) -> str:
    import torch
    if torch.allclose(got, p):
        return ("The parameter did not move: change it in place (a new tensor bound to the name p never reaches "
                "the model).")
    if torch.allclose(got, p - lr * g):
        return "That is a plain SGD step: the momentum step follows the averaged gradient, not this step's gradient."
    if torch.allclose(got, p + lr * avg):
        return "The parameter moved uphill: the step goes against the averaged gradient."
    return "Move the parameter by the learning rate times the averaged gradient, downhill."


def _stepper_hint(k: Any, i: Any, q: Any, group: Any, got: dict, exp: dict, kind: str, **_: Any) -> str:
    if kind == "state":
        return "A stepper must leave the state as it is: it reads the statistics and moves the parameter only."
    if kind == "grad":
        return "A stepper must leave the gradient p.grad as it is."
    return _generic_hint(k, i, q, group, exp) or (
        "Each parameter moves with the learning rate of its own group; the stepper gets it as the keyword `lr`.")


# ----------------------------------------------------------------------------------------------------------------
# 3. Adam's step, with bias correction
# ----------------------------------------------------------------------------------------------------------------

def _adam_variants(p: Any, lr: float, mom: float, step: int, sqr_mom: float, grad_avg: Any, sqr_avg: Any,
                   eps: float) -> dict:
    """What common misreadings of Adam's step give (for naming the mistake)."""
    d1, d2 = 1 - mom ** step, 1 - sqr_mom ** step
    return {
        "no bias correction": p - lr * grad_avg / (sqr_avg.sqrt() + eps),
        "only the first moment corrected": p - lr * (grad_avg / d1) / (sqr_avg.sqrt() + eps),
        "only the second moment corrected": p - lr * grad_avg / ((sqr_avg / d2).sqrt() + eps),
        "eps inside the square root": p - lr * (grad_avg / d1) / (sqr_avg / d2 + eps).sqrt(),
        "step counted from 0": p - lr * (grad_avg / (1 - mom ** (step + 1))) /
                               ((sqr_avg / (1 - sqr_mom ** (step + 1))).sqrt() + eps),
        "no square root": p - lr * (grad_avg / d1) / (sqr_avg / d2 + eps),
        "one minus the momentum": p - lr * (grad_avg / (1 - mom)) / ((sqr_avg / (1 - sqr_mom)).sqrt() + eps),
        "uphill": p + lr * (grad_avg / d1) / ((sqr_avg / d2).sqrt() + eps),
    }


_ADAM_VARIANT_HINTS = {
    "no bias correction": "Both moving averages start at zero, so early on they are too small: divide each by the "
                          "total weight it has given so far (one minus its momentum to the power of the step).",
    "only the first moment corrected": "The average of the squared gradients is biased towards zero too: correct "
                                       "it with its own momentum (sqr_mom).",
    "only the second moment corrected": "The average of the gradients is biased towards zero too: correct it with "
                                        "mom.",
    "eps inside the square root": "eps is added after the square root, to the root-mean-square, not under it.",
    "step counted from 0": "The step count is the number of steps taken including this one: at the first step it "
                           "is 1 (the state's `step` already counts this step).",
    "no square root": "Divide by the root of the (corrected) mean of the squared gradients: a gradient's scale, "
                      "not its square.",
    "uphill": "The parameter moved uphill: the step goes against the gradient.",
    "one minus the momentum": "The total weight a dampened average has given depends on the step: one minus the "
                              "momentum to the power of the step count (it tends to 1 as training goes on).",
}


def _adam_runs(stepper: str) -> list:
    return [
        _spec(_mixed_groups(61), ADAM_CBS, {"lr": 0.05, "mom": 0.9, "sqr_mom": 0.99, "eps": 1e-5, "wd": 0.01},
              hypers=({"lr": 0.01}, {"mom": 0.5, "sqr_mom": 0.9}, {"eps": 0.1, "mom": 0.0}), n_steps=25,
              stepper=stepper),
        _spec(_mixed_groups(62, big=True), ADAM_CBS, {"lr": 0.1, "mom": 0.8, "sqr_mom": 0.95, "eps": 1e-3, "wd": 0.0},
              hypers=({}, {"lr": 0.2}, {}), n_steps=20, stepper=stepper, wd_cb="l2_reg"),
        _spec(_flat_group(63), ADAM_CBS, {"lr": 0.01, "mom": 0.9, "sqr_mom": 0.99, "eps": 1e-5, "wd": 0.1},
              n_steps=15, flat=True, dtype="float32", stepper=stepper),
    ]


def _adam_direct_cases() -> list:
    return [{"lr": 0.05, "mom": 0.8, "sqr_mom": 0.9, "eps": 0.1, "step": 3, "wd": 0.01},
            {"lr": 0.1, "mom": 0.9, "sqr_mom": 0.99, "eps": 1e-5, "step": 1},
            {"lr": 0.2, "mom": 0.5, "sqr_mom": 0.95, "eps": 1e-3, "step": 12}]


@check(points=3, timeout=20)
def adam_step(adam_step: Callable) -> None:
    """Your `adam_step` moves each parameter by Adam's bias-corrected step, like the reference."""
    ref = _ref()
    p, g = _tensors(7, (2, 3)), _tensors(8, (2, 3))
    avg, sqr = _tensors(9, (2, 3), scale=0.3), _tensors(10, (2, 3), positive=True, scale=0.05)
    for kwargs in _adam_direct_cases():
        got, exp, called = _direct(adam_step, ref.adam_step, p, g, {"grad_avg": avg, "sqr_avg": sqr}, kwargs,
                                   "adam_step")
        _expect_none(got, called)
        for what in ("grad_avg", "sqr_avg", "grad"):
            _expect_untouched(got, exp, called, what, "The stepper reads the moving averages; they are the "
                                                      "optimizer's state and must stay as they are (correct a copy).")
        expect_close(got["p"], exp["p"], rtol=1e-10, atol=1e-13, called=called, summary="wrong parameter afterwards",
                     hint=_named_variant(got["p"], p, _adam_variants(p, kwargs["lr"], kwargs["mom"], kwargs["step"],
                                                                       kwargs["sqr_mom"], avg, sqr, kwargs["eps"]),
                                         _ADAM_VARIANT_HINTS,
                                         "Correct both averages for their bias towards zero, then step by lr times "
                                         "the corrected average over (the root of the corrected squares plus eps)."))
    for spec in _adam_runs("adam_step"):
        _compare_with_reference(adam_step, "adam_step", ref.adam_step, spec, _stepper_hint)


def _named_variant(got: Any, p: Any, variants: dict, hints: dict, default: str) -> str:
    import torch
    if torch.allclose(got, p, rtol=0, atol=0):
        return ("The parameter did not move: change it in place (a new tensor bound to the name p never reaches "
                "the model).")
    for name, value in variants.items():
        if value is not None and torch.allclose(got, value, rtol=1e-10, atol=1e-13):
            return hints[name]
    return default


# ----------------------------------------------------------------------------------------------------------------
# 4. Weight decay: decoupled, and as L2 regularisation
# ----------------------------------------------------------------------------------------------------------------

def _wd_runs(role: str) -> list:
    hypers = ({"wd": 0.0}, {"wd": 0.3, "lr": 0.02}, {"do_wd": False})
    return [
        _spec(_mixed_groups(71), (role, "sgd_step"), {"lr": 0.1, "wd": 0.1}, hypers=hypers, n_steps=12),
        _spec(_mixed_groups(72), (role, "average_grad", "momentum_step"), {"lr": 0.05, "mom": 0.9, "wd": 0.05},
              hypers=({}, {"wd": 0.5}, {"do_wd": False}), n_steps=20),
        _spec(_mixed_groups(73), ADAM_CBS, {"lr": 0.03, "mom": 0.9, "sqr_mom": 0.99, "eps": 1e-5, "wd": 0.1},
              hypers=hypers, n_steps=20, wd_cb=role),
        _spec(_flat_group(74), (role, "average_grad", "momentum_step"), {"lr": 0.1, "mom": 0.9, "wd": 0.2},
              n_steps=10, flat=True, dtype="float32"),
    ]


def _wd_direct(student: Callable, ref_fn: Callable, name: str, hint_fn: Callable, order: tuple) -> None:
    p, g = _tensors(11, (4,)), _tensors(12, (4,))
    for kwargs in ({"lr": 0.1, "wd": 0.2}, {"lr": 0.01, "wd": 0.5, "mom": 0.9}, {"lr": 0.1, "wd": 0.2, "do_wd": False},
                   {"lr": 0.1, "wd": 0.0}):
        got, exp, called = _direct(student, ref_fn, p, g, {}, kwargs, name)
        _expect_none(got, called)
        for what in order:
            expect_close(got[what], exp[what], rtol=1e-12, atol=1e-14, called=called,
                         summary=f"wrong {'parameter' if what == 'p' else 'gradient p.grad'} afterwards",
                         hint=hint_fn(what, got, p, g, kwargs))


def _decoupled_hint(what: str, got: dict, p: Any, g: Any, kwargs: dict) -> str:
    import torch
    lr, wd = kwargs["lr"], kwargs["wd"]
    if what == "grad":
        return ("Decoupled weight decay leaves the gradient alone: it shrinks the weights themselves (adding to the "
                "gradient is L2 regularisation, the other function).")
    if not kwargs.get("do_wd", True) or wd == 0:
        return "With do_wd=False (or wd=0) the parameter is left exactly as it is."
    if torch.allclose(got["p"], p * (1 - wd)):
        return "The shrinking is scaled by the learning rate as well as by wd."
    if torch.allclose(got["p"], p):
        return "The parameter did not change: shrink it in place."
    return "Shrink the parameter towards zero by the factor one minus lr times wd."


def _l2_hint(what: str, got: dict, p: Any, g: Any, kwargs: dict) -> str:
    import torch
    wd = kwargs["wd"]
    if what == "p":
        return ("L2 regularisation leaves the parameter alone: it adds the gradient of the penalty to p.grad, and the "
                "steppers do the rest.")
    if not kwargs.get("do_wd", True) or wd == 0:
        return "With do_wd=False (or wd=0) the gradient is left exactly as it is."
    if torch.allclose(got["grad"], g):
        return "The gradient did not change: add to p.grad in place (the optimizer reads p.grad afterwards)."
    if torch.allclose(got["grad"], g - wd * p):
        return "The penalty's gradient is added, not subtracted: it pulls the weights towards zero."
    return "The penalty wd/2 * p**2 has gradient wd * p: add that to the gradient."


def _check_decay(student: Callable, name: str, hint_fn: Callable, order: tuple) -> None:
    ref = _ref()
    _wd_direct(student, getattr(ref, name), name, hint_fn, order)
    for spec in _wd_runs(name):
        _compare_with_reference(student, name, getattr(ref, name), spec, _wd_hint)


@check(points=2, timeout=20)
def weight_decay(weight_decay: Callable) -> None:
    """Your `weight_decay` shrinks the weights (decoupled from the gradient) like the reference."""
    _check_decay(weight_decay, "weight_decay", _decoupled_hint, ("grad", "p"))  # it must leave the gradient alone


@check(points=1, timeout=20)
def l2_reg(l2_reg: Callable) -> None:
    """Your `l2_reg` adds the L2 penalty's gradient to p.grad like the reference."""
    _check_decay(l2_reg, "l2_reg", _l2_hint, ("p", "grad"))  # it must leave the parameter alone


def _wd_hint(k: Any, i: Any, q: Any, group: Any, got: dict, exp: dict, kind: str, **_: Any) -> str:
    if kind == "state":
        return "Weight decay keeps no state: the statistics after it must come out as in the reference."
    generic = _generic_hint(k, i, q, group, exp)
    if generic:
        return generic
    if q.get("zero"):
        return "Weight decay applies whatever the gradient is, also when the gradient is zero."
    return ("Each group has its own wd (and do_wd): wd=0 or do_wd=False leaves that group's weights undecayed; "
            "otherwise the decay is scaled as the statement says.")


# ----------------------------------------------------------------------------------------------------------------
# 5. Adam: assembling the callbacks (AdamW or Adam with L2)
# ----------------------------------------------------------------------------------------------------------------

def _adam_maker_runs() -> list:
    return [
        {"groups": _flat_group(81), "flat": True, "kwargs": {"lr": 0.01}, "n_steps": 15, "dtype": "float64"},
        {"groups": _mixed_groups(82), "kwargs": {"lr": 0.05, "wd": 0.2}, "n_steps": 20, "dtype": "float64",
         "hypers": [{}, {"lr": 0.01}, {"do_wd": False}]},
        {"groups": _mixed_groups(83), "kwargs": {"lr": 0.05, "wd": 0.2, "decouple_wd": False}, "n_steps": 20,
         "dtype": "float64", "hypers": [{"wd": 0.0}, {}, {}]},
        {"groups": _mixed_groups(84), "kwargs": {"lr": 0.02, "mom": 0.8, "sqr_mom": 0.9, "eps": 1e-3, "wd": 0.0,
                                                  "decouple_wd": True}, "n_steps": 15, "dtype": "float64"},
        {"groups": _flat_group(85), "flat": True, "kwargs": {"lr": 0.03, "decouple_wd": False}, "n_steps": 10,
         "dtype": "float32"},
    ]


@check(points=2, timeout=20)
def adam(Adam: Callable) -> None:
    """Your `Adam(params, lr, ...)` builds the reference Optimizer with Adam's callbacks and hyper-parameters."""
    ref = _ref()
    for spec in _adam_maker_runs():
        got, exp, called = _run_both(Adam, "maker", ref.Adam, spec)
        if got.get("kind") != exp["kind"]:
            fail("wrong kind of result", called=called, expected="<a fastlayers.training Optimizer>",
                 got=f"<a {got.get('kind')}>",
                 hint="Return the reference library's Optimizer (ref.Optimizer) built with Adam's callbacks.")
        base = [dict(h) for h in got["hypers"]] if isinstance(got.get("hypers"), list) else got.get("hypers")
        expect_equal(base, exp["hypers"], called=called,
                     summary="wrong hyper-parameters of the optimizer as built (one dict per group)",
                     hint="The optimizer's defaults are exactly lr, mom, sqr_mom, eps and wd, with the values given "
                          "(decouple_wd chooses a callback; it is not a hyper-parameter).")
        compare_runs(got, exp, spec, called, _adam_maker_hint)


_MAKER_MISTAKES = {
    "flag inverted": "decouple_wd=True asks for decoupled weight decay (AdamW: the weights themselves shrink); "
                     "decouple_wd=False for L2 regularisation (added to the gradient).",
    "no dampening": "Adam's average of the gradients is dampened (each new gradient weighted by one minus mom), "
                    "like its average of the squares: that is what the bias correction assumes.",
    "decay after the statistics": "The weight decay runs before the statistics: with L2, the averages must be "
                                  "computed from the gradient that includes the penalty.",
    "decay after the step": "The weight decay runs first, before the statistics and the step, not after the step.",
}


def _adam_variant(mistake: str, params: Any, lr: float, mom: float = 0.9, sqr_mom: float = 0.99, eps: float = 1e-5,
                  wd: float = 0.01, decouple_wd: bool = True) -> Any:
    """Adam assembled with one of the usual mistakes (run by the grader, to name the mistake a run shows)."""
    ref = _ref()
    decay = ref.weight_decay if decouple_wd != (mistake == "flag inverted") else ref.l2_reg
    avg = ref.average_grad if mistake == "no dampening" else partial(ref.average_grad, dampening=True)
    stats = [avg, ref.average_sqr_grad, ref.step_stat]
    cbs = {"decay after the statistics": [*stats, decay, ref.adam_step],
           "decay after the step": [*stats, ref.adam_step, decay]}.get(mistake, [decay, *stats, ref.adam_step])
    return ref.Optimizer(params, cbs, lr=lr, mom=mom, sqr_mom=sqr_mom, eps=eps, wd=wd)


def _adam_maker_hint(k: Any, i: Any, q: Any, group: Any, got: dict, exp: dict, kind: str, spec: dict) -> str:
    if kind == "state":
        return ("Each parameter's state holds the two dampened moving averages and the step count, as the reference "
                "statistics leave them.")
    if kind == "grad":
        return ("With decouple_wd=False the L2 callback adds to the gradient, and it must do so first, before the "
                "statistics read it; with decoupled weight decay the gradient is left alone.")
    generic = _generic_hint(k, i, q, group, exp)
    if generic:
        return generic
    for mistake, text in _MAKER_MISTAKES.items():
        variant = probe(run_steps, partial(_adam_variant, mistake), "maker", spec)
        if first_difference([s["params"] for s in got["steps"]], [s["params"] for s in variant["steps"]],
                            rtol=TOL[spec["dtype"]][0], atol=TOL[spec["dtype"]][1]) is None:
            return text
    if spec["kwargs"].get("decouple_wd", True):
        return ("AdamW shrinks the weights directly, first, then the statistics (the gradient average with "
                "dampening, the squared average, the step count) and Adam's step, in that order.")
    return ("Adam with L2 adds wd * p to the gradient first, so the averages see it; then the statistics (gradient "
            "average with dampening, squared average, step count) and Adam's step, in that order.")


# ----------------------------------------------------------------------------------------------------------------
# 6. LAMB's trust ratio
# ----------------------------------------------------------------------------------------------------------------

def _lamb_groups(seed: int) -> list:
    rng = random.Random(seed)
    return [
        [_param(rng, "w", (3, 4)), _param(rng, "z", (3,), zeros=True),
         _param(rng, "big", (2, 2), scale=40.0, quartic=0.0)],
        [_param(rng, "small", (5,), scale=0.02, quartic=0.0), _param(rng, "still", (2,), zeros=True, zero=True),
         _param(rng, "a", (2,), frozen=True), _param(rng, "c", (3,), every=2, offset=1)],
    ]


def _lamb_runs() -> list:
    return [
        _spec(_lamb_groups(91), ADAM_CBS, {"lr": 0.01, "mom": 0.9, "sqr_mom": 0.99, "eps": 1e-5, "wd": 0.0},
              hypers=({}, {"lr": 0.05, "mom": 0.8}), n_steps=20, stepper="lamb_step"),
        _spec(_lamb_groups(92), ADAM_CBS, {"lr": 0.02, "mom": 0.9, "sqr_mom": 0.95, "eps": 1e-3, "wd": 0.05},
              hypers=({"eps": 0.1}, {}), n_steps=15, stepper="lamb_step"),
        _spec(_flat_group(93), ADAM_CBS, {"lr": 0.01, "mom": 0.9, "sqr_mom": 0.99, "eps": 1e-5, "wd": 0.0},
              n_steps=10, flat=True, dtype="float32", stepper="lamb_step"),
    ]


def _lamb_variants(p: Any, lr: float, mom: float, step: int, sqr_mom: float, grad_avg: Any, sqr_avg: Any,
                   eps: float) -> dict:
    """What common misreadings of LAMB's step give (for naming the mistake)."""
    import torch
    u = (grad_avg / (1 - mom ** step)) / ((sqr_avg / (1 - sqr_mom ** step)).sqrt() + eps)
    r1, r2 = float(p.norm()), float(u.norm())
    ratio = r1 / r2 if r1 and r2 else 1.0
    plain = grad_avg / (sqr_avg.sqrt() + eps)
    return {
        "no cap": p - lr * ratio * u,
        "ratio inverted": p - lr * min(r2 / r1 if r1 and r2 else 1.0, 10.0) * u,
        "ratio of the gradient, not the step": p - lr * min(r1 / float(grad_avg.norm()), 10.0) * u,
        "no trust ratio": p - lr * u,
        "no bias correction": p - lr * min(float(p.norm()) / float(plain.norm()), 10.0) * plain,
        "norm per row": p - lr * torch.clamp(p.norm(dim=-1, keepdim=True) / u.norm(dim=-1, keepdim=True),
                                             max=10.0) * u if p.dim() > 1 else None,
    }


_LAMB_VARIANT_HINTS = {
    "no cap": "The trust ratio is capped: never more than 10.",
    "ratio inverted": "The trust ratio is the weights' norm over the step's norm: big weights may take big steps.",
    "ratio of the gradient, not the step": "The ratio compares the weights with the Adam step (the corrected average "
                                           "over the root of the corrected squares plus eps), not with the gradient.",
    "no trust ratio": "That is Adam's step: LAMB scales it by the trust ratio of the parameter.",
    "no bias correction": "The step inside LAMB is Adam's, bias-corrected as in part 3 (both averages).",
    "norm per row": "Each norm is taken over the whole parameter tensor (all its elements), not per row.",
}


@check(points=2, timeout=20)
def lamb_step(lamb_step: Callable) -> None:
    """Your `lamb_step` scales Adam's step by the trust ratio of each parameter, like the reference."""
    ref = _ref()
    import torch
    avg, sqr = _tensors(13, (3, 4), scale=0.3), _tensors(14, (3, 4), positive=True, scale=0.05)
    cases = [("a (3, 4) parameter", _tensors(15, (3, 4)), {"lr": 0.1, "mom": 0.8, "sqr_mom": 0.9, "eps": 0.1,
                                                           "step": 3}),
             ("a parameter with a large norm (the ratio is capped)", _tensors(16, (3, 4), scale=50.0),
              {"lr": 0.01, "mom": 0.9, "sqr_mom": 0.99, "eps": 1e-5, "step": 5}),
             ("a parameter of zeros", torch.zeros(3, 4, dtype=torch.float64),
              {"lr": 0.1, "mom": 0.8, "sqr_mom": 0.9, "eps": 1e-3, "step": 1, "wd": 0.0})]
    for label, p, kwargs in cases:
        got, exp, called = _direct(lamb_step, ref.lamb_step, p, _tensors(17, (3, 4)),
                                   {"grad_avg": avg, "sqr_avg": sqr}, kwargs, "lamb_step")
        called += f", on {label}"
        _expect_none(got, called)
        for what in ("grad_avg", "sqr_avg", "grad"):
            _expect_untouched(got, exp, called, what, "The stepper reads the moving averages; they are the "
                                                      "optimizer's state and must stay as they are.")
        zero_hint = "When either norm is zero, the ratio is 1 (a parameter of zeros must still be able to move)."
        if not bool(torch.isfinite(got["p"]).all()):
            fail("the parameter became nan or inf", called=called, expected=exp["p"], got=got["p"], hint=zero_hint)
        hint = zero_hint if not bool(p.abs().sum()) else \
            _named_variant(got["p"], p, _lamb_variants(p, kwargs["lr"], kwargs["mom"], kwargs["step"],
                                                         kwargs["sqr_mom"], avg, sqr, kwargs["eps"]),
                           _LAMB_VARIANT_HINTS, "Scale the Adam step by min(norm of the weights / norm of the step, "
                                                "10), both norms over the whole tensor, before moving the parameter.")
        expect_close(got["p"], exp["p"], rtol=1e-10, atol=1e-13, called=called, summary="wrong parameter afterwards",
                     hint=hint)
    for spec in _lamb_runs():
        _compare_with_reference(lamb_step, "lamb_step", ref.lamb_step, spec, _lamb_hint)


def _lamb_hint(k: Any, i: Any, q: Any, group: Any, got: dict, exp: dict, kind: str, **_: Any) -> str:
    if kind != "param":
        return _stepper_hint(k, i, q, group, got, exp, kind)
    generic = _generic_hint(k, i, q, group, exp)
    if generic:
        return generic
    if q["name"] in ("z", "still"):
        return "This parameter starts at zero: when either norm is zero, the trust ratio is 1."
    if q["name"] == "big":
        return "This parameter's norm is far larger than its step's: the trust ratio is capped at 10."
    return ("The trust ratio is computed for each parameter tensor on its own, from the weights before the step and "
            "the bias-corrected Adam step.")
