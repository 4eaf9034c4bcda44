"""Sentence alignment: time of the search (coarse to fine against exact DP) and of encoding.

    python benchmarks/align.py [--sentences 10000] [--baseline 2000] [--encode-sample 200]

1. Synthetic documents with a planted alignment (``mine._align_synth``: 384-d vectors in
   e5's cosine range, 8% deletions, 8% merges): the exact DP and the coarse-to-fine search on
   ``--baseline`` units, their speed ratio and whether they agree; then coarse to fine alone on
   ``--sentences`` units, with F1 against the planted links.
2. Encoding: window texts (1-3 sentences) of ``--encode-sample`` SIB-200 English sentences
   with e5-small, no cache; the rate, and what it implies for two documents of
   ``--sentences`` sentences (3 windows a sentence, both sides).

3. ``--sweep-del-factor 1.0,1.2,...`` (training data only): documents built from SIB-200
   ``--sweep-split`` (``train``) sentences for ``--pairs`` with planted links at the rates of
   vecalign's de-fr *dev* gold (``--p-delete``, 2-1/1-2 half from whole sentences joined
   ``--p-merge`` and half from a sentence cut at a random word ``--p-split``, ``--p-merge3`` 3-1/1-3,
   runs of ``--block-len`` untranslated sentences with ``--p-block``); per deletion factor, the
   sentences left unaligned against the gold's and strict / lax F1 (vecalign's measures). This
   is how ``sentences.del_factor`` is chosen.
4. ``--bleualign DIR`` (a held-out test set, measured only): vecalign's de-fr test documents
   ``test0..6.{de,fr}`` with gold ``test0..6.defr`` (github.com/thompsonb/vecalign,
   ``bleualign_data``), aligned with e5-small at ``--del-factors``: unaligned sentences against
   the gold's, strict and lax precision / recall / F1 over the 7 documents.

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
    ap.add_argument(
        "--sweep-del-factor", help="comma-separated deletion factors to try on training documents"
    )
    ap.add_argument("--sweep-split", default="train")
    ap.add_argument("--pairs", default="deu_Latn-fra_Latn,eng_Latn-deu_Latn,eng_Latn-zho_Hans")
    # rates of vecalign's de-fr *dev* gold (bleualign_data/dev.defr): 62% 1-1, 24% 2-1/1-2, ~4% 3-1/1-3
    # links; 5 single unaligned sentences and one untranslated run of 36 among ~1,000 sentences
    ap.add_argument("--p-delete", type=float, default=0.005)
    ap.add_argument("--p-merge", type=float, default=0.12)
    ap.add_argument("--p-split", type=float, default=0.12, help="2-1/1-2 from a sentence cut unevenly")
    ap.add_argument("--p-merge3", type=float, default=0.04)
    ap.add_argument("--p-block", type=float, default=0.003)
    ap.add_argument("--block-len", type=int, default=12)
    ap.add_argument("--bleualign", type=Path, help="folder of vecalign's bleualign_data test files")
    ap.add_argument("--del-factors", default="1.2", help="deletion factors to report on --bleualign")
    args = ap.parse_args()
    if args.sweep_del_factor:
        sweep(args)
    if args.bleualign:
        bleualign(args)
    if args.sweep_del_factor or args.bleualign:
        return

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


def _encoder():
    from interlingua.neutral import Space, encode_texts

    space = Space.of("e5-small")
    return lambda texts: encode_texts(texts, space, role="query", desc="windows")[0]


def _report(name: str, factors, golds, preds_by_factor) -> None:
    from interlingua.evaluate.tasks.sentence_alignment import unaligned, vecalign_scores

    gold_un = sum(unaligned(g) for g in golds)
    print(f"{name}: {sum(len(g) for g in golds):,} gold links, {gold_un} sentences unaligned in the gold")
    print("  del_factor  unaligned  strict P / R / F1       lax P / R / F1")
    for f in factors:
        preds = preds_by_factor[f]
        sc = vecalign_scores(golds, preds)
        print(
            f"  {f:>10g}  {sum(unaligned(p) for p in preds):>9}  "
            f"{sc['precision_strict']:.3f} {sc['recall_strict']:.3f} {sc['f1_strict']:.3f}    "
            f"{sc['precision_lax']:.3f} {sc['recall_lax']:.3f} {sc['f1_lax']:.3f}"
        )


def sweep(args) -> None:
    """Deletion factors on documents made from training sentences (see the module docstring)."""
    from interlingua.evaluate.tasks.sentence_alignment import parallel_units, perturb
    from interlingua.mine import align_window_embeddings, embed_windows

    encode = _encoder()
    factors = [float(x) for x in args.sweep_del_factor.split(",")]
    golds, preds = [], {f: [] for f in factors}
    for pair in args.pairs.split(","):
        a, b = pair.split("-")
        units = parallel_units(args.sib, a, b, args.sweep_split)
        src, tgt, gold = perturb(
            units,
            p_delete=args.p_delete,
            p_merge=args.p_merge,
            p_block=args.p_block,
            block_len=args.block_len,
            p_merge3=args.p_merge3,
            p_split=args.p_split,
            seed=0,
        )
        sw, tw = embed_windows(src, encode=encode), embed_windows(tgt, encode=encode)
        golds.append(gold)
        for f in factors:
            preds[f].append(align_window_embeddings(sw, tw, del_factor=f))
    _report(f"SIB-200 {args.sweep_split} documents ({args.pairs})", factors, golds, preds)


def bleualign(args) -> None:
    """vecalign's de-fr test documents, measured at ``--del-factors`` (see the module docstring)."""
    from interlingua.evaluate.tasks.sentence_alignment import read_vecalign_links
    from interlingua.mine import align_window_embeddings, embed_windows

    encode = _encoder()
    factors = [float(x) for x in args.del_factors.split(",")]
    golds, preds = [], {f: [] for f in factors}
    for d in range(7):
        de = (args.bleualign / f"test{d}.de").read_text(encoding="utf-8").splitlines()
        fr = (args.bleualign / f"test{d}.fr").read_text(encoding="utf-8").splitlines()
        golds.append(read_vecalign_links(args.bleualign / f"test{d}.defr"))
        sw, tw = embed_windows(de, encode=encode), embed_windows(fr, encode=encode)
        for f in factors:
            preds[f].append(align_window_embeddings(sw, tw, del_factor=f))
    _report("bleualign de-fr test0-6", factors, golds, preds)


if __name__ == "__main__":
    main()
