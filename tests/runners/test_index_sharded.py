"""A sharded ``index add`` (``runners.run(AddJob, Sharding)``) leaves a collection exactly as a
one-process ``store.run(AddJob)`` does: the same documents under the same keys, the same vectors
bit for bit, the same search results, the same errors after the same batches; and a killed run
resumes without preparing finished shards again or committing anything twice."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from interlingua.errors import PartialWriteError
from interlingua.runners import Sharding
from interlingua.runners import run as run_sharded
from interlingua.store import (
    STORE_BACKENDS,
    AddJob,
    IndexSpec,
    add_documents,
    create_collection,
    open_collection,
)
from interlingua.store import run as run_store

BATCH, ROWS = 16, 48  # 3 batches a shard; 192 documents: 4 shards
SENTENCES = [
    ("The cat sleeps on the warm windowsill.", "en"),
    ("Die Katze schläft auf der warmen Fensterbank.", "deu"),
    ("Le chat dort sur le rebord de la fenêtre.", "fra_Latn"),
    ("El gato duerme en el alféizar caliente.", ""),
    ("Кошка спит на тёплом подоконнике.", "ru"),
    ("猫在温暖的窗台上睡觉。", ""),
    ("猫は暖かい窓辺で眠っている。", "ja"),
    ("القطة تنام على حافة النافذة الدافئة.", ""),
    ("बिल्ली गर्म खिड़की पर सो रही है।", "hi"),
    ("แมวนอนหลับอยู่บนขอบหน้าต่างที่อบอุ่น", ""),
    ("Η γάτα κοιμάται στο ζεστό περβάζι.", "el"),
    ("고양이가 따뜻한 창턱에서 자고 있다.", ""),
]
QUERIES = ["a cat asleep by the window", "Katze", "猫", "окно", "train"]


def _rows(n: int = 192) -> list[dict]:
    out = []
    for i in range(n):
        text, lang = SENTENCES[i % len(SENTENCES)]
        out.append({"id": f"d{i}", "text": f"{text} ({i // len(SENTENCES)})", "lang": lang, "topic": i % 7})
    return out


def _write(path: Path, rows: list[dict]) -> Path:
    if path.suffix == ".tsv":
        lines = ["id\ttext\tlang\ttopic"] + [
            f"{r['id']}\t{r['text']}\t{r['lang']}\t{r['topic']}" for r in rows
        ]
    else:
        lines = [
            json.dumps(
                {k: v for k, v in r.items() if v != ""} | {"tags": [r["topic"], "x"]}, ensure_ascii=False
            )
            for r in rows
        ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _collection(uri: str, docs: list[dict] | None = None) -> str:
    with create_collection(IndexSpec(uri=uri)):
        pass
    if docs:
        add_documents(uri, docs)
    return uri


def _job(uri: str, source: Path, **options) -> AddJob:
    return AddJob(collection=uri, source=str(source), batch_size=BATCH, **options)


def snapshot(uri: str) -> dict:
    """Everything a one-process add decides: keys, documents, vectors, what searches return."""
    with open_collection(uri, readonly=True) as col:
        keys = col.all_keys()
        docs = col.documents(keys)
        q = col.space.encode(QUERIES, role="query")
        exact = col.dense_search(q, 20, allowed=keys)  # exact, from the stored vectors
        return {
            "keys": keys.tolist(),
            "docs": [docs[int(k)] for k in keys],
            "vectors": col.catalog.vectors(keys) if hasattr(col, "catalog") else None,
            "exact": exact,
            "dense": col.dense_search(q, 10),
            # every match (k above the size): BM25 ties come in the order of the index's segments
            "lexical": [_scored(*col.lexical_search(col.segment(t), 1000)) for t in QUERIES],
            "size": len(col),
        }


def assert_same(a: dict, b: dict) -> None:
    assert a["size"] == b["size"] and a["keys"] == b["keys"]
    assert a["docs"] == b["docs"]
    if a["vectors"] is not None:
        assert a["vectors"].dtype == np.float32 and np.array_equal(a["vectors"], b["vectors"])
    for name in ("exact", "dense"):
        assert all(np.array_equal(x, y) for x, y in zip(a[name], b[name])), name
    assert a["lexical"] == b["lexical"]


def _scored(scores: np.ndarray, keys: np.ndarray) -> list[tuple[float, int]]:
    return sorted((round(float(s), 4), int(k)) for s, k in zip(scores.ravel(), keys.ravel()) if k >= 0)


@pytest.fixture(scope="module")
def sources(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("docs")
    return {ext: _write(folder / f"docs{ext}", _rows()) for ext in (".tsv", ".jsonl")}


@pytest.fixture(scope="module")
def reference(tmp_path_factory, sources):
    """One-process adds of each source (collection, snapshot, report)."""
    out = {}
    for ext, src in sources.items():
        uri = _collection(str(tmp_path_factory.mktemp("ref") / "col"))
        report = run_store(_job(uri, src))
        out[ext] = (uri, snapshot(uri), report)
    return out


def _same_report(sharded, one) -> None:
    assert (sharded.added, sharded.skipped, sharded.documents) == (one.added, one.skipped, one.documents)
    assert sharded.notes == one.notes


@pytest.mark.parametrize("ext", [".tsv", ".jsonl"])
def test_dask_two_workers_match_one_process(tmp_path, sources, reference, dask_cluster, ext):
    uri = _collection(str(tmp_path / "col"))
    events = []
    report = run_sharded(
        _job(uri, sources[ext]),
        Sharding(executor="dask", shard_rows=ROWS),
        progress=events.append,
        executor=dask_cluster,
    )
    _same_report(report, reference[ext][2])
    assert_same(snapshot(uri), reference[ext][1])
    prepared = [e for e in events if e.task == "index add: prepare" and e.kind == "advance"]
    assert len(prepared) == 4 and sum(e.n for e in prepared) == 192  # progress per finished shard
    assert not (tmp_path / "col.shards").exists()  # shard files go once committed


@pytest.mark.slow
@pytest.mark.parametrize("executor", ["processes", "local"])
def test_other_executors_match_one_process(tmp_path, sources, reference, executor):
    uri = _collection(str(tmp_path / "col"))
    report = run_sharded(_job(uri, sources[".tsv"]), Sharding(executor=executor, workers=2, shard_rows=ROWS))
    _same_report(report, reference[".tsv"][2])
    assert_same(snapshot(uri), reference[".tsv"][1])


def test_shard_rows_are_rounded_to_whole_batches(tmp_path, sources, reference):
    uri = _collection(str(tmp_path / "col"))
    report = run_sharded(_job(uri, sources[".jsonl"]), Sharding(shard_rows=50))  # 4 batches of 16 a shard
    assert "shards of 64 rows: a whole number of batches of 16" in report.notes
    assert_same(snapshot(uri), reference[".jsonl"][1])


_KILL = """
import os, sys
from interlingua.runners import Sharding, run
from interlingua.store import AddJob
n = 0
def progress(event):
    global n
    if event.kind == "advance" and event.task == "index add":
        n += 1
        if n == 5:
            os._exit(137)  # killed: no cleanup, the writer lock dropped by the system
