"""Plausible wrong implementations for exercise 04 (learner and callbacks): each must fail at least one check."""
from tests.mutants import Mutant

# ---------------------------------------------------------------------------------------------------------------
# with_events
# ---------------------------------------------------------------------------------------------------------------

_WE = '''
    PRE
    try:
        BEFORE
        f()
        IN_TRY
    except CATCH:
        ON_CANCEL
    POST
'''
_BEFORE, _CANCEL, _AFTER = "learn(f'before_{stage}')", "learn(f'after_cancel_{stage}')", "learn(f'after_{stage}')"


def _we(pre: str = "", before: str = _BEFORE, in_try: str = "", catch: str = "cancel_exc",
        on_cancel: tuple = (_CANCEL,), post: str = _AFTER) -> str:
    """The solution's body with some parts replaced (`on_cancel`: the lines run when the exception is caught)."""
    return (_WE.replace("PRE", pre).replace("BEFORE", before).replace("IN_TRY", in_try).replace("CATCH", catch)
            .replace("ON_CANCEL", "\n        ".join(on_cancel)).replace("POST", post))


_ALL_CANCELS = ("cancels = (CancelBatchException, CancelBackwardException, CancelStepException, CancelFitException,\n"
                "               CancelEpochException, ref.CancelTrainException, ref.CancelValidException)")

_WITH_EVENTS = [
    ("with_events skips after_cancel", _we(on_cancel=("pass",))),
    ("with_events skips after_<stage> when cancelled", _we(in_try=_AFTER, post="")),
    ("with_events catches every cancel exception", _we(catch="Exception")),
    ("with_events fires before_<stage> outside the try", _we(pre=_BEFORE, before="")),
    ("with_events fires after_cancel and after in the wrong order", _we(on_cancel=(_AFTER, _CANCEL, "return"))),
    # new kinds: the statement's finally misreading, exceptions of other kinds, after events inside the try
    ("with_events fires after_<stage> in a finally", _we(post="finally:\n        " + _AFTER)),
    ("with_events catches the cancel exceptions of every stage", _we(pre=_ALL_CANCELS, catch="cancels")),
    ("with_events fires after_<stage> twice when cancelled", _we(on_cancel=(_CANCEL, _AFTER))),
    ("with_events watches after_<stage> too", _we(in_try=_AFTER, on_cancel=(_CANCEL, _AFTER), post="")),
    ("with_events swallows ordinary errors", _we(post="except Exception:\n        pass\n    " + _AFTER)),
    ("with_events misspells after_cancel_<stage>", _we(on_cancel=("learn(f'after_cancel{stage}')",))),
    ("with_events re-raises the cancel exception", _we(on_cancel=(_CANCEL, _AFTER, "raise"))),
    ("with_events fires after_cancel for any exception, then re-raises the others", _we(
        catch="Exception as err", on_cancel=(_CANCEL, "if not isinstance(err, cancel_exc):", "    raise"))),
]

# ---------------------------------------------------------------------------------------------------------------
# one_batch
# ---------------------------------------------------------------------------------------------------------------

_PRED = "learn.pred = learn.model(*learn.xb)\n    learn('after_pred')"
_LOSS = ("learn.loss_grad = learn.loss_func(learn.pred, *learn.yb)\n    learn.loss = learn.loss_grad.detach()\n"
         "    learn('after_loss')")
_TRAINING = "if not learn.training:\n        return"
_BACKWARD = "with_events(learn, lambda: learn.loss_grad.backward(), 'backward', CancelBackwardException)"
_STEP = "with_events(learn, lambda: learn.opt.step(), 'step', CancelStepException)"
_ZERO = "learn.opt.zero_grad()"


def _one_batch(*lines: str) -> str:
    return "\n    " + "\n    ".join(lines) + "\n"


_BODY = (_PRED, _LOSS, _TRAINING, _BACKWARD, _STEP, _ZERO)


def _ob(**swap: str) -> str:
    """The solution's body with some of its lines replaced (keys: pred, loss, training, backward, step, zero)."""
    names = ("pred", "loss", "training", "backward", "step", "zero")
    return _one_batch(*(swap.get(n, line) for n, line in zip(names, _BODY)))


