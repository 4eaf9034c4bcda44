"""The sharded embed (``runners.run(EmbedJob, Sharding)``) on a real dask LocalCluster, worker
processes and in-process, with the real e5-small model: the output is ``embed.run``'s, bit for bit."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from interlingua import embed, runners
from interlingua.errors import InputError
from interlingua.io import read_embedding_texts, read_embeddings, read_provenance
from interlingua.runners import Sharding

SENTENCES = [
    "The cat sleeps on the warm windowsill.",
    "Die Katze schläft auf der warmen Fensterbank.",
    "Кошка спит на тёплом подоконнике.",
    "猫在温暖的窗台上睡觉。",
    "القطة تنام على حافة النافذة الدافئة.",
    "แมวนอนหลับอยู่บนขอบหน้าต่างที่อบอุ่น",
    "Trains leave every ten minutes.",
    "明天会下雨，记得带伞。",
    "Paka analala.",
]
N = 100
CHUNK = 16
ROWS = 32  # 4 shards: 32, 32, 32, 4


def _texts() -> list[str]:
    # lengths vary within a chunk, so a chunk cut elsewhere would batch (and round) differently
    return [f"{SENTENCES[i % len(SENTENCES)]} {'(' + str(i) + ') ' * (i % 3)}" for i in range(N)]


def _write(folder: Path, fmt: str) -> Path:
    texts = _texts()
    if fmt == "txt":
        path = folder / "in.txt"
        path.write_text("\n".join(texts[:40]) + "\n\n\n" + "\n".join(texts[40:]) + "\n", encoding="utf-8")
    elif fmt == "tsv":
        path = folder / "in.tsv"
        path.write_text("id\ttext\n" + "".join(f"s{i}\t{t}\n" for i, t in enumerate(texts)), encoding="utf-8")
    else:
        path = folder / "in.parquet"
        pq.write_table(pa.table({"id": [f"p{i}" for i in range(N)], "text": texts}), path, row_group_size=24)
    return path


def _job(source: Path, output: Path, **changes) -> embed.EmbedJob:
    values = {"chunk_size": CHUNK, "cache": False, "input.skip_empty": True, **changes}
    return embed.EmbedJob(source=str(source), output=str(output)).with_flat(values)


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """``embed.run`` of each format's fixture (one process): ``fmt -> (source, ids, vectors)``."""
    made: dict[str, tuple[Path, list[str], np.ndarray]] = {}

    def get(fmt: str) -> tuple[Path, list[str], np.ndarray]:
        if fmt not in made:
            folder = tmp_path_factory.mktemp(f"ref-{fmt}")
            source = _write(folder, fmt)
            embed.run(_job(source, folder / "ref.npy"))
            ids, vectors = read_embeddings(folder / "ref.npy")
            made[fmt] = source, ids, np.array(vectors)
        return made[fmt]

    return get


def _same(output: Path, ids: list[str], vectors: np.ndarray) -> None:
    got_ids, got = read_embeddings(output)
    assert got_ids == ids
    assert got.dtype == np.float32 and np.array_equal(got, vectors)


@pytest.mark.parametrize("fmt", ["txt", "tsv"])
def test_dask_gives_embed_runs_vectors(fmt, reference, dask_cluster, tmp_path):
    source, ids, vectors = reference(fmt)
    out = tmp_path / "out.parquet"
    events = []
    job = _job(source, out, with_text=True)
    report = runners.run(
        job, Sharding(executor="dask", shard_rows=ROWS), executor=dask_cluster, progress=events.append
    )
    got_ids, got = read_embeddings(out)
    assert got_ids == ids and np.array_equal(got, vectors)
    assert read_embedding_texts(out)[:2] == _texts()[:2]
    assert report.records == report.encoded == N and report.cache_hits == 0 and report.tokens > N
    assert report.skipped_empty == (2 if fmt == "txt" else 0)
    assert report.notes[-1] == "4 shard(s) on dask, 2 worker(s)"
    prov = read_provenance(out)
    assert prov["fingerprint"] == job.fingerprint() and prov["role"] == "passage"
    assert prov["space"]["identity"] == report.space
    assert not (tmp_path / "out.parquet.shards").exists()  # shard files removed
    # progress: one advance per finished shard, of its texts
    shards = [e for e in events if e.task == "embed e5-small"]
    assert shards[0].kind == "start" and shards[0].total == N and shards[0].unit == "text"
    assert sorted(e.n for e in shards if e.kind == "advance") == [4, 32, 32, 32]


def test_dask_folder_of_files(reference, dask_cluster, tmp_path):
    """Files cut at a multiple of chunk_size give the chunks of one file: the same vectors."""
    _, _, vectors = reference("txt")
    texts = _texts()
    folder = tmp_path / "parts"
    folder.mkdir()
    (folder / "a.txt").write_text("\n".join(texts[:48]) + "\n", encoding="utf-8")
    (folder / "b.txt").write_text("\n".join(texts[48:]) + "\n", encoding="utf-8")
    out = tmp_path / "out.npy"
    report = runners.run(_job(folder, out), Sharding(executor="dask", shard_rows=ROWS), executor=dask_cluster)
    ids = [f"a.txt:{i}" for i in range(1, 49)] + [f"b.txt:{i}" for i in range(1, 53)]
    _same(out, ids, vectors)
    assert report.notes[-1] == "4 shard(s) on dask, 2 worker(s)"  # a: 32 + 16, b: 32 + 20


