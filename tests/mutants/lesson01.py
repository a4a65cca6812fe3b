"""Plausible wrong implementations for exercise 01 (tensors and type dispatch): each must fail at least one check."""
from tests.mutants import Mutant

# ----------------------------------------------------------------------------------------------------------------
# 1. dispatch_types
# ----------------------------------------------------------------------------------------------------------------

_DISPATCH_TYPES = '''
def dispatch_types(f):
    kinds = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    params = [p for p in inspect.signature(f).parameters.values() if p.kind in KINDS]
    if not params or params[0].annotation is inspect.Parameter.empty:
        return MISSING
    annotation = params[0].annotation
    if isinstance(annotation, type):
        return SINGLE
    if typing.get_origin(annotation) in UNIONS:
        annotation = typing.get_args(annotation)
    if isinstance(annotation, tuple) and all(isinstance(t, type) for t in annotation):
        return TUPLE
    raise ERROR
'''


def _dispatch_types(kinds="kinds", missing="(object,)", single="(annotation,)", unions="(typing.Union, types.UnionType)",
                    tuple_="annotation", error='TypeError(f"cannot dispatch on the annotation {annotation!r}")'):
    return (_DISPATCH_TYPES.replace("KINDS", kinds).replace("MISSING", missing).replace("SINGLE", single)
            .replace("UNIONS", unions).replace("TUPLE", tuple_).replace("ERROR", error))


MUTANTS = [
    Mutant("dispatch_types reads the first entry of __annotations__", "dispatch_types_solution", '''
def dispatch_types(f):
    annotations = dict(f.__annotations__)
    if not annotations:
        return (object,)
    annotation = next(iter(annotations.values()))
    if isinstance(annotation, type):
        return (annotation,)
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        return typing.get_args(annotation)
    if isinstance(annotation, tuple):
        return annotation
    raise TypeError(f"bad annotation {annotation!r}")
''', note="a later parameter or the return annotation is taken when the first parameter has none"),
    Mutant("dispatch_types nests a tuple annotation in another tuple", "dispatch_types_solution",
           _dispatch_types(tuple_="(annotation,)")),
    Mutant("dispatch_types ignores unions", "dispatch_types_solution", _dispatch_types(unions="()")),
    Mutant("dispatch_types knows only the `int | str` kind of union", "dispatch_types_solution",
           _dispatch_types(unions="(types.UnionType,)")),
    Mutant("dispatch_types returns a list", "dispatch_types_solution",
           _dispatch_types(missing="[object]", single="[annotation]", tuple_="list(annotation)")),
    Mutant("dispatch_types returns the empty marker for a missing annotation", "dispatch_types_solution",
           _dispatch_types().replace("if not params or params[0].annotation is inspect.Parameter.empty:",
                                     "if not params:")),
    Mutant("dispatch_types counts *args and keyword-only parameters", "dispatch_types_solution",
           _dispatch_types().replace(" if p.kind in kinds]", "]")),
    Mutant("dispatch_types accepts any annotation", "dispatch_types_solution",
           _dispatch_types(error='AssertionError("unreachable")').replace(
               "    raise AssertionError", "    return (annotation,)\n    raise AssertionError")),
    Mutant("dispatch_types raises ValueError for a bad annotation", "dispatch_types_solution",
           _dispatch_types(error='ValueError(f"cannot dispatch on the annotation {annotation!r}")')),
    Mutant("dispatch_types' error does not mention the annotation", "dispatch_types_solution",
           _dispatch_types(error='TypeError(f"cannot dispatch {f.__name__}")')),
    Mutant("dispatch_types sorts the classes of a tuple", "dispatch_types_solution",
           _dispatch_types(tuple_="tuple(sorted(annotation, key=lambda t: t.__name__))")),
    Mutant("dispatch_types does not check the classes inside a tuple", "dispatch_types_solution",
           _dispatch_types().replace(" and all(isinstance(t, type) for t in annotation)", "")),
    Mutant("dispatch_types raises IndexError for a function without positional parameters", "dispatch_types_solution",
           _dispatch_types().replace("if not params or params[0]", "if params[0]")),
]

