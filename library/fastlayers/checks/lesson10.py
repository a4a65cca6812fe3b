"""Checks for exercise 10 (text): rules, vocabulary, a length-sorted padded collate, an LSTM text classifier.

Each check sends inputs the grader chooses to a probe (a module-level function) that runs the student's piece
where it lives and answers with plain data; the grader compares the answers with the reference library or with
what the statement prescribes. The classifier is trained where it lives and kept there; reviews generated here
with a fresh seed are sent to it without their labels, and the accuracy is computed here.
"""
from __future__ import annotations

import random
import re
import time
from collections import Counter
from typing import Any, Callable

from fastlayers.checks.framework import (call, check, describe_call, expect_close, expect_equal, expect_type, fail,
                                         first_difference, keep, labelled, probe)

__all__ = ["replace_rep", "replace_wrep", "replace_all_caps", "replace_maj", "build_vocab", "sorted_pad_collate",
           "text_lstm"]

PRELOAD = ["fastlayers.text", "spacy"]  # the notebook's process imports these before it starts a notebook

# The classifier's training recipe (the statement quotes it) and what it must reach on fresh reviews.
TRAIN_REVIEWS, TRAIN_VALID_PCT, TRAIN_SEED, EPOCHS, LR, BS = 1600, 0.0625, 10, 6, 3e-2, 32
HELD_OUT, TARGET_ACC, TRAIN_LIMIT_S, ATTEMPTS = 300, 0.85, 60, 3

STR_HINT = "A rule maps a str to a str: return the new text."


def _ref():
    # Imported when a check runs, so `fastlayers.checks` stays cheap to import.
    import fastlayers.text as ref
    return ref


def _expect_count(values: Any, n: int, called: str) -> None:
    """The probe answered one value per question (anything else is a wrong answer, never a shorter comparison)."""
    if not isinstance(values, list) or len(values) != n:
        fail("the answers do not match the questions", called=called, expected=f"<{n} values>",
             got=f"<{len(values) if isinstance(values, list) else type(values).__name__} values>")


def _expect_keys(answer: Any, keys: tuple, called: str) -> None:
    """The probe answered a dict with these keys (anything else is a wrong answer)."""
    if not isinstance(answer, dict) or any(k not in answer for k in keys):
        fail("the answer is not one the grader can read", called=called, expected=f"<a dict with keys {list(keys)}>",
             got=f"<a {type(answer).__name__}>")


def _fresh_seed() -> int:
    return random.SystemRandom().randrange(2 ** 31)


# ----------------------------------------------------------------------------------------------------------------
# 1-4. The rules
# ----------------------------------------------------------------------------------------------------------------

def apply_each(fn: Callable, texts: list) -> list:
    """Probe: fn(text) for each text."""
    return [call(fn, t) for t in texts]


_POOL = ("a", "I", "A", "X", "ok", "OK", "OK!", "Ok!", "Yes", "NO", "no", "wow", "WOW", "soooo", "!!!", "...", "Hi",
         "hi", "Paris", "USA", "I'M", "I'm", "IT'S", "it's", "It's", "A1", "U2", "A.", "I,", "B-52", "McDonald",
         "iPhone", "really", "go", "2020", "zzz", "??", "--", "café", "xxunk", "xxbos", "xxmaj", "xxup", "1111",
         "aaah", "hmmm", "Ann", "NASA's", "The")
_SEPARATORS = (" ", " ", " ", " ", "  ", "\t", "\n", "\r\n", " \t ", "   ")


def _texts(seed: int, n: int) -> list[str]:
    """Random texts of pool words joined by assorted whitespace, often with a word repeated."""
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        words = [rng.choice(_POOL) for _ in range(rng.randint(1, 10))]
        if rng.random() < 0.5:  # repeat a word, for the word-repetition rule
            i = rng.randrange(len(words))
            words[i:i + 1] = [words[i]] * rng.randint(2, 5)
        seps = [rng.choice(_SEPARATORS) if rng.random() < 0.4 else " " for _ in words]
        text = "".join(w + s for w, s in zip(words, seps))[: -len(seps[-1])]
        if rng.random() < 0.15:
            text = rng.choice(_SEPARATORS) + text
        if rng.random() < 0.15:
            text += rng.choice(_SEPARATORS)
        out.append(text)
    return out


def _rule_texts(fixed: tuple, seed: int) -> list[str]:
    return list(fixed) + _texts(seed, 60) + _texts(_fresh_seed(), 15)


def _wordwise(text: str, fn: Callable[[str], str]) -> str:
    """`fn` applied to every run of non-whitespace characters; whitespace kept as it is (for naming mistakes)."""
    return "".join(p if not p or p.isspace() else fn(p) for p in re.split(r"(\s+)", text))


def _counts_shifted(text: str, token: str, delta: int) -> str:
    """`text` with every count after `token` changed by `delta` (a count off by one)."""
    return re.sub(rf"{token} (\d+)", lambda m: f"{token} {int(m.group(1)) + delta}", text)


def _off_by_one(token: str, words: str) -> tuple:
    """Mistake detectors for a count after `token` that is one too small or one too big."""
    return tuple((lambda t, e, d=delta: _counts_shifted(e, token, d), words) for delta in (-1, 1))


def _check_rule(student: Callable, reference: Callable, texts: list[str], name: str,
                mistakes: tuple, whitespace_hint: str, default_hint: str) -> None:
    got = probe(apply_each, student, texts)
    _expect_count(got, len(texts), f"{name} on {len(texts)} texts")
    for text, g in zip(texts, got):
        called = describe_call(student, text)
        expect_type(g, str, "a str", called=called, hint=STR_HINT)
        expected = reference(text)
        if g == expected:
            continue
        hint = default_hint
        for mistake, words in mistakes:
            try:
                if mistake(text, expected) == g:
                    hint = words
                    break
            except Exception:  # noqa: BLE001  a mistake detector must never crash the check
                pass
        else:
            if g.split() == expected.split():
                hint = whitespace_hint
        fail("wrong result", called=called, expected=expected, got=g, where=_text_where(g, expected), hint=hint)


