"""Dense search near the limit: the recall@10-against-queries/s curve on one thread for exact
search, today's default (HNSW32,Flat over a sweep of efSearch) and candidate indexes, each built
by the collection's own index builder (``interlingua._faiss.make_index``), in one run; then the
collection's own search call on the chosen index against bare faiss on the same index.

Vectors: real e5-small embeddings of Tatoeba sentences (a mix of 80 languages), spread to
``--n`` points by mixing two real embeddings and adding Gaussian noise, then normalizing
(``v = norm(e_i + 0.5 * u * e_j + noise)``). The points stay in the region of space that
real embeddings occupy (unrelated pairs have cosine ~0.8; never uniform random vectors, on which
ANN recall means nothing). Queries are built the same way from sentences not among the base.

A configuration is ``FACTORY``, ``FACTORY|k_factor`` (a refine stage, ``...,RFlat``, re-scores
``k_factor * 10`` candidates exactly) or ``auto``, the index a new collection of ``--n`` documents
gets by default (``DenseOptions``: HNSW32 up to 800k, then an IVF sized to n); its curve
sweeps efSearch (HNSW) or nprobe (IVF). Index builds use ``--build-threads``; queries run on one thread, each point timed twice, all queries in
one call (faiss then scans each IVF cell once for every query that probes it) and one query per
call over the first ``--one-queries`` (what a server answering one user at a time gets). The two
differ for IVF at 1M (2.2x with an HNSW coarse quantizer, 4.4x with a flat one), not for HNSW.
The collection measurement picks the fastest configuration by the second. The last line of
the report is auto's point at the nprobe a collection searches it with (128) against HNSW32 at
efSearch 512, the default below the IVF threshold.

    python benchmarks/search.py --n 200000                       # quicker
    python benchmarks/search.py --n 1000000 --out /tmp/search-1m # the issue's measurement
    FAISS_SIMD_LEVEL=AVX2 python benchmarks/search.py --n 1000000  # faiss's AVX2 kernels here
"""

from __future__ import annotations

import os

os.environ["OMP_NUM_THREADS"] = "1"  # before numpy / faiss / onnxruntime load their thread pools

import argparse  # noqa: E402
import json  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from encode import load_sentences  # noqa: E402
from scale import cpu_flags  # noqa: E402

BASELINE = "HNSW32,Flat"
#: by default today's index and "auto", what a new collection of --n documents gets: above
#: 800k documents the best candidate measured, IVF cells (16 sqrt(n) rounded up to a power of
#: two: 16,384 at 1M) found by an HNSW graph over the centroids (searched nprobe wide), 4-bit fast-scan PQ
#: codes of each vector's residual (two dimensions a code; with inner product one lookup table
#: serves every cell), and 400 candidates re-scored exactly (k_factor 40), probed 128 cells wide.
#: At 1M on an AVX-512 / VNNI Xeon (faiss 1.15.1): recall 0.951 at nprobe 128, 2.79x HNSW32 ef
#: 512 one query per call, 6.14x with all queries in one call; with a flat coarse quantizer
#: instead (IVF16384,PQ192x4fsr,RFlat|40) 8.60x in one call but 2.00x one query per call (a 25 MB
#: scan of the centroids a query). Routing recall depends on nprobe, not on the cell count, so
#: more cells scan less for the same recall: the earlier 4 sqrt(n) cells
#: (IVFauto, 4,000 at 1M) scanned 2.4% of the vectors at nprobe 96. Measured slower (add them with
#: --configs): IVFauto,RaBitQfs2,RFlat|10 (1.61x in one call, 1.26x one per call; RaBitQ builds a
#: table per probed cell), IVF16384,RaBitQfs2,RFlat|10, non-residual PQ96x4fs / PQ192x4fs (recall
#: falls as nprobe grows), PQ96x4fsr (stops at 0.60); at 1M IVFauto,RaBitQfs,RFlat|40 (1.67x) and
#: |20 (recall stops at 0.93); at 200k HNSW32,SQfp16; HNSW32,SQ8,RFlat|2 (build 3.7x longer);
#: HNSW over centered or PCA-reduced vectors (+ exact re-scoring: the noise decides the top 10 in
#: every dimension); IVF_HNSW32,PQ192x4fs,RFlat; IVFauto_HNSW32,SQ8,RFlat|4;
#: IVFauto,RaBitQfs4,RFlat|2; IVFauto,FlatPanorama; HNSW48,Flat (0.85x one query per call) and
#: HNSW32 at --ef-construction 300 (1.06x, build 3.6x longer)
CONFIGS = [BASELINE, "auto"]
EF = [32, 48, 64, 96, 128, 192, 256, 384, 512, 768, 1024]
NPROBE = [16, 32, 64, 96, 128, 160, 192, 256]
TARGET = 0.95


