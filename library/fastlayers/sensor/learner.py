"""Lesson 09 (course/09_sensor_sequences.ipynb): sensor_learner, a Learner for series classification with the
architecture, loss, metrics and training recipe picked for you from the data, and (by default) a ridge head on
random convolution features whose probabilities are averaged with the network's (`rocket.py`)."""
from __future__ import annotations

import inspect
import math
import warnings
from typing import Callable

import torch
from torch import nn

from ..data.show import get_grid
from ..training import Learner, accuracy
from .models import FCN, ConvLSTM, GRUClassifier, InceptionTime, LSTMClassifier, ResNet1d
from .padding import pad_series
from .recipe import SensorRecipe, ValidateEvery, sensor_recipe
from .rocket import RandomConvHead, RecipeEnsemble
from .show import show_results

__all__ = ["ARCHS", "sensor_learner", "SensorLearner", "recipe_for", "training_series", "HEAD_MAX_SERIES",
           "HEAD_MAX_READINGS"]

HEAD_MAX_SERIES = 2000       # the ridge head is solved on at most this many training series (a random subset beyond)
HEAD_MAX_READINGS = 2_000_000  # ... and on at most this many time steps in all (about 30 s on one CPU thread)

ARCHS: dict[str, Callable[..., nn.Module]] = {
    "fcn": FCN, "resnet": ResNet1d, "inception": InceptionTime, "conv_lstm": ConvLSTM,
    "lstm": LSTMClassifier, "gru": GRUClassifier,
}


