"""The default sensor recipe vs aeon's MiniRocket: accuracy and one-thread time on every classification set in aeon.

Run: python benchmarks/bench_sensor.py [--seeds 3] [--datasets ACSF1 OSULeaf] [--markdown results.md]

For each dataset that ships inside aeon and loads offline, both run on the same train/test split, 3 seeds each:
- the recipe exactly as a student calls it: `SensorDataLoaders.from_aeon(name, seed=s)`, `sensor_learner(dls)`,
  `learn.fit_recipe()`; its test accuracy is the one of the final model (nothing is picked on the test set), and
  beside it the accuracies of the model's two parts from the same fit (the network, the ridge head);
- `MiniRocketClassifier(random_state=s)` on the same series (unequal lengths padded with each series' last value).
Targets: within 2 points of MiniRocket on every set, at least MiniRocket on average, each run under
60 s on one CPU thread. Times are CPU seconds of this process with one torch thread (on a shared machine, wall time
counts the other users too; both are printed). aeon's MiniRocket changes torch's thread count, so it is set back
to 1 before every timed run. Data loading is not timed.
"""
from __future__ import annotations

import argparse
import os
import statistics
import time
from pathlib import Path

import numpy as np
import torch

from fastlayers.sensor import SensorDataLoaders, load_aeon, sensor_learner

TARGET_GAP, TARGET_S = 0.02, 60.0


def aeon_classification_sets() -> list[str]:
    "Every dataset folder inside the installed aeon whose train and test splits load as classification, offline."
    import aeon
    from aeon.datasets import load_classification
    data = Path(aeon.__file__).parent / "datasets" / "data"
    names = []
    for folder in sorted(p for p in data.iterdir() if p.is_dir()):
        if not (folder / f"{folder.name}_TRAIN.ts").exists() or not (folder / f"{folder.name}_TEST.ts").exists():
            continue
        try:  # extract_path = aeon's own folder: nothing is downloaded; regression sets raise here
            load_classification(folder.name, split="train", extract_path=str(data))
        except ValueError:
            continue
        names.append(folder.name)
    return names


def _timed(f) -> tuple[object, float, float]:
    "(result, wall seconds, CPU seconds) of f() with one torch thread."
    torch.set_num_threads(1)
    wall, cpu = time.perf_counter(), time.process_time()
    out = f()
    return out, time.perf_counter() - wall, time.process_time() - cpu


def _parts(learn) -> tuple[float, float]:
    "Test accuracy of the ensemble's network alone and of its ridge head alone (same fit, no retraining)."
    model = learn.model.eval()
    hits, n = torch.zeros(2), 0
    with torch.no_grad():
        for *xs, y in learn.dls.valid:
            xs = [torch.as_tensor(x).as_subclass(torch.Tensor) for x in xs]
            y = torch.as_tensor(y).as_subclass(torch.Tensor)
            hits += torch.tensor([float((part(*xs).argmax(-1) == y).sum()) for part in (model.net, model.head)])
            n += len(y)
    a, b = (hits / n).tolist()
    return a, b


def run_recipe(name: str, seed: int) -> tuple[float, float, float, str, tuple[float, float]]:
    """Test accuracy, wall and CPU seconds, the recipe's own description, and the accuracies of its two parts
    (network, ridge head) for one seed of the default recipe."""
    dls = SensorDataLoaders.from_aeon(name, seed=seed)
    torch.manual_seed(seed)

    def fit():
        learn = sensor_learner(dls, progress=False)
        learn.fit_recipe()
        preds, targs = learn.get_preds()
        return float((preds.argmax(-1) == targs).float().mean()), str(learn.recipe), learn
    (acc, recipe, learn), wall, cpu = _timed(fit)
    return acc, wall, cpu, recipe, _parts(learn)


def _padded(series: list[np.ndarray], length: int) -> np.ndarray:
    "MiniRocket wants one length for train and test alike: pad each series to `length` with its last reading."
    return np.stack([np.pad(s, ((0, 0), (0, length - s.shape[1])), mode="edge") for s in series]).astype(np.float64)


