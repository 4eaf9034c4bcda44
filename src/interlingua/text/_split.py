"""Sentence splitting for every script, with character spans to map sentences back.

Rules, in the order they apply:

1. A blank line (two line breaks with only whitespace between) always ends a sentence; a
   single line break does not, because wrapped text breaks lines inside sentences.
2. A run of sentence terminators ends a sentence. Terminators are Unicode's
   ``Sentence_Terminal`` property (``. ! ? 。 ！ ？ ؟ ۔ । ॥ ։ ። ။ ។ ...``) plus the horizontal
   ellipsis, the Tibetan shad ``།`` (only ``Terminal_Punctuation`` in Unicode, but it ends
   Tibetan sentences), and ``;`` after a Greek letter (the Greek question mark, which NFC turns
   into a semicolon). Closing quotes and brackets right after the run stay with the sentence.
3. The Latin-style terminators ``. ! ? …`` (and the Greek ``;``) end a sentence only when
   whitespace or the end of the text follows, since they also occur inside numbers, URLs and
   names (``3.14``, ``example.com``, ``Yahoo!``). Every other terminator ends a sentence even
   with no space after it, as ``。`` does in Chinese and Japanese.
4. A Latin-style terminator followed by a lowercase letter of a cased script (Latin, Cyrillic,
   Greek, Armenian) does not end a sentence: ``e.g. this``, ``"Stop!" she said``.
5. A single ``.`` does not end a sentence after an abbreviation: a single letter (initials,
   ``J. R. R. Tolkien``, ``z. B.``; but not the pronouns ``I`` and ``я``), a dotted
   abbreviation (``U.S.``, ``e.g.``, ``z.B.``, ``т.е.``), a word from the short list below
   (titles and reference words that are usually followed by a capital or a number), or, for
   languages that write ordinals with a dot (German, Nordic, Slavic, Hungarian, Finnish,
   Baltic), a number of up to three digits (``am 3. Oktober``).
   Cost: "plan B. It works." stays one sentence.
   Japanese: a quotation closed after its terminator and followed by the quotative particle
   と or って (「こんにちは。」と彼は言った。) stays inside the sentence that quotes it.
6. Thai has no sentence punctuation; a space between two Thai characters marks a clause or a
   sentence break. Such a space ends a sentence only when the text on each side of it (back
   to the previous cut, and on to the end of the segment) has at least
   :data:`THAI_MIN_CHARS` characters, so that short clauses stay with their sentence. Long
   clauses may still come out as sentences of their own.
"""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING

from ..errors import InputError
from ._langcodes import canonical_lang

if TYPE_CHECKING:
    import regex

THAI_MIN_CHARS = 20
"""Shortest Thai sentence, in characters, that a space may cut off (rule 6)."""

_SPACED = frozenset(".!?…;\u037e\u203c\u2047\u2048\u2049")
_JA_QUOTATIVE = ("と", "って")
# One-letter words that end sentences often enough to beat the initials rule: "So did I."
_ONE_LETTER_WORDS = frozenset({"I", "я", "Я"})
# fmt: off
_ORDINAL_DOT_LANGS = frozenset({
    "de", "da", "nb", "nn", "no", "is", "fi", "et", "lv", "lt", "cs", "sk", "sl", "hr", "bs", "sr",
    "hu", "pl", "fo", "gsw", "lb",
})
# Abbreviations (case-sensitive, without the final dot) that are usually followed by a
# capital letter or a number, where the lowercase rule cannot help. Ones that often end a
# sentence ("etc.", "Inc.") are not here: rule 4 covers them when a lowercase word follows.
_ABBREVIATIONS = {
    "": {
        "Mr", "Mrs", "Ms", "Dr", "Prof", "Rev", "Hon", "Gen", "Col", "Capt", "Lt", "Sgt",
        "Sen", "Rep", "Gov", "Pres", "St", "Mt", "Jr", "Sr", "No", "Nos", "Vol", "Fig", "Figs",
        "Eq", "Ch", "Sec", "pp", "vs", "cf", "approx", "ca", "Jan", "Feb", "Mar", "Apr",
        "Jun", "Jul", "Aug", "Sep", "Sept", "Oct", "Nov", "Dec", "Nr",
    },
    "de": {"Hr", "Hrn", "Fr", "Nr", "Art", "Abs", "Str", "Bd", "Tel", "bzw", "ggf", "evtl", "vgl", "Dipl", "Ing"},
    "fr": {"Mme", "Mmes", "Mlle", "Mlles", "MM", "Me", "Pr", "av", "bd", "env", "réf", "tél"},
    "es": {"Sra", "Srta", "Dña", "Ud", "Uds", "Vd", "Vds", "núm", "pág", "Av", "Avda", "Dpto"},
    "it": {"Sig", "Sigg", "Dott", "Ing", "Avv", "pag", "Geom"},
    "pt": {"Sra", "Srta", "Exmo", "Exma", "pág", "Av", "nº"},
    "nl": {"dhr", "mevr", "mr", "drs", "ir", "ing", "blz", "nr"},
    "ru": {"г", "гг", "ул", "им", "проф", "акад", "доц", "стр", "рис", "табл", "тыс", "млн", "млрд", "руб"},
    "uk": {"вул", "проф", "акад", "доц", "стор", "рис", "табл", "тис", "млн", "млрд", "грн"},
    "el": {"κ", "κα", "σελ", "αρ"},
}
# fmt: on


