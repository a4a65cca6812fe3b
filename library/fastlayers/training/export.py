"""Lesson 11 (course/11_interpretation.ipynb, exercises/11_interpretation/): export a Learner for inference
(model + data pipelines, never the data) and load it back."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

from .checkpoint import atomic_save, read_checkpoint

__all__ = ["export", "load_learner", "empty_dls"]


class _InferenceData:
    """What inference needs from DataLoaders when they cannot empty themselves: vocab, n_inp, loss, device."""

    def __init__(self, dls: Any) -> None:
        self.vocab = getattr(dls, "vocab", None)
        self.n_inp = getattr(dls, "n_inp", None)
        self.loss_func = getattr(dls, "loss_func", None)
        self.c = getattr(dls, "c", None)
        self.train = self.valid = None
        self.loaders = []
        self.device = None


def _holds_items(value: Any) -> bool:
    """Whether an attribute of DataLoaders is (or lists) a loader, i.e. holds data: export leaves those out."""
    from ..data.loader import DataLoader
    items = value if isinstance(value, (list, tuple)) else [value]
    return any(isinstance(v, DataLoader) for v in items)


def empty_dls(dls: Any) -> Any:
    """The same data pipelines (already set up: vocab, statistics) over no items: what inference needs of `dls`."""
    if hasattr(dls, "new_empty"):
        return dls.new_empty()      # keeps the pipelines, drops the items
    src = dls.valid if getattr(dls, "valid", None) is not None else dls.train
    ds = getattr(src, "dataset", None)
    if hasattr(ds, "tls") and hasattr(ds, "new") and hasattr(src, "new"):
        # Datasets: the same (already set up) pipelines over no items, so test_dl/predict still work
        empty = src.new(ds.new([], with_labels=True, split_idx=1), shuffle=False, drop_last=False)
        new = type(dls)(empty, empty, device=getattr(dls, "device", None))
        for key, value in vars(dls).items():  # what a factory attached (a text tokenizer, its numericalizer...)
            if key not in vars(new) and not _holds_items(value):
                setattr(new, key, value)
        return new
    return _InferenceData(dls)


def export(learn: Any, fname: str | Path = "export.pkl") -> Path:
    """Pickle model, loss, optimizer factory and the data pipelines (not the data) to `learn.path / fname`."""
    path = Path(fname)
    path = path if path.is_absolute() else learn.path / path
    state = {"learner_class": type(learn), "model": learn.model, "loss_func": learn.loss_func, "opt_func": learn.opt_func,
             "splitter": learn.splitter, "lr": learn.lr, "wd": learn.wd, "moms": learn.moms,
             "dls": empty_dls(learn.dls)}
    try:
        atomic_save(state, path)
    except (AttributeError, TypeError) as e:   # pickle fails on lambdas and local functions
        raise TypeError(f"cannot export this learner: {e}. Lambdas and functions defined inside other "
                        f"functions cannot be pickled; use module-level functions") from e
    return path


def load_learner(fname: str | Path, cpu: bool = True) -> Any:
    """Load a learner saved by `export` (or any dict holding at least "model" and "dls"; the other settings
    take the Learner's defaults when missing).

    WARNING: this unpickles the file, which can run arbitrary code: only load files you trust.
    """
    from .learner import Learner
    state = read_checkpoint(fname, map_location="cpu" if cpu else None, what="a learner saved by export")
    if not isinstance(state, dict) or not {"model", "dls"} <= set(state):
        raise ValueError(f"{fname} was not written by Learner.export (it holds a {type(state).__name__}; files "
                         f"from Learner.save are loaded with learn.load)")
    dls = state["dls"]
    if cpu and isinstance(dls, _InferenceData):
        dls.device = torch.device("cpu")
    elif cpu and hasattr(dls, "cpu"):
        dls = dls.cpu() or dls
    cls = state.get("learner_class", Learner)     # e.g. a text learner comes back as one
    settings = {k: state[k] for k in ("loss_func", "opt_func", "lr", "splitter", "wd", "moms") if k in state}
    learn = cls(dls, state["model"], **settings)
    learn.model.eval()
    return learn
