"""Plausible wrong implementations for exercise 03 (datasets and data loaders): each must fail at least one check."""
from tests.mutants import Mutant

# ----------------------------------------------------------------------------------------------------------------
# RandomSplitter
# ----------------------------------------------------------------------------------------------------------------

_RANDOM = '''
def RandomSplitter(valid_pct=0.2, seed=None):
    CHECK

    def _split(items):
        g = torch.Generator().manual_seed(seed) if seed is not None else None
        shuffled = PERM
        cut = CUT
        return RESULT
    return _split
'''


def _random(check="if not 0 < valid_pct < 1:\n        raise ValueError(f'valid_pct must be in (0, 1), got {valid_pct}')",
            perm="torch.randperm(len(items), generator=g).tolist()", cut="int(valid_pct * len(items))",
            result="shuffled[cut:], shuffled[:cut]"):
    return (_RANDOM.replace("CHECK", check).replace("PERM", perm).replace("CUT", cut)
            .replace("RESULT", result))


MUTANTS = [
    Mutant("RandomSplitter: validation is the end of the shuffled order", "random_splitter_solution",
           _random(result="shuffled[:len(items) - cut], shuffled[len(items) - cut:]")),
    Mutant("RandomSplitter: train and valid swapped", "random_splitter_solution",
           _random(result="shuffled[:cut], shuffled[cut:]")),
    Mutant("RandomSplitter: rounds the size of the validation set", "random_splitter_solution",
           _random(cut="round(valid_pct * len(items))")),
    Mutant("RandomSplitter: returns tensors of indices", "random_splitter_solution",
           _random(perm="torch.randperm(len(items), generator=g)")),
    Mutant("RandomSplitter: sorts both lists", "random_splitter_solution",
           _random(result="sorted(shuffled[cut:]), sorted(shuffled[:cut])")),
    Mutant("RandomSplitter: accepts valid_pct 0 and 1", "random_splitter_solution",
           _random(check="if not 0 <= valid_pct <= 1:\n        raise ValueError(f'valid_pct out of range: {valid_pct}')")),
    Mutant("RandomSplitter: never checks valid_pct", "random_splitter_solution", _random(check="pass")),
    Mutant("RandomSplitter: shuffles with Python's random module", "random_splitter_solution",
           _random(perm="random.Random(seed).sample(range(len(items)), len(items))").replace(
               "def RandomSplitter", "import random\n\ndef RandomSplitter")),
    Mutant("RandomSplitter: counts the items by iterating them (a DataFrame gives its columns)",
           "random_splitter_solution", _random(perm="torch.randperm(len(list(items)), generator=g).tolist()",
                                               cut="int(valid_pct * len(list(items)))")),
    Mutant("RandomSplitter: one generator for all calls (a second split differs)", "random_splitter_solution", '''
def RandomSplitter(valid_pct=0.2, seed=None):
    if not 0 < valid_pct < 1:
        raise ValueError(f"valid_pct must be strictly between 0 and 1, got {valid_pct}")
    g = torch.Generator().manual_seed(seed) if seed is not None else None

    def _split(items):
        shuffled = torch.randperm(len(items), generator=g).tolist()
        cut = int(valid_pct * len(items))
        return shuffled[cut:], shuffled[:cut]
    return _split
'''),
    Mutant("RandomSplitter: seeds torch's global generator", "random_splitter_solution", '''
def RandomSplitter(valid_pct=0.2, seed=None):
    if not 0 < valid_pct < 1:
        raise ValueError(f"valid_pct must be strictly between 0 and 1, got {valid_pct}")

    def _split(items):
        if seed is not None:
            torch.manual_seed(seed)
        shuffled = torch.randperm(len(items)).tolist()
        cut = int(valid_pct * len(items))
        return shuffled[cut:], shuffled[:cut]
    return _split
'''),
]

# ----------------------------------------------------------------------------------------------------------------
# FuncSplitter
# ----------------------------------------------------------------------------------------------------------------

