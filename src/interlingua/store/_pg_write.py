"""Writing a PostgreSQL collection: one transaction per batch, rows sent with binary COPY.

A batch is checked before anything is sent (a duplicate id, a NUL character PostgreSQL text
cannot hold), then written in one transaction that also bumps the change counter: when
:func:`write_batch` returns, the batch is committed; when it raises, nothing of it is stored.
Vectors and tsvectors are encoded here in PostgreSQL's binary formats (pgvector's ``vector_send``:
int16 dimension, int16 unused, big-endian float4s; ``tsvector_send``: the lexeme count, then per
lexeme its UTF-8 bytes, a NUL, the number of positions and the positions), so the server parses
nothing: the tokens are exactly those the collection's segmenter made, CJK and Thai included.
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ..errors import DuplicateIdError, InputError
from ._catalog import Document
from ._lexical_tantivy import clean_tokens

#: tsvector limits (PostgreSQL's MAXENTRYPOS - 1, MAXNUMPOS, MAXSTRPOS)
_MAX_POS, _MAX_NPOS, _MAX_LEXEMES_BYTES = 16383, 256, (1 << 20) - 1
TSVECTOR_OID = 3614
_COPY = "COPY docs (id, text, lang, meta, tokens, tsv, embedding) FROM STDIN (FORMAT BINARY)"


class VectorBlob(bytes):
    """A vector in pgvector's binary format (bound as ``vector``)."""


class TsvectorBlob(bytes):
    """A tsvector in PostgreSQL's binary format (bound as ``tsvector``)."""


def register_types(conn: Any) -> None:
    """Binary dumpers for the two blob types, bound to this database's ``vector`` oid."""
    from psycopg.adapt import Dumper
    from psycopg.pq import Format
    from psycopg.types import TypeInfo

    info = TypeInfo.fetch(conn, "vector")
    if info is None:  # the extension was dropped under the collection
        from ..errors import DatabaseError

        raise DatabaseError("the database has no pgvector type 'vector' (was the extension dropped?)")
    info.register(conn)

    class _Raw(Dumper):
        format = Format.BINARY

        def dump(self, obj: Any) -> bytes:
            return bytes(obj)

    conn.adapters.register_dumper(VectorBlob, type("VectorDumper", (_Raw,), {"oid": info.oid}))
    conn.adapters.register_dumper(TsvectorBlob, type("TsvectorDumper", (_Raw,), {"oid": TSVECTOR_OID}))


def vector_blobs(vectors: np.ndarray) -> list[VectorBlob]:
    v = np.ascontiguousarray(vectors, dtype=">f4")
    n, d = v.shape
    out = np.empty((n, 4 + 4 * d), np.uint8)
    out[:, :4] = np.frombuffer(struct.pack(">HH", d, 0), np.uint8)
    out[:, 4:] = v.view(np.uint8).reshape(n, 4 * d)
    return [VectorBlob(row.tobytes()) for row in out]


def tsvector_blob(tokens: Sequence[str]) -> TsvectorBlob:
    """Cleaned tokens (``clean_tokens``: no NUL, cut like the tantivy index's) as a tsvector with
    their 1-based positions. Long texts meet PostgreSQL's limits: past position 16,383 every
    token counts as 16,383, a lexeme keeps at most 256 positions, lexemes at most 1 MB in all."""
    positions: dict[str, list[int]] = {}
    for i, token in enumerate(tokens, start=1):
        held = positions.get(token)
        if held is None:
            positions[token] = [i]
        else:
            held.append(i)
    items = sorted((t.encode("utf-8"), p) for t, p in positions.items())
    if len(tokens) > 4000:  # only a long text can reach a limit
        items = _within_limits(items)
    parts = [struct.pack(">i", len(items))]
    for lexeme, held in items:
        if len(held) > _MAX_NPOS:
            held = held[:_MAX_NPOS]
        parts += (lexeme, b"\x00", struct.pack(f">H{len(held)}H", len(held), *held))
    return TsvectorBlob(b"".join(parts))


def _within_limits(items: list[tuple[bytes, list[int]]]) -> list[tuple[bytes, list[int]]]:
    out, size = [], 0
    for lexeme, held in items:
        size += len(lexeme)
        if size > _MAX_LEXEMES_BYTES:
            break
        clamped = sorted({min(p, _MAX_POS) for p in held})
        out.append((lexeme, clamped))
    return out


