"""``interlingua index ...`` and ``interlingua search``: thin faces with one-line errors."""

from __future__ import annotations

import json
import shutil

import pytest

from interlingua.store import Collection


@pytest.fixture
def corpus(tmp_path):
    rows = [
        {"id": "a", "text": "The cat sleeps on the warm windowsill.", "topic": "pets", "year": 2020},
        {"id": "b", "text": "Die Katze schläft auf der warmen Fensterbank.", "topic": "pets", "year": 2021},
        {"id": "c", "text": "股市今天大幅下跌。", "topic": "money", "year": 2022},
    ]
    p = tmp_path / "docs.jsonl"
    p.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return p


@pytest.fixture(scope="module")
def built(tmp_path_factory, e5):
    """A collection of the same three documents, built once and copied by each test."""
    c = tmp_path_factory.mktemp("built") / "coll"
    with Collection.create(c, encoder=e5) as col:
        col.add(
            [
                {"id": "a", "text": "The cat sleeps on the warm windowsill."},
                {"id": "b", "text": "Die Katze."},
                {"id": "c", "text": "股市今天大幅下跌。"},
            ]
        )
    return c


def test_create_add_search_info_check_delete(cli, tmp_path, corpus):
    c = tmp_path / "coll"
    assert cli("index", "create", c)[0] == 0
    code, out, _ = cli("index", "add", c, corpus, "--id-field", "id", "--json")
    report = json.loads(out)
    assert code == 0 and (report["added"], report["documents"]) == (3, 3)
    code, out, _ = cli("search", c, "Katze", "--json", "-k", "2")
    res = json.loads(out)
    assert code == 0 and res["query_lang"] == "de" and res["hits"][0]["id"] == "b"
    assert res["hits"][0]["retrievers"] == ["dense", "lexical"] and "dense" in res["hits"][0]["scores"]
    code, out, _ = cli("search", c, "cat", "--mode", "dense", "--lang", "-en", "--filter", "year<=2021")
    assert code == 0 and "\tDie Katze" in out and "The cat" not in out and "query language: en" in out
    code, out, _ = cli("search", c, "cat", "--rerank", "--json")
    assert code == 0 and json.loads(out)["reranked"] is True
    code, out, _ = cli("index", "info", c, "--json")
    info = json.loads(out)
    assert info["documents"] == 3 and info["metadata_fields"] == ["topic", "year"]
    assert cli("index", "check", c)[1].strip().endswith("3 documents: ok")
    code, out, _ = cli("index", "delete", c, "a", "zz", "--json")
    assert json.loads(out) == {"deleted": 1, "not_found": 1, "documents": 2}
    assert cli("index", "check", c, "--rebuild", "--json")[0] == 0


@pytest.mark.parametrize(
    "argv,fragment",
    [
        (["search", "{c}", ""], "The query is empty"),
        (["search", "{c}", "x" * 100_000], "the limit is 10,000"),
        (["search", "{c}", "cat", "--filter", "colour=red"], "Unknown filter field 'colour'"),
        (["search", "{c}", "cat", "--mode", "fuzzy"], "'search.mode' parameter of search must be one of"),
        (["search", "{missing}", "cat"], "No collection at"),
        (["index", "add", "{c}", "{corpus}", "--id-field", "id"], "'a' is already in the collection"),
        (["index", "add", "{c}", "{empty}", "--id-field", "id"], "has no text"),
        (["index", "create", "{c}"], "already holds a collection"),
    ],
)
def test_bad_input_is_one_line_and_harms_nothing(cli, tmp_path, corpus, built, argv, fragment):
    c = tmp_path / "coll"
    shutil.copytree(built, c)
    empty = tmp_path / "empty.jsonl"
    empty.write_text('{"id": "e", "text": ""}\n', encoding="utf-8")
    fill = {"c": c, "missing": tmp_path / "nope", "corpus": corpus, "empty": empty}
    code, out, err = cli(*[a.format(**fill) for a in argv])
    assert code != 0 and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1 and fragment in err
    with Collection.open(c, readonly=True) as col:
        assert len(col) == 3


def test_a_second_writer_is_told_the_collection_is_locked(cli, tmp_path, corpus):
    c = tmp_path / "coll"
    Collection.create(c, encoder="e5-small").close()
    with Collection.open(c):
        code, _, err = cli("index", "add", c, corpus, "--id-field", "id")
    assert code == 4 and "locked by another writer" in err


def test_long_documents_through_the_cli(cli, tmp_path):
    docs = tmp_path / "long.jsonl"
    rows = [
        {
            "id": "cats",
            "text": "Cats are small mammals. " * 6
            + "A house cat sleeps sixteen hours a day. "
            + "Cats were domesticated long ago. " * 6,
        },
        {"id": "bank", "text": "Die Zentralbank erhöhte die Zinsen erneut. " * 10},
    ]
    docs.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    c = tmp_path / "coll"
    Collection.create(c, encoder="e5-small").close()
    code, out, err = cli(
        "index", "add", c, docs, "--id-field", "id", "--passages", "--budget", "24", "--json"
    )
    assert code == 0, err
    assert json.loads(out)["added"] == 2 and json.loads(out)["passages"] > 2
    code, out, _ = cli(
        "search", c, "How long does a cat sleep?", "--documents", "--coarse", "-k", "1", "--json"
    )
    hit = json.loads(out)["documents"][0]
    assert code == 0 and hit["id"] == "cats" and "sixteen hours" in hit["passages"][0]["text"]
    assert cli("index", "check", c)[0] == 0
