"""Correct solutions to exercise 05 written differently from solutions/: each must keep full marks."""

from tests.mutants.lesson05 import _INIT  # the Optimizer's given __init__, as the exercise has it

# grade_id of a solution cell -> alternative sources (each graded on its own, reference pieces around it)
ALTERNATIVES = {
    'optimizer_solution': [_INIT + '''
    def all_params(self, with_grad=False):
        for i, group in enumerate(self.param_lists):
            for p in group:
                if with_grad and p.grad is None:
                    continue
                yield p, self.hypers[i]

    def zero_grad(self):
        for group in self.param_lists:
            for p in group:
                p.grad = None

    @torch.no_grad()
    def step(self):
        for p, hyper in self.all_params(with_grad=True):
            if p not in self.state:
                self.state[p] = {}
            state = self.state[p]
            for cb in self.cbs:
                kw = dict(state)
                kw.update(hyper)
                result = cb(p, **kw)
                if result is not None:
                    state.update(result)

    def set_hyper(self, k, v):
        n = len(self.hypers)
        if isinstance(v, (list, tuple)):
            if len(v) != n:
                raise ValueError(f"set_hyper({k!r}): got {len(v)} values for {n} parameter groups")
            values = v
        else:
            values = [v for _ in range(n)]
        for i in range(n):
            self.hypers[i][k] = values[i]
''', _INIT + '''
    def all_params(self, with_grad=False):
        pairs = []
        for group, hyper in zip(self.param_lists, self.hypers):
            pairs += [(p, hyper) for p in group]
        return [(p, h) for p, h in pairs if p.grad is not None] if with_grad else pairs

    def zero_grad(self):
        for p, _ in self.all_params(with_grad=True):
            p.grad = None

    def step(self):
        prev = torch.is_grad_enabled()
        torch.set_grad_enabled(False)
        try:
            for p, hyper in self.all_params(with_grad=True):
                state = self.state.get(p, {})
                self.state[p] = state
                for cb in self.cbs:
                    state |= cb(p, **(state | hyper)) or {}
        finally:
            torch.set_grad_enabled(prev)

    def set_hyper(self, k, v):
        if not isinstance(v, (list, tuple)):
            v = [v] * len(self.hypers)
        elif len(v) != len(self.hypers):
            raise ValueError("got %d values for %d parameter groups" % (len(v), len(self.hypers)))
        self.hypers = [{**h, k: x} for h, x in zip(self.hypers, v)]
'''],
    'momentum_solution': ['''
def average_grad(p, mom, dampening=False, grad_avg=None, **kwargs):
    if grad_avg is None:
        grad_avg = torch.zeros_like(p)
    grad_avg.mul_(mom).add_(p.grad, alpha=(1 - mom) if dampening else 1)
    return {"grad_avg": grad_avg}


def momentum_step(p, lr, grad_avg, **kwargs):
    p.add_(grad_avg, alpha=-lr)
''', '''
def average_grad(p, mom, dampening=False, grad_avg=None, **kwargs):
    old = torch.zeros_like(p.grad) if grad_avg is None else grad_avg
    if dampening:
        new = torch.lerp(old, p.grad, 1 - mom)  # old + (1 - mom) * (grad - old)
    else:
        new = mom * old + p.grad
    return dict(grad_avg=new)


def momentum_step(p, lr, grad_avg, **kwargs):
    p.data -= lr * grad_avg
'''],
    'adam_step_solution': ['''
def adam_step(p, lr, mom, step, sqr_mom, grad_avg, sqr_avg, eps, **kwargs):
    denom = (sqr_avg / (1 - sqr_mom ** step)).sqrt().add_(eps)
    p.addcdiv_(grad_avg, denom, value=-lr / (1 - mom ** step))
''', '''
def adam_step(p, lr, mom, step, sqr_mom, grad_avg, sqr_avg, eps, **kwargs):
    # the bias corrections folded into one step size (Kingma and Ba's "more efficient" ordering)
    c2 = math.sqrt(1 - sqr_mom ** step)
    step_size = lr * c2 / (1 - mom ** step)
    p.sub_(step_size * grad_avg / (torch.sqrt(sqr_avg) + eps * c2))
'''],
    'weight_decay_solution': ['''
def weight_decay(p, lr, wd, do_wd=True, **kwargs):
    if do_wd:
        p.sub_(lr * wd * p)


def l2_reg(p, wd, do_wd=True, **kwargs):
    if do_wd:
        p.grad += wd * p
''', '''
def weight_decay(p, lr, wd, do_wd=True, **kwargs):
    if not do_wd or not wd:
        return None
    p.data.mul_(1 - lr * wd)


def l2_reg(p, wd, do_wd=True, **kwargs):
    if not do_wd or not wd:
        return None
    p.grad = p.grad + wd * p.detach()
'''],
    'adam_solution': ['''
def Adam(params, lr, mom=0.9, sqr_mom=0.99, eps=1e-5, wd=0.01, decouple_wd=True):
    cbs = []
    if decouple_wd:
        cbs.append(ref.weight_decay)
    else:
        cbs.append(ref.l2_reg)
    cbs += [ref.step_stat, ref.average_sqr_grad, partial(ref.average_grad, dampening=True)]
    cbs.append(ref.adam_step)
    hypers = dict(lr=lr, mom=mom, sqr_mom=sqr_mom, eps=eps, wd=wd)
    return ref.Optimizer(params, cbs, **hypers)
''', '''
def Adam(params, lr, mom=0.9, sqr_mom=0.99, eps=1e-5, wd=0.01, decouple_wd=True):
    dampened = lambda p, **kw: ref.average_grad(p, **{**kw, "dampening": True})
    stats = (dampened, ref.average_sqr_grad, ref.step_stat)
    return ref.Optimizer(list(params), [(ref.weight_decay, ref.l2_reg)[not decouple_wd], *stats, ref.adam_step],
                         lr=lr, mom=mom, sqr_mom=sqr_mom, eps=eps, wd=wd)
'''],
    'lamb_step_solution': ['''
def lamb_step(p, lr, mom, step, sqr_mom, grad_avg, sqr_avg, eps, **kwargs):
    avg_hat = grad_avg / (1 - mom ** step)
    sqr_hat = sqr_avg / (1 - sqr_mom ** step)
    u = avg_hat / (sqr_hat.sqrt() + eps)
    r1, r2 = torch.linalg.vector_norm(p), torch.linalg.vector_norm(u)
    ratio = torch.where((r1 > 0) & (r2 > 0), (r1 / r2).clamp(max=10.0), torch.ones_like(r1))
    p.sub_(lr * ratio * u)
''', '''
def lamb_step(p, lr, mom, step, sqr_mom, grad_avg, sqr_avg, eps, **kwargs):
    u = grad_avg / (1 - mom ** step) / (torch.sqrt(sqr_avg / (1 - sqr_mom ** step)) + eps)
    weights = math.sqrt(float((p * p).sum()))
    update = math.sqrt(float((u * u).sum()))
    trust = min(weights / update, 10.0) if weights > 0 and update > 0 else 1.0
    p.add_(u, alpha=-lr * trust)
'''],
}