def run_minirocket(name: str, seed: int) -> tuple[float, float, float]:
    "Test accuracy, wall and CPU seconds of aeon's MiniRocket classifier on the same splits."
    from aeon.classification.convolution_based import MiniRocketClassifier
    X, y = load_aeon(name, "train")
    Xt, yt = load_aeon(name, "test")
    length = max(s.shape[1] for s in X + Xt)

    def fit():
        clf = MiniRocketClassifier(random_state=seed, n_jobs=1)
        clf.fit(_padded(X, length), y.astype(str))
        return float((clf.predict(_padded(Xt, length)) == yt.astype(str)).mean())
    acc, wall, cpu = _timed(fit)
    return acc, wall, cpu


def _ms(values: list[float]) -> str:
    return f"{statistics.mean(values):.3f} ± {statistics.pstdev(values):.3f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--datasets", nargs="+", default=None, help="default: every classification set in aeon")
    parser.add_argument("--markdown", type=Path, default=None, help="also write the results table to this file")
    args = parser.parse_args()
    names = args.datasets or aeon_classification_sets()
    print(f"datasets: {' '.join(names)}\nload average at start: {' '.join(f'{v:.2f}' for v in os.getloadavg())}")
    rows, ours_all, theirs_all, nets_all, heads_all = [], [], [], [], []
    for name in names:
        ours = [run_recipe(name, s) for s in range(args.seeds)]
        theirs = [run_minirocket(name, s) for s in range(args.seeds)]
        acc, mr = [r[0] for r in ours], [r[0] for r in theirs]
        cpu, wall = [r[2] for r in ours], [r[1] for r in ours]
        gap = statistics.mean(acc) - statistics.mean(mr)
        ok = gap >= -TARGET_GAP and max(cpu) < TARGET_S
        ours_all.append(statistics.mean(acc))
        theirs_all.append(statistics.mean(mr))
        print(f"\n{name}: {ours[0][3]}")
        print("  recipe     per seed: " + ", ".join(f"{a:.3f} ({c:.1f} s CPU, {w:.1f} s wall)" for a, w, c, *_ in ours))
        print("  its network alone / ridge head alone: "
              + ", ".join(f"{p[0]:.3f} / {p[1]:.3f}" for *_, p in ours))
        print("  MiniRocket per seed: " + ", ".join(f"{a:.3f} ({c:.1f} s CPU)" for a, _, c in theirs))
        print(f"  recipe {_ms(acc)} vs MiniRocket {_ms(mr)}: {gap:+.3f}; slowest recipe run {max(cpu):.1f} s CPU "
              f"-> {'meets' if ok else 'MISSES'} the target", flush=True)
        net, head = [statistics.mean(r[4][i] for r in ours) for i in (0, 1)]
        nets_all.append(net)
        heads_all.append(head)
        rows.append(f"| {name} | {' '.join(f'{a:.3f}' for a in acc)} | {_ms(acc)} | {net:.3f} | {head:.3f} "
                    f"| {' '.join(f'{a:.3f}' for a in mr)} "
                    f"| {_ms(mr)} | {gap:+.3f} | {statistics.mean(cpu):.1f} (max {max(cpu):.1f}) "
                    f"| {statistics.mean([r[2] for r in theirs]):.1f} |")
    mean_gap = statistics.mean(ours_all) - statistics.mean(theirs_all)
    rows.append(f"| **mean** | | {statistics.mean(ours_all):.3f} | {statistics.mean(nets_all):.3f} "
                f"| {statistics.mean(heads_all):.3f} | | {statistics.mean(theirs_all):.3f} | {mean_gap:+.3f} | | |")
    table = "\n".join(["| dataset | recipe per seed | recipe mean ± std | its network alone | its ridge head alone "
                       "| MiniRocket per seed | MiniRocket mean ± std | difference | recipe s (CPU, 1 thread) "
                       "| MiniRocket s |", "|---|---|---|---|---|---|---|---|---|---|", *rows])
    print(f"\n{table}\n\nload average at the end: {os.getloadavg()[0]:.2f}")
    if args.markdown:
        args.markdown.write_text(table + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
