"""Accuracy and CPU wall time of the default sensor recipe vs aeon's MiniRocket, on aeon's bundled datasets.

Run: python benchmarks/bench_sensor.py [--seeds 3] [--threads 2] [--datasets JapaneseVowels]
Targets: BasicMotions >= 0.975 and JapaneseVowels >= 0.97 test accuracy, each run under 60 s.
"""
from __future__ import annotations

import argparse
import os
import time

import numpy as np
import torch

from fastlayers.sensor import SensorDataLoaders, load_aeon, sensor_learner

# the default recipe: sensor_learner's default arch (FCN) trained with fit_one_cycle
RECIPES = {
    "BasicMotions": dict(bs=16, epochs=40, lr=1e-2, target=0.975),
    "JapaneseVowels": dict(bs=32, epochs=25, lr=1e-2, target=0.97),
}


def run_fastlayers(name: str, seed: int, recipe: dict) -> tuple[float, float]:
    "Test accuracy and seconds (data loading excluded) of one seeded training run."
    dls = SensorDataLoaders.from_aeon(name, bs=recipe["bs"], seed=seed)
    torch.manual_seed(seed)
    start = time.perf_counter()
    learn = sensor_learner(dls, progress=False)
    learn.fit_one_cycle(recipe["epochs"], recipe["lr"])
    preds, targs = learn.get_preds()
    return (preds.argmax(-1) == targs).float().mean().item(), time.perf_counter() - start


def _padded(series: list[np.ndarray], length: int) -> np.ndarray:
    "MiniRocket wants one length for train and test alike: pad each series to `length` with its last reading."
    return np.stack([np.pad(s, ((0, 0), (0, length - s.shape[1])), mode="edge") for s in series]).astype(np.float64)


def run_minirocket(name: str, seed: int) -> tuple[float, float]:
    "Test accuracy and seconds of aeon's MiniRocket classifier on the same splits."
    from aeon.classification.convolution_based import MiniRocketClassifier
    X, y = load_aeon(name, "train")
    Xt, yt = load_aeon(name, "test")
    length = max(s.shape[1] for s in X + Xt)
    start = time.perf_counter()
    clf = MiniRocketClassifier(random_state=seed)
    clf.fit(_padded(X, length), y.astype(str))
    acc = float((clf.predict(_padded(Xt, length)) == yt.astype(str)).mean())
    return acc, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--datasets", nargs="+", default=list(RECIPES), choices=list(RECIPES))
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    print(f"load average at start: {' '.join(f'{v:.2f}' for v in os.getloadavg())}")
    for name in args.datasets:
        recipe = RECIPES[name]
        for label, runner in (("fastlayers FCN", lambda s: run_fastlayers(name, s, recipe)),
                              ("aeon MiniRocket", lambda s: run_minirocket(name, s))):
            results = [runner(seed) for seed in range(args.seeds)]
            accs, secs = [r[0] for r in results], [r[1] for r in results]
            print(f"{name:15s} {label:16s} acc mean {np.mean(accs):.4f} min {min(accs):.4f} "
                  f"| seconds mean {np.mean(secs):5.1f} max {max(secs):5.1f} | per seed "
                  + ", ".join(f"{a:.4f}/{s:.1f}s" for a, s in results))
        print(f"{name:15s} target: acc >= {recipe['target']} in < 60 s per run "
              f"(load average now {os.getloadavg()[0]:.2f})")


if __name__ == "__main__":
    main()