# ----------------------------------------------------------------------------------------------------------------
# 2. closest
# ----------------------------------------------------------------------------------------------------------------

_CLOSEST = '''
def closest(cls, table):
    mro = cls.__mro__
    best, best_score = None, None
    for classes, f in table.items():
        found = [mro.index(c) for c in classes if c in mro]
        if not found:
            continue
        score = SCORE
        if best_score is None or score COMPARE best_score:
            best, best_score = f, score
    return best
'''


def _closest(score="(min(found), len(classes))", compare="<"):
    return _CLOSEST.replace("SCORE", score).replace("COMPARE", compare)


MUTANTS += [
    Mutant("closest takes the first entry that matches", "closest_solution", '''
def closest(cls, table):
    for classes, f in table.items():
        if issubclass(cls, classes):
            return f
    return None
'''),
    Mutant("closest prefers the most general class", "closest_solution", _closest(score="(-min(found), len(classes))")),
    Mutant("closest counts steps up through __bases__", "closest_solution", '''
def closest(cls, table):
    def steps(target):
        level, frontier = 0, [cls]
        while frontier:
            if target in frontier:
                return level
            frontier = [b for c in frontier for b in c.__bases__]
            level += 1
        return None
    best, best_score = None, None
    for classes, f in table.items():
        found = [s for s in (steps(c) for c in classes) if s is not None]
        if found and (best_score is None or (min(found), len(classes)) < best_score):
            best, best_score = f, (min(found), len(classes))
    return best
'''),
    Mutant("closest ignores how many classes an entry has", "closest_solution", _closest(score="min(found)")),
    Mutant("closest prefers a tuple to a single class on a tie", "closest_solution",
           _closest(score="(min(found), -len(classes))")),
    Mutant("closest lets the later entry win a complete tie", "closest_solution", _closest(compare="<=")),
    Mutant("closest scores a tuple by its farthest class", "closest_solution",
           _closest(score="(max(found), len(classes))")),
    Mutant("closest looks only at the first class of each entry", "closest_solution",
           _closest().replace("for c in classes if c in mro", "for c in classes[:1] if c in mro")),
    Mutant("closest raises KeyError when nothing matches", "closest_solution",
           _closest().replace("    return best\n", "    if best is None:\n        raise KeyError(cls.__name__)\n"
                                                   "    return best\n")),
    Mutant("closest returns the entry's classes instead of its function", "closest_solution",
           _closest().replace("best, best_score = f, score", "best, best_score = classes, score")),
    Mutant("closest removes the entries that do not match", "closest_solution", '''
def closest(cls, table):
    mro = cls.__mro__
    for classes in list(table):
        if not any(c in mro for c in classes):
            del table[classes]
    best, best_score = None, None
    for classes, f in table.items():
        score = (min(mro.index(c) for c in classes if c in mro), len(classes))
        if best_score is None or score < best_score:
            best, best_score = f, score
    return best
'''),
    Mutant("closest uses the metaclass's MRO (type(cls))", "closest_solution",
           _closest().replace("mro = cls.__mro__", "mro = type(cls).__mro__")),
]

# ----------------------------------------------------------------------------------------------------------------
# 3. TypeDispatch
# ----------------------------------------------------------------------------------------------------------------

_DISPATCHER = '''
class TypeDispatch:
    def __init__(self, funcs=(), name=None):
        self.name, self.table = name, {}
        for f in funcs:
            self.add(f)

    def add(self, f):
        self.table[ref.dispatch_types(f)] = f
        NAME
        RETURN

    def __call__(self, x, *args, **kwargs):
        f = ref.closest(type(x), self.table)
        if f is None:
            registered = ", ".join("(" + ", ".join(c.__name__ for c in classes) + ")" for classes in self.table)
            raise ERROR
        return CALL
'''


def _dispatcher(name="if self.name is None:\n            self.name = f.__name__", ret="return self",
                error='TypeError(f"{self.name}: no function for {type(x).__name__}; registered: {registered}")',
                call="f(x, *args, **kwargs)"):
    return _DISPATCHER.replace("NAME", name).replace("RETURN", ret).replace("ERROR", error).replace("CALL", call)


