"""What hybrid search's language scope costs: queries/s of ``lexical_scope=language`` (the
default: BM25 counts only for documents in the query's language) against ``lexical_scope=all``
(the old fusion, which reads no candidate's language), on the same collection and queries, in
one process, best of ``--repeats`` passes each. Query vectors are made once, before timing.

The collection: ``--per-lang`` Tatoeba sentences in each of German, French, Russian, Japanese
and English (a mixed pool); the queries: other English Tatoeba sentences.

    python benchmarks/hybrid_speed.py --data ../shared/data/tatoeba
"""

from __future__ import annotations

import os

os.environ["OMP_NUM_THREADS"] = "1"  # before numpy / faiss / onnxruntime load their thread pools

import argparse  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

LANGS = {"de": "deu", "fr": "fra", "ru": "rus", "ja": "jpn"}


def _lines(path: Path, start: int, n: int) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines()[start : start + n]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", type=Path, default=Path("../shared/data/tatoeba"))
    ap.add_argument("--per-lang", type=int, default=500)
    ap.add_argument("--queries", type=int, default=300)
    ap.add_argument("--repeats", type=int, default=5)
    args = ap.parse_args()

    from interlingua.search import Searcher, SearchOptions
    from interlingua.store import Collection, IndexSpec

    docs = []
    for lang, code in LANGS.items():
        texts = _lines(args.data / f"tatoeba.{code}-eng.{code}", 0, args.per_lang)
        docs += [{"id": f"{lang}{i}", "text": t, "lang": lang} for i, t in enumerate(texts)]
    english = _lines(args.data / "tatoeba.deu-eng.eng", 0, args.per_lang)
    docs += [{"id": f"en{i}", "text": t, "lang": "en"} for i, t in enumerate(english)]
    queries = _lines(args.data / "tatoeba.fra-eng.eng", args.per_lang, args.queries)
    with tempfile.TemporaryDirectory() as tmp:
        col = Collection.create(IndexSpec(uri=str(Path(tmp) / "col")))
        col.add(docs)
        searcher = Searcher(col)
        vectors = {q: searcher.encode_query(q, "en") for q in queries}
        best: dict[str, float] = {}
        for _ in range(args.repeats):
            for scope in ("all", "language"):
                options = SearchOptions(mode="hybrid", lexical_scope=scope)
                t = time.perf_counter()
                for q in queries:
                    searcher.search(q, options, query_vector=vectors[q], query_lang="en")
                best[scope] = min(best.get(scope, float("inf")), time.perf_counter() - t)
        col.close()
    print(f"{len(docs):,} documents in 5 languages, {len(queries)} English queries, hybrid, one thread")
    for scope, seconds in best.items():
        print(f"  lexical_scope={scope:9s} {len(queries) / seconds:7.0f} q/s (best of {args.repeats})")
    print(f"  language / all: {best['all'] / best['language']:.2f}x the throughput")


if __name__ == "__main__":
    main()
