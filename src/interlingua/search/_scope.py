"""Where lexical evidence counts in hybrid search: the *lexical scope*.

BM25 can only match words the query and a document share. A query in one language against a
document in another shares almost none (names and numbers at best), so its BM25 score there
is noise, and giving it half the weight of the fused score halves cross-lingual top-1 (one
Tatoeba probe: 30/30 dense, 16/30 hybrid). The lexical run therefore counts only for the
documents in its scope; the others are ranked by their dense score alone, on the same scale
(see :func:`~interlingua.search.scoped_fuse`).

Scopes (``SearchOptions.lexical_scope``):

- ``"language"`` (default): documents in the query's language (given, or detected with the
  collection's language-ID backend); languages compare by :func:`~interlingua.text.same_language`,
  so region and script subtags do not matter (``zh`` matches ``zh-Hant``). Where either side's
  language is unknown (``und``, ``""``, ``mul``, ``zxx``, ``mis``), their scripts decide, and so
  they do where a *detected* query language is not to be trusted (:func:`scope_language`: the
  query is not written in that language's usual script).
- ``"script"``: documents written in the query's script (:func:`~interlingua.text.detect_script`
  of both texts; the Han variants Hans/Hant/Hani count as one script, Hangul as Korean). A query with no letters
  (digits, symbols: script ``Zyyy``) matches every document, and so does a document with none.
- ``"all"``: every document (the old behaviour: BM25 counts everywhere).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from functools import lru_cache

from ..store import Document
from ..text import canonical_lang, detect_script, same_language
from ._options import LEXICAL_SCOPES

UNKNOWN_LANGS = frozenset({"", "und", "mul", "zxx", "mis"})
_GROUPS = {"Hans": "Hani", "Hant": "Hani", "Hang": "Kore"}


def script_group(script: str) -> str:
    """The script as BM25 sees it: the Han variants are one script (they share characters), and
    Hangul is Korean with or without Hanja."""
    return _GROUPS.get(script, script)


def same_script(a: str, b: str) -> bool:
    """Whether two ISO 15924 codes can share words; ``Zyyy`` (no letters) shares with any."""
    a, b = script_group(a), script_group(b)
    return a == b or "Zyyy" in (a, b)


@lru_cache(maxsize=1024)
def likely_script(lang: str) -> str:
    """The script a language is usually written in (CLDR likely subtags: ``zh`` Hans, ``ja`` Jpan)."""
    import langcodes

    return langcodes.Language.get(canonical_lang(lang)).maximize().script or "Zyyy"


def scope_language(query_lang: str, query_script: str, score: float = 1.0, *, min_score: float = 0.0) -> str:
    """The query language that the "language" scope uses, or "und" (then scripts decide) when a
    detected language is not to be trusted: the query is not written in that language's usual
    script (Chinese questions detected as Japanese carry no kana: 38 of XQuAD's 1,190), or, with
    ``min_score``, the guess scored below it (0.5 changed nothing on XQuAD's first half, so the
    default trusts any score)."""
    if query_lang in UNKNOWN_LANGS or score < min_score:
        return "und"
    if not same_script(query_script, likely_script(query_lang)):
        return "und"
    return query_lang


def lexical_match(scope: str, query_lang: str, query_script: str, doc_lang: str, doc_text: str) -> bool:
    """Whether the lexical run counts for one document under ``scope`` (see the module notes)."""
    if scope == "all":
        return True
    if scope == "language" and query_lang not in UNKNOWN_LANGS and doc_lang not in UNKNOWN_LANGS:
        return same_language(query_lang, doc_lang)
    return same_script(query_script, detect_script(doc_text))


def lexical_scope_keys(
    scope: str,
    query_lang: str,
    query_script: str,
    keys: Iterable[int],
    docs: Mapping[int, Document],
) -> set[int]:
    """The ``keys`` (of ``docs``) whose lexical evidence counts for the query; keys missing from
    ``docs`` (gone from the catalog) are left out."""
    present = [key for key in keys if key in docs]
    if scope == "all":
        return set(present)
    by_lang: dict[str, bool] = {}  # a few languages among many candidates: compare each once
    out = set()
    for key in present:
        d = docs[key]
        if scope == "language" and d.lang not in UNKNOWN_LANGS and query_lang not in UNKNOWN_LANGS:
            if d.lang not in by_lang:
                by_lang[d.lang] = same_language(query_lang, d.lang)
            match = by_lang[d.lang]
        else:
            match = lexical_match(scope, query_lang, query_script, d.lang, d.text)
        if match:
            out.add(key)
    return out


__all__ = [
    "LEXICAL_SCOPES",
    "UNKNOWN_LANGS",
    "lexical_match",
    "lexical_scope_keys",
    "likely_script",
    "same_script",
    "scope_language",
    "script_group",
]