MUTANTS += [
    Mutant("TypeDispatch.add returns nothing", "type_dispatch_solution", _dispatcher(ret="return None")),
    Mutant("TypeDispatch.add returns the function", "type_dispatch_solution", _dispatcher(ret="return f")),
    Mutant("TypeDispatch takes the name of the last function added", "type_dispatch_solution",
           _dispatcher(name="self.name = f.__name__")),
    Mutant("TypeDispatch ignores the name it is given", "type_dispatch_solution",
           _dispatcher(name="self.first = getattr(self, 'first', None) or f.__name__").replace(
               "{self.name}:", "{getattr(self, 'first', 'dispatch')}:")),
    Mutant("TypeDispatch raises KeyError when nothing matches", "type_dispatch_solution",
           _dispatcher(error='KeyError(f"{self.name}: no function for {type(x).__name__}; registered: {registered}")')),
    Mutant("TypeDispatch returns None when nothing matches", "type_dispatch_solution",
           _dispatcher().replace("            raise TypeError", "            return None\n            raise TypeError")),
    Mutant("TypeDispatch's error does not list what is registered", "type_dispatch_solution",
           _dispatcher(error='TypeError(f"{self.name}: no function for {type(x).__name__}")')),
    Mutant("TypeDispatch's error lists only the first class of each tuple", "type_dispatch_solution",
           _dispatcher(error='TypeError(f"{self.name}: no function for {type(x).__name__}; registered: '
                             '{[c[0].__name__ for c in self.table]}")')),
    Mutant("TypeDispatch's error does not name the argument's class", "type_dispatch_solution",
           _dispatcher(error='TypeError(f"{self.name}: nothing fits; registered: {registered}")')),
    Mutant("TypeDispatch drops the extra arguments", "type_dispatch_solution", _dispatcher(call="f(x)")),
    Mutant("TypeDispatch drops the keyword arguments", "type_dispatch_solution", _dispatcher(call="f(x, *args)")),
    Mutant("TypeDispatch returns the function instead of calling it", "type_dispatch_solution", _dispatcher(call="f")),
    Mutant("TypeDispatch dispatches on the last argument", "type_dispatch_solution",
           _dispatcher().replace("ref.closest(type(x), self.table)",
                                 "ref.closest(type(((x,) + args)[-1]), self.table)")),
    Mutant("TypeDispatch remembers lookups and never forgets them", "type_dispatch_solution", '''
class TypeDispatch:
    def __init__(self, funcs=(), name=None):
        self.name, self.table, self.cache = name, {}, {}
        for f in funcs:
            self.add(f)

    def add(self, f):
        self.table[ref.dispatch_types(f)] = f
        if self.name is None:
            self.name = f.__name__
        return self

    def __call__(self, x, *args, **kwargs):
        if type(x) not in self.cache:
            self.cache[type(x)] = ref.closest(type(x), self.table)
        f = self.cache[type(x)]
        if f is None:
            registered = ", ".join("(" + ", ".join(c.__name__ for c in classes) + ")" for classes in self.table)
            raise TypeError(f"{self.name}: no function for {type(x).__name__}; registered: {registered}")
        return f(x, *args, **kwargs)
'''),
    Mutant("TypeDispatch keeps the first function registered for the same classes", "type_dispatch_solution",
           _dispatcher().replace("        self.table[ref.dispatch_types(f)] = f",
                                 "        self.table.setdefault(ref.dispatch_types(f), f)")),
]

# ----------------------------------------------------------------------------------------------------------------
# 4. TensorBase
# ----------------------------------------------------------------------------------------------------------------

_TENSOR_BASE = '''
class TensorBase(torch.Tensor):
    def __new__(cls, x, **meta):
        t = x if isinstance(x, torch.Tensor) else torch.as_tensor(x)
        t = t.as_subclass(NEW_CLASS)
        t.__dict__.update(meta)
        return t

    @classmethod
    def __torch_function__(cls, func, types, args=(), kwargs=None):
TORCH_FUNCTION
    def as_plain(self):
        return AS_PLAIN
'''

