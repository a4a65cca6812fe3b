"""Lesson 09 (course/09_sensor_sequences.ipynb): the default recipe, with every setting derived from the data.

A recipe is a promise to someone who brings their own recordings: it must hold on data nobody tuned it on. So no
setting below is a number picked per dataset; each is a rule on what any training set has (how many series, how
long), and the lesson says why each rule is there:

- batch size: a tenth of the training series, between 8 and 64 (about ten steps per epoch on small sets);
- training length: counted in optimizer steps, not epochs: 1500 steps whatever the size (and at least 20 epochs),
  so 20 series get as many updates as 2000; fewer when batches of long series would make those steps cost more
  than a fixed budget of work (8 million series-steps: batch size x steps x length, about 40 s on one CPU thread);
- learning rate: one value, 5e-3 with one-cycle, because BatchNorm and Adam make the good range depend on the
  architecture far more than on the data (on small sets `lr_find`'s suggestion varies more between seeds than
  between datasets: see the lesson);
- long series: the first convolution steps over the input so the network works on at most 512 steps;
- validation: about ten times per fit instead of every epoch (on 20 series, 750 epochs would mean 750 tables rows);
- prediction: `sensor_learner` pairs the network with a ridge head on random convolution features, solved in closed
  form when training starts, and averages their probabilities (the network's logits divided by `NET_TEMPERATURE`):
  the head cannot learn a small noisy training set by heart the way 1500 gradient steps can (`rocket.py`).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from ..training import Callback, CancelValidException

__all__ = ["RECIPE_LR", "RECIPE_STEPS", "RECIPE_WORK", "recipe_steps", "MIN_EPOCHS", "MAX_MODEL_LEN", "SensorRecipe", "recipe_bs", "recipe_stride",
           "recipe_epochs", "sensor_recipe", "ValidateEvery"]

RECIPE_LR = 5e-3       # one-cycle peak for Adam on the BatchNorm'd convolutional nets of sensor_learner
RECIPE_STEPS = 1500    # optimizer steps per fit, whatever the number of series
RECIPE_WORK = 8_000_000  # at most this many series-steps per fit (bs x steps x length seen by the network)
MIN_EPOCHS = 20        # on large sets, still show every series this many times
MAX_MODEL_LEN = 512    # longest series (in steps) the layers after the first one work on


def recipe_bs(n_train: int) -> int:
    "A tenth of the training series, clipped to [8, 64]: ~10 noisy steps per epoch on small sets, 64 on large ones."
    if n_train < 1:
        raise ValueError(f"the training set is empty (n_train={n_train}); a batch size needs at least one series.")
    return int(min(64, max(8, n_train // 10)))


def recipe_stride(max_len: int, max_model_len: int = MAX_MODEL_LEN) -> int:
    "The first convolution's stride, so that the longest training series is at most `max_model_len` steps after it."
    return max(1, math.ceil(max_len / max_model_len))


def recipe_steps(bs: int, model_len: int, steps: int = RECIPE_STEPS, work: int = RECIPE_WORK) -> int:
    "`steps`, or fewer when `bs` series of `model_len` steps per batch would go over `work` series-steps in all."
    return int(max(1, min(steps, work // (bs * model_len))))


def recipe_epochs(n_batches: int, steps: int = RECIPE_STEPS, min_epochs: int = MIN_EPOCHS) -> int:
    "Epochs that give about `steps` optimizer steps with `n_batches` batches per epoch, and at least `min_epochs`."
    if n_batches < 1:
        raise ValueError("the training loader has no batches: lower the batch size or add series.")
    return max(min_epochs, math.ceil(steps / n_batches))


@dataclass(frozen=True)
class SensorRecipe:
    "The settings `SensorLearner.fit_recipe` trains with; `str()` says where each one comes from."
    n_train: int
    bs: int
    n_batches: int
    epochs: int
    lr: float
    stride: int
    max_len: int

    @property
    def steps(self) -> int:
        return self.epochs * self.n_batches

    @property
    def valid_every(self) -> int:
        "Validate about ten times per fit (always after the last epoch)."
        return max(1, math.ceil(self.epochs / 10))

    def __str__(self) -> str:
        return (f"{self.n_train} training series -> bs {self.bs}, {self.n_batches} batches/epoch, "
                f"{self.epochs} epochs ({self.steps} steps), one-cycle lr {self.lr:g}; longest series "
                f"{self.max_len} steps -> first conv stride {self.stride}")


def sensor_recipe(n_train: int, bs: int, n_batches: int, max_len: int, lr: float = RECIPE_LR,
                  steps: int = RECIPE_STEPS) -> SensorRecipe:
    "The recipe for a training set of `n_train` series (longest `max_len` steps) batched by `bs` into `n_batches`."
    stride = recipe_stride(max_len)
    steps = recipe_steps(bs, math.ceil(max_len / stride), steps)
    return SensorRecipe(n_train=n_train, bs=bs, n_batches=n_batches, epochs=recipe_epochs(n_batches, steps),
                        lr=lr, stride=stride, max_len=max_len)


class ValidateEvery(Callback):
    "Validate only every `n` epochs and after the last one; the metrics table shows only those epochs."
    order = 40  # before the Recorder (50) and the progress table (60), so a skipped pass never starts

    def __init__(self, n: int):
        if n < 1:
            raise ValueError(f"ValidateEvery needs n >= 1, got {n}")
        self.n = n

    def _validates(self) -> bool:
        epoch, last = self.learn.epoch, self.learn.n_epoch - 1
        return epoch == last or (epoch + 1) % self.n == 0

    def before_fit(self) -> None:
        self._tables = [cb for cb in self.learn.cbs if hasattr(cb, "table")]
        self._shown = [cb.table for cb in self._tables]

    def before_epoch(self) -> None:
        for cb, shown in zip(self._tables, self._shown):
            cb.table = shown and self._validates()

    def before_validate(self) -> None:
        if not self._validates():
            raise CancelValidException()

    def after_fit(self) -> None:
        self.cleanup()

    def cleanup(self) -> None:
        for cb, shown in zip(getattr(self, "_tables", []), getattr(self, "_shown", [])):
            cb.table = shown