_ONE_BATCH = [
    ("one_batch zeroes the gradients before the step", _ob(step=_ZERO + "\n    " + _STEP, zero="pass")),
    ("one_batch never zeroes the gradients", _ob(zero="pass")),
    ("one_batch steps during validation too", _ob(training="pass")),
    ("one_batch calls backward and step without their events", _ob(
        backward="learn.loss_grad.backward()", step="learn.opt.step()")),
    ("one_batch fires after_loss before computing the loss", _ob(loss=(
        "learn('after_loss')\n    learn.loss_grad = learn.loss_func(learn.pred, *learn.yb)\n"
        "    learn.loss = learn.loss_grad.detach()"))),
    # new kinds: state read before an event, several inputs/targets, types, detach, order, gradients' lifetime
    ("one_batch fires after_pred before setting the prediction", _ob(
        pred="learn('after_pred')\n    learn.pred = learn.model(*learn.xb)")),
    ("one_batch computes the loss from a local prediction", _ob(
        pred="pred = learn.model(*learn.xb)\n    learn.pred = pred\n    learn('after_pred')",
        loss=("learn.loss_grad = learn.loss_func(pred, *learn.yb)\n    learn.loss = learn.loss_grad.detach()\n"
              "    learn('after_loss')"))),
    ("one_batch runs backward on a local loss", _ob(
        loss=("loss = learn.loss_func(learn.pred, *learn.yb)\n    learn.loss_grad = loss\n"
              "    learn.loss = loss.detach()\n    learn('after_loss')"),
        backward="with_events(learn, lambda: loss.backward(), 'backward', CancelBackwardException)")),
    ("one_batch gives the model only the first input", _ob(
        pred="learn.pred = learn.model(learn.xb[0])\n    learn('after_pred')")),
    ("one_batch gives the loss only the first target", _ob(
        loss=("learn.loss_grad = learn.loss_func(learn.pred, learn.yb[0])\n    learn.loss = learn.loss_grad.detach()\n"
              "    learn('after_loss')"))),
    ("one_batch passes the targets before the prediction", _ob(
        loss=("learn.loss_grad = learn.loss_func(*learn.yb, learn.pred)\n    learn.loss = learn.loss_grad.detach()\n"
              "    learn('after_loss')"))),
    ("one_batch keeps the graph in learn.loss", _ob(
        loss="learn.loss_grad = learn.loss_func(learn.pred, *learn.yb)\n    learn.loss = learn.loss_grad\n"
             "    learn('after_loss')")),
    ("one_batch stores learn.loss as a float", _ob(
        loss="learn.loss_grad = learn.loss_func(learn.pred, *learn.yb)\n    learn.loss = learn.loss_grad.item()\n"
             "    learn('after_loss')")),
    ("one_batch never sets learn.loss", _ob(
        loss="learn.loss_grad = learn.loss_func(learn.pred, *learn.yb)\n    learn('after_loss')")),
    ("one_batch runs backward on the detached loss", _ob(
        backward="with_events(learn, lambda: learn.loss.backward(), 'backward', CancelBackwardException)")),
    ("one_batch zeroes the gradients inside the step stage", _ob(
        step="with_events(learn, lambda: (learn.opt.step(), learn.opt.zero_grad()), 'step', CancelStepException)",
        zero="pass")),
    ("one_batch zeroes the gradients before the backward pass", _ob(
        backward=_ZERO + "\n    " + _BACKWARD, zero="pass")),
    ("one_batch skips after_loss during validation", _ob(
        loss=("if not learn.training:\n        return\n    learn.loss_grad = learn.loss_func(learn.pred, *learn.yb)\n"
              "    learn.loss = learn.loss_grad.detach()\n    learn('after_loss')"))),
    ("one_batch steps before the backward pass", _ob(backward=_STEP, step=_BACKWARD)),
]

# ---------------------------------------------------------------------------------------------------------------
# TrainNoise
# ---------------------------------------------------------------------------------------------------------------

_NOISE = '''
class TrainNoise(Callback):
    def __init__(self, std=0.1):
        self.std = std

    def before_batch(self):
        TRAINING
        x = self.learn.xb[0]
        ASSIGN
'''
_NOISY = "(x + self.std * torch.randn_like(x),)"


def _noise(training: str = "if not self.learn.training: return", assign: str = "") -> str:
    assign = assign or f"self.learn.xb = {_NOISY} + tuple(self.learn.xb[1:])"
    return _NOISE.replace("TRAINING", training).replace("ASSIGN", assign)


def _noise_first(expr: str) -> str:
    """The first input becomes `expr` (x is the input), the rest of the solution as it is."""
    return _noise(assign=f"self.learn.xb = ({expr},) + tuple(self.learn.xb[1:])")


