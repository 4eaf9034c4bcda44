"""Bad input to the CLI: one ``error: ...`` line naming the file and line, a non-zero exit, no
traceback, and no output file (an existing one is left exactly as it was).

Most cases run ``interlingua.cli.main`` in-process (what the console script calls); two run the
installed ``interlingua`` script in a subprocess.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import numpy as np
import pytest
from tests.helpers import assert_one_error, console_script


def names(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


# -- the input file itself -------------------------------------------------------------------
def test_missing_file(cli, tmp_path):
    code, out, err = cli("embed", tmp_path / "nope.txt", "-o", tmp_path / "o.npy", "-q")
    assert code == 2 and out == ""
    assert_one_error(code, out, err, "nope.txt", "does not exist", alone=True)
    assert names(tmp_path) == []


def test_empty_file(cli, tmp_path):
    (tmp_path / "empty.txt").write_bytes(b"")
    code, out, err = cli("embed", tmp_path / "empty.txt", "-o", tmp_path / "o.npy", "-q")
    assert code == 2
    assert_one_error(code, out, err, "empty.txt", "empty", alone=True)
    assert names(tmp_path) == ["empty.txt"]


def test_directory_as_input(cli, tmp_path):
    (tmp_path / "folder.txt").mkdir()
    code, out, err = cli("embed", tmp_path / "folder.txt", "-o", tmp_path / "o.npy", "-q")
    assert code == 2
    assert_one_error(code, out, err, "folder.txt", "directory", alone=True)


def test_binary_file(cli, tmp_path):
    (tmp_path / "data.txt").write_bytes(bytes(range(256)) * 8)
    code, out, err = cli("embed", tmp_path / "data.txt", "-o", tmp_path / "o.npy", "-q")
    assert code == 2
    assert_one_error(code, out, err, "data.txt", "binary", alone=True)
    assert names(tmp_path) == ["data.txt"]


def test_gzip_file_is_named(cli, tmp_path):
    import gzip

    (tmp_path / "texts.txt").write_bytes(gzip.compress(b"hello\nworld\n"))
    code, out, err = cli("embed", tmp_path / "texts.txt", "-o", tmp_path / "o.npy", "-q")
    assert code == 2
    assert_one_error(code, out, err, "texts.txt", "gzip", alone=True)


# -- problems on a line ----------------------------------------------------------------------
def test_empty_line_then_skip_empty(cli, tmp_path):
    src = tmp_path / "in.txt"
    src.write_text("first\nsecond\n\nfourth\n", encoding="utf-8")
    code, out, err = cli("embed", src, "-o", tmp_path / "o.npy", "-q")
    assert code == 2
    assert_one_error(code, out, err, "in.txt, line 3", "--skip-empty", alone=True)
    assert names(tmp_path) == ["in.txt"]

    code, out, err = cli("embed", src, "-o", tmp_path / "o.npy", "-q", "--skip-empty", "--json", "--no-cache")
    assert code == 0, err
    report = json.loads(out)
    assert report["records"] == 3 and report["skipped_empty"] == 1
    assert (tmp_path / "o.ids.txt").read_text().splitlines() == ["1", "2", "4"]
    assert np.load(tmp_path / "o.npy").shape == (3, 384)


# (input file, its content, extra flags, output name, fragments of the one error line); each case
# also asserts that nothing but the input is left in the folder
CASES = {
    "missing-tsv-column": (
        "in.tsv",
        "id\ttext\n1\thello\n",
        ["--text-field", "body"],
        "o.parquet",
        ["in.tsv", "'body'", "id, text"],
    ),
    "missing-tsv-id-column": (
        "in.tsv",
        "id\ttext\n1\thello\n",
        ["--id-field", "key"],
        "o.parquet",
        ["in.tsv", "'key'", "id_field"],
    ),
    "tsv-field-count": (
        "in.tsv",
        "id\ttext\n1\thello\n2\tworld\textra\n",
        [],
        "o.npy",
        ["in.tsv, line 3", "3 tab-separated fields"],
    ),
    "missing-jsonl-field": (
        "in.jsonl",
        '{"text": "hello"}\n{"text": "world"}\n{"body": "oops"}\n',
        [],
        "o.jsonl",
        ["in.jsonl, line 3", "no field 'text'", "'body'"],
    ),
    "invalid-json-line": (
        "in.jsonl",
        '{"text": "hello"}\n{"text": "world"\n',
        [],
        "o.jsonl",
        ["in.jsonl, line 2", "not valid JSON"],
    ),
    "duplicate-ids": (
        "in.jsonl",
        '{"id": "a", "text": "x"}\n{"id": "b", "text": "y"}\n{"id": "a", "text": "z"}\n',
        ["--id-field", "id"],
        "o.jsonl",
        ["in.jsonl, line 3", "'a'", "line 1"],
    ),
    "id-field-on-txt": ("in.txt", "hello\n", ["--id-field", "id"], "o.npy", ["in.txt", "no fields"]),
    "megabyte-line": (
        "in.txt",
        "fine\n" + "x" * 1_000_000 + "\nfine again\n",
        [],
        "o.npy",
        ["in.txt, line 2", "1,000,000 characters", "100,000", "--max-chars"],
    ),
    "max-chars-option": (
        "in.txt",
        "short\nthis line is longer than twenty characters\n",
        ["--max-chars", "20"],
        "o.npy",
        ["in.txt, line 2", "the limit is 20"],
    ),
    "invalid-utf8": (
        "in.txt",
        b"fine\nalso fine\ncaf\xe9 au lait\n",
        [],
        "o.npy",
        ["in.txt, line 3", "not valid UTF-8", "0xE9", "byte column 4"],
    ),
    "unknown-model": (
        "in.txt",
        "hello\n",
        ["--model", "no-such-model"],
        "o.npy",
        ["'no-such-model'", "e5-small", "e5-small-int8", "use-multilingual"],
    ),
    "unknown-output-extension": (
        "in.txt",
        "hello\n",
        [],
        "o.csv",
        ["o.csv", ".csv", ".jsonl, .npy, .parquet"],
    ),
    "output-folder-missing": ("in.txt", "hello\n", [], "no/o.npy", ["o.npy", "does not exist"]),
    "zero-workers": ("in.txt", "hello\n", ["--workers", "0"], "o.npy", ["'workers'", "Got 0"]),
    "negative-batch-size": (
        "in.txt",
        "hello\n",
        ["--batch-size", "-1", "--no-cache"],
        "o.npy",
        ["'batch_size'", "Got -1"],
    ),
    "zero-batch-size": (
        "in.txt",
        "hello\n",
        ["--batch-size", "0", "--no-cache"],
        "o.npy",
        ["'batch_size'", "Got 0"],
    ),
}


@pytest.mark.parametrize("case", CASES)
def test_bad_input_or_option_is_one_error_line(cli, tmp_path, case):
    name, content, flags, output, fragments = CASES[case]
    src = tmp_path / name
    if isinstance(content, bytes):
        src.write_bytes(content)
    else:
        src.write_text(content, encoding="utf-8")
    code, out, err = cli("embed", src, "-o", tmp_path / output, *flags, "-q")
    assert code == 2
    assert_one_error(code, out, err, *fragments, alone=True)
    assert names(tmp_path) == [name]


def test_output_is_the_input(cli, tmp_path):
    src = tmp_path / "in.jsonl"
    src.write_text('{"text": "hello"}\n', encoding="utf-8")
    before = src.read_bytes()
    code, out, err = cli("embed", src, "-o", src, "--no-cache", "-q")
    assert src.read_bytes() == before
    assert code == 2
    assert_one_error(code, out, err, "in.jsonl", alone=True)


def test_unknown_language_code_in_detect(cli):
    code, out, err = cli("detect", "--text", "hello", "--candidates", "xx1")
    assert code == 2 and out == ""
    assert_one_error(code, out, err, "'xx1'", "language code", alone=True)


def test_detect_without_input(cli):
    code, out, err = cli("detect")
    assert code == 2
    assert_one_error(code, out, err, "--text", alone=True)


# -- an existing output survives a run that fails midway -------------------------------------
def test_failure_after_first_chunk_leaves_existing_output_intact(cli, tmp_path):
    # embed_file reads 4096 records per chunk: the first chunk is encoded and written to a
    # temporary file before line 4100 (empty) is read. A cached text keeps that first chunk cheap.
    line = "interlingua test: a line served from the embedding cache"
    (tmp_path / "one.txt").write_text(line + "\n", encoding="utf-8")
    code, _, err = cli("embed", tmp_path / "one.txt", "-o", tmp_path / "one.npy", "-q")
    assert code == 0, err
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    out = out_dir / "vectors.npy"
    np.save(out, np.arange(6, dtype=np.float32).reshape(2, 3))
    (out_dir / "vectors.ids.txt").write_text("old-1\nold-2\n", encoding="utf-8")
    before = {p.name: p.read_bytes() for p in out_dir.iterdir()}

    src = tmp_path / "big.txt"
    src.write_text((line + "\n") * 4099 + "\n" + (line + "\n") * 10, encoding="utf-8")
    code, out_text, err = cli("embed", src, "-o", out, "-q", "--json")
    assert code == 2 and out_text == ""
    assert_one_error(code, out_text, err, "big.txt, line 4100", "--skip-empty", alone=True)
    assert {p.name: p.read_bytes() for p in out_dir.iterdir()} == before  # same files, same bytes

    # The same input with --skip-empty replaces the output, atomically and completely.
    code, out_text, err = cli("embed", src, "-o", out, "-q", "--json", "--skip-empty")
    assert code == 0, err
    report = json.loads(out_text)
    assert report["records"] == 4109 and report["skipped_empty"] == 1 and report["cache_hits"] == 4109
    assert np.load(out).shape == (4109, 384)
    assert names(out_dir) == ["vectors.ids.txt", "vectors.meta.json", "vectors.npy"]


# -- the installed console script, in a subprocess -------------------------------------------
def run_script(*argv, cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    return subprocess.run(
        [console_script(), *map(str, argv)], capture_output=True, text=True, env=env, cwd=cwd, timeout=120
    )


def test_script_error_mid_file_is_one_line(tmp_path):
    src = tmp_path / "in.jsonl"
    src.write_text('{"text": "hello"}\n{"txt": "typo"}\n', encoding="utf-8")
    proc = run_script("embed", "in.jsonl", "-o", "out.parquet", "-q", cwd=tmp_path)
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert_one_error(
        proc.returncode, proc.stdout, proc.stderr, "in.jsonl, line 2", "no field 'text'", alone=True
    )
    assert names(tmp_path) == ["in.jsonl"]


def test_script_unknown_model_is_one_line(tmp_path):
    proc = run_script("similarity", "a", "b", "--model", "e5-large", cwd=tmp_path)
    assert proc.returncode == 2
    assert_one_error(
        proc.returncode,
        proc.stdout,
        proc.stderr,
        "'e5-large'",
        "e5-small, e5-small-int8, e5-static, use-multilingual",
        alone=True,
    )


@pytest.mark.parametrize("case", ["unknown-extension", "empty-line"])
def test_error_without_quiet_is_one_line(cli, tmp_path, case):
    src = tmp_path / "in.txt"
    src.write_text("hello\n\nworld\n" if case == "empty-line" else "hello\n", encoding="utf-8")
    out = tmp_path / ("o.csv" if case == "unknown-extension" else "o.npy")
    code, stdout, err = cli("embed", src, "-o", out)
    assert code == 2
    assert_one_error(code, stdout, err, alone=True)
