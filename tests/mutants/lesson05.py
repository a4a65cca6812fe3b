"""Plausible wrong implementations for exercise 05 (optimizers): each must fail at least one check."""
from tests.mutants import Mutant

_INIT = '''
class Optimizer:
    def __init__(self, params, cbs, **defaults):
        params = list(params)
        if not params:
            raise ValueError("the optimizer got no parameters")
        self.param_lists = [params] if isinstance(params[0], torch.Tensor) else [list(g) for g in params]
        self.hypers = [dict(defaults) for _ in self.param_lists]
        self.cbs = list(cbs)
        self.state = {}
'''

_ALL = '''
    def all_params(self, with_grad=False):
        return [(p, hyper) for group, hyper in zip(self.param_lists, self.hypers)
                for p in group if not with_grad or p.grad is not None]
'''

_ZERO = '''
    def zero_grad(self):
        for p, _ in self.all_params():
            p.grad = None
'''

_STEP = '''
    def step(self):
        with torch.no_grad():
            for p, hyper in self.all_params(with_grad=True):
                state = self.state.setdefault(p, {})
                for cb in self.cbs:
                    new = cb(p, **{**state, **hyper})
                    if new:
                        state.update(new)
'''

_SET = '''
    def set_hyper(self, k, v):
        values = list(v) if isinstance(v, (list, tuple)) else [v] * len(self.hypers)
        if len(values) != len(self.hypers):
            raise ValueError(f"got {len(values)} values for {len(self.hypers)} parameter groups")
        for hyper, value in zip(self.hypers, values):
            hyper[k] = value
'''


def _edit(source: str, *changes: tuple[str, str]) -> str:
    """`source` with each (old, new) replaced; old must be there (a mutant is one mistake in the right code)."""
    for old, replacement in changes:
        if old not in source:
            raise ValueError(f"mutant edit: {old!r} is not in the source")
        source = source.replace(old, replacement)
    return source


def _opt(name: str, all_params: tuple = (), zero_grad: tuple = (), step: tuple = (), set_hyper: tuple = ()) -> Mutant:
    """The correct Optimizer cell with (old, new) edits in the named methods."""
    return Mutant(name, "optimizer_solution", _INIT + _edit(_ALL, *all_params) + _edit(_ZERO, *zero_grad) +
                  _edit(_STEP, *step) + _edit(_SET, *set_hyper))


_SET_LOOP = ("        for hyper, value in zip(self.hypers, values):\n            hyper[k] = value\n", "")