_TRAIN_NOISE = [
    ("TrainNoise also in validation", _noise(training="pass")),
    ("TrainNoise assigns a tensor, not a tuple", _noise(assign="self.learn.xb = x + self.std * torch.randn_like(x)")),
    ("TrainNoise scales by the variance", _noise_first("x + self.std ** 2 * torch.randn_like(x)")),
    ("TrainNoise replaces the inputs by noise", _noise_first("self.std * torch.randn_like(x)")),
    ("TrainNoise puts noise on the targets too", _noise(assign=(
        f"self.learn.xb = {_NOISY} + tuple(self.learn.xb[1:])\n"
        "        self.learn.yb = tuple(y + self.std * torch.randn_like(y) for y in self.learn.yb)"))),
    # new kinds: several inputs, mutation of the dataset, the noise's shape/freshness/distribution, types
    ("TrainNoise puts noise on every input", _noise(
        assign="self.learn.xb = tuple(t + self.std * torch.randn_like(t) for t in self.learn.xb)")),
    ("TrainNoise drops the other inputs", _noise(assign=f"self.learn.xb = {_NOISY}")),
    ("TrainNoise adds the noise in place", _noise(assign="x.add_(self.std * torch.randn_like(x))")),
    ("TrainNoise seeds the generator in every batch", _noise(
        assign=f"torch.manual_seed(0)\n        self.learn.xb = {_NOISY} + tuple(self.learn.xb[1:])")),
    ("TrainNoise draws one number per batch", _noise_first("x + self.std * torch.randn(1)")),
    ("TrainNoise shares the noise between rows", _noise_first("x + self.std * torch.randn(x.shape[-1])")),
    ("TrainNoise scales the noise by the input's spread", _noise_first("x + self.std * x.std() * torch.randn_like(x)")),
    ("TrainNoise multiplies the input by the noise", _noise_first("x * (1 + self.std * torch.randn_like(x))")),
    ("TrainNoise makes learn.xb a list", _noise(
        assign="self.learn.xb = [x + self.std * torch.randn_like(x)] + list(self.learn.xb[1:])")),
    ("TrainNoise adds float64 noise from numpy", _noise_first(
        "x + torch.from_numpy(__import__('numpy').random.normal(0, self.std, tuple(x.shape)))")),
    ("TrainNoise uses uniform noise", _noise_first("x + self.std * torch.rand_like(x)")),
]

# ---------------------------------------------------------------------------------------------------------------
# EarlyStopping
# ---------------------------------------------------------------------------------------------------------------

_EARLY = '''
class EarlyStopping(Callback):
    order = ORDER

    def __init__(self, patience=1):
        self.patience = patience
        INIT

    def before_fit(self):
        BEST_INIT

    def after_epoch(self):
        valid_loss = READ
        if COMPARE:
            self.best = valid_loss
            WAIT_ZERO
            return
        self.wait += 1
        if self.wait STOP_TEST self.patience:
            raise EXCEPTION()
'''


def _early(order="60", init="pass", reset="self.best, self.wait = math.inf, 0",
           read="self.learn.recorder.values[-1][1]", compare="valid_loss < self.best", wait_reset="self.wait = 0",
           stop_test=">=", exception="CancelFitException"):
    return (_EARLY.replace("ORDER", order).replace("BEST_INIT", reset).replace("INIT", init).replace("READ", read)
            .replace("COMPARE", compare).replace("WAIT_ZERO", wait_reset).replace("STOP_TEST", stop_test)
            .replace("EXCEPTION", exception))


_EARLY_STOPPING = [
    ("EarlyStopping counts a tie as an improvement", _early(compare="valid_loss <= self.best")),
    ("EarlyStopping never resets its count", _early(wait_reset="pass")),
    ("EarlyStopping stops one epoch late", _early(stop_test=">")),
    ("EarlyStopping keeps the best value across fits", _early(
        reset="self.wait = 0\n        self.best = getattr(self, 'best', math.inf)")),
    ("EarlyStopping cancels the epoch, not the fit", _early(exception="CancelEpochException")),
    ("EarlyStopping runs before the Recorder", _early(order="0")),
    # new kinds: which column, NaN, state between fits, which value it compares with
    ("EarlyStopping watches the training loss", _early(read="self.learn.recorder.values[-1][0]")),
    ("EarlyStopping watches the last column", _early(read="self.learn.recorder.values[-1][-1]")),
    ("EarlyStopping counts NaN as an improvement", _early(compare="not valid_loss >= self.best")),
    ("EarlyStopping keeps its count across fits", _early(init="self.wait = 0", reset="self.best = math.inf")),
    ("EarlyStopping watches the last batch's loss", _early(read="float(self.learn.loss)")),
    ("EarlyStopping compares with the previous epoch", _early(
        compare="(valid_loss < self.best, setattr(self, 'best', valid_loss))[0]")),
]