def _text_where(got: str, expected: str) -> str:
    """Where two texts first differ, with a few characters of each from there."""
    i = next((k for k, (a, b) in enumerate(zip(got, expected)) if a != b), min(len(got), len(expected)))
    return f"at character {i}: got {got[i:i + 12]!r}, expected {expected[i:i + 12]!r}"


_REP_FIXED = ("soooo cool", "!!!", "aa", "aaa", "wow!!!! yes", "zzzzzzzzzz", "no repeat", "", "ab  ab", "1111 2222",
              "a   b", "x\t\t\ty", "\n\n\n\nx", "aaabbb", "xxxxx", "hmmm\thmmm", "ooooh\nyes", "....", "xxunk xxxx",
              "aaaa aaaa", "  sooo  ", "baaaad")


@check(points=2, timeout=10)
def replace_rep(student: Callable) -> None:
    """`replace_rep(t)`: a non-whitespace character repeated 3+ times becomes ` xxrep n c ` (n the total count)."""
    ref = _ref()
    mistakes = _off_by_one("xxrep", "The count is off by one: n is the total number of times the character "
                                    "appears (`soooo` has 4 o's).")
    _check_rule(student, ref.replace_rep, _rule_texts(_REP_FIXED, 10), "replace_rep", mistakes,
                "Only the repeated characters change: whitespace, including runs of spaces, tabs or newlines, "
                "is never a repeated character and stays exactly as it was.",
                "A non-whitespace character seen 3 or more times in a row becomes ` xxrep n c ` (with the spaces "
                "around it); runs of 1 or 2 stay as they are, and whitespace is left alone.")


_WREP_FIXED = ("I I I I love it", "really really really.", "go go now", "go go go", "no no no no no!", "ha ha",
               "very very very good good good", "", "the theme the theme", "go go go gone", "go go go!!!",
               "text  go go go.", "no\tno\tno\tthanks", "x go go go go", "Go go go go", "1 1 1", "café café café",
               "go go go_x", "go  go  go  now", "a\nb b b\n", "xxunk xxunk xxunk", "it's it's it's", "so so\nso")


@check(points=2, timeout=10)
def replace_wrep(student: Callable) -> None:
    """`replace_wrep(t)`: a word repeated 3+ times becomes ` xxwrep n w `."""
    ref = _ref()
    mistakes = _off_by_one("xxwrep", "The count is off by one: n counts every copy of the word (`no no no` is 3).")
    _check_rule(student, ref.replace_wrep, _rule_texts(_WREP_FIXED, 11), "replace_wrep", mistakes,
                "The words are right but the whitespace is not: the whitespace character before the first copy and "
                "the whitespace between the copies are replaced by the single spaces of ` xxwrep n w `, and the "
                "character right after the last copy comes next, unchanged.",
                "A run of 3+ identical words (word characters only, same case), separated by whitespace, starting "
                "the text or after whitespace, whose last copy is followed by a non-word character or the end, "
                "becomes ` xxwrep n w ` followed by that character. Runs are found left to right and never overlap.")


def _caps_word(w: str) -> bool:
    return "A" <= w[0] <= "Z" and not any("a" <= c <= "z" for c in w)


def _maj_word(w: str) -> bool:
    return "A" <= w[0] <= "Z" and not any("A" <= c <= "Z" for c in w[1:])


def _marked(token: str, is_word: Callable[[str], bool], long_enough: Callable[[str], bool]) -> Callable[[str], str]:
    def mark(w: str) -> str:
        if not is_word(w):
            return w
        return f"{token} {w.lower()}" if long_enough(w) else w.lower()
    return mark


def _letters(w: str) -> int:
    return sum(c.isalpha() for c in w)


LETTERS_HINT = ("This counts letters, but the rule counts characters: `A1`, `U2`, `OK!` and `A.` are two "
                "characters long, so they get the token. Only a word of exactly one character (`I`, `A`) is just "
                "lowercased.")


_CAPS_FIXED = ("I SAW A DOG", "SO EXCITED", "I", "A", "OK then", "IT'S FINE", "U2 rocks", "hello", "", "NO!",
               "I'M HOME", "A1 sauce", "OK!", "A. B. C.", "I, ROBOT", "B-52", "SO  BIG", "NO\tWAY", "YES\nNO",
               " LEADING", "TRAILING ", "\tI\t", "xxbos THE END", "OK OK", "USA's", "McDONALD", "X.", "NASA's")


@check(points=2, timeout=10)
def replace_all_caps(student: Callable) -> None:
    """`replace_all_caps(t)`: words in capitals are lowercased, with `xxup` before those of 2+ characters."""
    ref = _ref()
    mistakes = (
        (lambda t, e: _wordwise(t, _marked("xxup", _caps_word, lambda w: _letters(w) > 1)), LETTERS_HINT),
        (lambda t, e: _wordwise(t, _marked("xxup", _caps_word, lambda w: True)),
         "One-character words like `I` or `A` are capitals by grammar, not emphasis: lowercase them without "
         "`xxup` (only words of two or more characters get the token)."),
        (lambda t, e: _wordwise(t, _marked("xxup", lambda w: w.isalpha() and w.isupper(), lambda w: len(w) > 1)),
         "Digits and punctuation inside the word do not stop it from being in capitals: `IT'S`, `U2` and `OK!` "
         "are words in capitals (first character a capital, no lowercase letter anywhere)."),
    )
    _check_rule(student, ref.replace_all_caps, _rule_texts(_CAPS_FIXED, 12), "replace_all_caps", mistakes,
                "The words are right but the whitespace is not: words are separated by any whitespace (spaces, "
                "tabs, newlines), which stays exactly as it was.",
                "A word in capitals starts with a capital A-Z and has no lowercase a-z anywhere; it is lowercased, "
                "with `xxup ` before it when it is two or more characters long. Other words stay as they are.")


