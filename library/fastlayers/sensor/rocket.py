"""Lesson 09 (course/09_sensor_sequences.ipynb): random convolution features with a ridge head, and the ensemble
the default recipe predicts with.

`RandomConvHead` follows the idea of MiniRocket (Dempster et al. 2021): thousands of fixed convolution kernels of
length 9, none of them learned, each read at several dilations; a feature is the fraction of steps where a kernel's
output is above a threshold (a bias drawn from the training data). Only a linear classifier on those features is
learned, and it is solved in closed form (ridge regression, with its penalty picked by leave-one-out error on the
training series), so it cannot learn the training series by heart the way a network trained for 1500 steps can.

`RecipeEnsemble` trains its network as usual and, in evaluation, averages the network's class probabilities with
the ridge head's. The two fail differently: the network finds shapes the fixed kernels miss, the ridge head holds
on small noisy sets where the network overfits. The lesson measures both alone and together.
"""
from __future__ import annotations

import itertools
import math

import torch
from torch import nn, Tensor
import torch.nn.functional as F

from .masking import lengths_from_mask

__all__ = ["RandomConvHead", "RecipeEnsemble", "ridge_loo", "RIDGE_ALPHAS", "NET_TEMPERATURE"]

KERNEL_LEN = 9
MEMO_FLOATS = 25_000_000  # a head remembers the features of recent batches up to this many numbers (100 MB)
CHUNK_FLOATS = 4_000_000  # series are processed in chunks of about this many convolution outputs (16 MB each)
NET_TEMPERATURE = 4.0  # the network's logits are divided by this before its probabilities join the head's
RIDGE_ALPHAS = tuple(10.0 ** e for e in torch.linspace(-3, 3, 10).tolist())  # the penalties tried, by LOO error


def _tracing() -> bool:
    "Whether torch.export or torch.compile is tracing this call (then no Python branch may read a tensor's value)."
    return torch.compiler.is_compiling() or torch.compiler.is_exporting()


def _real_steps(x: Tensor, mask: Tensor | None) -> tuple[Tensor, Tensor]:
    "`x` as floats with padded steps at zero, and each series' number of real steps."
    if mask is None:
        return x.float(), torch.full((x.shape[0],), x.shape[-1], device=x.device)
    return x.float() * mask[:, None, :].to(torch.float32), lengths_from_mask(mask)


def _kernels() -> Tensor:
    "The 84 kernels of length 9: weight 2 at three of the nine positions, -1 elsewhere (each sums to zero)."
    w = -torch.ones(84, KERNEL_LEN)
    for k, picks in enumerate(itertools.combinations(range(KERNEL_LEN), 3)):
        w[k, list(picks)] = 2.0
    return w


def _dilations(max_len: int, per_kernel: int, max_dilations: int = 32) -> tuple[list[int], list[int]]:
    """Dilations spread exponentially from 1 to the widest a 9-long kernel fits in `max_len` steps, and how many of
    a kernel's `per_kernel` features each one gets (dilations that round to the same integer share their slots)."""
    top = math.log2(max(1.0, (max_len - 1) / (KERNEL_LEN - 1)))
    n = min(per_kernel, max_dilations)
    raw = [int(2 ** (top * i / max(1, n - 1))) for i in range(n)]
    dilations = sorted(set(raw))
    counts = [raw.count(d) for d in dilations]
    share, extra = divmod(per_kernel, n)
    slots = [c * share for c in counts]
    for i in range(extra):                       # the remainder goes to the smallest dilations
        slots[i % len(slots)] += 1
    return dilations, slots


