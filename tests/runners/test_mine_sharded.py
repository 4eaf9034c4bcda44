"""The sharded mine gives the pairs ``mine.run`` gives in one process: the same pairs, scores and
order, for the IVF index (trained, added per shard, merged) and the exact search, on a real dask
LocalCluster, spawned processes and in process; a killed run resumes; progress comes per shard."""

from pathlib import Path

import numpy as np
import pytest

from interlingua import runners
from interlingua.io import EmbeddingWriter
from interlingua.mine import MineJob
from interlingua.mine import run as mine_run
from interlingua.neutral import SpaceSpec, cached_space, provenance
from interlingua.runners import Sharding

N_SRC, N_TGT, DIM = 600, 5000, 384  # 5,000 targets: two database shards (of 4,096 rows and 904)


def _unit(x):
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    """Texts and their vectors (with the provenance mine checks): 600 sources, each a noisy copy of
    one of 5,000 targets, the rest of the targets unrelated."""
    d = tmp_path_factory.mktemp("mine_sharded")
    rng = np.random.default_rng(7)
    tgt = _unit(rng.normal(size=(N_TGT, DIM)))
    src = _unit(tgt[:N_SRC] + 0.06 * rng.normal(size=(N_SRC, DIM)))
    stamp = provenance("embeddings", cached_space(SpaceSpec()), role="query")
    for name, x in (("src", src), ("tgt", tgt)):
        (d / f"{name}.txt").write_text("".join(f"{name} text {i}\n" for i in range(len(x))), encoding="utf-8")
        with EmbeddingWriter(d / f"{name}.npy", DIM, provenance=stamp) as w:
            w.write([str(i + 1) for i in range(len(x))], x)
    return d


def _job(d: Path, output: Path, knn: str, **extra) -> MineJob:
    job = MineJob(
        src=str(d / "src.txt"),
        tgt=str(d / "tgt.txt"),
        src_emb=str(d / "src.npy"),
        tgt_emb=str(d / "tgt.npy"),
        output=str(output),
        src_lang="de",
        tgt_lang="en",
    )
    values = {
        "knn.backend": knn,
        "knn.block_size": 128,
        "margin.threshold": 0.0,  # every selected pair: the longest list to compare
        "filters.enabled": [],
        **extra,
    }
    return job.with_flat(values)


def _pairs(path: Path) -> list[list[str]]:
    """The rows of a pairs file (the provenance line, with its creation time, left out)."""
    lines = path.read_text(encoding="utf-8").splitlines()
    assert lines[0].startswith("# interlingua ")
    return [line.split("\t") for line in lines[1:]]


def _same_as_one_process(d, tmp_path, knn, sharding, executor=None, **extra):
    one = mine_run(_job(d, tmp_path / "one.tsv", knn, **extra))
    job = _job(d, tmp_path / "sharded.tsv", knn, **extra)
    report = runners.run(job, sharding, executor=executor)
    expected, got = _pairs(tmp_path / "one.tsv"), _pairs(tmp_path / "sharded.tsv")
    assert len(expected) > 550  # the planted pairs (and the header)
    assert got == expected
    assert (report.pairs, report.candidates, report.knn) == (one.pairs, one.candidates, one.knn)
    return report


