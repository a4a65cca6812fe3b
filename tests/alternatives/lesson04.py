"""Correct solutions to exercise 04 written differently from solutions/: each must keep full marks."""

# grade_id of a solution cell -> alternative sources (each graded on its own, reference pieces around it)
ALTERNATIVES = {
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
        best = min(range(len(self.losses)), key=lambda i: (self.losses[i], i))  # first epoch with the best loss
        if len(self.losses) - 1 - best >= self.patience:
            raise CancelFitException()
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
'''],
}
