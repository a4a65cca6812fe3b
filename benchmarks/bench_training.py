"""Training-loop overhead: Learner.fit against a plain PyTorch loop on the same batches, model and optimizer.

Run: python benchmarks/bench_training.py  (CPU, one thread; prints raw times and ratios)
"""
from __future__ import annotations

import copy
import statistics
import sys
import time

import torch
from torch import nn

from fastlayers.data import DataLoaders
from fastlayers.training import SGD, Adam, Learner, OptimWrapper

N_TRAIN, N_VALID, BS, N_FEAT, N_CLASS = 313 * 64, 32 * 64, 64, 20, 10
REPEATS = 7


def make_data() -> DataLoaders:
    g = torch.Generator().manual_seed(0)
    w = torch.randn(N_FEAT, N_CLASS, generator=g)
    x = torch.randn(N_TRAIN + N_VALID, N_FEAT, generator=g)
    y = (x @ w).argmax(1)
    tr = torch.utils.data.TensorDataset(x[:N_TRAIN], y[:N_TRAIN])
    va = torch.utils.data.TensorDataset(x[N_TRAIN:], y[N_TRAIN:])
    return DataLoaders.from_dsets(tr, va, bs=BS, shuffle_train=False, device="cpu")


def make_model() -> nn.Module:
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(N_FEAT, 50), nn.ReLU(), nn.Linear(50, N_CLASS))


def plain_loop(dls: DataLoaders, model: nn.Module, opt, loss_func) -> None:
    """What a student would write by hand: train one epoch, then a validation pass."""
    model.train()
    for xb, yb in dls.train:
        loss = loss_func(model(xb), yb)
        loss.backward()
        opt.step()
        opt.zero_grad()
    model.eval()
    total, count = 0.0, 0
    with torch.no_grad():
        for xb, yb in dls.valid:
            total += loss_func(model(xb), yb) * len(yb)
            count += len(yb)
    float(total / count)


CPU_TIMES: dict[str, list] = {}


def timed(f, key: str | None = None) -> float:
    """Wall time of f() (perf_counter); the process's CPU time is kept under `key`, for loaded machines."""
    t0, c0 = time.perf_counter(), time.process_time()
    f()
    if key is not None:
        CPU_TIMES.setdefault(key, []).append(time.process_time() - c0)
    return time.perf_counter() - t0


def compare(name: str, opt_func, dls: DataLoaders) -> None:
    loss_func = nn.CrossEntropyLoss()
    base = make_model()
    plain, fit, fit_bar = [], [], []
    for _ in range(REPEATS):   # interleaved, so load changes on the machine hit both sides alike
        m = copy.deepcopy(base)
        opt = opt_func(list(m.parameters()), lr=1e-3)
        plain.append(timed(lambda: plain_loop(dls, m, opt, loss_func), f"{name} plain"))
        learn = Learner(dls, copy.deepcopy(base), loss_func, opt_func=opt_func, progress=False)
        fit.append(timed(lambda: learn.fit(1), f"{name} fit"))
        assert len(learn.recorder.lrs) == N_TRAIN // BS, "the Learner must see every training batch"
        learn_bar = Learner(dls, copy.deepcopy(base), loss_func, opt_func=opt_func, progress=True)
        learn_bar.progress.table = False        # time the bar, not the printed table
        fit_bar.append(timed(lambda: learn_bar.fit(1)))
    # min is the least noisy estimate on a shared machine; the median is shown beside it
    for stat in (min, statistics.median):
        p, f, b = stat(plain), stat(fit), stat(fit_bar)
        print(f"[{name}] {stat.__name__:>6} of {REPEATS}: plain loop {p:.3f}s | Learner.fit no bar {f:.3f}s "
              f"({f / p:.2f}x) | with bar {b:.3f}s ({b / p:.2f}x)")
    # CPU time of this process only: not inflated by other processes competing for the cores
    cp, cf = min(CPU_TIMES[f"{name} plain"]), min(CPU_TIMES[f"{name} fit"])
    print(f"[{name}] CPU time, min of {REPEATS}: plain loop {cp:.3f}s | Learner.fit no bar {cf:.3f}s ({cf / cp:.2f}x)")


def main() -> None:
    torch.set_num_threads(1)
    dls = make_data()
    print(f"{N_TRAIN // BS} train batches of {BS}, {N_VALID // BS} valid batches; torch {torch.__version__}")
    compare("fastlayers SGD", SGD, dls)
    compare("fastlayers Adam", Adam, dls)
    compare("torch.optim.AdamW via OptimWrapper", lambda ps, lr: OptimWrapper(ps, torch.optim.AdamW, lr=lr), dls)
    learn = Learner(dls, make_model(), nn.CrossEntropyLoss(), progress=False)
    t = min(timed(lambda: learn.lr_find(show_plot=False)) for _ in range(3))
    print(f"lr_find (100 iterations, min of 3): {t:.3f}s")
    t = min(timed(lambda: learn.get_preds()) for _ in range(3))
    print(f"get_preds on {N_VALID} items (min of 3): {t:.3f}s")


if __name__ == "__main__":
    sys.exit(main())
