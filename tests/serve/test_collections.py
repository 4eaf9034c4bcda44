"""``/collections/...`` over the demo collection (160 passages, 16 languages, real e5 vectors):
cross-lingual search and its filters, the JSON errors, a collection's whole life over HTTP
(create, add JSON and files, get, delete, check, delete the collection), and collections
written by another process (the CLI) while the server runs."""

from __future__ import annotations

import json
import subprocess

import pytest
from tests.helpers import console_script

GERMAN = "Wie backe ich zu Hause Brot?"


def _search(client, body, name="demo"):
    r = client.post(f"/collections/{name}/search", json=body)
    assert r.status_code == 200, r.text
    return r.json()


def _error(r, status: int, field: str | None = None) -> dict:
    assert r.status_code == status, r.text
    body = r.json()
    assert set(body) == {"error", "message", "field"}, body
    assert "Traceback" not in body["message"]
    if field is not None:
        assert body["field"] == field, body
    return body


# -- search -----------------------------------------------------------------------------------
@pytest.mark.parametrize("mode", ["hybrid", "dense"])
def test_a_german_query_finds_the_chinese_and_thai_cooking_passages(client, mode):
    out = _search(client, {"query": GERMAN, "k": 16, "mode": mode})
    ids = [h["id"] for h in out["hits"]]
    assert {"cooking-zh", "cooking-th", "cooking-de"} <= set(ids), ids
    assert all(h["meta"]["group"] == "cooking" for h in out["hits"]), ids  # the 16 cooking passages first
    assert ids[0] == "cooking-de"
    assert (out["query_lang"], out["query_script"], out["mode"], out["rerank"]) == ("de", "Latn", mode, False)
    assert out["fusion"] == ("weighted" if mode == "hybrid" else None)
    assert out["took_ms"] > 0 and 0 < out["query_lang_score"] <= 1
    by_id = {h["id"]: h for h in out["hits"]}
    assert (by_id["cooking-zh"]["lang"], by_id["cooking-zh"]["script"]) == ("zh", "Hans")
    assert (by_id["cooking-th"]["lang"], by_id["cooking-th"]["script"]) == ("th", "Thai")
    for rank, h in enumerate(out["hits"], start=1):
        assert h["rank"] == rank
        assert set(h) == {"rank", "id", "score", "text", "lang", "script", "meta", "found", "scores"}
        assert "dense" in h["found"] and 0 < h["scores"]["dense"] <= 1
    if mode == "hybrid":  # BM25 counts in German only: the German passage shares words, the others none
        assert by_id["cooking-de"]["found"] == ["dense", "lexical"]
        assert by_id["cooking-de"]["scores"]["lexical_weight"] == 0.5
        assert by_id["cooking-zh"]["scores"]["lexical_weight"] == 0.0


def test_language_chips_keep_only_those_languages(client):
    out = _search(client, {"query": GERMAN, "k": 8, "lang": ["zh", "th"]})
    assert {h["lang"] for h in out["hits"]} == {"zh", "th"}
    assert {h["id"] for h in out["hits"][:2]} == {"cooking-zh", "cooking-th"}
    assert {h["script"] for h in out["hits"]} == {"Hans", "Thai"}
    out = _search(client, {"query": GERMAN, "k": 20, "exclude_lang": ["de", "en"], "mode": "dense"})
    assert not {h["lang"] for h in out["hits"]} & {"de", "en"}


def test_a_metadata_filter_keeps_only_matching_documents(client):
    out = _search(client, {"query": GERMAN, "k": 50, "filters": ["group=music"]})
    assert len(out["hits"]) == 16 and {h["meta"]["group"] for h in out["hits"]} == {"music"}
    out = _search(client, {"query": GERMAN, "k": 50, "filters": ["group=music|trains"], "lang": ["ja"]})
    assert sorted(h["id"] for h in out["hits"]) == ["music-ja", "trains-ja"]


def test_rerank_and_a_given_query_language(client):
    out = _search(client, {"query": GERMAN, "k": 5, "rerank": True, "query_lang": "deu"})
    assert out["rerank"] is True and out["query_lang"] == "de" and out["query_lang_score"] == 1.0
    assert all("rerank" in h["scores"] for h in out["hits"])
    assert [h["score"] for h in out["hits"]] == sorted((h["score"] for h in out["hits"]), reverse=True)