@pytest.mark.parametrize(
    "knn, extra",
    [("IVF16,Flat", {"knn.nprobe": 2}), ("ivf", {}), ("exact", {})],
    ids=["ivf16-nprobe2", "ivf-auto", "exact"],
)
def test_dask_gives_the_pairs_of_one_process(corpus, tmp_path, dask_cluster, knn, extra):
    sharding = Sharding(
        executor="dask", workers=2, shard_rows=256, work_dir=str(tmp_path / "w"), keep_shards=True
    )
    report = _same_as_one_process(corpus, tmp_path, knn, sharding, dask_cluster, **extra)
    names = {p.name.split("-", 1)[1] for p in (tmp_path / "w").glob("*.done.json")}
    if knn != "exact":  # trained once, added in two shards, merged, for the 5,000 targets
        assert {"fwd-train-00000.done.json", "fwd-index-00000.done.json"} <= names
        assert {"fwd-add-00000.done.json", "fwd-add-00001.done.json"} <= names
        assert "fwd-add-00002.done.json" not in names
    last = -(-N_TGT // 256) - 1  # 5,000 queries in shards of 256 (two k-NN blocks)
    assert f"bwd-knn-{last:05d}.done.json" in names and f"bwd-knn-{last + 1:05d}.done.json" not in names
    assert report.blocks_computed == -(-N_SRC // 128) + -(-N_TGT // 128)
    assert "on dask, 2 worker(s)" in report.notes[-1]


@pytest.mark.parametrize("executor", ["local", "processes"])
def test_local_and_processes_give_the_pairs_of_one_process(corpus, tmp_path, executor):
    sharding = Sharding(executor=executor, workers=2, shard_rows=4096)
    _same_as_one_process(corpus, tmp_path, "IVF16,Flat", sharding, **{"knn.nprobe": 3})
    assert not (tmp_path / "sharded.tsv.shards").exists()  # shard files removed once the pairs are out


def test_a_killed_run_resumes_without_redoing_shards(corpus, tmp_path):
    one = mine_run(_job(corpus, tmp_path / "one.tsv", "IVF16,Flat", **{"knn.nprobe": 2}))
    job = _job(corpus, tmp_path / "out.tsv", "IVF16,Flat", **{"knn.nprobe": 2})
    sharding = Sharding(executor="local", shard_rows=1024)
    searched = []

    class Killed(Exception):
        pass

    def progress(event):
        if event.kind == "advance" and event.task == "k-NN":
            searched.append(event.n)
            if len(searched) == 4:
                raise Killed

    with pytest.raises(Killed):
        runners.run(job, sharding, progress=progress)
    folder = tmp_path / "out.tsv.shards"
    assert len(list(folder.glob("*-fwd-knn-*.done.json"))) == 1  # 600 queries: one shard
    assert len(list(folder.glob("*-bwd-knn-*.done.json"))) == 3
    assert not list(folder.glob(".*.tmp"))  # nothing half-written
    events = []
    report = runners.run(job, sharding, progress=events.append)
    ran = {e.task for e in events if e.kind == "advance"}
    assert "k-NN add" not in ran and "k-NN index" not in ran  # the indexes were finished: reused
    assert report.blocks_reused == -(-N_SRC // 128) + 3 * 1024 // 128
    assert report.blocks_computed == -(-N_TGT // 128) - 3 * 1024 // 128
    assert _pairs(tmp_path / "out.tsv") == _pairs(tmp_path / "one.tsv") and report.pairs == one.pairs
    assert not folder.exists()


def test_progress_comes_per_finished_shard(corpus, tmp_path):
    events = []
    job = _job(corpus, tmp_path / "out.tsv", "IVF16,Flat")
    runners.run(job, Sharding(executor="local", shard_rows=2048), progress=events.append)
    by_task = {}
    for e in events:
        by_task.setdefault(e.task, []).append(e)
    starts = {
        t: next(e for e in es if e.kind == "start") for t, es in by_task.items() if t.startswith("k-NN")
    }
    assert starts["k-NN index"].total == 2 and starts["k-NN index"].unit == "shard"  # one a direction
    assert starts["k-NN add"].total == N_TGT + N_SRC and starts["k-NN add"].unit == "vec"
    adds = [e.n for e in by_task["k-NN add"] if e.kind == "advance"]
    assert sorted(adds) == sorted([4096, 904, 600])  # shards of 4,096 database rows
    searches = [e.n for e in by_task["k-NN"] if e.kind == "advance"]
    assert sum(searches) == N_SRC + N_TGT and len(searches) == 1 + -(-N_TGT // 2048)
    assert all(any(e.kind == "end" for e in by_task[t]) for t in starts)


def test_vectors_read_into_memory_are_sharded_too(corpus, tmp_path):
    """Vectors from Parquet are in memory, not a memmap: the runner writes a copy the workers read."""
    pytest.importorskip("pyarrow")
    from interlingua.io import read_embeddings

    ids, vecs = read_embeddings(corpus / "src.npy")
    stamp = provenance("embeddings", cached_space(SpaceSpec()), role="query")
    with EmbeddingWriter(tmp_path / "src.parquet", DIM, provenance=stamp) as w:
        w.write(ids, np.asarray(vecs))
    extra = {"src_emb": str(tmp_path / "src.parquet")}
    one = mine_run(_job(corpus, tmp_path / "one.tsv", "exact", **extra))
    report = runners.run(_job(corpus, tmp_path / "out.tsv", "exact", **extra), Sharding(shard_rows=1024))
    assert _pairs(tmp_path / "out.tsv") == _pairs(tmp_path / "one.tsv") and report.pairs == one.pairs
    assert not (tmp_path / "out.tsv.shards").exists()


def _cli_args(corpus):
    return [
        corpus / "src.txt",
        corpus / "tgt.txt",
        "--src-emb",
        corpus / "src.npy",
        "--tgt-emb",
        corpus / "tgt.npy",
        "--knn",
        "IVF16,Flat",
        "--nprobe",
        "2",
        "--threshold",
        "0",
        "--src-lang",
        "de",
        "--tgt-lang",
        "en",
        "-q",
    ]


def test_cli_mines_on_a_running_scheduler(corpus, tmp_path, cli, dask_cluster):
    code, _, err = cli("mine", *_cli_args(corpus), "-o", tmp_path / "one.tsv")
    assert code == 0, err
    sharded = ["--scheduler", dask_cluster.address, "--shard-rows", "2048", "--shard-dir", tmp_path / "w"]
    code, _, err = cli("mine", *_cli_args(corpus), "-o", tmp_path / "out.tsv", *sharded)
    assert code == 0, err
    assert "on dask, 2 worker(s)" in err
    assert _pairs(tmp_path / "out.tsv") == _pairs(tmp_path / "one.tsv")
    assert not (tmp_path / "w").exists()


@pytest.mark.slow
def test_cli_mines_on_a_local_dask_cluster(corpus, tmp_path, cli):
    code, _, err = cli("mine", *_cli_args(corpus), "-o", tmp_path / "one.tsv")
    assert code == 0, err
    sharded = ["--executor", "dask", "--workers", "2"]
    code, _, err = cli("mine", *_cli_args(corpus), "-o", tmp_path / "out.tsv", *sharded)
    assert code == 0, err
    assert "on dask, 2 worker(s)" in err
    assert _pairs(tmp_path / "out.tsv") == _pairs(tmp_path / "one.tsv")


SENTENCES = [
    ("Der Zug fährt um acht Uhr ab.", "The train leaves at eight o'clock."),
    ("Ich trinke morgens gern Kaffee.", "I like to drink coffee in the morning."),
    ("Das Museum ist montags geschlossen.", "The museum is closed on Mondays."),
    ("Meine Schwester wohnt in Hamburg.", "My sister lives in Hamburg."),
    ("Es regnet seit drei Tagen.", "It has been raining for three days."),
    ("Der Hund schläft unter dem Tisch.", "The dog is sleeping under the table."),
    ("Wir haben das Spiel knapp verloren.", "We narrowly lost the game."),
    ("Bitte schließ das Fenster.", "Please close the window."),
    ("Die Suppe ist zu salzig.", "The soup is too salty."),
    ("Er liest jeden Abend ein Buch.", "He reads a book every evening."),
    ("Der Laden öffnet um neun.", "The shop opens at nine."),
    ("Sie spielt seit Jahren Geige.", "She has played the violin for years."),
]


@pytest.mark.slow
def test_texts_are_embedded_as_shards_on_dask(tmp_path, dask_cluster):
    """No vectors given: both sides are embedded by the sharded embed, then mined as shards."""
    de = [d for d, _ in SENTENCES] + [f"Zeile {i} handelt von nichts Besonderem." for i in range(20)]
    en = [e for _, e in SENTENCES][::-1] + [f"Line {i} is about the weather in town {i}." for i in range(25)]
    (tmp_path / "de.txt").write_text("\n".join(de) + "\n", encoding="utf-8")
    (tmp_path / "en.txt").write_text("\n".join(en) + "\n", encoding="utf-8")
    job = MineJob(
        src=str(tmp_path / "de.txt"), tgt=str(tmp_path / "en.txt"), src_lang="de", tgt_lang="en"
    ).with_flat({"knn.backend": "exact", "knn.block_size": 8, "margin.top": 15, "filters.enabled": []})
    one = mine_run(job.replace(output=str(tmp_path / "one.tsv")))
    sharding = Sharding(executor="dask", shard_rows=16)
    work = job.replace(output=str(tmp_path / "out.tsv"), work_dir=str(tmp_path / "work"))
    report = runners.run(work, sharding, executor=dask_cluster)
    assert report.embeddings_reused == 0 and (tmp_path / "work" / "src.npy").is_file()
    assert _pairs(tmp_path / "out.tsv") == _pairs(tmp_path / "one.tsv") and report.pairs == one.pairs
    found = {(r[3], r[4]) for r in _pairs(tmp_path / "out.tsv")[1:]}
    assert sum(pair in found for pair in SENTENCES) >= 10
    rerun = runners.run(work, sharding, executor=dask_cluster)
    assert rerun.embeddings_reused == 2  # the job's work folder keeps them, as mine.run's does
    assert _pairs(tmp_path / "out.tsv") == _pairs(tmp_path / "one.tsv")