@lru_cache(maxsize=1)
def _patterns():
    import regex

    closers = r"[\p{Pe}\p{Pf}\p{Pi}\"'\uff02\uff07]*"
    terminator = (
        r"(?:[\p{Sentence_Terminal}\u2026\u0f0d-\u0f12]+"
        r"|(?<=\p{Greek}\p{M}*)[;\u037e])"
    )
    return {
        "boundary": regex.compile(rf"(?P<term>{terminator}){closers}"),
        "blank_line": regex.compile(r"\n[^\S\n]*\n\s*"),
        "word_before": regex.compile(r"[\p{L}\p{M}\p{N}.'’-]*\Z"),
        "dotted": regex.compile(r"(?:\p{L}{1,4}\.)+\p{L}{1,4}"),
        "cased_lower": regex.compile(r"(?=\p{Ll})[\p{Latin}\p{Cyrillic}\p{Greek}\p{Armenian}]"),
        "thai_gap": regex.compile(r"(?<=\p{Thai})\s+(?=\p{Thai})"),
        "has_thai": regex.compile(r"\p{Thai}"),
        "cjk": regex.compile(r"[\p{Han}\p{Hiragana}\p{Katakana}]"),
        "digits": regex.compile(r"\p{Nd}{1,3}"),
        "single_letter": regex.compile(r"[\p{Lu}\p{Ll}]"),
    }


def split_sentences(text: str, lang: str | None = None) -> list[str]:
    """Split ``text`` into sentences (stripped, never empty); see the module notes for the rules.

    ``lang`` (any form :func:`canonical_lang` accepts) adds that language's abbreviations and
    ordinal-number rule; without it, the abbreviations of all languages listed apply and
    numbers followed by a dot end sentences.
    """
    return [text[start:end] for start, end in split_sentence_spans(text, lang)]


def split_sentence_spans(text: str, lang: str | None = None) -> list[tuple[int, int]]:
    """Like :func:`split_sentences`, but return ``(start, end)`` offsets into ``text``.

    ``text[start:end]`` is the sentence, without surrounding whitespace, so callers can map
    sentences (and anything computed on them) back to the original text.
    """
    if not isinstance(text, str):
        raise InputError(f"split_sentences() needs a str. Got {type(text).__name__} instead.")
    language = canonical_lang(lang).split("-")[0] if lang is not None else None
    abbreviations = _abbreviations(language)
    ordinal_dots = language in _ORDINAL_DOT_LANGS
    p = _patterns()
    spans: list[tuple[int, int]] = []
    start = 0
    for gap in p["blank_line"].finditer(text):
        spans += _split_paragraph(text, start, gap.start(), abbreviations, ordinal_dots)
        start = gap.end()
    spans += _split_paragraph(text, start, len(text), abbreviations, ordinal_dots)
    return spans


def _split_paragraph(
    text: str, start: int, end: int, abbreviations: frozenset[str], ordinal_dots: bool
) -> list[tuple[int, int]]:
    p = _patterns()
    spans = []
    for m in p["boundary"].finditer(text, start, end):
        cut = m.end()
        if cut <= start or not _ends_sentence(text, m, end, abbreviations, ordinal_dots):
            continue
        spans += _split_thai(text, start, cut)
        start = cut
    spans += _split_thai(text, start, end)
    return spans


def _ends_sentence(
    text: str, m: regex.Match[str], end: int, abbreviations: frozenset[str], ordinal_dots: bool
) -> bool:
    """Rules 3 to 5 (and the Japanese quotation rule) for one candidate boundary."""
    term, term_start, cut = m["term"], m.start(), m.end()
    if cut > m.end("term") and text.startswith(_JA_QUOTATIVE, cut):
        return False
    if not all(ch in _SPACED for ch in term):
        return True
    rest = cut
    while rest < end and text[rest].isspace():
        rest += 1
    if rest == end:
        return True
    p = _patterns()
    if rest == cut:  # no whitespace: only before CJK, which writes no spaces ("好吗?我很好")
        return bool(p["cjk"].match(text, rest))
    if p["cased_lower"].match(text, rest):
        return False
    if term != ".":
        return True
    word = p["word_before"].search(text, max(0, term_start - 40), term_start).group()
    word = word.lstrip(".'’-")
    if not word:
        return True
    if p["single_letter"].fullmatch(word) and word not in _ONE_LETTER_WORDS:
        return False
    if p["dotted"].fullmatch(word) or word in abbreviations:
        return False
    return not (ordinal_dots and p["digits"].fullmatch(word))


@lru_cache(maxsize=64)
def _abbreviations(language: str | None) -> frozenset[str]:
    if language is None:
        return frozenset().union(*_ABBREVIATIONS.values())
    return frozenset(_ABBREVIATIONS[""] | _ABBREVIATIONS.get(language, set()))


def _split_thai(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Trim a segment and apply rule 6 (Thai spaces) inside it."""
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if start == end:
        return []
    p = _patterns()
    if not p["has_thai"].search(text, start, end):
        return [(start, end)]
    spans = []
    for gap in p["thai_gap"].finditer(text, start, end):
        if gap.start() - start >= THAI_MIN_CHARS and end - gap.end() >= THAI_MIN_CHARS:
            spans.append((start, gap.start()))
            start = gap.end()
    spans.append((start, end))
    return spans
