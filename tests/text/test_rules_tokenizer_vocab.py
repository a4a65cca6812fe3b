"""Rules, tokenizer (cache, parallel, bad input) and vocabulary."""
import time
from collections import Counter

import pytest
import torch

from fastlayers.core import TensorText
from fastlayers.text.rules import (SPECIAL_TOKENS, apply_rules, fix_html, replace_all_caps, replace_maj,
                                   replace_rep, replace_wrep, rm_useless_spaces, spec_add_spaces)
from fastlayers.text.tokenizer import MAX_DOC_CHARS, SpacyTokenizer, Tokenizer, tokenize1, tokenize_texts
from fastlayers.text.vocab import Numericalize, make_vocab


@pytest.fixture(scope="module")
def tok():
    return SpacyTokenizer()


def test_special_token_ids():
    # a tuple: nothing can extend or reorder the library's tokens through an alias
    assert SPECIAL_TOKENS == ("xxunk", "xxpad", "xxbos", "xxeos", "xxfld", "xxrep", "xxwrep", "xxup", "xxmaj")


@pytest.mark.parametrize("text,expected", [
    ("I'm SO EXCITED about this!!! It's soooo cool",
     "xxbos xxmaj i 'm xxup so xxup excited about this xxrep 3 ! xxmaj it 's s xxrep 4 o cool"),
    ("I I I I love it, really really really.", "xxbos xxwrep 4 i love it , xxwrep 3 really ."),
])
def test_measured_tokenizations(tok, text, expected):
    assert " ".join(tok(apply_rules(text))) == expected


@pytest.mark.parametrize("text,expected", [
    ("I'm SO EXCITED about this!!! It's soooo cool",
     "xxbos xxmaj i 'm xxup so xxup excited about this xxrep 3 ! xxmaj it 's s xxrep 4 o cool"),
])
def test_tokenize1_is_fastais_one_text_call(tok, text, expected):
    assert " ".join(tokenize1(text)) == expected == " ".join(tokenize1(text, tok))
    assert tokenize1("Hello WORLD", str.split, rules=[]) == ["Hello", "WORLD"]


def test_a_read_only_cache_folder_only_costs_speed(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("a file where the cache folder should be")
    texts = ["One GREAT film!!!", "another"]
    assert Tokenizer(cache_dir=blocker / "tok_cache").tokenize_corpus(texts) == tokenize_texts(texts)


def test_single_rules():
    assert replace_rep("aaab") == " xxrep 3 a b"
    assert replace_rep("ab") == "ab" and replace_rep("aab") == "aab"  # fewer than 3: untouched
    assert replace_wrep("go go go now") == " xxwrep 3 go  now"
    assert replace_wrep("go go now") == "go go now"
    assert spec_add_spaces("a/b#c") == "a / b # c"
    assert rm_useless_spaces("a    b  c") == "a b c"
    assert replace_all_caps("I SAW A DOG") == "i xxup saw a xxup dog"  # one-letter words: no xxup
    assert replace_maj("I saw Ann") == "i saw xxmaj ann"
    assert fix_html("a<br />b &amp; c") == "a\nb & c"


def test_rules_reject_non_strings():
    with pytest.raises(TypeError, match="str"):
        apply_rules(float("nan"))


@pytest.mark.parametrize("context", ["{}", "({})", "{}.", "\"{}\"", "{}'s", "a-{}", "{}!!"])
def test_special_tokens_stay_whole(tok, context):
    for special in SPECIAL_TOKENS:
        assert special in tok(context.format(special)), (special, context)
    odd = SpacyTokenizer(special_toks=["x-y"])  # a special token spaCy would split gets a special case
    assert "x-y" in odd("a x-y b")


def test_empty_and_whitespace_texts(tok):
    assert tok(apply_rules("")) == ["xxbos"]
    assert tok(apply_rules("   \t  ")) == ["xxbos"]


def test_very_long_document_is_truncated():
    t = Tokenizer(use_cache=False)
    long_doc = "word " * (MAX_DOC_CHARS // 5 + 1000)
    toks = t.tokenize_corpus([long_doc])[0]
    assert len(toks) <= MAX_DOC_CHARS // 5 + 2


def test_bytes_and_nan_are_refused_with_a_reason():
    t = Tokenizer(use_cache=False)
    with pytest.raises(TypeError, match="decode"):
        t.tokenize_corpus([b"\xff\xfe bad"])
    with pytest.raises(TypeError, match="NaN"):
        t.tokenize_corpus(["ok", float("nan")])


def test_cache_is_reused_and_keyed_by_corpus_and_rules(tmp_path, monkeypatch):
    texts = [f"Review number {i}: GREAT film!!!" for i in range(50)]
    t = Tokenizer(cache_dir=tmp_path)
    first = t.tokenize_corpus(texts)
    files = list(tmp_path.iterdir())
    assert len(files) == 1
    # a second run must read the file, not tokenize: poison the tokenizer to prove it is not called
    import fastlayers.text.tokenizer as tkm
    with monkeypatch.context() as m:
        m.setattr(tkm, "tokenize_texts", lambda *a, **k: pytest.fail("tokenized although the cache exists"))
        assert Tokenizer(cache_dir=tmp_path).tokenize_corpus(texts) == first
    # other texts or other rules: a new cache entry
    Tokenizer(cache_dir=tmp_path).tokenize_corpus(texts[:-1])
    Tokenizer(cache_dir=tmp_path, rules=[]).tokenize_corpus(texts)
    assert len(list(tmp_path.iterdir())) == 3
    assert Tokenizer(cache_dir=tmp_path, rules=[]).tokenize_corpus(texts)[0][0] == "Review"


def test_parallel_equals_serial():
    texts = [f"Text {i} is REALLY good... sooo good" * (i % 5 + 1) for i in range(240)]
    tk = SpacyTokenizer()
    assert tokenize_texts(texts, tk, n_workers=2) == tokenize_texts(texts, tk, n_workers=1)


def test_tokenizer_decode(tok):
    t = Tokenizer(use_cache=False)
    assert t.decode(t("Hello there")) == "xxbos xxmaj hello there"


def test_make_vocab_order_min_freq_and_padding():
    counts = Counter({"the": 10, "a": 5, "movie": 3, "rare": 2, "xxbos": 7})
    v = make_vocab(counts, min_freq=3)
    assert v[:9] == list(SPECIAL_TOKENS)
    assert v[9:12] == ["the", "a", "movie"]
    assert "rare" not in v and v.count("xxbos") == 1
    assert len(v) % 8 == 0 and v[12:] == ["xxfake"] * (len(v) - 12)
    assert make_vocab(counts, min_freq=1, max_vocab=10)[:10] == [*SPECIAL_TOKENS, "the"]
    with pytest.raises(ValueError, match="min_freq"):
        make_vocab(counts, min_freq=0)


def test_numericalize_round_trip_and_unknown():
    num = Numericalize(min_freq=1)
    num.setup([["a", "b", "a"], ["b", "c"]])
    ids = num(["a", "c", "zzz"])
    assert isinstance(ids, TensorText) and ids.dtype == torch.long and ids[-1].item() == 0
    assert num.decode(ids) == ["a", "c", "xxunk"]
    with pytest.raises(RuntimeError, match="setup"):
        Numericalize()(["a"])
    with pytest.raises(TypeError, match="tokenize"):
        num("a c")
