"""Dense search at scale: HNSW against exact search (recall@10, queries/s, memory, build time),
and the overhead of the collection's search call over a bare faiss call on the same index.

Vectors: real e5-small embeddings of Tatoeba sentences (a mix of 80 languages), spread to
``--n`` points by mixing two real embeddings and adding Gaussian noise, then normalizing
(``v = norm(e_i + 0.5 * u * e_j + noise)``). The points stay in the region of space that
real embeddings occupy (never uniform random vectors, on which ANN recall means nothing).
Queries are built the same way from sentences that are not among the base sentences.

    python benchmarks/search.py --data ../shared/data/tatoeba            # 1M x 384
    python benchmarks/search.py --data ../shared/data/tatoeba --n 200000 # quicker
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


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", type=Path, default=Path("../shared/data/tatoeba"))
    ap.add_argument("--n", type=int, default=1_000_000)
    ap.add_argument("--base", type=int, default=4000, help="real sentences encoded for the base")
    ap.add_argument("--queries", type=int, default=1000)
    ap.add_argument("--noise", type=float, default=0.02)
    ap.add_argument("--m", type=int, default=32)
    ap.add_argument("--ef-construction", type=int, default=100)
    ap.add_argument("--ef-search", type=int, nargs="+", default=[128, 256, 512, 1024])
    ap.add_argument("--json", type=Path, help="also write the numbers here")
    args = ap.parse_args()

    import faiss

    from interlingua.encoders import get_encoder
    from interlingua.evaluate import embed_texts
    from interlingua.search import Searcher
    from interlingua.store import Collection, FaissDense

    faiss.omp_set_num_threads(1)
    enc = get_encoder("e5-small")
    sents = load_sentences(args.data, args.base + args.queries)
    t = time.perf_counter()
    emb = embed_texts(enc, sents, "passage", desc="base sentences")
    print(
        f"encoded {len(sents)} sentences in {time.perf_counter() - t:.1f} s (embedding cache on)",
        file=sys.stderr,
    )
    xb = spread(emb[: args.base], args.n, 0, args.noise)
    xq = spread(emb[args.base :], args.queries, 1, args.noise)
    res: dict = {"n": args.n, "dim": int(xb.shape[1]), "queries": args.queries, "threads": 1}

    flat = faiss.IndexFlatIP(xb.shape[1])
    flat.add(xb)
    t = time.perf_counter()
    _, truth = flat.search(xq, 10)
    res["exact_qps_batched"] = args.queries / (time.perf_counter() - t)
    res["exact_memory_mb"] = xb.nbytes / 2**20
    del flat

    keys = np.arange(1, args.n + 1, dtype=np.int64)  # the catalog's keys of a fresh collection
    t = time.perf_counter()
    hnsw = faiss.IndexHNSWFlat(xb.shape[1], args.m, faiss.METRIC_INNER_PRODUCT)
    hnsw.hnsw.efConstruction = args.ef_construction
    index = faiss.IndexIDMap2(hnsw)
    index.add_with_ids(xb, keys)
    res["hnsw_build_s"] = time.perf_counter() - t
    res["hnsw_memory_mb"] = faiss.serialize_index(index).nbytes / 2**20  # vectors + graph + id map
    res["hnsw"] = {}
    for ef in args.ef_search:
        params = faiss.SearchParametersHNSW(efSearch=ef)
        t = time.perf_counter()
        _, found = index.search(xq, 10, params=params)
        qps = args.queries / (time.perf_counter() - t)
        recall = np.mean([len(set(found[i]) & set(truth[i] + 1)) / 10 for i in range(len(xq))])
        res["hnsw"][ef] = {"recall@10": float(recall), "qps_batched": qps}

    ef = max(args.ef_search)
    with tempfile.TemporaryDirectory(prefix="interlingua-bench-") as tmp:
        col = Collection.create(Path(tmp) / "c", encoder=enc, dense_index="flat", flush_every=10**9)
        t = time.perf_counter()
        docs = ({"id": f"d{i}", "text": f"doc {i}", "lang": "en"} for i in range(args.n))
        col.add(docs, vectors=xb, identity=enc.identity, batch_size=50_000)
        res["collection_catalog_add_s"] = time.perf_counter() - t
        col.dense = FaissDense(
            xb.shape[1], factory=f"HNSW{args.m},Flat", ef_search=ef, index=index
        )  # the same index
        s = Searcher(col)
        sub = xq[:300]
        params = faiss.SearchParametersHNSW(efSearch=ef)
        bare = store = full = 0.0
        for _ in range(3):  # interleaved rounds, best of each: the machine's load drifts
            bare = max(bare, per_query(lambda q: index.search(q[None, :], 10, params=params), sub))
            store = max(store, per_query(lambda q: col.dense_search(q[None, :], 10), sub))
            full = max(
                full,
                per_query(
                    lambda q: s.search("q", mode="dense", k=10, depth=10, query_vector=q, query_lang="en"),
                    sub,
                ),
            )
        res["per_query"] = {
            "ef_search": ef,
            "bare_faiss_qps": bare,
            "collection_dense_search_qps": store,
            "searcher_search_qps": full,
            "overhead_store": bare / store - 1,
            "overhead_full_search_with_catalog_hits": bare / full - 1,
        }
        col.dense = FaissDense(xb.shape[1], factory="Flat")  # do not save the big index on close
        col.close()

    print(json.dumps(res, indent=2, default=str))
    print(
        f"\nn={args.n:,} x {res['dim']}, one thread. exact: {res['exact_qps_batched']:.0f} q/s batched, "
        f"{res['exact_memory_mb']:.0f} MB"
    )
    print(
        f"HNSW M={args.m} efC={args.ef_construction}: build {res['hnsw_build_s']:.0f} s, ~{res['hnsw_memory_mb']:.0f} MB"
    )
    for ef_, r in res["hnsw"].items():
        print(
            f"  efSearch {ef_}: recall@10 {r['recall@10']:.3f}, {r['qps_batched']:.0f} q/s batched "
            f"({r['qps_batched'] / res['exact_qps_batched']:.1f}x exact)"
        )
    pq = res["per_query"]
    print(
        f"one query at a time (efSearch {pq['ef_search']}): bare faiss {pq['bare_faiss_qps']:.0f} q/s; "
        f"Collection.dense_search {pq['collection_dense_search_qps']:.0f} q/s (+{100 * pq['overhead_store']:.1f}%); "
        f"Searcher.search with catalog hits {pq['searcher_search_qps']:.0f} q/s "
        f"(+{100 * pq['overhead_full_search_with_catalog_hits']:.1f}%)"
    )
    if args.json:
        args.json.write_text(json.dumps(res, indent=2, default=str))


if __name__ == "__main__":
    main()