_MAJ_FIXED = ("I saw Ann", "Paris is nice", "McDonald", "It's", "X", "hello World", "", "USA", "I'm", "A1", "A.",
              "I,", "Ok!", "Paris  London", "Paris\tRome", "Nice\nCity", " Hi", "Hi ", "U2", "Xx", "xxmaj Paris",
              "The END", "iPhone", "B-52s")


@check(points=2, timeout=10)
def replace_maj(student: Callable) -> None:
    """`replace_maj(t)`: capitalized words are lowercased, with `xxmaj` before those of 2+ characters."""
    ref = _ref()
    mistakes = (
        (lambda t, e: _wordwise(t, _marked("xxmaj", _maj_word, lambda w: _letters(w) > 1)), LETTERS_HINT),
        (lambda t, e: _wordwise(t, _marked("xxmaj", _maj_word, lambda w: True)),
         "A one-character word like `I` is only lowercased: `xxmaj` goes before words of two or more characters."),
        (lambda t, e: _wordwise(t, _marked("xxmaj", lambda w: "A" <= w[0] <= "Z", lambda w: len(w) > 1)),
         "A word with another capital after the first (`McDonald`, `USA`) is not a capitalized word: leave it "
         "as it is."),
    )
    _check_rule(student, ref.replace_maj, _rule_texts(_MAJ_FIXED, 13), "replace_maj", mistakes,
                "The words are right but the whitespace is not: words are separated by any whitespace (spaces, "
                "tabs, newlines), which stays exactly as it was.",
                "A capitalized word starts with a capital A-Z and has no other capital A-Z; it is lowercased, with "
                "`xxmaj ` before it when it is two or more characters long. Other words stay as they are.")


# ----------------------------------------------------------------------------------------------------------------
# 5. build_vocab
# ----------------------------------------------------------------------------------------------------------------

def vocab_run(fn: Callable, docs: list, train_idx: list, kwargs: dict) -> dict:
    """Probe: fn(docs, train_idx, **kwargs), the inputs afterwards, and the library's special tokens afterwards."""
    import fastlayers.text as text
    from fastlayers.text import rules
    out = call(fn, docs, train_idx, **kwargs)
    return {"vocab": out, "docs": docs, "train_idx": train_idx,
            "specials": [rules.SPECIAL_TOKENS, text.SPECIAL_TOKENS]}


_WORDS = tuple(f"w{i}" for i in range(40)) + ("The", "the", ".", ",", "\n", " ", "\t", "xxunk", "xxpad", "xxbos",
                                              "xxmaj", "xxup", "xxrep", "café")


def _vocab_cases() -> list[tuple[str, list, list, dict]]:
    """(what, docs, train_idx, kwargs): random corpora and hand-made ones for ties, bounds and special tokens."""
    rng = random.Random(14)
    cases = []
    for min_freq, max_vocab, shuffled in ((1, 60000, False), (2, 60000, True), (3, 20, True), (1, 16, False),
                                          (2, 33, True)):
        docs = [["xxbos", "xxmaj"] + [rng.choice(_WORDS[: rng.randint(5, len(_WORDS))])
                                      for _ in range(rng.randint(0, 15))] for _ in range(30)]
        docs[-1] = ["onlyvalid"] * 5 + docs[-1]  # frequent in validation, absent from training
        train_idx = rng.sample(range(29), 22)
        if not shuffled:
            train_idx.sort()
        cases.append((f"random corpus {len(cases) + 1}", docs, train_idx,
                      {"min_freq": min_freq, "max_vocab": max_vocab}))
    tied = [["zeta", "alpha", "xxunk"], ["mid", "zeta", "xxunk"], ["alpha", "mid", "beta"], ["beta", "omega"],
            ["omega", "omega"]]
    cases.append(("all counts tied, train_idx not sorted", tied, [2, 0, 1, 3], {"min_freq": 1, "max_vocab": 60000}))
    cases.append(("counts at min_freq", [["a", "a", "b", "b", "b", "c"], ["c", "d", "d", "d", "d"], ["a"]],
                  [0, 1, 2], {"min_freq": 3, "max_vocab": 60000}))
    exact = [[f"t{i}"] * (i + 1) for i in range(7)]  # 9 special tokens + 7 words: already a multiple of 8
    cases.append(("16 entries before padding", exact, list(range(7)), {"min_freq": 1, "max_vocab": 60000}))
    cases.append(("max_vocab of 9", [["x", "y", "x"], ["y", "z"]], [0, 1], {"min_freq": 1, "max_vocab": 9}))
    specials = [["xxunk"] * 6 + ["xxpad"] * 4 + ["xxbos", "xxmaj", "film", "xxup", "film"], [],
                ["xxfld", "xxeos", "film"]]
    cases.append(("special tokens inside the documents", specials, [0, 1, 2], {"min_freq": 1, "max_vocab": 60000}))
    common = [["the", "movie", "the", "a", "xxbos"] * 3, ["the", "movie", "plot", "xxbos"] * 2, ["rare", "the"]]
    cases.append(("the default min_freq and max_vocab", common, [0, 1, 2], {}))
    return cases


