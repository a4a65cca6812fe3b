"""Plausible wrong implementations for exercise 02 (transforms): each must fail at least one check."""
from tests.mutants import Mutant

# ----------------------------------------------------------------------------------------------------------------
# Transform
# ----------------------------------------------------------------------------------------------------------------

_TRANSFORM = '''
class Transform:
    split_idx = None
    CLASS_EXTRA

    def __init__(self, enc=None, dec=None, split_idx=None):
        INIT

    def encodes(self, x): return x
    def decodes(self, x): return x

    def __call__(self, x, split_idx=None):
        return self._apply(self.encodes, x, split_idx)

    def decode(self, x, split_idx=None):
        DECODE

    def _apply(self, f, x, split_idx):
        SPLIT_TEST
        TUPLE_TEST
        return RESULT
'''
_INIT = '''if enc is not None: self.encodes = enc
        if dec is not None: self.decodes = dec
        if split_idx is not None: self.split_idx = split_idx'''
_SPLIT = '''if self.split_idx is not None and split_idx != self.split_idx:
            return x'''
_TUPLE = '''if isinstance(x, tuple):
            return tuple(f(o) for o in x)'''


def _transform(init=_INIT, decode="return self._apply(self.decodes, x, split_idx)", split=_SPLIT, tuple_=_TUPLE,
               result="f(x)", class_extra="pass"):
    return (_TRANSFORM.replace("CLASS_EXTRA", class_extra).replace("INIT", init).replace("DECODE", decode)
            .replace("SPLIT_TEST", split).replace("TUPLE_TEST", tuple_).replace("RESULT", result))


TRANSFORM_MUTANTS = [
    Mutant("Transform ignores split_idx", "transform_solution", _transform(split="pass")),
    Mutant("Transform acts when called without a split_idx", "transform_solution", _transform(
        split="if self.split_idx is not None and split_idx is not None and split_idx != self.split_idx: return x")),
    Mutant("Transform applies encodes to the whole tuple", "transform_solution", _transform(tuple_="pass")),
    Mutant("Transform returns a list for a tuple", "transform_solution", _transform(
        tuple_="if isinstance(x, tuple): return [f(o) for o in x]")),
    Mutant("Transform also splits lists", "transform_solution", _transform(
        tuple_="if isinstance(x, (tuple, list)): return type(x)(f(o) for o in x)")),
    Mutant("Transform.decode calls encodes", "transform_solution", _transform(
        decode="return self._apply(self.encodes, x, split_idx)")),
    # new kinds: falsy 0, state shared through the class, constructor details, nesting, types
    Mutant("Transform takes split_idx=0 for no split (truthiness)", "transform_solution", _transform(
        split="if self.split_idx and split_idx != self.split_idx: return x")),
    Mutant("Transform.decode ignores split_idx", "transform_solution", _transform(
        decode="return tuple(self.decodes(o) for o in x) if isinstance(x, tuple) else self.decodes(x)")),
    Mutant("Transform keeps the functions in a dict shared by every instance", "transform_solution", _transform(
        class_extra="funcs = {}",
        init='''if enc is not None: self.funcs["enc"] = enc
        if dec is not None: self.funcs["dec"] = dec
        if "enc" in self.funcs: self.encodes = self.funcs["enc"]
        if "dec" in self.funcs: self.decodes = self.funcs["dec"]
        if split_idx is not None: self.split_idx = split_idx''')),
    Mutant("Transform sets split_idx on the class", "transform_solution", _transform(
        init='''if enc is not None: self.encodes = enc
        if dec is not None: self.decodes = dec
        if split_idx is not None: type(self).split_idx = split_idx''')),
    Mutant("Transform replaces encodes/decodes even when none is given", "transform_solution", _transform(
        init='''self.encodes, self.decodes = enc, dec
        if split_idx is not None: self.split_idx = split_idx''')),
    Mutant("Transform overwrites a class-level split_idx with the default None", "transform_solution", _transform(
        init='''if enc is not None: self.encodes = enc
        if dec is not None: self.decodes = dec
        self.split_idx = split_idx''')),
    Mutant("Transform recurses into nested tuples", "transform_solution", _transform(
        tuple_="if isinstance(x, tuple): return tuple(self._apply(f, o, split_idx) for o in x)")),
    Mutant("Transform binds the given functions as methods", "transform_solution", _transform(
        init='''import types
        if enc is not None: self.encodes = types.MethodType(enc, self)
        if dec is not None: self.decodes = types.MethodType(dec, self)
        if split_idx is not None: self.split_idx = split_idx''')),
    Mutant("Transform casts each result back to the input's type", "transform_solution", _transform(
        tuple_="if isinstance(x, tuple): return tuple(type(o)(f(o)) for o in x)", result="type(x)(f(x))")),
    Mutant("Transform treats an empty tuple as one item", "transform_solution", _transform(
        tuple_="if isinstance(x, tuple) and len(x) > 0: return tuple([f(o) for o in x])")),
    Mutant("Transform splits lists in place", "transform_solution", _transform(
        tuple_='''if isinstance(x, tuple): return tuple(f(o) for o in x)
        if isinstance(x, list):
            for i, o in enumerate(x): x[i] = f(o)
            return x''')),
]

