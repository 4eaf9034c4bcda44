"""Cross-lingual retrieval: MRR@10, nDCG@10 and Recall@k (computed by ``ir_measures``, i.e.
trec_eval's definitions) for every query language against every document language, and
against a mixed pool of all document languages.

Data: an XQuAD folder (a question's relevant passage is its own paragraph, in any language) or
a BEIR-style folder (corpus.jsonl, queries.jsonl, qrels/<split>.tsv; optional ``lang`` fields
split queries and documents by language)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..._validation import check_int
from ...errors import InputError
from ...mine import knn
from .._embed import embed_texts
from .._task import TaskResult, register_task
from ..readers import lang_tag, read_beir, read_xquad, select_languages

DEFAULT_MEASURES = ("MRR@10", "nDCG@10", "Recall@1", "Recall@10", "Recall@100")
MIXED = "all"


def _xquad(data, languages, doc_languages):
    sets = read_xquad(data, languages)
    docs = read_xquad(data, doc_languages) if doc_languages is not None else sets
    queries = {q: {qid: text for qid, (text, _) in s.questions.items()} for q, s in sets.items()}
    gold = {qid: pid for s in sets.values() for qid, (_, pid) in s.questions.items()}
    pools = {d: {f"{d}:{pid}": text for pid, text in s.passages.items()} for d, s in docs.items()}
    qrels = {qid: {f"{d}:{pid}": 1 for d in pools} for qid, pid in gold.items()}
    return queries, pools, qrels


def _beir(data, languages, doc_languages, split):
    b = read_beir(data, split)
    qlang = {qid: b.query_lang.get(qid, "und") for qid in b.queries}  # und: BCP 47 "undetermined"
    dlang = {did: b.doc_lang.get(did, "und") for did in b.corpus}
    qcodes = select_languages(sorted(set(qlang.values())), languages, "BEIR queries", path=Path(data))
    dcodes = select_languages(sorted(set(dlang.values())), doc_languages, "BEIR corpus", path=Path(data))
    queries = {q: {qid: t for qid, t in b.queries.items() if qlang[qid] == q} for q in qcodes}
    pools = {d: {did: t for did, t in b.corpus.items() if dlang[did] == d} for d in dcodes}
    return queries, pools, b.qrels


def _tag(code: str) -> str | None:
    """A dataset's language code as a tag for the space's adapters (None: undetermined)."""
    return None if code == "und" else lang_tag(code)


def _parse_measures(names):
    import ir_measures

    out = {}
    for name in names:
        alias = name.replace("MRR@", "RR@").replace("Recall@", "R@")
        try:
            out[name] = ir_measures.parse_measure(alias)
        except (ValueError, NameError, SyntaxError) as exc:
            raise InputError(
                f"Unknown retrieval measure {name!r}. Use e.g. MRR@10, nDCG@10, Recall@100, P@5, AP."
            ) from exc
    return out


@register_task(
    "retrieval",
    description="Cross-lingual retrieval: MRR@10, nDCG@10, Recall@k by query and document language.",
    default_data="xquad",
)
def retrieval(
    encoder,
    data: Path,
    *,
    languages=None,
    doc_languages=None,
    measures=DEFAULT_MEASURES,
    top_k: int | None = None,
    mixed: bool = True,
    split: str = "test",
) -> TaskResult:
    import ir_measures

    parsed = _parse_measures(list(measures))
    if top_k is None:  # deep enough for every cutoff asked for
        top_k = max([getattr(m, "params", {}).get("cutoff") or 100 for m in parsed.values()])
    check_int(top_k, "top_k", low=1)
    if (Path(data) / "corpus.jsonl").is_file():
        queries, pools, qrels = _beir(data, languages, doc_languages, split)
    else:
        queries, pools, qrels = _xquad(data, languages, doc_languages)
    qtexts = [t for q in queries.values() for t in q.values()]
    dtexts = [t for p in pools.values() for t in p.values()]
    qlangs = [_tag(q) for q, items in queries.items() for _ in items]
    dlangs = [_tag(d) for d, items in pools.items() for _ in items]
    qv = embed_texts(encoder, qtexts, "query", desc=f"retrieval queries {encoder.name}", langs=qlangs)
    dv = embed_texts(encoder, dtexts, "passage", desc=f"retrieval passages {encoder.name}", langs=dlangs)
    qvec, pos = {}, 0
    for q, items in queries.items():
        qvec[q] = qv[pos : pos + len(items)]
        pos += len(items)
    pool_ids, pool_vec, pos = {}, {}, 0
    for d, items in pools.items():
        pool_ids[d], pool_vec[d] = list(items), dv[pos : pos + len(items)]
        pos += len(items)
    if mixed and len(pools) > 1:
        pool_ids[MIXED] = [i for d in pools for i in pool_ids[d]]
        pool_vec[MIXED] = np.concatenate([pool_vec[d] for d in pools])
    cols = list(pool_ids)
    cells: dict[str, list[list[float]]] = {m: [] for m in parsed}
    for q, items in queries.items():
        qids = list(items)
        rows = {m: [] for m in parsed}
        for d in cols:
            in_pool = set(pool_ids[d])
            rel = {qid: {did: r for did, r in qrels.get(qid, {}).items() if did in in_pool} for qid in qids}
            rel = {qid: docs for qid, docs in rel.items() if any(r > 0 for r in docs.values())}
            scores, idx = knn(qvec[q], pool_vec[d], top_k)
            run = {
                qid: {pool_ids[d][j]: float(s) for s, j in zip(scores[i], idx[i])}
                for i, qid in enumerate(qids)
            }
            agg = ir_measures.calc_aggregate(list(parsed.values()), rel, run) if rel else {}
            for m, measure in parsed.items():
                rows[m].append(100 * float(agg.get(measure, float("nan"))))
        for m in parsed:
            cells[m].append(rows[m])
    single = [j for j, d in enumerate(cols) if d != MIXED]
    per_language = {
        q: {m: float(np.nanmean([cells[m][i][j] for j in single])) for m in parsed}
        for i, q in enumerate(queries)
    }
    metrics = {
        m: float(np.nanmean([[cells[m][i][j] for j in single] for i in range(len(queries))])) for m in parsed
    }
    if MIXED in cols:
        j = cols.index(MIXED)
        metrics.update(
            {
                f"{m} (mixed pool)": float(np.nanmean([cells[m][i][j] for i in range(len(queries))]))
                for m in parsed
            }
        )
    metrics["n_query_languages"] = float(len(queries))
    lab = {"row_label": "query language", "col_label": "document language"}
    return TaskResult(
        task="retrieval",
        primary_metric="nDCG@10" if "nDCG@10" in parsed else next(iter(parsed)),
        metrics=metrics,
        per_language=per_language,
        matrices={m: {"rows": list(queries), "cols": cols, "values": cells[m], **lab} for m in parsed},
        details={
            "unit": "percent",
            "queries": {q: len(v) for q, v in queries.items()},
            "documents": {d: len(v) for d, v in pools.items()},
        },
        config={
            "languages": list(queries),
            "doc_languages": list(pools),
            "measures": list(parsed),
            "top_k": top_k,
            "mixed": mixed,
        },
    )
