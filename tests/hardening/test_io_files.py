"""The io stage's own files: Parquet strings that are not UTF-8, one-pass reading of embeddings with
their texts, a full disk under a sink, the fsync of every file a sink writes, and plug-in formats."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
from tests.helpers import assert_one_error

from .conftest import assert_unchanged, tree_digest


def _bad_parquet(path: Path, **columns: list) -> Path:
    """A Parquet file whose string columns hold the given bytes as they are (pyarrow does not check)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.table(
        {
            name: pa.array(values, type=pa.binary()).view(pa.string())
            if any(isinstance(v, bytes) for v in values)
            else pa.array(values)
            for name, values in columns.items()
        }
    )
    pq.write_table(table, path)
    return path


# -- Parquet strings that are not UTF-8 ---------------------------------------------------------
@pytest.mark.parametrize(
    "columns, where",
    [
        ({"text": [b"gut", b"schlecht \xff", b"auch \xfe"]}, "row 2: column 'text'"),
        ({"id": [b"a", b"\xc3", b"c"], "text": [b"eins", b"zwei", b"drei"]}, "row 2: column 'id'"),
        # the earliest row is named, whichever column holds it
        (
            {"text": [b"eins", b"zwei", b"\xff"], "note": [b"ok", b"\xed\xa0\x80", b"ok"]},
            "row 2: column 'note'",
        ),
    ],
)
def test_parquet_strings_that_are_not_utf8_are_one_input_error(tmp_path, columns, where):
    from interlingua.errors import InputError
    from interlingua.io import read_records

    path = _bad_parquet(tmp_path / "in.parquet", **columns)
    with pytest.raises(InputError) as info, read_records(path) as records:
        list(records)
    message = str(info.value)
    assert str(path) in message and where in message and "not valid UTF-8" in message
    assert info.value.line == 2


def test_parquet_rows_before_a_bad_batch_are_read(tmp_path):
    from interlingua.errors import InputError
    from interlingua.io import read_records
    from interlingua.io._parquet_records import BATCH_ROWS

    texts = [f"Satz {i}".encode() for i in range(BATCH_ROWS + 5)]
    texts[BATCH_ROWS + 2] = b"\xff"
    path = _bad_parquet(tmp_path / "in.parquet", text=texts)
    seen = 0
    with (
        pytest.raises(InputError, match=f"row {BATCH_ROWS + 3}: column 'text'"),
        read_records(path) as records,
    ):
        for _ in records:
            seen += 1
    assert seen == BATCH_ROWS


def test_a_parquet_input_that_is_not_utf8_is_one_cli_error(cli, tmp_path):
    path = _bad_parquet(tmp_path / "in.parquet", text=[b"gut", b"\xff"])
    before = tree_digest(tmp_path)
    code, out, err = cli("embed", path, "-o", tmp_path / "out.npy", "-q")
    assert code == 2
    assert_one_error(code, out, err, "in.parquet", "row 2", "not valid UTF-8", alone=True)
    assert_unchanged(before, tree_digest(tmp_path))


def test_parquet_embeddings_that_are_not_utf8_are_one_input_error(tmp_path):
    from interlingua.errors import InputError
    from interlingua.io import read_embedding_texts, read_embeddings
    from interlingua.io._embeddings import read_embeddings_with_texts

    vectors = [[0.0, 1.0], [1.0, 0.0]]
    bad_id = _bad_parquet(tmp_path / "ids.parquet", id=[b"a", b"\xff"], vector=vectors)
    with pytest.raises(InputError, match="row 2: column 'id'"):
        read_embeddings(bad_id)
    bad_text = _bad_parquet(tmp_path / "texts.parquet", id=["a", "b"], text=[b"\xff", b"ok"], vector=vectors)
    assert read_embeddings(bad_text)[0] == ["a", "b"]
    for read in (read_embedding_texts, read_embeddings_with_texts):
        with pytest.raises(InputError, match="row 1: column 'text'"):
            read(bad_text)


# -- read_embeddings_with_texts: both readers in one pass ------------------------------------------
@pytest.mark.parametrize("suffix", [".npy", ".parquet", ".jsonl"])
@pytest.mark.parametrize("with_text", [False, True])
def test_embeddings_with_texts_are_what_the_two_readers_give(tmp_path, suffix, with_text):
    from interlingua.io import EmbeddingWriter, read_embedding_texts, read_embeddings
    from interlingua.io._embeddings import read_embeddings_with_texts

    path = tmp_path / f"v{suffix}"
    vectors = np.arange(12, dtype=np.float32).reshape(4, 3) / 7
    with EmbeddingWriter(path, 3, with_text=with_text) as writer:
        writer.write(["a", "b", "c", "d"], vectors, ["eins", "zwei", "drei", "vier"] if with_text else None)
    ids, got, texts = read_embeddings_with_texts(path)
    want_ids, want = read_embeddings(path)
    assert ids == want_ids == ["a", "b", "c", "d"]
    np.testing.assert_array_equal(got, want)
    assert texts == read_embedding_texts(path) == (["eins", "zwei", "drei", "vier"] if with_text else None)


