"""Word alignment from contextual token states, SimAlign style.

Jalili Sabet et al. (2020), "SimAlign: High Quality Word Alignments without Parallel Training
Data using Static and Contextualized Embeddings". For a sentence pair:

1. **Words.** Spaced scripts: runs of letters, marks and digits (Unicode ``\\w``) are words,
   and each other non-space character (punctuation, symbols) is a word of its own.
   Unspaced scripts (Han, kana, Thai, Lao, Khmer, Myanmar): the encoder tokenizer's pieces
   are the words. Decided on the XLM-R vocabulary, whose pieces in these scripts are mostly
   dictionary words (``温暖`` "warm", ``睡觉`` "sleep", ``หน้าต่าง`` "window"), where single
   characters would split them and break the links to the other side. With
   ``pretokenized=True`` the words are the text's whitespace-separated tokens, so that the
   indices match a gold standard's tokenization.
2. **Word vectors**: the mean of the states of the subword tokens that overlap the word;
   then, with ``center=True`` (default) and a sentence of at least 3 words, the mean word
   vector of that sentence is subtracted from each of its words. This removes what all words
   of a sentence share (its language and topic; cf. Libovický et al. 2020 on removing
   language means): on the hand-written en-de/fr/zh pairs of the tests it added links
   (``sleeps=schläft``, ``the=der``) and lost none.
3. **Similarity**: cosine between every source and every target word vector.
4. **Links** (``method``): ``forward`` links each source word to its most similar target
   word, ``backward`` each target word to its most similar source word, ``intersection``
   keeps the links both directions agree on (precise; the default), ``itermax`` starts from
   the intersection and, for up to two more rounds, adds mutual best matches among the
   words still unaligned, with similarities to already-aligned words damped by 0.9 (SimAlign's
   "IterMax", which recovers recall).

Indices are 0-based word positions; :meth:`WordAlignment.pharaoh` writes ``i-j`` pairs.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import regex

from .._validation import check_choice, check_texts
from ..errors import InputError
from ._align_options import WORD_METHODS as METHODS

_RUNS = regex.compile(r"[\w\p{M}]+|[^\w\s\p{M}]")
_UNSPACED = r"\p{Han}\p{Hiragana}\p{Katakana}\p{Thai}\p{Lao}\p{Khmer}\p{Myanmar}"
_SCRIPT_RUNS = regex.compile(rf"(?P<unspaced>[{_UNSPACED}]+)|[^{_UNSPACED}]+")
_ITERMAX_ROUNDS = 2
_CENTER_MIN_WORDS = 3
_ITERMAX_DAMPING = 0.9


@dataclass(frozen=True)
class WordAlignment:
    """The words of both sentences (as segmented) and the links ``(src_index, tgt_index)``;
    each word's character span in its sentence and each link's cosine, for faces that draw the
    links over the text (the HTTP page)."""

    src_words: tuple[str, ...]
    tgt_words: tuple[str, ...]
    links: tuple[tuple[int, int], ...]
    src_spans: tuple[tuple[int, int], ...] = ()
    tgt_spans: tuple[tuple[int, int], ...] = ()
    scores: tuple[float, ...] = ()

    def pharaoh(self) -> str:
        """Links in Pharaoh format: ``"0-0 1-2 2-1"``."""
        return " ".join(f"{i}-{j}" for i, j in self.links)


def word_spans(text: str, token_offsets: np.ndarray, *, pretokenized: bool = False) -> list[tuple[int, int]]:
    """Character spans of the words of ``text`` (see the module docstring)."""
    if pretokenized:
        return [m.span() for m in regex.finditer(r"\S+", text)]
    spans: list[tuple[int, int]] = []
    for run in _RUNS.finditer(text):
        for part in _SCRIPT_RUNS.finditer(run.group()):
            start, end = run.start() + part.start(), run.start() + part.end()
            if not part.group("unspaced"):
                spans.append((start, end))
                continue
            for s, e in token_offsets:
                s, e = max(int(s), start), min(int(e), end)
                if s < e:
                    spans.append((s, e))
    return spans


def word_vectors(states: Any, spans: list[tuple[int, int]], *, center: bool = True) -> np.ndarray:
    """Mean of the token states overlapping each span, centered (see the module docstring) and
    L2-normalized; ``(len(spans), d)``.

    A word that no token covers (it cannot happen with the built-in tokenizer) gets a zero
    vector, so it is never linked.
    """
    offs = np.asarray(states.offsets)
    out = np.zeros((len(spans), states.states.shape[1]), dtype=np.float32)
    for w, (s, e) in enumerate(spans):
        hit = (offs[:, 0] < e) & (offs[:, 1] > s)
        if hit.any():
            out[w] = states.states[hit].mean(axis=0)
    covered = np.abs(out).sum(axis=1) > 0
    if center and covered.sum() >= _CENTER_MIN_WORDS:
        out[covered] -= out[covered].mean(axis=0)
    norms = np.linalg.norm(out, axis=1, keepdims=True)
    return out / np.maximum(norms, 1e-12)


def links_from_similarity(sim: np.ndarray, method: str = "intersection") -> list[tuple[int, int]]:
    """Links from a ``(n_src, n_tgt)`` similarity matrix by ``method`` (see the module docstring)."""
    check_choice(method, METHODS, "method")
    n, m = sim.shape
    if n == 0 or m == 0:
        return []
    fwd = np.zeros((n, m), dtype=bool)
    fwd[np.arange(n), sim.argmax(axis=1)] = True
    bwd = np.zeros((n, m), dtype=bool)
    bwd[sim.argmax(axis=0), np.arange(m)] = True
    if method == "forward":
        chosen = fwd
    elif method == "backward":
        chosen = bwd
    else:
        chosen = fwd & bwd
        if method == "itermax":
            chosen = _itermax(sim, chosen)
    return [(int(i), int(j)) for i, j in zip(*np.nonzero(chosen))]


def _itermax(sim: np.ndarray, chosen: np.ndarray) -> np.ndarray:
    """Add mutual best matches among unaligned words, damping pairs with one side aligned."""
    chosen = chosen.copy()
    for _ in range(_ITERMAX_ROUNDS):
        src_done = chosen.any(axis=1)
        tgt_done = chosen.any(axis=0)
        if src_done.all() or tgt_done.all():
            break
        both = src_done[:, None] & tgt_done[None, :]
        one = src_done[:, None] ^ tgt_done[None, :]
        weighted = np.where(one, sim * _ITERMAX_DAMPING, sim)
        weighted = np.where(both, -np.inf, weighted)
        rows = weighted.argmax(axis=1)
        cols = weighted.argmax(axis=0)
        new = np.zeros_like(chosen)
        for i, j in enumerate(rows):
            if cols[j] == i and not both[i, j]:
                new[i, j] = True
        if not new.any():
            break
        chosen |= new
    return chosen


def align_words(
    src: str | Sequence[str],
    tgt: str | Sequence[str],
    *,
    encoder: Any = "e5-small",
    method: str = "intersection",
    layer: int | None = None,
    pretokenized: bool = False,
    center: bool = True,
) -> WordAlignment | list[WordAlignment]:
    """Align the words of a sentence pair (two strings) or of parallel lists of sentences.

    ``layer`` selects the encoder layer whose token states are used; the built-in encoders
    expose the last layer only, so ``None`` (or ``-1``) is the one value they accept.
    """
    check_choice(method, METHODS, "method")
    single = isinstance(src, str) and isinstance(tgt, str)
    srcs = check_texts([src] if isinstance(src, str) else src, "src")
    tgts = check_texts([tgt] if isinstance(tgt, str) else tgt, "tgt")
    if len(srcs) != len(tgts):
        raise InputError(
            f"The 'src' and 'tgt' parameters must hold as many sentences each. Got {len(srcs)} and {len(tgts)}."
        )
    if layer not in (None, -1):
        raise InputError(
            f"The 'layer' parameter must be None or -1: the encoder exposes the token states of its last "
            f"layer only. Got {layer!r} instead."
        )
    from ..neutral import Space

    enc = Space.of(encoder)
    if not getattr(enc, "has_token_states", False):
        raise InputError(f"Encoder {enc.name!r} does not expose token states; word alignment needs them.")
    out: list[WordAlignment] = []
    blank_s = [k for k, t in enumerate(srcs) if not t.strip()]
    blank_t = [k for k, t in enumerate(tgts) if not t.strip()]
    states_s = _states(enc, srcs, blank_s)
    states_t = _states(enc, tgts, blank_t)
    for s_text, t_text, ss, st in zip(srcs, tgts, states_s, states_t):
        s_spans = word_spans(s_text, ss.offsets, pretokenized=pretokenized) if ss else []
        t_spans = word_spans(t_text, st.offsets, pretokenized=pretokenized) if st else []
        links: list[tuple[int, int]] = []
        scores: list[float] = []
        if s_spans and t_spans:
            sim = word_vectors(ss, s_spans, center=center) @ word_vectors(st, t_spans, center=center).T
            links = links_from_similarity(sim, method)
            scores = [float(sim[i, j]) for i, j in links]
        out.append(
            WordAlignment(
                tuple(s_text[a:b] for a, b in s_spans),
                tuple(t_text[a:b] for a, b in t_spans),
                tuple(links),
                src_spans=tuple((int(a), int(b)) for a, b in s_spans),
                tgt_spans=tuple((int(a), int(b)) for a, b in t_spans),
                scores=tuple(scores),
            )
        )
    return out[0] if single else out


def _states(enc: Any, texts: list[str], blank: list[int]) -> list[Any]:
    """Token states of the non-blank texts; ``None`` where a text is blank."""
    skip = set(blank)
    keep = [k for k in range(len(texts)) if k not in skip]
    got = enc.token_states([texts[k] for k in keep]) if keep else []
    out: list[Any] = [None] * len(texts)
    for k, st in zip(keep, got):
        out[k] = st
    return out