def test_batch_search_answers_each_query_with_its_id(client):
    r = client.post(
        "/collections/demo/search/batch",
        json={"queries": [GERMAN, {"id": "q-ja", "text": "電車は何時に出発しますか", "lang": "ja"}], "k": 3},
    )
    assert r.status_code == 200, r.text
    results = r.json()["results"]
    assert [x["id"] for x in results] == ["0", "q-ja"]
    assert results[0]["hits"][0]["id"] == "cooking-de"
    assert results[1]["query_lang"] == "ja" and results[1]["query_script"] == "Jpan"
    assert all(h["meta"]["group"] == "trains" for h in results[1]["hits"])
    assert results[0]["hits"] == _search(client, {"query": GERMAN, "k": 3})["hits"]


def test_an_unknown_collection_is_a_404_naming_it(client):
    for r in (
        client.post("/collections/nope/search", json={"query": "x"}),
        client.get("/collections/nope"),
        client.get("/collections/nope/documents/a"),
        client.post("/collections/nope/documents", json={"documents": [{"text": "x"}]}),
        client.delete("/collections/nope"),
    ):
        assert "'nope'" in _error(r, 404)["message"]
    _error(client.get("/collections/..%2F..%2Fetc"), 404)


def test_bad_options_are_422_naming_the_dotted_field(client):
    cases = [
        ({"query": GERMAN, "k": 0}, "k"),
        ({"query": GERMAN, "mode": "fuzzy"}, "mode"),
        ({"query": GERMAN, "fusion": "bogus"}, "fusion"),
        ({"query": GERMAN, "weights": [1.0]}, "weights"),
        ({"query": GERMAN, "colour": "red"}, "colour"),
        ({"query": GERMAN, "filters": ["nofield=1"]}, "filters"),
        ({"query": GERMAN, "lang": ["not a language"]}, "lang"),
        ({"query": GERMAN, "query_lang": "qqq-zz-1"}, "query_lang"),
        ({"query": "   "}, "query"),
        ({"k": 3}, "query"),
    ]
    for body, field in cases:
        _error(client.post("/collections/demo/search", json=body), 422, field)
    r = client.post("/collections/demo/search/batch", json={"queries": ["ok", ""]})
    _error(r, 422, "queries[1]")


def test_limits_answer_413_naming_the_setting(make_client, library):
    c = make_client(collections=(str(library),), max_batch=2, max_input_chars=50)
    r = c.post("/collections/demo/search/batch", json={"queries": ["a", "b", "c"]})
    assert "max_batch" in _error(r, 413)["message"]
    docs = [{"id": str(i), "text": "x"} for i in range(3)]
    assert (
        "max_batch" in _error(c.post("/collections/demo/documents", json={"documents": docs}), 413)["message"]
    )
    r = c.post("/collections/demo/search", json={"query": "x" * 51})
    assert "max_input_chars" in _error(r, 413, "query")["message"]


# -- a collection's life over HTTP ------------------------------------------------------------
DOCS = [
    {"id": "n1", "text": "Der Zug nach Berlin fährt um acht Uhr ab.", "lang": "de", "meta": {"year": 2021}},
    {"id": "n2", "text": "火车八点出发去上海。", "meta": {"year": 2019}},
    {"id": "n3", "text": "รถไฟไปเชียงใหม่ออกตอนแปดโมงเช้า", "lang": "th", "meta": {"year": 2023}},
    {"text": "Photosynthesis turns sunlight into chemical energy.", "meta": {"year": 2020}},
]


@pytest.fixture
def empty(make_client, tmp_path):
    folder = tmp_path / "cols"
    folder.mkdir()
    return make_client(collections=(str(folder),)), folder


