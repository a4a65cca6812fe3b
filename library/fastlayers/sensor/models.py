"""Lesson 09 (course/09_sensor_sequences.ipynb, exercises/09_sensor_sequences/):
Series classifiers: input `(n, channels, length)` plus an optional `(n, length)` mask of real steps."""
from __future__ import annotations

import torch
from torch import nn, Tensor
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from .masking import MaskedBatchNorm1d, check_min_len, lengths_from_mask, masked_max, masked_mean

__all__ = ["ConvBlock", "ConvLSTM", "RNNClassifier", "LSTMClassifier", "GRUClassifier", "FCN", "ResNet1d",
           "InceptionTime", "check_input", "strided_mask", "series_norm"]


def check_input(x: Tensor, c_in: int, model: str) -> None:
    "Raise a clear error when `x` is not `(n, c_in, length)`."
    if x.ndim != 3:
        raise ValueError(f"{model} expects a batch shaped (n, channels, length), got shape {tuple(x.shape)}. "
                         "Add a channel axis with x[:, None] for a univariate series.")
    if x.shape[1] != c_in:
        raise ValueError(f"{model} was built for {c_in} channels but the batch has {x.shape[1]} "
                         f"(shape {tuple(x.shape)}). Build the model with c_in={x.shape[1]}.")


def _mask_out(x: Tensor, mask: Tensor | None) -> Tensor:
    "Zero the padded steps so the next convolution sees exactly the zeros its own padding would add."
    return x if mask is None else x * mask.unsqueeze(1).to(x.dtype)


class ConvBlock(nn.Module):
    "Conv1d ('same' padding, odd kernel, optional stride) -> masked BatchNorm -> ReLU, padded steps kept at zero."

    def __init__(self, ni: int, nf: int, ks: int, act: bool = True, stride: int = 1):
        super().__init__()
        if ks % 2 == 0:
            raise ValueError(f"kernel size {ks} is even; use an odd size so 'same' padding is symmetric.")
        # with a stride s, output step t is centred on input step t*s: the output is ceil(length / s) long
        self.conv = nn.Conv1d(ni, nf, ks, stride=stride, padding=ks // 2, bias=False)
        self.bn = MaskedBatchNorm1d(nf)
        self.act = act

    def forward(self, x: Tensor, mask: Tensor | None = None) -> Tensor:
        x = self.conv(_mask_out(x, mask))
        mask = strided_mask(mask, self.conv.stride[0])
        x = self.bn(x, mask)
        return _mask_out(torch.relu(x) if self.act else x, mask)


def strided_mask(mask: Tensor | None, stride: int) -> Tensor | None:
    "The mask after a 'same'-padded conv with `stride`: output step t is real when its centre, step t*stride, is."
    return mask if mask is None or stride == 1 else mask[:, ::stride]


def _run_rnn(rnn: nn.RNNBase, x: Tensor, mask: Tensor | None) -> tuple[Tensor, Tensor]:
    "Run `rnn` on `(n, length, f)`; return all outputs (padding zeroed) and the final state per direction."
    if mask is None:
        out, h = rnn(x)
    else:  # packing makes the backward direction start at each series' own last real step
        lengths = lengths_from_mask(mask).cpu()
        packed = pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False)
        out, h = rnn(packed)
        out, _ = pad_packed_sequence(out, batch_first=True, total_length=x.shape[1])
    h = h[0] if isinstance(h, tuple) else h              # LSTM returns (h, c)
    n_dir = 2 if rnn.bidirectional else 1
    final = h[-n_dir:].transpose(0, 1).reshape(x.shape[0], -1)  # last layer, all directions
    return out, final


def _pool_rnn(out: Tensor, final: Tensor, mask: Tensor | None, pool: str) -> Tensor:
    if pool == "last":
        return final
    if pool == "mean":
        return masked_mean(out.transpose(1, 2), mask)
    if pool == "max":
        return masked_max(out.transpose(1, 2), mask)
    raise ValueError(f"pool must be 'last', 'mean' or 'max', got {pool!r}")