MUTANTS = [
    # ---- 1. the generic optimizer: the step loop, all_params, zero_grad
    _opt("step: gradient tracking left on", step=[("with torch.no_grad():", "if True:")]),
    _opt("all_params: with_grad tests requires_grad instead of the gradient",
         all_params=[("p.grad is not None", "p.requires_grad")]),
    _opt("all_params: leaves out the last group", all_params=[("zip(self.param_lists,", "zip(self.param_lists[:-1],")]),
    _opt("zero_grad: fills gradients with zeros",
         zero_grad=[("self.all_params()", "self.all_params(with_grad=True)"), ("p.grad = None", "p.grad.zero_()")]),
    _opt("zero_grad: only the first group",
         zero_grad=[("for p, _ in self.all_params():", "for p in self.param_lists[0]:")]),
    _opt("step: every group uses the first group's hypers", step=[("**hyper}", "**self.hypers[0]}")]),
    _opt("step: one state dict shared by every parameter",
         step=[("state = self.state.setdefault(p, {})", "state = self.state")]),
    _opt("step: state replaced by the last statistic's dict instead of merged",
         step=[("state.update(new)", "state.clear()\n                        state.update(new)")]),
    _opt("step: state merged only after all callbacks ran",
         step=[("for cb in self.cbs:", "kw = {**state, **hyper}\n                for cb in self.cbs:"),
               ("cb(p, **{**state, **hyper})", "cb(p, **kw)")]),
    _opt("step: state never stored between steps",
         step=[("state = self.state.setdefault(p, {})", "state = dict(self.state.get(p, {}))")]),
    _opt("step: state keyed by the parameter's position",
         step=[("self.state.setdefault(p, {})", "self.state.setdefault([id(q) for q, _ in self.all_params()]"
                                                ".index(id(p)), {})")]),
    _opt("step: skips parameters whose gradient is all zeros",
         step=[("for cb in self.cbs:", "for cb in (self.cbs if p.grad.any() else []):")]),
    # ---- 1b. set_hyper
    _opt("set_hyper: a list is stored whole in every group",
         set_hyper=[("list(v) if isinstance(v, (list, tuple)) else [v] * len(self.hypers)", "[v] * len(self.hypers)")]),
    _opt("set_hyper: no length check (zip drops what does not fit)",
         set_hyper=[("len(values) != len(self.hypers)", "False")]),
    _opt("set_hyper: raises only after updating some groups",
         set_hyper=[_SET_LOOP, ("        if len(values) != len(self.hypers):",
                                "        for hyper, value in zip(self.hypers, values):\n            hyper[k] = value\n"
                                "        if len(values) != len(self.hypers):")]),
    _opt("set_hyper: anything with a length is one value per group (a string too)",
         set_hyper=[("isinstance(v, (list, tuple))", "hasattr(v, '__len__')")]),
    _opt("set_hyper: a message that does not say how many values and groups",
         set_hyper=[('f"got {len(values)} values for {len(self.hypers)} parameter groups"',
                     '"wrong number of values"')]),
    _opt("set_hyper: only changes names that exist already",
         set_hyper=[("            hyper[k] = value", "            if k in hyper:\n                hyper[k] = value")]),
]

# ---- 2. momentum
_MOMENTUM_STEP = '''
def momentum_step(p, lr, grad_avg, **kwargs):
    p.sub_(lr * grad_avg)
'''
_AVERAGE_GRAD = '''
def average_grad(p, mom, dampening=False, grad_avg=None, **kwargs):
    if grad_avg is None:
        grad_avg = torch.zeros_like(p)
    weight = 1 - mom if dampening else 1.0
    return {"grad_avg": grad_avg * mom + p.grad * weight}
'''


def _avg(name: str, *changes: tuple[str, str]) -> Mutant:
    return Mutant(name, "momentum_solution", _edit(_AVERAGE_GRAD, *changes) + _MOMENTUM_STEP)


def _mstep(name: str, *changes: tuple[str, str]) -> Mutant:
    return Mutant(name, "momentum_solution", _AVERAGE_GRAD + _edit(_MOMENTUM_STEP, *changes))


MUTANTS += [
    _avg("average_grad: dampening ignored", ("p.grad * weight", "p.grad")),
    _avg("average_grad: starts from the first gradient",
         ("grad_avg = torch.zeros_like(p)", 'return {"grad_avg": p.grad.clone()}')),
    _avg("average_grad: mom and its complement swapped",
         ("1 - mom if dampening", "mom if dampening"), ("grad_avg * mom", "grad_avg * (1 - mom)")),
    _avg("average_grad: scales the gradient in place", ("p.grad * weight", "p.grad.mul_(weight)")),
    _avg("average_grad: returns the tensor, not a dict", ('return {"grad_avg": grad_avg * mom + p.grad * weight}',
                                                         "return grad_avg * mom + p.grad * weight")),
    _avg("average_grad: starts from float32 zeros whatever the parameter",
         ("torch.zeros_like(p)", "torch.zeros(p.shape)"), ("grad_avg * mom + p.grad * weight",
                                                          "grad_avg.mul_(mom).add_(p.grad * weight)")),
    _avg("average_grad: no **kwargs", ("grad_avg=None, **kwargs)", "grad_avg=None)")),
    _mstep("momentum_step: a plain SGD step", ("lr * grad_avg", "lr * p.grad")),
    _mstep("momentum_step: rebinds p instead of changing it", ("p.sub_(lr * grad_avg)", "p = p - lr * grad_avg")),
    _mstep("momentum_step: scales the average in place", ("lr * grad_avg", "grad_avg.mul_(lr)")),
    _mstep("momentum_step: returns the parameter", ("    p.sub_(", "    return p.sub_(")),
]

