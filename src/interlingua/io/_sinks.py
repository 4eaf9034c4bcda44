"""One sink per embedding output format, each writing only to temporary files.

A sink never touches the final path: its temporary files belong to a
:class:`~interlingua._atomic.Publication` that :class:`~._writer.EmbeddingWriter` commits after a
clean close, or aborts. That is what makes a crash or an exception leave any earlier output
intact. Provenance (the space, the role, the job) goes into a ``<name>.meta.json`` sidecar for
.npy and .jsonl, and into the schema metadata (key ``interlingua``) for Parquet.
"""

from __future__ import annotations

import contextlib
import json
import struct
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

import numpy as np

from .._atomic import Publication

if TYPE_CHECKING:  # pyarrow loads when a Parquet file is read or written, not on import
    import pyarrow as pa


PROVENANCE_KEY = "interlingua"
PROVENANCE_SUFFIX = ".meta.json"
#: the sidecars of a .npy matrix: one id a line, and the texts (``with_text``)
IDS_SUFFIX = ".ids.txt"
TEXTS_SUFFIX = ".texts.jsonl"

_NPY_MAGIC = b"\x93NUMPY\x01\x00"
# Placeholder row count for the .npy header written first: longer than any real count, so
# the real header (padded with spaces) fits in exactly the same bytes.
_NPY_PLACEHOLDER_ROWS = 10**20
_ROW_GROUP_BYTES = 32 << 20


def sidecar(path: Path, suffix: str) -> Path:
    """``out.npy`` -> ``out.ids.txt``: files that travel with a .npy matrix."""
    return path.with_name(path.stem + suffix)


class Sink:
    """Base: owns temporary files (in ``pub``) and knows which final path each becomes."""

    #: whether provenance goes into a ``.meta.json`` sidecar (else into the file itself)
    sidecar_provenance = True
    #: suffixes of every file the sink may write beside ``path`` (:func:`sidecar`), so that
    #: :func:`~._writer.output_files` can keep an output from replacing an input
    sidecars: tuple[str, ...] = (PROVENANCE_SUFFIX,)

    def __init__(
        self, path: Path, dim: int, with_text: bool, pub: Publication, provenance: dict[str, Any] | None
    ) -> None:
        # ``pub`` belongs to the caller, so it can delete the temporary files even when a
        # constructor fails half-way. The main file is added last: it is published last.
        self.path, self.dim, self.with_text = path, dim, with_text
        self.pub = pub
        self.provenance = provenance
        self._meta = (
            self._temp(sidecar(path, PROVENANCE_SUFFIX)) if provenance and self.sidecar_provenance else None
        )
        self.rows = 0

    def _temp(self, final: Path) -> Path:
        return self.pub.add(final)

    def _write_meta(self) -> None:
        if self._meta is not None and self.provenance is not None:
            data = {**self.provenance, "rows": self.rows, "dim": self.dim}
            self._meta.write_text(
                json.dumps(data, ensure_ascii=False, indent=1, default=str) + "\n", encoding="utf-8"
            )

    def write(self, ids: list[str], vectors: np.ndarray, texts: list[str] | None) -> None:
        raise NotImplementedError

    def finish(self) -> None:
        """Complete and close the temporary files (headers, footers); nothing is published yet.

        No fsync here: :meth:`Publication.commit <interlingua._atomic.Publication.commit>` fsyncs
        every temporary file before it moves any into place.
        """
        raise NotImplementedError

    def close_quietly(self) -> None:
        """Release open handles after a failure, raising nothing (a full disk fails the flush that
        closing tries again); the caller deletes the temporary files."""


class NpySink(Sink):
    """Raw float32 rows after a placeholder header; the real row count goes in at the end."""

    sidecars = (PROVENANCE_SUFFIX, IDS_SUFFIX, TEXTS_SUFFIX)

    def __init__(
        self, path: Path, dim: int, with_text: bool, pub: Publication, provenance: dict[str, Any] | None
    ) -> None:
        super().__init__(path, dim, with_text, pub, provenance)
        # The files stay open across write() calls; finish() or close_quietly() closes them.
        self._ids = open(self._temp(sidecar(path, IDS_SUFFIX)), "w", encoding="utf-8", newline="\n")  # noqa: SIM115
        self._texts = None
        if with_text:
            texts_path = self._temp(sidecar(path, TEXTS_SUFFIX))
            self._texts = open(texts_path, "w", encoding="utf-8", newline="\n")  # noqa: SIM115
        self._data: BinaryIO = open(self._temp(path), "r+b")  # noqa: SIM115
        self._header_size = len(npy_header(_NPY_PLACEHOLDER_ROWS, dim))
        self._data.write(npy_header(_NPY_PLACEHOLDER_ROWS, dim))

    def write(self, ids: list[str], vectors: np.ndarray, texts: list[str] | None) -> None:
        self._data.write(memoryview(np.ascontiguousarray(vectors, dtype="<f4")).cast("B"))
        self._ids.write("".join(i + "\n" for i in ids))
        if self._texts is not None and texts is not None:
            self._texts.write(
                "".join(
                    json.dumps({"id": i, "text": t}, ensure_ascii=False) + "\n" for i, t in zip(ids, texts)
                )
            )
        self.rows += len(ids)

    def finish(self) -> None:
        self._write_meta()
        self._data.seek(0)
        self._data.write(npy_header(self.rows, self.dim, size=self._header_size))
        for f in (self._ids, self._texts, self._data):
            if f is not None:
                f.close()

    def close_quietly(self) -> None:
        for f in (self._ids, self._texts, self._data):
            if f is not None:
                with contextlib.suppress(OSError):
                    f.close()