# ----------------------------------------------------------------------------------------------------------------
# Pipeline
# ----------------------------------------------------------------------------------------------------------------

_PIPELINE = '''
class Pipeline:
    def __init__(self, funcs, split_idx=None):
        INIT
        self.split_idx = split_idx

    def __call__(self, x):
        CALL

    def decode(self, x):
        for t in DECODE_ORDER:
            x = DECODE_STEP
        return x

    def setup(self, items):
        SETUP
'''
_CALL = '''for t in self.fs:
            x = t(x, split_idx=self.split_idx)
        return x'''
_SETUP = '''items = list(items)
        for t in self.fs:
            t.setup(items)
            items = [t(o, split_idx=self.split_idx) for o in items]'''


def _pipeline(init="self.fs = sorted(funcs, key=lambda t: t.order)", call=_CALL, decode_order="reversed(self.fs)",
              decode_step="t.decode(x, split_idx=self.split_idx)", setup=_SETUP):
    return (_PIPELINE.replace("INIT", init).replace("CALL", call).replace("DECODE_ORDER", decode_order)
            .replace("DECODE_STEP", decode_step).replace("SETUP", setup))


PIPELINE_MUTANTS = [
    Mutant("Pipeline does not sort by order", "pipeline_solution", _pipeline(init="self.fs = list(funcs)")),
    Mutant("Pipeline sorts highest order first", "pipeline_solution", _pipeline(
        init="self.fs = sorted(funcs, key=lambda t: t.order, reverse=True)")),
    Mutant("Pipeline decodes in forward order", "pipeline_solution", _pipeline(decode_order="self.fs")),
    Mutant("Pipeline drops its split_idx", "pipeline_solution", _pipeline(call='''for t in self.fs:
            x = t(x)
        return x''')),
    Mutant("Pipeline sets every transform up on the raw items", "pipeline_solution", _pipeline(
        setup='''for t in self.fs:
            t.setup(list(items))''')),
    # new kinds: mutation of inputs, ties, split in decode and setup, order of setup, composition
    Mutant("Pipeline sorts the caller's list in place", "pipeline_solution", _pipeline(
        init='''funcs.sort(key=lambda t: t.order)
        self.fs = funcs''')),
    Mutant("Pipeline.setup rewrites the caller's items in place", "pipeline_solution", _pipeline(
        setup='''for t in self.fs:
            t.setup(items)
            items[:] = [t(o, split_idx=self.split_idx) for o in items]''')),
    Mutant("Pipeline.setup passes the items on without its split_idx", "pipeline_solution", _pipeline(
        setup='''items = list(items)
        for t in self.fs:
            t.setup(items)
            items = [t(o) for o in items]''')),
    Mutant("Pipeline.setup sets transforms up in the order given", "pipeline_solution", _pipeline(
        init='''self.given = list(funcs)
        self.fs = sorted(funcs, key=lambda t: t.order)''',
        setup='''items = list(items)
        for t in self.given:
            t.setup(items)
            items = [t(o, split_idx=self.split_idx) for o in items]''')),
    Mutant("Pipeline.decode drops its split_idx", "pipeline_solution", _pipeline(decode_step="t.decode(x)")),
    Mutant("Pipeline applies every transform to the original input", "pipeline_solution", _pipeline(
        call='''y = x
        for t in self.fs:
            y = t(x, split_idx=self.split_idx)
        return y''')),
    Mutant("Pipeline reverses transforms of equal order", "pipeline_solution", _pipeline(
        init="self.fs = sorted(reversed(list(funcs)), key=lambda t: t.order)")),
    Mutant("Pipeline.decode calls decodes directly", "pipeline_solution", _pipeline(decode_step="t.decodes(x)")),
    Mutant("Pipeline.setup applies each transform before setting it up", "pipeline_solution", _pipeline(
        setup='''items = list(items)
        for t in self.fs:
            items = [t(item, self.split_idx) for item in items]
            t.setup(items)''')),
    Mutant("Pipeline keeps one transform per order", "pipeline_solution", _pipeline(
        init="self.fs = sorted({t.order: t for t in funcs}.values(), key=lambda t: t.order)")),
]

