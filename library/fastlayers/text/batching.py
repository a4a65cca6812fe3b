"""Lesson 10 (course/10_text.ipynb, exercises/10_text/):
Batching text: length-sorted padded batches for classification, one contiguous stream for language models."""
from __future__ import annotations

import math
from typing import Any, Iterator, Sequence

import torch

from ..core import Pipeline, TensorText
from ..data import TfmdDL, DataLoader, collate

__all__ = ["pad_input", "SortedDL", "LMDataLoader"]


def pad_input(samples: Sequence[tuple], pad_idx: int = 1, pad_first: bool = True) -> tuple:
    """Pad the first element of every sample to the longest one and collate: (bs, max_len) ids + the rest.

    Padding goes first by default: a recurrent classifier that reads its last time step then sees real tokens."""
    if len(samples) == 0:
        raise ValueError("pad_input got no samples")
    lens = [len(s[0]) for s in samples]
    x = torch.full((len(samples), max(lens)), pad_idx, dtype=torch.long)
    for i, (s, n) in enumerate(zip(samples, lens)):
        if n:
            if pad_first:
                x[i, x.shape[1] - n:] = torch.as_tensor(s[0])
            else:
                x[i, :n] = torch.as_tensor(s[0])
    rest = collate([tuple(s[1:]) for s in samples]) if len(samples[0]) > 1 else ()
    return (TensorText(x), *rest)


class SortedDL(TfmdDL):
    """Batches of texts of similar lengths, padded: sorted by length for validation; for training, shuffled, then
    sorted inside chunks of 50 batches, so each epoch differs while padding stays small."""

    def __init__(self, dataset: Any = None, bs: int = 64, pad_idx: int = 1, pad_first: bool = True,
                 lengths: Sequence[int] | None = None, **kwargs):
        self.pad_idx, self.pad_first = pad_idx, pad_first
        self.lengths = list(lengths) if lengths is not None else None
        super().__init__(dataset, bs=bs, **kwargs)
        if self.lengths is None:  # computed once: every epoch sorts by these
            self.lengths = [len(self.dataset[i][0]) for i in range(self.n)]

    def get_idxs(self) -> list[int]:
        lens = self.lengths
        if not self.shuffle:
            return sorted(range(self.n), key=lambda i: -lens[i])  # longest first: memory trouble shows at once
        perm = torch.randperm(self.n, generator=self.generator).tolist()
        chunk = self.bs * 50
        idxs = [i for s in range(0, self.n, chunk) for i in sorted(perm[s:s + chunk], key=lambda i: -lens[i])]
        batches = [idxs[s:s + self.bs] for s in range(0, self.n, self.bs)]
        if self.drop_last and len(batches[-1]) < self.bs:
            batches = batches[:-1]
        # shuffle the batches, but keep the one holding the longest text first (fail fast on memory)
        longest = max(range(len(batches)), key=lambda b: max(lens[i] for i in batches[b]))
        first = batches.pop(longest)
        order = torch.randperm(len(batches), generator=self.generator).tolist()
        return [i for b in [first] + [batches[j] for j in order] for i in b]

    def create_batch(self, items: list) -> tuple:
        return pad_input(items, self.pad_idx, self.pad_first)

    def new(self, dataset: Any = None, **kwargs) -> "SortedDL":
        kwargs.setdefault("pad_idx", self.pad_idx)
        kwargs.setdefault("pad_first", self.pad_first)
        if dataset is None:
            kwargs.setdefault("lengths", self.lengths)
        return super().new(dataset, **kwargs)


class LMDataLoader(DataLoader):
    """Language-model batches: all texts joined into one stream, cut into `bs` contiguous rows, read `seq_len`
    tokens at a time; the target is the input shifted by one token. Training shuffles the text order each epoch."""

    def __init__(self, dataset: Any = None, bs: int = 64, seq_len: int = 72, shuffle: bool = False, **kwargs):
        if seq_len < 1:
            raise ValueError(f"seq_len must be >= 1, got {seq_len}")
        kwargs.pop("drop_last", None)  # the stream is cut to full rows anyway
        for stage in ("after_item", "before_batch"):  # items are never built one by one here
            tfms = kwargs.pop(stage, None) or []
            extra = [t for t in (tfms if isinstance(tfms, (list, tuple)) else [tfms])
                     if type(t).__name__ != "ToTensor"]  # ToTensor (DataBlock adds it) has nothing to do on ids
            if extra:
                raise ValueError(f"LMDataLoader builds batches from one token stream, so it has no {stage} stage; "
                                 f"got {extra}: use batch transforms instead")
        after_batch = kwargs.pop("after_batch", None)
        super().__init__(dataset, bs=bs, shuffle=shuffle, **kwargs)
        if after_batch is not None and not callable(after_batch):  # a list of batch transforms, e.g. from DataBlock
            self.after_batch = Pipeline(after_batch)
        elif after_batch is not None:
            self.after_batch = after_batch
        self.seq_len = seq_len
        self.docs = [torch.as_tensor(self._ids(self.dataset[i])) for i in range(self.n)]
        total = sum(len(d) for d in self.docs)
        self.n_rows_len = (total - 1) // bs  # tokens per row; -1 keeps room for the last target
        if self.n_rows_len < 1:
            raise ValueError(f"{total} tokens are too few for bs={bs}: every one of the {bs} rows needs at least 2 "
                             f"tokens; use a smaller bs")

    @staticmethod
    def _ids(item: Any) -> Any:
        return item[0] if isinstance(item, tuple) else item

    def __len__(self) -> int:
        return math.ceil(self.n_rows_len / self.seq_len)

    def stream(self) -> torch.Tensor:
        """This epoch's texts joined end to end (in a shuffled order when training)."""
        order = torch.randperm(self.n, generator=self.generator).tolist() if self.shuffle else range(self.n)
        return torch.cat([self.docs[i] for i in order])

    def __iter__(self) -> Iterator[tuple]:
        s, bs, L = self.stream(), self.bs, self.n_rows_len
        # row r holds tokens r*L .. (r+1)*L, plus one more token for the last target
        rows = s[: bs * L + 1]
        x_all = rows[:-1].view(bs, L)
        y_all = rows[1:].view(bs, L)
        for start in range(0, L, self.seq_len):
            b = (TensorText(x_all[:, start:start + self.seq_len]), TensorText(y_all[:, start:start + self.seq_len]))
            yield from self._finish(iter([b]))

    def one_batch(self) -> tuple:
        shuffle, self.shuffle = self.shuffle, False
        try:
            return next(iter(self))
        finally:
            self.shuffle = shuffle

    def new(self, dataset: Any = None, **kwargs) -> "LMDataLoader":
        settings = dict(bs=self.bs, seq_len=self.seq_len, shuffle=self.shuffle, device=self.device, seed=self.seed)
        settings.update(kwargs)
        return type(self)(self.dataset if dataset is None else dataset, **settings)
