"""Plausible wrong implementations for exercise 06 (schedules): each must fail at least one check."""
from tests.mutants import Mutant

MUTANTS = [
    Mutant("sched_cos is linear", "sched_cos_solution", '''
def sched_cos(start, end, pos):
    return start + pos * (end - start)
'''),
    Mutant("sched_cos runs backwards", "sched_cos_solution", '''
def sched_cos(start, end, pos):
    return start + (1 + math.cos(math.pi * pos)) * (end - start) / 2
'''),
    Mutant("sched_cos uses a full cosine period", "sched_cos_solution", '''
def sched_cos(start, end, pos):
    return start + (1 - math.cos(2 * math.pi * pos)) * (end - start) / 2
'''),
    Mutant("combine_scheds passes the overall position", "combine_scheds_solution", '''
def combine_scheds(pcts, scheds):
    bounds = [0.0]
    for p in pcts:
        bounds.append(bounds[-1] + p)
    def _inner(pos):
        idx = 0
        while idx < len(scheds) - 1 and pos >= bounds[idx + 1]:
            idx += 1
        return scheds[idx](pos)
    return _inner
'''),
    Mutant("combine_scheds gives a boundary to the earlier segment", "combine_scheds_solution", '''
def combine_scheds(pcts, scheds):
    bounds = [0.0]
    for p in pcts:
        bounds.append(bounds[-1] + p)
    def _inner(pos):
        idx = 0
        while idx < len(scheds) - 1 and pos > bounds[idx + 1]:
            idx += 1
        return scheds[idx]((pos - bounds[idx]) / (bounds[idx + 1] - bounds[idx]))
    return _inner
'''),
    Mutant("combine_scheds treats pcts as bounds, not shares", "combine_scheds_solution", '''
def combine_scheds(pcts, scheds):
    bounds = [0.0] + list(pcts)
    def _inner(pos):
        idx = 0
        while idx < len(scheds) - 1 and pos >= bounds[idx + 1]:
            idx += 1
        return scheds[idx]((pos - bounds[idx]) / (bounds[idx + 1] - bounds[idx]))
    return _inner
'''),
    Mutant("one cycle: momentum in the same direction as the lr", "one_cycle_scheds_solution", '''
def one_cycle_scheds(lr_max, div=25., div_final=1e5, pct_start=0.25, moms=(0.95, 0.85, 0.95)):
    def two_phase(start, middle, end):
        return ref.combine_scheds([pct_start, 1 - pct_start],
                                  [partial(ref.sched_cos, start, middle), partial(ref.sched_cos, middle, end)])
    return {'lr': two_phase(lr_max / div, lr_max, lr_max / div_final),
            'mom': two_phase(moms[1], moms[0], moms[1])}
'''),
    Mutant("one cycle: ends at lr_max/div", "one_cycle_scheds_solution", '''
def one_cycle_scheds(lr_max, div=25., div_final=1e5, pct_start=0.25, moms=(0.95, 0.85, 0.95)):
    def two_phase(start, middle, end):
        return ref.combine_scheds([pct_start, 1 - pct_start],
                                  [partial(ref.sched_cos, start, middle), partial(ref.sched_cos, middle, end)])
    return {'lr': two_phase(lr_max / div, lr_max, lr_max / div), 'mom': two_phase(*moms)}
'''),
    Mutant("one cycle: phases swapped (pct_start read as the share of the second phase)", "one_cycle_scheds_solution", '''
def one_cycle_scheds(lr_max, div=25., div_final=1e5, pct_start=0.25, moms=(0.95, 0.85, 0.95)):
    def two_phase(start, middle, end):
        return ref.combine_scheds([1 - pct_start, pct_start],
                                  [partial(ref.sched_cos, start, middle), partial(ref.sched_cos, middle, end)])
    return {'lr': two_phase(lr_max / div, lr_max, lr_max / div_final), 'mom': two_phase(*moms)}
'''),
]

