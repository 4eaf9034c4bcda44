"""Piece ids of texts a word at a time, with a cache of each word's pieces.

A static student spent three quarters of its time in the tokenizer (NFKC, Unigram Viterbi,
and an ``Encoding`` object per text), though a corpus repeats a few words endlessly (Zipf).
Splitting a text on spaces and looking each word up replaces all of that with one dict lookup
per word; only words not seen before are normalized (by the tokenizer's own normalizer, one
call for all of them) and segmented (by sentencepiece's Viterbi, see :func:`unigram_segmenter`).

Splitting first changes nothing, because the teacher's pipeline acts on a word alone as it
acts on the word inside the text: the normalizer's replacements are per character, NFKC never
composes across a space (a starter that composes with nothing), runs of spaces collapse to one,
and Metaspace splits at every space, prefixing each word with ``▁``. The words for which this
fails are the ones whose normalized form is empty, starts with a space or ``▁``, or ends with a
space (their spaces would merge with the separators); they are marked, and a text holding one
goes through the tokenizer whole. The tests compare both paths on random text built to hit
these: the pieces are the tokenizer's, or, where two segmentations of a word tie, one of equal
score.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence

import numpy as np

#: words kept (~150 bytes each: 2**17 words is ~20 MB); when full the oldest are dropped
CAPACITY = 1 << 17
_BAD = (-1,)  # a word that cannot be tokenized alone (truthy, so ``get(w) or ...`` works)
_JOIN = "\ue000"
#: normalized words -> their piece ids
Segment = Callable[[list[str]], list[list[int]]]


def unigram_segmenter(
    pieces: Sequence[str], scores: Sequence[float], unk: int, control: Sequence[int]
) -> Segment:
    """Unigram Viterbi of sentencepiece's own C++ library over the teacher's vocabulary, for words
    already normalized: ~8x faster than ``tokenizers``' on the same words (measured on 116,749
    Tatoeba words: 0.17 s against 1.39 s), with the same lattice (``▁`` + the word). Where two
    segmentations score exactly the same the libraries may pick different ones (1 word in
    116,749 there: ``....`` as ``. ...`` or ``... .``)."""
    import sentencepiece
    from sentencepiece import sentencepiece_model_pb2 as pb

    model = pb.ModelProto()
    model.trainer_spec.model_type = pb.TrainerSpec.UNIGRAM
    model.trainer_spec.unk_id = unk
    spec = model.normalizer_spec
    spec.name, spec.add_dummy_prefix, spec.remove_extra_whitespaces = "identity", True, False
    kinds = dict.fromkeys(control, pb.ModelProto.SentencePiece.CONTROL)
    kinds[unk] = pb.ModelProto.SentencePiece.UNKNOWN
    for i, (piece, score) in enumerate(zip(pieces, scores)):
        row = model.pieces.add()
        row.piece, row.score = piece, float(score)
        row.type = kinds.get(i, pb.ModelProto.SentencePiece.NORMAL)
    processor = sentencepiece.SentencePieceProcessor(model_proto=model.SerializeToString())
    return processor.encode


class PieceCache:
    """The pieces of texts under ``tokenizer`` (no special tokens), as
    ``tokenizer.encode_batch_fast(texts, add_special_tokens=False)`` gives them, computed per
    word; new words are segmented by ``segment`` (normalized words -> piece ids, e.g.
    :func:`unigram_segmenter`), or by the tokenizer itself when it is None."""

    def __init__(self, tokenizer, segment: Segment | None = None, capacity: int = CAPACITY):
        self._tok = tokenizer
        self._normalize = tokenizer.normalizer.normalize_str if tokenizer.normalizer else str
        self._segment = segment
        self._space = tuple(tokenizer.encode(" ", add_special_tokens=False).ids)  # the lone "▁"
        self._known: dict[str, tuple[int, ...]] = {}
        self.capacity = capacity

    def __len__(self) -> int:
        return len(self._known)

    def clear(self) -> None:
        """Forget every word (benchmarks measure a cold start with it)."""
        self._known.clear()

    def _learn(self, words: list[str]) -> dict[str, tuple[int, ...]]:
        """Pieces of each new word (remembered by the caller, once the batch is assembled).

        New words are normalized as one string joined by a private-use character (a starter
        NFKC keeps and composes with nothing): the tokenizer's cost is per call more than per
        character."""
        out: dict[str, tuple[int, ...]] = {}
        normed = None
        joined = _JOIN.join(words)
        if joined.count(_JOIN) == len(words) - 1:  # no word holds the joiner itself
            joined = self._normalize(joined)
            normed = joined.split(_JOIN)
        if normed is None or len(normed) != len(words):
            normed = [self._normalize(w) for w in words]
            joined = _JOIN.join(normed)
        # only words whose normalized form is empty or holds a space or "▁" need a closer look:
        # found by searching the joined string, not by a Python test per word
        lengths = np.fromiter(map(len, normed), dtype=np.int64, count=len(normed))
        ends = np.cumsum(lengths + 1)
        odd = set(np.flatnonzero(lengths == 0).tolist())
        for ch in (" ", "▁"):
            at = joined.find(ch)
            while at != -1:
                odd.add(int(np.searchsorted(ends, at, side="right")))
                at = joined.find(ch, at + 1)
        plain, other = [], []
        if self._segment is None:
            other = [w for i, w in enumerate(words) if i not in odd]
        else:
            plain = [i for i in range(len(words)) if i not in odd] if odd else range(len(words))
        for i in sorted(odd):
            w, n = words[i], normed[i]
            if not n or n[0] in " ▁" or n[-1] == " ":
                out[w] = _BAD
            else:
                other.append(w)  # several words once normalized: the tokenizer takes it whole
        if plain:
            for i, ids in zip(plain, self._segment([normed[i] for i in plain])):
                out[words[i]] = tuple(ids)
        if other:
            for w, e in zip(other, self._tok.encode_batch_fast(other, add_special_tokens=False)):
                out[w] = tuple(e.ids)
        return out

    def _remember(self, new: dict[str, tuple[int, ...]]) -> None:
        """Keep ``new``, dropping the oldest words when full (at least a quarter at a time, so
        eviction is rare): a corpus sorted by language then refills the cache with the language
        at hand instead of keeping the first ones forever."""
        known = self._known
        if len(new) >= self.capacity:
            known.clear()
            new = dict(itertools.islice(new.items(), self.capacity))
        elif len(known) + len(new) > self.capacity:
            drop = max(len(known) + len(new) - self.capacity, self.capacity // 4)
            for w in list(itertools.islice(known, drop)):
                del known[w]
        known.update(new)

    def flat(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """``(ids, lengths)``: every text's piece ids one after another, and how many each has."""
        known = self._known
        split = [t.split(" ") for t in texts]
        new = set(itertools.chain.from_iterable(split))
        new.difference_update(known.keys())
        new.discard("")
        batch = self._learn(sorted(new)) if new else {}
        get = known.get
        flat: list[int] = []
        lens = np.empty(len(texts), dtype=np.int64)
        for i, words in enumerate(split):
            start = len(flat)
            for w in words:
                if w:
                    ids = get(w) or batch.get(w)
                    if ids is None:  # dropped meanwhile by another thread's batch
                        ids = batch[w] = self._learn([w])[w]
                    if ids is _BAD:
                        del flat[start:]
                        flat.extend(self._tok.encode(texts[i], add_special_tokens=False).ids)
                        break
                    flat.extend(ids)
            else:  # text ending in a space: Metaspace leaves one lone "▁" for the collapsed run
                if len(words) > 1 and not words[-1]:
                    flat.extend(self._space)
            lens[i] = len(flat) - start
        if batch:
            self._remember(batch)
        return np.asarray(flat, dtype=np.int64), lens
