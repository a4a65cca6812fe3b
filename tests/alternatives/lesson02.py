"""Correct solutions to exercise 02 written differently from solutions/: each must keep full marks."""

# grade_id of a solution cell -> alternative sources (each graded on its own, reference pieces around it)
ALTERNATIVES = {
    'transform_solution': ['''
class Transform:
    split_idx = None

    def __init__(self, enc=None, dec=None, split_idx=None):
        self._enc, self._dec = enc, dec
        self.split_idx = split_idx if split_idx is not None else type(self).split_idx

    def encodes(self, x): return x if self._enc is None else self._enc(x)
    def decodes(self, x): return x if self._dec is None else self._dec(x)

    def __call__(self, x, split_idx=None):
        if self.split_idx is not None and self.split_idx != split_idx: return x
        return tuple(map(self.encodes, x)) if type(x) is tuple else self.encodes(x)

    def decode(self, x, split_idx=None):
        if self.split_idx is not None and self.split_idx != split_idx: return x
        return tuple(map(self.decodes, x)) if type(x) is tuple else self.decodes(x)
''', '''
class Transform:
    split_idx = None

    def __init__(self, enc=None, dec=None, split_idx=None):
        given = {"encodes": enc, "decodes": dec, "split_idx": split_idx}
        self.__dict__.update({k: v for k, v in given.items() if v is not None})

    def encodes(self, x): return x
    def decodes(self, x): return x

    def _acts(self, split_idx):
        return self.split_idx is None or self.split_idx == split_idx

    def __call__(self, x, split_idx=None):
        if not self._acts(split_idx): return x
        if isinstance(x, tuple): return tuple([self.encodes(o) for o in x])
        return self.encodes(x)

    def decode(self, x, split_idx=None):
        if not self._acts(split_idx): return x
        if isinstance(x, tuple): return tuple([self.decodes(o) for o in x])
        return self.decodes(x)
''', '''
class Transform:
    split_idx = None

    def __init__(self, enc=None, dec=None, split_idx=None):
        self.fns = {"enc": enc or self.encodes, "dec": dec or self.decodes}
        if split_idx is not None:
            self.split_idx = split_idx

    def encodes(self, x): return x
    def decodes(self, x): return x

    def __call__(self, x, split_idx=None):
        return self._go("enc", x, split_idx)

    def decode(self, x, split_idx=None):
        return self._go("dec", x, split_idx)

    def _go(self, which, x, split_idx):
        if self.split_idx not in (None, split_idx):
            return x
        f = self.fns[which]
        return tuple(f(e) for e in x) if isinstance(x, tuple) else f(x)
'''],
    'pipeline_solution': ['''
class Pipeline:
    def __init__(self, funcs, split_idx=None):
        self.fs, self.split_idx = list(funcs), split_idx
        self.fs.sort(key=lambda t: getattr(t, "order", 0))

    def __call__(self, x):
        return self._run(self.fs, x)

    def _run(self, fs, x):
        for t in fs: x = t(x, self.split_idx)
        return x

    def decode(self, x):
        for t in self.fs[::-1]: x = t.decode(x, self.split_idx)
        return x

    def setup(self, items):
        for i, t in enumerate(self.fs):
            t.setup([self._run(self.fs[:i], o) for o in items])
''', '''
from functools import reduce

class Pipeline:
    def __init__(self, funcs, split_idx=None):
        self.split_idx = split_idx
        self.fs = [t for _, t in sorted(enumerate(funcs), key=lambda p: (p[1].order, p[0]))]

    def __call__(self, x):
        return reduce(lambda acc, t: t(acc, split_idx=self.split_idx), self.fs, x)

    def decode(self, x):
        return reduce(lambda acc, t: t.decode(acc, split_idx=self.split_idx), self.fs[::-1], x)

    def setup(self, items):
        done = []
        for t in self.fs:
            t.setup([Pipeline(done, self.split_idx)(o) for o in items])
            done.append(t)
''', '''
class Pipeline:
    def __init__(self, funcs, split_idx=None):
        self.fs = []
        for t in funcs:  # insertion sort: a transform goes after every one of lower or equal order
            i = len(self.fs)
            while i > 0 and self.fs[i - 1].order > t.order:
                i -= 1
            self.fs.insert(i, t)
        self.split_idx = split_idx

    def __call__(self, x):
        for t in self.fs:
            x = t(x, self.split_idx)
        return x

    def decode(self, x):
        for i in range(len(self.fs) - 1, -1, -1):
            x = self.fs[i].decode(x, self.split_idx)
        return x

    def setup(self, items):
        cur = [o for o in items]
        for t in self.fs:
            t.setup(cur)
            cur = [t(o, self.split_idx) for o in cur]
'''],
    'normalize_solution': ['''
class Normalize(ref.Transform):
    order = 99

    def __init__(self, mean=None, std=None, eps=1e-7):
        super().__init__()
        self.mean, self.std, self.eps = mean, std, eps

    def setups(self, items):
        if self.mean is None or self.std is None:
            flat = items.float().transpose(0, 1).reshape(items.shape[1], -1)  # channels x everything else
            self.mean, self.std = flat.mean(1), flat.std(1) + self.eps

    def encodes(self, x: TensorImage):
        return (x - self.mean[None, :, None, None]) / self.std[None, :, None, None]

    def decodes(self, x: TensorImage):
        return x * self.std[None, :, None, None] + self.mean[None, :, None, None]
''', '''
class Normalize(ref.Transform):
    order = 99

    def __init__(self, mean=None, std=None, eps=1e-7):
        super().__init__()
        self.mean, self.std, self.eps = mean, std, eps

    def setups(self, items):
        if self.mean is None or self.std is None:
            x = items.float()
            n = x.numel() // x.shape[1]
            mean = x.sum(dim=(0, 2, 3)) / n
            var = ((x - mean[None, :, None, None]) ** 2).sum(dim=(0, 2, 3)) / (n - 1)
            self.mean, self.std = mean, var.sqrt() + self.eps

    def encodes(self, x: TensorImage):
        m, s = self.mean.reshape(1, -1, 1, 1), self.std.reshape(1, -1, 1, 1)
        return (x - m) / s

    def decodes(self, x: TensorImage):
        m, s = self.mean.reshape(1, -1, 1, 1), self.std.reshape(1, -1, 1, 1)
        return x * s + m
''', '''
class Normalize(ref.Transform):
    order = 99

    def __init__(self, mean=None, std=None, eps=1e-7):
        super().__init__()
        self.mean, self.std, self.eps = mean, std, eps

    def setups(self, items):
        if self.mean is not None and self.std is not None:
            return
        per_channel = items.permute(1, 0, 2, 3).flatten(1).float()
        std, mean = torch.std_mean(per_channel, dim=1)
        self.mean, self.std = mean, std + self.eps

    @staticmethod
    def _b(v):
        return v[:, None, None]  # (C,) -> (C, 1, 1): broadcasts over (batch, C, height, width)

    def encodes(self, x: TensorImage):
        return (x - self._b(self.mean)) / self._b(self.std)

    def decodes(self, x: TensorImage):
        return x * self._b(self.std) + self._b(self.mean)
'''],
    'categorize_solution': ['''
class Categorize(ref.Transform):
    order = 1

    def __init__(self, vocab=None):
        super().__init__()
        self.vocab = None if vocab is None else list(vocab)

    def setups(self, items):
        self.vocab = self.vocab if self.vocab is not None else sorted({o for o in items})
        self.o2i = {o: i for i, o in enumerate(self.vocab)}

    def encodes(self, o):
        return TensorCategory(self.o2i[o])  # KeyError for an unknown label

    def decodes(self, o: TensorCategory):
        return self.vocab[o.item()]
''', '''
class Categorize(ref.Transform):
    order = 1

    def __init__(self, vocab=None):
        super().__init__()
        self.vocab = None if vocab is None else list(vocab)

    def setups(self, items):
        if self.vocab is None:
            vocab = []
            for o in items:
                if o not in vocab:
                    vocab.append(o)
            vocab.sort()
            self.vocab = vocab

    def encodes(self, o):
        return TensorCategory(self.vocab.index(o))  # ValueError "... is not in list" names the label

    def decodes(self, o: TensorCategory):
        return self.vocab[o.item()]
''', '''
class Categorize(ref.Transform):
    order = 1

    def __init__(self, vocab=None):
        super().__init__()
        self.vocab = None if vocab is None else list(vocab)

    def setups(self, items):
        self.vocab = list(self.vocab) if self.vocab is not None else sorted(dict.fromkeys(items))

    def encodes(self, o):
        for i, v in enumerate(self.vocab):
            if v == o:
                return TensorCategory(torch.tensor(i, dtype=torch.long))
        raise ValueError(f"unknown label: {o}")

    def decodes(self, o: TensorCategory):
        return self.vocab[int(o.item())]
'''],
}
