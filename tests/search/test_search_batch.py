"""A batch of queries reads its filters' keys once; documents mode takes the whole SearchOptions;
a coarse search encodes its query once; an upsert learns the keys it replaced from the catalog."""

from __future__ import annotations

import json

import numpy as np
import pytest

from interlingua.errors import InputError
from interlingua.search import SearchJob, SearchOptions, run, search, search_documents
from interlingua.store import Collection, Document, add_long_documents
from interlingua.store._catalog import Catalog

DOCS = [
    {
        "id": "cat-en",
        "text": "The cat sleeps on the warm windowsill.",
        "lang": "en",
        "meta": {"topic": "cat"},
    },
    {
        "id": "cat-de",
        "text": "Die Katze schläft auf der warmen Fensterbank.",
        "lang": "de",
        "meta": {"topic": "cat"},
    },
    {
        "id": "bank-en",
        "text": "The central bank raised interest rates.",
        "lang": "en",
        "meta": {"topic": "bank"},
    },
    {
        "id": "bank-de",
        "text": "Die Zentralbank hat die Zinsen erhöht.",
        "lang": "de",
        "meta": {"topic": "bank"},
    },
]
QUERIES = [("q1", "Where does the cat sleep?"), ("q2", "Zinsen der Zentralbank"), ("q3", "warm window")]


@pytest.fixture(scope="module")
def folder(tmp_path_factory, e5):
    path = tmp_path_factory.mktemp("b") / "c"
    with Collection.create(path, encoder=e5) as c:
        c.add(DOCS)
    return path


def _queries(tmp_path, rows):
    p = tmp_path / "q.jsonl"
    p.write_text("".join(json.dumps({"id": i, "text": t}) + "\n" for i, t in rows), encoding="utf-8")
    return str(p)


def test_a_batch_reads_the_keys_its_filters_allow_once(folder, tmp_path, monkeypatch):
    options = SearchOptions(k=3, lang=("en", "de"), filters=("topic=cat",))
    calls = []
    real = Catalog.select_keys

    def counted(self, **kw):
        calls.append(kw)
        return real(self, **kw)

    monkeypatch.setattr(Catalog, "select_keys", counted)
    report = run(SearchJob(collection=str(folder), queries=_queries(tmp_path, QUERIES), search=options))
    assert len(calls) == 1 and report.queries == 3
    with Collection.open(folder, readonly=True) as col:
        for (qid, text), r in zip(QUERIES, report.results):
            assert r.query_id == qid
            assert r.result.hits == search(col, text, options).hits
            assert {h.id for h in r.result.hits} <= {"cat-en", "cat-de"}


def test_a_bad_filter_of_a_batch_names_the_first_query(folder, tmp_path):
    job = SearchJob(
        collection=str(folder), queries=_queries(tmp_path, QUERIES), search=SearchOptions(filters=("nope=1",))
    )
    with pytest.raises(InputError, match=r"q\.jsonl: query 'q1': Unknown filter field 'nope'"):
        run(job)


def test_documents_mode_keeps_the_query_limit(folder):
    job = SearchJob(
        collection=str(folder), query="x" * 50, search=SearchOptions(documents=True, max_query_chars=10)
    )
    with pytest.raises(InputError, match="The query has 50 characters; the limit is 10"):
        run(job)


LONG = [
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
]


@pytest.mark.parametrize("mode", ["dense", "hybrid", "lexical"])
def test_a_coarse_search_encodes_its_query_once(tmp_path, e5, monkeypatch, mode):
    with Collection.create(tmp_path / "c", encoder=e5) as col:
        add_long_documents(col, LONG, budget=30, overlap=1)
        plain = search_documents(col, "How long does a cat sleep?", k=2, mode=mode)
        calls = []
        real = col.space.encode

        def counted(texts, **kw):
            calls.append(kw.get("role"))
            return real(texts, **kw)

        monkeypatch.setattr(col.space, "encode", counted)
        hits = search_documents(
            col, "How long does a cat sleep?", SearchOptions(k=2, coarse=True, coarse_k=2, mode=mode)
        )
    assert calls == ([] if mode == "lexical" else ["query"])
    assert hits[0].id == plain[0].id == "cats"
    assert "sixteen hours" in hits[0].passages[0].text


def test_options_and_keywords_of_search_documents_agree(tmp_path, e5):
    with Collection.create(tmp_path / "c", encoder=e5) as col:
        add_long_documents(col, LONG, budget=30, overlap=1)
        kw = search_documents(col, "Zinsen", k=1, mode="lexical", passages_per_doc=1, lang=["de"])
        spec = search_documents(
            col, "Zinsen", SearchOptions(k=1, mode="lexical", passages_per_doc=1, lang=("de",))
        )
    assert [d.id for d in kw] == [d.id for d in spec] == ["bank"]
    assert kw == spec and len(kw[0].passages) == 1


def test_an_upsert_learns_the_replaced_keys_from_the_same_transaction(tmp_path):
    cat = Catalog(tmp_path, 2, create=True)
    try:
        v = np.eye(2, dtype=np.float32)
        keys, replaced = cat.add([Document("a", "x", "en"), Document("b", "y", "en")], v, upsert=False)
        assert replaced == []
        new, replaced = cat.add([Document("b", "z", "en"), Document("c", "w", "en")], v, upsert=True)
        assert replaced == [keys[1]] and len(new) == 2 and cat.keys_of(["b"]) == {"b": new[0]}
    finally:
        cat.close()