MUTANTS += [
    Mutant("ParamScheduler: position within the epoch (iter/n_iter)", "param_scheduler_solution", '''
class ParamScheduler(Callback):
    order = 60
    def __init__(self, scheds):
        self.scheds = scheds
    def before_batch(self):
        if not self.learn.training:
            return
        for name, sched in self.scheds.items():
            self.learn.opt.set_hyper(name, sched(self.learn.iter / self.learn.n_iter))
'''),
    Mutant("ParamScheduler: position measured in epochs", "param_scheduler_solution", '''
class ParamScheduler(Callback):
    order = 60
    def __init__(self, scheds):
        self.scheds = scheds
    def before_batch(self):
        if not self.learn.training:
            return
        for name, sched in self.scheds.items():
            self.learn.opt.set_hyper(name, sched(self.learn.epoch / self.learn.n_epoch))
'''),
    Mutant("ParamScheduler: sets the values after the batch", "param_scheduler_solution", '''
class ParamScheduler(Callback):
    order = 60
    def __init__(self, scheds):
        self.scheds = scheds
    def after_batch(self):
        if not self.learn.training:
            return
        for name, sched in self.scheds.items():
            self.learn.opt.set_hyper(name, sched(self.learn.pct_train))
'''),
    Mutant("ParamScheduler: also runs during validation", "param_scheduler_solution", '''
class ParamScheduler(Callback):
    order = 60
    def __init__(self, scheds):
        self.scheds = scheds
    def before_batch(self):
        for name, sched in self.scheds.items():
            self.learn.opt.set_hyper(name, sched(self.learn.pct_train))
'''),
    Mutant("ParamScheduler: only schedules the lr", "param_scheduler_solution", '''
class ParamScheduler(Callback):
    order = 60
    def __init__(self, scheds):
        self.scheds = scheds
    def before_batch(self):
        if not self.learn.training:
            return
        for name, sched in self.scheds.items():
            self.learn.opt.set_hyper('lr', sched(self.learn.pct_train))
'''),
]

_VALLEY = '''
def valley(lrs, losses, num_it):
    n = len(losses)
    run = [1] * n
    for i in range(1, n):
        for j in RANGE:
            if losses[j] > losses[i]:
                run[i] = max(run[i], run[j] + 1)
    end = max(range(n), key=lambda i: (run[i], -i))
    start = END_TO_START
    length = end - start
    idx = INDEX
    return float(lrs[idx]), (float(lrs[idx]), float(losses[idx]))
'''


def _valley(rng="range(i)", start="end - run[end]", index="start + int(length / 3) + int(length / 3 / 2)"):
    return _VALLEY.replace("RANGE", rng).replace("END_TO_START", start).replace("INDEX", index)


MUTANTS += [
    Mutant("valley: only neighbouring points count (contiguous runs)", "valley_solution", _valley(rng="[i - 1]")),
    Mutant("valley: start off by one", "valley_solution", _valley(start="end - run[end] + 1")),
    Mutant("valley: the middle of the stretch", "valley_solution", _valley(index="start + length // 2")),
    Mutant("valley: lr at the lowest loss", "valley_solution", '''
def valley(lrs, losses, num_it):
    idx = int(losses.argmin())
    return float(lrs[idx]), (float(lrs[idx]), float(losses[idx]))
'''),
    Mutant("valley: the last point with the longest run", "valley_solution", _valley().replace(
        "key=lambda i: (run[i], -i)", "key=lambda i: (run[i], i)")),
]

# New kinds: types held to the statement, state and mutation of inputs, parameter groups, ties, edge positions.
_ONE_CYCLE_HEAD = '''
def one_cycle_scheds(lr_max, div=25., div_final=1e5, pct_start=0.25, moms=(0.95, 0.85, 0.95)):
    def two_phase(start, middle, end, f=ref.sched_cos, pct=pct_start):
        return ref.combine_scheds([pct, 1 - pct], [partial(f, start, middle), partial(f, middle, end)])
'''
_SCHEDULER_HEAD = '''
class ParamScheduler(Callback):
    order = 60
    def __init__(self, scheds):
        self.scheds = scheds
    def before_batch(self):
        if not self.learn.training:
            return
'''