run(AddJob(collection=sys.argv[1], source=sys.argv[2], batch_size=16), Sharding(shard_rows=48), progress=progress)
"""


@pytest.mark.slow
@pytest.mark.parametrize("window", ["after commit", "before commit"])
def test_resume_after_kill(tmp_path, sources, reference, dask_cluster, window):
    uri, src = _collection(str(tmp_path / "col")), sources[".tsv"]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    killed = subprocess.run(
        [sys.executable, "-c", _KILL, uri, str(src)], env=env, capture_output=True, text=True
    )
    assert killed.returncode == 137, killed.stderr
    work = tmp_path / "col.shards"
    (ledger,) = work.glob("*-index.commit.json")
    mark = json.loads(ledger.read_text())
    assert mark["done"] == [1, 1] and mark["added"] == 80  # shard 0 and two batches of shard 1
    assert not list(work.glob("*-index-00000.*"))  # shard 0: committed, its files removed
    with open_collection(uri, readonly=True) as col:
        assert len(col) == 80
    if window == "after commit":  # the ledger as a kill between commit (1, 1) and its record leaves it
        mark |= {"done": [1, 0], "added": 64, "pending": [1, 1], "fresh": True, "batch": [16, 0]}
    else:  # ... and as one between the record of (1, 2) as pending and its commit
        mark |= {"pending": [1, 2], "fresh": True, "batch": [16, 0]}
    ledger.write_text(json.dumps(mark))
    shard1 = next(work.glob("*-index-00001.done.json"))
    made = shard1.stat().st_mtime_ns
    report = run_sharded(
        _job(uri, src), Sharding(executor="dask", shard_rows=ROWS, keep_shards=True), executor=dask_cluster
    )
    assert_same(snapshot(uri), reference[".tsv"][1])  # nothing committed twice, nothing left out
    assert (report.added, report.documents) == (192, 192)  # the whole job's counts
    assert shard1.stat().st_mtime_ns == made  # a finished shard is not prepared again
    assert not list(work.glob("*-index-00000.*"))  # nor one already committed
    assert len(list(work.glob("*-index-0000[23].done.json"))) == 2


def _failures(tmp_path, src, dask_cluster, prefill=None, **options):
    """The error and collection of a one-process add and of a sharded one."""
    out = []
    for name in ("one", "sharded"):
        uri = _collection(str(tmp_path / name), prefill)
        with pytest.raises(Exception) as caught:
            if name == "one":
                run_store(_job(uri, src, **options))
            else:
                run_sharded(
                    _job(uri, src, **options),
                    Sharding(executor="dask", shard_rows=ROWS),
                    executor=dask_cluster,
                )
        out.append((caught.value, snapshot(uri), uri))
    return out


def _message(exc: BaseException, uri: str) -> str:
    return str(exc).replace(uri, "<collection>")


@pytest.mark.slow
@pytest.mark.parametrize("ext", [".tsv", ".jsonl"])
def test_duplicate_id_in_a_later_shard(tmp_path, dask_cluster, ext):
    rows = _rows(200)
    rows[170]["id"] = "d7"  # shard 3, batch 10: 10 batches are committed first
    src = _write(tmp_path / f"dup{ext}", rows)
    (one, one_col, a), (sharded, sharded_col, b) = _failures(tmp_path, src, dask_cluster)
    assert type(sharded) is type(one) is PartialWriteError
    assert _message(sharded, b) == _message(one, a) and str(sharded.__cause__) == str(one.__cause__)
    assert "id 'd7' was already used on line" in str(one.__cause__)
    assert sharded_col["size"] == 160
    assert_same(sharded_col, one_col)


@pytest.mark.slow
def test_id_already_in_the_collection(tmp_path, sources, dask_cluster):
    prefill = [{"id": "d100", "text": "already here", "lang": "en"}]
    (one, one_col, a), (sharded, sharded_col, b) = _failures(tmp_path, sources[".tsv"], dask_cluster, prefill)
    assert type(sharded) is type(one) is PartialWriteError and _message(sharded, b) == _message(one, a)
    assert str(sharded.__cause__) == str(one.__cause__) and "already in the collection" in str(one.__cause__)
    assert sharded_col["size"] == 1 + 96
    assert_same(sharded_col, one_col)


@pytest.mark.slow
@pytest.mark.parametrize("mode", ["upsert", "skip_existing"])
def test_ids_already_there(tmp_path, sources, dask_cluster, mode):
    prefill = [
        {"id": f"d{i}", "text": f"old text {i}", "lang": "en", "meta": {"old": True}}
        for i in range(40, 90, 3)
    ]
    got = []
    for name in ("one", "sharded"):
        uri = _collection(str(tmp_path / name), prefill)
        job = _job(uri, sources[".jsonl"], **{mode: True})
        if name == "one":
            report = run_store(job)
        else:
            report = run_sharded(job, Sharding(executor="dask", shard_rows=ROWS), executor=dask_cluster)
        got.append((report, snapshot(uri)))
    (one, one_col), (sharded, sharded_col) = got
    _same_report(sharded, one)
    assert one.skipped == (17 if mode == "skip_existing" else 0)
    assert_same(sharded_col, one_col)


@pytest.mark.skipif("postgres" not in STORE_BACKENDS, reason="the postgres store backend is not registered")
@pytest.mark.slow
def test_postgres_collection_matches_one_process(pg_uri, sources, dask_cluster):
    src = sources[".tsv"]
    one = _collection(pg_uri + "_one")
    sharded = _collection(pg_uri)
    one_report = run_store(_job(one, src))
    report = run_sharded(
        _job(sharded, src), Sharding(executor="dask", shard_rows=ROWS), executor=dask_cluster
    )
    _same_report(report, one_report)
    assert_same(snapshot(sharded), snapshot(one))
