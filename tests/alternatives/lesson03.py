"""Correct solutions to exercise 03 written differently from solutions/: each must keep full marks."""

# the given part of the DataLoader cell (students write the methods below it)
_LOADER_INIT = '''
class DataLoader:
    def __init__(self, dataset, bs=64, shuffle=False, drop_last=False, seed=None, collate_fn=ref.collate):
        self.dataset, self.bs, self.shuffle, self.drop_last = dataset, bs, shuffle, drop_last
        self.collate_fn, self.n = collate_fn, len(dataset)
        if drop_last and self.n < bs:
            raise ValueError(f"bs={bs} is larger than the dataset ({self.n} items) and drop_last=True: "
                             "there would be no batch at all")
        self.generator = torch.Generator().manual_seed(seed) if seed is not None else None
'''

# the given part of the Datasets cell
_SUBSETS = '''
    @property
    def train(self):
        return self.subset(0)

    @property
    def valid(self):
        return self.subset(1)
'''

# grade_id of a solution cell -> alternative sources (each graded on its own, reference pieces around it)
ALTERNATIVES = {
    'random_splitter_solution': ['''
class RandomSplitter:
    """A callable object instead of a closure."""
    def __init__(self, valid_pct=0.2, seed=None):
        if valid_pct <= 0 or valid_pct >= 1:
            raise ValueError("valid_pct should be between 0 and 1 (both excluded), not %r" % (valid_pct,))
        self.valid_pct, self.seed = valid_pct, seed

    def __call__(self, items):
        n = len(items)
        gen = None
        if self.seed is not None:
            gen = torch.Generator()
            gen.manual_seed(self.seed)
        order = [int(i) for i in torch.randperm(n, generator=gen)]
        n_valid = int(n * self.valid_pct)
        return order[n_valid:], order[:n_valid]
''', '''
import math

def RandomSplitter(valid_pct=0.2, seed=None):
    if not (valid_pct > 0 and valid_pct < 1):
        raise ValueError(f"RandomSplitter: valid_pct={valid_pct} is not in the open interval (0, 1)")
    def split(items):
        kw = {"generator": torch.Generator().manual_seed(seed)} if seed is not None else {}
        perm = torch.randperm(len(items), **kw)
        k = math.floor(valid_pct * len(items))
        valid, train = perm[:k], perm[k:]
        return train.tolist(), valid.tolist()
    return split
'''],
    'func_splitter_solution': ['''
def FuncSplitter(func):
    def split(items):
        if hasattr(items, "iterrows"):
            items = [row for _, row in items.iterrows()]
        train, valid = [], []
        for i, item in enumerate(items):
            if func(item):
                valid.append(i)
            else:
                train.append(i)
        return train, valid
    return split
''', '''
import pandas as pd

def FuncSplitter(func):
    def split(items):
        rows = (items.iloc[k] for k in range(len(items))) if isinstance(items, pd.DataFrame) else iter(items)
        mask = np.array([True if func(o) else False for o in rows], dtype=bool)
        return np.flatnonzero(~mask).tolist(), np.flatnonzero(mask).tolist()
    return split
'''],
    'datasets_solution': ['''
import copy

class Datasets:
    def __init__(self, items=None, tfms=None, n_inp=None, splits=None, tls=None):
        self.tls = list(tls) if tls is not None else [ref.TfmdLists(items, p, splits=splits) for p in tfms]
        self.n_inp = max(1, len(self.tls) - 1) if n_inp is None else n_inp

    def __len__(self):
        return len(self.tls[0].items)

    def __getitem__(self, i):
        out = ()
        for tl in self.tls:
            out += (tl[i],)
        return out

    def subset(self, i):
        sub = copy.copy(self)
        sub.tls = [tl.subset(i) for tl in self.tls]
        return sub

''' + _SUBSETS + '''
    def decode(self, o):
        return tuple(map(lambda pair: pair[0].decode(pair[1]), zip(self.tls, o)))
''', '''
class Datasets:
    def __init__(self, items=None, tfms=None, n_inp=None, splits=None, tls=None):
        if tls is None:
            tls = []
            for pipeline in tfms:
                tls.append(ref.TfmdLists(items, pipeline, splits=splits))
        self.tls, self.n_inp = tls, n_inp or max(len(tls) - 1, 1)

    def __len__(self):
        return min(len(tl) for tl in self.tls)

    def __getitem__(self, i):
        return tuple([tl[i] for tl in self.tls])

    def subset(self, i):
        return type(self)(n_inp=self.n_inp, tls=[tl.subset(i) for tl in self.tls])

''' + _SUBSETS + '''
    def decode(self, o):
        return tuple(self.tls[k].decode(o[k]) for k in range(len(self.tls)))
'''],
    'collate_solution': ['''
from functools import singledispatch

@singledispatch
def _batch(first, items):
    raise TypeError("no way to batch objects of type " + type(first).__name__)

@_batch.register
def _(first: torch.Tensor, items):
    if len({tuple(t.shape) for t in items}) > 1:
        raise RuntimeError("tensors have different shapes: " + ", ".join(sorted({str(tuple(t.shape)) for t in items})))
    return torch.stack(items)

@_batch.register
def _(first: np.ndarray, items):
    return collate([torch.from_numpy(a) for a in items])

@_batch.register(bool)
@_batch.register(int)
@_batch.register(float)
@_batch.register(np.number)
def _(first, items):
    return torch.tensor(items)

@_batch.register(str)
@_batch.register(type(None))
def _(first, items):
    return [o for o in items]

@_batch.register(tuple)
@_batch.register(list)
def _(first, items):
    if any(len(o) != len(first) for o in items):
        raise RuntimeError("cannot batch sequences whose length differs")
    cols = [collate([o[k] for o in items]) for k in range(len(first))]
    return cols if isinstance(first, list) else tuple(cols)

@_batch.register
def _(first: dict, items):
    return {key: collate([o[key] for o in items]) for key in first.keys()}

def collate(items):
    items = list(items)
    return _batch(items[0], items)
''', '''
def collate(items):
    first = items[0]
    match first:
        case torch.Tensor() | np.ndarray():
            ts = [torch.as_tensor(o) for o in items]
            shapes = {tuple(t.shape) for t in ts}
            if len(shapes) != 1:
                raise RuntimeError("cannot stack shapes " + " and ".join(str(s) for s in shapes))
            return torch.stack(ts)
        case bool() | int() | float() | np.number():
            return torch.tensor(list(items))
        case str() | None:
            return list(items)
        case tuple() | list():
            n = len(first)
            if any(len(o) != n for o in items):
                raise RuntimeError(f"all items must have the same length as the first ({n})")
            parts = [collate([o[k] for o in items]) for k in range(n)]
            return parts if type(first) is list else tuple(parts)
        case dict():
            return dict((k, collate([o[k] for o in items])) for k in first)
        case _:
            raise TypeError(f"{type(first).__name__} objects cannot be collated")
'''],
    'dataloader_solution': ['''
import itertools
import math

''' + _LOADER_INIT + '''
    def get_idxs(self):
        if self.shuffle:
            return [int(i) for i in torch.randperm(self.n, generator=self.generator)]
        return [*range(self.n)]

    def __len__(self):
        return math.floor(self.n / self.bs) if self.drop_last else math.ceil(self.n / self.bs)

    def __iter__(self):
        it = iter(self.get_idxs())
        while True:
            chunk = list(itertools.islice(it, self.bs))
            if not chunk or (self.drop_last and len(chunk) < self.bs):
                return
            yield self.collate_fn([self.dataset[i] for i in chunk])
''', _LOADER_INIT + '''
    def get_idxs(self):
        idxs = torch.arange(self.n)
        if self.shuffle:
            idxs = idxs[torch.randperm(self.n, generator=self.generator)]
        return idxs.tolist()

    def __len__(self):
        return self.n // self.bs + (0 if self.drop_last or self.n % self.bs == 0 else 1)

    def __iter__(self):
        idxs = self.get_idxs()
        chunks = [idxs[k * self.bs:(k + 1) * self.bs] for k in range(len(self))]
        return (self.collate_fn([self.dataset[i] for i in c]) for c in chunks)
'''],
}
