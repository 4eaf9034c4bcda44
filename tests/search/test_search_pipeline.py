"""The query pipeline with the real e5-small model: a query in one language finds documents in
others; filters, modes, fusion, rerank and the detected query language; bad queries refused."""

from __future__ import annotations

import pytest

from interlingua.errors import InputError
from interlingua.search import Searcher, search, search_options
from interlingua.store import Collection

CATS = {  # the same sentence in five languages
    "cat-en": "The cat sleeps on the warm windowsill.",
    "cat-de": "Die Katze schläft auf der warmen Fensterbank.",
    "cat-zh": "猫在温暖的窗台上睡觉。",
    "cat-ru": "Кошка спит на тёплом подоконнике.",
    "cat-th": "แมวนอนหลับอยู่บนขอบหน้าต่างที่อบอุ่น",
}
OTHER = {
    "bank-en": "The central bank raised interest rates again this spring.",
    "bank-de": "Die Zentralbank hat die Zinsen in diesem Frühjahr erneut erhöht.",
    "rain-fr": "Il a plu toute la journée sur la côte bretonne.",
    "train-ja": "東京行きの電車は十分遅れて到着した。",
    "code-en": "Compile the program with optimisations turned on.",
}
LANGS = {"en": "en", "de": "de", "zh": "zh", "ru": "ru", "th": "th", "fr": "fr", "ja": "ja"}


@pytest.fixture(scope="module")
def col(tmp_path_factory, e5):
    path = tmp_path_factory.mktemp("s") / "c"
    c = Collection.create(path, encoder=e5)
    docs = [
        {"id": i, "text": t, "lang": LANGS[i.split("-")[1]], "meta": {"topic": i.split("-")[0], "n": n}}
        for n, (i, t) in enumerate({**CATS, **OTHER}.items())
    ]
    c.add(docs)
    yield c
    c.close()


def ids(result):
    return [h.id for h in result.hits]


def test_dense_finds_the_translations_of_a_query_in_another_language(col):
    r = search(col, "Un gato duerme junto a la ventana.", mode="dense", k=5)
    assert set(ids(r)) == set(CATS)
    assert r.query_lang == "es" and r.query_lang_score > 0.5
    assert all(h.retrievers == ("dense",) and 0 < h.scores["dense"] <= 1 for h in r.hits)
    assert [h.rank for h in r.hits] == [1, 2, 3, 4, 5]


def test_lexical_finds_shared_words_in_cjk_and_latin(col):
    assert ids(search(col, "東京の電車", mode="lexical", k=1)) == ["train-ja"]
    assert ids(search(col, "Zentralbank Zinsen", mode="lexical", k=1)) == ["bank-de"]
    r = search(col, "窗台", mode="lexical", k=3)
    assert ids(r)[0] == "cat-zh" and r.hits[0].scores["lexical"] > 0
    assert search(col, "zzzz qqqq", mode="lexical").hits == []


def test_hybrid_reports_which_retriever_found_each_hit(col):
    r = search(col, "Zinsen der Zentralbank", k=3, fusion="rrf")
    assert r.mode == "hybrid" and r.fusion == "rrf"
    top = r.hits[0]
    assert top.id == "bank-de" and top.retrievers == ("dense", "lexical")
    assert top.score == pytest.approx(1 / 61 + 1 / 61)
    w = search(col, "Zinsen der Zentralbank", k=3, fusion="weighted", weights=[0.5, 0.5])
    assert w.hits[0].id == "bank-de" and w.hits[0].score == pytest.approx(1.0)


def test_language_and_metadata_filters(col):
    r = search(col, "cat on a windowsill", mode="dense", k=10, lang="de,ru")
    assert set(ids(r)) == {"cat-de", "cat-ru", "bank-de"}
    r = search(col, "cat on a windowsill", mode="dense", k=10, lang="-en", filters={"topic": "cat"})
    assert set(ids(r)) == {"cat-de", "cat-zh", "cat-ru", "cat-th"}
    r = search(col, "cat", k=10, filters=["n>=5", "topic!=code"])
    assert set(ids(r)) == {"bank-en", "bank-de", "rain-fr", "train-ja"}
    with pytest.raises(InputError, match="Unknown filter field 'colour'.*n, topic"):
        search(col, "cat", filters=["colour=red"])


def test_rerank_scores_by_maxsim_and_keeps_the_candidates(col):
    s = Searcher(col)
    plain = s.search("Where does the cat sleep?", k=10, mode="dense")
    rr = s.search("Where does the cat sleep?", k=10, mode="dense", rerank=True, rerank_depth=10)
    assert rr.reranked and set(ids(rr)) == set(ids(plain))
    assert all("rerank" in h.scores for h in rr.hits)
    assert [h.scores["rerank"] for h in rr.hits] == sorted(
        (h.scores["rerank"] for h in rr.hits), reverse=True
    )
    assert rr.hits[0].id.startswith("cat-")


@pytest.mark.parametrize(
    "query,match",
    [
        ("", "The query is empty"),
        ("   \n", "The query is empty"),
        ("x" * 100_000, "The query has 100,000 characters; the limit is 10,000"),
        (None, "The query must be a string"),
    ],
)
def test_bad_queries_get_a_clear_message(col, query, match):
    with pytest.raises(InputError, match=match):
        search(col, query)


def test_bad_options_get_a_clear_message(col):
    with pytest.raises(InputError, match=r"'mode' parameter of search\(\) must be one of"):
        search(col, "cat", mode="semantic")
    with pytest.raises(InputError, match=r"'k' parameter of search\(\) must be an int in"):
        search(col, "cat", k=0)
    with pytest.raises(InputError, match="'weights' parameter of search.. must be None or a list of 2 items"):
        search(col, "cat", fusion="weighted", weights=[1.0])
    assert len(col) == 10


def test_checked_options_are_reused_and_bad_ones_never_cached():
    """search_options caches the checked spec (checking cost more than a dense search): the same
    options give the same frozen spec, other values another, and a bad value fails every time."""
    a, _ = search_options(None, k=5, lang=["de", "fr"], mode="dense")
    b, _ = search_options(None, mode="dense", lang=("de", "fr"), k=5)
    assert a is b and (a.k, a.lang, a.mode) == (5, ("de", "fr"), "dense")
    c, _ = search_options(a, k=7)
    assert c.k == 7 and c.lang == ("de", "fr") and a.k == 5
    for _ in range(2):
        with pytest.raises(InputError, match=r"'k' parameter of search\(\) must be an int in"):
            search_options(None, k=0)
    assert search_options(None, filters={"topic": "cat"})[1]  # conditions stay outside the spec


def test_hybrid_defaults_to_weighted_fusion(col):
    r = search(col, "Zinsen der Zentralbank", k=3)
    assert r.fusion.startswith("weighted") and r.hits[0].id == "bank-de"
