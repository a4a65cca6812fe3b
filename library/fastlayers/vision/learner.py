"""`vision_learner`: a torchvision backbone cut before its pooling layer, with a new head for the data's classes."""
from __future__ import annotations

from typing import Any, Callable

import torch
from torch import nn

from ..training import Learner

__all__ = ["create_body", "create_head", "vision_learner", "body_head_splitter"]


def _backbone(arch: Any, pretrained: bool) -> nn.Module:
    import torchvision
    if isinstance(arch, str):
        arch = getattr(torchvision.models, arch)
    # torchvision takes `weights=`; pretrained weights are downloaded by torchvision on first use.
    return arch(weights="DEFAULT" if pretrained else None)


def create_body(model: nn.Module, n_in: int = 3) -> nn.Sequential:
    """The layers of `model` before its global pooling and classifier, taking `n_in` input channels."""
    layers = list(model.children())
    cut = next((i for i in range(len(layers) - 1, -1, -1) if isinstance(layers[i], (nn.AdaptiveAvgPool2d,
                                                                                     nn.AdaptiveMaxPool2d))), None)
    if cut is None:
        raise ValueError(f"cannot find a global pooling layer in {type(model).__name__}: pass a body yourself")
    body = nn.Sequential(*layers[:cut])
    first = next((m for m in body.modules() if isinstance(m, nn.Conv2d)), None)
    if first is not None and first.in_channels != n_in:
        # Keep the layer's shape but take n_in channels: average the learned filters over the old channels.
        new = nn.Conv2d(n_in, first.out_channels, first.kernel_size, first.stride, first.padding,
                        bias=first.bias is not None)
        with torch.no_grad():
            new.weight.copy_(first.weight.mean(1, keepdim=True).expand_as(new.weight))
        _replace(body, first, new)
    return body


def _replace(root: nn.Module, old: nn.Module, new: nn.Module) -> None:
    for name, child in root.named_children():
        if child is old:
            setattr(root, name, new)
            return
        _replace(child, old, new)


def create_head(n_features: int, n_out: int, p: float = 0.25) -> nn.Sequential:
    """Pool (average and max, concatenated), then batchnorm, dropout and a linear layer to `n_out`."""
    return nn.Sequential(_ConcatPool(), nn.Flatten(), nn.BatchNorm1d(2 * n_features), nn.Dropout(p),
                         nn.Linear(2 * n_features, n_out))


class _ConcatPool(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.cat([x.amax(dim=(-2, -1), keepdim=True), x.mean(dim=(-2, -1), keepdim=True)], dim=1)


def body_head_splitter(model: nn.Sequential) -> list:
    """Two parameter groups: the backbone (model[0]) and the head (model[1])."""
    return [list(model[0].parameters()), list(model[1].parameters())]


def vision_learner(dls: Any, arch: Any = "resnet18", n_out: int | None = None, pretrained: bool = False,
                   n_in: int | None = None, loss_func: Callable | None = None, **kwargs) -> Learner:
    """A Learner for image classification with a torchvision `arch`; frozen body when `pretrained`."""
    n_out = n_out or getattr(dls, "c", None)
    if not n_out:
        raise ValueError("vision_learner needs the number of outputs: the data has no classes, pass n_out=...")
    if n_in is None:
        x = dls.one_batch()[0]
        n_in = x.shape[1]
    body = create_body(_backbone(arch, pretrained), n_in)
    with torch.no_grad():
        n_features = body.eval()(torch.zeros(2, n_in, 64, 64)).shape[1]
    model = nn.Sequential(body.train(), create_head(n_features, n_out))
    learn = Learner(dls, model, loss_func=loss_func, splitter=body_head_splitter, **kwargs)
    if pretrained:
        learn.freeze()
    return learn
