"""The text rules take shortcuts for speed (a cheap pre-test, patterns that start at the capital). Each must give
exactly what the plain pattern gives: here the plain forms are the specification, compared on generated texts
built to hit the edge cases (repeats, capitals at the start and end, tabs and newlines, non-ASCII, punctuation)."""
import random
import re

import pytest

from fastlayers.text import rules as R

_rep = re.compile(r"(\S)(\1{2,})")
_wrep = re.compile(r"(?:\s|^)(\w+)\s+((?:\1\s+)+)\1(\s|\W|$)")
_caps = re.compile(r"(\s|^)([A-Z]+[^a-z\s]*)(?=(\s|$))")
_maj = re.compile(r"(\s|^)([A-Z][^A-Z\s]*)(?=(\s|$))")


def spec_rep(t):
    return _rep.sub(lambda m: f" {R.TK_REP} {len(m.group(2)) + 1} {m.group(1)} ", t)


def spec_wrep(t):
    return _wrep.sub(lambda m: f" {R.TK_WREP} {len(m.group(2).split()) + 2} {m.group(1)} {m.group(3)}", t)


def spec_caps(t):
    return _caps.sub(lambda m: m.group(1) + (f"{R.TK_UP} " if len(m.group(2)) > 1 else "") + m.group(2).lower(), t)


def spec_maj(t):
    return _maj.sub(lambda m: m.group(1) + (f"{R.TK_MAJ} " if len(m.group(2)) > 1 else "") + m.group(2).lower(), t)


def spec_spaces(t):
    return re.sub(" {2,}", " ", t)


def spec_spec(t):
    return re.sub(r"([/#\\])", r" \1 ", t)


_PIECES = ["the", "The", "THE", "very", "Very", "I", "A", "a", "OK", "O'NEIL", "McDonald", "iPhone", "R2D2", "r2",
           "ÉCOLE", "École", "naïve", "x", "xx", "!!", "!", "?", ".", ",", "(", ")", "/", "#", "\\", "'", "-",
           "ooo", "Noooo", "AAAA", "aa", "1999", "ЖЖЖ", "😀😀😀", "<br />", "&amp;", "..."]
_SPACES = [" ", " ", " ", "  ", "   ", "\t", "\n", " \n ", ""]


def _texts(n: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    out = ["", " ", "A", "AB", "Ab", "aaa", "a a a", "very very very", "Very very very.", "the the", "THE THE THE",
           "  The  ", "\nThe\n", "I", "x\ty\tz", "so so so so so!", "go go go", "wait... WAIT!!!"]
    for _ in range(n):
        k = rng.randint(1, 30)
        words = []
        for _ in range(k):
            w = rng.choice(_PIECES)
            if rng.random() < 0.2:  # repeat a word to make the repeat rules fire
                w = rng.choice(_SPACES[:4]).join([w] * rng.randint(2, 5))
            words.append(w)
            words.append(rng.choice(_SPACES))
        out.append("".join(words[:-1] if rng.random() < 0.5 else words))
    return out


TEXTS = _texts(3000, 0)


@pytest.mark.parametrize("fast, spec", [(R.replace_rep, spec_rep), (R.replace_wrep, spec_wrep),
                                        (R.replace_all_caps, spec_caps), (R.replace_maj, spec_maj),
                                        (R.rm_useless_spaces, spec_spaces), (R.spec_add_spaces, spec_spec)],
                         ids=lambda f: getattr(f, "__name__", ""))
def test_fast_rule_equals_its_plain_pattern(fast, spec):
    fired = 0
    for t in TEXTS:
        assert fast(t) == spec(t), repr(t)
        fired += spec(t) != t
    assert fired > 100  # the generated texts really exercise the rule, not only its shortcut


def test_the_whole_default_chain_equals_the_plain_chain():
    plain = [R.fix_html, spec_rep, spec_wrep, spec_spec, spec_spaces, spec_caps, spec_maj, R.lowercase]
    for t in TEXTS:
        assert R.apply_rules(t) == R.apply_rules(t, plain), repr(t)


_TOKENIZER_EXTRAS = ["https://example.com/a?b=1", "mail@example.org", "10km", "5kg.", "$3.50", "U.S.A.", "e.g.",
                     "can't", "won't", "o'clock", "3:30pm", "(yes)", "\"quoted\"", "‘curly’", "a—b", "x\u00a0y",
                     "x\u3000y", "\u2028", "\x1c", "tab\t\ttab", "a\n\n\nb", ":-)", "#hashtag", "C++", "xxmaj",
                     "xxrep 3 !", "£5", "٣٤٥", "日本語のテキスト"]


def test_the_lean_spacy_tokenizer_splits_exactly_as_spacy():
    # SpacyTokenizer skips spaCy's per-word attributes and reads token texts as one array of ids: the tokens must
    # be the ones a default spaCy tokenizer gives, on new words and again once every word is known.
    import spacy

    from fastlayers.text.tokenizer import SpacyTokenizer
    plain = spacy.blank("en").tokenizer
    ours = SpacyTokenizer()
    rng = random.Random(1)
    extra = [" ".join(rng.choice(_TOKENIZER_EXTRAS + _PIECES) for _ in range(rng.randint(1, 12)))
             for _ in range(500)]
    texts = TEXTS + _TOKENIZER_EXTRAS + extra + [R.apply_rules(t) for t in TEXTS[:500]]
    for _ in range(2):
        for t in texts:
            assert ours(t) == [w.text for w in plain(t)], repr(t)