# ---- 3. Adam's step
_ADAM = '''
def adam_step(p, lr, mom, step, sqr_mom, grad_avg, sqr_avg, eps, **kwargs):
    avg_hat = AVG
    sqr_hat = SQR
    p.sub_(lr * avg_hat / DENOM)
'''


def _adam(name: str, avg: str = "grad_avg / (1 - mom ** step)", sqr: str = "sqr_avg / (1 - sqr_mom ** step)",
          denom: str = "(sqr_hat.sqrt() + eps)") -> Mutant:
    return Mutant(name, "adam_step_solution", _ADAM.replace("AVG", avg).replace("SQR", sqr).replace("DENOM", denom))


MUTANTS += [
    _adam("adam_step: no bias correction", avg="grad_avg", sqr="sqr_avg"),
    _adam("adam_step: only the first moment corrected", sqr="sqr_avg"),
    _adam("adam_step: eps inside the square root", denom="(sqr_hat + eps).sqrt()"),
    _adam("adam_step: step counted from 0", avg="grad_avg / (1 - mom ** (step + 1))",
          sqr="sqr_avg / (1 - sqr_mom ** (step + 1))"),
    _adam("adam_step: corrects by one minus the momentum", avg="grad_avg / (1 - mom)", sqr="sqr_avg / (1 - sqr_mom)"),
    _adam("adam_step: corrects the state in place", avg="grad_avg.div_(1 - mom ** step)",
          sqr="sqr_avg.div_(1 - sqr_mom ** step)"),
]

# ---- 4. weight decay
_L2 = '''
def l2_reg(p, wd, do_wd=True, **kwargs):
    if do_wd and wd != 0:
        p.grad.add_(p * wd)
'''
_WD = '''
def weight_decay(p, lr, wd, do_wd=True, **kwargs):
    if do_wd and wd != 0:
        p.mul_(1 - lr * wd)
'''


def _wd(name: str, *changes: tuple[str, str]) -> Mutant:
    return Mutant(name, "weight_decay_solution", _edit(_WD, *changes) + _L2)


def _l2(name: str, *changes: tuple[str, str]) -> Mutant:
    return Mutant(name, "weight_decay_solution", _WD + _edit(_L2, *changes))


MUTANTS += [
    _wd("weight_decay: adds to the gradient (L2)", ("p.mul_(1 - lr * wd)", "p.grad.add_(p * wd)")),
    _wd("weight_decay: forgets the learning rate", ("1 - lr * wd", "1 - wd")),
    _wd("weight_decay: ignores do_wd", ("if do_wd and wd != 0:", "if wd != 0:")),
    _wd("weight_decay: rebinds p instead of changing it", ("p.mul_(1 - lr * wd)", "p = p * (1 - lr * wd)")),
    _l2("l2_reg: subtracts the penalty's gradient", ("p.grad.add_(", "p.grad.sub_(")),
    _l2("l2_reg: shrinks the weights instead", ("do_wd=True, **kwargs", "do_wd=True, lr=1.0, **kwargs"),
        ("p.grad.add_(p * wd)", "p.mul_(1 - lr * wd)")),
    _l2("l2_reg: decays the gradient instead of adding the weights", ("p * wd", "p.grad * wd")),
    _l2("l2_reg: ignores do_wd", ("if do_wd and wd != 0:", "if wd != 0:")),
]

