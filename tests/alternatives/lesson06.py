"""Correct solutions to exercise 06 written differently from solutions/: each must keep full marks."""

# grade_id of a solution cell -> alternative sources (each graded on its own, reference pieces around it)
ALTERNATIVES = {
    'sched_cos_solution': ['''
def sched_cos(start, end, pos):
    return end + (start - end) * (1 + math.cos(math.pi * pos)) / 2
'''],
    'combine_scheds_solution': ['''
import bisect, itertools

def combine_scheds(pcts, scheds):
    starts = list(itertools.accumulate([0.0] + list(pcts[:-1])))
    def f(pos):
        i = min(bisect.bisect_right(starts, pos) - 1, len(scheds) - 1)
        return scheds[i](min((pos - starts[i]) / pcts[i], 1.0))
    return f
'''],
    'param_scheduler_solution': ['''
class ParamScheduler(Callback):
    order, run_valid = 60, False

    def __init__(self, scheds):
        self.scheds = scheds

    def before_batch(self):
        pos = self.learn.pct_train
        self.learn.opt.set_hypers(**{k: f(pos) for k, f in self.scheds.items()})
'''],
    'valley_solution': ['''
def valley(lrs, losses, num_it):
    losses = losses.tolist()
    run = []  # run[i]: longest strictly decreasing subsequence ending at i
    for i, l_i in enumerate(losses):
        run.append(1 + max([run[j] for j in range(i) if losses[j] > l_i], default=0))
    end = run.index(max(run))
    start = end - run[end]
    third = (end - start) / 3
    idx = start + int(third) + int(third / 2)
    return float(lrs[idx]), (float(lrs[idx]), losses[idx])
'''],
}

# More ways to be right: numpy, a different formula, a loop over hypers, a vectorised valley.
ALTERNATIVES["sched_cos_solution"] += ['''
import numpy as np
def sched_cos(start, end, pos):
    return float(start + (end - start) * (1 - np.cos(np.pi * pos)) / 2)
''', '''
def sched_cos(start, end, pos):
    mid, half = (start + end) / 2, (start - end) / 2
    return mid + half * math.cos(math.pi * pos)
''']
ALTERNATIVES["combine_scheds_solution"] += ['''
def combine_scheds(pcts, scheds):
    edges, total = [], 0.0
    for p in pcts:
        edges.append((total, total + p))
        total += p
    def combined(pos):
        for (lo, hi), f in zip(edges, scheds):
            if pos < hi:
                return f((pos - lo) / (hi - lo))
        lo, hi = edges[-1]
        return scheds[-1](min((pos - lo) / (hi - lo), 1.0))
    return combined
''']
ALTERNATIVES["one_cycle_scheds_solution"] = ['''
def one_cycle_scheds(lr_max, div=25., div_final=1e5, pct_start=0.25, moms=(0.95, 0.85, 0.95)):
    pcts = [pct_start, 1 - pct_start]
    lr = ref.combine_scheds(pcts, [partial(ref.sched_cos, lr_max / div, lr_max),
                                   partial(ref.sched_cos, lr_max, lr_max / div_final)])
    mom = ref.combine_scheds(pcts, [partial(ref.sched_cos, moms[0], moms[1]),
                                    partial(ref.sched_cos, moms[1], moms[2])])
    return dict(lr=lr, mom=mom)
''', '''
def one_cycle_scheds(lr_max, div=25., div_final=1e5, pct_start=0.25, moms=(0.95, 0.85, 0.95)):
    points = {'lr': (lr_max / div, lr_max, lr_max / div_final), 'mom': tuple(moms)}
    return {name: ref.combined_cos(pct_start, *ends) for name, ends in points.items()}
''']
ALTERNATIVES["param_scheduler_solution"] += ['''
class ParamScheduler(Callback):
    order = 60

    def __init__(self, scheds):
        self.scheds = scheds

    def before_batch(self):
        if self.learn.training:
            for name in self.scheds:
                self.learn.opt.set_hyper(name, self.scheds[name](self.learn.pct_train))
''']
ALTERNATIVES["valley_solution"] += ['''
def valley(lrs, losses, num_it):
    x = losses.tolist()
    run = [1] * len(x)
    for i in range(len(x)):
        earlier = [run[j] for j in range(i) if x[j] > x[i]]
        if earlier:
            run[i] = max(earlier) + 1
    best = max(run)
    end = next(i for i, r in enumerate(run) if r == best)
    start = end - best
    idx = start + int((end - start) / 3) + int((end - start) / 6)
    return float(lrs[idx]), (float(lrs[idx]), float(x[idx]))
''']
