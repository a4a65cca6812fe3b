"""Lesson 11 (course/11_interpretation.ipynb, exercises/11_interpretation/): deployment without the library: the
model, with the data's batch maths in front and the loss's activation behind, exported by `torch.export` to one
file that plain PyTorch loads (no fastlayers, no pickled Python classes).

What the deployed program takes is the batch as the loader collates it *before* its batch transforms (for images:
uint8 `(n, C, H, W)`), so whoever runs it only has to stack raw inputs; what it gives back are probabilities.
"""
from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any, Sequence

import torch
from torch import nn

from ..data.losses import BCEWithLogitsLossFlat, CrossEntropyLossFlat
from ..data.transforms import IntToFloatTensor, Normalize

__all__ = ["InferenceModel", "inference_model", "raw_batch", "export_program", "load_program", "VOCAB_FILE"]

VOCAB_FILE = "vocab.json"  # the extra file of a program that holds the class names


class InferenceModel(nn.Module):
    """`model` with bytes-to-floats (divide by `div`) and per-channel normalization (axis 1) of the first input in
    front, and `act` ('softmax', 'sigmoid' or None) on its output: plain tensors in, probabilities out."""

    def __init__(self, model: nn.Module, div: float | None = None, mean: Any = None, std: Any = None,
                 act: str | None = "softmax") -> None:
        super().__init__()
        if (mean is None) != (std is None):
            raise ValueError("give both mean and std (or neither)")
        if act not in ("softmax", "sigmoid", None):
            raise ValueError(f"act must be 'softmax', 'sigmoid' or None, got {act!r}")
        self.model, self.div, self.act = model, div, act
        as_buffer = lambda v: None if v is None else torch.as_tensor(v, dtype=torch.float32).flatten()  # noqa: E731
        self.register_buffer("mean", as_buffer(mean))
        self.register_buffer("std", as_buffer(std))

    def forward(self, x: torch.Tensor, *rest: torch.Tensor) -> torch.Tensor:
        x = x.float()
        if self.div is not None:
            x = x / self.div
        if self.mean is not None:
            shape = [1, -1] + [1] * (x.ndim - 2)  # one statistic per channel, the channel axis being 1
            x = (x - self.mean.view(shape)) / self.std.view(shape)
        out = self.model(x, *rest)
        if self.act == "softmax":
            return out.softmax(dim=-1)
        return out.sigmoid() if self.act == "sigmoid" else out


def _activation_name(loss_func: Any) -> str | None:
    if isinstance(loss_func, (CrossEntropyLossFlat, nn.CrossEntropyLoss)) or \
            loss_func is torch.nn.functional.cross_entropy:
        return "softmax"
    if isinstance(loss_func, (BCEWithLogitsLossFlat, nn.BCEWithLogitsLoss)) or \
            loss_func is torch.nn.functional.binary_cross_entropy_with_logits:
        return "sigmoid"
    return None


def _loader(dls: Any) -> Any:
    return dls.valid if getattr(dls, "valid", None) is not None else dls.train


def inference_model(learn: Any) -> InferenceModel:
    """A CPU copy of `learn.model` in eval mode inside an `InferenceModel` with the batch maths of the data's
    validation pipeline (IntToFloatTensor, Normalize); other batch transforms that run at inference are refused."""
    div = mean = std = None
    for tfm in getattr(getattr(_loader(learn.dls), "after_batch", None), "fs", []):
        if getattr(tfm, "split_idx", None) == 0:
            continue  # training-only (augmentation): not part of inference
        if isinstance(tfm, IntToFloatTensor):
            div = float(tfm.div)
        elif isinstance(tfm, Normalize):
            mean, std = tfm.mean, tfm.std
        else:
            raise ValueError(f"cannot deploy the batch transform {type(tfm).__name__} without the library: only "
                             f"IntToFloatTensor and Normalize have a plain-torch version here")
    model = copy.deepcopy(getattr(learn.model, "module", learn.model)).cpu().eval()
    return InferenceModel(model, div, mean, std, _activation_name(learn.loss_func)).eval()


def raw_batch(dls: Any, items: Sequence) -> tuple[torch.Tensor, ...]:
    """The inputs the loader collates from `items` (as a user has them) before its batch transforms, as plain
    CPU tensors: what a deployed program takes."""
    dl = dls.test_dl(list(items))
    batch = dl.do_batch([dl.do_item(i) for i in range(len(items))])
    batch = batch if isinstance(batch, (tuple, list)) else (batch,)
    n_inp = getattr(dls, "n_inp", None) or len(batch)
    return tuple(torch.as_tensor(b).as_subclass(torch.Tensor).cpu() for b in batch[:n_inp])


def export_program(learn: Any, fname: str | Path, items: Sequence) -> Path:
    """Export `inference_model(learn)` with `torch.export` (any batch size; traced on `items`, at least two of
    them, as a user has them) to `fname` (relative to `learn.path`), with the class names as extra file."""
    if len(items) < 2:
        raise ValueError("give at least two example items: with one, torch.export fixes the batch size to 1")
    path = Path(fname)
    path = path if path.is_absolute() else learn.path / path
    inputs = raw_batch(learn.dls, items)
    batch = torch.export.Dim("batch")
    program = torch.export.export(inference_model(learn), inputs, dynamic_shapes=tuple({0: batch} for _ in inputs))
    vocab = getattr(learn.dls, "vocab", None)
    names = None if vocab is None else [str(v) for v in vocab]
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.export.save(program, path, extra_files={VOCAB_FILE: json.dumps(names)})
    return path


def load_program(fname: str | Path) -> tuple[nn.Module, list | None]:
    """(module, class names) of a program saved by `export_program`, with plain PyTorch only."""
    extra = {VOCAB_FILE: ""}
    program = torch.export.load(str(fname), extra_files=extra)
    return program.module(), json.loads(extra[VOCAB_FILE] or "null")