def _vocab_hint(got: list, docs: list, train_idx: list, kwargs: dict, expected: list) -> str:
    ref = _ref()
    min_freq, max_vocab = kwargs.get("min_freq", 3), kwargs.get("max_vocab", 60000)
    counts = Counter(t for i in train_idx for t in docs[i])
    specials = list(ref.SPECIAL_TOKENS)
    words = [w for w in got if w != ref.FAKE]
    if "onlyvalid" in got:
        return ("'onlyvalid' appears only in documents outside train_idx: count the tokens of the training "
                "documents only, or the validation score measures words the model was built around.")
    if got[: len(specials)] != specials:
        return "The vocabulary starts with the special tokens, in the order of SPECIAL_TOKENS (ids 0 to 8)."
    if len(set(words)) != len(words):
        return ("A token appears twice: documents can contain special tokens (`xxunk`, `xxbos`...), which are "
                "already at the start; skip them when adding the counted tokens.")
    if len(got) % 8:
        return "Pad with 'xxfake' until the length is a multiple of 8 (no filler when it already is one)."
    if got == ref.make_vocab(counts, min_freq, max_vocab) + [ref.FAKE] * 8:
        return "A vocabulary whose length is already a multiple of 8 needs no 'xxfake' at all."
    if min_freq > 1 and got == ref.make_vocab(counts, min_freq + 1, max_vocab):
        return "A token seen exactly min_freq times belongs in the vocabulary: keep counts of at least min_freq."
    if sorted(got) == sorted(expected):
        return ("The tokens are right, their order is not: most frequent first; equal counts keep the order in "
                "which the tokens first appear, reading the training documents in the order train_idx lists them.")
    if len([w for w in got if w != ref.FAKE]) > max_vocab:
        return "max_vocab counts every entry, special tokens included, before the 'xxfake' padding."
    return ("Special tokens first, then the training tokens seen at least min_freq times by decreasing count "
            "(ties: first seen first), cut to max_vocab entries, then 'xxfake' until the length is a multiple of 8.")


@check(points=3, timeout=10)
def build_vocab(student: Callable) -> None:
    """`build_vocab(docs, train_idx, min_freq, max_vocab)`: the vocab of the training documents only."""
    ref = _ref()
    cases = _vocab_cases()
    first: list | None = None
    # a case with min_freq=2 twice first: counts that carry over between calls change its vocabulary
    for what, docs, train_idx, kwargs in [cases[1], cases[1], cases[0]] + cases[2:]:
        args = ", ".join(["<docs>", "<train_idx>"] + [f"{k}={v}" for k, v in kwargs.items()])
        called = f"build_vocab({args}) on {what} ({len(docs)} docs, {len(train_idx)} training)"
        with labelled(called):
            got = probe(vocab_run, student, docs, train_idx, kwargs)
        _expect_keys(got, ("vocab", "docs", "train_idx", "specials"), called)
        vocab = got["vocab"]
        expect_type(vocab, list, "a list of str", called=called,
                    hint="Return the vocabulary as a list (a new one: SPECIAL_TOKENS is a tuple).")
        bad = [v for v in vocab if not isinstance(v, str)]
        if bad:
            fail("the vocabulary holds something other than str", called=called, expected="<tokens (str)>",
                 got=bad[0], hint="The vocabulary is a list of tokens, the same strings the documents hold.")
        if got["docs"] != docs or got["train_idx"] != train_idx:
            which = "docs" if got["docs"] != docs else "train_idx"
            fail(f"`{which}` was changed", called=called, expected="<the arguments left as they were>",
                 got=f"<{which} modified>",
                 hint="build_vocab must not modify the lists it is given: the caller uses them again afterwards.")
        specials = got["specials"] if isinstance(got["specials"], list) and got["specials"] else [None]
        if any(not isinstance(s, (list, tuple)) or list(s) != list(ref.SPECIAL_TOKENS) for s in specials):
            fail("the library's SPECIAL_TOKENS changed", called=called, expected=list(ref.SPECIAL_TOKENS),
                 got=specials[0],
                 hint="Build the vocabulary in a new list and leave the library's constant alone.")
        expected = ref.make_vocab(Counter(t for i in train_idx for t in docs[i]), kwargs.get("min_freq", 3),
                                  kwargs.get("max_vocab", 60000))
        if first is not None and what == cases[1][0] and vocab != first:
            fail("the same call gave a different vocabulary the second time", called=called, expected=first,
                 got=vocab, where=first_difference(vocab, first) or "",
                 hint="Something survives between calls (a global, a default argument that is modified): build "
                      "every vocabulary from scratch.")
        expect_equal(vocab, expected, called=called, hint=_vocab_hint(vocab, docs, train_idx, kwargs, expected))
        if what == cases[1][0] and first is None:
            first = vocab


# ----------------------------------------------------------------------------------------------------------------
# 6. sorted_pad_collate
# ----------------------------------------------------------------------------------------------------------------

