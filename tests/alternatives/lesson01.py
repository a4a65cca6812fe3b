"""Correct solutions to exercise 01 written differently from solutions/: each must keep full marks."""

# the part of the TypeDispatch cell the student copy already shows
_DISPATCHER_START = '''
class TypeDispatch:
    "Calls the registered function whose annotation is closest to the class of the first argument."

    def __init__(self, funcs=(), name=None):
        self.name, self.table = name, {}
        for f in funcs:
            self.add(f)
'''

# grade_id of a solution cell -> alternative sources (each graded on its own, reference pieces around it)
ALTERNATIVES = {
    'dispatch_types_solution': ['''
def dispatch_types(f):
    positional = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    first = next((p for p in inspect.signature(f).parameters.values() if p.kind in positional), None)
    if first is None or first.annotation is first.empty:
        return (object,)
    a = first.annotation
    if isinstance(a, types.UnionType) or typing.get_origin(a) is typing.Union:
        a = a.__args__
    if isinstance(a, type):
        a = (a,)
    if not isinstance(a, tuple) or not all(isinstance(t, type) for t in a):
        raise TypeError(f"{f.__name__}: the annotation {a!r} is not a class, a tuple of classes or a union")
    return a
''', '''
def _classes(annotation):
    "The classes an annotation stands for, or a TypeError."
    if isinstance(annotation, type):
        return [annotation]
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        return [c for member in typing.get_args(annotation) for c in _classes(member)]
    if isinstance(annotation, tuple):
        if not all(isinstance(c, type) for c in annotation):
            raise TypeError(f"every element of a tuple annotation must be a class: {annotation!r}")
        return list(annotation)
    raise TypeError(f"unusable annotation: {annotation!r}")

def dispatch_types(f):
    for p in inspect.signature(f).parameters.values():
        if p.kind in (p.VAR_POSITIONAL, p.KEYWORD_ONLY, p.VAR_KEYWORD):
            continue
        return (object,) if p.annotation is p.empty else tuple(_classes(p.annotation))
    return (object,)
'''],
    'closest_solution': ['''
def closest(cls, table):
    for c in cls.__mro__:  # walk the MRO: the first class some entry holds decides
        holders = [(len(classes), i, f) for i, (classes, f) in enumerate(table.items()) if c in classes]
        if holders:
            return min(holders, key=lambda h: h[:2])[2]
    return None
''', '''
def closest(cls, table):
    candidates = []
    for i, (classes, f) in enumerate(table.items()):
        positions = [d for d, c in enumerate(cls.__mro__) if c in classes]
        if positions:
            candidates.append(((positions[0], len(classes), i), f))
    if not candidates:
        return None
    return sorted(candidates, key=lambda c: c[0])[0][1]
'''],
    'type_dispatch_solution': [_DISPATCHER_START + '''
    def add(self, f):
        self.name = self.name or f.__name__
        self.table = {**self.table, ref.dispatch_types(f): f}
        return self

    def __call__(self, x, *args, **kwargs):
        cls = type(x)
        f = ref.closest(cls, self.table)
        if f is not None:
            return f(x, *args, **kwargs)
        names = sorted({c.__name__ for classes in self.table for c in classes})
        raise TypeError(f"no {self.name} for a {cls.__name__} (only for {' | '.join(names) or 'nothing yet'})")
''', _DISPATCHER_START + '''
    def add(self, f):
        key = ref.dispatch_types(f)
        self.table.pop(key, None)
        self.table[key] = f
        if self.name is None:
            self.name = getattr(f, "__name__", "dispatch")
        return self

    def lookup(self, cls):
        return ref.closest(cls, self.table)

    def __call__(self, *args, **kwargs):
        f = self.lookup(type(args[0]))
        if f is None:
            lines = [f"{self.name} cannot handle a {type(args[0]).__name__}. Registered:"]
            lines += ["  " + " or ".join(c.__name__ for c in classes) for classes in self.table]
            raise TypeError("\\n".join(lines))
        return f(*args, **kwargs)
'''],
    'tensor_base_solution': ['''
class TensorBase(torch.Tensor):
    "A tensor that keeps its class and its metadata attributes through torch operations."

    def __new__(cls, x, **meta):
        if not isinstance(x, torch.Tensor):
            x = torch.as_tensor(x)
        res = x.as_subclass(cls)
        for k, v in meta.items():
            setattr(res, k, v)
        return res

    @classmethod
    def __torch_function__(cls, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        with torch._C.DisableTorchFunctionSubclass():
            out = func(*args, **kwargs)
        source = None
        for a in args:
            for t in (a if isinstance(a, (list, tuple)) else [a]):
                if source is None and isinstance(t, TensorBase) and vars(t):
                    source = vars(t)

        def fix(t):
            if not isinstance(t, torch.Tensor):
                return t
            if not isinstance(t, cls):
                t = t.as_subclass(cls)
            if source and not vars(t):
                for k, v in source.items():
                    setattr(t, k, v)
            return t
        if type(out) in (tuple, list):
            return type(out)(fix(t) for t in out)
        return fix(out)

    def as_plain(self):
        return torch.Tensor.as_subclass(self, torch.Tensor)
''', '''
import copy


class TensorBase(torch.Tensor):
    "A tensor that keeps its class and its metadata attributes through torch operations."

    def __new__(cls, x, **meta):
        res = torch.as_tensor(x).as_subclass(cls)  # as_tensor returns a tensor as it is
        res.__dict__ = dict(meta)
        return res

    @staticmethod
    def _meta_of(args):
        for a in args:
            inner = a if type(a) in (list, tuple) else (a,)
            for t in inner:
                if isinstance(t, TensorBase) and t.__dict__:
                    return t.__dict__
        return {}

    @classmethod
    def _wrap(cls, r, meta):
        if isinstance(r, (list, tuple)) and type(r) in (list, tuple):
            return type(r)(cls._wrap(o, meta) for o in r)
        if not isinstance(r, torch.Tensor):
            return r
        r = r if isinstance(r, cls) else r.as_subclass(cls)
        if not r.__dict__:
            r.__dict__ = copy.copy(meta)
        return r

    @classmethod
    def __torch_function__(cls, func, types, args=(), kwargs=None):
        with torch._C.DisableTorchFunctionSubclass():
            result = func(*args, **({} if kwargs is None else kwargs))
        return cls._wrap(result, cls._meta_of(args))

    def as_plain(self):
        with torch._C.DisableTorchFunctionSubclass():
            return self.view_as(self)
'''],
    'to_plain_solution': ['''
def to_plain(x):
    if isinstance(x, torch.Tensor):
        return x.as_subclass(torch.Tensor)
    if isinstance(x, tuple):
        return tuple(to_plain(o) for o in x)
    if isinstance(x, list):
        return [to_plain(o) for o in x]
    if isinstance(x, dict):
        return dict((k, to_plain(v)) for k, v in x.items())
    return x
''', '''
from torch.utils import _pytree as pytree


def to_plain(x):
    return pytree.tree_map(lambda leaf: leaf.as_plain() if isinstance(leaf, ref.TensorBase) else leaf, x)
'''],
}
