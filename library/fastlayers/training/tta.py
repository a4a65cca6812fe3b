"""Test-time augmentation (lesson 08): average the predictions on several augmented copies of the validation
items, then blend them with the predictions on the items as they are, as fastai's `Learner.tta` does."""
from __future__ import annotations

from typing import Any

import torch

from ..core import listify

__all__ = ["tta"]


def _augmented(dl: Any, item_tfms: Any, batch_tfms: Any) -> Any:
    """A loader over the same items, in the same order, with the training-time (split_idx 0) transforms on,
    plus any extra `item_tfms` and `batch_tfms`."""
    ds = getattr(dl, "dataset", None)
    if not (hasattr(dl, "new") and hasattr(dl, "after_batch") and hasattr(ds, "tls") and hasattr(ds, "new")):
        raise TypeError(f"tta needs a loader built from Datasets (for example by a DataBlock), whose training "
                        f"transforms it can switch on for the validation items; got a {type(dl).__name__} over "
                        f"{type(ds).__name__}")
    train_view = ds.new(ds.tls[0].items, with_labels=True, split_idx=0)  # each pipeline sees the same items
    extra: dict[str, Any] = {}
    if item_tfms is not None:
        extra["after_item"] = dl.after_item.fs + listify(item_tfms)
    if batch_tfms is not None:
        extra["after_batch"] = dl.after_batch.fs + listify(batch_tfms)
    return dl.new(train_view, shuffle=False, drop_last=False, **extra)


def tta(learn: Any, ds_idx: int = 1, dl: Any = None, n: int = 4, item_tfms: Any = None, batch_tfms: Any = None,
        beta: float | None = 0.25, use_max: bool = False) -> tuple[Any, torch.Tensor]:
    """(predictions, targets): the mean (or with `use_max`, the maximum) of `n` augmented passes, blended as
    `(1 - beta) * augmented + beta * plain`; beta=None returns both, `((augmented, plain), targets)`."""
    dl = learn._loader(ds_idx, dl)
    augmented_dl = _augmented(dl, item_tfms, batch_tfms)
    aug = torch.stack([learn.get_preds(dl=augmented_dl)[0] for _ in range(n)])
    aug = aug.max(0).values if use_max else aug.mean(0)
    preds, targs = learn.get_preds(dl=dl)
    if use_max:
        return torch.maximum(preds, aug), targs
    if beta is None:
        return (aug, preds), targs
    return torch.lerp(aug, preds, beta), targs