def _collate_cases() -> list[tuple[str, list, dict]]:
    """(what, samples as (ids list, label), kwargs) for the collate."""
    rng = random.Random(15)
    cases = []
    for k in range(6):
        n = rng.randint(2, 9)
        samples = [([rng.randint(2, 50) for _ in range(rng.randint(1, 12))], rng.randint(0, 4)) for _ in range(n)]
        cases.append((f"random batch {k + 1}", samples, {"pad_idx": (1, 0, 7)[k % 3]}))
    cases.append(("one sample", [([5, 6, 7], 1)], {"pad_idx": 1}))
    cases.append(("equal lengths", [([4, 5], 0), ([6, 7], 1), ([8, 9], 2), ([3, 3], 3)], {"pad_idx": 1}))
    cases.append(("ties in length", [([4], 0), ([5, 6, 7], 1), ([8], 2), ([9, 10, 11], 3), ([12, 13], 4)],
                  {"pad_idx": 0}))
    cases.append(("ids equal to the padding index", [([1, 1], 0), ([2, 1, 3, 1], 1), ([1], 1)], {"pad_idx": 1}))
    cases.append(("one long text", [([7] * 3, 0), (list(range(2, 102)), 1), ([9], 0)], {"pad_idx": 1}))
    cases.append(("the default pad_idx", [([4, 5, 6], 0), ([7], 1), ([8, 9], 0)], {}))
    fresh = random.Random(_fresh_seed())
    samples = [([fresh.randint(2, 99) for _ in range(fresh.randint(1, 20))], fresh.randint(0, 3)) for _ in range(16)]
    cases.append(("a random batch of 16", samples, {"pad_idx": fresh.choice((0, 1, 2))}))
    return cases


def _tensor_samples(samples: list) -> list:
    import torch
    return [(torch.tensor(ids, dtype=torch.long), label) for ids, label in samples]


def _expected_batch(samples: list, pad_idx: int) -> tuple[list, list, list]:
    """(x rows, labels, order) of the sorted, left-padded batch."""
    order = sorted(range(len(samples)), key=lambda i: -len(samples[i][0]))
    longest = len(samples[order[0]][0])
    rows = [[pad_idx] * (longest - len(samples[i][0])) + list(samples[i][0]) for i in order]
    return rows, [samples[i][1] for i in order], order


def _collate_hint(x: list, samples: list, pad_idx: int, order: list) -> str:
    longest = max(len(s[0]) for s in samples)
    right = [list(samples[i][0]) + [pad_idx] * (longest - len(samples[i][0])) for i in order]
    if x == right:
        return ("The padding is at the end: the classifier reads the LAST time step, so with right padding it "
                "mostly sees padding. Put the padding before each text's ids.")
    unsorted = [[pad_idx] * (longest - len(ids)) + list(ids) for ids, _ in samples]
    if x == unsorted:
        return "The texts are in their original order: sort them by length, longest first."
    reversed_ties = sorted(range(len(samples)), key=lambda i: len(samples[i][0]))[::-1]
    if x == [[pad_idx] * (longest - len(samples[i][0])) + list(samples[i][0]) for i in reversed_ties]:
        return ("Texts of equal length changed their order: a stable sort, longest first, keeps them in the order "
                "they came (reversing a shortest-first sort reverses them too).")
    return ("Sort the samples by length, longest first (equal lengths keep their order), then pad each text's ids "
            "on the left with pad_idx up to the longest length.")


@check(points=3, timeout=10)
def sorted_pad_collate(student: Callable) -> None:
    """`sorted_pad_collate(samples, pad_idx)`: longest first, left-padded to the longest, labels in the same order."""
    import torch
    for what, samples, kwargs in _collate_cases():
        pad_idx = kwargs.get("pad_idx", 1)
        shown = ", ".join(f"({ids}, {label})" for ids, label in samples)
        called = f"sorted_pad_collate([{shown}]{''.join(f', {k}={v}' for k, v in kwargs.items())}) on {what}"
        with labelled(called):
            got = call(student, _tensor_samples(samples), **kwargs)
        if not isinstance(got, tuple) or len(got) != 2:
            fail("wrong kind of result", called=called, expected="<a tuple (x, y)>", got=got,
                 hint="Return a tuple of two tensors: x, the (bs, longest) LongTensor of ids, and y, the labels.")
        x, y = got
        rows, labels, order = _expected_batch(samples, pad_idx)
        expect_type(x, torch.Tensor, "a LongTensor", called=f"{called} -> x",
                    hint="x must be one tensor of shape (bs, longest), not a list of rows.")
        if x.dtype != torch.int64:
            fail("x holds the wrong type of numbers", called=f"{called} -> x", expected="<dtype torch.int64>",
                 got=f"<dtype {x.dtype}>", hint="Token ids are integers: build x as a LongTensor (int64), the "
                                                "type an embedding needs, not floats.")
        if tuple(x.shape) != (len(rows), len(rows[0])):
            fail("x has the wrong shape", called=f"{called} -> x", expected=(len(rows), len(rows[0])),
                 got=tuple(x.shape), hint="x is (bs, longest): one row per text, as long as the longest text.")
        expect_equal(x.tolist(), rows, called=f"{called} -> x", hint=_collate_hint(x.tolist(), samples, pad_idx, order))
        expect_type(y, torch.Tensor, "a tensor of labels", called=f"{called} -> y",
                    hint="y must be a tensor (the loss function takes tensors), not a list.")
        if y.dtype != torch.int64 or tuple(y.shape) != (len(labels),):
            fail("y has the wrong shape or type", called=f"{called} -> y",
                 expected=f"<shape ({len(labels)},), dtype torch.int64>",
                 got=f"<shape {tuple(y.shape)}, dtype {y.dtype}>",
                 hint="y holds one integer label per text (int64, what a tensor of Python ints is), in a 1-d tensor.")
        expect_equal(y.tolist(), labels, called=f"{called} -> y",
                     hint="The labels must follow their texts through the sort.")


# ----------------------------------------------------------------------------------------------------------------
# 7. TextLSTM
# ----------------------------------------------------------------------------------------------------------------

def build(cls: Callable, args: tuple, kwargs: dict) -> Any:
    """Probe: build `cls(*args, **kwargs)` and keep it where it lives."""
    return keep(call(cls, *args, **kwargs))


