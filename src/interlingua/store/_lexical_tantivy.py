"""The lexical index on tantivy: BM25 (tantivy's defaults, k1 = 1.2, b = 0.75) over text that the
text stage has already segmented, indexed with tantivy's whitespace tokenizer.

Documents are keyed by the catalog's integer keys (an indexed, fast ``key`` field). Adding a
key first deletes it, so replaying the catalog's change log after a crash is idempotent.
Queries are built as term queries (never parsed), so no character of a query is syntax.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np

from ..errors import InputError

MAX_TOKEN_CHARS = 64  # longer "words" (URLs, base64) are cut, on both sides alike
_HEAP = 32_000_000


def _tantivy():
    import tantivy

    return tantivy


def _schema():
    t = _tantivy()
    sb = t.SchemaBuilder()
    sb.add_integer_field("key", stored=True, indexed=True, fast=True)
    sb.add_text_field("body", stored=False, tokenizer_name="whitespace", index_option="freq")
    return sb.build()


def clean_tokens(tokens: list[str]) -> list[str]:
    return [t[:MAX_TOKEN_CHARS] for t in tokens if t.strip()]


class TantivyLexical:
    """A tantivy index in ``folder``; ``writable`` opens its (single) writer."""

    def __init__(self, folder: Path, *, writable: bool):
        t = _tantivy()
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        self.schema = _schema()
        try:
            self.index = t.Index(self.schema, path=str(folder), reuse=True)
        except ValueError as exc:
            raise InputError(f"cannot open the lexical index: {exc}", path=str(folder)) from exc
        self.writer = self.index.writer(heap_size=_HEAP, num_threads=1) if writable else None
        self._dirty = False
        self.index.reload()

    def __len__(self) -> int:
        self._refresh()
        return int(self.index.searcher().num_docs)

    def add(self, keys: np.ndarray, tokens: list[list[str]]) -> None:
        t = _tantivy()
        w = self._writer()
        for key, toks in zip(keys, tokens):
            w.delete_documents_by_term("key", int(key))
            w.add_document(t.Document(key=int(key), body=" ".join(clean_tokens(toks))))
        self._dirty = True

    def remove(self, keys: np.ndarray) -> None:
        w = self._writer()
        for key in keys:
            w.delete_documents_by_term("key", int(key))
        self._dirty = True

    def commit(self) -> None:
        if self.writer is not None and self._dirty:
            self.writer.commit()
            self._dirty = False
            self.index.reload()

    def search(self, tokens, k, allowed=None):
        t = _tantivy()
        self._refresh()
        terms = list(dict.fromkeys(clean_tokens(tokens)))
        if not terms or k <= 0:
            return np.zeros(0, np.float32), np.zeros(0, np.int64)
        should = t.Occur.Should
        query = t.Query.boolean_query([(should, t.Query.term_query(self.schema, "body", w)) for w in terms])
        if allowed is not None:
            if len(allowed) == 0:
                return np.zeros(0, np.float32), np.zeros(0, np.int64)
            only = t.Query.const_score_query(
                t.Query.term_set_query(self.schema, "key", [int(x) for x in allowed]), 0.0
            )
            query = t.Query.boolean_query([(t.Occur.Must, query), (t.Occur.Must, only)])
        searcher = self.index.searcher()
        hits = searcher.search(query, k).hits
        if not hits:
            return np.zeros(0, np.float32), np.zeros(0, np.int64)
        keys = searcher.fast_field_values("key", [a for _, a in hits])
        return np.array([s for s, _ in hits], np.float32), np.array(keys, np.int64)

    def keys(self) -> np.ndarray:
        """Every key held (for consistency checks)."""
        t = _tantivy()
        self._refresh()
        searcher = self.index.searcher()
        n = searcher.num_docs
        if n == 0:
            return np.zeros(0, np.int64)
        hits = searcher.search(t.Query.all_query(), n).hits
        return np.array(searcher.fast_field_values("key", [a for _, a in hits]), np.int64)

    def close(self) -> None:
        if self.writer is not None:
            self.commit()
            self.writer.wait_merging_threads()
            self.writer = None

    def _writer(self):
        if self.writer is None:
            raise InputError("The lexical index was opened read-only.")
        return self.writer

    def _refresh(self) -> None:
        if self._dirty:
            self.commit()


def remove_index(folder: Path) -> None:
    shutil.rmtree(folder, ignore_errors=True)


__all__ = ["MAX_TOKEN_CHARS", "TantivyLexical", "clean_tokens", "remove_index"]
