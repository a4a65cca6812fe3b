"""Correct solutions to exercise 00 written differently from solutions/: each must keep full marks."""

# grade_id of a solution cell -> alternative sources (each graded on its own)
ALTERNATIVES = {
    'square_solution': ['''
def square(x):
    return x ** 2
''', '''
def square(x):
    return pow(x, 2)
'''],
    'evens_solution': ['''
def evens(xs):
    return list(filter(lambda x: x % 2 == 0, xs))
''', '''
def evens(xs):
    out = []
    for x in xs:
        if not x & 1:
            out.append(x)
    return out
'''],
    'check_probability_solution': ['''
def check_probability(p):
    p = float(p)
    if 0.0 <= p <= 1.0:
        return p
    raise ValueError(f"{p} is not a probability: it must lie in [0, 1]")
''', '''
def check_probability(p):
    if math.isnan(p) or p < 0 or p > 1:
        raise ValueError("check_probability: expected a value in [0, 1], got " + str(p))
    return p * 1.0
'''],
    'averager_solution': ['''
class Averager:
    def __init__(self):
        self.batches = []

    def add(self, value, n=1):
        self.batches.append((value, n))

    def mean(self):
        items = sum(n for _, n in self.batches)
        if not items:
            raise ValueError("Averager.mean: nothing was added")
        return float(sum(v * n for v, n in self.batches) / items)
''', '''
class Averager:
    def __init__(self):
        self.n, self.avg = 0, 0.0

    def add(self, value, n=1):
        # a running mean, updated in place
        self.n += n
        self.avg += (value - self.avg) * n / self.n

    def mean(self):
        if self.n == 0:
            raise ValueError("empty")
        return float(self.avg)
'''],
}
