"""A small synthetic sentiment corpus: quick to train on, with a known answer, for tests, checks and lessons."""
from __future__ import annotations

import random

import pandas as pd

__all__ = ["toy_reviews"]

_GOOD = ("great", "wonderful", "loved", "superb", "brilliant", "moving")
_BAD = ("awful", "boring", "hated", "terrible", "dull", "clumsy")
_FILL = ("the", "movie", "was", "and", "plot", "actors", "really", "quite", "film", "story", "this", "a",
         "scenes", "music", "ending", "cast", "i", "it", "its", "very")


def toy_reviews(n: int = 200, seed: int = 0, valid_pct: float = 0.25) -> pd.DataFrame:
    """`n` reviews (columns text, label, is_valid): filler words plus two sentiment words that decide the label."""
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        pos = i % 2 == 0
        words = [rng.choice(_FILL) for _ in range(rng.randint(5, 30))]
        for _ in range(2):
            words.insert(rng.randrange(len(words) + 1), rng.choice(_GOOD if pos else _BAD))
        rows.append({"text": " ".join(words).capitalize() + ".", "label": "positive" if pos else "negative",
                     "is_valid": i >= round(n * (1 - valid_pct))})
    return pd.DataFrame(rows)
