"""Cutting sources into shards (``runners._split``): the shards of a file, read one by one where a
worker would, give exactly the records one ``read_records`` pass gives, with their true lines."""

from __future__ import annotations

import json
import pickle

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from interlingua.errors import InputError
from interlingua.io import InputOptions, read_records
from interlingua.runners._split import plan_shards, plan_source, read_shard

WORDS = ["Katze", "猫", "кошка", "chat", "แมว", "gato", "γάτα", "고양이"]


def _texts(n: int) -> list[str]:
    return [f"{WORDS[i % len(WORDS)]} {i} " + "ü" * (i % 5) for i in range(n)]


def _all(shards, opts):
    out = []
    for s in shards:
        with read_shard(s, opts) as records:
            part = list(records)
        assert len(part) == s.records
        out += part
    return out


def _check(path, opts, sizes=(1, 7, 32, 1000)):
    full = list(read_records(path, opts))
    for rows in sizes:
        shards = plan_shards(str(path), opts, rows)
        assert [s.shard for s in shards] == list(range(len(shards)))
        assert all(s.records == rows for s in shards[:-1]) and 0 < shards[-1].records <= rows
        assert _all(shards, opts) == full, rows
    return full


def test_txt_with_empty_lines_bom_and_crlf(tmp_path):
    lines = [t if i % 4 else "   " for i, t in enumerate(_texts(90))]
    path = tmp_path / "a.txt"
    path.write_bytes(b"\xef\xbb\xbf" + "\r\n".join(["", *lines, "", "\u3000"]).encode() + b"\r\n")
    opts = InputOptions(skip_empty=True)
    full = _check(path, opts)
    assert full[0].line == 3 and full[0].text == lines[1]  # BOM, blank line 1, blank first text
    plan = plan_source(str(path), opts, 32)
    assert plan.records == len(full) == 67 and plan.skipped_empty == 26
    assert [s.records for s in plan.shards] == [32, 32, 3]  # the last shard short
    # the skipped lines are counted by the shard that holds them, as a full read counts them
    skipped = 0
    for s in plan.shards:
        with read_shard(s, opts) as records:
            list(records)
            skipped += records.stats.skipped_empty
    assert skipped == 26


def test_tsv_header_applies_to_every_shard(tmp_path):
    path = tmp_path / "a.tsv"
    rows = [f"x{i}\t{t}\t{'de' if i % 2 else 'fr'}" for i, t in enumerate(_texts(70))]
    rows[10] = "x10\t\tde"  # no text: skipped
    path.write_text("id\ttext\tlang\n" + "\n".join(rows) + "\n", encoding="utf-8")
    opts = InputOptions(skip_empty=True)
    full = _check(path, opts)
    assert full[-1].id == "x69" and full[-1].line == 71 and full[-1].lang == "de"
    headerless = tmp_path / "b.tsv"
    headerless.write_text("\n".join(rows) + "\n", encoding="utf-8")
    _check(headerless, InputOptions(skip_empty=True, columns=("key", "text", "lang"), id_field="key"))


def test_jsonl_and_parquet_row_groups(tmp_path):
    texts = _texts(130)
    path = tmp_path / "a.jsonl"
    path.write_text("".join(json.dumps({"id": f"d{i}", "text": t}) + "\n" for i, t in enumerate(texts)))
    _check(path, InputOptions())
    pq_path = tmp_path / "a.parquet"
    column = [None if i % 9 == 0 else t for i, t in enumerate(texts)]
    pq.write_table(pa.table({"text": column, "n": list(range(130))}), pq_path, row_group_size=25)
    assert pq.ParquetFile(pq_path).metadata.num_row_groups == 6
    opts = InputOptions(skip_empty=True)
    full = _check(pq_path, opts, sizes=(1, 10, 25, 32, 64, 500))
    assert full[0].line == 2 and full[0].meta == {"n": 1}  # rows numbered from 1, row 1 skipped