# ----------------------------------------------------------------------------------------------------------------
# Normalize
# ----------------------------------------------------------------------------------------------------------------

_NORMALIZE = '''
class Normalize(ref.Transform):
    order = 99

    def __init__(self, mean=None, std=None, eps=1e-7):
        super().__init__()
        self.mean, self.std, self.eps = mean, std, eps

    def setups(self, items):
        GIVEN
        x = torch.as_tensor(items).float()
        SETUPS

    def _stats(self):
        return STATS

    def encodes(self, x: TYPE):
        ENCODES

    def decodes(self, x: TYPE):
        mean, std = self._stats()
        return DECODE
'''
_SETUPS = '''self.mean = x.mean(dim=(0, 2, 3))
        self.std = x.std(dim=(0, 2, 3)) + self.eps'''
_ENCODES = '''mean, std = self._stats()
        return (x - mean) / std'''


def _normalize(given="if self.mean is not None and self.std is not None: return", setups=_SETUPS,
               stats="self.mean.reshape(1, -1, 1, 1), self.std.reshape(1, -1, 1, 1)", typ="TensorImage",
               encodes=_ENCODES, decode="x * std + mean"):
    return (_NORMALIZE.replace("GIVEN", given).replace("SETUPS", setups).replace("STATS", stats)
            .replace("TYPE", typ).replace("ENCODES", encodes).replace("DECODE", decode))


