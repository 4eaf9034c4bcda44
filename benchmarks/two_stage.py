"""Two-stage jobs (#13): a cheap candidate model proposes, e5 decides, against e5 alone, in one run.

    python benchmarks/two_stage.py --data ../shared/data [--parts bucc,pool,align] [--candidates e5-static]
    python benchmarks/two_stage.py --data ../shared/data --sweep       # how the defaults were chosen

- ``bucc``: BUCC 2018 zh-en (8,624 x 13,589 sentences, 257 gold pairs) mined with ``--model``
  alone and with ``--candidates``: time end to end (encoding included, no cache: ``cache=False``;
  each model's session is loaded once before the clocks start), F1 at the space's calibrated
  threshold and at each run's best threshold, the sentences each model embedded, and the margins
  of the pairs both runs find (same scale: the calibration holds).
- ``pool``: a BUCC-style pool of ``--pool`` x ``--pool`` sentences from shared data (see
  :func:`build_pool`); the two-stage run measured whole; e5 alone *extrapolated* from its measured
  sentences/s on ``--e5-sample`` pool sentences (encoding only: its k-NN is left out, so the ratio
  is a lower bound), and both runs measured on a ``--subset`` x ``--subset`` sub-pool for F1.
- ``align``: two documents of ``--sentences`` SIB-200 sentences (concatenated over language
  pairs, links planted at vecalign's de-fr dev rates as ``benchmarks/align.py`` does), aligned
  with ``--align-model`` and ``--workers`` with candidates, measured whole; alone: measured on the
  first ``--align-subset`` sentences, and its full time extrapolated from the windows' rate.
- ``--sweep``: on SIB-200 *train* pools (never the sets above), F1 and the share e5 embeds for
  ``candidates.per_source / bound / context``, and the alignment's ``candidates.sure``.

One thread per process (OMP_NUM_THREADS=1); ``--workers`` processes where a job takes them.
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import argparse  # noqa: E402
import json  # noqa: E402
import random  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from scale import cpu_flags  # noqa: E402

POOL_LANGS = ("deu_Latn", "rus_Cyrl", "zho_Hans", "jpn_Jpan", "arb_Arab")
SWEEP = [
    (4, 1.0, 8),
    (2, 1.0, 8),
    (4, 1.05, 8),
    (4, 1.1, 8),
    (4, 1.0, 4),
    (2, 1.05, 4),
    (1, 1.05, 4),
    (4, 0.95, 8),
]


def default_candidates() -> str:
    from interlingua.encoders import get_encoder

    try:
        get_encoder("e5-static")
        return "e5-static"
    except Exception:  # not built yet: the fast registered stand-in
        return "use-multilingual"


def warm(*models: str) -> None:
    from interlingua.neutral import Space

    for m in models:
        Space.of(m).encode(["warm up the session"], role="query")


def f1_at(scored: list[tuple[float, tuple[str, str]]], gold: set, threshold: float | None) -> dict:
    kept = {p for s, p in scored if threshold is None or s >= threshold}
    tp = len(kept & gold)
    p, r = tp / max(1, len(kept)), tp / max(1, len(gold))
    return {"pairs": len(kept), "tp": tp, "precision": p, "recall": r, "f1": 2 * p * r / max(1e-9, p + r)}


def best_f1(scored: list[tuple[float, tuple[str, str]]], gold: set) -> dict:
    scored = sorted(scored, reverse=True)
    tp, best = 0, {"f1": 0.0, "threshold": None}
    for n, (s, p) in enumerate(scored, 1):
        tp += p in gold
        f = 2 * tp / (n + len(gold))
        if f > best["f1"]:
            best = {"f1": f, "threshold": s}
    return best


def mine_once(src, tgt, gold, model, candidates, src_ids=None, tgt_ids=None, **over) -> dict:
    """One mining run in memory, no cache; every candidate above a low cut kept, scored after."""
    from interlingua.mine import MineOptions, mine_texts
    from interlingua.mine._mine_common import with_threshold
    from interlingua.neutral import Space

    options = MineOptions(cache=False).with_values({"space.encoder": model, **over})
    shipped = with_threshold(options, Space.of(model)).margin.threshold
    if candidates:
        options = options.with_values({"candidates.model": candidates})
    options = options.with_flat({"threshold": 0.9})
    t0 = time.perf_counter()
    rep = mine_texts(src, tgt, options, src_ids=src_ids, tgt_ids=tgt_ids)
    seconds = time.perf_counter() - t0
    scored = [(p.score, (p.src_id, p.tgt_id)) for p in rep.results]
    return {
        "seconds": seconds,
        "embedded": rep.embedded,
        "candidate_embedded": rep.candidate_embedded,
        "candidate_pairs": rep.candidate_pairs,
        "threshold": shipped,
        "at_threshold": f1_at(scored, gold, shipped),
        "best": best_f1(scored, gold),
        "_scores": dict((p, s) for s, p in scored),
    }


def margins_agree(one: dict, two: dict, threshold: float) -> dict:
    """Margins of the pairs both runs keep above the threshold: the same scale or not."""
    a, b = one["_scores"], two["_scores"]
    common = [(a[p], b[p]) for p in a if p in b and a[p] >= threshold]
    if not common:
        return {"pairs": 0}
    x, y = np.array(common).T
    return {
        "pairs": len(common),
        "mean_diff": float(np.mean(y - x)),
        "max_abs_diff": float(np.max(np.abs(y - x))),
    }


def show(name: str, r: dict) -> None:
    t, b = r["at_threshold"], r["best"]
    print(
        f"  {name:<10} {r['seconds']:8.1f} s  e5 embedded {r['embedded']:>7,}  F1 {t['f1']:.4f} "
        f"(P {t['precision']:.3f} R {t['recall']:.3f}) at {r['threshold']:.4f}; best F1 {b['f1']:.4f}",
        flush=True,
    )


def read_bucc(data: Path):
    folder = data / "bucc2018"
    zh = [ln.split("\t", 1) for ln in (folder / "zh-en.dev.zh").read_text(encoding="utf-8").splitlines()]
    en = [ln.split("\t", 1) for ln in (folder / "zh-en.dev.en").read_text(encoding="utf-8").splitlines()]
    gold = {
        tuple(ln.split("\t")) for ln in (folder / "zh-en.dev.gold").read_text(encoding="utf-8").splitlines()
    }
    return [t for _, t in zh], [t for _, t in en], [i for i, _ in zh], [i for i, _ in en], gold


def part_bucc(args, out: dict) -> None:
    zh, en, zh_ids, en_ids, gold = read_bucc(args.data)
    print(f"(a) BUCC zh-en {len(zh):,} x {len(en):,}, {len(gold)} gold", flush=True)
    contexts = [int(c) for c in args.contexts.split(",")] if args.contexts else [None]
    twos = {}
    for ctx in contexts:  # None: the default context
        over = {} if ctx is None else {"candidates.context": ctx}
        twos[ctx] = mine_once(zh, en, gold, args.model, args.candidates, zh_ids, en_ids, **over)
        show("two-stage" if ctx is None else f"context {ctx}", twos[ctx])
    one = mine_once(zh, en, gold, args.model, None, zh_ids, en_ids)
    show(args.model, one)
    out["bucc"] = {"one_stage": _clean(one)}
    for ctx, two in twos.items():
        agree = margins_agree(one, two, one["threshold"])
        ratio = one["seconds"] / two["seconds"]
        print(
            f"  {'default context' if ctx is None else f'context {ctx}'}: speed-up {ratio:.2f}x; F1 "
            f"{two['at_threshold']['f1'] - one['at_threshold']['f1']:+.4f} at the threshold; margins of "
            f"{agree.get('pairs', 0)} common pairs: mean diff {agree.get('mean_diff', 0):+.5f}, "
            f"max {agree.get('max_abs_diff', 0):.5f}",
            flush=True,
        )
        key = "two_stage" if ctx is None else f"two_stage_context_{ctx}"
        out["bucc"].update({key: _clean(two), f"{key}_speedup": ratio, f"{key}_margins": agree})


def _clean(r: dict) -> dict:
    return {k: v for k, v in r.items() if not k.startswith("_")}


def _sib(data: Path, lang: str) -> dict[str, str]:
    out = {}
    for split in ("train", "dev", "test"):
        path = data / "sib200" / "data" / "annotated" / lang / f"{split}.tsv"
        for line in path.read_text(encoding="utf-8").splitlines()[1:]:
            idx, _, text = line.split("\t")
            out[idx] = text
    return out


def build_pool(data: Path, size: int, seed: int = 0):
    """A BUCC-style pool: ``size`` sources (many languages) x ``size`` English-side targets.

    Gold: Tatoeba xxx-eng pairs of ``--pool-gold-langs`` files (about 5% of the pool, BUCC has 3%).
    Distractors, never translations of each other across the sides: SIB-200 sentences (all 205
    languages) with even index ids as sources and odd ones as targets; the other Tatoeba files'
    non-English sides as sources and English sides of yet other files as targets (English lines
    that also occur in a source file's English side dropped, so no hidden translation remains);
    BUCC zh as sources and BUCC en as targets without their gold. Each side is cut to ``size``.
    """
    rng = random.Random(seed)
    tat = sorted((data / "tatoeba").glob("tatoeba.*-eng.eng"))
    files = [(p.name.split(".")[1].split("-")[0], p) for p in tat]
    rng.shuffle(files)
    gold_files, src_files, tgt_files = files[:5], files[5:45], files[45:]
    src, tgt, gold = [], [], []
    seen_src, seen_tgt = set(), set()

    def add(side, seen, text):
        if text and text not in seen:
            seen.add(text)
            side.append(text)
            return len(side) - 1
        return None

    for lang, eng in gold_files:
        xx = eng.with_name(f"tatoeba.{lang}-eng.{lang}").read_text(encoding="utf-8").splitlines()
        for a, b in zip(xx, eng.read_text(encoding="utf-8").splitlines()):
            if a not in seen_src and b not in seen_tgt:
                i, j = add(src, seen_src, a), add(tgt, seen_tgt, b)
                gold.append((i, j))
    src_english = set()
    for lang, eng in src_files:
        xx = eng.with_name(f"tatoeba.{lang}-eng.{lang}").read_text(encoding="utf-8").splitlines()
        src_english |= set(eng.read_text(encoding="utf-8").splitlines())
        for a in xx:
            add(src, seen_src, a)
    src_english |= {tgt[j] for _, j in gold}
    for _, eng in tgt_files:
        for b in eng.read_text(encoding="utf-8").splitlines():
            if b not in src_english:
                add(tgt, seen_tgt, b)
    zh, en, zh_ids, en_ids, bucc_gold = read_bucc(data)
    gz, ge = {a for a, _ in bucc_gold}, {b for _, b in bucc_gold}
    for i, t in zip(zh_ids, zh):
        if i not in gz:
            add(src, seen_src, t)
    for i, t in zip(en_ids, en):
        if i not in ge:
            add(tgt, seen_tgt, t)
    langs = sorted(p.name for p in (data / "sib200" / "data" / "annotated").iterdir())
    sib_src, sib_tgt = [], []
    for lang in langs:
        for idx, text in _sib(data, lang).items():
            (sib_src if int(idx) % 2 == 0 else sib_tgt).append(text)
    rng.shuffle(sib_src)
    rng.shuffle(sib_tgt)
    for t in sib_src:
        if len(src) >= size:
            break
        add(src, seen_src, t)
    for t in sib_tgt:
        if len(tgt) >= size:
            break
        add(tgt, seen_tgt, t)
    src, tgt = src[:size], tgt[:size]
    gold = [(i, j) for i, j in gold if i < size and j < size]
    ps, pt = list(range(len(src))), list(range(len(tgt)))
    rng.shuffle(ps)
    rng.shuffle(pt)
    at_s, at_t = {old: new for new, old in enumerate(ps)}, {old: new for new, old in enumerate(pt)}
    src, tgt = [src[i] for i in ps], [tgt[j] for j in pt]
    return src, tgt, {(str(at_s[i]), str(at_t[j])) for i, j in gold}


def sub_pool(src, tgt, gold, n, seed=1):
    """``n`` x ``n`` rows of the pool keeping its share of gold pairs."""
    rng = np.random.default_rng(seed)
    g = sorted(gold, key=lambda p: (int(p[0]), int(p[1])))
    share = len(g) / len(src)
    pick = rng.choice(len(g), int(share * n), replace=False)
    gs = {g[i][0] for i in pick}
    gt = {g[i][1] for i in pick}
    in_gold_s, in_gold_t = {a for a, _ in g}, {b for _, b in g}
    rest_s = [str(i) for i in rng.permutation(len(src)) if str(i) not in in_gold_s][: n - len(gs)]
    rest_t = [str(j) for j in rng.permutation(len(tgt)) if str(j) not in in_gold_t][: n - len(gt)]
    rows_s, rows_t = sorted(gs | set(rest_s), key=int), sorted(gt | set(rest_t), key=int)
    return (
        [src[int(i)] for i in rows_s],
        [tgt[int(j)] for j in rows_t],
        rows_s,
        rows_t,
        {g[i] for i in pick},
    )


def part_pool(args, out: dict) -> None:
    from interlingua.neutral import Space

    t0 = time.perf_counter()
    src, tgt, gold = build_pool(args.data, args.pool)
    print(
        f"(b) pool {len(src):,} x {len(tgt):,}, {len(gold):,} gold (built in {time.perf_counter() - t0:.0f} s)"
    )
    rng = np.random.default_rng(0)
    sample = [src[i] for i in rng.choice(len(src), args.e5_sample // 2, replace=False)]
    sample += [tgt[i] for i in rng.choice(len(tgt), args.e5_sample // 2, replace=False)]
    sp = Space.of(args.model)
    t0 = time.perf_counter()
    sp.encode(sample, role="query")
    rate = len(sample) / (time.perf_counter() - t0)
    alone = (len(src) + len(tgt)) / rate
    print(
        f"  {args.model}: {rate:.1f} sentences/s on {len(sample):,} pool sentences -> alone ~{alone:,.0f} s "
        "(EXTRAPOLATED, encoding only)",
        flush=True,
    )
    ids_s, ids_t = [str(i) for i in range(len(src))], [str(j) for j in range(len(tgt))]
    two = mine_once(src, tgt, gold, args.model, args.candidates, ids_s, ids_t)
    show("two-stage", two)
    res = {
        "rows": [len(src), len(tgt)],
        "gold": len(gold),
        "e5_rate": rate,
        "alone_extrapolated_s": alone,
        "two_stage": _clean(two),
        "speedup_vs_extrapolated": alone / two["seconds"],
    }
    print(f"  speed-up {alone / two['seconds']:.2f}x against e5 alone extrapolated (lower bound)", flush=True)
    if args.subset:
        s2, t2, rs, rt, g2 = sub_pool(src, tgt, gold, args.subset)
        print(f"  sub-pool {len(s2):,} x {len(t2):,}, {len(g2)} gold: both runs measured", flush=True)
        two_s = mine_once(s2, t2, g2, args.model, args.candidates, rs, rt)
        show("two-stage", two_s)
        one_s = mine_once(s2, t2, g2, args.model, None, rs, rt)
        show(args.model, one_s)
        agree = margins_agree(one_s, two_s, one_s["threshold"])
        print(
            f"  sub-pool speed-up {one_s['seconds'] / two_s['seconds']:.2f}x; F1 "
            f"{two_s['at_threshold']['f1'] - one_s['at_threshold']['f1']:+.4f}; margins {agree}",
            flush=True,
        )
        res["subset"] = {
            "one_stage": _clean(one_s),
            "two_stage": _clean(two_s),
            "margins": agree,
            "speedup": one_s["seconds"] / two_s["seconds"],
        }
    out["pool"] = res


def documents(data: Path, n: int, split: str | None = None, seed: int = 0):
    """Two documents of about ``n`` sentences: SIB-200 English against other languages, pair after
    pair, links planted at vecalign's de-fr dev rates (``benchmarks/align.py``'s defaults)."""
    from interlingua.evaluate.tasks.sentence_alignment import parallel_units, perturb

    units: list[tuple[str, str]] = []
    langs = [
        "deu_Latn",
        "fra_Latn",
        "spa_Latn",
        "rus_Cyrl",
        "zho_Hans",
        "jpn_Jpan",
        "ita_Latn",
        "por_Latn",
        "pol_Latn",
        "tur_Latn",
        "kor_Hang",
        "arb_Arab",
        "nld_Latn",
    ]
    for lang in langs:
        for sp in [split] if split else ["train", "dev", "test"]:
            units += parallel_units(data / "sib200", "eng_Latn", lang, sp)
        if len(units) >= n:
            break
    return perturb(
        units[:n],
        p_delete=0.005,
        p_merge=0.12,
        p_split=0.12,
        p_merge3=0.04,
        p_block=0.003,
        block_len=12,
        seed=seed,
    )


def align_once(src, tgt, model, candidates, workers, tmp: Path, cache: bool = False, **over):
    from interlingua.mine import AlignJob, run

    tmp.mkdir(parents=True, exist_ok=True)
    (tmp / "a.txt").write_text("\n".join(src) + "\n", encoding="utf-8")
    (tmp / "b.txt").write_text("\n".join(tgt) + "\n", encoding="utf-8")
    job = AlignJob(
        src=str(tmp / "a.txt"), tgt=str(tmp / "b.txt"), cache=cache, workers=workers, output_format="jsonl"
    ).with_values({"space.encoder": model, **over})
    if candidates:
        job = job.with_values({"candidates.model": candidates})
    t0 = time.perf_counter()
    rep = run(job)
    seconds = time.perf_counter() - t0
    links = [json.loads(line) for line in rep.lines]
    return seconds, rep, [(tuple(r["src"]), tuple(r["tgt"])) for r in links]


def align_scores(pred, gold) -> dict:
    from interlingua.evaluate.tasks.sentence_alignment import vecalign_scores
    from interlingua.mine import Alignment

    p = [Alignment(a, b, 0.0) for a, b in pred]
    return vecalign_scores([gold], [p])


def part_align(args, out: dict) -> None:
    from interlingua.mine import window_texts
    from interlingua.neutral import Space

    src, tgt, gold = documents(args.data, args.sentences)
    print(
        f"(c) align {len(src):,} x {len(tgt):,} sentences ({args.align_model}, {args.workers} worker(s))",
        flush=True,
    )
    tmp = Path(args.work) / "align"
    secs, rep, links = align_once(src, tgt, args.align_model, args.candidates, args.workers, tmp)
    sc = align_scores(links, gold)
    print(
        f"  two-stage {secs:7.1f} s  e5 windows {rep.embedded:,} of {rep.candidate_embedded:,}, "
        f"{rep.candidate_links:,} of {rep.links:,} links kept from {args.candidates}; strict F1 "
        f"{sc['f1_strict']:.4f} lax {sc['f1_lax']:.4f}",
        flush=True,
    )
    windows = [t for d in (src, tgt) for w in window_texts(d, 3) for t in w]
    sample = random.Random(0).sample(windows, args.e5_sample)
    sp = Space.of(args.align_model)
    t0 = time.perf_counter()
    sp.encode(sample, role="query")
    rate = len(sample) / (time.perf_counter() - t0)
    alone = len(set(windows)) / (rate * args.workers)
    print(
        f"  {args.align_model}: {rate:.1f} windows/s on {len(sample):,} sampled windows, one process -> alone "
        f"~{alone:,.0f} s with {args.workers} worker(s) (EXTRAPOLATED, encoding only); speed-up "
        f"{alone / secs:.2f}x",
        flush=True,
    )
    res = {
        "sentences": [len(src), len(tgt)],
        "two_stage_s": secs,
        "embedded": rep.embedded,
        "candidate_embedded": rep.candidate_embedded,
        "candidate_links": rep.candidate_links,
        "links": rep.links,
        "two_stage_scores": sc,
        "window_rate": rate,
        "alone_extrapolated_s": alone,
    }
    if args.align_subset:
        n = args.align_subset
        s2, t2, g2 = documents(args.data, n, seed=1)
        s_two, r_two, l_two = align_once(s2, t2, args.align_model, args.candidates, args.workers, tmp / "sub")
        s_one, r_one, l_one = align_once(s2, t2, args.align_model, None, args.workers, tmp / "sub")
        a, b = align_scores(l_two, g2), align_scores(l_one, g2)
        same = sum(x == y for x, y in zip(l_two, l_one)) if len(l_two) == len(l_one) else None
        print(
            f"  {len(s2):,}-sentence documents, both measured: two-stage {s_two:.1f} s strict F1 "
            f"{a['f1_strict']:.4f} lax {a['f1_lax']:.4f}; alone {s_one:.1f} s strict F1 {b['f1_strict']:.4f} "
            f"lax {b['f1_lax']:.4f}; speed-up {s_one / s_two:.2f}x; same links {len(set(l_two) & set(l_one))} "
            f"of {len(l_one)}",
            flush=True,
        )
        res["subset"] = {
            "sentences": n,
            "two_stage_s": s_two,
            "alone_s": s_one,
            "two_stage_scores": a,
            "alone_scores": b,
            "common_links": len(set(l_two) & set(l_one)),
            "alone_links": len(l_one),
            "same_position": same,
        }
    out["align"] = res


def sweep_pool(data: Path, n_langs: int = 20, splits: tuple[str, ...] = ("train",), per: int = 35):
    """One BUCC-like pool from SIB-200 ``splits`` only (*train* for the sweep; dev + test is the
    held-out pool of ``two_stage_heldout.py``): ``per`` gold pairs (source language -> English)
    for each of POOL_LANGS on disjoint ids, in that order, and distractors on the other ids, split
    between the sides, in ``n_langs`` other languages (so no distractor has its translation on the
    other side)."""

    def sib_rows(lang):
        out = {}
        for split in splits:
            path = data / "sib200" / "data" / "annotated" / lang / f"{split}.tsv"
            out.update(line.split("\t")[::2] for line in path.read_text(encoding="utf-8").splitlines()[1:])
        return out

    eng = sib_rows("eng_Latn")
    ids = sorted(eng, key=int)
    random.Random(0).shuffle(ids)
    gold_ids = {lang: ids[n * per : (n + 1) * per] for n, lang in enumerate(POOL_LANGS)}
    rest = ids[len(POOL_LANGS) * per :]
    s_ids, t_ids = rest[::2], rest[1::2]
    others = sorted(p.name for p in (data / "sib200" / "data" / "annotated").iterdir())
    others = [x for x in others if x not in POOL_LANGS and x != "eng_Latn"]
    others = random.Random(1).sample(others, n_langs)
    src, tgt, gold = [], [], set()
    for lang in POOL_LANGS:
        xx = sib_rows(lang)
        for i in gold_ids[lang]:
            gold.add((len(src), len(tgt)))
            src.append(xx[i])
            tgt.append(eng[i])
    tgt += [eng[i] for i in t_ids]
    for lang in others:
        xx = sib_rows(lang)
        src += [xx[i] for i in s_ids if i in xx]
        tgt += [xx[i] for i in t_ids if i in xx]
    return src, tgt, gold


def sweep(args, out: dict) -> None:
    """Mining defaults on :func:`sweep_pool` (SIB-200 train; vectors computed once, then every
    setting re-mined from them): F1 at e5's calibrated threshold, the share e5 embeds, and how far
    the two-stage margins of the pairs both find lie from one stage's."""
    from interlingua.mine import MineOptions, mine_vectors
    from interlingua.mine._mine_common import with_threshold
    from interlingua.mine._two_stage import mine_two_stage
    from interlingua.neutral import Space, encode_texts

    src, tgt, gold = sweep_pool(args.data)
    print(f"sweep pool (SIB-200 train) {len(src):,} x {len(tgt):,}, {len(gold)} gold", flush=True)
    e5, cheap = Space.of(args.model), Space.of(args.candidates)
    base = MineOptions().with_values({"space.encoder": args.model})
    thr = with_threshold(base, e5).margin.threshold
    o1 = base.with_flat({"threshold": thr})
    vec = {
        n: [encode_texts(t, sp, role="query", cache=True)[0] for t in (src, tgt)]
        for n, sp in (("e5", e5), ("cheap", cheap))
    }
    one = mine_vectors(*vec["e5"], o1).candidates
    ref = dict(zip(zip(one.src.tolist(), one.tgt.tolist()), one.score.tolist()))
    total = len(src) + len(tgt)
    f = set(ref)
    print(f"  one stage           F1 {2 * len(f & gold) / (len(f) + len(gold)):.4f}", flush=True)
    res = {}
    s5, t5 = vec["e5"]
    for ps in (2, 4, 8):
        for bound in (0.8, 0.9, 1.0, 1.05, 1.1, 1.2):
            for ctx in (1, 2, 4, 8):
                o = o1.with_values(
                    {
                        "candidates.model": args.candidates,
                        "candidates.per_source": ps,
                        "candidates.bound": bound,
                        "candidates.context": ctx,
                    }
                )
                mined, st = mine_two_stage(*vec["cheap"], o, lambda r: s5[r], lambda r: t5[r])
                c = mined.candidates
                got = dict(zip(zip(c.src.tolist(), c.tgt.tolist()), c.score.tolist()))
                f = set(got)
                d = np.array([got[p] - ref[p] for p in f & set(ref)] or [0.0])
                f1 = 2 * len(f & gold) / (len(f) + len(gold))
                print(
                    f"  c={ps} bound={bound:<5} context={ctx}  F1 {f1:.4f}  e5 embedded {st.embedded:,} "
                    f"({st.embedded / total:.1%})  margin diff mean {d.mean():+.5f} max {d.max():.5f}",
                    flush=True,
                )
                res[f"{ps},{bound},{ctx}"] = {
                    "f1": f1,
                    "embedded": st.embedded,
                    "of": total,
                    "margin_diff_mean": float(d.mean()),
                    "margin_diff_max": float(d.max()),
                }
    out["sweep_mine"] = res


