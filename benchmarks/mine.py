"""Bitext mining at scale: our streamed, block-wise IVF mining against LASER's method
(exhaustive faiss ``IndexFlatIP`` k-NN both ways on in-memory matrices + ratio margin), on the
same structured synthetic embeddings. Prints time, peak RSS, the speed ratio and the F1
difference on a gold subset.

    python benchmarks/mine.py --sizes 100000 1000000 --work /tmp/mine-bench
    python benchmarks/mine.py --sizes 1000000 --copy-noise 0.9 --backends ivf-blas ivf --nprobe 8 16 \
        --json /tmp/mine-bench/1M.json      # a sweep; the JSON gets a PNG of F1 against speed-up

Each of our configurations (``--backends`` x ``--nprobe``) is printed with its time, peak RSS,
speed ratio and F1 difference against the baseline measured in the same run, with the CPU flags
and the load average before and after it (the ratios hold under load, the seconds do not).

Embeddings (384-d, float32, L2-normalized) are built e5-like: a shared direction (unrelated
pairs have cosine ~0.78), one of 2,000 topics (same topic ~0.83) and noise; 5% of the targets
are hidden translations: noisy copies of a source (with the default --copy-noise 0.4, cosine
~0.98 against ~0.84 for the nearest unrelated target at 20k rows: an easy set, where the F1
difference measures ANN misses only; --copy-noise 0.9 gives ~0.91, a hard one). They are written to .npy
files in chunks and the miner reads them memory-mapped, as it would real embeddings.

Each method runs in its own process, so the peak RSS (VmHWM) is that method's alone. Ours
mines the full corpora (mode max). The baseline mines them fully up to --baseline-full-max
rows; above that, exhaustive k-NN (4e14 FLOPs at 1M x 1M) is out of reach on a small machine,
so it runs on the gold subset only (the subset's sources, and the targets they retrieve,
searched exhaustively against the full other side) and its full time is extrapolated from the
time per query, which is printed as such. F1 on the gold subset: up to 1,000 sources with a
hidden translation and 1,000 without; each picks its best target by margin (forward mode), and
F1 is taken at the best threshold.
"""

from __future__ import annotations

import os

os.environ["OMP_NUM_THREADS"] = "1"  # before numpy / faiss load their thread pools

import argparse  # noqa: E402
import json  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

DIM, TOPICS, K = 384, 2000, 4


def peak_rss_mb() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def _normalize(x: np.ndarray) -> np.ndarray:
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)


def generate(folder: Path, n: int, copy_noise: float = 0.4, seed: int = 0) -> None:
    """src.npy, tgt.npy (n x 384 each) and gold.npy (pairs of row indices), written in chunks."""
    if (folder / "gold.npy").is_file():
        return
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    shared = _normalize(rng.normal(size=(1, DIM)))[0] * 1.7
    topics = _normalize(rng.normal(size=(TOPICS, DIM))) * 0.4
    n_gold = n // 20
    gold = np.stack([rng.choice(n, n_gold, replace=False), rng.choice(n, n_gold, replace=False)], axis=1)
    gold_of_tgt = np.full(n, -1, dtype=np.int64)
    gold_of_tgt[gold[:, 1]] = gold[:, 0]
    src = np.lib.format.open_memmap(folder / "src.tmp.npy", "w+", np.float32, (n, DIM))
    chunk = 1 << 16
    for s in range(0, n, chunk):
        m = min(n, s + chunk) - s
        raw = shared + topics[rng.integers(0, TOPICS, m)] + 0.8 * rng.normal(size=(m, DIM)) / np.sqrt(DIM)
        src[s : s + m] = raw  # unnormalized: a copy's noise is added to this, then both normalized
    src.flush()
    tgt = np.lib.format.open_memmap(folder / "tgt.npy", "w+", np.float32, (n, DIM))
    for s in range(0, n, chunk):
        m = min(n, s + chunk) - s
        raw = shared + topics[rng.integers(0, TOPICS, m)] + 0.8 * rng.normal(size=(m, DIM)) / np.sqrt(DIM)
        g = gold_of_tgt[s : s + m]
        copy = g >= 0
        raw[copy] = np.asarray(src[g[copy]]) + copy_noise * rng.normal(size=(int(copy.sum()), DIM)) / np.sqrt(
            DIM
        )
        tgt[s : s + m] = _normalize(raw)
    tgt.flush()
    for s in range(0, n, chunk):
        src[s : s + chunk] = _normalize(np.asarray(src[s : s + chunk]))
    src.flush()
    del src, tgt
    os.replace(folder / "src.tmp.npy", folder / "src.npy")
    np.save(folder / "gold.npy", gold)


