"""Lesson 10 (course/10_text.ipynb, exercises/10_text/):
Vocabulary and numericalization: tokens <-> integer ids."""
from __future__ import annotations

from collections import Counter
from typing import Sequence

import torch

from ..core import TensorText, Transform
from .rules import FAKE, SPECIAL_TOKENS, UNK

__all__ = ["make_vocab", "Numericalize"]


def make_vocab(counts: Counter, min_freq: int = 3, max_vocab: int = 60000,
               special_toks: Sequence[str] = SPECIAL_TOKENS) -> list[str]:
    """Special tokens first, then tokens seen >= `min_freq` times by decreasing count, padded to a multiple of 8."""
    if min_freq < 1 or max_vocab < len(special_toks):
        raise ValueError(f"need min_freq >= 1 and max_vocab >= {len(special_toks)} (room for the special tokens), "
                         f"got min_freq={min_freq}, max_vocab={max_vocab}")
    specials = set(special_toks)
    # most_common breaks ties by first appearance, so the vocabulary is deterministic for a given corpus
    words = [w for w, c in counts.most_common() if c >= min_freq and w not in specials]
    vocab = (list(special_toks) + words)[:max_vocab]
    # a multiple of 8 keeps the embedding and softmax matrices friendly to vectorized kernels
    vocab += [FAKE] * (-len(vocab) % 8)
    return vocab


class Numericalize(Transform):
    """Transform: list of tokens -> TensorText of ids; the vocab is built from the training texts in `setup`."""
    order = 1
    train_setup = True  # validation text must never shape the vocab

    def __init__(self, vocab: Sequence[str] | None = None, min_freq: int = 3, max_vocab: int = 60000,
                 special_toks: Sequence[str] = SPECIAL_TOKENS):
        super().__init__()
        self.min_freq, self.max_vocab, self.special_toks = min_freq, max_vocab, list(special_toks)
        self.vocab: list[str] | None = None
        if vocab is not None:
            self._set_vocab(list(vocab))

    def _set_vocab(self, vocab: list[str]) -> None:
        self.vocab = vocab
        # the first occurrence wins, so the many `xxfake` fillers all map back to the first one
        self.o2i = {}
        for i, w in enumerate(vocab):
            self.o2i.setdefault(w, i)
        self.unk_id = self.o2i.get(UNK, 0)

    def setups(self, items) -> None:
        """Count tokens in `items` (the training split only: validation text must not shape the vocab)."""
        if self.vocab is None:
            counts: Counter = Counter()
            for toks in items:
                counts.update(toks)
            self._set_vocab(make_vocab(counts, self.min_freq, self.max_vocab, self.special_toks))

    def encodes(self, toks: list) -> TensorText:
        """Ids of `toks`; tokens missing from the vocab get the id of `xxunk` (0)."""
        if self.vocab is None:
            raise RuntimeError("Numericalize has no vocab yet: call setup(train_tokens) or pass vocab=...")
        get, unk = self.o2i.get, self.unk_id
        return TensorText(torch.tensor([get(t, unk) for t in toks], dtype=torch.long))

    def encodes(self, text: str):  # noqa: F811  (a second method, dispatched on str)
        raise TypeError("Numericalize takes a list of tokens, got one string: tokenize it first")

    def decodes(self, ids: TensorText) -> list:
        """Tokens for `ids` (padding included)."""
        return [self.vocab[i] for i in ids.tolist()]

    def __repr__(self) -> str:
        return f"Numericalize(vocab size={None if self.vocab is None else len(self.vocab)}, min_freq={self.min_freq})"