def _kind(m: Any) -> str:
    from torch import nn
    for cls, name in ((nn.Embedding, "Embedding"), (nn.LSTM, "LSTM"), (nn.RNNBase, "recurrent"), (nn.Linear, "Linear")):
        if isinstance(m, cls):
            return name
    return type(m).__name__


def anatomy(target: Any, xs: list) -> dict:
    """Probe: the layers that hold weights (kind, settings, weights) and the outputs for `xs` in eval mode.

    `target` is a model, or a Learner whose model is described."""
    import torch
    from torch import nn
    from fastlayers.training import Learner
    model = target.model if isinstance(target, Learner) else target
    if not isinstance(model, nn.Module):
        return {"module": False, "type": type(model).__name__}
    settings = {"Embedding": ("num_embeddings", "embedding_dim", "padding_idx"),
                "LSTM": ("input_size", "hidden_size", "num_layers", "bias", "batch_first", "bidirectional",
                         "proj_size"),
                "Linear": ("in_features", "out_features")}
    layers = []
    for name, m in model.named_modules():
        if not list(m.parameters(recurse=False)):
            continue
        kind = _kind(m)
        layer = {"name": name or "the model itself", "kind": kind, "type": type(m).__name__}
        if kind in settings:
            layer.update({k: getattr(m, k, None) for k in settings[kind]})
            layer["state"] = {k: v.detach().cpu().clone() for k, v in m.state_dict().items()}
        layers.append(layer)
    was_training = model.training
    device = next(model.parameters(), torch.empty(0)).device  # a trained model may sit on a GPU
    model.eval()
    try:
        with torch.no_grad():
            outputs = [call(model, x.to(device)) for x in xs]
    finally:
        model.train(was_training)
    return {"module": True, "layers": layers, "outputs": outputs}


def _model_inputs(vocab_sz: int, pad_idx: int, seed: int) -> list:
    """Batches of ids (bs, seq_len), some rows left-padded with pad_idx, shapes chosen so bs != seq_len."""
    import torch
    g = torch.Generator().manual_seed(seed)
    xs = []
    for bs, seq in ((4, 7), (1, 1), (3, 12), (6, 2)):
        x = torch.randint(0, vocab_sz, (bs, seq), generator=g)
        for row in range(0, bs, 2):
            x[row, : torch.randint(0, seq, (1,), generator=g).item()] = pad_idx
        xs.append(x)
    return xs


def _layer_text(layer: dict) -> str:
    kind = layer.get("kind")
    if kind == "Embedding":
        return (f"Embedding({layer.get('num_embeddings')}, {layer.get('embedding_dim')}, "
                f"padding_idx={layer.get('padding_idx')})")
    if kind == "LSTM":
        defaults = {"num_layers": 1, "bidirectional": False, "proj_size": 0}
        extra = "".join(f", {k}={layer.get(k)}" for k, v in defaults.items() if layer.get(k, v) != v)
        return f"LSTM({layer.get('input_size')}, {layer.get('hidden_size')}{extra})"
    if kind == "Linear":
        return f"Linear({layer.get('in_features')}, {layer.get('out_features')})"
    return f"{layer.get('type')} ({layer.get('name')})"


STRUCTURE_HINT = ("The statement prescribes three layers: an embedding of vocab_sz rows of emb_sz (with "
                  "padding_idx), an LSTM from emb_sz to n_hid, and a linear layer from n_hid to n_out; use the "
                  "constructor's arguments, not fixed numbers.")


def _judge_layers(got: dict, called: str, vocab_sz: int | None, n_out: int, emb_sz: int, n_hid: int,
                  pad_idx: int) -> dict:
    """The three prescribed layers, by kind, after checking their kinds and settings."""
    _expect_keys(got, ("module",), called)
    if not got.get("module"):
        fail("the model is not a torch.nn.Module", called=called, expected="<an nn.Module>",
             got=f"<a {got.get('type')}>", hint="TextLSTM subclasses nn.Module and calls super().__init__() first.")
    layers = got.get("layers")
    if not isinstance(layers, list) or not all(isinstance(layer, dict) for layer in layers):
        fail("the model's layers could not be read", called=called, got=layers)
    kinds = [layer.get("kind") for layer in layers]
    wanted = [f"Embedding({vocab_sz if vocab_sz else 'vocab_sz'}, {emb_sz}, padding_idx={pad_idx})",
              f"LSTM({emb_sz}, {n_hid})", f"Linear({n_hid}, {n_out})"]
    if "recurrent" in kinds:
        fail("the recurrent layer is not an LSTM", called=called, expected=wanted, got=[_layer_text(x) for x in layers],
             hint="The statement asks for nn.LSTM (a GRU or plain RNN is another model).")
    if sorted(kinds) != ["Embedding", "LSTM", "Linear"]:
        fail("the layers with weights are not the prescribed ones", called=called, expected=wanted,
             got=[_layer_text(x) for x in layers], hint=STRUCTURE_HINT)
    by_kind = {layer["kind"]: layer for layer in layers}
    emb, lstm, lin = by_kind["Embedding"], by_kind["LSTM"], by_kind["Linear"]
    ok = (emb.get("num_embeddings") == vocab_sz or vocab_sz is None) and emb.get("embedding_dim") == emb_sz \
        and emb.get("padding_idx") == pad_idx and lstm.get("input_size") == emb_sz \
        and lstm.get("hidden_size") == n_hid and lstm.get("num_layers") == 1 and lstm.get("bidirectional") is False \
        and lstm.get("proj_size") in (0, None) and lin.get("in_features") == n_hid \
        and lin.get("out_features") == n_out
    if not ok:
        hint = STRUCTURE_HINT  # wrong sizes first: a fixed padding_idx usually comes with fixed sizes
        sizes = (emb.get("embedding_dim"), lstm.get("input_size"), lstm.get("hidden_size"), lin.get("in_features"))
        if lstm.get("num_layers") != 1 or lstm.get("bidirectional") or lstm.get("proj_size") not in (0, None):
            hint = "One LSTM layer reading left to right (the default settings): the classifier reads its last step."
        elif sizes == (emb_sz, emb_sz, n_hid, n_hid) and lin.get("out_features") == n_out \
                and emb.get("padding_idx") != pad_idx:
            hint = ("The embedding's padding_idx must be pad_idx: the padding id then has a zero vector that "
                    "training never changes.")
        fail("a layer has the wrong size or settings", called=called, expected=wanted,
             got=[_layer_text(by_kind[k]) for k in ("Embedding", "LSTM", "Linear")], hint=hint)
    return by_kind