MUTANTS += [
    Mutant("FuncSplitter: train and valid swapped", "func_splitter_solution", '''
def FuncSplitter(func):
    def _split(items):
        rows = (row for _, row in items.iterrows()) if hasattr(items, "iterrows") else items
        answers = [bool(func(o)) for o in rows]
        return [i for i, a in enumerate(answers) if a], [i for i, a in enumerate(answers) if not a]
    return _split
'''),
    Mutant("FuncSplitter: iterates a DataFrame directly (its column names)", "func_splitter_solution", '''
def FuncSplitter(func):
    def _split(items):
        answers = [bool(func(o)) for o in items]
        return [i for i, a in enumerate(answers) if not a], [i for i, a in enumerate(answers) if a]
    return _split
'''),
    Mutant("FuncSplitter: only an answer that is True counts", "func_splitter_solution", '''
def FuncSplitter(func):
    def _split(items):
        rows = (row for _, row in items.iterrows()) if hasattr(items, "iterrows") else items
        answers = [func(o) is True for o in rows]
        return [i for i, a in enumerate(answers) if not a], [i for i, a in enumerate(answers) if a]
    return _split
'''),
    Mutant("FuncSplitter: calls func twice per item", "func_splitter_solution", '''
def FuncSplitter(func):
    def _split(items):
        rows = list((row for _, row in items.iterrows()) if hasattr(items, "iterrows") else items)
        return [i for i, o in enumerate(rows) if not func(o)], [i for i, o in enumerate(rows) if func(o)]
    return _split
'''),
    Mutant("FuncSplitter: returns the items, not their indices", "func_splitter_solution", '''
def FuncSplitter(func):
    def _split(items):
        rows = list((row for _, row in items.iterrows()) if hasattr(items, "iterrows") else items)
        answers = [bool(func(o)) for o in rows]
        return [o for o, a in zip(rows, answers) if not a], [o for o, a in zip(rows, answers) if a]
    return _split
'''),
    Mutant("FuncSplitter: numpy indices (np.flatnonzero) left as numpy ints", "func_splitter_solution", '''
def FuncSplitter(func):
    def _split(items):
        rows = (row for _, row in items.iterrows()) if hasattr(items, "iterrows") else items
        mask = np.array([bool(func(o)) for o in rows], dtype=bool)
        return list(np.flatnonzero(~mask)), list(np.flatnonzero(mask))
    return _split
'''),
]

# ----------------------------------------------------------------------------------------------------------------
# Datasets
# ----------------------------------------------------------------------------------------------------------------

_DATASETS = '''
class Datasets:
    def __init__(self, items=None, tfms=None, n_inp=None, splits=None, tls=None):
        if tls is None:
            tls = TLS
        self.tls = tls
        self.n_inp = N_INP

    def __len__(self):
        return len(self.tls[0])

    def __getitem__(self, i):
        return GETITEM

    def subset(self, i):
        return SUBSET

    @property
    def train(self):
        return self.subset(0)

    @property
    def valid(self):
        return self.subset(1)

    def decode(self, o):
        return DECODE
'''


def _datasets(tls="[ref.TfmdLists(items, t, splits=splits) for t in tfms]",
              n_inp="n_inp if n_inp is not None else max(1, len(tls) - 1)", getitem="tuple(tl[i] for tl in self.tls)",
              subset="Datasets(tls=[tl.subset(i) for tl in self.tls], n_inp=self.n_inp)",
              decode="tuple(tl.decode(x) for tl, x in zip(self.tls, o))"):
    return (_DATASETS.replace("TLS", tls).replace("N_INP", n_inp).replace("GETITEM", getitem)
            .replace("SUBSET", subset).replace("DECODE", decode))


