"""show_batch / show_results: dispatched on the batch's semantic types; applications register their own."""
from __future__ import annotations

import math
from typing import Any

from ..core import typedispatch

__all__ = ["show_batch", "show_results", "get_grid"]


def get_grid(n: int, ncols: int | None = None, figsize: tuple | None = None, title: str | None = None):
    """`n` matplotlib axes in a near-square grid (extra axes hidden)."""
    import matplotlib.pyplot as plt
    ncols = ncols or math.ceil(math.sqrt(n))
    nrows = math.ceil(n / ncols)
    fig, axs = plt.subplots(nrows, ncols, figsize=figsize or (3 * ncols, 3 * nrows), squeeze=False)
    axs = list(axs.flatten())
    for ax in axs[n:]:
        ax.set_axis_off()
    if title:
        fig.suptitle(title)
    return axs[:n]


def _table(samples: list):
    """Samples as a pandas DataFrame, one row per item and one column per element (x, y, or col0, col1, ...)."""
    import pandas as pd
    width = max(len(s) for s in samples)
    names = ["x"] if width == 1 else ["x", "y"] if width == 2 else [f"col{i}" for i in range(width)]
    return pd.DataFrame([[_plain(o) for o in s] for s in samples], columns=names)


def _plain(o: Any) -> Any:
    """A tensor as a table cell: a Python number for a scalar, a (nested) list otherwise."""
    import torch
    if isinstance(o, torch.Tensor):
        return o.item() if o.ndim == 0 else o.tolist()
    return o


@typedispatch
def show_batch(x, y, samples: list, ctxs=None, max_n: int = 9, **kwargs):
    """Default: a grid where each element that can show itself draws into the item's axis; otherwise a table."""
    samples = samples[:max_n]
    if not all(hasattr(o, "show") for s in samples for o in s[:1]):
        return _table(samples)
    ctxs = ctxs or get_grid(len(samples), figsize=kwargs.pop("figsize", None))
    for s, ctx in zip(samples, ctxs):
        for o in s:
            if hasattr(o, "show"):
                o.show(ctx=ctx, **kwargs)
    return ctxs


@typedispatch
def show_results(x, y, samples: list, outs: list, ctxs=None, max_n: int = 9, **kwargs):
    """Default: like show_batch, with the prediction next to the target in the title (or an extra column)."""
    samples, outs = samples[:max_n], outs[:max_n]
    if not all(hasattr(o, "show") for s in samples for o in s[:1]):
        df = _table(samples)
        df["prediction"] = [_plain(o[0] if isinstance(o, tuple) else o) for o in outs]
        return df
    ctxs = ctxs or get_grid(len(samples), figsize=kwargs.pop("figsize", None))
    for s, out, ctx in zip(samples, outs, ctxs):
        s[0].show(ctx=ctx, **kwargs)
        target = s[1] if len(s) > 1 else "?"
        pred = out[0] if isinstance(out, tuple) else out
        ctx.set_title(f"{target} / {pred}")
    return ctxs