def test_errors_name_their_line(tmp_path):
    path = tmp_path / "a.jsonl"
    lines = [json.dumps({"text": t}) for t in _texts(80)]
    lines[57] = '{"text": "broken'
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(InputError) as err:
        plan_shards(str(path), InputOptions(), 16)  # the client pass reads every line
    assert err.value.line == 58
    blank = tmp_path / "b.txt"
    blank.write_text("one\ntwo\n\nthree\n")
    with pytest.raises(InputError) as err:
        plan_shards(str(blank), InputOptions(), 1)
    assert err.value.line == 3 and "--skip-empty" in str(err.value)


def test_a_worker_reports_the_true_line(tmp_path):
    """A shard read in a worker (the file damaged after planning) names the line of the file."""
    path = tmp_path / "a.txt"
    texts = [f"text {i:03d}" for i in range(100)]
    path.write_text("\n".join(texts) + "\n")
    shards = plan_shards(str(path), InputOptions(), 30)
    data = bytearray(path.read_bytes())
    at = data.index(b"text 071")
    data[at : at + 2] = b"\xff\xfe"  # same length: the planned offsets still hold
    path.write_bytes(bytes(data))
    with read_shard(shards[2], InputOptions()) as records, pytest.raises(InputError) as err:
        list(records)
    assert err.value.line == 72 and "UTF-8" in str(err.value)
    with read_shard(shards[1], InputOptions()) as records:
        assert [r.line for r in records] == list(range(31, 61))


def test_many_files_folder_and_glob(tmp_path):
    folder = tmp_path / "parts"
    folder.mkdir()
    (folder / "b.txt").write_text("\n".join(_texts(40)) + "\n")
    (folder / "a.txt").write_text("\n".join(_texts(5)) + "\n")
    (folder / "c.jsonl").write_text("".join(json.dumps({"text": t}) + "\n" for t in _texts(3)))
    (folder / "notes.md").write_text("not an input")
    plan = plan_source(str(folder), InputOptions(), 16)
    assert [s.path for s in plan.shards] == [
        str(folder / n) for n in ("a.txt", "b.txt", "b.txt", "b.txt", "c.jsonl")
    ]
    assert [s.records for s in plan.shards] == [5, 16, 16, 8, 3]
    assert any("notes" not in n and "without an input extension" in n for n in plan.notes)
    records = _all(plan.shards, InputOptions())
    assert [r.id for r in records[:2]] == ["a.txt:1", "a.txt:2"] and records[5].id == "b.txt:1"
    assert records[-1].id == "c.jsonl:3" and records[-1].line == 3
    matched = plan_shards(str(folder / "*.txt"), InputOptions(), 16)
    assert [s.path for s in matched] == [s.path for s in plan.shards[:4]]
    assert pickle.loads(pickle.dumps(matched[1])) == matched[1]
    with pytest.raises(InputError, match="no file matches"):
        plan_shards(str(folder / "*.parquet"), InputOptions(), 16)


def test_ids_unique_across_files(tmp_path):
    folder = tmp_path / "parts"
    folder.mkdir()
    (folder / "1.jsonl").write_text('{"id": "a", "text": "one"}\n{"id": "b", "text": "two"}\n')
    (folder / "2.jsonl").write_text('{"id": "c", "text": "three"}\n{"id": "a", "text": "four"}\n')
    with pytest.raises(InputError) as err:
        plan_shards(str(folder), InputOptions(), 4)
    assert err.value.line == 2 and "1.jsonl" in str(err.value) and "unique" in str(err.value)


def test_a_file_without_records_is_one_empty_shard(tmp_path):
    path = tmp_path / "a.txt"
    path.write_text("\n \n\n")
    shards = plan_shards(str(path), InputOptions(skip_empty=True), 8)
    assert [s.records for s in shards] == [0]
    assert _all(shards, InputOptions(skip_empty=True)) == []
