"""Late-interaction rerank: MaxSim over contextual token states, ColBERT style (Khattab &
Zaharia, SIGIR 2020): ``score(q, d) = mean_i max_j cos(q_i, d_j)`` over the query's tokens
``i`` and the document's tokens ``j``. (ColBERT sums; the mean only rescales per query.)

The encoder's token states serve as the token vectors; e5 was not trained for late
interaction, so this is a measured option, not a promise (see the XQuAD table).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence

import numpy as np

from ..errors import InputError


def maxsim(query_tokens: np.ndarray, doc_tokens: np.ndarray) -> float:
    """Mean over query tokens of the best cosine with any document token (inputs normalized)."""
    if len(query_tokens) == 0 or len(doc_tokens) == 0:
        return 0.0
    return float((query_tokens @ doc_tokens.T).max(axis=1).mean())


def _normalized(states: np.ndarray) -> np.ndarray:
    x = np.asarray(states, dtype=np.float32)
    return x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)


class MaxSimReranker:
    """Reranks candidates with an encoder's token states; keeps the token states of up to
    ``cache_size`` documents (as fp16) so that a document is run through the model once.

    Safe to share between threads (a server's searches): the cache is read and changed under a
    lock, the model runs outside it, and a document's states are the same (fp16, then float32)
    whether they came from the cache or were just computed, so concurrent searches score exactly
    as one-at-a-time ones do."""

    def __init__(self, encoder, *, cache_size: int = 10_000):
        if not getattr(encoder, "has_token_states", False):
            raise InputError(f"Encoder {encoder.name!r} does not expose token states, which rerank needs.")
        self.encoder = encoder
        self.cache_size = cache_size
        self._docs: OrderedDict[int, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    def query_tokens(self, query: str) -> np.ndarray:
        return self.query_tokens_many([query])[0]

    def query_tokens_many(self, queries: Sequence[str]) -> list[np.ndarray]:
        """Normalized token vectors of many queries (batched through the model)."""
        return [_normalized(ts.states) for ts in self.encoder.token_states(list(queries), role="query")]

    def doc_tokens(self, keys: Sequence[int], texts: Sequence[str]) -> list[np.ndarray]:
        found: dict[int, np.ndarray] = {}
        with self._lock:
            for k in keys:
                if k in self._docs:
                    self._docs.move_to_end(k)
                    found[k] = self._docs[k]
        missing = list({k: t for k, t in zip(keys, texts) if k not in found}.items())
        if missing:
            states = self.encoder.token_states([t for _, t in missing], role="passage")
            fresh = {k: _normalized(ts.states).astype(np.float16) for (k, _), ts in zip(missing, states)}
            found.update(fresh)
            with self._lock:
                self._docs.update(fresh)
                while len(self._docs) > self.cache_size:
                    self._docs.popitem(last=False)
        return [found[k].astype(np.float32) for k in keys]

    def scores(self, query: str | np.ndarray, keys: Sequence[int], texts: Sequence[str]) -> np.ndarray:
        q = self.query_tokens(query) if isinstance(query, str) else query
        return np.array([maxsim(q, d) for d in self.doc_tokens(keys, texts)], dtype=np.float32)


__all__ = ["MaxSimReranker", "maxsim"]
