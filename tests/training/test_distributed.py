"""Training on several processes: torchrun with 2 gloo processes on CPU against one process, and the shards."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from torch.utils.data import TensorDataset

from fastlayers.data import DataLoader
from fastlayers.training.distributed import distrib_ctx, num_distrib, rank_distrib, shard_loader

SCRIPT = Path(__file__).parent / "scripts" / "train_distributed.py"
TOLERANCE = 0.03  # final validation accuracy, 2 processes against 1 (the effective batch doubles)


def _run(tmp_path: Path, nproc: int) -> tuple[dict, str]:
    out = tmp_path / f"result{nproc}.json"
    env = dict(os.environ, OMP_NUM_THREADS="1")
    for key in ("RANK", "WORLD_SIZE", "LOCAL_RANK", "MASTER_ADDR", "MASTER_PORT"):
        env.pop(key, None)
    cmd = [sys.executable, str(SCRIPT), str(out)] if nproc == 1 else \
        [sys.executable, "-m", "torch.distributed.run", "--standalone", f"--nproc_per_node={nproc}", str(SCRIPT),
         str(out)]
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=300, cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-3000:]
    return json.loads(out.read_text()), proc.stdout + proc.stderr


@pytest.mark.slow
def test_two_processes_reach_the_accuracy_of_one(tmp_path):
    one, _ = _run(tmp_path, 1)
    two, output = _run(tmp_path, 2)
    assert one["world_size"] == 1 and two["world_size"] == 2
    assert one["accuracy"] > 0.9 and abs(two["accuracy"] - one["accuracy"]) <= TOLERANCE, (one, two)
    # each process read half the training data per epoch
    assert two["batches"] * 2 == one["batches"] and two["items"] * 2 == one["items"]
    assert two["model_is_plain"]  # the DDP wrapper is gone after fit
    assert two["saved_keys"] == one["saved_keys"] and not any(k.startswith("module.") for k in two["saved_keys"])
    assert output.count("train_loss") == 1  # one metrics table: rank 0's


def test_shards_are_disjoint_equal_and_reshuffled_each_epoch():
    x = torch.arange(103).float()[:, None]
    dl = DataLoader(TensorDataset(x, torch.zeros(103)), bs=8, shuffle=True, seed=1)
    seen = {}
    for epoch in (0, 1):
        shards = [torch.cat([b[0] for b in shard_loader(dl, r, 3, epoch)]).flatten().tolist() for r in range(3)]
        assert len({len(s) for s in shards}) == 1 and sum(map(len, shards)) == 105  # padded by 2 to divide by 3
        assert set().union(*map(set, shards)) == set(range(103))
        seen[epoch] = shards
        again = torch.cat([b[0] for b in shard_loader(dl, 1, 3, epoch)]).flatten().tolist()
        assert again == shards[1]  # every process draws the same permutation
    assert seen[0] != seen[1]


def test_shards_of_an_item_loader_keep_its_stages():
    items = list(range(10))
    dl = DataLoader(items, bs=4, create_item=lambda i: torch.tensor([items[i] * 10]))
    got = [torch.cat(list(shard_loader(dl, r, 2, 0))).flatten().tolist() for r in range(2)]
    assert got == [[0, 20, 40, 60, 80], [10, 30, 50, 70, 90]]


def test_single_process_runs_unchanged():
    assert num_distrib() == 1 and rank_distrib() == 0
    sentinel = object()
    with distrib_ctx(sentinel) as learn:
        assert learn is sentinel
