"""Sentence alignment: time of the search (coarse to fine against exact DP) and of encoding.

    python benchmarks/align.py [--sentences 10000] [--baseline 2000] [--encode-sample 200]

1. Synthetic documents with a planted alignment (``mine._align_synth``: 384-d vectors in
   e5's cosine range, 8% deletions, 8% merges): the exact DP and the coarse-to-fine search on
   ``--baseline`` units, their speed ratio and whether they agree; then coarse to fine alone on
   ``--sentences`` units, with F1 against the planted links.
2. Encoding: window texts (1-3 sentences) of ``--encode-sample`` SIB-200 English sentences
   with e5-small, no cache; the rate, and what it implies for two documents of
   ``--sentences`` sentences (3 windows a sentence, both sides).

One thread (OMP_NUM_THREADS=1) so the numbers compare across runs on a shared machine.
"""

from __future__ import annotations

import os

os.environ["OMP_NUM_THREADS"] = "1"

import argparse  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402


def f1(pred, gold) -> float:
    p, g = {(a.src, a.tgt) for a in pred}, {(a.src, a.tgt) for a in gold}
    return 2 * len(p & g) / (len(p) + len(g))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sentences", type=int, default=10_000)
    ap.add_argument("--baseline", type=int, default=2_000)
    ap.add_argument("--encode-sample", type=int, default=200)
    ap.add_argument("--sib", type=Path, default=Path(__file__).resolve().parents[2] / "shared/data/sib200")
    args = ap.parse_args()

    from interlingua.mine import align_window_embeddings
    from interlingua.mine._align_synth import synthetic_pair

    src, tgt, gold = synthetic_pair(args.baseline, seed=1)
    t0 = time.perf_counter()
    full = align_window_embeddings(src, tgt, search="full")
    t_full = time.perf_counter() - t0
    t0 = time.perf_counter()
    banded = align_window_embeddings(src, tgt, search="banded")
    t_band = time.perf_counter() - t0
    same = [(a.src, a.tgt) for a in full] == [(a.src, a.tgt) for a in banded]
    print(
        f"{src.shape[1]:,} x {tgt.shape[1]:,}: exact DP {t_full:.2f} s, coarse to fine {t_band:.3f} s "
        f"({t_full / t_band:.0f}x faster), same links: {same}, F1 {f1(banded, gold):.4f}"
    )

    src, tgt, gold = synthetic_pair(args.sentences, seed=2)
    t0 = time.perf_counter()
    got = align_window_embeddings(src, tgt)
    t_big = time.perf_counter() - t0
    print(f"{src.shape[1]:,} x {tgt.shape[1]:,}: coarse to fine {t_big:.2f} s, F1 {f1(got, gold):.4f}")

    path = args.sib / "data/annotated/eng_Latn/test.tsv"
    if not path.is_file():
        print(f"encoding: skipped ({path} not found)")
        return
    from interlingua.encoders import get_encoder
    from interlingua.mine import window_texts

    lines = path.read_text(encoding="utf-8").splitlines()[1:]
    sents = [line.split("\t")[2] for line in lines][: args.encode_sample]
    texts = [t for w in window_texts(sents, 3) for t in w]
    enc = get_encoder("e5-small")
    enc.encode(texts[:8])  # build the session outside the timing
    t0 = time.perf_counter()
    enc.encode(texts)
    t_enc = time.perf_counter() - t0
    rate = len(texts) / t_enc
    total = 2 * 3 * args.sentences
    print(
        f"encoding: {len(texts):,} window texts in {t_enc:.1f} s ({rate:.0f}/s on one thread); "
        f"two documents of {args.sentences:,} sentences = {total:,} windows = ~{total / rate / 60:.0f} min "
        f"({total / rate / t_big:.0f}x the alignment time)"
    )


if __name__ == "__main__":
    main()
