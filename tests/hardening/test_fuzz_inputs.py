"""Bad input files against every command that reads one: one error line, no traceback, nothing
written, nothing that existed changed."""

from __future__ import annotations

import gzip
import json

import pytest
from tests.helpers import assert_one_error

from .conftest import assert_unchanged, tree_digest


def _parquet(path, table):
    import pyarrow.parquet as pq

    pq.write_table(table, path)


def _bad_parquet_type(path):
    import pyarrow as pa

    _parquet(path, pa.table({"id": ["a", "b"], "text": [1, 2]}))


def _parquet_no_text(path):
    import pyarrow as pa

    _parquet(path, pa.table({"id": ["a"], "body": ["Hallo"]}))


# name -> (file name, how to write it, fragment of the error, formats it is about)
LONG = "x" * 100_001
BAD = {
    "empty": ("in.txt", b"", "the file is empty"),
    "nul-bytes": ("in.txt", b"\x00\x01binary\x00" * 50, "binary"),
    "gzip": ("in.jsonl", gzip.compress(b'{"text": "a"}\n' * 20), "gzip"),
    "utf16": ("in.txt", "Hallo Welt\n".encode("utf-16"), "UTF-16"),
    "latin1": ("in.txt", "Grüße\nStraße\n".encode("latin-1"), "not valid UTF-8"),
    "mac-endings": ("in.txt", b"one\rtwo\rthree\r", "Mac line endings"),
    "too-long": ("in.txt", (LONG + "\n").encode(), "characters long"),
    "bad-json": ("in.jsonl", b'{"text": "a"}\n{"text": \n', "not valid JSON"),
    "json-array": ("in.jsonl", b'["a", "b"]\n', "JSON object"),
    "no-text-field": ("in.jsonl", b'{"txt": "typo"}\n', "no field 'text'"),
    "text-number": ("in.jsonl", b'{"text": 42}\n', "not a string"),
    "duplicate-id": ("in.jsonl", b'{"id": "a", "text": "x"}\n{"id": "a", "text": "y"}\n', "already used"),
    "empty-id": ("in.jsonl", b'{"id": " ", "text": "x"}\n', "empty id"),
    "id-object": ("in.jsonl", b'{"id": {"a": 1}, "text": "x"}\n', "an id must be"),
    "surrogate-text": ("in.jsonl", b'{"text": "bad \\ud800 escape"}\n', "lone surrogate"),
    "surrogate-id": ("in.jsonl", b'{"id": "\\udfff", "text": "ok"}\n', "lone surrogate"),
    "surrogate-meta": ("in.jsonl", b'{"text": "ok", "note": "\\ud83d"}\n', "lone surrogate"),
    "junk-lang": ("in.jsonl", b'{"text": "Hallo Welt", "lang": "German!!"}\n', "--lang-field @detect"),
    "tsv-columns": ("in.tsv", b"id\ttext\na\tone\ttoo many\n", "tab-separated fields"),
    "tsv-dup-header": ("in.tsv", b"text\ttext\na\tb\n", "twice"),
    "tsv-no-text": ("in.tsv", b"id\tbody\na\tHallo\n", "no column 'text'"),
    "tsv-empty-header": ("in.tsv", b"\nHallo\n", "header row"),
    "parquet-garbage": ("in.parquet", b"PAR1" + b"\x07" * 300, "not a valid Parquet"),
    "parquet-int-text": ("in.parquet", _bad_parquet_type, "has type"),
    "parquet-no-text": ("in.parquet", _parquet_no_text, "no column 'text'"),
    "unknown-extension": ("in.docx", b"Hallo\n", "--input-format"),
    "a-folder": ("in.txt", "DIR", "is a directory"),
    "missing": ("in.txt", None, "does not exist"),
    "blank-lines": ("in.txt", b"Hallo\n\n", "--skip-empty"),
}
TEXT_LEVEL = {
    "empty",
    "nul-bytes",
    "utf16",
    "latin1",
    "mac-endings",
    "too-long",
    "a-folder",
    "missing",
    "gzip",
}


def _write(path, content):
    if content is None:
        return
    if content == "DIR":
        path.mkdir()
    elif callable(content):
        content(path)
    else:
        path.write_bytes(content)


#: which damage each command sees as such (align reads every file as lines of text; detect skips blank lines)
APPLIES = {
    "embed": set(BAD),
    "mine-src": set(BAD) - {"blank-lines"},
    "mine-tgt": set(BAD) - {"blank-lines"},
    "align": TEXT_LEVEL,
    "index-add": set(BAD),
    "search-queries": set(BAD),
    "detect": TEXT_LEVEL | {"bad-json", "no-text-field", "surrogate-text", "unknown-extension"},
}


def _commands(bad, ws, coll):
    """command name -> (argv, the output it must not leave)."""
    out = ws / "out"
    tsv, npy, trec = out.with_suffix(".tsv"), out.with_suffix(".npy"), out.with_suffix(".trec")
    return {
        "embed": (["embed", bad, "-o", npy, "-q"], npy),
        "mine-src": (["mine", bad, ws / "en.txt", "-o", tsv, "-q", "--top", "1"], tsv),
        "mine-tgt": (["mine", ws / "de.txt", bad, "-o", tsv, "-q", "--top", "1"], tsv),
        "align": (["align", bad, ws / "en.txt", "-o", tsv, "-q"], tsv),
        "index-add": (["index", "add", coll, bad, "-q"], None),
        "search-queries": (["search", coll, "--queries", bad, "-o", trec, "-q"], trec),
        "detect": (["detect", bad], None),
    }


CASES = [(command, case) for command, cases in APPLIES.items() for case in BAD if case in cases]


@pytest.mark.parametrize("command, case", CASES)
def test_bad_input_is_one_error_line_and_harms_nothing(cli, workspace, collection, command, case):
    name, content, fragment = BAD[case]
    bad = workspace / name
    _write(bad, content)
    argv, output = _commands(bad, workspace, collection)[command]
    before = tree_digest(workspace)
    code, out, err = cli(*argv)
    assert_one_error(code, out, err, fragment)
    assert out == ""
    assert_unchanged(before, tree_digest(workspace))  # the collection, the inputs and the victim included
    assert output is None or not output.exists()


def test_on_invalid_replace_counts_instead_of_failing(cli, workspace):
    bad = workspace / "in.jsonl"
    bad.write_bytes(b'{"text": "bad \\ud800 escape"}\n{"text": "fine"}\n')
    code, out, err = cli("embed", bad, "-o", workspace / "v.jsonl", "--on-invalid", "replace", "--json", "-q")
    assert code == 0, err
    assert json.loads(out)["replaced"] == 1
    rows = [json.loads(line) for line in (workspace / "v.jsonl").read_text().splitlines()]
    assert len(rows) == 2
