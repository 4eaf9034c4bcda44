"""``interlingua embed``: every input format into every output format, with the real e5-small.

Each output is checked against ``get_encoder("e5-small").encode`` on the same texts, row by
row and in input order. Tests that compare vectors pass ``--no-cache`` so that the pipeline
really encodes; the cache tests use a private cache folder.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from tests.helpers import console_script
from typer.testing import CliRunner

from interlingua.cli import app
from interlingua.encoders import TruncationWarning, get_encoder

# Different lengths, scripts and languages, so that length-sorted batching reorders them.
TEXTS = [
    "The cat sleeps on the sofa all afternoon.",
    "Le chat dort.",
    "Der Hund spielt im Garten mit einem roten Ball, während die Kinder lachen.",
    "猫在沙发上睡觉。",
    "Кошка спит на диване весь день, потому что ей тепло и уютно.",
    "القطة تنام",
    "El perro juega en el jardín.",
    "犬が庭で遊んでいます。",
    "Bread needs flour, water, salt and yeast.",
    "Ψωμί",
    "Kedi kanepede uyuyor ve rüya görüyor.",
    "Mèo ngủ trên ghế sofa.",
]
RUNNER = CliRunner()


@pytest.fixture(scope="module")
def e5():
    return get_encoder("e5-small")


@pytest.fixture(scope="module")
def reference(e5):
    return e5.encode(TEXTS)


@pytest.fixture(scope="module")
def private_cache_root(tmp_path_factory):
    """A cache root shared by this module's cache tests: the ONNX graph is built there once."""
    return tmp_path_factory.mktemp("interlingua-cache")


