"""Plausible wrong implementations for exercise 02 (transforms): each must fail at least one check."""
from tests.mutants import Mutant

_TRANSFORM = '''
class Transform:
    split_idx = None

    def __init__(self, enc=None, dec=None, split_idx=None):
        if enc is not None: self.encodes = enc
        if dec is not None: self.decodes = dec
        if split_idx is not None: self.split_idx = split_idx

    def encodes(self, x): return x
    def decodes(self, x): return x

    def __call__(self, x, split_idx=None):
        return self._apply(self.encodes, x, split_idx)

    def decode(self, x, split_idx=None):
        return self._apply(DECODES, x, split_idx)

    def _apply(self, f, x, split_idx):
        SPLIT_TEST
        TUPLE_TEST
        return f(x)
'''
_SPLIT = '''if self.split_idx is not None and split_idx != self.split_idx:
            return x'''
_TUPLE = '''if isinstance(x, tuple):
            return tuple(f(o) for o in x)'''


def _transform(decodes="self.decodes", split=_SPLIT, tuple_=_TUPLE):
    return _TRANSFORM.replace("DECODES", decodes).replace("SPLIT_TEST", split).replace("TUPLE_TEST", tuple_)


_PIPELINE = '''
class Pipeline:
    def __init__(self, funcs, split_idx=None):
        self.fs = SORT
        self.split_idx = split_idx

    def __call__(self, x):
        for t in self.fs:
            x = t(x, CALL_SPLIT)
        return x

    def decode(self, x):
        for t in DECODE_ORDER:
            x = t.decode(x, split_idx=self.split_idx)
        return x

    def setup(self, items):
        items = list(items)
        for t in self.fs:
            t.setup(items)
            SETUP_STEP
'''


def _pipeline(sort="sorted(funcs, key=lambda t: t.order)", call_split="split_idx=self.split_idx",
              decode_order="reversed(self.fs)", setup_step="items = [t(o, split_idx=self.split_idx) for o in items]"):
    return (_PIPELINE.replace("SORT", sort).replace("CALL_SPLIT", call_split).replace("DECODE_ORDER", decode_order)
            .replace("SETUP_STEP", setup_step))


_NORMALIZE = '''
class Normalize(ref.Transform):
    order = 99

    def __init__(self, mean=None, std=None, eps=1e-7):
        super().__init__()
        self.mean, self.std, self.eps = mean, std, eps

    def setups(self, items):
        GIVEN
        x = torch.as_tensor(items).float()
        self.mean = x.mean(dim=AXES)
        self.std = x.std(dim=AXES) EPS

    def _stats(self):
        return self.mean.reshape(1, -1, 1, 1), self.std.reshape(1, -1, 1, 1)

    def encodes(self, x: TYPE):
        mean, std = self._stats()
        return (x - mean) / std

    def decodes(self, x: TYPE):
        mean, std = self._stats()
        return DECODE
'''


def _normalize(given="if self.mean is not None and self.std is not None: return", axes="(0, 2, 3)",
               eps="+ self.eps", typ="TensorImage", decode="x * std + mean"):
    return (_NORMALIZE.replace("GIVEN", given).replace("AXES", axes).replace("EPS", eps).replace("TYPE", typ)
            .replace("DECODE", decode))


_CATEGORIZE = '''
class Categorize(ref.Transform):
    order = 1

    def __init__(self, vocab=None):
        super().__init__()
        self.vocab = None if vocab is None else list(vocab)

    def setups(self, items):
        GIVEN
            self.vocab = VOCAB

    def encodes(self, o):
        UNKNOWN
        return WRAP(self.vocab.index(o))

    def decodes(self, o: TensorCategory):
        return DECODE
'''


def _categorize(given="if self.vocab is None:", vocab="sorted(set(items))",
                unknown="if o not in self.vocab: raise KeyError(o)", wrap="TensorCategory",
                decode="self.vocab[int(o)]"):
    return (_CATEGORIZE.replace("GIVEN", given).replace("VOCAB", vocab).replace("UNKNOWN", unknown)
            .replace("WRAP", wrap).replace("DECODE", decode))


MUTANTS = [
    # Transform
    Mutant("Transform ignores split_idx", "transform_solution", _transform(split="pass")),
    Mutant("Transform acts when called without a split_idx", "transform_solution", _transform(
        split="if self.split_idx is not None and split_idx is not None and split_idx != self.split_idx: return x")),
    Mutant("Transform applies encodes to the whole tuple", "transform_solution", _transform(tuple_="pass")),
    Mutant("Transform returns a list for a tuple", "transform_solution", _transform(
        tuple_="if isinstance(x, tuple): return [f(o) for o in x]")),
    Mutant("Transform also splits lists", "transform_solution", _transform(
        tuple_="if isinstance(x, (tuple, list)): return type(x)(f(o) for o in x)")),
    Mutant("Transform.decode calls encodes", "transform_solution", _transform(decodes="self.encodes")),
    # Pipeline
    Mutant("Pipeline does not sort by order", "pipeline_solution", _pipeline(sort="list(funcs)")),
    Mutant("Pipeline sorts highest order first", "pipeline_solution", _pipeline(
        sort="sorted(funcs, key=lambda t: t.order, reverse=True)")),
    Mutant("Pipeline decodes in forward order", "pipeline_solution", _pipeline(decode_order="self.fs")),
    Mutant("Pipeline drops its split_idx", "pipeline_solution", _pipeline(call_split="split_idx=None")),
    Mutant("Pipeline sets every transform up on the raw items", "pipeline_solution", _pipeline(setup_step="pass")),
    # Normalize
    Mutant("Normalize: one mean and std for the whole batch", "normalize_solution", _normalize(axes="None")),
    Mutant("Normalize: no eps on the standard deviation", "normalize_solution", _normalize(eps="")),
    Mutant("Normalize also normalizes labels (annotated torch.Tensor)", "normalize_solution",
           _normalize(typ="torch.Tensor")),
    Mutant("Normalize: setups overwrites given statistics", "normalize_solution", _normalize(given="pass")),
    Mutant("Normalize: decodes divides by std", "normalize_solution", _normalize(decode="x / std + mean")),
    # Categorize
    Mutant("Categorize: vocab in order of first appearance", "categorize_solution", _categorize(
        vocab="list(dict.fromkeys(items))")),
    Mutant("Categorize: labels sorted as text", "categorize_solution", _categorize(vocab="sorted(set(items), key=str)")),
    Mutant("Categorize: unknown labels become id 0", "categorize_solution", _categorize(
        unknown="if o not in self.vocab: return TensorCategory(0)")),
    Mutant("Categorize: decode returns the id", "categorize_solution", _categorize(decode="int(o)")),
    Mutant("Categorize: encodes returns a plain int", "categorize_solution", _categorize(wrap="int")),
    Mutant("Categorize: setups overwrites a given vocab", "categorize_solution", _categorize(given="if True:")),
]