NORMALIZE_MUTANTS = [
    Mutant("Normalize: one mean and std for the whole batch", "normalize_solution", _normalize(
        setups='''self.mean = x.mean()
        self.std = x.std() + self.eps''')),
    Mutant("Normalize: no eps on the standard deviation", "normalize_solution", _normalize(
        setups='''self.mean = x.mean(dim=(0, 2, 3))
        self.std = x.std(dim=(0, 2, 3))''')),
    Mutant("Normalize also normalizes labels (annotated torch.Tensor)", "normalize_solution",
           _normalize(typ="torch.Tensor")),
    Mutant("Normalize: setups overwrites given statistics", "normalize_solution", _normalize(given="pass")),
    Mutant("Normalize: decodes divides by std", "normalize_solution", _normalize(decode="x / std + mean")),
    # new kinds: which std, eps, state learnt once, in-place, channel counts, shapes, types, non-images
    Mutant("Normalize: population standard deviation", "normalize_solution", _normalize(
        setups='''self.mean = x.mean(dim=(0, 2, 3))
        self.std = x.std(dim=(0, 2, 3), unbiased=False) + self.eps''')),
    Mutant("Normalize: eps hard-coded instead of self.eps", "normalize_solution", _normalize(
        setups='''self.mean = x.mean(dim=(0, 2, 3))
        self.std = x.std(dim=(0, 2, 3)) + 1e-7''')),
    Mutant("Normalize: eps added in encodes, not kept in std", "normalize_solution", _normalize(
        setups='''self.mean = x.mean(dim=(0, 2, 3))
        self.std = x.std(dim=(0, 2, 3))''',
        encodes='''mean, std = self._stats()
        return (x - mean) / (std + self.eps)''', decode="x * (std + self.eps) + mean")),
    Mutant("Normalize: statistics of each batch in encodes", "normalize_solution", _normalize(
        encodes='''mean = x.mean(dim=(0, 2, 3)).view(1, -1, 1, 1)
        std = x.std(dim=(0, 2, 3)).view(1, -1, 1, 1) + self.eps
        return (x - mean) / std''')),
    Mutant("Normalize: normalizes the batch in place", "normalize_solution", _normalize(
        encodes='''mean, std = self._stats()
        return x.sub_(mean).div_(std)''')),
    Mutant("Normalize: three channels hard-coded", "normalize_solution", _normalize(
        stats="self.mean.reshape(1, 3, 1, 1), self.std.reshape(1, 3, 1, 1)")),
    Mutant("Normalize: keeps mean and std with shape (1, C, 1, 1)", "normalize_solution", _normalize(
        setups='''self.mean = x.mean(dim=(0, 2, 3), keepdim=True)
        self.std = x.std(dim=(0, 2, 3), keepdim=True) + self.eps''')),
    Mutant("Normalize: normalizes every 4-d tensor, whatever its type", "normalize_solution", _normalize(
        typ="object", encodes='''if not isinstance(x, torch.Tensor) or x.ndim != 4: return x
        mean, std = self._stats()
        return (x - mean) / std''')),
    Mutant("Normalize: setups centres the training images in place", "normalize_solution", _normalize(
        setups='''self.mean = x.mean(dim=(0, 2, 3))
        x -= self.mean.view(1, -1, 1, 1)
        self.std = x.std(dim=(0, 2, 3)) + self.eps''')),
    Mutant("Normalize: adds eps to a given std", "normalize_solution", _normalize(
        given='''if self.mean is not None and self.std is not None:
            self.std = self.std + self.eps
            return''')),
    Mutant("Normalize: keeps mean and std as lists", "normalize_solution", _normalize(
        setups='''self.mean = x.mean(dim=(0, 2, 3)).tolist()
        self.std = (x.std(dim=(0, 2, 3)) + self.eps).tolist()''',
        stats="torch.tensor(self.mean).view(1, -1, 1, 1), torch.tensor(self.std).view(1, -1, 1, 1)")),
    Mutant("Normalize: statistics per image and channel", "normalize_solution", _normalize(
        setups='''self.mean = x.mean(dim=(2, 3)).mean(0)
        self.std = x.std(dim=(2, 3)).mean(0) + self.eps''')),
]

# ----------------------------------------------------------------------------------------------------------------
# Categorize
# ----------------------------------------------------------------------------------------------------------------

_CATEGORIZE = '''
class Categorize(ref.Transform):
    order = 1

    def __init__(self, vocab=None):
        super().__init__()
        self.vocab = None if vocab is None else list(vocab)

    def setups(self, items):
        SETUPS

    def encodes(self, o):
        UNKNOWN
        return WRAP

    def decodes(self, o: TensorCategory):
        return DECODE
'''


def _categorize(setups="if self.vocab is None: self.vocab = sorted(set(items))",
                unknown="if o not in self.vocab: raise KeyError(o)", wrap="TensorCategory(self.vocab.index(o))",
                decode="self.vocab[int(o)]"):
    return (_CATEGORIZE.replace("SETUPS", setups).replace("UNKNOWN", unknown).replace("WRAP", wrap)
            .replace("DECODE", decode))


