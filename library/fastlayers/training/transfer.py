"""Lesson 08 (course/08_vision.ipynb, exercises/08_vision/): parameter groups for transfer learning: splitters,
and which parameters are normalization or bias (norm layers keep training in a frozen body). The rest of the
lesson's transfer learning lives where it acts: freezing groups in `Optimizer.freeze_to`, discriminative learning
rates from a `slice` in `expand_hyper` (training/optimizer.py), and `Learner.freeze`/`unfreeze`/`fine_tune`."""
from __future__ import annotations

from torch import nn

__all__ = ["trainable_params", "norm_bias_params", "params", "NORM_TYPES"]

# Normalization layers: they keep training when the rest of the body is frozen (their statistics must
# adapt to the new data), and get no weight decay by default.
NORM_TYPES = (nn.modules.batchnorm._BatchNorm, nn.LayerNorm, nn.GroupNorm, nn.modules.instancenorm._InstanceNorm)


def trainable_params(m: nn.Module) -> list:
    """The default splitter: one group holding every parameter that requires a gradient."""
    return [p for p in m.parameters() if p.requires_grad]


def params(m: nn.Module) -> list:
    """Every parameter of `m` (for writing splitters: `lambda m: [params(m[0]), params(m[1])]`)."""
    return list(m.parameters())


def norm_bias_params(m: nn.Module, with_bias: bool = True) -> list:
    """Parameters of normalization layers, plus (if `with_bias`) every other bias."""
    found = []
    for mod in m.modules():
        if isinstance(mod, NORM_TYPES):
            found += list(mod.parameters(recurse=False))
        elif with_bias and getattr(mod, "bias", None) is not None and isinstance(mod.bias, nn.Parameter):
            found.append(mod.bias)
    return found