def test_embeddings_with_texts_of_a_jsonl_file_from_elsewhere(tmp_path):
    from interlingua.io import read_embedding_texts
    from interlingua.io._embeddings import read_embeddings_with_texts

    empty = tmp_path / "empty.jsonl"
    empty.write_bytes(b"")
    ids, vectors, texts = read_embeddings_with_texts(empty)
    assert ids == [] and vectors.shape == (0, 0) and texts == read_embedding_texts(empty) == []
    some = tmp_path / "some.jsonl"  # one line without its text: no texts, as read_embedding_texts says
    some.write_text('{"id": "a", "text": "x", "vector": [1]}\n{"id": "b", "vector": [2]}\n', encoding="utf-8")
    ids, vectors, texts = read_embeddings_with_texts(some)
    assert ids == ["a", "b"] and vectors.shape == (2, 1) and texts is None is read_embedding_texts(some)


# -- a full disk under a sink, and the fsync of what it wrote -------------------------------------
_OPEN_FILE = {"npy": "_data", "jsonl": "_file"}


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full (Linux)")
@pytest.mark.parametrize("fmt", ["npy", "jsonl"])
@pytest.mark.parametrize("when", ["write", "close"])
def test_a_full_disk_under_a_sink_is_one_storage_error(tmp_path, fmt, when):
    """Closing a file whose flush failed tries the flush again: the cleanup must not raise that."""
    from interlingua.errors import StorageError
    from interlingua.io import EmbeddingWriter

    writer = EmbeddingWriter(tmp_path / f"v.{fmt}", 8, with_text=True, provenance={"space": "x"})
    sink = writer._sink
    getattr(sink, _OPEN_FILE[fmt]).close()
    setattr(sink, _OPEN_FILE[fmt], open("/dev/full", "r+b" if fmt == "npy" else "w", encoding=None))  # noqa: SIM115
    rows = 2000 if when == "write" else 1  # more than a write buffer, or less
    ids = [f"r{i}" for i in range(rows)]
    with pytest.raises(StorageError, match="the disk is full"):
        writer.write(ids, np.ones((rows, 8), dtype=np.float32), ["t"] * rows)
        writer.close()
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("fmt", ["npy", "parquet", "jsonl"])
def test_the_commit_fsyncs_every_file_a_sink_wrote(tmp_path, monkeypatch, fmt):
    from interlingua import _atomic
    from interlingua.io import EmbeddingWriter, output_files

    synced: list[str] = []
    real = _atomic.fsync_file
    monkeypatch.setattr(_atomic, "fsync_file", lambda p: (synced.append(Path(p).name), real(p))[1])
    path = tmp_path / f"v.{fmt}"
    with EmbeddingWriter(path, 2, with_text=True, provenance={"space": "x"}) as writer:
        writer.write(["a"], np.ones((1, 2), dtype=np.float32), ["eins"])
    written = sorted(p.name for p in output_files(path) if p.exists())
    assert written == sorted(p.name for p in tmp_path.iterdir())
    assert sorted(name.split(".", 1)[1].rsplit(".", 2)[0] for name in synced) == written


# -- plug-in formats --------------------------------------------------------------------------------
def test_a_plugin_sink_names_its_sidecars(tmp_path):
    from interlingua.io import OUTPUT_FORMATS, check_output_path, output_files
    from interlingua.io._sinks import JsonlSink

    class TsvSink(JsonlSink):
        sidecars = (*JsonlSink.sidecars, ".vocab.txt")

    OUTPUT_FORMATS.register("tsv-plugin", TsvSink, extensions=(".vtsv",))
    try:
        path = tmp_path / "v.vtsv"
        assert output_files(path) == [path, tmp_path / "v.meta.json", tmp_path / "v.vocab.txt"]
        vocab = tmp_path / "v.vocab.txt"
        vocab.write_text("an input\n", encoding="utf-8")
        from interlingua.errors import InputError

        with pytest.raises(InputError):
            check_output_path(path, protect=(vocab,))
    finally:
        OUTPUT_FORMATS._entries.pop("tsv-plugin")


def test_a_plugin_input_format_is_accepted_by_input_options(tmp_path):
    from interlingua.io import INPUT_FORMATS, InputOptions, read_records
    from interlingua.io._parsers import parse_txt

    INPUT_FORMATS.register("lines-plugin", parse_txt, extensions=(".lines",))
    try:
        assert InputOptions(format="lines-plugin").validate().format == "lines-plugin"
        path = tmp_path / "in.dat"
        path.write_text("eins\nzwei\n", encoding="utf-8")
        with read_records(path, format="lines-plugin") as records:
            assert [r.text for r in records] == ["eins", "zwei"]
    finally:
        INPUT_FORMATS._entries.pop("lines-plugin")
