"""read_records and count_records on well-formed input: every format, streaming, skip_empty."""

from __future__ import annotations

import json
import tracemalloc
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from interlingua.errors import InputError
from interlingua.io import (
    INPUT_FORMATS,
    Record,
    _parquet_records,
    count_records,
    input_extensions,
    read_records,
)


def _write(path: Path, text: str) -> Path:
    path.write_bytes(text.encode("utf-8"))
    return path


def test_txt_round_trip_with_bom_crlf_and_unicode(tmp_path: Path) -> None:
    path = tmp_path / "in.txt"
    path.write_bytes(b"\xef\xbb\xbfHello world\r\n" + "Привет мир\n".encode() + "你好，世界".encode())
    records = list(read_records(path))
    assert [r.text for r in records] == ["Hello world", "Привет мир", "你好，世界"]
    assert [r.id for r in records] == ["1", "2", "3"]
    assert [r.line for r in records] == [1, 2, 3]
    assert all(r.lang is None and r.meta == {} for r in records)


def test_tsv_round_trip_with_fields_meta_and_crlf(tmp_path: Path) -> None:
    path = _write(
        tmp_path / "in.tsv", "id\tlang\tsentence\tsource\r\na1\tde\tGuten Tag\tweb\r\nb2\t\tBonjour\tbook\r\n"
    )
    records = list(read_records(path, text_field="sentence", id_field="id", lang_field="lang"))
    assert records == [
        Record("a1", "Guten Tag", "de", 2, {"source": "web"}),
        Record("b2", "Bonjour", None, 3, {"source": "book"}),
    ]


def test_jsonl_round_trip_with_meta_and_integer_ids(tmp_path: Path) -> None:
    rows = [{"n": 7, "text": "Hola", "lang": "es", "tags": ["x"]}, {"n": 8, "text": "Ciao", "lang": None}]
    path = _write(tmp_path / "in.jsonl", "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows))
    records = list(read_records(path, id_field="n", lang_field="lang"))
    assert records == [Record("7", "Hola", "es", 1, {"tags": ["x"]}), Record("8", "Ciao", None, 2, {})]


def test_parquet_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "in.parquet"
    table = pa.table(
        {"doc": ["d1", "d2"], "body": ["Merhaba", "Γεια σου"], "lang": ["tr", "el"], "year": [1, 2]}
    )
    pq.write_table(table, path)
    records = list(read_records(path, text_field="body", id_field="doc", lang_field="lang"))
    assert records == [
        Record("d1", "Merhaba", "tr", 1, {"year": 1}),
        Record("d2", "Γεια σου", "el", 2, {"year": 2}),
    ]


def test_parquet_is_read_batch_by_batch(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "big.parquet"
    pq.write_table(pa.table({"text": [f"text {i}" for i in range(1000)]}), path, row_group_size=100)
    monkeypatch.setattr(_parquet_records, "BATCH_ROWS", 50)
    fetched: list[int] = []
    real = pq.ParquetFile.iter_batches

    def spy(self: pq.ParquetFile, *args: object, **kwargs: object):
        for batch in real(self, *args, **kwargs):
            fetched.append(batch.num_rows)
            yield batch

    monkeypatch.setattr(pq.ParquetFile, "iter_batches", spy)
    monkeypatch.setattr(pq.ParquetFile, "read", lambda *a, **k: pytest.fail("read the whole file"))
    reader = read_records(path)
    first = next(reader)
    assert (first.id, first.text) == ("1", "text 0")
    assert fetched == [50]  # one batch in memory, not the file
    rest = list(reader)
    assert len(rest) == 999 and rest[-1].id == "1000"
    assert sum(fetched) == 1000 and max(fetched) == 50


def test_fmt_overrides_the_extension(tmp_path: Path) -> None:
    path = _write(tmp_path / "data.csv", "text\tid\nuno\tx\n")
    assert [r.id for r in read_records(path, fmt="tsv", id_field="id")] == ["x"]
    jsonl = _write(tmp_path / "data.JSONL", '{"text": "a"}\n')
    assert [r.text for r in read_records(jsonl)] == ["a"]


def test_skip_empty_skips_and_counts(tmp_path: Path) -> None:
    path = _write(tmp_path / "in.txt", "one\n\n   \ntwo\n\n")
    reader = read_records(path, skip_empty=True)
    assert [(r.id, r.text) for r in reader] == [("1", "one"), ("4", "two")]
    assert (reader.stats.records, reader.stats.skipped_empty) == (2, 3)


def test_skip_empty_counts_empty_fields(tmp_path: Path) -> None:
    path = _write(tmp_path / "in.jsonl", '{"text": ""}\n{"text": null}\n{"text": "x"}\n\n')
    reader = read_records(path, skip_empty=True)
    assert [r.text for r in reader] == ["x"]
    assert reader.stats.skipped_empty == 3


def test_one_megabyte_line_streams(tmp_path: Path) -> None:
    line = "ü" * 1_048_577
    path = _write(tmp_path / "long.txt", "short\n" + line + "\nend\n")
    records = list(read_records(path, max_chars=2_000_000))
    assert [len(r.text) for r in records] == [5, 1_048_577, 3]


def test_over_long_line_is_counted_not_held(tmp_path: Path) -> None:
    path = tmp_path / "huge.txt"
    path.write_bytes(b"ok\n" + b"x" * 8_000_000 + b"\r\n")
    tracemalloc.start()
    try:
        with pytest.raises(InputError) as info:
            list(read_records(path, max_chars=1000))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert "line 2" in str(info.value) and "8,000,000 characters long" in str(info.value)
    assert peak < 4_000_000, f"peak {peak:,} bytes: the line was held whole"


def test_reader_closes_its_file(tmp_path: Path) -> None:
    path = _write(tmp_path / "in.txt", "a\nb\nc\n")
    with read_records(path) as reader:
        assert next(reader).text == "a"
    with pytest.raises(StopIteration):
        next(reader)


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("a.txt", "one\n\ntwo\nthree", 3),
        ("a.tsv", "text\nx\n\ny\n", 2),
        ("a.jsonl", '{"text": "a"}\n  \n{"text": "b"}\n', 2),
        ("b.txt", "\ufeffonly\n", 1),
        ("c.txt", "\n\n", 0),
    ],
)
def test_count_records(tmp_path: Path, name: str, content: str, expected: int) -> None:
    path = _write(tmp_path / name, content)
    assert count_records(path) == expected
    assert count_records(path) == len(list(read_records(path, skip_empty=True)))


def test_count_records_parquet_uses_metadata(tmp_path: Path) -> None:
    path = tmp_path / "a.parquet"
    pq.write_table(pa.table({"text": ["a", "b", "c"]}), path)
    assert count_records(path) == 3


def test_every_extension_has_a_parser() -> None:
    assert set(input_extensions().values()) == set(INPUT_FORMATS.names())
