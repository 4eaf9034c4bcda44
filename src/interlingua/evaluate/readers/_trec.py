"""Retrieval files in the trec_eval / BEIR formats, with ir_measures' field names.

- qrels: ``query_id 0 doc_id relevance`` (whitespace separated) or a BEIR ``qrels/*.tsv``
  with a header ``query-id<TAB>corpus-id<TAB>score``;
- run: ``query_id Q0 doc_id rank score tag``;
- BEIR folder: ``corpus.jsonl`` (``_id``, ``title``, ``text``, optional ``lang``),
  ``queries.jsonl`` (``_id``, ``text``, optional ``lang``) and ``qrels/<split>.tsv``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from ...errors import InputError
from ._common import layout_error, require_path

Qrels = dict[str, dict[str, int]]
Run = dict[str, dict[str, float]]
BEIR_EXPECTED = "corpus.jsonl, queries.jsonl and qrels/<split>.tsv (a BEIR-style folder)"


def read_qrels(path: str | Path) -> Qrels:
    p = require_path(path, "qrels", "a TREC qrels file (query_id 0 doc_id relevance)", folder=False)
    qrels: Qrels = {}
    for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), start=1):
        parts = line.split()
        if not parts or (n == 1 and parts[0] in ("query-id", "query_id", "qid")):
            continue
        if len(parts) == 3:  # BEIR tsv: query-id corpus-id score
            qid, did, rel = parts
        elif len(parts) == 4:
            qid, _, did, rel = parts
        else:
            raise InputError(
                f"expected 'query_id 0 doc_id relevance', got {len(parts)} fields", path=str(p), line=n
            )
        try:
            qrels.setdefault(qid, {})[did] = int(float(rel))
        except ValueError as exc:
            raise InputError(f"relevance {rel!r} is not a number", path=str(p), line=n) from exc
    return qrels


def read_run(path: str | Path) -> Run:
    p = require_path(path, "run", "a TREC run file (query_id Q0 doc_id rank score tag)", folder=False)
    run: Run = {}
    for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), start=1):
        parts = line.split()
        if not parts:
            continue
        if len(parts) != 6:
            raise InputError(
                f"expected 'query_id Q0 doc_id rank score tag', got {len(parts)} fields", path=str(p), line=n
            )
        try:
            run.setdefault(parts[0], {})[parts[2]] = float(parts[4])
        except ValueError as exc:
            raise InputError(f"score {parts[4]!r} is not a number", path=str(p), line=n) from exc
    return run


def write_run(run: Run, path: str | Path, tag: str = "interlingua") -> None:
    with Path(path).open("w", encoding="utf-8") as fh:
        for qid, docs in run.items():
            for rank, (did, score) in enumerate(sorted(docs.items(), key=lambda x: -x[1]), start=1):
                fh.write(f"{qid} Q0 {did} {rank} {score:.6f} {tag}\n")


@dataclass(frozen=True)
class BeirSet:
    corpus: dict[str, str]  # doc id -> "title text"
    queries: dict[str, str]
    qrels: Qrels
    doc_lang: dict[str, str]  # doc id -> language, when the corpus says
    query_lang: dict[str, str]


def read_beir(path: str | Path, split: str = "test") -> BeirSet:
    p = require_path(path, "BEIR", BEIR_EXPECTED)
    files = (p / "corpus.jsonl", p / "queries.jsonl", p / "qrels" / f"{split}.tsv")
    missing = [str(f.relative_to(p)) for f in files if not f.is_file()]
    if missing:
        raise layout_error(p, "BEIR", f"{BEIR_EXPECTED}; missing {', '.join(missing)}")
    corpus, doc_lang = _jsonl(files[0], with_title=True)
    queries, query_lang = _jsonl(files[1], with_title=False)
    return BeirSet(corpus, queries, read_qrels(files[2]), doc_lang, query_lang)


def _jsonl(file: Path, *, with_title: bool) -> tuple[dict[str, str], dict[str, str]]:
    texts, langs = {}, {}
    for n, line in enumerate(file.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            rec = json.loads(line)
            rid, text = str(rec["_id"]), rec["text"]
        except (json.JSONDecodeError, KeyError, TypeError) as exc:
            raise InputError(
                f"expected a JSON object with '_id' and 'text': {exc}", path=str(file), line=n
            ) from exc
        title = rec.get("title") or "" if with_title else ""
        texts[rid] = f"{title} {text}".strip() if title else text
        lang = rec.get("lang") or rec.get("language")
        if lang:
            langs[rid] = str(lang)
    return texts, langs
