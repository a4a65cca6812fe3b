"""Checks for exercise 10 (text): rules, vocabulary, a length-sorted padded collate, an LSTM text classifier."""
from __future__ import annotations

import random
import tempfile
import time
from collections import Counter
from typing import Callable

from fastlayers.checks.framework import call, check, describe_call, expect_equal, expect_true, fail

__all__ = ["replace_rep", "replace_wrep", "replace_all_caps", "replace_maj", "build_vocab", "sorted_pad_collate",
           "text_lstm"]

TARGET_ACC, TRAIN_LIMIT_S = 0.85, 60


def _ref():
    # Imported when a check runs, so `fastlayers.checks` stays cheap to import.
    import fastlayers.text as ref
    return ref


def _words(rng: random.Random, n: int) -> list[str]:
    pool = ["a", "I", "ok", "OK", "Yes", "NO", "wow", "WOW", "soooo", "!!!", "...", "Hi", "hi", "Paris", "USA",
            "x", "X", "A", "it's", "IT'S", "McDonald", "really", "go", "U2", "2020", "zzz", "??", "--", "B."]
    return [rng.choice(pool) for _ in range(n)]


def _texts(seed: int, fixed: list[str], n: int = 60) -> list[str]:
    rng = random.Random(seed)
    out = list(fixed)
    for _ in range(n):
        ws = _words(rng, rng.randint(1, 12))
        if rng.random() < 0.4:  # repeat a word to exercise the word-repetition rule
            i = rng.randrange(len(ws))
            ws[i:i + 1] = [ws[i]] * rng.randint(2, 5)
        out.append(" ".join(ws))
    return out


def _check_rule(student: Callable, reference: Callable, texts: list[str], hints: list[tuple[Callable, str]],
                default_hint: str) -> None:
    for t in texts:
        got = call(student, t)
        expected = reference(t)
        if got != expected:
            hint = default_hint
            for mistake, words in hints:
                try:
                    if mistake(t) == got:
                        hint = words
                        break
                except Exception:  # noqa: BLE001  a mistake detector must never crash the check
                    pass
            expect_equal(got, expected, called=describe_call(student, t), hint=hint)


@check(points=2, timeout=10)
def replace_rep(student: Callable) -> None:
    """`replace_rep(t)`: a character repeated 3+ times becomes ` xxrep n c ` with n the total count."""
    ref = _ref()
    fixed = ["soooo cool", "!!!", "aa", "aaa", "wow!!!! yes", "zzzzzzzzzz", "no repeat", "", "ab  ab", "1111 2222"]
    import re
    off_by_one = lambda t: re.sub(r"(\S)(\1{2,})", lambda m: f" xxrep {len(m.group(2))} {m.group(1)} ", t)  # noqa: E731
    _check_rule(student, ref.replace_rep, _texts(10, fixed),
                [(off_by_one, "The count is off by one: n is the total number of times the character appears "
                              "(`soooo` has 4 o's: ` xxrep 4 o `).")],
                "A character seen 3 or more times in a row becomes ` xxrep n c ` (spaces around it); "
                "runs of 1 or 2 stay as they are.")


@check(points=2, timeout=10)
def replace_wrep(student: Callable) -> None:
    """`replace_wrep(t)`: a word repeated 3+ times becomes ` xxwrep n w `."""
    ref = _ref()
    fixed = ["I I I I love it", "really really really.", "go go now", "go go go", "no no no no no!", "ha ha",
             "very very very good good good", "", "the theme the theme"]
    _check_rule(student, ref.replace_wrep, _texts(11, fixed), [],
                "A word repeated 3+ times (separated by spaces) becomes ` xxwrep n w ` followed by what came after "
                "the last copy; n counts every copy.")


