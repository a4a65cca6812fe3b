"""Training on several processes: accuracy and throughput of `distrib_ctx` against one process.

    torchrun --standalone --nproc_per_node 2 benchmarks/bench_distributed.py [--epochs 3] [--backend gloo]

Rank 0 first trains the model alone (no process group traffic) while the others wait; then every process trains
the same model from the same start with `distrib_ctx`, each on its shard. Rank 0 prints `world_size N`, both
final accuracies, and the training throughput (items per second, all processes together) with its ratio to the
single process. Run without torchrun it trains once, in one process. On a GPU machine pass `--backend nccl`.
"""
from __future__ import annotations

import argparse
import time

import torch
import torch.distributed as dist
from torch import nn
from torch.utils.data import TensorDataset

from fastlayers.data import DataLoaders
from fastlayers.training import Learner, accuracy
from fastlayers.training.distributed import distrib_ctx, is_main_process, num_distrib, setup_distrib


BS = 512  # per process: large enough that computing a step costs more than averaging its gradients


def make_learner(device: str | None) -> Learner:
    g = torch.Generator().manual_seed(0)
    x = torch.randn(24000, 64, generator=g)
    y = (x @ torch.randn(64, 10, generator=g)).argmax(1)
    dls = DataLoaders.from_dsets(TensorDataset(x[:20000], y[:20000]), TensorDataset(x[20000:], y[20000:]), bs=BS,
                                 device=device)
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(64, 512), nn.ReLU(), nn.Linear(512, 512), nn.ReLU(), nn.Linear(512, 10))
    return Learner(dls, model, nn.CrossEntropyLoss(), metrics=accuracy, progress=False)


def train(learn: Learner, epochs: int) -> tuple[float, float]:
    """(seconds of training, final validation accuracy)."""
    start = time.perf_counter()
    learn.fit_one_cycle(epochs, 1e-2)
    return time.perf_counter() - start, float(learn.recorder.values[-1][-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--epochs", type=int, default=6)
    parser.add_argument("--backend", default=None, help="gloo (CPU) or nccl (GPU); default: by device")
    args = parser.parse_args()
    torch.set_num_threads(1)
    setup_distrib(args.backend)
    world = num_distrib()
    device = None
    if torch.cuda.is_available() and args.backend != "gloo":
        device = f"cuda:{torch.cuda.current_device()}"
    items = 20000 // BS * BS * args.epochs
    single = None
    if is_main_process():
        single = train(make_learner(device), args.epochs)
    if world > 1:
        learn = make_learner(device)
        dist.barrier()  # start the clock with every process ready (process start-up skew is not training time)
        with distrib_ctx(learn, backend=args.backend):
            seconds, acc = train(learn, args.epochs)
    else:
        seconds, acc = single
    if is_main_process():
        print(f"world_size {world}")
        print(f"one process:   accuracy {single[1]:.4f}  {items / single[0]:9.0f} items/s")
        print(f"{world} process(es): accuracy {acc:.4f}  {items / seconds:9.0f} items/s "
              f"({single[0] / seconds:.2f}x the throughput of one process)")
    if world > 1:
        dist.destroy_process_group()


if __name__ == "__main__":
    main()
