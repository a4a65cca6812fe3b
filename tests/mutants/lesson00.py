"""Plausible wrong implementations for exercise 00 (setup): each must fail at least one check."""
from tests.mutants import Mutant

MUTANTS = [
    # square
    Mutant("square doubles instead", "square_solution", '''
def square(x):
    return x * 2
'''),
    Mutant("square with ^ (exclusive-or, not a power)", "square_solution", '''
def square(x):
    return x ^ 2
'''),
    Mutant("square raises x to the power x", "square_solution", '''
def square(x):
    return x ** x
'''),
    Mutant("square through math.pow (always a float)", "square_solution", '''
def square(x):
    return math.pow(x, 2)
'''),
    Mutant("square prints instead of returning", "square_solution", '''
def square(x):
    print(x * x)
'''),
    Mutant("square keeps the sign", "square_solution", '''
def square(x):
    return x * abs(x)
'''),
    Mutant("square only for numbers (float conversion)", "square_solution", '''
def square(x):
    return float(x) * float(x) if not isinstance(x, int) else x * x
'''),
    # evens
    Mutant("evens keeps the odd numbers", "evens_solution", '''
def evens(xs):
    return [x for x in xs if x % 2 == 1]
'''),
    Mutant("evens keeps every other position", "evens_solution", '''
def evens(xs):
    return xs[::2]
'''),
    Mutant("evens removes duplicates and sorts", "evens_solution", '''
def evens(xs):
    return sorted(set(x for x in xs if x % 2 == 0))
'''),
    Mutant("evens drops 0 and negative numbers", "evens_solution", '''
def evens(xs):
    return [x for x in xs if x % 2 == 0 and x > 0]
'''),
    Mutant("evens removes the odd numbers from xs itself", "evens_solution", '''
def evens(xs):
    for x in list(xs):
        if x % 2:
            xs.remove(x)
    return xs
'''),
    Mutant("evens returns a generator", "evens_solution", '''
def evens(xs):
    return (x for x in xs if x % 2 == 0)
'''),
    Mutant("evens tests evenness with float division", "evens_solution", '''
def evens(xs):
    return [x for x in xs if x / 2 == x // 2]
'''),
    Mutant("evens returns xs when every number is even", "evens_solution", '''
def evens(xs):
    kept = [x for x in xs if x % 2 == 0]
    return xs if len(kept) == len(xs) else kept
'''),
    # check_probability
    Mutant("check_probability refuses 0 and 1", "check_probability_solution", '''
def check_probability(p):
    if not 0 < p < 1:
        raise ValueError(f"a probability must be between 0 and 1, got {p}")
    return float(p)
'''),
    Mutant("check_probability lets NaN through", "check_probability_solution", '''
def check_probability(p):
    if p < 0 or p > 1:
        raise ValueError(f"a probability must be between 0 and 1, got {p}")
    return float(p)
'''),
    Mutant("check_probability asserts", "check_probability_solution", '''
def check_probability(p):
    assert 0 <= p <= 1, f"a probability must be between 0 and 1, got {p}"
    return float(p)
'''),
    Mutant("check_probability raises TypeError", "check_probability_solution", '''
def check_probability(p):
    if not 0 <= p <= 1:
        raise TypeError(f"a probability must be between 0 and 1, got {p}")
    return float(p)
'''),
    Mutant("check_probability's message does not name the value", "check_probability_solution", '''
def check_probability(p):
    if not 0 <= p <= 1:
        raise ValueError("a probability must be between 0 and 1")
    return float(p)
'''),
    Mutant("check_probability returns p as given (an int stays an int)", "check_probability_solution", '''
def check_probability(p):
    if not 0 <= p <= 1:
        raise ValueError(f"a probability must be between 0 and 1, got {p}")
    return p
'''),
    Mutant("check_probability rounds the value in its message", "check_probability_solution", '''
def check_probability(p):
    if not 0 <= p <= 1:
        raise ValueError(f"a probability must be between 0 and 1, got {p:.2f}")
    return float(p)
'''),
    Mutant("check_probability clips instead of raising", "check_probability_solution", '''
def check_probability(p):
    return float(min(max(p, 0), 1))
'''),
    # Averager
    Mutant("Averager: plain mean of the batch means", "averager_solution", '''
class Averager:
    def __init__(self):
        self.values = []
    def add(self, value, n=1):
        self.values.append(value)
    def mean(self):
        if not self.values:
            raise ValueError("no values were added yet")
        return sum(self.values) / len(self.values)
'''),
    Mutant("Averager counts calls, not items", "averager_solution", '''
class Averager:
    def __init__(self):
        self.total, self.count = 0.0, 0
    def add(self, value, n=1):
        self.total += value * n
        self.count += 1
    def mean(self):
        if self.count == 0:
            raise ValueError("no values were added yet")
        return self.total / self.count
'''),
    Mutant("Averager keeps its numbers on the class", "averager_solution", '''
class Averager:
    items = []
    def add(self, value, n=1):
        self.items.append((value, n))
    def mean(self):
        if not self.items:
            raise ValueError("no values were added yet")
        return sum(v * n for v, n in self.items) / sum(n for _, n in self.items)
'''),
    Mutant("Averager rounds the mean down", "averager_solution", '''
class Averager:
    def __init__(self):
        self.total, self.count = 0, 0
    def add(self, value, n=1):
        self.total += value * n
        self.count += n
    def mean(self):
        if self.count == 0:
            raise ValueError("no values were added yet")
        return self.total // self.count
'''),
    Mutant("Averager: the mean of nothing is 0", "averager_solution", '''
class Averager:
    def __init__(self):
        self.total, self.count = 0.0, 0
    def add(self, value, n=1):
        self.total += value * n
        self.count += n
    def mean(self):
        return self.total / self.count if self.count else 0.0
'''),
    Mutant("Averager: mean() starts over", "averager_solution", '''
class Averager:
    def __init__(self):
        self.total, self.count = 0.0, 0
    def add(self, value, n=1):
        self.total += value * n
        self.count += n
    def mean(self):
        if self.count == 0:
            raise ValueError("no values were added yet")
        m = self.total / self.count
        self.total, self.count = 0.0, 0
        return m
'''),
    Mutant("Averager: each batch replaces the last", "averager_solution", '''
class Averager:
    def __init__(self):
        self.total, self.count = 0.0, 0
    def add(self, value, n=1):
        self.total = value * n
        self.count = n
    def mean(self):
        if self.count == 0:
            raise ValueError("no values were added yet")
        return self.total / self.count
'''),
    Mutant("Averager: an int mean for whole numbers", "averager_solution", '''
class Averager:
    def __init__(self):
        self.total, self.count = 0, 0
    def add(self, value, n=1):
        self.total += value * n
        self.count += n
    def mean(self):
        if self.count == 0:
            raise ValueError("no values were added yet")
        m = self.total / self.count
        return int(m) if m == int(m) else m
'''),
    Mutant("Averager: the empty mean raises ZeroDivisionError", "averager_solution", '''
class Averager:
    def __init__(self):
        self.total, self.count = 0.0, 0
    def add(self, value, n=1):
        self.total += value * n
        self.count += n
    def mean(self):
        return self.total / self.count
'''),
]
