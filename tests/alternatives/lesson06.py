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