class RNNClassifier(nn.Module):
    "An LSTM or GRU over time, classified from the last real step ('last') or pooled over real steps."

    def __init__(self, c_in: int, n_out: int, cell: str = "lstm", hidden: int = 64, layers: int = 1,
                 bidirectional: bool = False, pool: str = "last", dropout: float = 0.0):
        super().__init__()
        rnn_cls = {"lstm": nn.LSTM, "gru": nn.GRU}.get(cell)
        if rnn_cls is None:
            raise ValueError(f"cell must be 'lstm' or 'gru', got {cell!r}")
        _pool_rnn(torch.zeros(1, 1, 1), torch.zeros(1, 1), None, pool)  # validate `pool` early
        self.c_in, self.pool, self.min_len = c_in, pool, 1
        self.rnn = rnn_cls(c_in, hidden, layers, batch_first=True, bidirectional=bidirectional,
                           dropout=dropout if layers > 1 else 0.0)
        self.head = nn.Linear(hidden * (2 if bidirectional else 1), n_out)

    def forward(self, x: Tensor, mask: Tensor | None = None) -> Tensor:
        check_input(x, self.c_in, type(self).__name__)
        check_min_len(mask, x.shape[-1], self.min_len, type(self).__name__)
        out, final = _run_rnn(self.rnn, x.transpose(1, 2), mask)
        return self.head(_pool_rnn(out, final, mask, self.pool))


def LSTMClassifier(c_in: int, n_out: int, **kwargs) -> RNNClassifier:
    "An `RNNClassifier` with an LSTM cell."
    return RNNClassifier(c_in, n_out, cell="lstm", **kwargs)


def GRUClassifier(c_in: int, n_out: int, **kwargs) -> RNNClassifier:
    "An `RNNClassifier` with a GRU cell."
    return RNNClassifier(c_in, n_out, cell="gru", **kwargs)


class ConvLSTM(nn.Module):
    "A Conv1d feature extractor (no padding) feeding an LSTM: the conv turns raw readings into local patterns."

    def __init__(self, c_in: int, n_out: int, conv_channels: int = 64, kernel_size: int = 5, hidden: int = 64,
                 layers: int = 1, bidirectional: bool = False, pool: str = "last"):
        super().__init__()
        _pool_rnn(torch.zeros(1, 1, 1), torch.zeros(1, 1), None, pool)
        self.c_in, self.pool, self.ks = c_in, pool, kernel_size
        self.min_len = kernel_size                        # a 'valid' conv needs at least one full window
        self.conv = nn.Conv1d(c_in, conv_channels, kernel_size)
        self.bn = MaskedBatchNorm1d(conv_channels)
        self.rnn = nn.LSTM(conv_channels, hidden, layers, batch_first=True, bidirectional=bidirectional)
        self.head = nn.Linear(hidden * (2 if bidirectional else 1), n_out)

    def forward(self, x: Tensor, mask: Tensor | None = None) -> Tensor:
        check_input(x, self.c_in, "ConvLSTM")
        check_min_len(mask, x.shape[-1], self.min_len, "ConvLSTM")
        x = self.conv(x)
        # output step t covers input steps t..t+ks-1: it is real only when the window's last step is real
        mask = None if mask is None else mask[:, self.ks - 1:]
        x = _mask_out(torch.relu(self.bn(x, mask)), mask)
        out, final = _run_rnn(self.rnn, x.transpose(1, 2), mask)
        return self.head(_pool_rnn(out, final, mask, self.pool))