# ---- 5. Adam assembled
_MAKER = '''
def Adam(params, lr, mom=0.9, sqr_mom=0.99, eps=1e-5, wd=0.01, decouple_wd=True):
    decay = ref.weight_decay if decouple_wd else ref.l2_reg
    cbs = CBS
    return ref.Optimizer(params, cbs, HYPERS)
'''
_CBS = "[decay, partial(ref.average_grad, dampening=True), ref.average_sqr_grad, ref.step_stat, ref.adam_step]"
_HYPERS = "lr=lr, mom=mom, sqr_mom=sqr_mom, eps=eps, wd=wd"


def _maker(name: str, cbs: str = _CBS, hypers: str = _HYPERS, decay: str = "") -> Mutant:
    source = _MAKER.replace("CBS", cbs).replace("HYPERS", hypers)
    if decay:
        source = source.replace("ref.weight_decay if decouple_wd else ref.l2_reg", decay)
    return Mutant(name, "adam_solution", source)


MUTANTS += [
    _maker("Adam: L2 after the statistics",
           cbs="[partial(ref.average_grad, dampening=True), ref.average_sqr_grad, ref.step_stat, decay, "
               "ref.adam_step]"),
    _maker("Adam: decoupled weight decay after the step",
           cbs="[partial(ref.average_grad, dampening=True), ref.average_sqr_grad, ref.step_stat, ref.adam_step, "
               "decay]"),
    _maker("Adam: decouple_wd read the wrong way round", decay="ref.l2_reg if decouple_wd else ref.weight_decay"),
    _maker("Adam: gradient average without dampening",
           cbs="[decay, ref.average_grad, ref.average_sqr_grad, ref.step_stat, ref.adam_step]"),
    _maker("Adam: decouple_wd kept as a hyper-parameter", hypers=_HYPERS + ", decouple_wd=decouple_wd"),
    _maker("Adam: torch's default eps instead of the one given", hypers="lr=lr, mom=mom, sqr_mom=sqr_mom, eps=1e-8, "
                                                                       "wd=wd"),
]

# ---- 6. LAMB
_LAMB = '''
def lamb_step(p, lr, mom, step, sqr_mom, grad_avg, sqr_avg, eps, **kwargs):
    u = U
    p_norm, u_norm = P_NORM, U_NORM
    trust = TRUST
    p.sub_(lr * trust * u)
'''


def _lamb(name: str, u: str = "(grad_avg / (1 - mom ** step)) / ((sqr_avg / (1 - sqr_mom ** step)).sqrt() + eps)",
          p_norm: str = "p.norm().item()", u_norm: str = "u.norm().item()",
          trust: str = "1.0 if p_norm == 0 or u_norm == 0 else min(p_norm / u_norm, 10.0)") -> Mutant:
    return Mutant(name, "lamb_step_solution", _LAMB.replace("U_NORM", u_norm).replace("P_NORM", p_norm)
                  .replace("TRUST", trust).replace("U", u, 1))


MUTANTS += [
    _lamb("lamb_step: ratio not capped", trust="1.0 if p_norm == 0 or u_norm == 0 else p_norm / u_norm"),
    _lamb("lamb_step: no guard for a zero norm", trust="min(p_norm / u_norm, 10.0)"),
    _lamb("lamb_step: ratio inverted", trust="1.0 if p_norm == 0 or u_norm == 0 else min(u_norm / p_norm, 10.0)"),
    _lamb("lamb_step: compares the weights with the gradient average",
          u_norm="grad_avg.norm().item()"),
    _lamb("lamb_step: no bias correction in the step", u="grad_avg / (sqr_avg.sqrt() + eps)"),
    _lamb("lamb_step: norms per row", p_norm="p.norm(dim=-1, keepdim=True)", u_norm="u.norm(dim=-1, keepdim=True)",
          trust="torch.where((p_norm == 0) | (u_norm == 0), torch.ones_like(p_norm), "
                "(p_norm / u_norm).clamp(max=10.0))"),
]
