"""Word segmentation for lexical (BM25) indexing, in every script.

Spaced scripts are split at Unicode word boundaries (runs of letters, marks and digits).
Scripts written without spaces (Han, Hiragana, Katakana, Thai, Lao, Khmer, Myanmar) are cut
into their characters and overlapping character bigrams (the unigram + bigram indexing that
Chen et al. 1997 and Luk & Kwok 2002 found robust for Chinese; Lucene's CJKAnalyzer uses the
bigrams), so that a query finds the words it shares with a document without a dictionary, a
one-character query included. Tokens are case-folded and
NFKC-normalized so that the query and the document side agree.

With ``method="icu"`` (the ``icu`` extra, PyICU) dictionary-based word breaking is used
for the unspaced scripts instead of bigrams.
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache

import regex

from .._registry import Registry
from ..errors import MissingDependencyError

#: scripts whose words are not separated by spaces
UNSPACED = ("Han", "Hiragana", "Katakana", "Thai", "Lao", "Khmer", "Myanmar")

_UNSPACED_CLASS = "".join(rf"\p{{{s}}}" for s in UNSPACED)
# a run of unspaced-script characters (with their combining marks), or a word of any other script
_TOKEN = regex.compile(
    rf"(?V1)(?P<u>[{_UNSPACED_CLASS}][{_UNSPACED_CLASS}\p{{M}}]*)|(?P<w>[[\p{{L}}\p{{N}}\p{{M}}_]--[{_UNSPACED_CLASS}]]+)"
)
_MARK = regex.compile(r"\p{M}")


def segment_words(text: str, *, method: str = "bigram") -> list[str]:
    """Tokens of ``text`` for a lexical index: lower-cased words for spaced scripts and
    character bigrams (or ICU words) for Chinese, Japanese, Thai, Lao, Khmer and Myanmar.

    The same function must be applied to documents and to queries.

    >>> segment_words("Hello, World! 東京大学")
    ['hello', 'world', '東', '京', '大', '学', '東京', '京大', '大学']
    """
    split_unspaced = SEGMENTERS.get(method)
    norm = unicodedata.normalize("NFKC", text).casefold()
    out: list[str] = []
    for m in _TOKEN.finditer(norm):
        run = m.group("u")
        if run is None:
            out.append(m.group("w"))
        else:
            out.extend(split_unspaced(run))
    return out


def _bigrams(run: str) -> list[str]:
    # keep a combining mark (Thai vowels and tones) attached to its base character
    chars: list[str] = []
    for ch in run:
        if chars and _MARK.match(ch):
            chars[-1] += ch
        else:
            chars.append(ch)
    return chars + [chars[i] + chars[i + 1] for i in range(len(chars) - 1)]


def _icu_words(run: str) -> list[str]:
    brk = _icu_breaker()
    brk.setText(run)
    words, start = [], brk.first()
    for end in brk:
        piece = run[start:end].strip()
        if piece:
            words.append(piece)
        start = end
    return words


@lru_cache(maxsize=1)
def _icu_breaker():
    try:
        import icu
    except ImportError as exc:
        raise MissingDependencyError("segment_words(method='icu')", "icu") from exc
    return icu.BreakIterator.createWordInstance(icu.Locale.getRoot())


#: how runs of an unspaced script (Han, kana, Thai, ...) are cut into tokens, by name
SEGMENTERS: Registry = Registry("segmenters", kind="segmenter")
SEGMENTERS.register("bigram", _bigrams, description="characters and character bigrams (built in)")
SEGMENTERS.register(
    "icu", _icu_words, description="ICU dictionary word breaks (pip install 'interlingua[icu]')"
)

__all__ = ["SEGMENTERS", "UNSPACED", "segment_words"]
