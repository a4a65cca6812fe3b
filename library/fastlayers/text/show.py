"""show_batch / show_results for text: a DataFrame with one row per text."""
from __future__ import annotations

import pandas as pd

from ..core import TensorText, typedispatch
from ..data.show import show_batch, show_results  # noqa: F401  (the dispatch tables we add to)
from .rules import PAD

__all__ = ["show_batch", "show_results", "text_of"]


def text_of(toks, max_words: int | None = 50) -> str:
    """Tokens (or a string) as one line without padding, cut to `max_words` tokens."""
    if isinstance(toks, str):
        toks = toks.split(" ")
    toks = [t for t in toks if t != PAD]
    cut = max_words is not None and len(toks) > max_words
    return " ".join(toks[:max_words]) + (" ..." if cut else "")


def _rows(samples: list, max_n: int, max_words: int | None) -> pd.DataFrame:
    """One row per sample: its text, and its target as `label` (a class) or `text_` (tokens, as for an LM)."""
    rows = []
    for s in samples[:max_n]:
        row = {"text": text_of(s[0], max_words)}
        if len(s) > 1:
            y = s[1]
            is_text = isinstance(y, list) or (isinstance(y, str) and " " in y)
            row["text_" if is_text else "label"] = text_of(y, max_words) if isinstance(y, list) else str(y)
        rows.append(row)
    return pd.DataFrame(rows)


@typedispatch
def show_batch(x: TensorText, y, samples: list, ctxs=None, max_n: int = 9, max_words: int | None = 50, **kwargs):
    """A DataFrame: the text (padding removed, cut to `max_words`) and its label (or, for an LM, the target)."""
    return _rows(samples, max_n, max_words)


@typedispatch
def show_results(x: TensorText, y, samples: list, outs: list, ctxs=None, max_n: int = 9,
                 max_words: int | None = 50, **kwargs):
    """Like show_batch, with a `prediction` column."""
    df = _rows(samples, max_n, max_words)
    df["prediction"] = [str(o[0] if isinstance(o, tuple) else o) for o in outs[:len(df)]]
    return df
