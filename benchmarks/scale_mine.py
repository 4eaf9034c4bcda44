"""The sharded mine on Dask: wall time with 1 and with 2 workers, their ratio, and the peak RSS
of each worker, on random unit vectors (what a worker holds does not depend on their content).

    python benchmarks/scale_mine.py --rows 200000 --workers 1 2

Both sides (``--rows`` x 384, float32, L2-normalized) are written once to ``--folder`` as .npy
files with the provenance ``mine`` checks (the e5-small space, role query), beside one text a
row; the job gives them as ``src_emb`` / ``tgt_emb``, so the run is the k-NN both ways (IVF by
default: trained on a seeded sample, added per shard of ``--shard-rows``, merged, searched per
shard) and the scoring. Each worker count runs on a fresh LocalCluster, so a worker's peak RSS
(the kernel's VmHWM of its process) is that run's alone; the client's is printed too. On a
machine whose CPUs are shared, the times are indicative only.
"""

from __future__ import annotations

import os

os.environ["OMP_NUM_THREADS"] = "1"  # before numpy / faiss load their thread pools

import argparse  # noqa: E402
import shutil  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

DIM, CHUNK = 384, 16384


def vm_hwm_mb(pid: int | str = "self") -> float:
    """Peak resident memory of a process (Linux), in MB."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


def make_inputs(folder: Path, rows: int) -> None:
    """``src`` and ``tgt``: random unit vectors with provenance, and a text a row (written once)."""
    from interlingua.io import EmbeddingWriter
    from interlingua.neutral import SpaceSpec, cached_space, provenance

    stamp = provenance("embeddings", cached_space(SpaceSpec()), role="query")
    folder.mkdir(parents=True, exist_ok=True)
    for seed, side in enumerate(("src", "tgt")):
        if (folder / f"{side}.npy").is_file() and (folder / f"{side}.txt").is_file():
            continue
        rng = np.random.default_rng(seed)
        with EmbeddingWriter(folder / f"{side}.npy", DIM, provenance=stamp) as writer:
            for start in range(0, rows, CHUNK):
                n = min(CHUNK, rows - start)
                x = rng.standard_normal((n, DIM), dtype=np.float32)
                writer.write(
                    [str(start + i + 1) for i in range(n)], x / np.linalg.norm(x, axis=1, keepdims=True)
                )
        with open(folder / f"{side}.txt", "w", encoding="utf-8") as f:
            f.writelines(f"{side} text {i}\n" for i in range(rows))


def run_once(folder: Path, workers: int, args: argparse.Namespace) -> tuple[float, dict[str, float], object]:
    from interlingua import runners
    from interlingua._dask import DaskExecutor
    from interlingua.mine import MineJob
    from interlingua.runners import Sharding

    out = folder / f"pairs-{workers}w.tsv"
    job = MineJob(
        src=str(folder / "src.txt"),
        tgt=str(folder / "tgt.txt"),
        src_emb=str(folder / "src.npy"),
        tgt_emb=str(folder / "tgt.npy"),
        output=str(out),
        src_lang="de",
        tgt_lang="en",
    ).with_flat({"knn.backend": args.knn, "filters.enabled": [], "margin.top": 1000})
    sharding = Sharding(
        executor="dask", workers=workers, shard_rows=args.shard_rows, work_dir=str(folder / "shards")
    )
    shutil.rmtree(folder / "shards", ignore_errors=True)  # no shard of an earlier run reused
    with DaskExecutor(workers) as executor:
        pids = executor.worker_pids()
        start = time.perf_counter()
        report = runners.run(job, sharding, executor=executor)
        seconds = time.perf_counter() - start
        peaks = {worker: vm_hwm_mb(pid) for worker, pid in sorted(pids.items())}
    return seconds, peaks, report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=200_000, help="rows a side")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2], help="worker counts to run")
    parser.add_argument("--knn", default="ivf", help="the job's knn.backend (ivf, exact, a factory string)")
    parser.add_argument("--shard-rows", type=int, default=16384)
    parser.add_argument("--folder", type=Path, default=Path("/tmp/scale_mine"))
    args = parser.parse_args()
    folder = args.folder / f"{args.rows}"
    t = time.perf_counter()
    make_inputs(folder, args.rows)
    print(f"inputs: 2 x {args.rows:,} x {DIM} float32 in {folder} ({time.perf_counter() - t:.1f} s)")
    times: dict[int, float] = {}
    outputs: dict[int, list[str]] = {}
    for workers in args.workers:
        seconds, peaks, report = run_once(folder, workers, args)
        times[workers] = seconds
        outputs[workers] = (folder / f"pairs-{workers}w.tsv").read_text(encoding="utf-8").splitlines()[1:]
        rss = ", ".join(f"{w.rsplit(':', 1)[-1]}: {mb:,.0f} MB" for w, mb in peaks.items())
        print(
            f"{workers} worker(s): {seconds:.1f} s, {report.knn} k-NN, {report.blocks_computed} blocks, "
            f"{report.pairs} pairs; peak RSS per worker (port: VmHWM) {rss}"
        )
    first = args.workers[0]
    for workers in args.workers[1:]:
        same = "identical pairs" if outputs[workers] == outputs[first] else "PAIRS DIFFER"
        print(f"ratio {first} -> {workers} workers: {times[first] / times[workers]:.2f}x faster ({same})")
    print(f"client peak RSS (VmHWM, includes writing the inputs): {vm_hwm_mb():,.0f} MB")
    print("CPU is shared with other work on this machine: the times are indicative")


if __name__ == "__main__":
    main()