CATEGORIZE_MUTANTS = [
    Mutant("Categorize: vocab in order of first appearance", "categorize_solution", _categorize(
        setups="if self.vocab is None: self.vocab = list(dict.fromkeys(items))")),
    Mutant("Categorize: labels sorted as text", "categorize_solution", _categorize(
        setups="if self.vocab is None: self.vocab = sorted(set(items), key=str)")),
    Mutant("Categorize: unknown labels become id 0", "categorize_solution", _categorize(
        unknown="if o not in self.vocab: return TensorCategory(0)")),
    Mutant("Categorize: decode returns the id", "categorize_solution", _categorize(decode="int(o)")),
    Mutant("Categorize: encodes returns a plain int", "categorize_solution", _categorize(
        wrap="self.vocab.index(o)")),
    Mutant("Categorize: setups overwrites a given vocab", "categorize_solution", _categorize(
        setups="self.vocab = sorted(set(items))")),
    # new kinds: ordering and types of labels, id types, the error and its message, mutation, state
    Mutant("Categorize: vocab sorted ignoring case", "categorize_solution", _categorize(
        setups="if self.vocab is None: self.vocab = sorted(set(items), key=lambda o: o.lower() if isinstance(o, str) "
               "else o)")),
    Mutant("Categorize: labels turned into strings", "categorize_solution", _categorize(
        setups="if self.vocab is None: self.vocab = sorted(set(str(o) for o in items))",
        unknown="o = str(o)\n        if o not in self.vocab: raise KeyError(o)")),
    Mutant("Categorize: ids as float tensors", "categorize_solution", _categorize(
        wrap="TensorCategory(float(self.vocab.index(o)))")),
    Mutant("Categorize: ids of shape (1,)", "categorize_solution", _categorize(
        wrap="TensorCategory([self.vocab.index(o)])")),
    Mutant("Categorize: ids as plain tensors", "categorize_solution", _categorize(
        wrap="torch.tensor(self.vocab.index(o))")),
    Mutant("Categorize: the error does not name the label", "categorize_solution", _categorize(
        unknown="if o not in self.vocab: raise KeyError('label not in the vocab')")),
    Mutant("Categorize: a generic Exception for an unknown label", "categorize_solution", _categorize(
        unknown="if o not in self.vocab: raise Exception(f'unknown label {o!r}')")),
    Mutant("Categorize: unknown labels are added to the vocab", "categorize_solution", _categorize(
        unknown="if o not in self.vocab: self.vocab.append(o)")),
    Mutant("Categorize: setups sorts the caller's list in place", "categorize_solution", _categorize(
        setups='''if self.vocab is None:
            items.sort()
            self.vocab = list(dict.fromkeys(items))''')),
    Mutant("Categorize: vocab as a tuple", "categorize_solution", _categorize(
        setups="if self.vocab is None: self.vocab = tuple(sorted(set(items)))")),
    Mutant("Categorize: labels looked up as text", "categorize_solution", _categorize(
        unknown='''names = [str(v) for v in self.vocab]
        if str(o) not in names: raise KeyError(o)''', wrap="TensorCategory(names.index(str(o)))")),
    Mutant("Categorize: vocab sorted backwards", "categorize_solution", _categorize(
        setups="if self.vocab is None: self.vocab = sorted(set(items), reverse=True)")),
    Mutant("Categorize: decodes returns the label as text", "categorize_solution", _categorize(
        decode="str(self.vocab[int(o)])")),
    Mutant("Categorize: setups sorts a given vocab", "categorize_solution", _categorize(
        setups="self.vocab = sorted(self.vocab if self.vocab is not None else set(items))")),
]

MUTANTS = TRANSFORM_MUTANTS + PIPELINE_MUTANTS + NORMALIZE_MUTANTS + CATEGORIZE_MUTANTS
