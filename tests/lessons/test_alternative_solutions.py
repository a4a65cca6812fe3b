"""Fair graders: correct solutions written differently from the reference solution still get full marks."""
from __future__ import annotations

from pathlib import Path

import pytest

from fastlayers.checks.runner import Job, run_notebooks

ROOT = Path(__file__).resolve().parents[2]

# Correct, but in another style than solutions/: a check that fails one of these is too strict.
ALTERNATIVES = {
    "02_transforms": {
        "transform_solution": '''
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
''',
        "pipeline_solution": '''
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
''',
        "normalize_solution": '''
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
''',
        "categorize_solution": '''
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
''',
    },
    "04_learner_callbacks": {
        "one_batch_solution": '''
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
''',
        "train_noise_solution": '''
class TrainNoise(Callback):
    run_valid = False

    def __init__(self, std=0.1):
        self.std = std

    def before_batch(self):
        xb = list(self.learn.xb)
        xb[0] = xb[0] + torch.normal(0.0, self.std, size=xb[0].shape)
        self.learn.xb = tuple(xb)
''',
        "early_stopping_solution": '''
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
''',
        "grad_clip_solution": '''
class GradClip(Callback):
    def __init__(self, max_norm=1.0):
        self.max_norm = max_norm

    def before_step(self):
        grads = [p.grad for p in self.learn.model.parameters() if p.grad is not None]
        norm = torch.linalg.vector_norm(torch.cat([g.flatten() for g in grads]))
        factor = min(1.0, self.max_norm / (float(norm) + 1e-6))
        for g in grads:
            g *= factor
''',
    },
    "06_schedules": {
        "sched_cos_solution": '''
def sched_cos(start, end, pos):
    return end + (start - end) * (1 + math.cos(math.pi * pos)) / 2
''',
        "combine_scheds_solution": '''
import bisect, itertools

def combine_scheds(pcts, scheds):
    starts = list(itertools.accumulate([0.0] + list(pcts[:-1])))
    def f(pos):
        i = min(bisect.bisect_right(starts, pos) - 1, len(scheds) - 1)
        return scheds[i](min((pos - starts[i]) / pcts[i], 1.0))
    return f
''',
        "param_scheduler_solution": '''
class ParamScheduler(Callback):
    order, run_valid = 60, False

    def __init__(self, scheds):
        self.scheds = scheds

    def before_batch(self):
        pos = self.learn.pct_train
        self.learn.opt.set_hypers(**{k: f(pos) for k, f in self.scheds.items()})
''',
        "valley_solution": '''
def valley(lrs, losses, num_it):
    losses = losses.tolist()
    run = []  # run[i]: longest strictly decreasing subsequence ending at i
    for i, l_i in enumerate(losses):
        run.append(1 + max([run[j] for j in range(i) if losses[j] > l_i], default=0))
    end = run.index(max(run))
    start = end - run[end]
    third = (end - start) / 3
    idx = start + int(third) + int(third / 2)
    return float(lrs[idx]), (float(lrs[idx]), losses[idx])
''',
    },
}


@pytest.mark.slow
def test_alternative_correct_solutions_get_full_marks() -> None:
    jobs = [Job(str(ROOT / "solutions" / name / f"{name}.ipynb"), replace=cells, label=f"{name} alternatives")
            for name, cells in ALTERNATIVES.items()]
    for result in run_notebooks(jobs, share_process=True):
        failed = {c.name: c.message for c in result.checks if not c.passed}
        assert not result.error and not failed, f"{result.label}: {result.error or failed}"
        assert result.score == result.max_score > 0