def subset(gold: np.ndarray, n: int, size: int = 1000, seed: int = 1) -> tuple[np.ndarray, dict[int, int]]:
    rng = np.random.default_rng(seed)
    with_gold = rng.choice(gold[:, 0], min(size, len(gold)), replace=False)
    others = np.setdiff1d(np.arange(n), gold[:, 0])
    rows = np.sort(np.concatenate([with_gold, rng.choice(others, size, replace=False)]))
    return rows, {int(s): int(t) for s, t in gold}


def subset_f1(rows: np.ndarray, best_tgt: np.ndarray, best_score: np.ndarray, gold: dict[int, int]) -> float:
    order = np.argsort(-best_score, kind="stable")
    found = np.array([gold.get(int(rows[i])) == int(best_tgt[i]) for i in order])
    n_gold = sum(int(r) in gold for r in rows)
    tp = np.cumsum(found)
    n = np.arange(1, len(found) + 1)
    f1 = 2 * tp / (n + n_gold)
    return float(f1.max())


def forward_best(xs, xi, x_mean, y_mean):
    """Forward mode: best target of each query by ratio margin (LASER's score_candidates)."""
    scores = xs / ((x_mean[:, None] + y_mean[xi]) / 2)
    best = scores.argmax(axis=1)
    r = np.arange(len(best))
    return xi[r, best], scores[r, best]


def run_ours(
    folder: Path, work: Path, backend: str, nprobe: int | None, cells_per_sqrt: float | None
) -> dict:
    from interlingua._faiss import ivf_lists
    from interlingua.mine import _knn, neighbours, resolve_backend, select_pairs

    if cells_per_sqrt is not None:  # a development knob: the cell count's constant for ivf-blas
        _knn.CELL_LISTS_PER_SQRT = cells_per_sqrt
    src = np.load(folder / "src.npy", mmap_mode="r")
    tgt = np.load(folder / "tgt.npy", mmap_mode="r")
    gold = np.load(folder / "gold.npy")
    n = src.shape[0]
    resolved = resolve_backend(backend, n, tgt.shape[0])
    t = time.perf_counter()
    info = neighbours(src, tgt, K, knn=backend, work_dir=work, nprobe=nprobe)
    (xs, xi), (ys, yi) = info.fwd, info.bwd
    t_knn = time.perf_counter() - t
    pairs = select_pairs((xs, xi), (ys, yi), margin="ratio", mode="max")
    seconds = time.perf_counter() - t
    rows, gmap = subset(gold, n)
    x_mean, y_mean = xs.mean(axis=1), ys.mean(axis=1)
    bt, bs = forward_best(xs[rows], xi[rows], x_mean[rows], y_mean)
    if resolved in _knn.CELL_BACKENDS:
        cells, probed = _knn.cell_lists(n), nprobe or _knn.DEFAULT_CELL_NPROBE
    else:
        cells, probed = (
            ivf_lists(n) if "IVF" in (_knn.factory_of(resolved) or "") else None,
            (nprobe or _knn.DEFAULT_NPROBE),
        )
    return {
        "method": "ours",
        "backend": info.backend,
        "asked": backend,
        "cells": cells,
        "nprobe": probed if cells else None,
        "seconds": seconds,
        "knn_seconds": t_knn,
        "pairs": len(pairs),
        "blocks_computed": info.blocks.computed,
        "blocks_reused": info.blocks.reused,
        "subset_f1": subset_f1(rows, bt, bs, gmap),
        "peak_rss_mb": peak_rss_mb(),
    }