def npy_header(rows: int, dim: int, *, size: int | None = None) -> bytes:
    """A version 1.0 .npy header for a C-order little-endian float32 (rows, dim) array.

    Padded with spaces to ``size`` bytes, or to the next multiple of 64 as NumPy does.
    """
    text = f"{{'descr': '<f4', 'fortran_order': False, 'shape': ({rows}, {dim}), }}"
    bare = len(_NPY_MAGIC) + 2 + len(text) + 1
    total = size if size is not None else -(-bare // 64) * 64
    if total < bare or total - len(_NPY_MAGIC) - 2 > 0xFFFF:
        raise ValueError(f"cannot fit a .npy header for shape ({rows}, {dim}) in {total} bytes")
    body = (text + " " * (total - bare) + "\n").encode("latin1")
    return _NPY_MAGIC + struct.pack("<H", len(body)) + body


class ParquetSink(Sink):
    """Columns id, [text], vector (fixed_size_list<float32>[dim]), in row groups of ~32 MB."""

    sidecar_provenance = False
    sidecars = ()

    def __init__(
        self, path: Path, dim: int, with_text: bool, pub: Publication, provenance: dict[str, Any] | None
    ) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        super().__init__(path, dim, with_text, pub, provenance)
        columns = [pa.field("id", pa.string(), nullable=False)]
        if with_text:
            columns.append(pa.field("text", pa.string(), nullable=False))
        columns.append(pa.field("vector", pa.list_(pa.float32(), dim), nullable=False))
        meta = (
            {PROVENANCE_KEY: json.dumps(provenance, ensure_ascii=False, default=str)} if provenance else None
        )
        self.schema = pa.schema(columns, metadata=meta)
        # No dictionary encoding: ids and texts are unique, and a dictionary-encoded vector
        # column read about 7x slower (1.15 s against 0.15 s for 100k x 384 here). Byte stream
        # split suits float data: 15% smaller at the same speed.
        self._writer = pq.ParquetWriter(
            str(self._temp(path)),
            self.schema,
            use_dictionary=False,
            use_byte_stream_split=["vector.list.element"],
        )
        self._group_rows = max(1024, min(65536, _ROW_GROUP_BYTES // (4 * dim)))
        self._pending: list[pa.RecordBatch] = []
        self._pending_rows = 0

    def write(self, ids: list[str], vectors: np.ndarray, texts: list[str] | None) -> None:
        import pyarrow as pa

        flat = pa.array(np.ascontiguousarray(vectors, dtype=np.float32).reshape(-1), type=pa.float32())
        arrays = [pa.array(ids, type=pa.string())]
        if self.with_text:
            arrays.append(pa.array(texts, type=pa.string()))
        arrays.append(pa.FixedSizeListArray.from_arrays(flat, self.dim))
        self._pending.append(pa.RecordBatch.from_arrays(arrays, schema=self.schema))
        self._pending_rows += len(ids)
        self.rows += len(ids)
        if self._pending_rows >= self._group_rows:
            self._flush()

    def _flush(self) -> None:
        import pyarrow as pa

        if self._pending:
            self._writer.write_table(
                pa.Table.from_batches(self._pending, schema=self.schema), row_group_size=self._group_rows
            )
        self._pending, self._pending_rows = [], 0

    def finish(self) -> None:
        self._flush()
        self._writer.close()

    def close_quietly(self) -> None:
        self._pending = []
        with contextlib.suppress(OSError):
            self._writer.close()


class JsonlSink(Sink):
    """One object a line: {"id", ["text"], "vector"}; floats written exactly (read back bit-equal)."""

    def __init__(
        self, path: Path, dim: int, with_text: bool, pub: Publication, provenance: dict[str, Any] | None
    ) -> None:
        super().__init__(path, dim, with_text, pub, provenance)
        self._file = open(self._temp(path), "w", encoding="utf-8", newline="\n")  # noqa: SIM115 (closed in finish)

    def write(self, ids: list[str], vectors: np.ndarray, texts: list[str] | None) -> None:
        rows = np.asarray(vectors, dtype=np.float32).tolist()
        lines = []
        for k, (ident, vector) in enumerate(zip(ids, rows)):
            obj: dict[str, object] = {"id": ident}
            if self.with_text and texts is not None:
                obj["text"] = texts[k]
            obj["vector"] = vector
            lines.append(json.dumps(obj, ensure_ascii=False) + "\n")
        self._file.write("".join(lines))
        self.rows += len(ids)

    def finish(self) -> None:
        self._write_meta()
        self._file.close()

    def close_quietly(self) -> None:
        with contextlib.suppress(OSError):
            self._file.close()