def ridge_loo(X: Tensor, Y: Tensor, alphas=RIDGE_ALPHAS) -> tuple[Tensor, Tensor, float, Tensor]:
    """Ridge regression of `Y` (n, k) on `X` (n, p) with an intercept, its penalty chosen among `alphas` by the
    exact leave-one-out squared error. Returns (weights (p, k), intercept (k,), alpha, leave-one-out predictions).

    Solved through the n x n Gram matrix of the centred features (the sets here have far fewer series than
    features): with K = XXᵀ, c = (K + alpha I)⁻¹Y and H = 1/n + K(K + alpha I)⁻¹ (the hat matrix, the intercept
    included), the residual of series i from a fit without it is (alpha c_i) / (1 - H_ii)."""
    X, Y = X.double(), Y.double()
    xm, ym = X.mean(0), Y.mean(0)
    Xc, Yc = X - xm, Y - ym
    evals, Q = torch.linalg.eigh(Xc @ Xc.T)
    evals = evals.clamp(min=0)
    QtY = Q.T @ Yc
    n, best = len(X), None
    for alpha in alphas:
        c = Q @ (QtY / (evals + alpha)[:, None])
        # the hat matrix's diagonal: 1/n for the intercept, plus the penalized fit's share of each series
        hat = 1.0 / n + (Q ** 2) @ (evals / (evals + alpha))
        resid = alpha * c / (1.0 - hat).clamp(min=1e-12)[:, None]
        err = float((resid ** 2).sum())
        if best is None or err < best[0] - 1e-12 * abs(best[0]):
            best = (err, alpha, c, Y - resid)
    _, alpha, c, loo = best
    w = Xc.T @ c
    b = ym - xm @ w
    return w.float(), b.float(), alpha, loo.float()


