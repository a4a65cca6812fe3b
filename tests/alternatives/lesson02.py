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
'''],
}
