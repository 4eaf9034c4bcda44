"""Long documents: sentences packed to a token budget with overlap; documents returned with
their best passages, passage-first or coarse-to-fine."""

from __future__ import annotations

import pytest

from interlingua.search import search_documents
from interlingua.store import Collection, add_long_documents, split_passages

TEXT = (
    "Alpha one two three. Beta four five six. Gamma seven eight nine. "
    "Delta ten eleven twelve. Epsilon thirteen fourteen fifteen."
)


def test_sentences_are_packed_to_the_budget_with_overlap():
    ps = split_passages(TEXT, lang="en", budget=8, overlap=1)
    assert [p.text.split()[0] for p in ps] == ["Alpha", "Beta", "Gamma", "Delta"]
    assert ps[0].text == "Alpha one two three. Beta four five six."
    assert ps[1].text.startswith("Beta")  # the overlap sentence starts the next passage
    assert all(TEXT[p.start : p.end] == p.text for p in ps)
    assert [p.text for p in split_passages(TEXT, budget=100)] == [TEXT]
    no_overlap = split_passages(TEXT, budget=8, overlap=0)
    assert [p.text.split()[0] for p in no_overlap] == ["Alpha", "Gamma", "Epsilon"]


def test_a_sentence_longer_than_the_budget_is_its_own_passage():
    long = "word " * 50 + "end. Short one."
    ps = split_passages(long, budget=10, overlap=0)
    assert len(ps) == 2 and ps[1].text == "Short one."


def test_tokens_are_counted_with_the_encoder(e5):
    ps = split_passages(TEXT * 4, budget=40, count_tokens=lambda ts: e5.count_tokens(ts, role="passage"))
    assert len(ps) > 1
    assert all(sum(e5.count_tokens([s])[0] for s in [p.text]) <= 40 + 10 for p in ps)


DOCS = [
    {
        "id": "cats",
        "lang": "en",
        "text": "Cats are small carnivorous mammals. " * 3
        + "The domestic cat often sleeps sixteen hours a day on a warm windowsill. "
        + "Cats were domesticated in the Near East. " * 3,
    },
    {
        "id": "bank",
        "lang": "de",
        "text": "Die Zentralbank erhöhte die Zinsen. " * 3
        + "Die Inflation lag im Frühjahr bei fünf Prozent. " * 3,
    },
    {
        "id": "rail",
        "lang": "fr",
        "text": "Le train est arrivé en retard à Paris. " * 3
        + "La gare était pleine de voyageurs fatigués. " * 3,
    },
]


@pytest.fixture(scope="module")
def col(tmp_path_factory, e5):
    c = Collection.create(tmp_path_factory.mktemp("p") / "c", encoder=e5)
    assert add_long_documents(c, DOCS, budget=30, overlap=1) > 3
    yield c
    c.close()


@pytest.mark.parametrize("coarse", [False, True])
def test_documents_come_back_with_their_best_passage(col, coarse):
    hits = search_documents(
        col, "Wie lange schläft eine Hauskatze?", k=2, coarse=coarse, coarse_k=2, mode="dense"
    )
    assert hits[0].id == "cats" and hits[0].rank == 1
    best = hits[0].passages[0]
    assert "sixteen hours" in best.text and best.meta["doc_id"] == "cats" and best.meta["level"] == "passage"
    assert len({h.id for h in hits}) == len(hits)


def test_upsert_replaces_all_passages_and_the_collection_checks(col):
    n = len(col)
    add_long_documents(col, [{"id": "rail", "lang": "fr", "text": "Un seul court texte."}], upsert=True)
    assert [d.text for d in col.get(["rail#0"])] == ["Un seul court texte."]
    assert col.get(["rail#1"]) == []
    assert len(col) < n
    assert len(col.dense) == len(col.lexical) == len(col)