def _rebuilt(layers: dict) -> tuple:
    """The prescribed computation rebuilt here from the student's weights: (embedding, batch-first LSTM, linear)."""
    import torch
    from torch import nn
    emb_l, lstm_l, lin_l = layers["Embedding"], layers["LSTM"], layers["Linear"]
    emb = nn.Embedding(emb_l["num_embeddings"], emb_l["embedding_dim"], padding_idx=emb_l["padding_idx"])
    lstm = nn.LSTM(lstm_l["input_size"], lstm_l["hidden_size"], bias=bool(lstm_l["bias"]), batch_first=True)
    lin = nn.Linear(lin_l["in_features"], lin_l["out_features"], bias="bias" in lin_l["state"])
    for module, layer in ((emb, emb_l), (lstm, lstm_l), (lin, lin_l)):
        state = layer["state"]
        if not isinstance(state, dict) or not all(isinstance(v, torch.Tensor) for v in state.values()):
            raise ValueError("weights are not tensors")
        module.load_state_dict({k: v.float() for k, v in state.items()})
        module.eval()
    return emb, lstm, lin


def _judge_outputs(got: dict, layers: dict, xs: list, called: str, n_out: int) -> None:
    """The model's outputs must be what its own layers compute when the linear layer reads the last time step."""
    import torch
    try:
        emb, lstm, lin = _rebuilt(layers)
    except Exception as err:  # noqa: BLE001  weights that do not fit the layers' own settings
        fail("the layers' weights do not fit their settings", called=called, got=f"<{type(err).__name__}>",
             hint="Use torch.nn's Embedding, LSTM and Linear as they are.")
    outputs = got.get("outputs")
    _expect_count(outputs, len(xs), called)
    for x, out in zip(xs, outputs):
        at = f"{called} then model(<LongTensor of shape {tuple(x.shape)}>)"
        expect_type(out, torch.Tensor, "a tensor of class scores", called=at,
                    hint="forward returns the linear layer's output: a float tensor of shape (bs, n_out).")
        out = out.detach().cpu()
        if tuple(out.shape) != (x.shape[0], n_out) or not out.is_floating_point():
            fail("the output has the wrong shape or type", called=at, expected=f"<shape {(x.shape[0], n_out)}, float>",
                 got=f"<shape {tuple(out.shape)}, {out.dtype}>",
                 hint="One row of n_out class scores per text: the linear layer applied to the output at one time "
                      "step (the time axis is gone).")
        with torch.no_grad():
            seq = lstm(emb(x))[0]
            expected = lin(seq[:, -1])
            variants = (
                (lin(seq[:, 0]), "The linear layer reads the FIRST time step: with left padding that is mostly "
                                 "padding. Read the output at the last time step."),
                (lin(seq.mean(1)), "The linear layer reads the mean over time steps; the statement asks for the "
                                   "output at the last time step only."),
                (lin(seq.max(1)[0]), "The linear layer reads the maximum over time steps; the statement asks for "
                                     "the output at the last time step only."),
                (torch.softmax(expected, -1), "forward returns probabilities; it must return the raw class scores "
                                              "(the loss function applies the softmax itself)."),
            )
            tm = torch.nn.LSTM(lstm.input_size, lstm.hidden_size, bias=lstm.bias)
            tm.load_state_dict(lstm.state_dict())
            time_major = tm(emb(x))[0]
        variants += ((lin(time_major[:, -1]), "The LSTM reads the batch as (seq_len, bs): the batches are "
                                              "(bs, seq_len), which the LSTM must be told (batch_first)."),
                     (lin(time_major[-1]), "The LSTM reads the batch as (seq_len, bs): the batches are (bs, seq_len), "
                                           "which the LSTM must be told (batch_first)."))
        if not torch.allclose(out.float(), expected, rtol=1e-4, atol=1e-5):
            hint = ("The output is not the linear layer applied to the LSTM's output at the last time step of the "
                    "embedded ids (using the model's own layers).")
            for value, words in variants:
                if value.shape == out.shape and torch.allclose(out.float(), value, rtol=1e-4, atol=1e-5):
                    hint = words
                    break
            expect_close(out.float(), expected, rtol=1e-4, atol=1e-5, called=at, hint=hint,
                         summary="the model does not compute what the statement prescribes")


def _judge_model(student_cls: Callable, vocab_sz: int, n_out: int, kwargs: dict, seed: int) -> None:
    emb_sz, n_hid, pad_idx = kwargs.get("emb_sz", 32), kwargs.get("n_hid", 64), kwargs.get("pad_idx", 1)
    called = describe_call(student_cls, vocab_sz, n_out, **kwargs)
    with labelled(called):
        model = probe(build, student_cls, (vocab_sz, n_out), kwargs)
    xs = _model_inputs(vocab_sz, pad_idx, seed)
    with labelled(f"{called}, then the model on batches of ids"):
        got = probe(anatomy, model, xs)
    layers = _judge_layers(got, called, vocab_sz, n_out, emb_sz, n_hid, pad_idx)
    _judge_outputs(got, layers, xs, called, n_out)


