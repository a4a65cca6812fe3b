"""Text data: TextBlock and TextDataLoaders (from a DataFrame, a CSV file or a folder of .txt files)."""
from __future__ import annotations

from pathlib import Path
from typing import Any, Sequence

import pandas as pd

from ..core import Transform
from ..data import (Categorize, ColSplitter, DataLoaders, Datasets, RandomSplitter, TransformBlock, check_splits)
from .batching import LMDataLoader, SortedDL
from .tokenizer import Tokenizer
from .vocab import Numericalize

__all__ = ["Tokenize", "TextBlock", "TextDataLoaders", "read_text_file"]


class Tokenize(Transform):
    """Transform: one text (str) -> its tokens, with `tokenizer` (rules + spaCy)."""
    order = 0  # after the getter that picks the text out of a row (same order: the getter comes first)

    def __init__(self, tokenizer: Tokenizer | None = None):
        super().__init__()
        self.tokenizer = tokenizer or Tokenizer()

    def encodes(self, text: str) -> list:
        return self.tokenizer(text)

    def decodes(self, toks: list) -> str:
        return self.tokenizer.decode(toks)


def TextBlock(is_lm: bool = False, seq_len: int = 72, min_freq: int = 3, max_vocab: int = 60000,
              vocab: Sequence[str] | None = None, tokenizer: Tokenizer | None = None) -> TransformBlock:
    """Texts to token ids (tokenize + numericalize); batches are length-sorted and padded, or a stream for an LM."""
    tfms = [Tokenize(tokenizer), Numericalize(vocab, min_freq=min_freq, max_vocab=max_vocab)]
    if is_lm:
        return TransformBlock(type_tfms=tfms, dl_type=LMDataLoader, dls_kwargs={"seq_len": seq_len})
    return TransformBlock(type_tfms=tfms, dl_type=SortedDL)


class _Lookup:
    """Item getter: position -> value in a list (a picklable stand-in for a lambda)."""

    def __init__(self, values: Sequence):
        self.values = list(values)

    def __call__(self, i: int) -> Any:
        return self.values[i]


def read_text_file(path: str | Path) -> str:
    """The text of a file as UTF-8; undecodable bytes become U+FFFD instead of stopping the whole corpus."""
    return Path(path).read_bytes().decode("utf-8", errors="replace")


class TextDataLoaders(DataLoaders):
    """DataLoaders for text classification or language modelling, built in one call."""

    @classmethod
    def from_texts(cls, texts: Sequence[str], labels: Sequence | None, splits: Sequence[Sequence[int]],
                   is_lm: bool = False, bs: int = 64, seq_len: int = 72, min_freq: int = 3, max_vocab: int = 60000,
                   vocab: Sequence[str] | None = None, tokenizer: Tokenizer | None = None, n_workers: int = 1,
                   device: Any = None, seed: int | None = None, path: str | Path = ".") -> "TextDataLoaders":
        """Tokenize `texts` once (cached on disk), numericalize with a vocab from the training split, and batch."""
        tokenizer = tokenizer or Tokenizer(n_workers=n_workers)
        toks = tokenizer.tokenize_corpus(texts)
        splits = check_splits(splits, len(toks))
        tfms: list[list] = [[_Lookup(toks), Numericalize(vocab, min_freq=min_freq, max_vocab=max_vocab)]]
        if not is_lm:
            if labels is None:
                raise ValueError("a classifier needs labels: pass label_col (or is_lm=True for a language model)")
            labels = list(labels)
            _check_labels(labels, splits)
            tfms.append([_Lookup(labels), Categorize()])
        dsets = Datasets(list(range(len(toks))), tfms=tfms, splits=splits, n_inp=1)
        if is_lm:
            train = LMDataLoader(dsets.train, bs=bs, seq_len=seq_len, shuffle=True, seed=seed)
            valid = LMDataLoader(dsets.valid, bs=min(bs, max(1, len(splits[1]))), seq_len=seq_len)
        else:
            train_lens = [len(toks[i]) for i in splits[0]]
            train = SortedDL(dsets.train, bs=bs, shuffle=True, drop_last=len(splits[0]) > bs, seed=seed,
                             lengths=train_lens)
            valid = SortedDL(dsets.valid, bs=bs, shuffle=False, lengths=[len(toks[i]) for i in splits[1]],
                             after_item=train.after_item.fs, before_batch=train.before_batch.fs,
                             after_batch=train.after_batch.fs, do_setup=False)
        dls = cls(train, valid, path=path, device=device)
        dls.tokenizer, dls.is_lm = tokenizer, is_lm
        dls.numericalize = dsets.tls[0].tfms.fs[-1]
        return dls

    @classmethod
    def from_df(cls, df: pd.DataFrame, text_col: str | int = "text", label_col: str | int | None = "label",
                valid_col: str | None = None, valid_pct: float = 0.2, seed: int | None = None,
                is_lm: bool = False, **kwargs) -> "TextDataLoaders":
        """From a DataFrame: texts in `text_col`, labels in `label_col`, validation rows flagged in `valid_col`
        (or a random `valid_pct` of them)."""
        text_col, label_col = _col(df, text_col), (None if is_lm or label_col is None else _col(df, label_col))
        texts = df[text_col].tolist()
        splitter = ColSplitter(valid_col) if valid_col is not None else RandomSplitter(valid_pct, seed)
        labels = df[label_col].tolist() if label_col is not None else None
        return cls.from_texts(texts, labels, splitter(df), is_lm=is_lm, seed=seed, **kwargs)

    @classmethod
    def from_csv(cls, path: str | Path, csv_fname: str = "texts.csv", **kwargs) -> "TextDataLoaders":
        """From `path/csv_fname` read with pandas; the other arguments are from_df's."""
        return cls.from_df(pd.read_csv(Path(path) / csv_fname), path=path, **kwargs)

    @classmethod
    def from_folder(cls, path: str | Path, train: str = "train", valid: str = "valid",
                    is_lm: bool = False, **kwargs) -> "TextDataLoaders":
        """From `path/train/<label>/*.txt` and `path/valid/<label>/*.txt`: the parent folder is the label."""
        path = Path(path)
        files = [f for split in (train, valid) for f in sorted((path / split).glob("*/*.txt"))]
        if not files:
            raise FileNotFoundError(f"no .txt files in {path}/{train}/<label>/ or {path}/{valid}/<label>/: "
                                    f"check the path and the folder names (train=..., valid=...)")
        texts = [read_text_file(f) for f in files]
        labels = [f.parent.name for f in files]
        is_valid = [f.parent.parent.name == valid for f in files]
        splits = ([i for i, v in enumerate(is_valid) if not v], [i for i, v in enumerate(is_valid) if v])
        return cls.from_texts(texts, None if is_lm else labels, splits, is_lm=is_lm, path=path, **kwargs)


def _col(df: pd.DataFrame, c: str | int) -> str:
    if isinstance(c, int) and c not in df.columns:
        return df.columns[c]
    if c not in df.columns:
        raise KeyError(f"no column {c!r} in the DataFrame; its columns are {list(df.columns)}")
    return c


def _check_labels(labels: list, splits: Sequence[Sequence[int]]) -> None:
    train = {labels[i] for i in splits[0]}
    unseen = sorted({str(labels[i]) for i in splits[1]} - {str(t) for t in train})
    if unseen:
        raise ValueError(f"labels {unseen[:5]} appear in the validation set but never in training, so the model "
                         f"cannot learn them: move some of those rows to training, or drop them")