class _ConvNet(nn.Module):
    "Shared forward for the convolutional classifiers: blocks, then masked global average pooling."
    min_len = 1
    c_in: int
    shape_channels = False  # read each channel also normalized per series (see FCN)

    def read_channels(self) -> int:
        "How many channels the first layer reads: `c_in`, twice that with `shape_channels`."
        return 2 * self.c_in if self.shape_channels else self.c_in

    def features(self, x: Tensor, mask: Tensor | None) -> Tensor:
        raise NotImplementedError

    def feature_mask(self, mask: Tensor | None) -> Tensor | None:
        "The mask of real steps at the resolution of `features` (the input's, unless a layer has a stride)."
        return mask

    def read(self, x: Tensor, mask: Tensor | None) -> Tensor:
        "The input as the first layer reads it: with `shape_channels`, each channel also normalized per series."
        return torch.cat([x, series_norm(x, mask)], dim=1) if self.shape_channels else x

    def forward(self, x: Tensor, mask: Tensor | None = None) -> Tensor:
        check_input(x, self.c_in, type(self).__name__)
        check_min_len(mask, x.shape[-1], self.min_len, type(self).__name__)
        x = self.read(_mask_out(x, mask), mask)
        return self.head(masked_mean(self.features(x, mask), self.feature_mask(mask)))


def series_norm(x: Tensor, mask: Tensor | None = None, eps: float = 1e-5) -> Tensor:
    "Each series and channel of `x` `(n, c, length)` scaled to mean 0 / std 1 over its own real steps (its shape)."
    mean = masked_mean(x, mask).unsqueeze(-1)
    var = masked_mean((x - mean) ** 2, mask).unsqueeze(-1)
    return _mask_out((x - mean) / torch.sqrt(var + eps), mask)


class FCN(_ConvNet):
    """Fully convolutional network (Wang et al. 2017) at half width, to train fast on CPUs; global average pooling.

    With `shape_channels` (the default) the network reads each channel twice: as given (normalized with training
    statistics, so its level and scale across series are kept) and normalized per series (its shape alone, so a
    series far smaller or larger than most is still read in detail). The first layer learns what to take from each.
    `stride` > 1 makes the first convolution step over the input: the blocks after it see a series `stride` times
    shorter, so long recordings cost what short ones do, while the first layer still reads every reading (it learns
    its own downsampling filter; a fixed average would throw detail away first)."""

    def __init__(self, c_in: int, n_out: int, channels: tuple[int, ...] = (64, 128, 64),
                 kernels: tuple[int, ...] = (7, 5, 3), stride: int = 1, shape_channels: bool = True):
        super().__init__()
        if stride < 1:
            raise ValueError(f"stride must be >= 1, got {stride}")
        self.c_in, self.stride, self.shape_channels = c_in, stride, shape_channels
        sizes = (self.read_channels(),) + tuple(channels)
        self.blocks = nn.ModuleList(ConvBlock(a, b, k, stride=stride if i == 0 else 1)
                                    for i, (a, b, k) in enumerate(zip(sizes[:-1], sizes[1:], kernels)))
        self.head = nn.Linear(sizes[-1], n_out)

    def feature_mask(self, mask: Tensor | None) -> Tensor | None:
        return strided_mask(mask, self.stride)

    def features(self, x: Tensor, mask: Tensor | None) -> Tensor:
        for block in self.blocks:
            x = block(x, mask)
            mask = strided_mask(mask, block.conv.stride[0])
        return x


class _ResBlock(nn.Module):
    "Three conv blocks with a shortcut (1x1 conv + BN when the width changes)."

    def __init__(self, ni: int, nf: int, kernels: tuple[int, ...] = (7, 5, 3)):
        super().__init__()
        self.convs = nn.ModuleList([ConvBlock(ni, nf, kernels[0]), ConvBlock(nf, nf, kernels[1]),
                                    ConvBlock(nf, nf, kernels[2], act=False)])
        self.short = None if ni == nf else nn.Conv1d(ni, nf, 1, bias=False)
        self.short_bn = None if ni == nf else MaskedBatchNorm1d(nf)

    def forward(self, x: Tensor, mask: Tensor | None) -> Tensor:
        res = x if self.short is None else _mask_out(self.short_bn(self.short(x), mask), mask)
        for conv in self.convs:
            x = conv(x, mask)
        return torch.relu(x + res)