MUTANTS += [
    Mutant("Datasets: an item is a list, not a tuple", "datasets_solution",
           _datasets(getitem="[tl[i] for tl in self.tls]")),
    Mutant("Datasets: one pipeline gives the element itself, not a 1-tuple", "datasets_solution",
           _datasets(getitem="tuple(tl[i] for tl in self.tls) if len(self.tls) > 1 else self.tls[0][i]")),
    Mutant("Datasets: n_inp defaults to all pipelines but the last, even 0", "datasets_solution",
           _datasets(n_inp="n_inp if n_inp is not None else len(tls) - 1")),
    Mutant("Datasets: n_inp ignores the value given", "datasets_solution",
           _datasets(n_inp="max(1, len(tls) - 1)")),
    Mutant("Datasets: a subset sets the pipelines up again on its own items", "datasets_solution",
           _datasets(subset="Datasets([self.tls[0].items[j] for j in self.tls[0].splits[i]], "
                            "[tl.tfms.fs for tl in self.tls], n_inp=self.n_inp)")),
    Mutant("Datasets: a subset forgets its split (no split_idx)", "datasets_solution",
           _datasets(subset="Datasets(tls=[tl.new([tl.items[j] for j in tl.splits[i]]) for tl in self.tls], "
                            "n_inp=self.n_inp)")),
    Mutant("Datasets: a subset loses n_inp", "datasets_solution",
           _datasets(subset="Datasets(tls=[tl.subset(i) for tl in self.tls])")),
    Mutant("Datasets: pipelines set up on all the items (splits given to them afterwards)", "datasets_solution",
           _datasets(tls="[ref.TfmdLists(items, t) for t in tfms]\n"
                         "            for tl in tls:\n"
                         "                tl.splits = [list(s) for s in splits] if splits is not None else tl.splits")),
    Mutant("Datasets: decodes every element with the first pipeline", "datasets_solution",
           _datasets(decode="tuple(self.tls[0].decode(x) for x in o)")),
    Mutant("Datasets: decode returns a list", "datasets_solution",
           _datasets(decode="[tl.decode(x) for tl, x in zip(self.tls, o)]")),
    Mutant("Datasets: pipelines in reverse order (target first)", "datasets_solution",
           _datasets(tls="[ref.TfmdLists(items, t, splits=splits) for t in reversed(tfms)]")),
    Mutant("Datasets: sorts the list of items it is given", "datasets_solution",
           _datasets(tls="[ref.TfmdLists(items, t, splits=splits) for t in tfms]\n"
                         "            items.sort()")),
]

# ----------------------------------------------------------------------------------------------------------------
# collate
# ----------------------------------------------------------------------------------------------------------------

_COLLATE = '''
def collate(items):
    first = items[0]
    if isinstance(first, torch.Tensor):
        try:
            return STACK
        except RuntimeError:
            shapes = sorted({tuple(o.shape) for o in items})
            raise SHAPE_ERROR from None
    if isinstance(first, np.ndarray):
        return ARRAYS
    if isinstance(first, (bool, int, float, np.number)):
        return NUMBERS
    if isinstance(first, str) or first is None:
        return list(items)
    if isinstance(first, (tuple, list)):
        lengths = sorted({len(o) for o in items})
        LENGTH_CHECK
        columns = [collate(list(column)) for column in zip(*items)]
        return CONTAINER
    if isinstance(first, dict):
        return DICT
    raise TYPE_ERROR
'''


def _collate(stack="torch.stack(list(items))",
             shape_error='RuntimeError(f"cannot collate tensors of different shapes {shapes}")',
             arrays="collate([torch.from_numpy(o) for o in items])", numbers="torch.tensor(items)",
             length_check='if len(lengths) > 1:\n            raise RuntimeError(f"different lengths {lengths}")',
             container="tuple(columns) if isinstance(first, tuple) else columns",
             dict_="{k: collate([o[k] for o in items]) for k in first}",
             type_error='TypeError(f"cannot collate items of type {type(first).__name__}")'):
    return (_COLLATE.replace("STACK", stack).replace("SHAPE_ERROR", shape_error).replace("ARRAYS", arrays)
            .replace("NUMBERS", numbers).replace("LENGTH_CHECK", length_check).replace("CONTAINER", container)
            .replace("DICT", dict_).replace("TYPE_ERROR", type_error))


