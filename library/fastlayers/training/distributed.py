"""Training on several processes with torch.distributed: `with distrib_ctx(learn): learn.fit(...)` under torchrun.

Launched as `torchrun --nproc_per_node N script.py`, each process trains a copy of the model wrapped in
`DistributedDataParallel` (gradients are averaged across processes at every step), reads its own shard of the
training data through fastlayers' own `DataLoader` (the epoch's shuffle is seeded the same everywhere, then
dealt out like cards), and reports each epoch's training loss averaged over all processes (the progress bar
shows rank 0's own running loss). Validation runs whole on
every process with the unwrapped model, so every process computes the same metrics with no gathering. Only
rank 0 shows progress. The same script runs unchanged in a single process: then `distrib_ctx` does nothing.
"""
from __future__ import annotations

import contextlib
import os
from typing import Any, Iterator

import torch
import torch.distributed as dist
from torch.utils.data import TensorDataset

from .callback import Callback

__all__ = ["rank_distrib", "num_distrib", "is_main_process", "setup_distrib", "teardown_distrib", "shard_loader",
           "DistributedTrainer", "distrib_ctx"]


def num_distrib() -> int:
    """How many processes train together (1 when not launched by torchrun)."""
    if dist.is_available() and dist.is_initialized():
        return dist.get_world_size()
    return int(os.environ.get("WORLD_SIZE", 1))


def rank_distrib() -> int:
    """This process's rank (0 when not distributed)."""
    if dist.is_available() and dist.is_initialized():
        return dist.get_rank()
    return int(os.environ.get("RANK", 0))


def is_main_process() -> bool:
    """Whether this process prints, logs and saves (rank 0)."""
    return rank_distrib() == 0


def setup_distrib(backend: str | None = None) -> bool:
    """Join the process group torchrun describes in the environment; True when this call created it.

    The backend is nccl when this process has a CUDA device, gloo otherwise (CPU)."""
    if num_distrib() <= 1 or not dist.is_available() or dist.is_initialized():
        return False
    if backend is None:
        backend = "nccl" if torch.cuda.is_available() else "gloo"
    if backend == "nccl":
        torch.cuda.set_device(int(os.environ.get("LOCAL_RANK", 0)))
    dist.init_process_group(backend)
    return True


def teardown_distrib() -> None:
    """Leave the process group."""
    if dist.is_available() and dist.is_initialized():
        dist.destroy_process_group()


def shard_loader(dl: Any, rank: int, world: int, epoch: int, seed: int = 0) -> Any:
    """The share of `dl` that process `rank` of `world` reads in `epoch`: a DataLoader like `dl` (same stages).

    Every process draws the same permutation (seeded by `seed + epoch`, or takes the items in order when `dl`
    does not shuffle), pads it by repeating its first items so it divides evenly, and takes every world-th
    index starting at its rank: the shards are disjoint apart from the padding and equally long, so every
    process runs the same number of steps."""
    n = dl.n
    if dl.shuffle:
        order = torch.randperm(n, generator=torch.Generator().manual_seed(seed + epoch))
    else:
        order = torch.arange(n)
    pad = (-n) % world
    if pad:
        order = torch.cat([order, order[:pad]])
    mine = order[rank::world]
    if dl.tensors is not None and dl._uses_fast_path():
        # in-memory tensors: gather this shard once per epoch, so batches keep the fast slicing path
        cols = [t[mine] for t in dl.tensors]
        return dl.new(TensorDataset(*cols), shuffle=False)
    idxs = mine.tolist()
    return dl.new(get_idxs=lambda: idxs, shuffle=False, n=len(idxs))


class DistributedTrainer(Callback):
    """Wraps the model in DistributedDataParallel for training, shards the training data, averages the epoch loss."""
    order = -15  # before TrainEvalCallback switches train/eval mode

    def __init__(self, seed: int = 0) -> None:
        self.seed = seed

    def before_fit(self) -> None:
        from torch.nn.parallel import DistributedDataParallel as DDP
        self.rank, self.world = rank_distrib(), num_distrib()
        self.module = self.learn.model
        cuda = next(self.module.parameters()).is_cuda
        self.ddp = DDP(self.module, device_ids=[torch.cuda.current_device()] if cuda else None)
        self.learn.model = self.ddp
        self.quiet = []
        if self.rank != 0:  # one progress bar and one table, from rank 0
            from .progress import ProgressCallback
            self.quiet = [cb for cb in self.learn.cbs if isinstance(cb, ProgressCallback)]
            for cb in self.quiet:
                self.learn.remove_cb(cb)

    def before_train(self) -> None:
        self.learn.model = self.ddp
        self.learn.dl = shard_loader(self.learn.dl, self.rank, self.world, self.learn.epoch, self.seed)

    def after_train(self) -> None:
        # The smoothed loss is a moving average, linear in the losses: the average of every process's smoothed
        # loss is the smoothed average loss. One exchange per epoch instead of one per batch.
        smooth = getattr(getattr(self.learn, "recorder", None), "smooth_loss", None)
        if smooth is not None and smooth.count:
            val = torch.tensor([float(smooth.val)], dtype=torch.float64)
            dist.all_reduce(val)
            smooth.val = float(val) / self.world

    def before_validate(self) -> None:
        self.learn.model = self.module  # same weights on every process: each validates on its own, identically

    def after_fit(self) -> None:
        self.cleanup()

    def cleanup(self) -> None:
        """Put the plain model and the quieted callbacks back (also when fit fails)."""
        if getattr(self, "module", None) is not None:
            self.learn.model = self.module
        for cb in getattr(self, "quiet", []):
            if cb not in self.learn.cbs:
                self.learn.add_cb(cb)
        self.quiet = []


@contextlib.contextmanager
def distrib_ctx(learn: Any, backend: str | None = None, seed: int = 0) -> Iterator[Any]:
    """Inside, `learn.fit...` trains on every process torchrun started; in a single process nothing changes."""
    created = setup_distrib(backend)
    if num_distrib() <= 1:
        yield learn
        return
    cb = DistributedTrainer(seed=seed)
    learn.add_cb(cb)
    try:
        yield learn
    finally:
        learn.remove_cb(cb)
        if created:
            teardown_distrib()
