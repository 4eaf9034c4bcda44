"""Candidate models for two-stage mining on a pool none of them trained on (#13).

``benchmarks/two_stage.py --sweep`` builds its pool from SIB-200 *train*, the text a student tuned
with ``--parallel`` on SIB-200 train pairs has seen; this pool takes SIB-200 dev + test only:
``--per`` gold pairs (source language -> English) for each of deu, rus, zho, jpn, arb on disjoint
ids, and distractors of ``--langs`` other languages split between the sides by id (so a
distractor's translations are all on its own side). For each ``--candidates`` model it prints the
share of gold sources whose English translation is its nearest target (and whose ratio margin
reaches 1.05), per language, then F1 and the share e5 embeds over ``candidates.per_source /
bound / context``, against one-stage e5 on the same pool (its vectors cached).

    python benchmarks/two_stage_heldout.py --data ../shared/data --candidates e5-static,FOLDER
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import argparse  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from two_stage import POOL_LANGS, sweep_pool  # noqa: E402


def heldout_pool(data: Path, per: int, n_langs: int):
    """:func:`two_stage.sweep_pool` on SIB-200 dev + test; gold as ``pair -> source language``
    (the pairs come ``per`` a language, in POOL_LANGS order)."""
    src, tgt, gold = sweep_pool(data, n_langs, splits=("dev", "test"), per=per)
    return src, tgt, {pair: POOL_LANGS[n // per] for n, pair in enumerate(sorted(gold))}


def main() -> None:
    from interlingua.mine import MineOptions, mine_vectors
    from interlingua.mine._bitext import neighbour_means, neighbours
    from interlingua.mine._mine_common import with_threshold
    from interlingua.mine._two_stage import mine_two_stage
    from interlingua.neutral import Space, encode_texts

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=Path(__file__).resolve().parents[2] / "shared/data")
    ap.add_argument("--model", default="e5-small")
    ap.add_argument("--candidates", default="e5-static", help="comma-separated names or student folders")
    ap.add_argument("--per", type=int, default=25)
    ap.add_argument("--langs", type=int, default=60)
    args = ap.parse_args()
    src, tgt, gold = heldout_pool(args.data, args.per, args.langs)
    print(f"held-out pool (SIB-200 dev+test) {len(src):,} x {len(tgt):,}, {len(gold)} gold", flush=True)
    base = MineOptions().with_values({"space.encoder": args.model})
    o1 = base.with_flat({"threshold": with_threshold(base, Space.of(args.model)).margin.threshold})
    s5, t5 = (encode_texts(t, Space.of(args.model), role="query", cache=True)[0] for t in (src, tgt))
    one = mine_vectors(s5, t5, o1).candidates
    found = set(zip(one.src.tolist(), one.tgt.tolist()))
    total, g = len(src) + len(tgt), set(gold)
    print(f"  {args.model} alone: F1 {2 * len(found & g) / (len(found) + len(g)):.4f}", flush=True)
    for name in args.candidates.split(","):
        cs, ct = (encode_texts(t, Space.of(name), role="query", cache=False)[0] for t in (src, tgt))
        (xs, xi), (ys, _) = (lambda r: (r.fwd, r.bwd))(neighbours(cs, ct, o1.knn))
        xm, ym = neighbour_means(xs), neighbour_means(ys)
        row = []
        for lang in POOL_LANGS:
            pairs = [p for p, x in gold.items() if x == lang]
            top1 = np.mean([xi[a, 0] == b for a, b in pairs])
            m = np.mean([float(cs[a] @ ct[b]) / ((xm[a] + ym[b]) / 2) >= 1.05 for a, b in pairs])
            row.append(f"{lang[:3]} {top1:.2f} ({m:.2f})")
        print(f"[{name}] translation nearest (margin >= 1.05): " + ", ".join(row), flush=True)
        for ps in (2, 4):
            for bound in (0.95, 1.0, 1.05, 1.1, 1.15):
                for ctx in (1, 2, 4, 8):
                    over = {"candidates.per_source": ps, "candidates.bound": bound, "candidates.context": ctx}
                    o = o1.with_values({"candidates.model": name, **over})
                    mined, st = mine_two_stage(cs, ct, o, lambda r: s5[r], lambda r: t5[r])
                    got = set(zip(mined.candidates.src.tolist(), mined.candidates.tgt.tolist()))
                    f1 = 2 * len(got & g) / (len(got) + len(g))
                    print(
                        f"  c={ps} bound={bound:<5} context={ctx}  F1 {f1:.4f}  e5 embeds {st.embedded / total:.1%}"
                    )


if __name__ == "__main__":
    main()