# ---------------------------------------------------------------------------------------------------------------
# GradClip
# ---------------------------------------------------------------------------------------------------------------

_CLIP = '''
class GradClip(Callback):
    def __init__(self, max_norm=1.0):
        self.max_norm = max_norm

    def EVENT(self):
        grads = GRADS
        BODY
'''
_GRADS = "[p.grad for p in self.learn.model.parameters() if p.grad is not None]"
_CLIP_BODY = '''norm = torch.sqrt(sum((g ** 2).sum() for g in grads))
        if norm > self.max_norm:
            for g in grads:
                g.mul_(self.max_norm / (norm + 1e-6))'''


def _clip(event="before_step", body=_CLIP_BODY, grads=_GRADS):
    return _CLIP.replace("EVENT", event).replace("GRADS", grads).replace("BODY", body)


def _clip_norm(norm: str) -> str:
    """The solution's body with another way of measuring the norm (`grads` is the list of gradients)."""
    return _CLIP_BODY.replace("torch.sqrt(sum((g ** 2).sum() for g in grads))", norm)


_GRAD_CLIP = [
    ("GradClip clips each tensor separately", _clip(body='''for g in grads:
            norm = g.norm()
            if norm > self.max_norm:
                g.mul_(self.max_norm / (norm + 1e-6))''')),
    ("GradClip clamps values instead of the norm", _clip(body='''for g in grads:
            g.clamp_(-self.max_norm, self.max_norm)''')),
    ("GradClip always rescales to max_norm", _clip(body='''norm = torch.sqrt(sum((g ** 2).sum() for g in grads))
        for g in grads:
            g.mul_(self.max_norm / (norm + 1e-6))''')),
    ("GradClip forgets the square root", _clip(body=_clip_norm("sum((g ** 2).sum() for g in grads)"))),
    ("GradClip clips after the step", _clip(event="after_step")),
    # new kinds: parameters without gradient, which event, which tensors, the norm's kind, stale state
    ("GradClip clips right after the backward pass", _clip(event="after_backward")),
    ("GradClip reads every parameter's gradient", _clip(grads="[p.grad for p in self.learn.model.parameters()]")),
    ("GradClip picks the parameters that require a gradient", _clip(
        grads="[p.grad for p in self.learn.model.parameters() if p.requires_grad]")),
    ("GradClip measures the norm of the weights", _clip(body='''norm = torch.sqrt(sum((p.detach() ** 2).sum()
                               for p in self.learn.model.parameters()))
        if norm > self.max_norm:
            for g in grads:
                g.mul_(self.max_norm / (norm + 1e-6))''')),
    ("GradClip normalises to unit norm", _clip(body=_CLIP_BODY.replace("self.max_norm / (norm + 1e-6)",
                                                                       "1 / (norm + 1e-6)"))),
    ("GradClip clips each layer separately", _clip(body='''for m in self.learn.model.modules():
            gs = [p.grad for p in m.parameters(recurse=False) if p.grad is not None]
            norm = torch.sqrt(sum((g ** 2).sum() for g in gs)) if gs else 0
            if norm > self.max_norm:
                for g in gs:
                    g.mul_(self.max_norm / (norm + 1e-6))''')),
    ("GradClip uses the largest entry as the norm", _clip(body=_clip_norm("max(g.abs().max() for g in grads)"))),
    ("GradClip uses the L1 norm", _clip(body=_clip_norm("sum(g.abs().sum() for g in grads)"))),
    ("GradClip keeps the gradient tensors of the first batch", _clip(
        grads=f"self.__dict__.setdefault('kept', {_GRADS})")),
    ("GradClip clips only the first parameter group", _clip(
        grads="[p.grad for p in self.learn.opt.param_lists[0] if p.grad is not None]")),
    ("GradClip scales by norm / max_norm", _clip(body=_CLIP_BODY.replace("self.max_norm / (norm + 1e-6)",
                                                                         "norm / self.max_norm"))),
]


def _with_events_cell(body: str) -> str:
    return "\ndef with_events(learn, f, stage, cancel_exc):" + body


MUTANTS = ([Mutant(name, "with_events_solution", _with_events_cell(body)) for name, body in _WITH_EVENTS]
           + [Mutant(name, "one_batch_solution", "\ndef one_batch(learn):" + body) for name, body in _ONE_BATCH]
           + [Mutant(name, "train_noise_solution", src) for name, src in _TRAIN_NOISE]
           + [Mutant(name, "early_stopping_solution", src) for name, src in _EARLY_STOPPING]
           + [Mutant(name, "grad_clip_solution", src) for name, src in _GRAD_CLIP])