def run_laser(folder: Path, full: bool) -> dict:
    import faiss

    faiss.omp_set_num_threads(1)
    src = np.load(folder / "src.npy")  # LASER loads both sides into memory
    tgt = np.load(folder / "tgt.npy")
    gold = np.load(folder / "gold.npy")
    n = src.shape[0]
    rows, gmap = subset(gold, n)

    def flat(db):
        index = faiss.IndexFlatIP(db.shape[1])
        index.add(db)
        return index

    t = time.perf_counter()
    if full:
        xs, xi = flat(tgt).search(src, K)
        ys, yi = flat(src).search(tgt, K)
        x_mean, y_mean = xs.mean(axis=1), ys.mean(axis=1)
        seconds = time.perf_counter() - t
        bt, bs = forward_best(xs[rows], xi[rows], x_mean[rows], y_mean)
        return {
            "method": "laser",
            "seconds": seconds,
            "extrapolated": False,
            "subset_f1": subset_f1(rows, bt, bs, gmap),
            "peak_rss_mb": peak_rss_mb(),
        }
    xs, xi = flat(tgt).search(src[rows], K)
    cand = np.unique(xi)
    ys, _ = flat(src).search(tgt[cand], K)
    queries = len(rows) + len(cand)
    seconds = time.perf_counter() - t
    y_mean = np.zeros(tgt.shape[0], dtype=np.float32)
    y_mean[cand] = ys.mean(axis=1)
    bt, bs = forward_best(xs, xi, xs.mean(axis=1), y_mean)
    return {
        "method": "laser",
        "seconds": seconds / queries * (2 * n),
        "extrapolated": True,
        "measured_seconds": seconds,
        "measured_queries": queries,
        "subset_f1": subset_f1(rows, bt, bs, gmap),
        "peak_rss_mb": peak_rss_mb(),
    }


def child(args: list[str]) -> dict:
    load = os.getloadavg()[0]
    out = subprocess.run([sys.executable, __file__, *args], capture_output=True, text=True)
    if out.returncode:
        sys.exit(f"error: {' '.join(args)} failed:\n{out.stderr[-3000:]}")
    result = json.loads(out.stdout.strip().splitlines()[-1])
    result["load_1min"] = [round(load, 2), round(os.getloadavg()[0], 2)]  # before, after
    return result


def cpu_flags() -> str:
    sys.path.insert(0, str(Path(__file__).parent))
    from scale import cpu_flags as flags

    return flags()


