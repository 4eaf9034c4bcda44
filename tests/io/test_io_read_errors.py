"""Every bad input gets one InputError that names the file, the line and the problem."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from interlingua.errors import InputError
from interlingua.io import count_records, read_records


def _error(path: Path, **kwargs: object) -> InputError:
    with pytest.raises(InputError) as info:
        list(read_records(path, **kwargs))  # type: ignore[arg-type]
    return info.value


def _file(tmp_path: Path, name: str, data: bytes | str) -> Path:
    path = tmp_path / name
    path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    return path


def _check(error: InputError, path: Path, line: int | None, *fragments: str) -> None:
    message = str(error)
    assert str(path) in message
    assert error.path == str(path)
    if line is not None:
        assert error.line == line
        assert f"line {line}" in message or f"row {line}" in message
    for fragment in fragments:
        assert fragment in message, f"{fragment!r} not in {message!r}"


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "nope.txt"
    with pytest.raises(InputError) as info:
        read_records(path)
    _check(info.value, path, None, "does not exist")


def test_directory(tmp_path: Path) -> None:
    path = tmp_path / "folder.txt"
    path.mkdir()
    with pytest.raises(InputError) as info:
        read_records(path)
    _check(info.value, path, None, "is a directory")


@pytest.mark.parametrize("name", ["empty.txt", "empty.parquet"])
def test_empty_file(tmp_path: Path, name: str) -> None:
    path = _file(tmp_path, name, b"")
    with pytest.raises(InputError) as info:
        read_records(path)
    _check(info.value, path, None, "is empty")
    with pytest.raises(InputError, match="is empty"):
        count_records(path)


@pytest.mark.parametrize(
    ("data", "detail"),
    [
        (b"hello\x00world\n" * 10, "NUL bytes"),
        (bytes(range(1, 9)) * 200, "control characters"),
        (b"\x1f\x8b\x08\x00" + b"abc" * 10, "gzip"),
        (b"PAR1" + b"abc" * 10, "Parquet"),
        (bytes((131 * i + 7) % 128 + 128 for i in range(4000)), "not valid UTF-8"),
    ],
)
def test_binary_file(tmp_path: Path, data: bytes, detail: str) -> None:
    path = _file(tmp_path, "data.jsonl", data)
    with pytest.raises(InputError) as info:
        read_records(path)
    _check(info.value, path, None, "looks like a binary file, not text", detail)


def test_old_mac_line_endings(tmp_path: Path) -> None:
    path = _file(tmp_path, "mac.txt", "one\rtwo\rthree\r")
    with pytest.raises(InputError) as info:
        read_records(path)
    _check(info.value, path, None, "old Mac line endings")


def test_latin1_text_is_not_called_binary(tmp_path: Path) -> None:
    path = _file(tmp_path, "fr.txt", ("Déjà vu à Noël, où êtes-vous ?\n" * 20).encode("latin-1"))
    _check(_error(path), path, 1, "not valid UTF-8", "0xE9", "byte column 2")


def test_utf16_file(tmp_path: Path) -> None:
    path = _file(tmp_path, "u16.txt", "hello\n".encode("utf-16"))
    with pytest.raises(InputError) as info:
        read_records(path)
    _check(info.value, path, None, "UTF-16", "convert it to UTF-8")


def test_invalid_utf8_names_line_and_byte_column(tmp_path: Path) -> None:
    path = _file(tmp_path, "latin.txt", b"fine\nalso fine\n" + "café au lait\n".encode("latin-1"))
    _check(_error(path), path, 3, "not valid UTF-8", "0xE9", "byte column 4")


def test_invalid_utf8_in_an_over_long_line(tmp_path: Path) -> None:
    path = _file(tmp_path, "long.txt", b"x" * 50 + b"\xff" + b"y" * 50 + b"\n")
    _check(_error(path, max_chars=10), path, 1, "not valid UTF-8", "0xFF", "byte column 51")


def test_empty_line(tmp_path: Path) -> None:
    path = _file(tmp_path, "in.txt", "a\nb\nc\nd\n\nf\n")
    _check(_error(path), path, 5, "has no text", "remove empty lines or pass --skip-empty (skip_empty=True)")


@pytest.mark.parametrize(
    ("name", "data", "fragment"),
    [
        ("in.jsonl", '{"text": "a"}\n{"text": "  "}\n', "no text in field 'text'"),
        ("in.jsonl", '{"text": "a"}\n\n', "the line is empty"),
        ("in.tsv", "id\ttext\n1\ta\n2\t\n", "no text in column 'text'"),
    ],
)
def test_empty_text_field(tmp_path: Path, name: str, data: str, fragment: str) -> None:
    path = _file(tmp_path, name, data)
    line = 3 if name.endswith(".tsv") else 2
    _check(_error(path), path, line, fragment, "skip_empty=True")


def test_tsv_missing_column_lists_available(tmp_path: Path) -> None:
    path = _file(tmp_path, "in.tsv", "id\tsentence\n1\thello\n")
    _check(_error(path), path, None, "no column 'text'", "id, sentence", "header")


def test_tsv_wrong_field_count(tmp_path: Path) -> None:
    path = _file(tmp_path, "in.tsv", "id\ttext\n1\ta\n2\tb\textra\n")
    _check(_error(path), path, 3, "3 tab-separated fields", "2 columns")


@pytest.mark.parametrize(("header", "fragment"), [("\n", "needs a header row"), ("text\ttext\n", "twice")])
def test_tsv_bad_header(tmp_path: Path, header: str, fragment: str) -> None:
    path = _file(tmp_path, "in.tsv", header + "a\n")
    _check(_error(path), path, 1, fragment)


def test_jsonl_missing_field_lists_available(tmp_path: Path) -> None:
    path = _file(tmp_path, "in.jsonl", '{"text": "a", "id": 1}\n{"sentence": "b", "id": 2}\n')
    _check(_error(path, id_field="id"), path, 2, "no field 'text'", "'sentence', 'id'")


def test_jsonl_syntax_error(tmp_path: Path) -> None:
    path = _file(tmp_path, "in.jsonl", '{"text": "a"}\n{"text": "b",}\n')
    _check(_error(path), path, 2, "not valid JSON", "Expecting property name", "column 14")


@pytest.mark.parametrize(
    ("line", "fragment"),
    [('{"text": 5}', "is a number, not a string"), ('{"text": ["a"]}', "is an array, not a string")],
)
def test_jsonl_non_string_text(tmp_path: Path, line: str, fragment: str) -> None:
    path = _file(tmp_path, "in.jsonl", '{"text": "ok"}\n' + line + "\n")
    _check(_error(path), path, 2, "field 'text'", fragment)


def test_jsonl_line_not_an_object(tmp_path: Path) -> None:
    path = _file(tmp_path, "in.jsonl", '["a", "b"]\n')
    _check(_error(path), path, 1, "holds an array", "JSON object")


def test_jsonl_bad_id_type(tmp_path: Path) -> None:
    path = _file(tmp_path, "in.jsonl", '{"text": "a", "id": [1]}\n')
    _check(_error(path, id_field="id"), path, 1, "field 'id' is an array", "string or an integer")


def test_line_longer_than_max_chars(tmp_path: Path) -> None:
    path = _file(tmp_path, "in.txt", "a\nb\n" + "x" * 1_048_577 + "\n")
    _check(
        _error(path), path, 3, "is 1,048,577 characters long; the limit is 100,000 (max_chars, --max-chars)"
    )


def test_line_just_under_the_byte_limit_is_measured_in_characters(tmp_path: Path) -> None:
    path = _file(tmp_path, "in.txt", "€" * 11 + "\n")  # 33 bytes, 11 characters
    _check(_error(path, max_chars=10), path, 1, "is 11 characters long; the limit is 10")
    assert [len(r.text) for r in read_records(path, max_chars=11)] == [11]


@pytest.mark.parametrize(
    ("name", "data", "kwargs"),
    [
        ("in.jsonl", '{"id": "a", "text": "x"}\n{"id": "b", "text": "y"}\n{"id": "a", "text": "z"}\n', {}),
        ("in.tsv", "id\ttext\na\tx\nb\ty\na\tz\n", {}),
    ],
)
def test_duplicate_ids_name_both_lines(tmp_path: Path, name: str, data: str, kwargs: dict) -> None:
    path = _file(tmp_path, name, data)
    line, first = (4, 2) if name.endswith(".tsv") else (3, 1)
    _check(_error(path, id_field="id"), path, line, "id 'a'", f"already used on line {first}", "unique")


def test_empty_id(tmp_path: Path) -> None:
    path = _file(tmp_path, "in.tsv", "id\ttext\n\tx\n")
    _check(_error(path, id_field="id"), path, 2, "empty id", "column 'id'")


def test_unknown_extension_lists_supported(tmp_path: Path) -> None:
    path = _file(tmp_path, "in.docx", "a\n")
    with pytest.raises(InputError) as info:
        read_records(path)
    _check(info.value, path, None, ".docx", ".jsonl", ".parquet", ".tsv", ".txt", "--input-format")


def test_unknown_fmt_lists_supported(tmp_path: Path) -> None:
    path = _file(tmp_path, "in.txt", "a\n")
    with pytest.raises(
        InputError,
        match="'format' parameter of read_records.. must be None or one of 'txt', 'tsv', 'jsonl', 'parquet'",
    ):
        read_records(path, fmt="csv")


def test_txt_has_no_fields(tmp_path: Path) -> None:
    path = _file(tmp_path, "in.txt", "a\n")
    with pytest.raises(InputError, match="no fields"):
        read_records(path, id_field="id")


@pytest.mark.parametrize(
    ("kwargs", "name"), [({"max_chars": 0}, "max_chars"), ({"text_field": ""}, "text_field")]
)
def test_bad_parameters(tmp_path: Path, kwargs: dict, name: str) -> None:
    path = _file(tmp_path, "in.txt", "a\n")
    with pytest.raises(InputError, match=f"'{name}' parameter"):
        read_records(path, **kwargs)


def test_parquet_missing_column(tmp_path: Path) -> None:
    path = tmp_path / "in.parquet"
    pq.write_table(pa.table({"body": ["a"], "doc": ["1"]}), path)
    _check(_error(path), path, None, "no column 'text'", "body, doc")


def test_parquet_non_string_column(tmp_path: Path) -> None:
    path = tmp_path / "in.parquet"
    pq.write_table(pa.table({"text": [1, 2]}), path)
    _check(_error(path), path, None, "column 'text' has type int64", "string")


def test_parquet_row_errors(tmp_path: Path) -> None:
    path = tmp_path / "in.parquet"
    pq.write_table(pa.table({"text": ["a", None, "c"], "id": ["x", "y", "x"]}), path)
    _check(_error(path, id_field="id"), path, 2, "row 2", "no text in column 'text'")
    _check(_error(path, id_field="id", skip_empty=True), path, 3, "row 3", "already used on row 1")


def test_not_a_parquet_file(tmp_path: Path) -> None:
    path = _file(tmp_path, "in.parquet", "text\nhello\n")
    with pytest.raises(InputError) as info:
        read_records(path)
    _check(info.value, path, None, "not a valid Parquet file")
