"""Timing helper shared by the benchmark scripts: best wall time of several runs after a warm-up."""
from __future__ import annotations

import time
from typing import Callable


def best(f: Callable[[], object], repeats: int = 5, warmup: int = 1) -> float:
    """The fastest of `repeats` timed calls of `f` (seconds), after `warmup` untimed calls."""
    for _ in range(warmup):
        f()
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        f()
        times.append(time.perf_counter() - t)
    return min(times)
