"""Tokenization: spaCy's rule-based English tokenizer behind our rules, run in parallel and cached on disk."""
from __future__ import annotations

import contextlib
import functools
import hashlib
import multiprocessing as mp
import os
import pickle
from pathlib import Path
from typing import Callable, Iterable, Sequence

from ..data.external import fastlayers_home
from .rules import SPECIAL_TOKENS, apply_rules, default_rules

__all__ = ["SpacyTokenizer", "Tokenizer", "tokenize_texts", "tokenize1", "MAX_DOC_CHARS"]

# Longer documents are cut to this many characters before tokenizing (about 40x the longest IMDb review):
# one pathological file must not stall a whole corpus.
MAX_DOC_CHARS = 300_000


class SpacyTokenizer:
    """Split a string into tokens with spaCy's `blank(lang)` tokenizer, keeping special tokens whole."""

    def __init__(self, lang: str = "en", special_toks: Sequence[str] = SPECIAL_TOKENS):
        import spacy  # imported here: spaCy takes a second to import and most of the library does not need it
        from spacy.symbols import ORTH
        self.lang, self.special_toks = lang, list(special_toks)
        # only the tokenizer is used: a blank pipeline has no tagger/parser to slow us down, and needs no download
        nlp = spacy.blank(lang)
        # Every word spaCy has not seen before becomes a vocabulary entry, and by default spaCy then computes a
        # dozen attributes for it in Python (lower case, shape, like_num, is_stop...). We only read the text, so we
        # skip them: the split is the same (it depends on the affix rules and special cases alone), and new words,
        # the bulk of the work on a fresh corpus, cost about a third less. Attributes of `self.tok`'s tokens other
        # than their text are therefore left empty.
        nlp.vocab.lex_attr_getters = {}
        self.tok = nlp.tokenizer
        self._orth = ORTH
        for t in self.special_toks:
            # Register only tokens spaCy would split: every special case costs time on every document (spaCy
            # re-checks the matches), and the default `xx...` tokens are plain words the rules surround by spaces.
            if [w.text for w in self.tok(t)] != [t]:
                self.tok.add_special_case(t, [{ORTH: t}])

    def __call__(self, text: str) -> list[str]:
        """The tokens of `text`; whitespace runs other than one space become tokens (spaCy's convention)."""
        # One array of text ids per document, looked up in spaCy's string store, instead of one Python Token
        # object per token.
        return list(map(self.tok.vocab.strings.__getitem__, self.tok(text).to_array(self._orth).tolist()))

    def __getstate__(self) -> dict:  # the spaCy object is rebuilt in worker processes rather than pickled
        return {"lang": self.lang, "special_toks": self.special_toks}

    def __setstate__(self, state: dict) -> None:
        self.__init__(**state)


def _check_text(t: object, i: int) -> str:
    if isinstance(t, bytes):
        raise TypeError(f"text {i} is bytes, not str: decode it first (e.g. b.decode('utf-8', errors='replace'))")
    if not isinstance(t, str):
        raise TypeError(f"text {i} is {type(t).__name__}, not str: the tokenizer needs one string per document "
                        "(missing values in a DataFrame column are float NaN: drop or fill them)")
    return t[:MAX_DOC_CHARS]


def _tokenize_chunk(args: tuple) -> list[list[str]]:
    tok, rules, texts = args
    return [tok(apply_rules(t, rules)) for t in texts]


_worker: dict = {}  # each worker process builds its tokenizer once (building spaCy's takes a good fraction of a second)


def _init_worker(tok: Callable[[str], list[str]], rules: list[Callable[[str], str]]) -> None:
    _worker["args"] = (tok, rules)


def _worker_chunk(texts: list[str]) -> list[list[str]]:
    tok, rules = _worker["args"]
    return _tokenize_chunk((tok, rules, texts))


