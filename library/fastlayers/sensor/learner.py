"""sensor_learner: a Learner for series classification with the architecture, loss and metrics picked for you."""
from __future__ import annotations

from typing import Callable

from torch import nn

from ..training import Learner, accuracy
from .models import FCN, ConvLSTM, GRUClassifier, InceptionTime, LSTMClassifier, ResNet1d

__all__ = ["ARCHS", "sensor_learner", "SensorLearner"]

ARCHS: dict[str, Callable[..., nn.Module]] = {
    "fcn": FCN, "resnet": ResNet1d, "inception": InceptionTime, "conv_lstm": ConvLSTM,
    "lstm": LSTMClassifier, "gru": GRUClassifier,
}


class SensorLearner(Learner):
    "A Learner that can also draw validation series with their labels and predictions."

    def show_results(self, ds_idx: int = 1, dl=None, max_n: int = 6, shuffle: bool = True, **kwargs):
        "Plot `max_n` series of a validation batch, titled `target / prediction` (six: plots are large)."
        return super().show_results(ds_idx, dl, max_n, shuffle, **kwargs)


def sensor_learner(dls, arch: str | Callable[..., nn.Module] = "fcn", metrics=accuracy,
                   arch_kwargs: dict | None = None, **kwargs) -> SensorLearner:
    "A classifier for `dls`: `arch` is a name in ARCHS or any `f(c_in, n_out, **arch_kwargs) -> nn.Module`."
    if isinstance(arch, str):
        if arch not in ARCHS:
            raise ValueError(f"unknown arch {arch!r}; choose one of {sorted(ARCHS)} or pass a model constructor.")
        arch = ARCHS[arch]
    x = dls.one_batch()[0]
    if dls.c is None:
        raise ValueError("the data has no classes (dls.c is None); sensor_learner builds classifiers.")
    model = arch(x.shape[1], dls.c, **(arch_kwargs or {}))
    return SensorLearner(dls, model, metrics=metrics, **kwargs)
