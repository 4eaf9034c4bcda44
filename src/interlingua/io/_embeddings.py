"""``read_embeddings``: load what :class:`EmbeddingWriter` wrote (or the same layout from elsewhere)."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from ..errors import InputError
from ._formats import output_format
from ._lines import check_input_file, check_text_sample, iter_lines
from ._parquet_records import column_values
from ._parsers import id_value, json_line, json_type
from ._sinks import IDS_SUFFIX, PROVENANCE_KEY, PROVENANCE_SUFFIX, TEXTS_SUFFIX, sidecar

if TYPE_CHECKING:  # pyarrow loads when a Parquet file is read or written, not on import
    import pyarrow as pa


# A JSONL line holds a whole vector: 4,096 dimensions at ~25 characters each fit easily.
_JSONL_MAX_CHARS = 10_000_000


def read_embeddings(path: str | os.PathLike[str], *, fmt: str | None = None) -> tuple[list[str], np.ndarray]:
    """Return ``(ids, vectors)``: ids in file order and a float32 ``(n, dim)`` matrix.

    A ``.npy`` matrix is memory-mapped (read-only) and its ids come from ``<name>.ids.txt``;
    Parquet and JSONL are read into memory. An empty JSONL file gives shape ``(0, 0)``, since
    it cannot record its dimension.
    """
    ids, vectors, _ = _read(Path(path), fmt, with_texts=False)
    return ids, vectors


def read_embeddings_with_texts(
    path: str | os.PathLike[str], *, fmt: str | None = None
) -> tuple[list[str], np.ndarray, list[str] | None]:
    """``(ids, vectors, texts)``: :func:`read_embeddings` and :func:`read_embedding_texts` in one
    pass over the file (the errors are theirs, in that order)."""
    return _read(Path(path), fmt, with_texts=True)


def _read(path: Path, fmt: str | None, *, with_texts: bool) -> tuple[list[str], np.ndarray, list[str] | None]:
    kind = output_format(path, fmt)
    check_input_file(path, allow_empty=kind == "jsonl")
    if kind == "npy":
        ids, vectors = _read_npy(path)
        return ids, vectors, _sidecar_texts(path) if with_texts else None
    if kind == "parquet":
        return _read_parquet(path, with_texts)
    return _read_jsonl(path, with_texts)


def _read_npy(path: Path) -> tuple[list[str], np.ndarray]:
    try:
        matrix = np.load(path, mmap_mode="r", allow_pickle=False)
    except (ValueError, OSError) as exc:
        raise InputError(f"is not a valid .npy file ({exc})", path=str(path)) from None
    if matrix.ndim != 2 or matrix.dtype.kind != "f":
        raise InputError(
            f"holds a {matrix.dtype} array of shape {matrix.shape}; expected a 2-D float matrix",
            path=str(path),
        )
    if matrix.dtype != np.float32:
        matrix = np.asarray(matrix, dtype=np.float32)
    ids_path = sidecar(path, IDS_SUFFIX)
    if not ids_path.is_file():
        raise InputError(
            f"has no ids file next to it; expected {ids_path.name} with one id a line", path=str(path)
        )
    check_input_file(ids_path, allow_empty=matrix.shape[0] == 0)
    with open(ids_path, "rb") as f:
        ids = [text for _, text in iter_lines(f, ids_path, _JSONL_MAX_CHARS)]
    if len(ids) != matrix.shape[0]:
        raise InputError(
            f"has {len(ids):,} ids but {path.name} has {matrix.shape[0]:,} rows; the two files do not belong "
            "together",
            path=str(ids_path),
        )
    return ids, matrix


def _schema(path: Path) -> pa.Schema:
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        return pq.read_schema(path)
    except (pa.ArrowException, OSError) as exc:
        raise InputError(f"is not a valid Parquet file ({exc})", path=str(path)) from None


def _read_parquet(path: Path, with_texts: bool = False) -> tuple[list[str], np.ndarray, list[str] | None]:
    """Ids and vectors, and the texts when asked and there is a ``text`` column (else None)."""
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    names = _schema(path).names
    for column in ("id", "vector"):
        if column not in names:
            raise InputError(f"has no column {column!r}; the columns are: {', '.join(names)}", path=str(path))
    with_texts = with_texts and "text" in names
    # read_table, not ParquetFile.read: it pre-buffers column chunks, several times faster here.
    table = pq.read_table(path, columns=["id", "vector", "text"] if with_texts else ["id", "vector"])
    ids = [
        id_value(v, "id", path, row, unit="row")
        for row, v in enumerate(column_values(path, {"id": table.column("id")})["id"], 1)
    ]
    column = table.column("vector").combine_chunks()
    kind = column.type
    if not (pa.types.is_fixed_size_list(kind) or pa.types.is_list(kind) or pa.types.is_large_list(kind)):
        raise InputError(f"column 'vector' has type {kind}; expected a list of floats", path=str(path))
    if column.null_count:
        raise InputError("column 'vector' has null rows; every row needs a vector", path=str(path))
    if not pa.types.is_floating(kind.value_type):
        raise InputError(f"column 'vector' has type {kind}; expected a list of floats", path=str(path))
    n = len(column)
    if pa.types.is_fixed_size_list(kind):
        dim = kind.list_size
    else:
        lengths = pc.list_value_length(column).to_numpy(zero_copy_only=False)
        dim = int(lengths[0]) if n else 0
        if n and (lengths != dim).any():
            row = int(np.argmax(lengths != dim)) + 1
            raise InputError(
                f"row {row}: the vector has {lengths[row - 1]} values but row 1 has {dim}", path=str(path)
            )
    values = column.flatten().to_numpy(zero_copy_only=False)
    texts = _parquet_texts(path, table) if with_texts else None
    return ids, np.ascontiguousarray(values, dtype=np.float32).reshape(n, dim), texts


def _parquet_texts(path: Path, table: pa.Table) -> list[str]:
    return [str(t) for t in column_values(path, {"text": table.column("text")})["text"]]


def _read_jsonl(path: Path, with_texts: bool = False) -> tuple[list[str], np.ndarray, list[str] | None]:
    """Ids, vectors and, when asked, the texts: None unless every line has a "text" string."""
    texts: list[str] | None = [] if with_texts else None
    if path.stat().st_size == 0:
        return [], np.empty((0, 0), dtype=np.float32), texts
    check_text_sample(path)
    ids: list[str] = []
    rows: list[np.ndarray] = []
    with open(path, "rb") as f:
        for number, text in iter_lines(f, path, _JSONL_MAX_CHARS):
            obj = json_line(text, path, number)
            if not isinstance(obj, dict) or "id" not in obj or "vector" not in obj:
                raise InputError(
                    'each line must be a JSON object with "id" and "vector"', path=str(path), line=number
                )
            vector = obj["vector"]
            if not isinstance(vector, list) or not all(
                isinstance(x, (int, float)) and not isinstance(x, bool) for x in vector
            ):
                raise InputError(
                    f'field "vector" is {json_type(vector)}; it must be an array of numbers',
                    path=str(path),
                    line=number,
                )
            if rows and len(vector) != rows[0].shape[0]:
                raise InputError(
                    f"the vector has {len(vector)} values but the first line's has {rows[0].shape[0]}",
                    path=str(path),
                    line=number,
                )
            ids.append(id_value(obj["id"], "id", path, number))
            rows.append(np.asarray(vector, dtype=np.float32))
            if texts is not None:
                text = obj.get("text")
                if isinstance(text, str):
                    texts.append(text)
                else:
                    texts = None
    if not rows:
        return [], np.empty((0, 0), dtype=np.float32), texts
    return ids, np.stack(rows), texts


def read_provenance(path: str | os.PathLike[str], *, fmt: str | None = None) -> dict | None:
    """What made an embeddings file (space, role, job), or None for a file from elsewhere.

    A ``.meta.json`` sidecar for .npy and .jsonl, the ``interlingua`` schema metadata for Parquet.
    A damaged record is an error naming the file (never silently ignored: it guards mixing spaces).
    """
    p = Path(path)
    kind = output_format(p, fmt)
    if kind == "parquet":
        meta = _schema(p).metadata or {}
        raw = meta.get(PROVENANCE_KEY.encode())
        where = str(p)
        if raw is None:
            return None
    else:
        side = sidecar(p, PROVENANCE_SUFFIX)
        if not side.is_file():
            return None
        try:
            raw = side.read_bytes()
        except OSError as exc:
            raise InputError(
                f"cannot read the provenance file: {exc.strerror or exc}", path=str(side)
            ) from None
        where = str(side)
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise InputError(
            f"the provenance record is not valid JSON ({exc}); delete it or re-embed", path=where
        ) from None
    if not isinstance(data, dict):
        raise InputError("the provenance record must be a JSON object; delete it or re-embed", path=where)
    return data


def read_embedding_texts(path: str | os.PathLike[str], *, fmt: str | None = None) -> list[str] | None:
    """The texts stored beside the vectors (``--with-text``), in row order; None when there are none."""
    import pyarrow.parquet as pq

    p = Path(path)
    kind = output_format(p, fmt)
    if kind == "parquet":
        if "text" not in _schema(p).names:
            return None
        return _parquet_texts(p, pq.read_table(p, columns=["text"]))
    if kind == "npy":
        return _sidecar_texts(p)
    return _jsonl_texts(p, strict=False)


def _sidecar_texts(path: Path) -> list[str] | None:
    """The texts of a .npy matrix from its ``.texts.jsonl`` sidecar, or None without one."""
    return _jsonl_texts(sidecar(path, TEXTS_SUFFIX), strict=True)


def _jsonl_texts(source: Path, *, strict: bool) -> list[str] | None:
    """The ``"text"`` of every line; None when the file is missing, or (not ``strict``) when a
    line has none: a JSONL of vectors need not carry texts, a texts sidecar must."""
    if not source.is_file():
        return None
    texts: list[str] = []
    with open(source, "rb") as f:
        for number, line in iter_lines(f, source, _JSONL_MAX_CHARS):
            obj = json_line(line, source, number)
            if not isinstance(obj, dict) or not isinstance(obj.get("text"), str):
                if not strict:
                    return None
                raise InputError(
                    'each line must be a JSON object with a "text" string', path=str(source), line=number
                )
            texts.append(obj["text"])
    return texts