_TORCH_FUNCTION = '''
        with torch._C.DisableTorchFunctionSubclass():
            result = func(*args, **(kwargs or {}))
        candidates = CANDIDATES
        meta = next((t.__dict__ for t in candidates if IS_META and t.__dict__), {})

        def retype(r):
            if isinstance(r, torch.Tensor):
                if not isinstance(r, cls):
                    r = r.as_subclass(TO_CLASS)
                COPY_META
                return r
            if type(r) in CONTAINERS:
                return type(r)(retype(o) for o in r)
            return r
        return retype(result)
'''


def _tensor_base(new_class="cls", candidates="[t for a in args for t in (a if isinstance(a, (list, tuple)) else (a,))]",
                 is_meta="isinstance(t, TensorBase)", to_class="cls",
                 copy_meta="if not r.__dict__:\n                    r.__dict__.update(meta)",
                 containers="(tuple, list)", as_plain="self.as_subclass(torch.Tensor)", torch_function=None):
    body = torch_function or (_TORCH_FUNCTION.replace("CANDIDATES", candidates).replace("IS_META", is_meta)
                              .replace("TO_CLASS", to_class).replace("COPY_META", copy_meta)
                              .replace("CONTAINERS", containers))
    return (_TENSOR_BASE.replace("NEW_CLASS", new_class).replace("TORCH_FUNCTION", body.strip("\n") + "\n")
            .replace("AS_PLAIN", as_plain))


MUTANTS += [
    Mutant("TensorBase leaves everything to torch's default __torch_function__", "tensor_base_solution",
           _tensor_base(torch_function="        return super().__torch_function__(func, types, args, kwargs)"),
           note="the class survives, the metadata does not, and unrelated subclasses cannot be mixed"),
    Mutant("TensorBase uses torch's default and copies the first argument's metadata", "tensor_base_solution",
           _tensor_base(torch_function='''
        result = super().__torch_function__(func, types, args, kwargs)
        if isinstance(result, TensorBase) and args and isinstance(args[0], TensorBase):
            result.__dict__.update(args[0].__dict__)
        return result
''')),
    Mutant("TensorBase calls the operation without switching subclass handling off", "tensor_base_solution",
           _tensor_base().replace("with torch._C.DisableTorchFunctionSubclass():", "if True:")),
    Mutant("TensorBase takes the metadata of the first argument only", "tensor_base_solution",
           _tensor_base(candidates="args[:1]")),
    Mutant("TensorBase does not look inside list arguments", "tensor_base_solution", _tensor_base(candidates="args")),
    Mutant("TensorBase takes the metadata of the last argument that has some", "tensor_base_solution",
           _tensor_base(candidates="[t for a in args for t in (a if isinstance(a, (list, tuple)) else (a,))][::-1]")),
    Mutant("TensorBase takes metadata from any tensor subclass", "tensor_base_solution",
           _tensor_base(is_meta="isinstance(t, torch.Tensor)")),
    Mutant("TensorBase takes metadata only from tensors of class cls", "tensor_base_solution",
           _tensor_base(is_meta="isinstance(t, cls)")),
    Mutant("TensorBase shares the input's metadata dict", "tensor_base_solution",
           _tensor_base(copy_meta="if not r.__dict__:\n                    r.__dict__ = meta")),
    Mutant("TensorBase overwrites the metadata a result already has", "tensor_base_solution",
           _tensor_base(copy_meta="r.__dict__.update(meta)")),
    Mutant("TensorBase converts results to the first argument's class", "tensor_base_solution",
           _tensor_base(to_class="type(args[0]) if isinstance(args[0], TensorBase) else cls").replace(
               "if not isinstance(r, cls):", "if True:")),
    Mutant("TensorBase always converts results to TensorBase", "tensor_base_solution",
           _tensor_base(to_class="TensorBase").replace("if not isinstance(r, cls):", "if type(r) is not TensorBase:")),
    Mutant("TensorBase leaves tuples of tensors plain", "tensor_base_solution", _tensor_base(containers="()")),
    Mutant("TensorBase converts every result, tensor or not", "tensor_base_solution", _tensor_base(torch_function='''
        with torch._C.DisableTorchFunctionSubclass():
            result = func(*args, **(kwargs or {}))
        meta = next((a.__dict__ for a in args if isinstance(a, TensorBase) and a.__dict__), {})
        if isinstance(result, (tuple, list)):
            return type(result)(r.as_subclass(cls) for r in result)
        result = result.as_subclass(cls)
        result.__dict__.update(meta)
        return result
''')),
    Mutant("TensorBase's constructor copies the data", "tensor_base_solution",
           _tensor_base().replace("t = x if isinstance(x, torch.Tensor) else torch.as_tensor(x)",
                                  "t = torch.tensor(x.tolist() if isinstance(x, torch.Tensor) else x)")),
    Mutant("TensorBase's constructor ignores the metadata", "tensor_base_solution",
           _tensor_base().replace("        t.__dict__.update(meta)\n", "")),
    Mutant("TensorBase's constructor always makes a TensorBase", "tensor_base_solution",
           _tensor_base(new_class="TensorBase")),
    Mutant("as_plain copies the data", "tensor_base_solution",
           _tensor_base(as_plain="self.as_subclass(torch.Tensor).clone()")),
    Mutant("as_plain keeps the class", "tensor_base_solution", _tensor_base(as_plain="self.detach()")),
    Mutant("as_plain detaches", "tensor_base_solution",
           _tensor_base(as_plain="self.as_subclass(torch.Tensor).detach()")),
]

