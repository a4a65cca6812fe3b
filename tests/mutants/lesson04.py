"""Plausible wrong implementations for exercise 04 (learner and callbacks): each must fail at least one check."""
from tests.mutants import Mutant

_ONE_BATCH = '''
def one_batch(learn):
    learn.pred = learn.model(*learn.xb)
    learn('after_pred')
    LOSS
    learn('after_loss')
    TRAINING_ONLY
    BACKWARD_STEP
'''
_LOSS = '''learn.loss_grad = learn.loss_func(learn.pred, *learn.yb)
    learn.loss = learn.loss_grad.detach()'''
_TRAINING = '''if not learn.training:
        return'''
_STAGES = '''with_events(learn, lambda: learn.loss_grad.backward(), 'backward', CancelBackwardException)
    with_events(learn, lambda: learn.opt.step(), 'step', CancelStepException)
    learn.opt.zero_grad()'''


def _one_batch(loss=_LOSS, training=_TRAINING, stages=_STAGES):
    return _ONE_BATCH.replace("LOSS", loss).replace("TRAINING_ONLY", training).replace("BACKWARD_STEP", stages)


_EARLY = '''
class EarlyStopping(Callback):
    order = ORDER

    def __init__(self, patience=1):
        self.patience = patience

    def before_fit(self):
        BEST_INIT

    def after_epoch(self):
        valid_loss = self.learn.recorder.values[-1][1]
        if valid_loss COMPARE self.best:
            self.best = valid_loss
            WAIT_ZERO
            return
        self.wait += 1
        if self.wait STOP_TEST self.patience:
            raise EXCEPTION()
'''


def _early(order="60", reset="self.best, self.wait = math.inf, 0", compare="<", wait_reset="self.wait = 0",
           stop_test=">=", exception="CancelFitException"):
    return (_EARLY.replace("ORDER", order).replace("BEST_INIT", reset).replace("COMPARE", compare)
            .replace("WAIT_ZERO", wait_reset).replace("STOP_TEST", stop_test).replace("EXCEPTION", exception))


_CLIP = '''
class GradClip(Callback):
    def __init__(self, max_norm=1.0):
        self.max_norm = max_norm

    def EVENT(self):
        grads = [p.grad for p in self.learn.model.parameters() if p.grad is not None]
        BODY
'''
_CLIP_BODY = '''norm = torch.sqrt(sum((g ** 2).sum() for g in grads))
        if norm > self.max_norm:
            for g in grads:
                g.mul_(self.max_norm / (norm + 1e-6))'''


def _clip(event="before_step", body=_CLIP_BODY):
    return _CLIP.replace("EVENT", event).replace("BODY", body)


_NOISE = '''
class TrainNoise(Callback):
    def __init__(self, std=0.1):
        self.std = std

    def before_batch(self):
        TRAINING
        x = self.learn.xb[0]
        ASSIGN
'''


def _noise(training="if not self.learn.training: return",
           assign="self.learn.xb = (x + self.std * torch.randn_like(x),) + tuple(self.learn.xb[1:])"):
    return _NOISE.replace("TRAINING", training).replace("ASSIGN", assign)