def embed(*args) -> dict:
    """Run ``interlingua embed ARGS -q --json`` in-process; return the JSON report."""
    result = RUNNER.invoke(app, ["embed", *map(str, args), "-q", "--json"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def read_npy(path: Path) -> tuple[list[str], np.ndarray]:
    vectors = np.load(path, allow_pickle=False)
    ids = path.with_name(path.stem + ".ids.txt").read_text(encoding="utf-8").splitlines()
    return ids, vectors


def read_parquet(path: Path) -> pa.Table:
    return pq.read_table(path)


def parquet_vectors(table: pa.Table) -> np.ndarray:
    return np.asarray(table.column("vector").to_pylist(), dtype=np.float32)


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def write_txt(path: Path, texts: list[str]) -> Path:
    path.write_text("".join(t + "\n" for t in texts), encoding="utf-8")
    return path


# -- formats ------------------------------------------------------------------------------
def test_txt_to_npy_matches_encoder_in_input_order(tmp_path, reference):
    out = tmp_path / "out.npy"
    report = embed(write_txt(tmp_path / "in.txt", TEXTS), "-o", out, "--no-cache")
    ids, vectors = read_npy(out)
    assert ids == [str(i) for i in range(1, len(TEXTS) + 1)]  # line numbers
    assert vectors.dtype == np.float32 and vectors.shape == (len(TEXTS), 384)
    np.testing.assert_allclose(vectors, reference, atol=1e-5)
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert not (tmp_path / "out.texts.jsonl").exists()
    assert report["records"] == report["encoded"] == len(TEXTS)
    assert report["encoder"] == "e5-small" and report["output"] == str(out)
    # Nothing but the outputs appears next to them (no temporary files left).
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.txt", "out.ids.txt", "out.meta.json", "out.npy"]


def test_tsv_with_header_text_and_id_fields_to_parquet(tmp_path, reference):
    src = tmp_path / "in.tsv"
    lines = ["doc\tlang\tbody"] + [f"doc-{i:02d}\tde\t{t}" for i, t in enumerate(TEXTS)]
    src.write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = tmp_path / "out.parquet"
    report = embed(src, "-o", out, "--text-field", "body", "--id-field", "doc", "--with-text", "--no-cache")
    table = read_parquet(out)
    assert table.column_names == ["id", "text", "vector"]
    assert table.column("id").to_pylist() == [f"doc-{i:02d}" for i in range(len(TEXTS))]
    assert table.column("text").to_pylist() == TEXTS
    np.testing.assert_allclose(parquet_vectors(table), reference, atol=1e-5)
    assert report["records"] == len(TEXTS)


def test_tsv_without_id_field_uses_line_numbers(tmp_path, reference):
    src = tmp_path / "in.tsv"
    src.write_text("text\n" + "\n".join(TEXTS[:3]) + "\n", encoding="utf-8")
    out = tmp_path / "out.jsonl"
    embed(src, "-o", out, "--no-cache")
    rows = read_jsonl(out)
    assert [r["id"] for r in rows] == ["2", "3", "4"]  # physical lines: line 1 is the header
    assert all(set(r) == {"id", "vector"} for r in rows)


def test_jsonl_to_jsonl_with_text(tmp_path, reference):
    src = tmp_path / "in.jsonl"
    ids = [100 + i for i in range(len(TEXTS))]  # integer ids become strings
    src.write_text(
        "".join(
            json.dumps({"id": i, "text": t, "extra": [1, 2]}, ensure_ascii=False) + "\n"
            for i, t in zip(ids, TEXTS)
        ),
        encoding="utf-8",
    )
    out = tmp_path / "out.jsonl"
    embed(src, "-o", out, "--id-field", "id", "--with-text", "--no-cache")
    rows = read_jsonl(out)
    assert [r["id"] for r in rows] == [str(i) for i in ids]
    assert [r["text"] for r in rows] == TEXTS
    vectors = np.asarray([r["vector"] for r in rows], dtype=np.float32)
    np.testing.assert_allclose(vectors, reference, atol=1e-5)


def test_parquet_to_npy_with_text_sidecar(tmp_path, reference):
    src = tmp_path / "in.parquet"
    ids = [f"p{i}" for i in range(len(TEXTS))]
    pq.write_table(pa.table({"key": ids, "sentence": TEXTS, "n": list(range(len(TEXTS)))}), src)
    out = tmp_path / "vectors.npy"
    embed(src, "-o", out, "--text-field", "sentence", "--id-field", "key", "--with-text", "--no-cache")
    got_ids, vectors = read_npy(out)
    assert got_ids == ids
    np.testing.assert_allclose(vectors, reference, atol=1e-5)
    texts = read_jsonl(tmp_path / "vectors.texts.jsonl")
    assert texts == [{"id": i, "text": t} for i, t in zip(ids, TEXTS)]


def test_txt_to_parquet_without_text_column(tmp_path, reference):
    out = tmp_path / "out.parquet"
    embed(write_txt(tmp_path / "in.txt", TEXTS), "-o", out, "--no-cache")
    table = read_parquet(out)
    assert table.column_names == ["id", "vector"]
    assert table.schema.field("vector").type == pa.list_(pa.float32(), 384)
    np.testing.assert_allclose(parquet_vectors(table), reference, atol=1e-5)


def test_role_query_differs_from_passage(tmp_path, e5, reference):
    src = write_txt(tmp_path / "in.txt", TEXTS)
    embed(src, "-o", tmp_path / "q.npy", "--role", "query", "--no-cache")
    _, queries = read_npy(tmp_path / "q.npy")
    np.testing.assert_allclose(queries, e5.encode(TEXTS, role="query"), atol=1e-5)
    # "query: " and "passage: " prefixes give clearly different vectors for every text.
    assert (np.abs(queries - reference).max(axis=1) > 1e-3).all()


def test_bad_role_is_refused(tmp_path):
    result = RUNNER.invoke(
        app,
        [
            "embed",
            str(write_txt(tmp_path / "in.txt", ["a"])),
            "-o",
            str(tmp_path / "o.npy"),
            "--role",
            "document",
        ],
    )
    assert result.exit_code != 0
    assert "role" in str(result.exception)
    assert not (tmp_path / "o.npy").exists()


def test_skip_empty_reports_skipped_and_keeps_line_ids(tmp_path, e5):
    src = tmp_path / "in.txt"
    src.write_text("first text\n\nsecond text\n   \nthird text\n", encoding="utf-8")
    out = tmp_path / "out.npy"
    report = embed(src, "-o", out, "--skip-empty", "--no-cache")
    assert report["records"] == 3 and report["skipped_empty"] == 2
    ids, vectors = read_npy(out)
    assert ids == ["1", "3", "5"]
    np.testing.assert_allclose(vectors, e5.encode(["first text", "second text", "third text"]), atol=1e-5)


def test_human_summary_goes_to_stderr(tmp_path):
    src = write_txt(tmp_path / "in.txt", TEXTS[:2])
    result = RUNNER.invoke(app, ["embed", str(src), "-o", str(tmp_path / "o.npy"), "-q", "--no-cache"])
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    assert "2 texts ->" in result.stderr and "e5-small" in result.stderr


# -- report, cache, truncation --------------------------------------------------------------
def test_json_report_fields_and_long_text_truncated(tmp_path, e5):
    long_text = " ".join(f"word{i}" for i in range(700))  # well over 512 tokens
    assert e5.count_tokens([long_text])[0] > 512
    texts = ["a short text", long_text, "another short one"]
    out = tmp_path / "out.jsonl"
    report = embed(write_txt(tmp_path / "in.txt", texts), "-o", out, "--no-cache")
    assert {
        "encoder",
        "output",
        "records",
        "encoded",
        "cache_hits",
        "tokens",
        "truncated",
        "skipped_empty",
        "seconds",
        "warnings",
        "per_second",
    } <= set(report)
    assert report["records"] == report["encoded"] == 3
    assert report["cache_hits"] == 0 and report["skipped_empty"] == 0
    assert report["truncated"] == 1
    assert report["tokens"] > 512  # the long text counts as its 512 tokens, plus the short ones
    assert report["seconds"] > 0
    assert len(report["warnings"]) == 1 and "512" in report["warnings"][0]
    rows = read_jsonl(out)
    assert [r["id"] for r in rows] == ["1", "2", "3"]
    vectors = np.asarray([r["vector"] for r in rows], dtype=np.float32)
    # Still encoded: the truncated text's vector is its first 512 tokens' vector.
    with pytest.warns(TruncationWarning):
        expected = e5.encode(texts)
    np.testing.assert_allclose(vectors, expected, atol=1e-5)
    assert np.isfinite(vectors).all()


def test_second_run_hits_the_cache(tmp_path, private_cache_root, monkeypatch):
    monkeypatch.setenv("INTERLINGUA_CACHE_DIR", str(private_cache_root))
    src = write_txt(tmp_path / "in.txt", TEXTS)
    first = embed(src, "-o", tmp_path / "a.npy")
    assert (first["records"], first["encoded"], first["cache_hits"]) == (len(TEXTS), len(TEXTS), 0)
    assert list((private_cache_root / "embeddings").glob("*.sqlite"))
    second = embed(src, "-o", tmp_path / "b.npy")
    assert second["cache_hits"] == second["records"] == len(TEXTS)
    assert second["encoded"] == 0
    np.testing.assert_array_equal(read_npy(tmp_path / "a.npy")[1], read_npy(tmp_path / "b.npy")[1])
    # The cache is keyed by role: queries are not served passage vectors.
    queries = embed(src, "-o", tmp_path / "q.npy", "--role", "query")
    assert queries["cache_hits"] == 0 and queries["encoded"] == len(TEXTS)
    # --no-cache neither reads nor writes it.
    bypass = embed(src, "-o", tmp_path / "c.npy", "--no-cache")
    assert bypass["cache_hits"] == 0 and bypass["encoded"] == len(TEXTS)


def test_cached_rerun_still_reports_truncation(tmp_path, private_cache_root, monkeypatch):
    monkeypatch.setenv("INTERLINGUA_CACHE_DIR", str(private_cache_root))
    src = write_txt(tmp_path / "in.txt", ["short", " ".join(f"token{i}" for i in range(800))])
    first = embed(src, "-o", tmp_path / "a.npy")
    assert first["truncated"] == 1
    second = embed(src, "-o", tmp_path / "b.npy")
    assert second["cache_hits"] == 2
    assert second["truncated"] == 1


# -- worker processes (a real console-script subprocess) ------------------------------------
@pytest.mark.slow
def test_two_workers_match_one_worker(tmp_path, e5):
    texts = [f"{t} ({i})" for i in range(3) for t in TEXTS]  # 36 texts, split across two processes
    src = write_txt(tmp_path / "in.txt", texts)
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    outputs = {}
    for workers in ("1", "2"):
        out = tmp_path / f"w{workers}.parquet"
        proc = subprocess.run(
            [
                console_script(),
                "embed",
                str(src),
                "-o",
                str(out),
                "--workers",
                workers,
                "--no-cache",
                "-q",
                "--json",
            ],
            capture_output=True,
            text=True,
            env=env,
            timeout=120,
        )
        assert proc.returncode == 0, proc.stderr
        assert "Traceback" not in proc.stderr
        report = json.loads(proc.stdout)
        assert report["records"] == report["encoded"] == len(texts)
        table = read_parquet(out)
        assert table.column("id").to_pylist() == [str(i) for i in range(1, len(texts) + 1)]
        outputs[workers] = parquet_vectors(table)
    np.testing.assert_allclose(outputs["2"], outputs["1"], atol=1e-5)
    np.testing.assert_allclose(outputs["2"], e5.encode(texts), atol=1e-5)
