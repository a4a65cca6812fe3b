"""Train a small classifier, in one process or under torchrun; rank 0 writes what happened to a JSON file.

    python -m torch.distributed.run --standalone --nproc_per_node 2 train_distributed.py OUT.json [EPOCHS]
"""
import json
import sys
import time

import torch
from torch import nn
from torch.utils.data import TensorDataset

from fastlayers.data import DataLoaders
from fastlayers.training import Callback, Learner, accuracy
from fastlayers.training.distributed import is_main_process, num_distrib


class CountBatches(Callback):
    """How many training batches this process ran, and how many items they held."""

    def __init__(self, seen: list):
        self.seen = seen

    def after_batch(self):
        if self.learn.training:
            self.seen.append(len(self.learn.yb[0]))


def main(out: str, epochs: int = 4) -> None:
    torch.set_num_threads(1)
    g = torch.Generator().manual_seed(0)
    x = torch.randn(4000, 16, generator=g)
    y = (x @ torch.randn(16, 4, generator=g)).argmax(1)
    dls = DataLoaders.from_dsets(TensorDataset(x[:3200], y[:3200]), TensorDataset(x[3200:], y[3200:]), bs=32)
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(16, 64), nn.ReLU(), nn.BatchNorm1d(64), nn.Linear(64, 4))
    learn = Learner(dls, model, nn.CrossEntropyLoss(), metrics=accuracy)
    seen: list = []
    with learn.distrib_ctx():
        start = time.perf_counter()
        learn.fit_one_cycle(epochs, 1e-2, cbs=[CountBatches(seen)])
        seconds = time.perf_counter() - start
        saved = learn.save("model")  # rank 0 writes, with the plain model's keys
    if is_main_process():
        with open(out, "w") as f:
            json.dump({"world_size": num_distrib(), "accuracy": float(learn.recorder.values[-1][-1]),
                       "valid_loss": float(learn.recorder.values[-1][1]), "batches": len(seen),
                       "items": sum(seen), "seconds": seconds,
                       "model_is_plain": type(learn.model).__name__ == "Sequential",
                       "saved_keys": sorted(torch.load(saved, weights_only=False)["model"])}, f)


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 4)