def test_create_add_search_get_delete_and_check(empty):
    c, folder = empty
    r = c.post("/collections", json={"name": "notes", "dense": {"factory": "Flat"}})
    assert r.status_code == 201, r.text
    assert r.json()["name"] == "notes" and r.json()["documents"] == 0
    assert (folder / "notes" / "manifest.json").is_file()
    assert [x["name"] for x in c.get("/collections").json()["collections"]] == ["notes"]
    _error(c.post("/collections", json={"name": "notes"}), 409, "name")

    r = c.post("/collections/notes/documents", json={"documents": DOCS})
    assert r.status_code == 200, r.text
    assert (r.json()["added"], r.json()["documents"], r.json()["collection"]) == (4, 4, "notes")
    listed = c.get("/collections").json()["collections"][0]
    assert listed["documents"] == 4 and listed["languages"]["zh"] == 1 and listed["model"] == "e5-small"

    out = _search(c, {"query": "Wann fährt der Zug?", "k": 3, "mode": "dense"}, "notes")
    assert {h["id"] for h in out["hits"]} == {"n1", "n2", "n3"}
    out = _search(c, {"query": "train", "k": 4, "filters": ["year>=2021"]}, "notes")
    assert {h["id"] for h in out["hits"]} == {"n1", "n3"}

    doc = c.get("/collections/notes/documents/n2").json()
    assert doc == {"id": "n2", "text": DOCS[1]["text"], "lang": "zh", "meta": {"year": 2019}}  # detected
    hashed = [h for h in _search(c, {"query": "sunlight energy", "k": 1}, "notes")["hits"]][0]
    assert hashed["id"].startswith("sha1:") and hashed["lang"] == "en"

    r = c.request("DELETE", "/collections/notes/documents", json={"ids": ["n2", "missing"]})
    assert r.json() == {"deleted": 1, "not_found": 1, "documents": 3}
    _error(c.get("/collections/notes/documents/n2"), 404, "id")
    assert c.post("/collections/notes/documents/delete", json={"ids": ["n3"]}).json()["deleted"] == 1
    report = c.post("/collections/notes/check").json()
    assert (report["ok"], report["documents"], report["problems"]) == (True, 2, [])
    info = c.get("/collections/notes").json()
    assert (info["documents"], info["dense_vectors"], info["lexical_documents"]) == (2, 2, 2)


def test_a_duplicate_id_is_409_and_upsert_replaces(empty):
    c, _ = empty
    assert c.post("/collections", json={"name": "d"}).status_code == 201
    assert c.post("/collections/d/documents", json={"documents": DOCS[:1]}).status_code == 200
    body = _error(c.post("/collections/d/documents", json={"documents": DOCS[:1]}), 409)
    assert "'n1'" in body["message"]
    changed = [{**DOCS[0], "text": "Der Bus fährt um neun."}]
    r = c.post("/collections/d/documents", json={"documents": changed, "upsert": True})
    assert r.json()["documents"] == 1
    assert c.get("/collections/d/documents/n1").json()["text"] == "Der Bus fährt um neun."
    r = c.post("/collections/d/documents", json={"documents": DOCS[:2], "skip_existing": True})
    assert (r.json()["added"], r.json()["skipped"]) == (1, 1)
    both = {"documents": DOCS[:1], "upsert": True, "skip_existing": True}
    _error(c.post("/collections/d/documents", json=both), 422, "skip_existing")


def test_upload_a_tsv_and_a_jsonl_file(empty):
    c, _ = empty
    assert c.post("/collections", json={"name": "files"}).status_code == 201
    tsv = "text\tlang\ttopic\nEl tren sale a las ocho.\tes\ttrains\nLe pain cuit au four.\tfr\tfood\n"
    r = c.post(
        "/collections/files/documents",
        files={"file": ("notes.tsv", tsv.encode(), "text/tab-separated-values")},
    )
    assert r.status_code == 200, r.text
    assert (r.json()["added"], r.json()["file"]) == (2, "notes.tsv")
    assert c.get("/collections/files/documents/notes:2").json()["meta"] == {
        "topic": "trains"
    }  # as the CLI names them
    lines = [
        {"id": "j1", "text": "電車は八時に出発します。", "language": "ja", "year": 2024},
        {"id": "j2", "text": "Поезд отправляется в восемь.", "year": 2018},
    ]
    body = "".join(json.dumps(x, ensure_ascii=False) + "\n" for x in lines).encode()
    r = c.post(
        "/collections/files/documents",
        files={"file": ("more.jsonl", body, "application/x-ndjson")},
        data={"options": json.dumps({"batch_size": 1})},
    )
    assert r.status_code == 200, r.text
    assert (r.json()["added"], r.json()["documents"]) == (2, 4)
    assert c.get("/collections/files/documents/j1").json() == {
        "id": "j1",
        "text": lines[0]["text"],
        "lang": "ja",
        "meta": {"year": 2024},
    }
    out = _search(c, {"query": "train at eight", "k": 4, "filters": ["year>=2020"]}, "files")
    assert [h["id"] for h in out["hits"]] == ["j1"]
    # a bad line names the uploaded file's name and the line, not the server's temp path
    bad = b'{"id": "x", "text": "ok"}\n{"id": "y", "text": \n'
    body = _error(c.post("/collections/files/documents", files={"file": ("bad.jsonl", bad)}), 422, "file")
    assert body["message"].startswith("bad.jsonl, line 2") and "upload-" not in body["message"]
    r = c.post(
        "/collections/files/documents", files={"file": ("x.tsv", tsv.encode())}, data={"options": '{"k": 1}'}
    )
    _error(r, 422, "options.k")
    r = c.post(
        "/collections/files/documents", files={"file": ("notes.tsv", tsv.encode())}, data={"upsert": "yes"}
    )
    assert r.json()["documents"] == 4  # the same ids, replaced


