"""show_batch / show_results for series: every channel drawn, titled with the label (and the prediction)."""
from __future__ import annotations

from ..core import TensorSeries, typedispatch
from ..data.show import get_grid, show_batch, show_results

__all__ = ["show_batch", "show_results"]


@typedispatch
def show_batch(x: TensorSeries, y, samples: list, ctxs=None, max_n: int = 6, **kwargs):
    "One panel per series (real steps only, original units), a line per channel, the label as title."
    samples = samples[:max_n]
    ctxs = ctxs or get_grid(len(samples), figsize=kwargs.pop("figsize", None))
    for s, ctx in zip(samples, ctxs):
        s[0].show(ctx=ctx, title=str(s[1]) if len(s) > 1 else None, **kwargs)
    return ctxs


@typedispatch
def show_results(x: TensorSeries, y, samples: list, outs: list, ctxs=None, max_n: int = 6, **kwargs):
    "Like show_batch, titled `true: target` and `predicted: prediction` (red when they differ)."
    samples, outs = samples[:max_n], outs[:max_n]
    ctxs = ctxs or get_grid(len(samples), figsize=kwargs.pop("figsize", None))
    for s, out, ctx in zip(samples, outs, ctxs):
        target = s[1] if len(s) > 1 else "?"
        s[0].show(ctx=ctx, title=f"true: {target}\npredicted: {out}", **kwargs)
        ctx.title.set_fontsize(10)
        ctx.title.set_color("green" if str(target) == str(out) else "red")
    return ctxs