def auto_config(n: int, dim: int) -> str:
    """The configuration a new collection of ``n`` documents gets by default ("auto"), searched
    with the settings its index keeps (k_factor here; nprobe is swept)."""
    from interlingua._faiss import IVF_K_FACTOR, is_auto_ivf
    from interlingua.store import DenseOptions
    from interlingua.store._manifest import dense_factory_for

    factory = dense_factory_for(DenseOptions().to_dict(), n, dim)
    return f"{factory}|{IVF_K_FACTOR}" if is_auto_ivf(factory) else factory


def spread(base: np.ndarray, n: int, seed: int, noise: float) -> np.ndarray:
    rng = np.random.default_rng(seed)
    out = np.empty((n, base.shape[1]), np.float32)
    for s in range(0, n, 100_000):
        m = min(100_000, n - s)
        i, j = rng.integers(0, len(base), m), rng.integers(0, len(base), m)
        x = base[i] + 0.5 * rng.random((m, 1), dtype=np.float32) * base[j]
        x += rng.standard_normal(x.shape, dtype=np.float32) * noise
        out[s : s + m] = x / np.linalg.norm(x, axis=1, keepdims=True)
    return out


def per_query(fn, queries: np.ndarray) -> float:
    t = time.perf_counter()
    for q in queries:
        fn(q)
    return len(queries) / (time.perf_counter() - t)


def both_ways(search, xq: np.ndarray, one: int, repeat: int) -> tuple[float, float, np.ndarray]:
    """Queries/s of ``search`` (a (m, d) array -> (scores, ids)) with all of ``xq`` in one call and
    one query per call over its first ``one``, best of ``repeat`` interleaved rounds; and the ids."""
    best, best_one, found = float("inf"), 0.0, None
    for _ in range(repeat):
        t = time.perf_counter()
        _, found = search(xq)
        best = min(best, time.perf_counter() - t)
        best_one = max(best_one, per_query(lambda q: search(q[None, :]), xq[:one]))
    return len(xq) / best, best_one, found


def recall(found: np.ndarray, truth: np.ndarray) -> float:
    return float(np.mean([len(set(f) & set(t)) / truth.shape[1] for f, t in zip(found, truth)]))


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def build(config: str, xb: np.ndarray, keys: np.ndarray, threads: int, ef_construction: int):
    """The index a collection builds for ``config`` (an ID map over the factory), filled."""
    import faiss

    from interlingua._faiss import make_index, training_size

    factory = config.split("|")[0]
    faiss.omp_set_num_threads(threads)
    before = rss_mb()
    t = time.perf_counter()
    index = faiss.IndexIDMap2(make_index(factory, xb.shape[1], n=len(xb), ef_construction=ef_construction))
    if not index.is_trained:
        sample = np.random.default_rng(0).choice(len(xb), size=training_size(index, len(xb)), replace=False)
        index.train(xb[np.sort(sample)])
    for s in range(0, len(xb), 100_000):
        index.add_with_ids(xb[s : s + 100_000], keys[s : s + 100_000])
    took = time.perf_counter() - t
    faiss.omp_set_num_threads(1)
    return index, {
        "build_s": took,
        "memory_mb": faiss.serialize_index(index).nbytes / 2**20,
        "rss_growth_mb": rss_mb() - before,
    }


def sweep(
    index, config: str, xq: np.ndarray, truth: np.ndarray, knobs: dict, repeat: int, one: int
) -> list[dict]:
    """One point per knob value: recall@10, queries/s with all queries in one call (``qps``) and
    one query per call over the first ``one`` queries (``qps_one``, what a server answering one
    user at a time sees); best of ``repeat`` rounds, the two timings interleaved."""
    from interlingua._faiss import index_params, is_ivf

    k_factor = int(config.split("|")[1]) if "|" in config else 1
    ivf = is_ivf(config.split("|")[0])
    name, values = ("nprobe", knobs["nprobe"]) if ivf else ("ef_search", knobs["ef_search"])
    out = []
    for v in values:
        params = index_params(index, k=10, k_factor=k_factor, **{name: v})
        qps, qps_one, found = both_ways(lambda x, p=params: index.search(x, 10, params=p), xq, one, repeat)
        out.append(
            {name: v, "k_factor": k_factor, "recall@10": recall(found, truth), "qps": qps, "qps_one": qps_one}
        )
    return out