@check(points=2, timeout=10)
def replace_all_caps(student: Callable) -> None:
    """`replace_all_caps(t)`: words in capitals are lowercased, with `xxup` before those longer than one letter."""
    ref = _ref()
    fixed = ["I SAW A DOG", "SO EXCITED", "I", "A", "OK then", "IT'S FINE", "U2 rocks", "hello", "", "NO!"]
    import re
    pat = re.compile(r"(\s|^)([A-Z]+[^a-z\s]*)(?=(\s|$))")
    on_single = lambda t: pat.sub(lambda m: f"{m.group(1)}xxup {m.group(2).lower()}", t)  # noqa: E731
    _check_rule(student, ref.replace_all_caps, _texts(12, fixed),
                [(on_single, "One-letter words like `I` or `A` are capitals by grammar, not emphasis: lowercase "
                             "them without `xxup` (only words longer than one letter get the token).")],
                "Words made of capitals (digits and punctuation allowed) become `xxup word` in lowercase; "
                "one-letter words are only lowercased.")


@check(points=2, timeout=10)
def replace_maj(student: Callable) -> None:
    """`replace_maj(t)`: capitalized words are lowercased, with `xxmaj` before those longer than one letter."""
    ref = _ref()
    fixed = ["I saw Ann", "Paris is nice", "McDonald", "It's", "X", "hello World", "", "USA"]
    _check_rule(student, ref.replace_maj, _texts(13, fixed), [],
                "A word with a capital first letter and no other capital becomes `xxmaj word` (lowercased); "
                "one-letter words are only lowercased; words with more capitals are left alone.")


def _vocab_cases() -> list[tuple[list[list[str]], list[int], int, int]]:
    rng = random.Random(14)
    words = [f"w{i}" for i in range(40)]
    cases = []
    for min_freq, max_vocab in [(1, 60000), (2, 60000), (3, 20), (1, 16)]:
        docs = [[rng.choice(words[: rng.randint(5, 40)]) for _ in range(rng.randint(1, 15))] for _ in range(30)]
        docs[-1] = ["onlyvalid"] * 5 + docs[-1]  # frequent in validation, absent from training
        train_idx = sorted(rng.sample(range(29), 22))
        cases.append((docs, train_idx, min_freq, max_vocab))
    return cases


@check(points=3, timeout=10)
def build_vocab(student: Callable) -> None:
    """`build_vocab(docs, train_idx, min_freq, max_vocab)`: the vocab of the training documents only."""
    ref = _ref()
    for docs, train_idx, min_freq, max_vocab in _vocab_cases():
        got = call(student, docs, train_idx, min_freq=min_freq, max_vocab=max_vocab)
        expected = ref.make_vocab(Counter(t for i in train_idx for t in docs[i]), min_freq, max_vocab)
        called = f"build_vocab(<{len(docs)} docs>, train_idx=<{len(train_idx)} indices>, min_freq={min_freq}, " \
                 f"max_vocab={max_vocab})"
        hint = "Special tokens first, then training tokens seen >= min_freq times by decreasing count " \
               "(ties: first seen first), cut to max_vocab, then 'xxfake' until the length is a multiple of 8."
        if isinstance(got, list) and "onlyvalid" in got:
            hint = ("'onlyvalid' appears only in validation documents: count tokens of the documents in "
                    "train_idx only, or the validation score measures words the model was built around.")
        expect_equal(got, expected, called=called, hint=hint)


