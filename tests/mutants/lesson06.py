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
