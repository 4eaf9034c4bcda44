"""Hybrid search across languages: where BM25 should count, and what stands in for it where it
cannot. Every variant is measured on the same runs of the same queries in one process.

Variants (``scope/impute``, see ``interlingua.search.scoped_fuse``): ``all`` (the old fusion:
BM25 counts for every document), ``language/dense`` (the default), ``language/rank``,
``language/none``, ``script/dense``; and how far a detected query language is trusted
(``scope_language``): off its usual script, scripts decide (the default); ``min-score-0.5``:
also below a score of 0.5; ``trust-always``. Against ``dense`` and ``bm25`` alone.

Two measurements:

- a mixed en/xx pool (``--stsb`` for en/pl: STSb-multi-MT's sentence1 column, row-parallel;
  or ``--tatoeba`` with ``--pair deu`` and the like; the Tatoeba copy here has no Polish): the collection holds the xx translations of
  sentences 0..n-1 and the English side of sentences n..2n-1 (distractors in the query's
  language); the queries are the English sentences 0..n-1; a hit is the translation at rank 1
  (``pool``). Second probe (``both``): the collection holds both sides of sentences 0..n-1 and
  the first hit other than the query's own English sentence must be its translation.
- XQuAD (``--xquad``), the three settings of ``interlingua eval xquad`` (a same language, b to
  English, c pool of 12) on the questions of one half of the paragraphs (``--paragraphs``):
  MRR@10 (ir_measures), mean over question languages. Choose on ``first-half``, report
  ``second-half`` (``interlingua eval xquad --set paragraphs=second-half``).

    python benchmarks/hybrid.py --stsb ../shared/data/stsb-multi-mt --pair pl --n 1000
    python benchmarks/hybrid.py --tatoeba ../shared/data/tatoeba --pair deu --n 1000
    python benchmarks/hybrid.py --xquad ../shared/data/xquad --paragraphs first-half
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

VARIANTS = {  # name: (scope, impute, trusting the detected query language: min score, or None: always)
    "all": ("all", "dense", None),
    "language/dense": ("language", "dense", 0.0),
    "language/dense/min-score-0.5": ("language", "dense", 0.5),
    "language/dense/trust-always": ("language", "dense", None),
    "language/rank": ("language", "rank", 0.0),
    "language/none": ("language", "none", 0.0),
    "script/dense": ("script", "dense", None),
}
DEPTH = 100


def fused_runs(searcher, text: str, vector, allowed, guess, docs, fusion: str = "weighted") -> dict:
    """Every method's run ``{key: score}`` for one query, from one dense and one lexical run."""
    from interlingua.search import lexical_scope_keys, scope_language, scoped_fuse

    r = searcher.runs(text, mode="hybrid", depth=DEPTH, allowed=allowed, query_vector=vector)
    keys = [*r["dense"], *(k for k in r["lexical"] if k not in r["dense"])]
    out = {"dense": r["dense"], "bm25": r["lexical"]}
    for name, (scope, impute, min_score) in VARIANTS.items():
        in_scope = None
        if scope != "all":
            lang = guess.lang
            if min_score is not None:
                lang = scope_language(guess.lang, guess.script, guess.score, min_score=min_score)
            in_scope = lexical_scope_keys(scope, lang, guess.script, keys, docs)
        out[name] = scoped_fuse(fusion, r["dense"], r["lexical"], in_scope, impute=impute)
    return out


def ranked(run: dict) -> list:
    return sorted(run, key=lambda key: (-run[key], key))


def parallel(args) -> tuple[list[str], list[str]]:
    """Parallel sentences (xx, English), each English sentence once: Tatoeba ``xxx-eng``, or
    the ``sentence1`` column of STSb-multi-MT (row-parallel across languages)."""
    import csv

    x = args.pair
    try:
        if args.stsb:
            rows = []
            for lang in (x, "en"):
                with open(args.stsb / f"stsb-{lang}-{args.split}.csv", encoding="utf-8", newline="") as fh:
                    rows.append([r[0] for r in csv.reader(fh)])
            xs, en = rows
        else:
            xs = (args.tatoeba / f"tatoeba.{x}-eng.{x}").read_text(encoding="utf-8").splitlines()
            en = (args.tatoeba / f"tatoeba.{x}-eng.eng").read_text(encoding="utf-8").splitlines()
    except FileNotFoundError as exc:
        sys.exit(f"no {x}/English files: {exc}")
    seen: set[str] = set()
    pairs = []
    for a, b in zip(xs, en):
        if b.strip() and a.strip() and b.lower() not in seen:
            seen.add(b.lower())
            pairs.append((a, b))
    return [a for a, _ in pairs], [b for _, b in pairs]


