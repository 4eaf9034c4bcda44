"""XQuAD passage retrieval through a real :class:`~interlingua.store.Collection`: dense, BM25,
hybrid (``fusion="weighted"``, the default: a weighted sum of min-max normalized scores; or RRF, k = 60) and
hybrid + MaxSim rerank of the top ``rerank_depth``, in three settings.

Hybrid is the search command's own fusion (:meth:`~interlingua.search.Searcher.fuse`), with its
``lexical_scope`` (default "language": BM25 counts only for paragraphs in the question's
language, detected as the search command detects it; "all" is the old fusion). ``paragraphs``
keeps the questions on the first or second half of the paragraphs (file order, 24 of the 48
articles each): choose a setting on one half, report it on the other.

The corpus is every paragraph of every language in one collection (id ``<lang>:<paragraph>``);
the queries are the questions. Settings are language filters on that one collection:

(a) ``same``: questions against paragraphs in the question's language;
(b) ``en``: questions of each language against the English paragraphs;
(c) ``pool``: questions against the pool of all languages' paragraphs, where a hit is the
    question's paragraph in any language: the ranking is collapsed to paragraphs (each
    paragraph at the rank of its best-ranked language version) before scoring, so Recall@10
    asks "is the right paragraph, in some language, among the first 10 paragraphs".

Measures come from ``ir_measures`` (trec_eval's definitions), in percent.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np

from ..._validation import check_int
from ...errors import InputError
from .._embed import embed_texts
from .._task import TaskResult, register_task
from ..readers import read_xquad

SETTINGS = {"a": "same", "b": "en", "c": "pool"}
HALVES = ("all", "first-half", "second-half")
METHODS = ("dense", "bm25", "hybrid", "hybrid+rerank")
MEASURES = {"MRR@10": "RR@10", "nDCG@10": "nDCG@10", "R@10": "R@10", "R@100": "R@100"}


def _collapse(run: dict[str, float]) -> dict[str, float]:
    """``lang:pid`` scores -> ``pid`` scores, each paragraph at its best language version."""
    out: dict[str, float] = {}
    for did, score in run.items():
        pid = did.split(":", 1)[1]
        if pid not in out or score > out[pid]:
            out[pid] = score
    return out


def _half(pids: list[str], which: str) -> set[str]:
    """The paragraphs asked for: all, or the first or second half in file order."""
    mid = (len(pids) + 1) // 2
    return set(pids if which == "all" else pids[:mid] if which == "first-half" else pids[mid:])


def _ranked(run: dict[int, float]) -> list[int]:
    return sorted(run, key=lambda key: (-run[key], key))


@register_task(
    "xquad",
    description="XQuAD passage retrieval in a Collection: dense, BM25, hybrid, hybrid+rerank; "
    "same-language, to-English and mixed-pool settings.",
    default_data="xquad",
)
def xquad(
    encoder,
    data: Path,
    *,
    languages=None,
    settings=("a", "b", "c"),
    methods=METHODS,
    top_k: int = 100,
    rerank_depth: int = 20,
    max_queries: int | None = None,
    fusion: str = "weighted",
    weights: tuple[float, float] | None = None,
    lexical_scope: str = "language",
    paragraphs: str = "all",
) -> TaskResult:
    import ir_measures

    from ...search import RRF_K, Searcher, SearchOptions
    from ...store import IndexSpec, create_collection
    from ...text import detect_language, same_language

    check_int(top_k, "top_k", low=10)
    check_int(rerank_depth, "rerank_depth", low=1)
    settings = [s for s in settings]
    if paragraphs not in HALVES:
        raise InputError(f"Unknown XQuAD paragraphs {paragraphs!r}; use {', '.join(HALVES)}.")
    hybrid = SearchOptions(
        mode="hybrid",
        fusion=fusion,
        weights=tuple(float(w) for w in weights) if weights else None,
        lexical_scope=lexical_scope,
        depth=top_k,
    ).validate("xquad")  # an unknown fusion or scope lists the known ones
    for s in settings:
        if s not in SETTINGS:
            raise InputError(
                f"Unknown XQuAD setting {s!r}; use a (same language), b (to English), c (mixed pool)."
            )
    for m in methods:
        if m not in METHODS:
            raise InputError(f"Unknown XQuAD method {m!r}; use {', '.join(METHODS)}.")
    sets = read_xquad(data, languages)
    q_langs = sorted(sets)  # the query languages asked for; the pool may add English for (b)
    if "b" in settings and "en" not in sets:
        sets.update(read_xquad(data, ["en"]))
    langs = sorted(sets)
    pids = {lang: list(s.passages) for lang, s in sets.items()}
    chosen = _half(next(iter(pids.values())), paragraphs)
    questions = {
        lang: [q for q in s.questions.items() if q[1][1] in chosen][: max_queries or None]
        for lang, s in sets.items()
    }
    measures = {name: ir_measures.parse_measure(m) for name, m in MEASURES.items()}
    doc_texts = [sets[lang].passages[p] for lang in langs for p in pids[lang]]
    doc_vecs = embed_texts(encoder, doc_texts, "passage", desc="xquad paragraphs")
    q_texts = [t for lang in q_langs for _, (t, _) in questions[lang]]
    q_vecs = embed_texts(encoder, q_texts, "query", desc="xquad questions")
    rerank = "hybrid+rerank" in methods
    cells: dict[str, dict[str, dict[str, float]]] = {}  # "a/dense" -> qlang -> measure -> value
    with tempfile.TemporaryDirectory(prefix="interlingua-xquad-") as tmp:
        spec = IndexSpec(uri=str(Path(tmp) / "xquad")).with_values({"dense.factory": "Flat"})
        with create_collection(spec, space=encoder) as col:
            docs = [
                {"id": f"{lang}:{p}", "text": sets[lang].passages[p], "lang": lang, "meta": {"pid": p}}
                for lang in langs
                for p in pids[lang]
            ]
            col.add(docs, vectors=doc_vecs, identity=col.space.identity, batch_size=5000)
            searcher = Searcher(col)
            allowed_by_lang = {lang: col.select(include_langs=[lang]) for lang in langs}
            all_docs = col.documents(col.all_keys())
            id_of = {k: d.id for k, d in all_docs.items()}
            text_of = {k: d.text for k, d in all_docs.items()} if rerank else {}
            # the query languages, detected as the search command detects them
            guesses = detect_language(q_texts, backend=col.langid) if q_texts else []
            qtok = searcher.reranker.query_tokens_many(q_texts) if rerank else []
            pos = 0
            for qlang in q_langs:
                for setting in settings:
                    allowed = {"a": allowed_by_lang[qlang], "b": allowed_by_lang.get("en"), "c": None}[
                        setting
                    ]
                    runs: dict[str, dict[str, dict[str, float]]] = {m: {} for m in methods}
                    qrels: dict[str, dict[str, int]] = {}
                    for i, (qid, (text, pid)) in enumerate(questions[qlang]):
                        gold = {"a": f"{qlang}:{pid}", "b": f"en:{pid}", "c": pid}[setting]
                        qrels[qid] = {gold: 1}
                        r = searcher.runs(
                            text, mode="hybrid", depth=top_k, allowed=allowed, query_vector=q_vecs[pos + i]
                        )
                        g = guesses[pos + i]
                        fused = searcher.fuse(
                            text,
                            r,
                            hybrid,
                            query_lang=g.lang,
                            query_script=g.script,
                            query_lang_score=g.score,
                            docs=all_docs,
                        )[0]
                        got = {"dense": r["dense"], "bm25": r["lexical"], "hybrid": fused}
                        if rerank:
                            order = _ranked(fused)
                            head = order[:rerank_depth]
                            ms = searcher.reranker.scores(qtok[pos + i], head, [text_of[k] for k in head])
                            # reranked head above the rest, in MaxSim order; the tail keeps the fused order
                            got["hybrid+rerank"] = {k: 2.0 + float(s) for k, s in zip(head, ms)}
                            got["hybrid+rerank"].update({k: fused[k] for k in order[rerank_depth:top_k]})
                        for m in methods:
                            run = {id_of[k]: s for k, s in got[m].items() if k in id_of}
                            runs[m][qid] = _collapse(run) if setting == "c" else run
                    for m in methods:
                        agg = ir_measures.calc_aggregate(list(measures.values()), qrels, runs[m])
                        cells.setdefault(f"{setting}/{m}", {})[qlang] = {
                            name: 100 * float(agg.get(meas, 0.0)) for name, meas in measures.items()
                        }
                pos += len(questions[qlang])
    metrics = {
        f"{key}/{name}": float(np.mean([cells[key][q][name] for q in q_langs]))
        for key in cells
        for name in MEASURES
    }
    per_language = {
        q: {f"{key}/{name}": cells[key][q][name] for key in cells for name in MEASURES} for q in q_langs
    }
    primary = "a/hybrid/nDCG@10" if "a/hybrid/nDCG@10" in metrics else next(iter(metrics))
    detected, start = {}, 0  # the share of each language's questions detected as that language
    for q in q_langs:
        got = [same_language(g.lang, q) for g in guesses[start : start + len(questions[q])]]
        detected[q] = float(np.mean(got)) if got else 0.0
        start += len(got)
    return TaskResult(
        task="xquad",
        primary_metric=primary,
        metrics=metrics,
        per_language=per_language,
        details={
            "unit": "percent",
            "settings": {s: SETTINGS[s] for s in settings},
            "table": format_table(metrics),
            "queries": {q: len(questions[q]) for q in q_langs},
            "paragraphs": {q: len(pids[q]) for q in langs},
            "query_language_detected": detected,
        },
        config={
            "languages": q_langs,
            "pool_languages": langs,
            "settings": list(settings),
            "methods": list(methods),
            "top_k": top_k,
            "rerank_depth": rerank_depth,
            "fusion": f"rrf k={RRF_K}" if fusion == "rrf" else f"weighted {weights or (0.5, 0.5)}",
            "lexical_scope": lexical_scope,
            "paragraphs": paragraphs,
            "max_queries": max_queries,
        },
    )


def format_table(metrics: dict[str, float]) -> str:
    """A Markdown table: one row per setting and method, one column per measure (mean over languages)."""
    rows = ["| setting | method | " + " | ".join(MEASURES) + " |", "|---|---|" + "---:|" * len(MEASURES)]
    for s, label in SETTINGS.items():
        for m in METHODS:
            if f"{s}/{m}/MRR@10" in metrics:
                vals = " | ".join(f"{metrics[f'{s}/{m}/{name}']:.1f}" for name in MEASURES)
                rows.append(f"| ({s}) {label} | {m} | {vals} |")
    return "\n".join(rows)