MUTANTS += [
    Mutant("collate: concatenates tensors instead of stacking them", "collate_solution",
           _collate(stack="torch.cat(list(items))")),
    Mutant("collate: stacks through numpy (loses the tensor class)", "collate_solution",
           _collate(stack="torch.from_numpy(np.stack([o.numpy() for o in items]))")),
    Mutant("collate: every number becomes a float32 tensor", "collate_solution",
           _collate(numbers="torch.tensor(items, dtype=torch.float32)")),
    Mutant("collate: numbers as int64 when the first one is an int", "collate_solution",
           _collate(numbers="torch.tensor(items, dtype=torch.int64 if isinstance(first, int) else None)")),
    Mutant("collate: numpy arrays left as a list", "collate_solution", _collate(arrays="list(items)")),
    Mutant("collate: numpy arrays as float32", "collate_solution",
           _collate(arrays="collate([torch.from_numpy(o).float() for o in items])")),
    Mutant("collate: lists come back as tuples", "collate_solution", _collate(container="tuple(columns)")),
    Mutant("collate: tuples come back as lists", "collate_solution", _collate(container="columns")),
    Mutant("collate: lists of numbers made one tensor", "collate_solution",
           _collate(container="tuple(columns) if isinstance(first, tuple) else torch.tensor(items)")),
    Mutant("collate: items of different lengths cut to the shortest", "collate_solution",
           _collate(length_check="pass")),
    Mutant("collate: dict values in a tuple, keys dropped", "collate_solution",
           _collate(dict_="tuple(collate([o[k] for o in items]) for k in first)")),
    Mutant("collate: dict keys sorted", "collate_solution",
           _collate(dict_="{k: collate([o[k] for o in items]) for k in sorted(first)}")),
    Mutant("collate: an error that does not name the type", "collate_solution",
           _collate(type_error='TypeError("these items cannot be collated")')),
    Mutant("collate: a ValueError for items it cannot collate", "collate_solution",
           _collate(type_error='ValueError(f"cannot collate {type(first).__name__}")')),
    Mutant("collate: shapes written as torch.Size", "collate_solution",
           _collate(shape_error='RuntimeError(f"different shapes: {[o.shape for o in items]}")')),
    Mutant("collate: stack errors passed on as torch's own message", "collate_solution",
           _collate(stack="torch.stack(list(items))", shape_error="RuntimeError('stack expects equal sizes')")),
    Mutant("collate: turns numpy arrays into tensors inside the given list", "collate_solution", _collate().replace(
        "    first = items[0]\n", "    for k, o in enumerate(items):\n        if isinstance(o, np.ndarray):\n"
                                 "            items[k] = torch.from_numpy(o)\n    first = items[0]\n", 1)),
    Mutant("collate: strings and None put in a tuple", "collate_solution", _collate().replace(
        "return list(items)", "return tuple(items)")),
]

# ----------------------------------------------------------------------------------------------------------------
# DataLoader
# ----------------------------------------------------------------------------------------------------------------

_LOADER = '''
class DataLoader:
    def __init__(self, dataset, bs=64, shuffle=False, drop_last=False, seed=None, collate_fn=ref.collate):
        self.dataset, self.bs, self.shuffle, self.drop_last = dataset, bs, shuffle, drop_last
        self.collate_fn, self.n = collate_fn, len(dataset)
        if drop_last and self.n < bs:
            raise ValueError(f"bs={bs} is larger than the dataset ({self.n} items) and drop_last=True")
        self.generator = torch.Generator().manual_seed(seed) if seed is not None else None

    def get_idxs(self):
        if not self.shuffle:
            return list(range(self.n))
        return PERM

    def __len__(self):
        return LEN

    def __iter__(self):
        idxs = IDXS
        stop = STOP
        for start in range(0, stop, self.bs):
            yield BATCH
'''


