"""A synthetic machine: normal readings and several fault types, for fast tests and the first example."""
from __future__ import annotations

import numpy as np

__all__ = ["FAULTS", "machine_readings"]

FAULTS = ("normal", "spike", "drift", "vibration", "stuck")


def _normal(rng: np.random.Generator, channels: int, length: int) -> np.ndarray:
    "A running machine: each channel a slow sine at its own frequency and phase."
    t = np.arange(length)
    freq = rng.uniform(0.02, 0.06, (channels, 1))
    phase = rng.uniform(0, 2 * np.pi, (channels, 1))
    return np.sin(2 * np.pi * freq * t + phase)


def _add_fault(x: np.ndarray, fault: str, rng: np.random.Generator) -> np.ndarray:
    c, length = x.shape
    ch = rng.integers(c)  # faults show on one sensor, as they would on a real machine
    start = int(rng.integers(length // 4, length // 2))
    if fault == "spike":
        for s in rng.choice(np.arange(start, length), 6, replace=False):
            x[ch, s] += rng.choice([-1, 1]) * rng.uniform(3, 5)
    elif fault == "drift":
        x[ch, start:] += np.linspace(0, rng.uniform(1.5, 2.5), length - start)
    elif fault == "vibration":
        x[ch, start:] += np.sin(2 * np.pi * 0.4 * np.arange(length - start))
    elif fault == "stuck":  # the sensor freezes at its last reading
        x[ch, start:] = x[ch, start]
    elif fault != "normal":
        raise ValueError(f"unknown fault {fault!r}; choose from {FAULTS}")
    return x


def machine_readings(n: int = 200, length: int = 100, channels: int = 3, faults=FAULTS, noise: float = 0.1,
                     variable_length: bool = False, seed: int = 0):
    "`n` series `(channels, length)` (or shorter, random lengths) and their labels, classes balanced."
    if n < 1 or length < 16 or channels < 1:
        raise ValueError(f"need n >= 1, length >= 16 and channels >= 1; got n={n}, length={length}, channels={channels}")
    rng = np.random.default_rng(seed)
    labels = np.asarray([faults[i % len(faults)] for i in range(n)])
    rng.shuffle(labels)
    series = []
    for fault in labels:
        size = int(rng.integers(length // 2, length + 1)) if variable_length else length
        x = _add_fault(_normal(rng, channels, size), fault, rng)
        series.append((x + noise * rng.standard_normal(x.shape)).astype(np.float32))
    return (series if variable_length else np.stack(series)), labels