MUTANTS = [
    # with_events
    Mutant("with_events skips after_cancel", "with_events_solution", '''
def with_events(learn, f, stage, cancel_exc):
    try:
        learn(f'before_{stage}')
        f()
    except cancel_exc:
        pass
    learn(f'after_{stage}')
'''),
    Mutant("with_events skips after_<stage> when cancelled", "with_events_solution", '''
def with_events(learn, f, stage, cancel_exc):
    try:
        learn(f'before_{stage}')
        f()
        learn(f'after_{stage}')
    except cancel_exc:
        learn(f'after_cancel_{stage}')
'''),
    Mutant("with_events catches every cancel exception", "with_events_solution", '''
def with_events(learn, f, stage, cancel_exc):
    try:
        learn(f'before_{stage}')
        f()
    except Exception:
        learn(f'after_cancel_{stage}')
    learn(f'after_{stage}')
'''),
    Mutant("with_events fires before_<stage> outside the try", "with_events_solution", '''
def with_events(learn, f, stage, cancel_exc):
    learn(f'before_{stage}')
    try:
        f()
    except cancel_exc:
        learn(f'after_cancel_{stage}')
    learn(f'after_{stage}')
'''),
    Mutant("with_events fires after_cancel and after in the wrong order", "with_events_solution", '''
def with_events(learn, f, stage, cancel_exc):
    try:
        learn(f'before_{stage}')
        f()
    except cancel_exc:
        learn(f'after_{stage}')
        learn(f'after_cancel_{stage}')
        return
    learn(f'after_{stage}')
'''),
    # one_batch
    Mutant("one_batch zeroes the gradients before the step", "one_batch_solution", _one_batch(stages='''with_events(learn, lambda: learn.loss_grad.backward(), 'backward', CancelBackwardException)
    learn.opt.zero_grad()
    with_events(learn, lambda: learn.opt.step(), 'step', CancelStepException)''')),
    Mutant("one_batch never zeroes the gradients", "one_batch_solution", _one_batch(stages='''with_events(learn, lambda: learn.loss_grad.backward(), 'backward', CancelBackwardException)
    with_events(learn, lambda: learn.opt.step(), 'step', CancelStepException)''')),
    Mutant("one_batch steps during validation too", "one_batch_solution", _one_batch(training="pass")),
    Mutant("one_batch calls backward and step without their events", "one_batch_solution", _one_batch(stages='''learn.loss_grad.backward()
    learn.opt.step()
    learn.opt.zero_grad()''')),
    Mutant("one_batch fires after_loss before computing the loss", "one_batch_solution", '''
def one_batch(learn):
    learn.pred = learn.model(*learn.xb)
    learn('after_pred')
    learn('after_loss')
    learn.loss_grad = learn.loss_func(learn.pred, *learn.yb)
    learn.loss = learn.loss_grad.detach()
    if not learn.training:
        return
    with_events(learn, lambda: learn.loss_grad.backward(), 'backward', CancelBackwardException)
    with_events(learn, lambda: learn.opt.step(), 'step', CancelStepException)
    learn.opt.zero_grad()
'''),
    # TrainNoise
    Mutant("TrainNoise also in validation", "train_noise_solution", _noise(training="pass")),
    Mutant("TrainNoise assigns a tensor, not a tuple", "train_noise_solution", _noise(
        assign="self.learn.xb = x + self.std * torch.randn_like(x)")),
    Mutant("TrainNoise scales by the variance", "train_noise_solution", _noise(
        assign="self.learn.xb = (x + self.std ** 2 * torch.randn_like(x),) + tuple(self.learn.xb[1:])")),
    Mutant("TrainNoise replaces the inputs by noise", "train_noise_solution", _noise(
        assign="self.learn.xb = (self.std * torch.randn_like(x),) + tuple(self.learn.xb[1:])")),
    Mutant("TrainNoise puts noise on the targets too", "train_noise_solution", _noise(
        assign='''self.learn.xb = (x + self.std * torch.randn_like(x),) + tuple(self.learn.xb[1:])
        self.learn.yb = tuple(y + self.std * torch.randn_like(y) for y in self.learn.yb)''')),
    # EarlyStopping
    Mutant("EarlyStopping counts a tie as an improvement", "early_stopping_solution", _early(compare="<=")),
    Mutant("EarlyStopping never resets its count", "early_stopping_solution", _early(wait_reset="pass")),
    Mutant("EarlyStopping stops one epoch late", "early_stopping_solution", _early(stop_test=">")),
    Mutant("EarlyStopping keeps the best value across fits", "early_stopping_solution", _early(
        reset="self.wait = 0\n        self.best = getattr(self, 'best', math.inf)")),
    Mutant("EarlyStopping cancels the epoch, not the fit", "early_stopping_solution", _early(
        exception="CancelEpochException")),
    Mutant("EarlyStopping runs before the Recorder", "early_stopping_solution", _early(order="0")),
    # GradClip
    Mutant("GradClip clips each tensor separately", "grad_clip_solution", _clip(body='''for g in grads:
            norm = g.norm()
            if norm > self.max_norm:
                g.mul_(self.max_norm / (norm + 1e-6))''')),
    Mutant("GradClip clamps values instead of the norm", "grad_clip_solution", _clip(body='''for g in grads:
            g.clamp_(-self.max_norm, self.max_norm)''')),
    Mutant("GradClip always rescales to max_norm", "grad_clip_solution", _clip(body='''norm = torch.sqrt(sum((g ** 2).sum() for g in grads))
        for g in grads:
            g.mul_(self.max_norm / (norm + 1e-6))''')),
    Mutant("GradClip forgets the square root", "grad_clip_solution", _clip(body='''norm = sum((g ** 2).sum() for g in grads)
        if norm > self.max_norm:
            for g in grads:
                g.mul_(self.max_norm / (norm + 1e-6))''')),
    Mutant("GradClip clips after the step", "grad_clip_solution", _clip(event="after_step")),
]