def sweep_align(args, out: dict) -> None:
    """``candidates.sure`` and ``context`` on documents of SIB-200 *train* sentences (the embedding
    cache on: every setting after the first re-reads e5's windows)."""
    src, tgt, gold = documents(args.data, args.align_subset, split="train", seed=2)
    tmp = Path(args.work) / "sweep-align"
    _, one_rep, one = align_once(src, tgt, args.align_model, None, args.workers, tmp, cache=True)
    sc = align_scores(one, gold)
    print(
        f"align sweep: {len(src):,} x {len(tgt):,} SIB-200 train sentences; {args.align_model} alone strict F1 "
        f"{sc['f1_strict']:.4f} lax {sc['f1_lax']:.4f}",
        flush=True,
    )
    res = {"alone": sc}
    for sure in (1.0, 1.25, 1.5, 2.0):
        for ctx in (0, 1, 2):
            over = {"candidates.sure": sure, "candidates.context": ctx}
            _, rep, links = align_once(
                src, tgt, args.align_model, args.candidates, 1, tmp, cache=True, **over
            )
            a = align_scores(links, gold)
            share = rep.embedded / max(1, one_rep.embedded)
            print(
                f"  sure={sure:<5} context={ctx}  strict F1 {a['f1_strict']:.4f} lax {a['f1_lax']:.4f}  e5 windows "
                f"{share:.1%}, same links as alone {len(set(links) & set(one)) / len(one):.1%}",
                flush=True,
            )
            res[f"{sure},{ctx}"] = {**a, "e5_share": share}
    out["sweep_align"] = res


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=Path(__file__).resolve().parents[2] / "shared/data")
    ap.add_argument("--parts", default="bucc,pool,align")
    ap.add_argument("--model", default="e5-small")
    ap.add_argument(
        "--candidates", default=None, help="default: e5-static when it is built, else use-multilingual"
    )
    ap.add_argument("--pool", type=int, default=200_000)
    ap.add_argument("--subset", type=int, default=10_000, help="sub-pool both runs mine (0: none)")
    ap.add_argument("--e5-sample", type=int, default=1000)
    ap.add_argument("--sentences", type=int, default=10_000)
    ap.add_argument("--align-model", default="e5-small-int8")
    ap.add_argument("--align-subset", type=int, default=1000)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--work", default="/tmp/two-stage-bench")
    ap.add_argument("--out", type=Path, default=Path("two_stage.json"))
    ap.add_argument(
        "--contexts", default=None, help="bucc: two-stage runs at these candidates.context (e.g. 2,8)"
    )
    ap.add_argument("--sweep", action="store_true")
    ap.add_argument("--sweeps", default="mine,align", help="with --sweep: which (mine, align)")
    args = ap.parse_args()
    if not args.data.is_dir():
        sys.exit(f"--data {args.data}: not found (the shared evaluation data)")
    args.candidates = args.candidates or default_candidates()
    out = {"cpu": cpu_flags(), "model": args.model, "candidates": args.candidates, "argv": sys.argv[1:]}
    print(f"CPU: {out['cpu']}; {args.candidates} -> {args.model}", flush=True)
    warm(args.model, args.candidates, args.align_model)
    if args.sweep:
        for name in args.sweeps.split(","):
            {"mine": sweep, "align": sweep_align}[name](args, out)
    else:
        for part in args.parts.split(","):
            {"bucc": part_bucc, "pool": part_pool, "align": part_align}[part](args, out)
            args.out.write_text(json.dumps(out, indent=2), encoding="utf-8")
    args.out.write_text(json.dumps(out, indent=2), encoding="utf-8")
    print(f"-> {args.out}")


if __name__ == "__main__":
    main()