def at_target(points: list[dict], key: str = "qps") -> dict | None:
    """The fastest point of a curve (by ``key``) at recall@10 >= TARGET."""
    good = [p for p in points if p["recall@10"] >= TARGET]
    return max(good, key=lambda p: p[key]) if good else None


def store_overhead(index, config: str, knob: dict, xb: np.ndarray, xq: np.ndarray, enc) -> dict:
    """Per-query q/s of bare faiss, ``Collection.dense_search`` and ``Searcher.search`` on the same index."""
    from interlingua._faiss import index_params
    from interlingua.search import Searcher
    from interlingua.store import Collection, FaissDense

    factory = config.split("|")[0]
    k_factor = knob.get("k_factor", 1)
    with tempfile.TemporaryDirectory(prefix="interlingua-bench-") as tmp:
        col = Collection.create(Path(tmp) / "c", encoder=enc, dense_index="flat", flush_every=10**9)
        t = time.perf_counter()
        docs = ({"id": f"d{i}", "text": f"doc {i}", "lang": "en"} for i in range(len(xb)))
        col.add(docs, vectors=xb, identity=enc.identity, batch_size=50_000)
        add_s = time.perf_counter() - t
        settings = {k: v for k, v in knob.items() if k in ("ef_search", "nprobe")}
        col.dense = FaissDense(xb.shape[1], factory=factory, index=index, k_factor=k_factor, **settings)
        s = Searcher(col)
        sub = xq[:300]
        params = index_params(index, k=10, k_factor=k_factor, **settings)
        bare = store = full = 0.0
        for _ in range(3):  # interleaved rounds, best of each: the machine's load drifts
            bare = max(bare, per_query(lambda q, p=params: index.search(q[None, :], 10, params=p), sub))
            store = max(store, per_query(lambda q: col.dense_search(q[None, :], 10), sub))
            full = max(
                full,
                per_query(
                    lambda q: s.search("q", mode="dense", k=10, depth=10, query_vector=q, query_lang="en"),
                    sub,
                ),
            )
        col.dense = FaissDense(xb.shape[1], factory="Flat")  # do not save the big index on close
        col.close()
    return {
        "config": config,
        **settings,
        "k_factor": k_factor,
        "collection_catalog_add_s": add_s,
        "bare_faiss_qps": bare,
        "collection_dense_search_qps": store,
        "searcher_search_qps": full,
        "overhead_store": bare / store - 1,
        "overhead_full_search_with_catalog_hits": bare / full - 1,
    }


