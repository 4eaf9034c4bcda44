"""EmbeddingWriter and read_embeddings: round trips, atomic publication, clear errors."""

from __future__ import annotations

import gc
import json
from io import BytesIO
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from interlingua.errors import InputError
from interlingua.io import EmbeddingWriter, _sinks, output_extensions, read_embeddings
from interlingua.io._sinks import npy_header

FORMATS = ["npy", "parquet", "jsonl"]


def _vectors(n: int, dim: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal((n, dim)).astype(np.float32)


def _write(path: Path, batches: list[tuple[list[str], np.ndarray]], dim: int, **kwargs: object) -> None:
    with EmbeddingWriter(path, dim, **kwargs) as writer:  # type: ignore[arg-type]
        for ids, vectors in batches:
            texts = [f"text of {i}" for i in ids] if kwargs.get("with_text") else None
            writer.write(ids, vectors, texts)


def _listing(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("with_text", [False, True])
def test_round_trip_keeps_order_and_values(tmp_path: Path, fmt: str, with_text: bool) -> None:
    path = tmp_path / f"out.{fmt}"
    a, b = _vectors(3, 5, 1), _vectors(2, 5, 2)
    _write(
        path,
        [(["x", "é", "3"], a), (["y", "z"], b), ([], np.zeros((0, 5), np.float32))],
        5,
        with_text=with_text,
    )
    ids, vectors = read_embeddings(path)
    assert ids == ["x", "é", "3", "y", "z"]
    assert vectors.dtype == np.float32 and vectors.shape == (5, 5)
    np.testing.assert_array_equal(vectors, np.vstack([a, b]))  # bit-exact, JSONL included
    assert not [name for name in _listing(tmp_path) if name.endswith(".tmp")]


def test_npy_is_memory_mapped_with_sidecars(tmp_path: Path) -> None:
    path = tmp_path / "out.npy"
    _write(path, [(["a", "b"], _vectors(2, 4))], 4, with_text=True)
    assert _listing(tmp_path) == ["out.ids.txt", "out.npy", "out.texts.jsonl"]
    _, vectors = read_embeddings(path)
    assert isinstance(vectors, np.memmap)
    assert np.load(path).shape == (2, 4)  # a plain .npy that NumPy itself reads
    assert (tmp_path / "out.ids.txt").read_text(encoding="utf-8") == "a\nb\n"
    texts = [
        json.loads(line) for line in (tmp_path / "out.texts.jsonl").read_text(encoding="utf-8").splitlines()
    ]
    assert texts == [{"id": "a", "text": "text of a"}, {"id": "b", "text": "text of b"}]


def test_npy_header_matches_numpy_for_any_row_count() -> None:
    placeholder = len(npy_header(10**20, 384))
    for rows in (0, 1, 12345, 10**12):
        header = npy_header(rows, 384, size=placeholder)
        assert len(header) == placeholder and len(header) % 64 == 0
        stream = BytesIO(header)
        assert np.lib.format.read_magic(stream) == (1, 0)
        shape, fortran, dtype = np.lib.format.read_array_header_1_0(stream)
        assert (shape, fortran, dtype) == ((rows, 384), False, np.dtype("<f4"))


def test_parquet_schema_and_row_groups(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_sinks, "_ROW_GROUP_BYTES", 1)  # smallest groups: 1,024 rows
    path = tmp_path / "out.parquet"
    _write(
        path,
        [([str(i) for i in range(k, k + 500)], _vectors(500, 8, k)) for k in range(0, 3000, 500)],
        8,
        with_text=True,
    )
    pf = pq.ParquetFile(path)
    assert pf.schema_arrow.names == ["id", "text", "vector"]
    assert pf.schema_arrow.field("vector").type == pa.list_(pa.float32(), 8)
    assert pf.metadata.num_rows == 3000 and pf.metadata.num_row_groups >= 2
    vector_chunk = pf.metadata.row_group(0).column(2)
    assert vector_chunk.path_in_schema == "vector.list.element"
    assert "BYTE_STREAM_SPLIT" in vector_chunk.encodings  # not dictionary: much faster to read


def test_empty_output(tmp_path: Path) -> None:
    for fmt in FORMATS:
        path = tmp_path / f"empty.{fmt}"
        with EmbeddingWriter(path, 7):
            pass
        ids, vectors = read_embeddings(path)
        assert ids == [] and vectors.shape[0] == 0
        assert vectors.shape[1] == (0 if fmt == "jsonl" else 7)


@pytest.mark.parametrize("fmt", FORMATS)
def test_exception_leaves_nothing_behind(tmp_path: Path, fmt: str) -> None:
    path = tmp_path / f"out.{fmt}"
    with pytest.raises(RuntimeError, match="encoder crashed"), EmbeddingWriter(path, 4, with_text=True) as w:
        w.write(["a"], _vectors(1, 4), ["t"])
        raise RuntimeError("encoder crashed")
    assert _listing(tmp_path) == []


@pytest.mark.parametrize("fmt", FORMATS)
def test_exception_keeps_existing_output_intact(tmp_path: Path, fmt: str) -> None:
    path = tmp_path / f"out.{fmt}"
    _write(path, [(["old1", "old2"], _vectors(2, 4))], 4)
    before = {name: (tmp_path / name).read_bytes() for name in _listing(tmp_path)}
    with pytest.raises(InputError), EmbeddingWriter(path, 4) as writer:
        writer.write(["new"], _vectors(1, 4))
        writer.write(["bad"], _vectors(1, 3))  # wrong dimension: fails inside the with
    assert {name: (tmp_path / name).read_bytes() for name in _listing(tmp_path)} == before
    assert read_embeddings(path)[0] == ["old1", "old2"]


def test_writer_dropped_without_close_leaves_no_temporary_files(tmp_path: Path) -> None:
    writer = EmbeddingWriter(tmp_path / "out.npy", 4)
    writer.write(["a"], _vectors(1, 4))
    assert any(name.endswith(".tmp") for name in _listing(tmp_path))
    del writer
    gc.collect()
    assert _listing(tmp_path) == []


def test_clean_close_replaces_existing_output(tmp_path: Path) -> None:
    path = tmp_path / "out.npy"
    _write(path, [(["old"], _vectors(1, 4))], 4)
    _write(path, [(["new1", "new2"], _vectors(2, 4))], 4)
    assert read_embeddings(path)[0] == ["new1", "new2"]


@pytest.mark.parametrize(
    ("call", "fragment"),
    [
        (lambda w: w.write(["a"], _vectors(2, 4)), "shape (1, 4)"),
        (lambda w: w.write(["a"], [[0.0] * 4]), "numpy array"),
        (lambda w: w.write(["a"], np.ones((1, 4), dtype=np.int64)), "floats"),
        (lambda w: w.write(["a", "b"], np.array([[0, 0, 0, 0], [0, np.nan, 0, 0]], np.float32)), "id 'b'"),
        (lambda w: w.write(["a"], _vectors(1, 4), ["text"]), "with_text=False"),
        (lambda w: w.write([""], _vectors(1, 4)), "empty"),
        (lambda w: w.write(["a\nb"], _vectors(1, 4)), "line break"),
        (lambda w: w.write([1], _vectors(1, 4)), "must be a string"),
    ],
)
def test_write_rejects_bad_batches(tmp_path: Path, call, fragment: str) -> None:
    path = tmp_path / "out.npy"
    with pytest.raises(InputError) as info, EmbeddingWriter(path, 4) as writer:
        call(writer)
    assert fragment in str(info.value)
    assert _listing(tmp_path) == []


def test_with_text_requires_texts(tmp_path: Path) -> None:
    path = tmp_path / "o.jsonl"
    with (
        pytest.raises(InputError, match="'texts' parameter is required"),
        EmbeddingWriter(path, 2, with_text=True) as w,
    ):
        w.write(["a"], _vectors(1, 2))
    with pytest.raises(InputError, match="2 texts for 1 ids"), EmbeddingWriter(path, 2, with_text=True) as w:
        w.write(["a"], _vectors(1, 2), ["x", "y"])
    assert _listing(tmp_path) == []


def test_writer_refuses_after_close(tmp_path: Path) -> None:
    writer = EmbeddingWriter(tmp_path / "o.parquet", 2)
    writer.close()
    with pytest.raises(InputError, match="closed"):
        writer.write(["a"], _vectors(1, 2))


def test_unknown_output_extension_lists_supported(tmp_path: Path) -> None:
    with pytest.raises(InputError) as info:
        EmbeddingWriter(tmp_path / "out.csv", 4)
    message = str(info.value)
    assert "out.csv" in message and ".csv" in message
    assert all(ext in message for ext in output_extensions())
    assert _listing(tmp_path) == []


@pytest.mark.parametrize(("dim", "fragment"), [(0, "'dim' parameter"), (2.5, "'dim' parameter")])
def test_bad_dim(tmp_path: Path, dim: object, fragment: str) -> None:
    with pytest.raises(InputError, match=fragment):
        EmbeddingWriter(tmp_path / "o.npy", dim)  # type: ignore[arg-type]


def test_missing_output_folder(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="does not exist"):
        EmbeddingWriter(tmp_path / "nope" / "o.npy", 4)


def test_read_npy_without_ids_sidecar(tmp_path: Path) -> None:
    path = tmp_path / "m.npy"
    np.save(path, _vectors(2, 3))
    with pytest.raises(InputError, match="m.ids.txt"):
        read_embeddings(path)
    (tmp_path / "m.ids.txt").write_text("a\n", encoding="utf-8")
    with pytest.raises(InputError, match="has 1 ids but m.npy has 2 rows"):
        read_embeddings(path)


def test_read_jsonl_errors_name_the_line(tmp_path: Path) -> None:
    path = tmp_path / "e.jsonl"
    path.write_text('{"id": "a", "vector": [1, 2]}\n{"id": "b", "vector": [1]}\n', encoding="utf-8")
    with pytest.raises(InputError, match=r"e.jsonl, line 2: the vector has 1 values"):
        read_embeddings(path)
    path.write_text('{"id": "a", "vector": "oops"}\n', encoding="utf-8")
    with pytest.raises(InputError, match=r"line 1: field \"vector\" is a string"):
        read_embeddings(path)


def test_read_parquet_with_variable_lists(tmp_path: Path) -> None:
    path = tmp_path / "v.parquet"
    pq.write_table(pa.table({"id": [1, 2], "vector": [[1.0, 2.0], [3.0, 4.0]]}), path)
    ids, vectors = read_embeddings(path)
    assert ids == ["1", "2"] and vectors.tolist() == [[1.0, 2.0], [3.0, 4.0]]
    pq.write_table(pa.table({"id": ["a", "b"], "vector": [[1.0, 2.0], [3.0]]}), path)
    with pytest.raises(InputError, match="row 2: the vector has 1 values but row 1 has 2"):
        read_embeddings(path)
    pq.write_table(pa.table({"key": ["a"]}), path)
    with pytest.raises(InputError, match="no column 'id'; the columns are: key"):
        read_embeddings(path)