def train_toy(cls: Callable, seed: int) -> Any:
    """Probe: train `cls(vocab_sz, 2)` on toy reviews with the reference Learner; keep the learner where it is."""
    import contextlib
    import io
    import tempfile
    import torch
    from fastlayers.text.tokenizer import Tokenizer
    from fastlayers.training import Learner
    ref = _ref()
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # small LSTMs run fastest on one thread, and a busy machine cannot oversubscribe it
    try:
        torch.manual_seed(seed)
        dls = ref.TextDataLoaders.from_df(ref.toy_reviews(TRAIN_REVIEWS, seed=TRAIN_SEED, valid_pct=TRAIN_VALID_PCT),
                                          valid_col="is_valid", bs=BS, min_freq=1, seed=seed,
                                          tokenizer=Tokenizer(use_cache=False))
        model = call(cls, len(dls.numericalize.vocab), 2)
        learn = Learner(dls, model, progress=False, path=tempfile.gettempdir())
        with contextlib.redirect_stdout(io.StringIO()):
            call(learn.fit_one_cycle, EPOCHS, LR)
    finally:
        torch.set_num_threads(threads)
    return keep(learn)


def predict_classes(learn: Any, texts: list) -> dict:
    """Probe: the learner's class scores for each raw text (its own tokenizer and vocabulary), and its classes."""
    import torch
    dls, model = learn.dls, learn.model
    device = next(model.parameters(), torch.empty(0)).device
    model.eval()
    scores = []
    with torch.no_grad():
        for text in texts:
            ids = dls.numericalize(dls.tokenizer(text)).as_subclass(torch.Tensor)[None].to(device)
            scores.append(call(model, ids))
    return {"classes": [str(c) for c in dls.vocab], "scores": scores}


def _held_out() -> tuple[list[str], list[str]]:
    """Reviews the model never saw, from a fresh seed, shuffled (the labels stay here)."""
    ref = _ref()
    seed = _fresh_seed()
    df = ref.toy_reviews(HELD_OUT, seed=seed, valid_pct=0.0)
    rows = list(zip(df["text"].tolist(), df["label"].tolist()))
    random.Random(seed + 1).shuffle(rows)
    return [t for t, _ in rows], [label for _, label in rows]


def _accuracy(got: dict, labels: list, called: str) -> float:
    import torch
    _expect_keys(got, ("classes", "scores"), called)
    classes, scores = got.get("classes"), got.get("scores")
    if not isinstance(classes, list) or sorted(classes) != sorted(set(labels)):
        fail("the learner's classes are not the reviews' labels", called=called, expected=sorted(set(labels)),
             got=classes)
    _expect_count(scores, len(labels), called)
    right = 0
    for s, label in zip(scores, labels):
        if not isinstance(s, torch.Tensor) or tuple(s.shape) != (1, len(classes)):
            fail("the model's output has the wrong shape", called=called, expected=f"<shape (1, {len(classes)})>",
                 got=s, hint="One row of class scores per text.")
        right += classes[int(s.detach().cpu().argmax())] == label
    return right / len(labels)


@check(points=4, timeout=150)
def text_lstm(student_cls: Callable) -> None:
    """`TextLSTM(vocab_sz, n_out, emb_sz, n_hid, pad_idx)`: the prescribed layers, and it learns the toy reviews."""
    started = time.monotonic()
    _judge_model(student_cls, 61, 3, {"emb_sz": 12, "n_hid": 20, "pad_idx": 0}, seed=100)
    _judge_model(student_cls, 50, 2, {}, seed=101)
    texts, labels = _held_out()
    n_train = round(TRAIN_REVIEWS * (1 - TRAIN_VALID_PCT))
    called = f"Learner(dls, TextLSTM(vocab_sz, 2)).fit_one_cycle({EPOCHS}, {LR:g}) on {n_train} toy reviews"
    best = 0.0
    for attempt in range(ATTEMPTS):
        start = time.monotonic()
        with labelled(called):
            learn = probe(train_toy, student_cls, attempt)
        seconds = time.monotonic() - start
        if seconds > TRAIN_LIMIT_S:
            fail(f"training took {seconds:.0f} s, over the limit of {TRAIN_LIMIT_S} s", called=called,
                 hint="Keep to the prescribed sizes (emb_sz=32, n_hid=64, one LSTM layer) and do no extra work in "
                      "forward.")
        xs = _model_inputs(40, 1, 102)  # the toy reviews' vocabulary has more than 40 tokens
        with labelled(f"{called}, then the trained model on batches of ids"):
            trained = probe(anatomy, learn, xs)
        layers = _judge_layers(trained, f"{called}: the trained model", None, 2, 32, 64, 1)
        _judge_outputs(trained, layers, xs, f"{called}: the trained model", 2)
        on_new = f"the trained model on {HELD_OUT} new reviews"
        with labelled(on_new):
            answer = probe(predict_classes, learn, texts)
        acc = _accuracy(answer, labels, on_new)
        if acc >= TARGET_ACC:
            return
        best = max(best, acc)
        spent = time.monotonic() - started
        if spent + 2 * seconds > 140:
            break
    fail(f"accuracy {best:.3f} on {HELD_OUT} new reviews, below the target {TARGET_ACC}", called=called,
         expected=f"<at least {TARGET_ACC}>", got=round(best, 3),
         hint="The layers and the forward pass are the prescribed ones, yet the model did not learn: every layer "
              "must be trained, so keep the gradient flowing from the output back to the embedding (nothing "
              "detached or computed under no_grad, no frozen weights).")