def draw(res: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(13, 5.5), sharey=True)
    for ax, key, title in zip(axes, ("qps", "qps_one"), ("all queries in one call", "one query per call")):
        for config, r in res["curves"].items():
            pts = r["points"]
            ax.plot([p["recall@10"] for p in pts], [p[key] for p in pts], "o-", ms=3, label=config)
        ax.axhline(res["exact"][key], color="grey", ls=":", label="exact (Flat)")
        ax.axvline(TARGET, color="red", ls="--", lw=0.8)
        ax.set_yscale("log")
        ax.set_xlabel("recall@10")
        ax.set_xlim(0.8, 1.001)
        ax.set_title(title, fontsize=10)
    axes[0].set_ylabel("queries/s, one thread")
    axes[0].legend(fontsize=8)
    fig.suptitle(f"n={res['n']:,} x {res['dim']}, {res['cpu']}, load {res['load_before'][0]:.1f}", fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=120)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", type=Path, default=Path("../shared/data/tatoeba"))
    ap.add_argument("--n", type=int, default=1_000_000)
    ap.add_argument("--base", type=int, default=4000, help="real sentences encoded for the base")
    ap.add_argument("--queries", type=int, default=1000)
    ap.add_argument("--noise", type=float, default=0.02)
    ap.add_argument(
        "--configs",
        nargs="+",
        default=CONFIGS,
        help="FACTORY, FACTORY|k_factor, or auto: what a new collection of --n documents gets (default %(default)s)",
    )
    ap.add_argument(
        "--ef-construction", type=int, default=None, help="HNSW build breadth (the store's default)"
    )
    ap.add_argument("--ef-search", type=int, nargs="+", default=EF)
    ap.add_argument("--nprobe", type=int, nargs="+", default=NPROBE)
    ap.add_argument("--build-threads", type=int, default=2)
    ap.add_argument("--repeat", type=int, default=2, help="timed runs per point (best kept)")
    ap.add_argument("--one-queries", type=int, default=300, help="queries timed one per call at each point")
    ap.add_argument(
        "--store-config",
        help="the configuration whose collection search is measured (default: the fastest at recall 0.95)",
    )
    ap.add_argument(
        "--out",
        type=Path,
        default=Path("/tmp/interlingua-search"),
        help="folder for search.json and search.png",
    )
    args = ap.parse_args()

    import faiss

    from interlingua._faiss import EF_CONSTRUCTION
    from interlingua.encoders import get_encoder
    from interlingua.evaluate import embed_texts

    efc = args.ef_construction or EF_CONSTRUCTION
    faiss.omp_set_num_threads(1)
    enc = get_encoder("e5-small")
    emb = embed_texts(
        enc, load_sentences(args.data, args.base + args.queries), "passage", desc="base sentences"
    )
    xb = spread(emb[: args.base], args.n, 0, args.noise)
    xq = spread(emb[args.base :], args.queries, 1, args.noise)
    res: dict = {
        "n": args.n,
        "dim": int(xb.shape[1]),
        "queries": args.queries,
        "threads": 1,
        "build_threads": args.build_threads,
        "ef_construction": efc,
        "cpu": cpu_flags(),
        "cores": os.cpu_count(),
        "load_before": os.getloadavg(),
        "faiss": faiss.__version__,
        # the kernels faiss dispatches to (FAISS_SIMD_LEVEL=AVX2 runs an AVX2 CPU's on this one)
        "faiss_simd": faiss.SIMDConfig.get_level_name() if hasattr(faiss, "SIMDConfig") else "static build",
        "random_pair_cosine": float(np.mean(np.sum(xb[:5000] * xb[5000:10000], axis=1))),
    }
    flat = faiss.IndexFlatIP(xb.shape[1])
    flat.add(xb)
    qps, qps_one, truth = both_ways(lambda x, f=flat: f.search(x, 10), xq, args.one_queries, args.repeat)
    res["exact"] = {"qps": qps, "qps_one": qps_one, "recall@10": 1.0, "memory_mb": xb.nbytes / 2**20}
    del flat
    print(f"exact: {qps:.0f} q/s, one per call {qps_one:.0f}", file=sys.stderr, flush=True)
    keys = np.arange(1, args.n + 1, dtype=np.int64)  # the catalog's keys of a fresh collection
    truth = truth + 1
    knobs = {"ef_search": args.ef_search, "nprobe": args.nprobe}
    res["curves"], indexes = {}, {}
    res["auto"] = auto_config(args.n, int(xb.shape[1]))
    for config in dict.fromkeys(res["auto"] if c == "auto" else c for c in args.configs):
        index, info = build(config, xb, keys, args.build_threads, efc)
        points = sweep(index, config, xq, truth, knobs, args.repeat, args.one_queries)
        res["curves"][config] = {
            **info,
            "points": points,
            "at_target": at_target(points),
            "at_target_one": at_target(points, "qps_one"),
        }
        print(
            f"{config}: build {info['build_s']:.0f} s, {res['curves'][config]['at_target_one']}",
            file=sys.stderr,
            flush=True,
        )
        if config == args.store_config or args.store_config is None:
            indexes[config] = index  # kept for the collection measurement
        else:
            del index
    res["ratios"] = {key: ratios(res, key) for key in ("qps", "qps_one")}
    res["auto_default"] = auto_default(res)
    ranked = res["ratios"]["qps_one"]  # a server answers one user at a time: choose by that
    chosen = args.store_config or (max(ranked, key=lambda c: ranked[c]["qps_at_target"]) if ranked else None)
    res["chosen"] = chosen
    res["load_after_sweeps"] = os.getloadavg()
    if chosen:
        for c in list(indexes):
            if c != chosen:
                del indexes[c]
        curve = res["curves"][chosen]  # its point at the target, else (a --store-config) its best recall
        point = curve["at_target_one"] or max(curve["points"], key=lambda p: p["recall@10"])
        knob = {k: v for k, v in point.items() if k in ("ef_search", "nprobe", "k_factor")}
        res["store"] = store_overhead(indexes.pop(chosen), chosen, knob, xb, xq, enc)
    res["load_after"] = os.getloadavg()
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "search.json").write_text(json.dumps(res, indent=2, default=str))
    draw(res, args.out / "search.png")
    report(res)