@pytest.mark.parametrize("executor", ["processes", "local"])
def test_processes_and_local(executor, reference, tmp_path):
    source, ids, vectors = reference("tsv")
    out = tmp_path / "out.npy"
    pattern = source.parent / "*.tsv"  # a glob of one file; ids from its id column stay as they are
    report = runners.run(_job(pattern, out), Sharding(executor=executor, shard_rows=ROWS, workers=2))
    _same(out, ids, vectors)
    assert read_provenance(out)["source_stat"][0][0] == str(source)
    assert report.notes[-1].startswith(f"4 shard(s) on {executor}")


def test_resume_reuses_finished_shards(reference, tmp_path):
    source, ids, vectors = reference("txt")
    out, work = tmp_path / "out.npy", tmp_path / "work"
    sharding = Sharding(executor="local", shard_rows=20, work_dir=str(work), keep_shards=True)
    first = runners.run(_job(source, out), sharding)
    assert "shards of 32 texts, not 20" in first.notes[0]  # rounded up to a multiple of chunk_size
    done = sorted(work.glob("*.done.json"))
    assert len(done) == 4
    _same(out, ids, vectors)
    out.unlink()
    # a killed run: shard 2 never finished (no done record), shard 3 lost its vectors
    done[2].unlink()
    Path(str(done[3]).replace(".done.json", ".npy")).unlink()
    kept = Path(str(done[0]).replace(".done.json", ".npy")).stat().st_mtime_ns
    leftover = work / f".{done[2].name.replace('.done.json', '.npy')}.1a2b3c4d.tmp"  # its half-written file
    leftover.write_bytes(b"\x93NUMPY")
    again = runners.run(_job(source, out), sharding)
    _same(out, ids, vectors)
    assert again.notes[-1].startswith(f"4 shard(s) (2 reused from {work}) on local, 1 worker(s)")
    assert again.records == N and again.encoded == N  # reused shards report what they did
    assert Path(str(done[0]).replace(".done.json", ".npy")).stat().st_mtime_ns == kept  # not made again
    assert len(list(work.glob("*.done.json"))) == 4 and not leftover.exists()
    last = runners.run(_job(source, out), sharding.replace(keep_shards=False))
    _same(out, ids, vectors)
    assert "(4 reused from" in last.notes[-1] and not work.exists()


def test_checked_on_the_client_before_any_shard(tmp_path):
    source = tmp_path / "in.jsonl"
    source.write_text("".join(json.dumps({"text": t}) + "\n" for t in _texts()[:30]) + "{oops\n")
    with pytest.raises(InputError) as err:
        runners.run(_job(source, tmp_path / "out.npy"), Sharding(executor="local", shard_rows=ROWS))
    assert err.value.line == 31
    assert not (tmp_path / "out.npy.shards").exists()
    with pytest.raises(InputError, match="destroy the input"):
        runners.run(
            _job(source, source.with_suffix(".npy")).replace(output=str(source), output_format="jsonl")
        )


def test_dask_parquet_row_groups_and_shared_cache(reference, dask_cluster, tmp_path, monkeypatch):
    """Parquet shards cut across row groups (of 24 rows); workers of one machine share the client's
    SQLite cache (WAL): a cold run is embed.run's bits, a rerun is all hits, the same bits."""
    monkeypatch.setenv("INTERLINGUA_CACHE_DIR", str(tmp_path / "cache"))
    source, ids, vectors = reference("parquet")
    sharding = Sharding(executor="dask", shard_rows=ROWS)
    cold = runners.run(_job(source, tmp_path / "a.npy", cache=True), sharding, executor=dask_cluster)
    warm = runners.run(_job(source, tmp_path / "b.npy", cache=True), sharding, executor=dask_cluster)
    assert (cold.cache_hits, cold.encoded, warm.cache_hits, warm.encoded) == (0, N, N, 0)
    _same(tmp_path / "a.npy", ids, vectors)
    _same(tmp_path / "b.npy", ids, vectors)


@pytest.mark.slow
def test_cli_executor_dask(reference, cli, tmp_path):
    source, ids, vectors = reference("txt")
    out = tmp_path / "out.npy"
    code, _, err = cli(
        "embed", source, "-o", out, "--executor", "dask", "--workers", "2", "--shard-rows", ROWS,
        "--set", f"chunk_size={CHUNK}", "--skip-empty", "--no-cache", "-q",
    )  # fmt: skip
    assert code == 0, err
    _same(out, ids, vectors)
    assert "4 shard(s) on dask, 2 worker(s)" in err
