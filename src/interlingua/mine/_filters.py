"""Filters people apply to mined pairs, each by name, each counted.

``lang``: the detected language of each side is the expected one (py3langid through
:func:`interlingua.text.detect_language`; only applied when the expected language is given).
``length``: the ratio of the two lengths is at most ``max_length_ratio``; a Han or kana
character counts 3, a Hangul syllable 2, other non-space characters 1, since one CJK character
carries about what three Latin letters do. ``copy``: source and target are not equal or nearly
equal (lowercased letters and digits, similarity >= 0.9). ``noise``: each side is mostly
letters, not digits, punctuation or URLs. ``duplicate``: the same (source, target) text pair
was not kept already (pairs come in score order, so the best-scoring copy stays).

A pair is counted against the first filter that rejects it, in the order of :data:`FILTERS`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from difflib import SequenceMatcher

import regex

from .._registry import Registry

#: the filters, in the order a rejected pair is counted against them
FILTERS = ("noise", "copy", "length", "lang", "duplicate")
MINE_FILTERS: Registry[str] = Registry("mine-filters", kind="mining filter")
for _name, _what in zip(
    FILTERS,
    (
        "each side mostly letters, not digits, punctuation or URLs",
        "source and target not (nearly) equal",
        "length ratio at most max_length_ratio (CJK weighted)",
        "detected language of each side is the expected one",
        "the same text pair kept once",
    ),
):
    MINE_FILTERS.register(_name, _name, description=_what)

_URL = regex.compile(r"(?:https?://|www\.)\S+|\S+@\S+\.\w+", regex.IGNORECASE)
_WIDE3 = regex.compile(r"[\p{Han}\p{Hiragana}\p{Katakana}]")
_WIDE2 = regex.compile(r"\p{Hangul}")
_LETTER = regex.compile(r"\p{L}|\p{M}")
_KEY = regex.compile(r"[\p{L}\p{M}\p{N}]+")


@dataclass(frozen=True)
class FilterReport:
    """Pairs seen, kept, and removed by each filter (``None`` where a filter was switched off)."""

    seen: int = 0
    kept: int = 0
    removed: dict[str, int | None] = field(default_factory=dict)

    def __add__(self, other: FilterReport) -> FilterReport:
        names = list(dict.fromkeys([*self.removed, *other.removed]))
        removed = {
            n: None
            if self.removed.get(n) is None and other.removed.get(n) is None
            else (self.removed.get(n) or 0) + (other.removed.get(n) or 0)
            for n in names
        }
        return FilterReport(self.seen + other.seen, self.kept + other.kept, removed)


def check_filters(names: Iterable[str]) -> list[str]:
    out = []
    for n in names:
        MINE_FILTERS.entry(n)  # an unknown name lists the known ones
        out.append(n)
    return out


def text_length(text: str) -> int:
    """Length with CJK characters weighted as about three Latin letters (see module doc)."""
    n = sum(1 for c in text if not c.isspace())
    return n + 2 * len(_WIDE3.findall(text)) + len(_WIDE2.findall(text))


def is_noise(text: str, min_letters: float = 0.5) -> bool:
    """True when fewer than ``min_letters`` of the non-space characters (URLs removed) are letters."""
    rest = _URL.sub("", text)
    chars = [c for c in rest if not c.isspace()]
    if not chars:
        return True
    return len(_LETTER.findall("".join(chars))) < min_letters * len(chars)


def _key(text: str) -> str:
    return " ".join(_KEY.findall(text.casefold()))


def is_copy(src: str, tgt: str, min_similarity: float = 0.9) -> bool:
    """True when the two texts are equal or nearly equal once case and punctuation are dropped."""
    a, b = _key(src), _key(tgt)
    if a == b:
        return True
    if min(len(a), len(b)) < min_similarity * max(len(a), len(b)):
        return False
    return SequenceMatcher(None, a, b, autojunk=False).ratio() >= min_similarity


def length_ok(src: str, tgt: str, max_ratio: float) -> bool:
    a, b = max(1, text_length(src)), max(1, text_length(tgt))
    return max(a, b) <= max_ratio * min(a, b)


def apply_filters(
    src_texts: Sequence[str],
    tgt_texts: Sequence[str],
    *,
    filters: Iterable[str] = FILTERS,
    src_lang: str | None = None,
    tgt_lang: str | None = None,
    max_length_ratio: float = 3.0,
) -> tuple[list[bool], FilterReport]:
    """Which pairs pass (in order) and the counts. ``lang`` needs ``src_lang`` or ``tgt_lang``."""
    active = set(check_filters(filters))
    removed: dict[str, int | None] = {n: (0 if n in active else None) for n in FILTERS}
    if "lang" in active and src_lang is None and tgt_lang is None:
        active.discard("lang")
        removed["lang"] = None
    src_ok = _lang_ok(src_texts, src_lang) if "lang" in active else None
    tgt_ok = _lang_ok(tgt_texts, tgt_lang) if "lang" in active else None
    seen_pairs: set[tuple[str, str]] = set()
    keep: list[bool] = []
    for i, (s, t) in enumerate(zip(src_texts, tgt_texts)):
        reason = None
        if "noise" in active and (is_noise(s) or is_noise(t)):
            reason = "noise"
        elif "copy" in active and is_copy(s, t):
            reason = "copy"
        elif "length" in active and not length_ok(s, t, max_length_ratio):
            reason = "length"
        elif src_ok is not None and not (src_ok[i] and tgt_ok[i]):
            reason = "lang"
        elif "duplicate" in active:
            key = (_key(s), _key(t))
            if key in seen_pairs:
                reason = "duplicate"
            seen_pairs.add(key)
        if reason is not None:
            removed[reason] = (removed[reason] or 0) + 1
        keep.append(reason is None)
    return keep, FilterReport(len(src_texts), sum(keep), removed)


def _lang_ok(texts: Sequence[str], lang: str | None) -> list[bool]:
    if lang is None:
        return [True] * len(texts)
    from ..text import detect_language, same_language

    return [g.lang != "und" and same_language(g.lang, lang) for g in detect_language(list(texts))]