def draw(results: list[dict], path: Path) -> None:
    """F1 difference against the speed-up over exhaustive search, one point per configuration."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 4))
    for row in results:
        for o in row["ours"]:
            ax.scatter(
                o["speedup"], 100 * o["f1_difference"], color="C0" if o["backend"] == "ivf-blas" else "C1"
            )
            ax.annotate(
                f"{o['backend']} {o['nprobe']} ({row['n'] // 1000}k)",
                (o["speedup"], 100 * o["f1_difference"]),
            )
    ax.axhline(-0.5, ls="--", color="grey")
    ax.axvline(20, ls="--", color="grey")
    ax.set_xscale("log")
    ax.set_xlabel("speed-up over exhaustive IndexFlatIP (x)")
    ax.set_ylabel("subset F1 ours - exhaustive (points)")
    ax.set_title(f"benchmarks/mine.py, one thread, {cpu_flags()}", fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000], help="rows a side")
    ap.add_argument(
        "--work", type=Path, default=Path("/tmp/interlingua-mine-bench"), help="data and work folders"
    )
    ap.add_argument(
        "--baseline-full-max", type=int, default=200_000, help="largest size the baseline runs in full"
    )
    ap.add_argument(
        "--backends", nargs="+", default=["auto"], help="our k-NN backends to run (auto, ivf-blas, ivf, ...)"
    )
    ap.add_argument(
        "--nprobe",
        type=int,
        nargs="+",
        default=[0],
        help="IVF cells searched, a sweep (0: the library's default)",
    )
    ap.add_argument(
        "--cells-per-sqrt",
        type=float,
        default=None,
        help="development: ivf-blas cells per sqrt(rows) (default 4)",
    )
    ap.add_argument(
        "--copy-noise",
        type=float,
        default=0.4,
        help="noise added to a source to make its hidden translation: 0.4 gives cosine ~0.98, 0.9 ~0.91",
    )
    ap.add_argument(
        "--json", type=Path, help="also write the results here (and a PNG of F1 against speed-up beside it)"
    )
    ap.add_argument("--_child", nargs="+", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args._child:
        kind, folder = args._child[0], Path(args._child[1])
        if kind == "ours":
            a = args._child
            result = run_ours(
                folder, Path(a[2]), a[3], int(a[4]) or None, None if a[5] == "-" else float(a[5])
            )
        else:
            result = run_laser(folder, args._child[2] == "full")
        print(json.dumps(result))
        return
    flags = cpu_flags()
    print(
        f"CPU: {flags}; one thread per method; load (1 min) {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores",
        flush=True,
    )
    results = []
    for n in args.sizes:
        folder = args.work / f"data-{n}-{args.copy_noise:g}"
        t = time.perf_counter()
        generate(folder, n, args.copy_noise)
        print(
            f"{n:,} x {n:,} (copy noise {args.copy_noise:g}): data ready ({time.perf_counter() - t:.0f} s)",
            flush=True,
        )
        laser = child(["--_child", "laser", str(folder), "full" if n <= args.baseline_full_max else "subset"])
        note = " (extrapolated from the gold subset)" if laser["extrapolated"] else ""
        print(
            f"  exhaustive (LASER): {laser['seconds']:8.1f} s{note}  peak RSS {laser['peak_rss_mb']:7.0f} MB  "
            f"subset F1 {laser['subset_f1']:.4f}  load {laser['load_1min']}",
            flush=True,
        )
        row = {"n": n, "copy_noise": args.copy_noise, "laser": laser, "ours": []}
        for backend in args.backends:
            for nprobe in args.nprobe:
                work = args.work / f"run-{n}-{time.time_ns()}"
                cps = "-" if args.cells_per_sqrt is None else str(args.cells_per_sqrt)
                ours = child(["--_child", "ours", str(folder), str(work), backend, str(nprobe), cps])
                ours["speedup"] = laser["seconds"] / ours["seconds"]
                ours["rss_ratio"] = laser["peak_rss_mb"] / ours["peak_rss_mb"]
                ours["f1_difference"] = ours["subset_f1"] - laser["subset_f1"]
                print(
                    f"  ours {backend:>8} -> {ours['backend']} cells {ours['cells']} nprobe {ours['nprobe']}: "
                    f"{ours['seconds']:8.1f} s  peak RSS {ours['peak_rss_mb']:6.0f} MB  subset F1 {ours['subset_f1']:.4f}"
                    f"  | speed x{ours['speedup']:.1f}, F1 ours - exhaustive {100 * ours['f1_difference']:+.2f} points,"
                    f" RSS exhaustive/ours {ours['rss_ratio']:.2f}  load {ours['load_1min']}",
                    flush=True,
                )
                row["ours"].append(ours)
        results.append(row)
    if args.json:
        args.json.write_text(json.dumps({"cpu": flags, "results": results}, indent=2))
        try:
            draw(results, args.json.with_suffix(".png"))
        except ImportError:
            pass


if __name__ == "__main__":
    main()