def check_storable(docs: Sequence[Document]) -> None:
    """What PostgreSQL cannot hold, refused before anything is sent."""
    seen: set[str] = set()
    for d in docs:
        for name, value in (("id", d.id), ("text", d.text), ("language", d.lang)):
            if "\x00" in value:
                raise InputError(
                    f"The {name} of document {d.id!r} holds a NUL character (U+0000), which PostgreSQL text "
                    "cannot hold; remove it. Nothing of its batch was stored."
                )
        if d.id in seen:
            raise DuplicateIdError(
                f"The document id {d.id!r} appears twice in one batch; nothing of it was stored."
            )
        seen.add(d.id)


def bump(conn: Any) -> None:
    conn.execute("UPDATE counter SET changes = changes + 1")


def write_batch(
    conn: Any,
    docs: Sequence[Document],
    vectors: np.ndarray,
    tokens: Sequence[Sequence[str]],
    *,
    upsert: bool,
    before: Any = None,
) -> list[int]:
    """Insert one batch in one transaction; the keys an upsert replaced. ``before(conn)`` runs first
    inside the transaction (dropping the HNSW index before a bulk load)."""
    import psycopg
    from psycopg.types.json import Jsonb

    check_storable(docs)
    ids = [d.id for d in docs]
    blobs = vector_blobs(vectors)
    with conn.transaction():
        bump(conn)
        if upsert:
            replaced = [
                k for (k,) in conn.execute("DELETE FROM docs WHERE id = ANY(%s) RETURNING key", (ids,))
            ]
        else:
            replaced = []
            row = conn.execute("SELECT id FROM docs WHERE id = ANY(%s) LIMIT 1", (ids,)).fetchone()
            if row is not None:
                raise DuplicateIdError(
                    f"The document id {row[0]!r} is already in the collection; use upsert to replace it. "
                    "Nothing of its batch was stored."
                )
        if before is not None:
            before(conn)
        with conn.cursor() as cur:
            try:
                with cur.copy(_COPY) as copy:
                    copy.set_types(["text", "text", "text", "jsonb", "text[]", TSVECTOR_OID, blobs_oid(conn)])
                    for d, toks, blob in zip(docs, tokens, blobs):
                        kept = clean_tokens(list(toks))
                        copy.write_row((d.id, d.text, d.lang, Jsonb(d.meta), kept, tsvector_blob(kept), blob))
            except psycopg.errors.UniqueViolation:
                raise DuplicateIdError(
                    "A document id of the batch is already in the collection (another writer?); nothing of "
                    "its batch was stored."
                ) from None
        names = sorted({k for d in docs for k in d.meta})
        if names:
            conn.execute(
                "INSERT INTO fields (name) SELECT unnest(%s::text[]) ON CONFLICT DO NOTHING", (names,)
            )
    return replaced


def blobs_oid(conn: Any) -> int:
    """The ``vector`` oid :func:`register_types` registered on this connection."""
    return conn.adapters.types["vector"].oid


def delete_ids(conn: Any, ids: Sequence[str]) -> list[int]:
    with conn.transaction():
        bump(conn)
        return [k for (k,) in conn.execute("DELETE FROM docs WHERE id = ANY(%s) RETURNING key", (list(ids),))]


def retokenize(conn: Any, segment: Callable[[str], list[str]]) -> None:
    """Segment every text again and recompute its tokens and tsvector, in one transaction (a
    chunk of rows read, then copied into a temporary table: a connection runs one statement at
    a time)."""
    with conn.transaction():
        conn.execute("CREATE TEMP TABLE retok (key bigint, tokens text[], tsv tsvector) ON COMMIT DROP")
        last = -1
        while True:  # a chunk read, then copied (a connection runs one statement at a time)
            rows = conn.execute(
                "SELECT key, text FROM docs WHERE key > %s ORDER BY key LIMIT 5000", (last,)
            ).fetchall()
            if not rows:
                break
            last = rows[-1][0]
            with conn.cursor() as cur, cur.copy("COPY retok FROM STDIN (FORMAT BINARY)") as copy:
                copy.set_types(["int8", "text[]", TSVECTOR_OID])
                for key, text in rows:
                    toks = clean_tokens(segment(text))
                    copy.write_row((key, toks, tsvector_blob(toks)))
        conn.execute("UPDATE docs SET tokens = r.tokens, tsv = r.tsv FROM retok r WHERE docs.key = r.key")
        bump(conn)


__all__ = [
    "TsvectorBlob",
    "VectorBlob",
    "delete_ids",
    "register_types",
    "retokenize",
    "tsvector_blob",
    "write_batch",
]