class RandomConvHead(nn.Module):
    """Fixed random convolution features (about `n_features`) and a ridge classifier on them, for `c_in`-channel
    series of up to `max_len` steps (longer ones work; their widest dilations are chosen for `max_len`).

    Untrained until `fit(x, y, mask)`; afterwards `forward(x, mask)` gives class scores whose softmax are
    probabilities calibrated on the leave-one-out predictions of the training series."""

    def __init__(self, c_in: int, n_out: int, max_len: int, n_features: int = 10_000):
        super().__init__()
        if max_len < 1 or c_in < 1 or n_out < 1:
            raise ValueError(f"RandomConvHead needs c_in, n_out and max_len >= 1, got {c_in}, {n_out}, {max_len}.")
        self.c_in, self.n_out, self.max_len = c_in, n_out, max_len
        per_kernel = max(1, n_features // 84)
        self.dilations, self.slots = _dilations(max_len, per_kernel)
        self.n_features = 84 * per_kernel
        self.register_buffer("weight", _kernels())                              # (84, 9)
        n_dil = len(self.dilations)
        self.register_buffer("channels", torch.ones(n_dil, c_in, 84))         # which channels each kernel sums
        self.register_buffer("biases", torch.zeros(self.n_features))           # per (dilation, kernel, slot)
        self.register_buffer("mean", torch.zeros(self.n_features))
        self.register_buffer("std", torch.ones(self.n_features))
        self.register_buffer("coef", torch.zeros(self.n_features, n_out))
        self.register_buffer("intercept", torch.zeros(n_out))
        self.register_buffer("temperature", torch.ones(()))
        self.register_buffer("fitted", torch.zeros((), dtype=torch.bool))
        self.alpha = None
        self._memo: list[tuple[Tensor, Tensor | None, Tensor]] = []

    def __getstate__(self) -> dict:
        state = dict(self.__dict__)
        state["_memo"] = []           # remembered batches are not part of the model
        return state

    # -- the features ------------------------------------------------------------------------------------------
    def _conv(self, x: Tensor, di: int) -> Tensor:
        "(n, 84, length): each kernel at dilation `di`, summed over its channels, zero padding ('same' length)."
        n, c, length = x.shape
        d = self.dilations[di]
        # the nine readings each kernel position sees, as nine shifted copies: one (84 x 9) matrix product then
        # gives every kernel's output, several times faster on a CPU than a dilated convolution
        padded = F.pad(x, (4 * d, 4 * d))
        shifted = torch.stack([padded[..., j * d: j * d + length] for j in range(KERNEL_LEN)], -2)  # (n, c, 9, L)
        out = torch.matmul(self.weight, shifted)                                               # (n, c, 84, L)
        if c == 1:               # one channel: every kernel reads it
            return out[:, 0]
        return torch.einsum("nckl,ck->nkl", out, self.channels[di])

    def _valid(self, lengths: Tensor, length: int, di: int) -> tuple[Tensor, Tensor]:
        """(n, 84, length): the steps each feature counts, and (n, 84) how many they are. Kernels alternate between
        all real steps (as if padded) and only the steps where the whole kernel lies on real readings (all real
        steps when a series is too short)."""
        d = self.dilations[di]
        t = torch.arange(length, device=lengths.device)
        real = t[None, :] < lengths[:, None]                                                 # (n, length)
        inner = real & (t[None, :] >= 4 * d) & (t[None, :] < (lengths[:, None] - 4 * d))
        inner = torch.where(inner.any(1, keepdim=True), inner, real)
        padded = (torch.arange(84, device=lengths.device) + di) % 2 == 0                   # (84,)
        valid = torch.where(padded[None, :, None], real[:, None, :], inner[:, None, :])
        counts = torch.where(padded[None, :], real.sum(1, keepdim=True), inner.sum(1, keepdim=True))  # (n, 84)
        return valid, counts

    def _blocks(self):
        "(dilation index, slice of the feature vector) per dilation: each holds 84 kernels x its slots."
        start = 0
        for di, m in enumerate(self.slots):
            yield di, slice(start, start + 84 * m)
            start += 84 * m

    def features(self, x: Tensor, mask: Tensor | None = None, chunk: int | None = None) -> Tensor:
        """(n, n_features): per kernel, dilation and bias, the fraction of counted steps whose output is above the
        bias. `chunk` series at a time (default: as many as keep each intermediate tensor near 16 MB)."""
        n, c, length = x.shape
        x, lengths = _real_steps(x, mask)
        if _tracing():                      # one piece: a loop over the batch would fix its size in the program
            return self._features(x, lengths)
        chunk = chunk or max(1, CHUNK_FLOATS // (84 * length * c))
        return torch.cat([self._features(x[lo:lo + chunk], lengths[lo:lo + chunk]) for lo in range(0, n, chunk)])

    def _features(self, x: Tensor, lengths: Tensor) -> Tensor:
        parts = []
        for di, sl in self._blocks():
            valid, counts = self._valid(lengths, x.shape[-1], di)
            conv = self._conv(x, di).masked_fill(~valid, float("-inf"))          # uncounted steps never exceed
            b = self.biases[sl].reshape(84, -1)
            if _tracing():
                above = torch.stack([(conv > b[None, :, j, None]).sum(-1) for j in range(b.shape[1])], -1)
            else:   # comparisons written into a float buffer: summing it is far faster than summing booleans
                hits = torch.empty_like(conv)
                above = torch.stack([torch.gt(conv, b[None, :, j, None], out=hits).sum(-1)
                                     for j in range(b.shape[1])], -1)
            parts.append((above / counts[..., None].clamp(min=1)).flatten(1))
        return torch.cat(parts, 1)

    # -- fitting -----------------------------------------------------------------------------------------------
    @torch.no_grad()
    def fit(self, x: Tensor, y: Tensor, mask: Tensor | None = None) -> "RandomConvHead":
        """Draw the biases from the training series `x` (n, c_in, length), then solve the ridge classifier for the
        labels `y` (n,). Uses torch's random generator (seed it for repeatable features)."""
        if x.ndim != 3 or x.shape[1] != self.c_in:
            raise ValueError(f"RandomConvHead.fit expects (n, {self.c_in}, length) series, got {tuple(x.shape)}.")
        if len(x) != len(y) or len(x) < 2:
            raise ValueError(f"RandomConvHead.fit needs at least 2 series with one label each, got {len(x)} series "
                             f"and {len(y)} labels.")
        n, c, length = x.shape
        x, lengths = _real_steps(x, mask)
        golden = (math.sqrt(5) + 1) / 2
        quantiles = torch.tensor([(i * golden) % 1 for i in range(1, self.n_features + 1)], dtype=torch.float64)
        max_c = min(c, 9)
        for di, sl in self._blocks():
            m = self.slots[di]
            # each kernel sums a random subset of channels (1 to 9 of them, fewer more often)
            sel = torch.zeros(c, 84)
            for k in range(84):
                n_ch = min(c, int(2 ** (torch.rand(()).item() * math.log2(max_c + 1))))
                sel[torch.randperm(c)[:max(1, n_ch)], k] = 1.0
            self.channels[di] = sel.to(self.channels)
            # biases: quantiles of one random training series' output, per kernel
            pick = torch.randint(n, (84,))
            conv = self._conv(x[pick], di)                                   # (84 series, 84 kernels, length)
            conv = conv[torch.arange(84), torch.arange(84)]                  # kernel k on series pick[k]
            valid = self._valid(lengths[pick], length, di)[0][torch.arange(84), torch.arange(84)]
            q = quantiles[sl].reshape(84, m)
            biases = torch.stack([torch.quantile(conv[k][valid[k]].double(), q[k]) for k in range(84)])
            self.biases[sl] = biases.reshape(-1).to(self.biases)
        feats = self.features(x, mask)
        mean, std = feats.mean(0), feats.std(0)
        std = torch.where(std > 1e-8, std, torch.ones_like(std))
        self.mean.copy_(mean)
        self.std.copy_(std)
        targets = -torch.ones(n, self.n_out, device=x.device)
        targets[torch.arange(n), y.long()] = 1.0
        coef, intercept, self.alpha, loo = ridge_loo((feats - mean) / std, targets)
        self.coef.copy_(coef)
        self.intercept.copy_(intercept)
        self.temperature.fill_(_fit_temperature(loo, y.long()))
        self.fitted.fill_(True)
        self._memo = []
        return self

    def remembered_features(self, x: Tensor, mask: Tensor | None) -> Tensor:
        """`features(x, mask)`, remembered for recent batches (compared exactly; `MEMO_FLOATS` numbers at most): a
        fit validates on the same series about ten times, and the features cost far more than the comparison. A
        validation set too large to remember has its features computed at every validation."""
        if _tracing():
            return self.features(x, mask)
        for mx, mm, feats in self._memo:
            if (mx.shape == x.shape and mx.device == x.device and (mm is None) == (mask is None) and torch.equal(mx, x)
                    and (mm is None or torch.equal(mm, mask))):
                return feats
        feats = self.features(x, mask)
        kept, used = [], 0
        for entry in [(x.detach().clone(), None if mask is None else mask.clone(), feats)] + self._memo:
            used += entry[0].numel() + entry[2].numel()           # newest first, while within the budget
            if used > MEMO_FLOATS:
                break
            kept.append(entry)
        self._memo = kept
        return feats

    def forward(self, x: Tensor, mask: Tensor | None = None) -> Tensor:
        "Class scores (n, n_out), scaled so that their softmax is calibrated (zeros before `fit`)."
        feats = (self.remembered_features(x, mask) - self.mean) / self.std
        return (feats @ self.coef + self.intercept) * self.temperature


def _fit_temperature(scores: Tensor, y: Tensor) -> float:
    "The scale t minimizing the cross-entropy of softmax(t * scores) on labels `y` (a 1-D search on a log grid)."
    grid = torch.logspace(-1, 2.5, 71)
    losses = torch.stack([F.cross_entropy(scores * t, y) for t in grid])
    return float(grid[int(losses.argmin())])


class RecipeEnsemble(nn.Module):
    """A trained network and a `RandomConvHead`: training mode returns the network's logits (only it learns by
    gradient); evaluation averages both models' class probabilities once the head is fitted (returned as logs, so a
    softmax or argmax reads them like logits). The network's logits are first divided by `net_temperature`: after
    1500 steps it is sure of itself far beyond its accuracy on new series, while the head's probabilities are
    calibrated on leave-one-out predictions; without it the network would outvote the head whenever they disagree."""

    def __init__(self, net: nn.Module, head: RandomConvHead, net_temperature: float = NET_TEMPERATURE):
        super().__init__()
        if net_temperature <= 0:
            raise ValueError(f"net_temperature must be > 0, got {net_temperature}")
        self.net, self.head, self.net_temperature = net, head, net_temperature

    def forward(self, x: Tensor, mask: Tensor | None = None) -> Tensor:
        logits = self.net(x) if mask is None else self.net(x, mask)
        if self.training:
            return logits
        if _tracing():   # traced (torch.export): no Python branch on a tensor's value; both paths kept
            return torch.where(self.head.fitted, self._mix(logits, x, mask), logits)
        return self._mix(logits, x, mask) if bool(self.head.fitted) else logits

    def _mix(self, logits: Tensor, x: Tensor, mask: Tensor | None) -> Tensor:
        probs = (F.softmax(logits / self.net_temperature, -1) + F.softmax(self.head(x, mask), -1)) / 2
        return probs.clamp(min=1e-12).log()
