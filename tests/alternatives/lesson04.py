"""Correct solutions to exercise 04 written differently from solutions/: each must keep full marks."""

# grade_id of a solution cell -> alternative sources (each graded on its own, reference pieces around it)
ALTERNATIVES = {
    'with_events_solution': ['''
def with_events(learn, f, stage, cancel_exc):
    cancelled = False
    try:
        learn('before_' + stage)
        f()
    except cancel_exc:
        cancelled = True
    if cancelled:
        learn('after_cancel_' + stage)
    learn('after_' + stage)
''', '''
def with_events(learn, f, stage, cancel_exc):
    names = {k: f"{k}_{stage}" for k in ("before", "after_cancel", "after")}
    try:
        for part in (lambda: learn(names["before"]), f):
            part()
    except cancel_exc:
        learn(names["after_cancel"])
        learn(names["after"])
        return
    learn(names["after"])
'''],
    'one_batch_solution': ['''
def one_batch(learn):
    learn.pred = learn.model(*learn.xb); learn('after_pred')
    learn.loss_grad = learn.loss_func(learn.pred, *learn.yb); learn.loss = learn.loss_grad.detach()
    learn('after_loss')
    if learn.training:
        def backward(): learn.loss_grad.backward()
        def step(): learn.opt.step()
        with_events(learn, backward, 'backward', CancelBackwardException)
        with_events(learn, step, 'step', CancelStepException)
        learn.opt.zero_grad()
''', '''
def one_batch(learn):
    xb, yb = learn.xb, learn.yb
    learn.pred = learn.model(*xb)
    learn('after_pred')
    learn.loss_grad = learn.loss_func(learn.pred, *yb)
    with torch.no_grad():
        learn.loss = learn.loss_grad.clone()
    learn('after_loss')
    if not learn.training:
        return
    stages = [('backward', CancelBackwardException, lambda: learn.loss_grad.backward()),
              ('step', CancelStepException, lambda: learn.opt.step())]
    for stage, exc, body in stages:
        with_events(learn, body, stage, exc)
    learn.model.zero_grad()
'''],
    'train_noise_solution': ['''
class TrainNoise(Callback):
    run_valid = False

    def __init__(self, std=0.1):
        self.std = std

    def before_batch(self):
        xb = list(self.learn.xb)
        xb[0] = xb[0] + torch.normal(0.0, self.std, size=xb[0].shape)
        self.learn.xb = tuple(xb)
''', '''
class TrainNoise(Callback):
    def __init__(self, std=0.1):
        self.std = std

    def before_batch(self):
        if self.training:  # the learner's flag, read through the callback
            first, *rest = self.xb
            noise = torch.empty_like(first).normal_(0.0, self.std)
            self.learn.xb = (first + noise, *rest)
''', '''
class TrainNoise(Callback):
    order = 5

    def __init__(self, std=0.1):
        self.std = std

    def before_batch(self):
        if not self.learn.training:
            return
        x, others = self.learn.xb[0], list(self.learn.xb[1:])
        noisy = torch.add(x, torch.randn(x.shape, dtype=x.dtype, device=x.device), alpha=self.std)
        self.learn.xb = tuple([noisy] + others)
'''],
    'early_stopping_solution': ['''
class EarlyStopping(Callback):
    order = 70

    def __init__(self, patience=1):
        self.patience = patience

    def before_fit(self):
        self.losses = []

    def after_epoch(self):
        self.losses.append(self.recorder.values[-1][1])
        ok = [i for i, v in enumerate(self.losses) if not math.isnan(v)]
        best = min(ok, key=lambda i: (self.losses[i], i)) if ok else -1  # first epoch with the best loss
        if len(self.losses) - 1 - best >= self.patience:
            raise CancelFitException()
''', '''
class EarlyStopping(Callback):
    order = 51

    def __init__(self, patience=1):
        self.patience = patience

    def before_fit(self):
        self.best, self.best_epoch = None, -1

    def after_epoch(self):
        loss = float(self.learn.recorder.values[-1][1])
        if (self.best is None and not math.isnan(loss)) or (self.best is not None and loss < self.best):
            self.best, self.best_epoch = loss, self.learn.epoch
        if self.learn.epoch - self.best_epoch >= self.patience:
            raise CancelFitException()
''', '''
class EarlyStopping(Callback):
    order = 60

    def __init__(self, patience=1):
        self.patience = patience

    def before_fit(self):
        self.best, self.wait = float('inf'), 0

    def after_epoch(self):
        *_, row = self.recorder.values
        loss = row[1]
        if math.isnan(loss) or loss >= self.best:
            self.wait += 1
            if self.wait == self.patience:
                raise CancelFitException()
        else:
            self.best, self.wait = loss, 0
'''],
    'grad_clip_solution': ['''
class GradClip(Callback):
    def __init__(self, max_norm=1.0):
        self.max_norm = max_norm

    def before_step(self):
        grads = [p.grad for p in self.learn.model.parameters() if p.grad is not None]
        norm = torch.linalg.vector_norm(torch.cat([g.flatten() for g in grads]))
        factor = min(1.0, self.max_norm / (float(norm) + 1e-6))
        for g in grads:
            g *= factor
''', '''
class GradClip(Callback):
    def __init__(self, max_norm=1.0):
        self.max_norm = max_norm

    def before_step(self):
        params = [p for p in self.learn.model.parameters() if p.grad is not None]
        total = math.sqrt(sum(float(p.grad.pow(2).sum()) for p in params))
        if total > self.max_norm:
            for p in params:
                p.grad = p.grad * (self.max_norm / (total + 1e-6))  # a new tensor: the optimizer reads p.grad
''', '''
class GradClip(Callback):
    def __init__(self, max_norm=1.0):
        self.max_norm = max_norm

    def before_step(self):
        grads = [p.grad for p in self.model.parameters() if p.grad is not None]
        if not grads:
            return
        norm = torch.linalg.vector_norm(torch.stack([torch.linalg.vector_norm(g) for g in grads]))
        factor = torch.clamp(self.max_norm / (norm + 1e-6), max=1.0)
        for g in grads:
            g.mul_(factor)
'''],
}
