"""Fashion-MNIST on the CPU: a torchvision resnet18 trained from scratch (no pretrained weights), test accuracy and time.

The data comes through the dataset registry (`load_fashion_mnist()`: the cache, else $FASTLAYERS_DATA_MIRROR, else
upstream); the official 10,000 test images are the validation set. The recipe is lesson 08's: `vision_learner` with
`arch="resnet18"` (weights=None: nothing is downloaded), batch augmentation composed into one resample (small
rotations and zooms, flips), and `fit_one_cycle`.

Run: FASTLAYERS_DATA_MIRROR=/path/to/mirror python benchmarks/bench_vision.py [--epochs 3] [--threads 1]
     [--train-size 12000] [--bs 128] [--lr 1e-2] [--seed 0]
Target with these defaults: at least 0.85 test accuracy on the 10,000 test images. Measured on this project's
shared 2-core CPU machine (no GPU; torch 2.13, 1 thread, load average about 6 from other jobs): 0.8535 test
accuracy, 511 s of training (170 s per epoch), 18 s to evaluate. More images and epochs (`--train-size 60000`)
score higher and take proportionally longer.
"""
from __future__ import annotations

import argparse
import os
import time

import numpy as np
import torch

from fastlayers.vision import (FASHION_MNIST_CLASSES, ImageDataLoaders, aug_transforms, load_fashion_mnist,
                               vision_learner)

TARGET = 0.85


def run(epochs: int, train_size: int, bs: int, lr: float, seed: int) -> dict:
    """Train once; the test accuracy, seconds for training and for evaluating, and the data's load time."""
    start = time.perf_counter()
    train_x, train_y, test_x, test_y = load_fashion_mnist()
    rng = np.random.default_rng(seed)
    keep = np.sort(rng.permutation(len(train_x))[:train_size])
    names = np.array(FASHION_MNIST_CLASSES)
    dls = ImageDataLoaders.from_arrays(train_x[keep], names[train_y[keep]], valid_images=test_x,
                                       valid_labels=names[test_y], bs=bs, device="cpu",
                                       batch_tfms=aug_transforms(max_rotate=8, max_zoom=1.1, max_lighting=0.1))
    loaded = time.perf_counter() - start
    torch.manual_seed(seed)
    learn = vision_learner(dls, "resnet18", pretrained=False, progress=False)
    start = time.perf_counter()
    learn.fit_one_cycle(epochs, lr)
    trained = time.perf_counter() - start
    start = time.perf_counter()
    preds, targs = learn.get_preds()
    evaluated = time.perf_counter() - start
    return {"accuracy": (preds.argmax(1) == targs).float().mean().item(), "train_s": trained,
            "eval_s": evaluated, "load_s": loaded, "n_train": len(keep), "n_test": len(test_x)}


def main() -> None:
    """Train once with the command-line settings and print the test accuracy and the times."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--train-size", type=int, default=12000)
    parser.add_argument("--bs", type=int, default=128)
    parser.add_argument("--lr", type=float, default=1e-2)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    print(f"threads {torch.get_num_threads()}, load average at start: "
          f"{' '.join(f'{v:.2f}' for v in os.getloadavg())}")
    r = run(args.epochs, args.train_size, args.bs, args.lr, args.seed)
    print(f"resnet18 from scratch, {r['n_train']} training images, {args.epochs} epochs, bs {args.bs}, "
          f"lr {args.lr:g}: test accuracy {r['accuracy']:.4f} on {r['n_test']} images | "
          f"training {r['train_s']:.0f} s ({r['train_s'] / args.epochs:.0f} s/epoch), evaluation {r['eval_s']:.0f} s, "
          f"data {r['load_s']:.1f} s")
    print(f"target: accuracy >= {TARGET} -> {'met' if r['accuracy'] >= TARGET else 'NOT met'} "
          f"(load average now {os.getloadavg()[0]:.2f})")


if __name__ == "__main__":
    main()