# ----------------------------------------------------------------------------------------------------------------
# 5. to_plain
# ----------------------------------------------------------------------------------------------------------------

_TO_PLAIN = '''
def to_plain(x):
    if isinstance(x, TENSOR):
        return STRIP
    if isinstance(x, (tuple, list)):
        return SEQUENCE
    if isinstance(x, dict):
        return MAPPING
    return x
'''


def _to_plain(tensor="ref.TensorBase", strip="x.as_plain()", sequence="type(x)(to_plain(o) for o in x)",
              mapping="{k: to_plain(v) for k, v in x.items()}"):
    return (_TO_PLAIN.replace("TENSOR", tensor).replace("STRIP", strip).replace("SEQUENCE", sequence)
            .replace("MAPPING", mapping))


MUTANTS += [
    Mutant("to_plain strips one level only", "to_plain_solution",
           _to_plain(sequence="type(x)(o.as_plain() if isinstance(o, ref.TensorBase) else o for o in x)",
                     mapping="{k: v.as_plain() if isinstance(v, ref.TensorBase) else v for k, v in x.items()}")),
    Mutant("to_plain leaves dicts alone", "to_plain_solution", _to_plain(mapping="x")),
    Mutant("to_plain turns tuples into lists", "to_plain_solution", _to_plain(sequence="[to_plain(o) for o in x]")),
    Mutant("to_plain copies the tensors", "to_plain_solution", _to_plain(strip="x.as_plain().clone()")),
    Mutant("to_plain detaches the tensors", "to_plain_solution", _to_plain(strip="x.as_plain().detach()")),
    Mutant("to_plain strips lists in place", "to_plain_solution", '''
def to_plain(x):
    if isinstance(x, ref.TensorBase):
        return x.as_plain()
    if isinstance(x, list):
        for i, o in enumerate(x):
            x[i] = to_plain(o)
        return x
    if isinstance(x, tuple):
        return tuple(to_plain(o) for o in x)
    if isinstance(x, dict):
        return {k: to_plain(v) for k, v in x.items()}
    return x
'''),
    Mutant("to_plain strips only exact TensorBase tensors", "to_plain_solution", '''
def to_plain(x):
    if type(x) is ref.TensorBase:
        return x.as_plain()
    if isinstance(x, (tuple, list)):
        return type(x)(to_plain(o) for o in x)
    if isinstance(x, dict):
        return {k: to_plain(v) for k, v in x.items()}
    return x
'''),
    Mutant("to_plain makes a tensor of every leaf", "to_plain_solution",
           _to_plain().replace("    return x\n", "    return torch.as_tensor(x) if isinstance(x, (int, float)) else x\n")),
    Mutant("to_plain keeps the class with .data", "to_plain_solution", _to_plain(strip="x.data")),
    Mutant("to_plain returns the values of a dict", "to_plain_solution",
           _to_plain(mapping="[to_plain(v) for v in x.values()]")),
]
