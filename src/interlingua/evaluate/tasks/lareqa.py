"""LAReQA on XQuAD-R: language-agnostic answer retrieval from one multilingual pool
(Roy et al. 2020, "LAReQA: Language-agnostic answer retrieval from a multilingual pool").

The pool is every sentence of every paragraph in every language (paragraphs split with the
project's sentence splitter, :func:`~interlingua.text.split_sentence_spans`). A question's
relevant set is the sentence holding its answer in every language: XQuAD is parallel (question
ids and paragraphs match across languages), and each language's sentence is the one whose span
holds that language's ``answer_start``. So every question has one relevant sentence per pool
language, and a space scores well only when a right answer in another language ranks above a
wrong one in the question's own language ("strong" alignment).

``languages`` defaults to XQuAD-R's 11 (``LAREQA_LANGUAGES``, without XQuAD's later Romanian),
those of them the folder holds; the questions of every chosen language query the pool of all.

Questions are encoded in the ``query`` role and candidates in the ``passage`` role, each with
its language; a candidate is its sentence alone (``context=True`` appends its paragraph, as
LAReQA's USE-QA baseline does). Search is exact (numpy, blockwise); the scores pass through
``space.balance_scores`` so a score-level ``balance`` adapter ranks the pool too.

Measures (percent, except the rank):

- ``mAP``: mean average precision over every question of every language (``ir_measures``
  ``AP``, trec_eval's definition, on the full ranking); ``per_language`` holds it by question
  language;
- ``same_lang_top1``: the share of questions whose first-ranked sentence is in the question's
  language (a language-neutral space would be near 1 / number of languages);
- ``first_other_rank``: the mean rank (1 = first) of the first relevant sentence in another
  language;
- ``top1_correct``: the share of questions whose first-ranked sentence is relevant.

The matrix ``top-1 language`` says, per question language (rows), where the first-ranked
sentences land (columns, percent of that language's questions).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..._validation import check_int
from ...errors import InputError
from .._embed import embed_texts
from .._task import TaskResult, register_task
from ..readers import QASet, read_xquad, xquad_languages

#: the languages of XQuAD-R (XQuAD's 11; the Romanian file added later is not one of them)
LAREQA_LANGUAGES = ("ar", "de", "el", "en", "es", "hi", "ru", "th", "tr", "vi", "zh")
MATRIX = "top-1 language"
_BLOCK = 512  # questions scored at a time: a (512, pool) float32 block
_BOM = "\ufeff"


@dataclass(frozen=True)
class Pool:
    """The XQuAD-R candidate pool and what is relevant in it.

    ``ids[i]`` is ``<lang>:<paragraph id>:<sentence number>``; ``relevant[qid]`` holds, per
    pool language, the index of the sentence holding the answer of question ``qid``."""

    ids: list[str]
    texts: list[str]
    langs: list[str]
    paragraphs: list[str]  # each candidate's paragraph (its context)
    relevant: dict[str, dict[str, int]]
    #: answers whose text runs past the end of the sentence holding their start
    crossing: int = 0


def _answer_sentence(spans: Sequence[tuple[int, int]], start: int) -> int:
    """The sentence whose span holds ``start``; an offset in the space between two sentences
    belongs to the next one (the last one past the end)."""
    for i, (_, end) in enumerate(spans):
        if start < end:
            return i
    return len(spans) - 1


def build_pool(sets: dict[str, QASet], question_ids: Sequence[str]) -> Pool:
    """Split every paragraph of ``sets`` into sentences and find each question's answer sentence
    in every language (``question_ids`` must be answered in every set)."""
    from ...text import split_sentence_spans

    ids, texts, langs, paragraphs = [], [], [], []
    index: dict[tuple[str, str], list[tuple[int, int, int]]] = {}  # (lang, pid) -> (start, end, doc)
    for lang, s in sets.items():
        for pid, context in s.passages.items():
            rows = index[(lang, pid)] = []
            for k, (a, b) in enumerate(split_sentence_spans(context, lang)):
                text = context[a:b].lstrip(_BOM).strip()
                if not text:  # a stray byte-order mark is not a sentence
                    continue
                rows.append((a, b, len(ids)))
                ids.append(f"{lang}:{pid}:{k}")
                texts.append(text)
                langs.append(lang)
                paragraphs.append(context.lstrip(_BOM))
    relevant: dict[str, dict[str, int]] = {}
    crossing = 0
    for qid in question_ids:
        rel = relevant[qid] = {}
        for lang, s in sets.items():
            pid = s.questions[qid][1]
            rows = index[(lang, pid)]
            if not rows:
                raise InputError(f"XQuAD {lang}: paragraph {pid} holds no sentence (question {qid!r}).")
            start, answer = s.answers[qid]
            k = _answer_sentence([(a, b) for a, b, _ in rows], start)
            rel[lang] = rows[k][2]
            crossing += start + len(answer) > rows[k][1]
    return Pool(ids, texts, langs, paragraphs, relevant, crossing)


def _shared_questions(sets: dict[str, QASet], max_questions: int | None) -> list[str]:
    """Question ids present, with an answer, in every language (XQuAD's are all), in file order."""
    first = next(iter(sets.values()))
    shared = [q for q in first.questions if all(q in s.questions and q in s.answers for s in sets.values())]
    if not shared:
        raise InputError("The XQuAD files share no answered question id; XQuAD-R needs parallel files.")
    for lang, s in sets.items():
        pid = {q: s.questions[q][1] for q in shared}
        other = {q: first.questions[q][1] for q in shared}
        if pid != other:
            bad = next(q for q in shared if pid[q] != other[q])
            raise InputError(
                f"XQuAD {lang}: question {bad!r} is in paragraph {pid[bad]}, in {first.code} in "
                f"{other[bad]}; the files are not parallel."
            )
    return shared[:max_questions] if max_questions else shared


@dataclass(frozen=True)
class Ranked:
    """What the ranking of the pool gave, one row per question."""

    top1: np.ndarray  # (nq,) index of the first-ranked candidate
    rel_ranks: np.ndarray  # (nq, n_langs) 1-based rank of each language's relevant sentence
    order: list[np.ndarray]  # per question, the candidates down to the last relevant one


def rank_pool(
    space, queries: np.ndarray, docs: np.ndarray, doc_langs: Sequence[str], relevant: np.ndarray
) -> Ranked:
    """Exact ranking of ``docs`` for every query, blockwise; ``relevant`` is ``(nq, k)`` candidate
    indices. Ties rank by candidate index. Scores pass through ``space.balance_scores``."""
    nq = len(queries)
    top1 = np.empty(nq, dtype=np.int64)
    rel_ranks = np.empty(relevant.shape, dtype=np.int64)
    order: list[np.ndarray] = []
    dl = list(doc_langs)
    for lo in range(0, nq, _BLOCK):
        q = queries[lo : lo + _BLOCK]
        scores = space.balance_scores(q @ docs.T, q, dl)
        rel = relevant[lo : lo + _BLOCK]
        for i in range(len(q)):
            s = scores[i]
            idx = np.argsort(-s, kind="stable")
            pos = np.empty_like(idx)
            pos[idx] = np.arange(len(idx))
            r = pos[rel[i]] + 1
            rel_ranks[lo + i] = r
            top1[lo + i] = idx[0]
            order.append(idx[: int(r.max())].astype(np.int32))  # a copy: the full order is let go
    return Ranked(top1, rel_ranks, order)


def ir_average_precision(
    pool: Pool, qids: Sequence[str], ranked: Ranked, rel_qids: Sequence[str]
) -> list[float]:
    """Per-question AP from ``ir_measures`` (trec_eval's ``map``) on the full ranking, down to each
    question's last relevant sentence (no sentence below it changes AP)."""
    import ir_measures

    ap = ir_measures.parse_measure("AP")
    out: list[float] = []
    step = 256
    for lo in range(0, len(qids), step):
        qrels, run = {}, {}
        for i in range(lo, min(lo + step, len(qids))):
            qrels[qids[i]] = {pool.ids[d]: 1 for d in pool.relevant[rel_qids[i]].values()}
            order = ranked.order[i]
            n = len(order)
            run[qids[i]] = {pool.ids[d]: float(n - j) for j, d in enumerate(order)}
        got = {m.query_id: m.value for m in ir_measures.iter_calc([ap], qrels, run)}
        out.extend(float(got.get(qids[i], 0.0)) for i in range(lo, min(lo + step, len(qids))))
    return out


@register_task(
    "lareqa",
    description="LAReQA on XQuAD-R: answer sentences from one pool of all languages; mAP, "
    "same-language top-1 share, rank of the first answer in another language.",
    default_data="xquad",
)
def lareqa(
    encoder,
    data: Path,
    *,
    languages=None,
    context: bool = False,
    max_questions: int | None = None,
) -> TaskResult:
    if max_questions is not None:
        check_int(max_questions, "max_questions", low=1)
    if not isinstance(context, bool):
        raise InputError(f"The 'context' parameter of lareqa must be true or false. Got {context!r} instead.")
    from ...neutral import Space

    space = Space.of(encoder)
    if languages is None:  # XQuAD-R's languages, those the folder holds (an error lists them if none)
        present = set(xquad_languages(data))
        languages = [c for c in LAREQA_LANGUAGES if c in present] or list(LAREQA_LANGUAGES)
    sets = read_xquad(data, languages)
    codes = list(sets)
    qids = _shared_questions(sets, max_questions)
    pool = build_pool(sets, qids)
    cand = [f"{t}\n{p}" for t, p in zip(pool.texts, pool.paragraphs)] if context else pool.texts
    docs = embed_texts(space, cand, "passage", desc="lareqa sentences", langs=pool.langs)
    q_lang = [c for c in codes for _ in qids]
    q_qid = [q for _ in codes for q in qids]
    q_texts = [sets[c].questions[q][0] for c, q in zip(q_lang, q_qid)]
    queries = embed_texts(space, q_texts, "query", desc="lareqa questions", langs=q_lang)
    rel = np.array([[pool.relevant[q][c] for c in codes] for q in q_qid], dtype=np.int64)
    ranked = rank_pool(space, queries, docs, pool.langs, rel)
    run_ids = [f"{c}:{q}" for c, q in zip(q_lang, q_qid)]
    ap = np.array(ir_average_precision(pool, run_ids, ranked, q_qid))
    doc_lang = np.array(pool.langs)
    ql = np.array(q_lang)
    top_lang = doc_lang[ranked.top1]
    same = top_lang == ql
    correct = (ranked.rel_ranks == 1).any(axis=1)
    other = np.array([[c != q for c in codes] for q in q_lang]) if len(codes) > 1 else None
    first_other = (
        np.where(other, ranked.rel_ranks, np.iinfo(np.int64).max).min(axis=1) if other is not None else None
    )
    per_language: dict[str, dict[str, float]] = {}
    for c in codes:
        m = ql == c
        row = {
            "mAP": 100 * float(ap[m].mean()),
            "same_lang_top1": 100 * float(same[m].mean()),
            "top1_correct": 100 * float(correct[m].mean()),
        }
        if first_other is not None:
            row["first_other_rank"] = float(first_other[m].mean())
        per_language[c] = row
    metrics = {
        "mAP": 100 * float(ap.mean()),
        "same_lang_top1": 100 * float(same.mean()),
        "same_lang_chance": 100 * float(np.mean([np.mean(doc_lang == c) for c in q_lang])),
        "top1_correct": 100 * float(correct.mean()),
    }
    if first_other is not None:
        metrics["first_other_rank"] = float(first_other.mean())
    metrics["n_languages"] = float(len(codes))
    hits = [[100 * float(np.mean(top_lang[ql == r] == c)) for c in codes] for r in codes]
    return TaskResult(
        task="lareqa",
        primary_metric="mAP",
        metrics=metrics,
        per_language=per_language,
        matrices={
            MATRIX: {
                "rows": codes,
                "cols": codes,
                "values": hits,
                "row_label": "question language",
                "col_label": "language of the top-1 sentence",
            }
        },
        details={
            "unit": "percent (first_other_rank: a rank, 1 = first)",
            "questions": len(qids),
            "queries": len(q_texts),
            "candidates": len(pool.ids),
            "candidates_by_language": {c: int(np.sum(doc_lang == c)) for c in codes},
            "answers_crossing_a_sentence_end": pool.crossing,
        },
        config={"languages": codes, "context": context, "max_questions": max_questions},
    )