def tokenize_texts(texts: Sequence[str], tok: Callable[[str], list[str]] | None = None,
                   rules: list[Callable[[str], str]] | None = None, n_workers: int = 1) -> list[list[str]]:
    """Apply `rules` then `tok` to every text, in `n_workers` processes when that is worth it."""
    tok = SpacyTokenizer() if tok is None else tok
    rules = default_rules() if rules is None else rules
    texts = [_check_text(t, i) for i, t in enumerate(texts)]
    if n_workers <= 1 or len(texts) < 200:  # starting processes costs more than it saves on small corpora
        return _tokenize_chunk((tok, rules, texts))
    n = -(-len(texts) // (n_workers * 4))  # a few chunks per worker so that uneven lengths balance out
    chunks = [texts[i:i + n] for i in range(0, len(texts), n)]
    ctx = mp.get_context("fork" if "fork" in mp.get_all_start_methods() else "spawn")
    with ctx.Pool(n_workers, initializer=_init_worker, initargs=(tok, rules)) as pool:
        return [doc for part in pool.map(_worker_chunk, chunks) for doc in part]


@functools.lru_cache(maxsize=1)
def _english() -> SpacyTokenizer:
    return SpacyTokenizer()  # built once: loading spaCy takes a moment


def tokenize1(text: str, tok: Callable[[str], list[str]] | None = None,
              rules: list[Callable[[str], str]] | None = None) -> list[str]:
    """The tokens of one text: `rules` (default: `default_rules()`) then `tok` (default: spaCy's English), as
    fastai's `tokenize1`."""
    return tokenize_texts([text], _english() if tok is None else tok, rules)[0]


def _default_cache_dir() -> Path:
    return fastlayers_home() / "tok_cache"  # the registry's rule: $FASTLAYERS_HOME, else ~/.fastlayers


class Tokenizer:
    """Transform: text -> list of tokens (rules + spaCy); corpus-level calls are parallel and cached on disk."""
    order = -10  # text must be tokens before any numericalization

    def __init__(self, tok: Callable[[str], list[str]] | None = None,
                 rules: list[Callable[[str], str]] | None = None,
                 n_workers: int = 1, cache_dir: str | Path | None = None, use_cache: bool = True):
        self.tok = SpacyTokenizer() if tok is None else tok
        self.rules = default_rules() if rules is None else list(rules)
        self.n_workers, self.use_cache = n_workers, use_cache
        self.cache_dir = Path(cache_dir) if cache_dir is not None else _default_cache_dir()

    def __call__(self, text: str) -> list[str]:
        """Tokenize one text."""
        return self.tok(apply_rules(_check_text(text, 0), self.rules))

    encodes = __call__

    def decode(self, toks: Iterable[str]) -> str:
        """Join tokens back into one readable string (the rules themselves are not undone)."""
        return " ".join(toks)

    decodes = decode

    def cache_key(self, texts: Sequence[str]) -> str:
        """A hash of the corpus, the rules (by name) and the tokenizer settings: any change means a new cache."""
        h = hashlib.sha256()
        h.update(repr([getattr(r, "__qualname__", repr(r)) for r in self.rules]).encode())
        h.update(repr((type(self.tok).__name__, getattr(self.tok, "lang", None),
                       getattr(self.tok, "special_toks", None), MAX_DOC_CHARS)).encode())
        for t in texts:
            b = t.encode("utf-8", errors="surrogatepass") if isinstance(t, str) else repr(t).encode()
            h.update(len(b).to_bytes(8, "little"))  # length prefix: ["ab","c"] and ["a","bc"] hash differently
            h.update(b)
        return h.hexdigest()[:32]

    def tokenize_corpus(self, texts: Sequence[str]) -> list[list[str]]:
        """Tokenize every text; reuse the on-disk result when the same corpus was tokenized the same way before."""
        texts = list(texts)
        if not self.use_cache:
            return tokenize_texts(texts, self.tok, self.rules, self.n_workers)
        path = self.cache_dir / f"{self.cache_key(texts)}.pkl"
        if path.exists():
            try:
                with open(path, "rb") as f:
                    return pickle.load(f)
            except (OSError, EOFError, pickle.UnpicklingError):
                pass  # a truncated cache file (interrupted run) is simply rebuilt
        toks = tokenize_texts(texts, self.tok, self.rules, self.n_workers)
        tmp = path.with_suffix(f".tmp{os.getpid()}")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            with open(tmp, "wb") as f:
                pickle.dump(toks, f, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(tmp, path)  # atomic: a reader never sees half a file
        except OSError:  # a read-only or full cache folder: the cache is only a speed-up, the tokens are right
            with contextlib.suppress(OSError):
                tmp.unlink()
        return toks

    def __repr__(self) -> str:
        return f"Tokenizer(rules={[getattr(r, '__name__', r) for r in self.rules]}, n_workers={self.n_workers})"
