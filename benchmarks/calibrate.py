"""Re-derive the shipped mining thresholds (``mine/_calibration.py``) and check them on held-out data.

    python benchmarks/calibrate.py --sib PATH/sib200 --bucc PATH/bucc2018 [--encoders e5-small,e5-small-int8]

1. **Fit** on SIB-200 ``--fit-split`` (``train``): per language, the pool ``mine calibrate`` builds
   (:func:`interlingua.mine.pool_from_pairs`: a third of the split's sentences paired with English
   as pairs, a third as sources alone, a third as English alone); mined as ``mine`` does (role
   ``query``, exact k-NN, k = 4, mode ``max``, default filters); per margin, the threshold with the
   best F1 averaged over the languages (midway between the last score kept and the next).
2. **Held out**: the same construction on SIB-200 ``--test-split`` (``test``): mean F1 at the new
   threshold, at the old one, at each pool's own best threshold and at the best shared threshold.
3. **BUCC 2018** zh-en (sample split, 257 gold pairs among 8,624 x 13,589 sentences), mined whole
   with the same settings: F1 at the new and old thresholds and at the best one (fit on its gold).

Nothing here is fit on a set it reports: the test pools and BUCC only measure. Vectors go through
the embedding cache, so a rerun takes seconds. One thread (OMP_NUM_THREADS=1).
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")

import argparse  # noqa: E402
import json  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
LANGUAGES = ("deu", "fra", "por", "rus", "ara", "heb", "tur", "cmn", "jpn", "kor")
#: the shipped thresholds before this calibration (fit on BUCC's gold itself), for comparison
OLD = {
    "e5-small": {"ratio": 1.024, "distance": 0.021, "absolute": 0.876},
    "e5-small-int8": {"ratio": 1.024, "distance": 0.021, "absolute": 0.878},
    "use-multilingual": {"ratio": 1.293, "distance": 0.130, "absolute": 0.649},
}


def scored_pools(space, pools, options):
    from interlingua.mine import score_pool
    from interlingua.neutral import encode_texts

    out = {}
    for code, pool in pools.items():
        src, _ = encode_texts(pool.src, space, role="query", desc=f"embed {code}")
        tgt, _ = encode_texts(pool.tgt, space, role="query", desc=f"embed {code} en")
        out[code], _ = score_pool(src, tgt, pool.src, pool.tgt, pool.gold, options)
    return out


def shared_threshold(scored: dict, kind: str) -> tuple[float, float]:
    """The threshold with the best mean F1 over the pools, and that mean."""
    from interlingua.mine import f1_at

    grid = np.unique(np.concatenate([s[kind].score for s in scored.values()]))[::-1]
    mean = np.mean(
        [f1_at(s[kind].found, s[kind].score, s[kind].n_gold, grid)[2] for s in scored.values()], axis=0
    )
    best = int(np.argmax(mean))
    thr = (grid[best] + grid[best + 1]) / 2 if best + 1 < len(grid) else grid[best]
    return float(thr), float(mean[best])


def mean_f1_at(scored: dict, kind: str, threshold: float) -> float:
    from interlingua.mine import f1_at

    return float(
        np.mean(
            [
                f1_at(s[kind].found, s[kind].score, s[kind].n_gold, np.array([threshold]))[2][0]
                for s in scored.values()
            ]
        )
    )


def own_best(scored: dict, kind: str) -> float:
    from interlingua.mine import sweep

    return float(
        np.mean([sweep(s[kind].found, s[kind].score, s[kind].n_gold).f1.max() for s in scored.values()])
    )


def bucc_scored(space, folder: Path, options):
    from interlingua.evaluate.readers import read_bucc
    from interlingua.mine import score_pool
    from interlingua.neutral import encode_texts

    b = read_bucc(folder, ["zh"], "dev")["zh-en"]
    s_ids, t_ids = list(b.source), list(b.target)
    s_row, t_row = {k: i for i, k in enumerate(s_ids)}, {k: i for i, k in enumerate(t_ids)}
    gold = {(s_row[a], t_row[c]) for a, c in b.gold if a in s_row and c in t_row}
    src_texts, tgt_texts = list(b.source.values()), list(b.target.values())
    src, _ = encode_texts(src_texts, space, role="query", desc="embed bucc zh")
    tgt, _ = encode_texts(tgt_texts, space, role="query", desc="embed bucc en")
    scored, _ = score_pool(src, tgt, src_texts, tgt_texts, gold, options)
    return {"zh-en": scored}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sib", type=Path, default=ROOT / "shared/data/sib200")
    ap.add_argument("--bucc", type=Path, default=ROOT / "shared/data/bucc2018")
    ap.add_argument("--encoders", default="e5-small,e5-small-int8,use-multilingual")
    ap.add_argument("--languages", default=",".join(LANGUAGES))
    ap.add_argument("--fit-split", default="train")
    ap.add_argument("--test-split", default="test")
    ap.add_argument("--true-share", type=float, default=1 / 3)
    ap.add_argument("--no-bucc", action="store_true")
    ap.add_argument("--json", type=Path, help="write every number here")
    args = ap.parse_args()

    from interlingua.evaluate.tasks.mining_pools import build_sib_pools
    from interlingua.mine import KnnOptions, MineOptions
    from interlingua.neutral import Space

    options = MineOptions(knn=KnnOptions(k=4, backend="exact"))
    langs = tuple(args.languages.split(","))
    fit_pools = build_sib_pools(args.sib, langs, split=args.fit_split, true_share=args.true_share)
    test_pools = build_sib_pools(args.sib, langs, split=args.test_split, true_share=args.true_share)
    n_fit = sum(len(p.gold) for p in fit_pools.values())
    n_test = sum(len(p.gold) for p in test_pools.values())
    print(
        f"SIB-200 pools, {len(langs)} languages x English, true share {args.true_share:.3g}: fit on "
        f"{args.fit_split} ({n_fit:,} gold pairs), held out {args.test_split} ({n_test:,} gold pairs)"
    )
    results: dict = {}
    defaults: dict = {}
    for name in args.encoders.split(","):
        t0 = time.perf_counter()
        space = Space.of(name)
        fit = scored_pools(space, fit_pools, options)
        test = scored_pools(space, test_pools, options)
        bucc = None if args.no_bucc else bucc_scored(space, args.bucc, options)
        rows = {}
        for kind in ("ratio", "distance", "absolute"):
            thr, fit_f1 = shared_threshold(fit, kind)
            old = OLD.get(name, {}).get(kind)
            row = {
                "threshold": thr,
                "fit_f1": fit_f1,
                "test_f1": mean_f1_at(test, kind, thr),
                "test_best_per_pool_f1": own_best(test, kind),
                "test_best_shared_f1": shared_threshold(test, kind)[1],
                "test_old_f1": mean_f1_at(test, kind, old) if old is not None else None,
                "old_threshold": old,
            }
            if bucc is not None:
                row.update(
                    bucc_f1=mean_f1_at(bucc, kind, thr),
                    bucc_best_f1=own_best(bucc, kind),
                    bucc_old_f1=mean_f1_at(bucc, kind, old) if old is not None else None,
                )
            rows[kind] = row
        results[name] = {"identity": space.identity, "margins": rows, "seconds": time.perf_counter() - t0}
        defaults[(space.identity, "query")] = {k: round(r["threshold"], 4) for k, r in rows.items()}
        print(f"\n{name} ({space.identity}), {time.perf_counter() - t0:.0f} s")
        print(
            "  margin     new thr  (old)    | SIB test F1: new  old   best/pool best shared | BUCC F1: new  old   best"
        )
        for kind, r in rows.items():
            old_thr = f"{r['old_threshold']:.4f}" if r["old_threshold"] is not None else "  -   "
            old_f1 = f"{r['test_old_f1']:.3f}" if r["test_old_f1"] is not None else "  -  "
            line = (
                f"  {kind:<9} {r['threshold']:.4f} ({old_thr}) | {r['test_f1']:.3f} {old_f1} "
                f"{r['test_best_per_pool_f1']:.3f}     {r['test_best_shared_f1']:.3f}"
            )
            if "bucc_f1" in r:
                b_old = f"{r['bucc_old_f1']:.3f}" if r["bucc_old_f1"] is not None else "  -  "
                line += f"       | {r['bucc_f1']:.3f} {b_old} {r['bucc_best_f1']:.3f}"
            print(line)
    print("\nDEFAULT_THRESHOLDS = {")
    for key, value in defaults.items():
        print(f"    {key!r}: {value!r},")
    print("}")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
