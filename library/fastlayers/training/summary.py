"""Learner.summary (lesson 04): the model layer by layer on one real batch, then what trains it, as fastai shows it."""
from __future__ import annotations

from typing import Any

import torch
from torch import nn

__all__ = ["Summary", "summary"]


class Summary(str):
    """The summary text; a notebook shows it as printed text (not a quoted string with `\\n`s)."""

    def __repr__(self) -> str:
        return str(self)


def _shape(o: Any) -> str:
    """`64 x 128` for a tensor; the first tensor's shape for a tuple or list (an LSTM returns several)."""
    if isinstance(o, torch.Tensor):
        return " x ".join(map(str, o.shape))
    if isinstance(o, (tuple, list)) and o:
        return _shape(o[0])
    return type(o).__name__


def _leaves(model: nn.Module) -> list[nn.Module]:
    """Modules without children: the layers that compute (containers only pass data along)."""
    return [m for m in model.modules() if not list(m.children())]


def _run_one_batch(learn: Any) -> tuple[list[tuple[nn.Module, str]], str]:
    """[(layer, output shape)] in the order layers ran on the first training batch, and the input's shape."""
    b = learn._to_device(learn.dls.train.one_batch())
    n_inp = getattr(learn.dls, "n_inp", None) or max(len(b) - 1, 1)
    xb = tuple(x.as_subclass(torch.Tensor) if isinstance(x, torch.Tensor) else x for x in b[:n_inp])
    seen: list[tuple[nn.Module, str]] = []
    hooks = [m.register_forward_hook(lambda m, i, o: seen.append((m, _shape(o)))) for m in _leaves(learn.model)]
    was_training = learn.model.training
    try:
        learn.model.eval()  # no dropout, and batch norm's running statistics stay as they are
        with torch.no_grad():
            learn.model(*xb)
    finally:
        for h in hooks:
            h.remove()
        learn.model.train(was_training)
        if hasattr(learn.model, "reset"):  # a recurrent model must not carry this batch's state into training
            learn.model.reset()
    return seen, _shape(xb[0])


def summary(learn: Any) -> Summary:
    """A table of the layers (output shape, number of parameters, trainable or frozen), the parameter totals,
    the optimizer, the loss function and the callbacks of `learn`."""
    seen, in_shape = _run_one_batch(learn)
    rows, counted = [], set()
    for m, shape in seen:
        params = [p for p in m.parameters() if id(p) not in counted]  # a layer used twice counts once
        counted.update(id(p) for p in params)
        n = sum(p.numel() for p in params)
        trainable = str(any(p.requires_grad for p in m.parameters())) if n else ""
        rows.append((type(m).__name__, shape, f"{n:,}" if n else "", trainable))
    header = ("Layer (type)", "Output Shape", "Param #", "Trainable")
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(4)]
    line = lambda r: "  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip()
    rule = "=" * len(line(header))
    total = sum(p.numel() for p in learn.model.parameters())
    trainable = sum(p.numel() for p in learn.model.parameters() if p.requires_grad)
    opt = getattr(learn.opt_func, "__name__", type(learn.opt_func).__name__)
    loss = getattr(learn.loss_func, "__name__", None) or repr(learn.loss_func)
    text = [f"{type(learn.model).__name__} (Input shape: {in_shape})", rule, line(header), rule,
            *map(line, rows), rule,
            f"Total params: {total:,}", f"Total trainable params: {trainable:,}",
            f"Total non-trainable params: {total - trainable:,}", "",
            f"Optimizer used: {opt}", f"Loss function: {loss}", "", "Callbacks:",
            *[f"  - {type(cb).__name__}" for cb in learn.sorted_cbs()]]
    return Summary("\n".join(text))
