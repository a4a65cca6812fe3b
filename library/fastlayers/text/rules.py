"""Lesson 10 (course/10_text.ipynb, exercises/10_text/):
Text rules: string-to-string clean-ups applied before tokenization, and the special tokens they insert."""
from __future__ import annotations

import html
import re
from typing import Callable

import numpy as np

__all__ = ["UNK", "PAD", "BOS", "EOS", "FLD", "TK_REP", "TK_WREP", "TK_UP", "TK_MAJ", "FAKE", "SPECIAL_TOKENS",
           "fix_html", "replace_rep", "replace_wrep", "spec_add_spaces", "rm_useless_spaces",
           "replace_all_caps", "replace_maj", "lowercase", "default_rules", "apply_rules"]

# Special tokens, in the order that fixes their vocabulary ids 0-8. A tuple: code that extends "its" vocabulary
# list from this constant cannot change the library's tokens for everyone else.
UNK, PAD, BOS, EOS, FLD = "xxunk", "xxpad", "xxbos", "xxeos", "xxfld"
TK_REP, TK_WREP, TK_UP, TK_MAJ = "xxrep", "xxwrep", "xxup", "xxmaj"
SPECIAL_TOKENS: tuple[str, ...] = (UNK, PAD, BOS, EOS, FLD, TK_REP, TK_WREP, TK_UP, TK_MAJ)
FAKE = "xxfake"  # filler that pads the vocabulary to a multiple of 8

# HTML debris found in scraped reviews (IMDb uses "<br />" for line breaks), mapped to plain text.
_HTML_FIXES = (("#39;", "'"), ("amp;", "&"), ("#146;", "'"), ("nbsp;", " "), ("#36;", "$"), ("\\n", "\n"),
               ("quot;", "'"), ("<br />", "\n"), ("<br/>", "\n"), ('\\"', '"'), ("<unk>", UNK),
               (" @.@ ", "."), (" @,@ ", ","), (" @-@ ", "-"), ("...", " …"))
_re_spaces = re.compile(r" {2,}")


def fix_html(t: str) -> str:
    """Replace HTML entities and line-break tags left in scraped text by plain characters."""
    if "&" in t:
        t = html.unescape(t)  # proper entities first, so "&amp;" becomes "&" (not "&&" via the bare fix below)
    for old, new in _HTML_FIXES:  # then entities that lost their "&" when the text was scraped
        if old in t:  # the membership test is much cheaper than an unconditional replace
            t = t.replace(old, new)
    return rm_useless_spaces(t)


_re_rep = re.compile(r"(\S)(\1{2,})")


def _has_triple(t: str) -> bool:
    """True when some character appears 3 times in a row: a cheap test (one array comparison) that lets
    `replace_rep` skip its regex, which tries a back-reference at every position, on most texts."""
    if len(t) < 3:
        return False
    a = np.frombuffer(t.encode("utf-32-le", errors="surrogatepass"), dtype=np.uint32)
    return bool(((a[:-2] == a[1:-1]) & (a[1:-1] == a[2:])).any())


def replace_rep(t: str) -> str:
    """Replace a character repeated 3+ times, e.g. `cooool`, by ` xxrep n c ` (n = total count)."""
    if not _has_triple(t):
        return t
    return _re_rep.sub(lambda m: f" {TK_REP} {len(m.group(2)) + 1} {m.group(1)} ", t)


# A word, then one or more copies of it, then a final copy followed by a non-word character or the end.
_re_wrep = re.compile(r"(?:\s|^)(\w+)\s+((?:\1\s+)+)\1(\s|\W|$)")


def replace_wrep(t: str) -> str:
    """Replace a word repeated 3+ times, e.g. `very very very`, by ` xxwrep n w `."""
    # A match needs two neighbouring whitespace-separated pieces that are equal (the first two copies): comparing
    # neighbours is several times cheaper than the regex, which tries a back-reference after every space.
    pieces = t.split()
    if not any(map(str.__eq__, pieces, pieces[1:])):
        return t

    def _sub(m: re.Match) -> str:
        word, middle, end = m.groups()
        return f" {TK_WREP} {len(middle.split()) + 2} {word} {end}"
    return _re_wrep.sub(_sub, t)


_re_spec = re.compile(r"([/#\\])")


def spec_add_spaces(t: str) -> str:
    """Put spaces around `/`, `#` and `\\` so that they become tokens of their own."""
    return _re_spec.sub(r" \1 ", t) if ("/" in t or "#" in t or "\\" in t) else t


def rm_useless_spaces(t: str) -> str:
    """Collapse runs of spaces into one space."""
    return _re_spaces.sub(" ", t) if "  " in t else t


# The two capital rules act on whole whitespace-separated words. Their patterns start with the capital itself and
# look back at the character before it (`(?<!\S.)`: no non-space just before the capital); a pattern that starts
# with a character class lets the regex engine jump from capital to capital instead of trying every position,
# about three times faster than the plain `(\s|^)word(?=\s|$)` form.
# Words made only of capitals (plus non-letters such as digits or an apostrophe).
_re_all_caps = re.compile(r"[A-Z](?<!\S.)[^a-z\s]*(?!\S)")


def replace_all_caps(t: str) -> str:
    """Lowercase words written in capitals and put `xxup` before those longer than one letter."""
    def _sub(m: re.Match) -> str:
        word = m.group()
        # one-letter words ("I", "A") are capitals by grammar, not emphasis: no xxup for them
        return f"{TK_UP} {word.lower()}" if len(word) > 1 else word.lower()
    return _re_all_caps.sub(_sub, t)


# Words starting with a capital, with no other capital inside.
_re_maj = re.compile(r"[A-Z](?<!\S.)[^A-Z\s]*(?!\S)")


def replace_maj(t: str) -> str:
    """Lowercase capitalized words and put `xxmaj` before those longer than one letter."""
    def _sub(m: re.Match) -> str:
        word = m.group()
        return f"{TK_MAJ} {word.lower()}" if len(word) > 1 else word.lower()
    return _re_maj.sub(_sub, t)


def lowercase(t: str, add_bos: bool = True, add_eos: bool = False) -> str:
    """Lowercase the text and mark its start with `xxbos` (and its end with `xxeos` if asked)."""
    return (f"{BOS} " if add_bos else "") + t.lower().strip() + (f" {EOS}" if add_eos else "")


def default_rules() -> list[Callable[[str], str]]:
    """The default rules, in the order they must run (capital rules need the original case)."""
    return [fix_html, replace_rep, replace_wrep, spec_add_spaces, rm_useless_spaces,
            replace_all_caps, replace_maj, lowercase]


def apply_rules(t: str, rules: list[Callable[[str], str]] | None = None) -> str:
    """Run `rules` (default: `default_rules()`) on `t` one after the other."""
    if not isinstance(t, str):
        raise TypeError(f"text rules work on str, got {type(t).__name__}: convert the item with str() "
                        "or check which column holds the text")
    for rule in default_rules() if rules is None else rules:
        t = rule(t)
    return t