def test_delete_a_collection_but_not_one_served_directly(empty, make_client, library):
    c, folder = empty
    assert c.post("/collections", json={"name": "gone"}).status_code == 201
    assert c.post("/collections/gone/documents", json={"documents": DOCS[:2]}).status_code == 200
    _search(c, {"query": "Zug", "k": 1}, "gone")  # a reader is open
    r = c.delete("/collections/gone")
    assert r.status_code == 204 and r.content == b""
    assert not (folder / "gone").exists()
    assert c.get("/collections").json() == {"collections": []}
    _error(c.post("/collections/gone/search", json={"query": "Zug"}), 404)
    direct = make_client(collections=(str(library / "demo"),))
    assert "folder of collections" in _error(direct.delete("/collections/demo"), 409)["message"]
    assert "folder of collections" in _error(direct.post("/collections", json={"name": "x"}), 409)["message"]
    assert (library / "demo" / "manifest.json").is_file()


def test_create_refuses_a_bad_name_an_unserved_model_and_a_bad_spec(empty):
    c, _ = empty
    for name in ("../evil", "a/b", "..", ".hidden", "", "x" * 200):
        _error(c.post("/collections", json={"name": name}), 422, "name")
    _error(
        c.post("/collections", json={"name": "m", "space": {"encoder": "/etc/passwd"}}), 422, "space.encoder"
    )
    _error(c.post("/collections", json={"name": "m", "dense": {"factory": "nonsense"}}), 422, "dense.factory")
    _error(c.post("/collections", json={"name": "m", "uri": "/tmp/x"}), 422, "uri")
    assert c.get("/collections").json() == {"collections": []}


def test_a_write_while_another_writer_holds_the_collection_answers_423(make_client, library):
    from interlingua.store import open_collection

    c = make_client(collections=(str(library),), lock_timeout=0.2)
    with open_collection(library / "demo"):  # holds write.lock, as `interlingua index add` would
        r = c.post("/collections/demo/documents", json={"documents": [{"id": "z", "text": "Noch ein Brot."}]})
        assert "locked by another writer" in _error(r, 423)["message"]
        _error(c.request("DELETE", "/collections/demo/documents", json={"ids": ["cooking-de"]}), 423)
        _error(c.post("/collections/demo/check"), 423)
        assert _search(c, {"query": GERMAN, "k": 1})["hits"][0]["id"] == "cooking-de"  # readers take no lock
    r = c.post("/collections/demo/documents", json={"documents": [{"id": "z", "text": "Noch ein Brot."}]})
    assert r.status_code == 200 and r.json()["documents"] == 161


# -- another process writes while the server runs ---------------------------------------------
def _cli(*args) -> None:
    proc = subprocess.run([console_script(), *map(str, args)], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr


def test_collections_written_by_the_cli_are_searched_without_a_restart(client, library, tmp_path):
    query = {"query": "Straßenbahn nach Köln", "k": 3}
    before = _search(client, query)  # the demo's reader is open
    extra = tmp_path / "extra.jsonl"
    extra.write_text(
        json.dumps({"id": "cli-1", "text": "Die Straßenbahn nach Köln fährt um sieben Uhr ab.", "lang": "de"})
        + "\n",
        encoding="utf-8",
    )
    _cli("index", "create", library / "made-by-cli")
    _cli("index", "add", library / "made-by-cli", extra)
    _cli("index", "add", library / "demo", extra)

    out = _search(client, {"query": "Straßenbahn Köln", "k": 1}, "made-by-cli")  # found when asked for
    assert out["hits"][0]["id"] == "cli-1"
    assert "made-by-cli" in [x["name"] for x in client.get("/collections").json()["collections"]]
    after = _search(client, query)  # the next search sees the add
    assert "cli-1" not in [h["id"] for h in before["hits"]]
    assert after["hits"][0]["id"] == "cli-1"
    assert client.get("/collections/demo").json()["documents"] == 161
    assert client.get("/collections/demo/documents/cli-1").json()["lang"] == "de"