MUTANTS += [
    Mutant("sched_cos returns a 0-d tensor", "sched_cos_solution", '''
def sched_cos(start, end, pos):
    return start + (1 + torch.cos(torch.tensor(math.pi * (1 - pos)))) * (end - start) / 2
'''),
    Mutant("sched_cos returns a float32 numpy number", "sched_cos_solution", '''
import numpy as np
def sched_cos(start, end, pos):
    return np.float32(start + (1 + math.cos(math.pi * (1 - pos))) * (end - start) / 2)
'''),
    Mutant("sched_cos reads pos in degrees", "sched_cos_solution", '''
def sched_cos(start, end, pos):
    return start + (1 + math.cos(math.radians(180 * (1 - pos)) * 1.0001)) * (end - start) / 2
'''),
    Mutant("sched_cos scales by end, not end - start", "sched_cos_solution", '''
def sched_cos(start, end, pos):
    return start + (1 + math.cos(math.pi * (1 - pos))) * end / 2
'''),
    Mutant("combine_scheds appends to the caller's pcts", "combine_scheds_solution", '''
def combine_scheds(pcts, scheds):
    pcts.append(0.0)
    bounds = [0.0]
    for p in pcts:
        bounds.append(bounds[-1] + p)
    def _inner(pos):
        idx = 0
        while idx < len(scheds) - 1 and pos >= bounds[idx + 1]:
            idx += 1
        return scheds[idx](min((pos - bounds[idx]) / (bounds[idx + 1] - bounds[idx]), 1.0))
    return _inner
'''),
    Mutant("combine_scheds returns a value, not a function", "combine_scheds_solution", '''
def combine_scheds(pcts, scheds):
    return scheds[0](0.0)
'''),
    Mutant("combine_scheds assumes equal shares", "combine_scheds_solution", '''
def combine_scheds(pcts, scheds):
    def _inner(pos):
        idx = min(int(pos * len(scheds)), len(scheds) - 1)
        return scheds[idx](min(pos * len(scheds) - idx, 1.0))
    return _inner
'''),
    Mutant("combine_scheds returns numpy float32 values", "combine_scheds_solution", '''
import numpy as np
def combine_scheds(pcts, scheds):
    bounds = np.cumsum([0.0] + list(pcts))
    def _inner(pos):
        idx = 0
        while idx < len(scheds) - 1 and pos >= bounds[idx + 1]:
            idx += 1
        return np.float32(scheds[idx](min((pos - bounds[idx]) / (bounds[idx + 1] - bounds[idx]), 1.0)))
    return _inner
'''),
    Mutant("combine_scheds past the last bound gives the first schedule", "combine_scheds_solution", '''
def combine_scheds(pcts, scheds):
    bounds = [0.0]
    for p in pcts:
        bounds.append(bounds[-1] + p)
    def _inner(pos):
        for idx in range(len(scheds)):
            if bounds[idx] <= pos < bounds[idx + 1]:
                return scheds[idx]((pos - bounds[idx]) / (bounds[idx + 1] - bounds[idx]))
        return scheds[0](1.0)
    return _inner
'''),
    Mutant("one cycle: div and div_final swapped", "one_cycle_scheds_solution", _ONE_CYCLE_HEAD + '''
    return {'lr': two_phase(lr_max / div_final, lr_max, lr_max / div), 'mom': two_phase(*moms)}
'''),
    Mutant("one cycle: pct_start ignored (always a quarter)", "one_cycle_scheds_solution", _ONE_CYCLE_HEAD + '''
    return {'lr': two_phase(lr_max / div, lr_max, lr_max / div_final, pct=0.25), 'mom': two_phase(*moms, pct=0.25)}
'''),
    Mutant("one cycle: straight lines instead of cosines", "one_cycle_scheds_solution", _ONE_CYCLE_HEAD + '''
    return {'lr': two_phase(lr_max / div, lr_max, lr_max / div_final, f=ref.sched_lin),
            'mom': two_phase(*moms, f=ref.sched_lin)}
'''),
    Mutant("one cycle: momentum ends at moms[0]", "one_cycle_scheds_solution", _ONE_CYCLE_HEAD + '''
    return {'lr': two_phase(lr_max / div, lr_max, lr_max / div_final), 'mom': two_phase(moms[0], moms[1], moms[0])}
'''),
    Mutant("one cycle: key named 'moms'", "one_cycle_scheds_solution", _ONE_CYCLE_HEAD + '''
    return {'lr': two_phase(lr_max / div, lr_max, lr_max / div_final), 'moms': two_phase(*moms)}
'''),
    Mutant("one cycle: the lr ends at 0", "one_cycle_scheds_solution", _ONE_CYCLE_HEAD + '''
    return {'lr': two_phase(lr_max / div, lr_max, 0.0), 'mom': two_phase(*moms)}
'''),
    Mutant("ParamScheduler: sets only the first parameter group", "param_scheduler_solution", _SCHEDULER_HEAD + '''
        for name, sched in self.scheds.items():
            self.learn.opt.hypers[0][name] = sched(self.learn.pct_train)
'''),
    Mutant("ParamScheduler: sets only the last parameter group", "param_scheduler_solution", _SCHEDULER_HEAD + '''
        for name, sched in self.scheds.items():
            self.learn.opt.hypers[-1][name] = sched(self.learn.pct_train)
'''),
    Mutant("ParamScheduler: pops each schedule it has used", "param_scheduler_solution", '''
class ParamScheduler(Callback):
    order = 60
    def __init__(self, scheds):
        self.scheds = scheds
    def before_fit(self):
        self.mine = {k: self.scheds.pop(k) for k in list(self.scheds)}
    def before_batch(self):
        if not self.learn.training:
            return
        for name, sched in self.mine.items():
            self.learn.opt.set_hyper(name, sched(self.learn.pct_train))
'''),
    Mutant("ParamScheduler: only the hyper-parameters the optimizer started with", "param_scheduler_solution",
           _SCHEDULER_HEAD + '''
        for name, sched in self.scheds.items():
            if name in ('lr', 'mom'):
                self.learn.opt.set_hyper(name, sched(self.learn.pct_train))
'''),
    Mutant("valley returns tensors", "valley_solution", '''
def valley(lrs, losses, num_it):
    n = len(losses)
    run = [1] * n
    for i in range(1, n):
        for j in range(i):
            if losses[j] > losses[i]:
                run[i] = max(run[i], run[j] + 1)
    end = max(range(n), key=lambda i: (run[i], -i))
    start = end - run[end]
    length = end - start
    idx = start + int(length / 3) + int(length / 3 / 2)
    return lrs[idx], (lrs[idx], losses[idx])
'''),
    Mutant("valley counts equal losses as a decrease", "valley_solution", '''
def valley(lrs, losses, num_it):
    n = len(losses)
    run = [1] * n
    for i in range(1, n):
        for j in range(i):
            if losses[j] >= losses[i]:
                run[i] = max(run[i], run[j] + 1)
    end = max(range(n), key=lambda i: (run[i], -i))
    start = end - run[end]
    length = end - start
    idx = start + int(length / 3) + int(length / 3 / 2)
    return float(lrs[idx]), (float(lrs[idx]), float(losses[idx]))
'''),
    Mutant("valley sorts the losses in place", "valley_solution", '''
def valley(lrs, losses, num_it):
    n = len(losses)
    run = [1] * n
    for i in range(1, n):
        for j in range(i):
            if losses[j] > losses[i]:
                run[i] = max(run[i], run[j] + 1)
    end = max(range(n), key=lambda i: (run[i], -i))
    start = end - run[end]
    length = end - start
    idx = start + int(length / 3) + int(length / 3 / 2)
    result = float(lrs[idx]), (float(lrs[idx]), float(losses[idx]))
    losses[:] = losses.sort().values  # tidy up for plotting
    return result
'''),
    Mutant("valley rounds the index instead of truncating each part", "valley_solution", '''
def valley(lrs, losses, num_it):
    n = len(losses)
    run = [1] * n
    for i in range(1, n):
        for j in range(i):
            if losses[j] > losses[i]:
                run[i] = max(run[i], run[j] + 1)
    end = max(range(n), key=lambda i: (run[i], -i))
    start = end - run[end]
    length = end - start
    idx = start + round(length / 2)
    return float(lrs[idx]), (float(lrs[idx]), float(losses[idx]))
'''),
]
