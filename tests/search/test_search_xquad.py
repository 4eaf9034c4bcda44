"""The XQuAD task on a tiny SQuAD-format fixture in three languages, with the real e5-small:
every setting and method is measured, and the numbers behave (a perfect same-language hit,
BM25 helpless across scripts)."""

from __future__ import annotations

import json

import pytest

from interlingua.evaluate import get_task
from interlingua.evaluate._embed import embedding_settings

PARAS = {
    "en": [
        ("The Eiffel Tower was finished in 1889 in Paris.", "When was the Eiffel Tower finished?"),
        (
            "Photosynthesis turns light into chemical energy in plants.",
            "What does photosynthesis turn light into?",
        ),
        ("The Nile is the longest river in Africa.", "Which is the longest river in Africa?"),
    ],
    "de": [
        ("Der Eiffelturm wurde 1889 in Paris fertiggestellt.", "Wann wurde der Eiffelturm fertiggestellt?"),
        (
            "Die Photosynthese wandelt Licht in chemische Energie in Pflanzen um.",
            "Was macht die Photosynthese aus Licht?",
        ),
        ("Der Nil ist der längste Fluss Afrikas.", "Welcher ist der längste Fluss Afrikas?"),
    ],
    "zh": [
        ("埃菲尔铁塔于1889年在巴黎建成。", "埃菲尔铁塔是什么时候建成的？"),
        ("光合作用在植物中把光转化为化学能。", "光合作用把光转化为什么？"),
        ("尼罗河是非洲最长的河流。", "非洲最长的河流是哪条？"),
    ],
}


@pytest.fixture
def xquad_dir(tmp_path):
    for lang, items in PARAS.items():
        data = {
            "data": [
                {
                    "title": "t",
                    "paragraphs": [
                        {"context": ctx, "qas": [{"id": f"q{j}", "question": q, "answers": []}]}
                        for j, (ctx, q) in enumerate(items)
                    ],
                }
            ]
        }
        (tmp_path / f"xquad.{lang}.json").write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return tmp_path


def test_xquad_task_measures_every_setting_and_method(xquad_dir, e5):
    with embedding_settings(cache=False):
        res = get_task("xquad").run(e5, xquad_dir, top_k=10, rerank_depth=3)
    m = res.metrics
    for s in "abc":
        for method in ("dense", "bm25", "hybrid", "hybrid+rerank"):
            for name in ("MRR@10", "nDCG@10", "R@10", "R@100"):
                assert 0.0 <= m[f"{s}/{method}/{name}"] <= 100.0
    assert m["a/dense/MRR@10"] == pytest.approx(100.0)
    assert m["b/dense/R@10"] == pytest.approx(100.0)  # 3 English paragraphs: all within the top 10
    assert m["b/dense/MRR@10"] > m["b/bm25/MRR@10"]  # Chinese questions share no words with English
    assert res.per_language["zh"]["b/bm25/MRR@10"] == 0.0
    assert res.primary_metric == "a/hybrid/nDCG@10"
    assert "| (c) pool | hybrid+rerank |" in res.details["table"]
    assert res.config["fusion"] == "weighted (0.5, 0.5)"


def test_xquad_task_refuses_unknown_settings(xquad_dir, e5):
    from interlingua.errors import InputError

    with pytest.raises(InputError, match="Unknown XQuAD setting 'd'"):
        get_task("xquad").run(e5, xquad_dir, settings=["d"])


def test_xquad_hybrid_counts_bm25_only_in_the_question_language(xquad_dir, e5):
    with embedding_settings(cache=False):
        res = get_task("xquad").run(e5, xquad_dir, top_k=10, methods=("dense", "bm25", "hybrid"))
        old = get_task("xquad").run(
            e5, xquad_dir, top_k=10, methods=("dense", "bm25", "hybrid"), lexical_scope="all"
        )
        half = get_task("xquad").run(e5, xquad_dir, top_k=10, methods=("dense",), paragraphs="second-half")
    per, old_per = res.per_language, old.per_language
    # German and Chinese questions against English paragraphs: BM25 never counts, hybrid is dense
    for q in ("de", "zh"):
        assert per[q]["b/hybrid/MRR@10"] == per[q]["b/dense/MRR@10"]
    assert per["en"]["b/hybrid/MRR@10"] == old_per["en"]["b/hybrid/MRR@10"]  # English: all in scope
    assert res.metrics["a/hybrid/MRR@10"] == old.metrics["a/hybrid/MRR@10"]  # one language: all in scope
    assert res.config["lexical_scope"] == "language" and old.config["lexical_scope"] == "all"
    assert set(res.details["query_language_detected"]) == {"de", "en", "zh"}
    assert (
        half.details["queries"] == {"de": 1, "en": 1, "zh": 1} and half.config["paragraphs"] == "second-half"
    )


def test_xquad_task_refuses_unknown_scopes_and_halves(xquad_dir, e5):
    from interlingua.errors import InputError

    with pytest.raises(InputError, match="'lexical_scope' parameter of xquad must be one of"):
        get_task("xquad").run(e5, xquad_dir, lexical_scope="english")
    with pytest.raises(InputError, match="Unknown XQuAD paragraphs 'third'"):
        get_task("xquad").run(e5, xquad_dir, paragraphs="third")