def _loader(perm="torch.randperm(self.n, generator=self.generator).tolist()",
            len_="self.n // self.bs if self.drop_last else -(-self.n // self.bs)", idxs="self.get_idxs()",
            stop="(self.n // self.bs) * self.bs if self.drop_last else self.n",
            batch="self.collate_fn([self.dataset[i] for i in idxs[start: start + self.bs]])"):
    return (_LOADER.replace("PERM", perm).replace("LEN", len_).replace("IDXS", idxs).replace("STOP", stop)
            .replace("BATCH", batch))


MUTANTS += [
    Mutant("DataLoader: a new generator from the seed every epoch (the same order each epoch)", "dataloader_solution",
           _loader(perm="torch.randperm(self.n, generator=torch.Generator().manual_seed(self.seed) "
                        "if self.seed is not None else None).tolist()").replace(
               "self.collate_fn, self.n = collate_fn, len(dataset)",
               "self.collate_fn, self.n, self.seed = collate_fn, len(dataset), seed")),
    Mutant("DataLoader: get_idxs returns a tensor", "dataloader_solution",
           _loader(perm="torch.randperm(self.n, generator=self.generator)")),
    Mutant("DataLoader: shuffles with Python's random module", "dataloader_solution",
           _loader(perm="random.sample(range(self.n), self.n)").replace("class DataLoader",
                                                                        "import random\n\nclass DataLoader")),
    Mutant("DataLoader: len always rounds up (ignores drop_last)", "dataloader_solution",
           _loader(len_="-(-self.n // self.bs)")),
    Mutant("DataLoader: len always rounds down", "dataloader_solution", _loader(len_="self.n // self.bs")),
    Mutant("DataLoader: the last partial batch is always dropped", "dataloader_solution",
           _loader(stop="(self.n // self.bs) * self.bs")),
    Mutant("DataLoader: drop_last ignored when iterating", "dataloader_solution", _loader(stop="self.n")),
    Mutant("DataLoader: iterates in order even when shuffling", "dataloader_solution",
           _loader(idxs="list(range(self.n))")),
    Mutant("DataLoader: draws a permutation twice per epoch", "dataloader_solution",
           _loader(idxs="(self.get_idxs(), self.get_idxs())[1]")),
    Mutant("DataLoader: ignores collate_fn (always ref.collate)", "dataloader_solution",
           _loader(batch="ref.collate([self.dataset[i] for i in idxs[start: start + self.bs]])")),
    Mutant("DataLoader: batches one item short (off by one)", "dataloader_solution",
           _loader(batch="self.collate_fn([self.dataset[i] for i in idxs[start: start + self.bs - 1]])")),
    Mutant("DataLoader: indexes the dataset with tensor elements", "dataloader_solution",
           _loader(batch="self.collate_fn([self.dataset[i] for i in torch.tensor(idxs[start: start + self.bs])])")),
    Mutant("DataLoader: reads every item twice", "dataloader_solution",
           _loader(batch="self.collate_fn([self.dataset[i] for i in idxs[start: start + self.bs]] if "
                         "[self.dataset[i] for i in idxs[start: start + self.bs]] else [])")),
    Mutant("DataLoader: seeds torch's global generator in get_idxs", "dataloader_solution",
           _loader(perm="torch.randperm(self.n).tolist()").replace(
               "self.generator = torch.Generator().manual_seed(seed) if seed is not None else None",
               "self.generator = None\n        if seed is not None:\n            torch.manual_seed(seed)")),
    Mutant("DataLoader: the order is fixed once, in the first epoch", "dataloader_solution",
           _loader(idxs="self.__dict__.setdefault('_idxs', self.get_idxs())")),
]