class SensorLearner(Learner):
    """A Learner that trains with its data's recipe (`fit_recipe`) and draws validation series with predictions.

    When its model is a `RecipeEnsemble`, every fit first solves the ridge head on the training series (once: it
    stays fitted afterwards; `learn.model.head.fitted.fill_(False)` makes the next fit solve it again)."""
    recipe: SensorRecipe | None = None

    def fit(self, n_epoch: int, lr=None, wd=None, cbs=None, reset_opt: bool = False) -> None:
        model = self.model
        if isinstance(model, RecipeEnsemble) and not bool(model.head.fitted):
            self.fit_head()
        super().fit(n_epoch, lr=lr, wd=wd, cbs=cbs, reset_opt=reset_opt)

    def fit_head(self, max_series: int = HEAD_MAX_SERIES, max_readings: int = HEAD_MAX_READINGS) -> None:
        """Solve the ensemble's ridge head on the training split: at most `max_series` series and `max_readings`
        time steps in all (a random subset of the series beyond either). Its random draws come from a fork of
        torch's generator, so the network trains exactly as it would alone. With fewer than two training series
        there is nothing to solve: the head stays out and the model predicts with the network alone (a warning
        says so)."""
        if not isinstance(self.model, RecipeEnsemble):
            raise ValueError("this learner's model has no ridge head (build it with sensor_learner(dls)).")
        longest = self.recipe.max_len if self.recipe is not None else 1
        with torch.random.fork_rng(devices=[]):
            x, mask, y = training_series(self.dls, max(2, min(max_series, max_readings // max(1, longest))))
            if len(x) < 2:
                warnings.warn("the ridge head needs at least two training series; predicting with the network alone.")
                return
            device = next(self.model.head.buffers()).device
            self.model.head.fit(x.to(device), y.to(device), None if mask is None else mask.to(device))

    def fit_recipe(self, epochs: int | None = None, lr: float | None = None, cbs=None) -> None:
        """One-cycle training with `self.recipe`'s epochs and lr (override either), validating ~10 times."""
        if self.recipe is None:
            raise ValueError("this learner has no recipe; build it with sensor_learner(dls), or call fit_one_cycle.")
        epochs = self.recipe.epochs if epochs is None else epochs
        every = self.recipe.valid_every if epochs == self.recipe.epochs else max(1, math.ceil(epochs / 10))
        self.fit_one_cycle(epochs, self.recipe.lr if lr is None else lr,
                           cbs=[ValidateEvery(every)] + list(cbs or []))

    def show_results(self, ds_idx: int = 1, dl=None, max_n: int = 6, shuffle: bool = True, per_class: bool = False,
                     **kwargs):
        """Plot `max_n` validation series titled with target and prediction (six: plots are large); with
        `per_class`, the first series of each class instead, one panel per class in at most 4 columns."""
        if not per_class:
            return super().show_results(ds_idx, dl, max_n, shuffle, **kwargs)
        dl = self._loader(ds_idx, dl)
        ds = dl.dataset
        if getattr(ds, "y", None) is None or not hasattr(ds, "collate"):
            raise ValueError("per_class=True needs labelled SensorDataLoaders data (a SeriesDataset with labels).")
        first: dict[int, int] = {}
        for i, y in enumerate(ds.y):
            first.setdefault(int(y), i)
        picks = [first[c] for c in sorted(first)][:max_n]
        b = self._to_device(ds.collate([ds[i] for i in picks]))
        decoded = self.get_preds(dl=[b], with_decoded=True)[2]
        outs = [self.dls.vocab[int(d)] for d in decoded]
        ncols = min(len(picks), 4)
        nrows = -(-len(picks) // ncols)
        ctxs = get_grid(len(picks), ncols=ncols, figsize=kwargs.pop("figsize", None) or (3.6 * ncols, 2.8 * nrows))
        ctxs = show_results(b[0], b[-1], dl.decode_batch(b, len(picks)), outs, ctxs=ctxs, **kwargs)
        ctxs[0].figure.tight_layout()
        return ctxs


def sensor_learner(dls, arch: str | Callable[..., nn.Module] = "fcn", metrics=accuracy,
                   arch_kwargs: dict | None = None, random_features: bool = True, **kwargs) -> SensorLearner:
    """A classifier for `dls`: `arch` is a name in ARCHS or any `f(c_in, n_out, **arch_kwargs) -> nn.Module`.

    The learner carries `recipe` (batches, epochs, lr, stride derived from the training split, see `recipe.py`);
    an arch that takes `stride` gets the recipe's, so long series cost what short ones do. Train with
    `learn.fit_recipe()`, or with any fit method and your own settings.

    With `random_features` (the default, when the training series can be read whole) the model is a
    `RecipeEnsemble`: the network (`learn.model.net`) and a ridge head on random convolution features
    (`learn.model.head`), solved when training starts; predictions average the two models' probabilities.
    `random_features=False` gives the network alone."""
    if isinstance(arch, str):
        if arch not in ARCHS:
            raise ValueError(f"unknown arch {arch!r}; choose one of {sorted(ARCHS)} or pass a model constructor.")
        arch = ARCHS[arch]
    x = dls.one_batch()[0]
    if dls.c is None:
        raise ValueError("the data has no classes (dls.c is None); sensor_learner builds classifiers.")
    recipe = recipe_for(dls)
    arch_kwargs = dict(arch_kwargs or {})
    if recipe is not None and "stride" in inspect.signature(arch).parameters:
        arch_kwargs.setdefault("stride", recipe.stride)   # long series: the first conv downsamples
    model = arch(x.shape[1], dls.c, **arch_kwargs)
    if random_features and recipe is not None:
        model = RecipeEnsemble(model, RandomConvHead(x.shape[1], dls.c, recipe.max_len))
    learn = SensorLearner(dls, model, metrics=metrics, **kwargs)
    learn.recipe = recipe
    return learn


def recipe_for(dls) -> SensorRecipe | None:
    "The recipe for `dls`'s training split (None when its size or lengths cannot be read, e.g. a streaming loader)."
    train = dls.train
    try:
        series = train.dataset.x if hasattr(train.dataset, "x") else [item[0] for item in train.dataset]
        n_train, n_batches = len(series), len(train)
    except TypeError:
        return None
    max_len = max(int(s.shape[-1]) for s in series)
    return sensor_recipe(n_train, train.bs, n_batches, max_len)


def training_series(dls, max_series: int | None = None) -> tuple:
    """The training split as one batch `(x, mask or None, y)`, without augmentation (at most `max_series` series,
    a random subset, when given). Series of unequal lengths are padded and masked."""
    ds = dls.train.dataset
    if hasattr(ds, "x") and getattr(ds, "y", None) is not None:
        series, labels = list(ds.x), [int(v) for v in ds.y]
    else:
        items = [ds[i] for i in range(len(ds))]
        series, labels = [item[0] for item in items], [int(item[-1]) for item in items]
    if not series:
        raise ValueError("the training split is empty: there are no series to read.")
    if max_series is not None and len(series) > max_series:
        keep = torch.randperm(len(series))[:max_series].tolist()
        series, labels = [series[i] for i in keep], [labels[i] for i in keep]
    series = [torch.as_tensor(s).as_subclass(torch.Tensor).float().cpu() for s in series]
    y = torch.tensor(labels)
    if len({s.shape[-1] for s in series}) == 1:
        return torch.stack(series), None, y
    x, mask = pad_series(series)
    return x, mask, y