class ResNet1d(_ConvNet):
    """Residual 1-D network (Wang et al. 2017): three residual blocks and global average pooling; with
    `shape_channels` (the default) it reads each channel as given and normalized per series, as `FCN` does."""

    def __init__(self, c_in: int, n_out: int, channels: tuple[int, ...] = (64, 128, 128), shape_channels: bool = True):
        super().__init__()
        self.c_in, self.shape_channels = c_in, shape_channels
        sizes = (self.read_channels(),) + tuple(channels)
        self.blocks = nn.ModuleList(_ResBlock(a, b) for a, b in zip(sizes[:-1], sizes[1:]))
        self.head = nn.Linear(sizes[-1], n_out)

    def features(self, x: Tensor, mask: Tensor | None) -> Tensor:
        for block in self.blocks:
            x = block(x, mask)
        return x


class _InceptionModule(nn.Module):
    "Bottleneck, then parallel convs of several widths and a max-pool branch, concatenated."

    def __init__(self, ni: int, nf: int = 32, kernels: tuple[int, ...] = (39, 19, 9)):
        super().__init__()
        self.bottleneck = nn.Conv1d(ni, nf, 1, bias=False) if ni > 1 else None
        nb = nf if ni > 1 else ni
        self.convs = nn.ModuleList(nn.Conv1d(nb, nf, k, padding=k // 2, bias=False) for k in kernels)
        self.pool_conv = nn.Conv1d(ni, nf, 1, bias=False)
        self.bn = MaskedBatchNorm1d(nf * (len(kernels) + 1))

    def forward(self, x: Tensor, mask: Tensor | None) -> Tensor:
        b = x if self.bottleneck is None else self.bottleneck(x)
        # padded steps must never win the max: fill them with -inf for the pool, then back to zero
        xp = x if mask is None else x.masked_fill(~mask.unsqueeze(1), float("-inf"))
        pooled = nn.functional.max_pool1d(xp, 3, stride=1, padding=1)
        pooled = _mask_out(pooled.masked_fill(torch.isinf(pooled), 0.0), mask)
        out = torch.cat([conv(_mask_out(b, mask)) for conv in self.convs] + [self.pool_conv(pooled)], dim=1)
        return _mask_out(torch.relu(self.bn(out, mask)), mask)


class InceptionTime(_ConvNet):
    """InceptionTime-style network (Fawaz et al. 2020): inception modules with a shortcut every three; with
    `shape_channels` (the default) it reads each channel as given and normalized per series, as `FCN` does."""

    def __init__(self, c_in: int, n_out: int, nf: int = 32, depth: int = 6, kernels: tuple[int, ...] = (39, 19, 9),
                 shape_channels: bool = True):
        super().__init__()
        self.c_in, self.shape_channels = c_in, shape_channels
        c_read = self.read_channels()
        width = nf * (len(kernels) + 1)
        self.modules_ = nn.ModuleList(_InceptionModule(c_read if d == 0 else width, nf, kernels)
                                      for d in range(depth))
        n_short = depth // 3
        self.short_convs = nn.ModuleList(nn.Conv1d(c_read if i == 0 else width, width, 1, bias=False)
                                         for i in range(n_short))
        self.short_bns = nn.ModuleList(MaskedBatchNorm1d(width) for _ in range(n_short))
        self.head = nn.Linear(width, n_out)

    def features(self, x: Tensor, mask: Tensor | None) -> Tensor:
        res = x
        for d, module in enumerate(self.modules_):
            x = module(x, mask)
            if d % 3 == 2:  # shortcut from the input of this group of three modules
                i = d // 3
                r = _mask_out(self.short_bns[i](self.short_convs[i](res), mask), mask)
                x = res = _mask_out(torch.relu(x + r), mask)
        return x