@check(points=3, timeout=10)
def sorted_pad_collate(student: Callable) -> None:
    """`sorted_pad_collate(samples, pad_idx)`: longest first, left-padded to the longest, labels in the same order."""
    import torch
    rng = random.Random(15)
    for case in range(6):
        n = rng.randint(1, 8)
        samples = [(torch.randint(2, 50, (rng.randint(1, 12),)), rng.randint(0, 1)) for _ in range(n)]
        pad_idx = [1, 0, 7][case % 3]
        got = call(student, samples, pad_idx=pad_idx)
        if not isinstance(got, tuple) or len(got) != 2:
            fail("wrong kind of result", called=describe_call(student, f"<{n} samples>", pad_idx=pad_idx),
                 got=got, hint="Return a tuple (x, y): x a (bs, longest) LongTensor, y a tensor of labels.")
        order = sorted(range(n), key=lambda i: -len(samples[i][0]))
        x, y = got
        exp_x = torch.full((n, max(len(s[0]) for s in samples)), pad_idx, dtype=torch.long)
        for row, i in enumerate(order):
            t = samples[i][0]
            exp_x[row, exp_x.shape[1] - len(t):] = t
        exp_y = torch.tensor([samples[i][1] for i in order])
        called = describe_call(student, [(s[0].tolist(), s[1]) for s in samples], pad_idx=pad_idx)
        hint = "Sort by length, longest first (a stable sort keeps equal lengths in their order), then put the " \
               "padding BEFORE each text: the LSTM reads its last time step, which must be a real token."
        if isinstance(x, torch.Tensor) and x.shape == exp_x.shape and x.shape[1] > 0:
            last = x[:, -1]
            if (last == pad_idx).any() and not (exp_x[:, -1] == pad_idx).any():
                hint = ("The padding is at the end: the classifier reads the LAST time step, so with right padding "
                        "it mostly sees padding. Pad on the left (before the tokens).")
        expect_equal(x.tolist() if isinstance(x, torch.Tensor) else x, exp_x.tolist(), called=called + " -> x",
                     hint=hint)
        expect_equal(torch.as_tensor(y).tolist(), exp_y.tolist(), called=called + " -> y",
                     hint="The labels must follow their texts through the sort.")


@check(points=4, timeout=120)
def text_lstm(student_cls: Callable) -> None:
    """`TextLSTM(vocab_sz, n_out)` reaches the target accuracy on the toy reviews within the time limit."""
    import torch
    torch.manual_seed(0)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # small LSTMs run fastest on one thread, and a busy machine cannot oversubscribe it
    try:
        acc, seconds = _train_toy(student_cls)
    finally:
        torch.set_num_threads(threads)
    expect_true(acc >= TARGET_ACC, f"validation accuracy {acc:.3f} is below the target {TARGET_ACC}",
                called="Learner(dls, TextLSTM(vocab_sz, 2)).fit_one_cycle(8, 1e-2)", got=round(acc, 3),
                hint="Embed the ids, run the LSTM (batch_first=True), and classify from the output at the LAST "
                     "time step (batches are left-padded, so that is the text's last token), with a Linear layer.")
    expect_true(seconds <= TRAIN_LIMIT_S, f"training took {seconds:.0f} s, over the limit of {TRAIN_LIMIT_S} s",
                got=round(seconds, 1), hint="Keep the model small: an embedding of ~32 and one LSTM layer of ~64.")


def _train_toy(student_cls: Callable) -> tuple[float, float]:
    """Train the student's model on the toy reviews; (validation accuracy, training seconds)."""
    import torch
    from fastlayers.text.tokenizer import Tokenizer
    from fastlayers.training import Learner
    ref = _ref()
    with tempfile.TemporaryDirectory() as tmp:
        dls = ref.TextDataLoaders.from_df(ref.toy_reviews(320, seed=10), valid_col="is_valid", bs=16, min_freq=1,
                                          seed=0, tokenizer=Tokenizer(cache_dir=tmp))
        vocab_sz = len(dls.numericalize.vocab)
        model = call(student_cls, vocab_sz, 2)
        expect_true(isinstance(model, torch.nn.Module), "TextLSTM(...) must build a torch.nn.Module",
                    called=f"TextLSTM({vocab_sz}, 2)", got=type(model).__name__)
        xb = dls.valid.one_batch()[0].as_subclass(torch.Tensor)
        out = call(model, xb)
        expect_true(isinstance(out, torch.Tensor) and tuple(out.shape) == (xb.shape[0], 2),
                    "the model's output has the wrong shape", called=f"model(<LongTensor {tuple(xb.shape)}>)",
                    got=tuple(out.shape) if isinstance(out, torch.Tensor) else out,
                    hint="Return one row of class scores (logits) per text: shape (bs, n_out).")
        learn = Learner(dls, model, progress=False, path=tmp)
        start = time.perf_counter()
        learn.fit_one_cycle(8, 1e-2)
        seconds = time.perf_counter() - start
        preds, targs = learn.get_preds()
        acc = float((preds.argmax(-1) == targs).float().mean())
    return acc, seconds