def ratios(res: dict, key: str) -> dict:
    """Per configuration, its fastest point at the target (by ``key``) against today's default
    (HNSW32,Flat at ef 512), the baseline's own fastest point there, and exact search."""
    base = res["curves"].get(BASELINE)
    default_point = next((p for p in base["points"] if p.get("ef_search") == 512), None) if base else None
    base_best = at_target(base["points"], key) if base else None
    out = {}
    for c, r in res["curves"].items():
        p = at_target(r["points"], key)
        if p is None:
            continue
        out[c] = {
            "qps_at_target": p[key],
            "vs_today_default_ef512": p[key] / default_point[key] if default_point else None,
            "vs_baseline_best_at_target": p[key] / base_best[key] if base_best else None,
            "vs_exact": p[key] / res["exact"][key],
        }
    return out


def auto_default(res: dict) -> dict | None:
    """The "auto" configuration at the knob a collection searches it with (nprobe IVF_NPROBE,
    efSearch 512), against today's default (HNSW32 at efSearch 512), both ways."""
    from interlingua._faiss import IVF_NPROBE

    curve, base = res["curves"].get(res["auto"]), res["curves"].get(BASELINE)
    if curve is None or base is None:
        return None
    at = lambda r, name, v: next((p for p in r["points"] if p.get(name) == v), None)  # noqa: E731
    point = at(curve, "nprobe", IVF_NPROBE) or at(curve, "ef_search", 512)
    ef512 = at(base, "ef_search", 512)
    if point is None or ef512 is None:
        return None
    return {"config": res["auto"], **point, **{f"x_{k}": point[k] / ef512[k] for k in ("qps", "qps_one")}}


def report(res: dict) -> None:
    print(
        f"n={res['n']:,} x {res['dim']}, one thread, {res['cpu']}, faiss {res['faiss']} ({res.get('faiss_simd', '?')} kernels), "
        f"load {res['load_before'][0]:.1f} -> {res['load_after'][0]:.1f}"
    )
    print(
        f"{'index':34} {'knob':>12} {'recall@10':>9} {'q/s batch':>10} {'q/s one':>8} {'build s':>8} {'MB':>7}"
    )
    e = res["exact"]
    print(
        f"{'exact (Flat)':34} {'-':>12} {1.0:9.3f} {e['qps']:10.0f} {e['qps_one']:8.0f} {0:8.0f} {e['memory_mb']:7.0f}"
    )
    for c, r in res["curves"].items():
        for p in r["points"]:
            knob = f"ef {p['ef_search']}" if "ef_search" in p else f"nprobe {p['nprobe']}"
            mark = (" b" if p == r["at_target"] else "") + (" o" if p == r["at_target_one"] else "")
            print(
                f"{c:34} {knob:>12} {p['recall@10']:9.3f} {p['qps']:10.0f} {p['qps_one']:8.0f} "
                f"{r['build_s']:8.0f} {r['memory_mb']:7.0f}{mark}"
            )
    for key, label in (
        ("qps", "all queries in one call (b above)"),
        ("qps_one", "one query per call (o above)"),
    ):
        print(f"\nat recall@10 >= {TARGET}, fastest point, {label}:")
        for c, q in res["ratios"][key].items():
            v512 = q["vs_today_default_ef512"]
            print(
                f"  {c:34} {q['qps_at_target']:7.0f} q/s  {v512 or float('nan'):5.2f}x today's default (ef 512), "
                f"{q['vs_baseline_best_at_target'] or float('nan'):5.2f}x its best point, {q['vs_exact']:5.1f}x exact"
            )
    a = res.get("auto_default")
    if a:
        knob = f"nprobe {a['nprobe']}" if "nprobe" in a else f"ef {a['ef_search']}"
        print(
            f"\na new collection of {res['n']:,} documents gets {a['config']} at {knob}: recall@10 "
            f"{a['recall@10']:.3f}, {a['x_qps']:.2f}x today's default (ef 512) in one call, {a['x_qps_one']:.2f}x one per call"
        )
    if "store" in res:
        s = res["store"]
        print(
            f"chosen {res['chosen']}: one query at a time, bare faiss {s['bare_faiss_qps']:.0f} q/s; "
            f"Collection.dense_search {s['collection_dense_search_qps']:.0f} q/s (+{100 * s['overhead_store']:.1f}%); "
            f"Searcher.search with catalog hits {s['searcher_search_qps']:.0f} q/s "
            f"(+{100 * s['overhead_full_search_with_catalog_hits']:.1f}%)"
        )


if __name__ == "__main__":
    main()