def mixed_pool(args, enc) -> dict:
    from interlingua.evaluate import embed_texts
    from interlingua.search import Searcher, SearchOptions
    from interlingua.store import Collection
    from interlingua.text import canonical_lang, detect_language

    x = args.pair
    xs, en = parallel(args)
    n = min(args.n, len(xs) // 2)
    lang = canonical_lang(x)
    guesses = detect_language(en[:n])
    res: dict = {"source": str(args.stsb or args.tatoeba), "pair": f"{x}-en", "n": n}
    for probe in ("pool", "both"):
        if probe == "pool":  # xx translations of 0..n-1, English distractors n..2n-1
            docs = [{"id": f"{x}{i}", "text": xs[i], "lang": lang} for i in range(n)]
            docs += [{"id": f"en{i}", "text": en[i], "lang": "en"} for i in range(n, 2 * n)]
        else:  # both sides of 0..n-1
            docs = [{"id": f"{x}{i}", "text": xs[i], "lang": lang} for i in range(n)]
            docs += [{"id": f"en{i}", "text": en[i], "lang": "en"} for i in range(n)]
        vecs = embed_texts(enc, [d["text"] for d in docs], "passage", desc=f"tatoeba {probe}")
        qvecs = embed_texts(enc, en[:n], "query", desc="tatoeba queries")
        with tempfile.TemporaryDirectory(prefix="interlingua-hybrid-") as tmp:
            col = Collection.create(Path(tmp) / "c", encoder=enc, dense_index="flat")
            col.add(docs, vectors=vecs, identity=enc.identity, batch_size=5000)
            s = Searcher(col)
            all_docs = col.documents(col.all_keys())
            id_of = {k: d.id for k, d in all_docs.items()}
            top1: dict[str, int] = {}
            for i in range(n):
                runs = fused_runs(s, en[i], qvecs[i], None, guesses[i], all_docs)
                for name, run in runs.items():
                    order = [id_of[k] for k in ranked(run) if id_of[k] != f"en{i}" or probe == "pool"]
                    top1[name] = top1.get(name, 0) + int(bool(order) and order[0] == f"{x}{i}")
            # the production path agrees with the benchmark's own fusion (default options)
            check = s.search(en[0], SearchOptions(k=3, depth=DEPTH), query_vector=qvecs[0])
            want = ranked(fused_runs(s, en[0], qvecs[0], None, guesses[0], all_docs)["language/dense"])[:3]
            assert [h.key for h in check.hits] == want, (check.hits, want)
            col.close()
        res[probe] = {name: f"{v}/{n}" for name, v in top1.items()}
    return res


def xquad(args, enc) -> dict:
    import ir_measures

    from interlingua.evaluate import embed_texts
    from interlingua.evaluate.readers import read_xquad
    from interlingua.search import Searcher
    from interlingua.store import Collection
    from interlingua.text import detect_language

    sets = read_xquad(args.xquad, args.langs)
    if "en" not in sets:
        sets.update(read_xquad(args.xquad, ["en"]))
    langs = sorted(sets)
    q_langs = sorted(args.langs) if args.langs else langs
    pids = list(next(iter(sets.values())).passages)
    mid = (len(pids) + 1) // 2
    chosen = set(
        pids if args.paragraphs == "all" else pids[:mid] if args.paragraphs == "first-half" else pids[mid:]
    )
    questions = {
        q: [(qid, t, p) for qid, (t, p) in sets[q].questions.items() if p in chosen][: args.max_queries]
        for q in q_langs
    }
    docs = [
        {"id": f"{lang}:{p}", "text": sets[lang].passages[p], "lang": lang} for lang in langs for p in pids
    ]
    vecs = embed_texts(enc, [d["text"] for d in docs], "passage", desc="xquad paragraphs")
    q_texts = [t for q in q_langs for _, t, _ in questions[q]]
    q_vecs = embed_texts(enc, q_texts, "query", desc="xquad questions")
    guesses = detect_language(q_texts)
    rr = ir_measures.parse_measure("RR@10")
    methods = ["dense", "bm25", *VARIANTS]
    table: dict[str, dict[str, list[float]]] = {}
    with tempfile.TemporaryDirectory(prefix="interlingua-hybrid-") as tmp:
        col = Collection.create(Path(tmp) / "c", encoder=enc, dense_index="flat")
        col.add(docs, vectors=vecs, identity=enc.identity, batch_size=5000)
        s = Searcher(col)
        all_docs = col.documents(col.all_keys())
        id_of = {k: d.id for k, d in all_docs.items()}
        by_lang = {lang: col.select(include_langs=[lang]) for lang in langs}
        pos = 0
        for q in q_langs:
            for setting in args.settings:
                allowed = {"a": by_lang[q], "b": by_lang["en"], "c": None}[setting]
                runs: dict[str, dict] = {m: {} for m in methods}
                qrels = {}
                for i, (qid, text, pid) in enumerate(questions[q]):
                    qrels[qid] = {{"a": f"{q}:{pid}", "b": f"en:{pid}", "c": pid}[setting]: 1}
                    got = fused_runs(s, text, q_vecs[pos + i], allowed, guesses[pos + i], all_docs)
                    for m in methods:
                        run = {id_of[k]: v for k, v in got[m].items()}
                        if setting == "c":  # each paragraph at its best language version
                            best: dict[str, float] = {}
                            for did, v in run.items():
                                p = did.split(":", 1)[1]
                                best[p] = max(v, best.get(p, -1e9))
                            run = best
                        runs[m][qid] = run
                for m in methods:
                    agg = ir_measures.calc_aggregate([rr], qrels, runs[m])
                    table.setdefault(setting, {}).setdefault(m, []).append(100 * float(agg.get(rr, 0.0)))
            pos += len(questions[q])
        col.close()
    return {
        "paragraphs": args.paragraphs,
        "questions": sum(len(v) for v in questions.values()),
        "MRR@10": {s: {m: round(sum(v) / len(v), 2) for m, v in ms.items()} for s, ms in table.items()},
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--tatoeba", type=Path, help="the Tatoeba folder (mixed-pool probe)")
    ap.add_argument(
        "--stsb", type=Path, help="or the STSb-multi-MT folder (it has Polish; Tatoeba here does not)"
    )
    ap.add_argument("--split", default="test", help="with --stsb: dev or test")
    ap.add_argument("--pair", default="pl", help="the other language (Tatoeba: ISO 639-3, e.g. deu)")
    ap.add_argument("--n", type=int, default=1000, help="sentences in the probe")
    ap.add_argument("--xquad", type=Path, help="the XQuAD folder")
    ap.add_argument("--paragraphs", default="first-half", choices=["all", "first-half", "second-half"])
    ap.add_argument("--settings", default="abc")
    ap.add_argument("--langs", nargs="*", help="XQuAD question languages (default all)")
    ap.add_argument("--max-queries", type=int, default=None)
    ap.add_argument("--json", type=Path, help="also write the numbers here")
    args = ap.parse_args()
    if not (args.tatoeba or args.stsb) and not args.xquad:
        ap.error("give --stsb or --tatoeba, and/or --xquad")
    from interlingua.encoders import get_encoder

    enc = get_encoder("e5-small")
    res: dict = {}
    t = time.perf_counter()
    if args.tatoeba or args.stsb:
        res["mixed_pool"] = mixed_pool(args, enc)
    if args.xquad:
        res["xquad"] = xquad(args, enc)
    res["seconds"] = round(time.perf_counter() - t, 1)
    print(json.dumps(res, indent=2))
    if args.json:
        args.json.write_text(json.dumps(res, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
