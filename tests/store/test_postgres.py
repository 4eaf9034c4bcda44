"""The PostgreSQL + pgvector backend on a real server (the session's ``pg_server``): filtered
searches that return the full k through iterative HNSW scans, lexical search on segmented CJK
and Thai, hybrid search, atomic batches, the advisory writer lock, several processes at once,
the check, URI errors, and the CLI. The shared contract is in test_collection_contract.py."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest

from interlingua.errors import CollectionLockedError, DatabaseError, DuplicateIdError, InputError
from interlingua.search import Searcher, SearchOptions
from interlingua.store import (
    Condition,
    IndexSpec,
    check_collection,
    create_collection,
    is_collection,
    open_collection,
    remove_collection,
)


def unit(n: int, seed: int = 0, d: int = 384) -> np.ndarray:
    x = np.random.default_rng(seed).standard_normal((n, d)).astype(np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def docs(n: int, start: int = 0) -> list[dict]:
    return [
        {
            "id": f"d{i}",
            "text": f"word{i % 97} text number {i}",
            "lang": "de" if i % 10 == 0 else "en",
            "meta": {"year": 2000 + i % 25, "src": "a" if i % 3 else "b"},
        }
        for i in range(start, start + n)
    ]


@pytest.fixture(scope="module")
def filtered_uri(pg_server, e5):
    """3,000 documents (10% German) with random unit vectors and an HNSW index (m 16, ef_search 100)."""
    uri = f"{pg_server}&collection=filtered_{int(time.time() * 1000) % 10**9}"
    spec = IndexSpec(uri=uri).with_values(
        {"dense.factory": "HNSW16,Flat", "dense.ef_search": 100, "dense.ef_construction": 64}
    )
    with create_collection(spec, space=e5) as col:
        col.add(docs(3000), vectors=unit(3000), identity=col.space.identity)
    yield uri
    remove_collection(uri)


def test_a_selective_filter_returns_the_full_k_from_the_hnsw_index(filtered_uri):
    queries = unit(40, seed=1)
    with open_collection(filtered_uri, readonly=True) as col:
        assert col.check().details["hnsw_index"] == "valid"
        german = col.select(include_langs=["de"])
        assert len(german) == 300 and german.predicate is not None
        col.exact_filtered = 0  # search the index, not the 300 rows
        scores, keys = col.dense_search(queries, 10, german)
        assert col.dense_stats == {"approximate": 40}  # no query fell back to exact search
        assert (keys >= 0).all() and set(keys.ravel()) <= set(german.tolist())
        assert (np.diff(scores, axis=1) <= 1e-6).all()  # relaxed order, sorted again
        _, deep = col.dense_search(queries, 100, german)  # k above ef_search: the scan goes on
        assert (deep >= 0).all() and col.dense_stats == {"approximate": 80}
        col.exact_filtered = 10**9
        _, exact = col.dense_search(queries, 10, german)
        assert col.dense_stats["exact"] == 40
        recall = np.mean([len(set(a) & set(b)) / 10 for a, b in zip(keys, exact)])
        assert recall >= 0.95, recall
        # a metadata filter goes into SQL too (jsonb), and so does a plain array of keys
        col.exact_filtered = 0
        recent = col.select(include_langs=["de"], conditions=[Condition("year", ">=", 2020)])
        assert len(recent) == 60
        _, found = col.dense_search(queries[:5], 10, recent)
        assert (found >= 0).all() and set(found.ravel()) <= set(recent.tolist())
        _, plain = col.dense_search(queries[:5], 10, np.asarray(recent).copy())
        assert set(plain.ravel()) <= set(recent.tolist()) and (plain >= 0).all()


def test_without_iterative_scans_filtered_searches_still_return_the_full_k(filtered_uri):
    with open_collection(filtered_uri, readonly=True) as col:
        col._iterative, col.exact_filtered = False, 0  # what pgvector < 0.8 can do: over-fetch
        german = col.select(include_langs=["de"])
        _, keys = col.dense_search(unit(10, seed=2), 50, german)
        assert (keys >= 0).all() and set(keys.ravel()) <= set(german.tolist())


def test_filters_match_the_embedded_backends(filtered_uri):
    with open_collection(filtered_uri, readonly=True) as col:
        n = len(col.select(conditions=[Condition("src", "=", "b")]))
        assert n == 1000
        assert len(col.select(conditions=[Condition("year", "=", [2000, 2001])])) == 240
        assert len(col.select(conditions=[Condition("year", "!=", [2000, 2001])])) == 2760
        assert len(col.select(conditions=[Condition("src", "<", 5)])) == 0  # no number is a string
        assert len(col.select(include_langs=[])) == 0 and len(col.select(exclude_langs=["de"])) == 2700
        with pytest.raises(InputError, match="Unknown filter field 'nope'"):
            col.select(conditions=[Condition("nope", "=", 1)])
        with pytest.raises(InputError, match="finite number"):
            col.select(conditions=[Condition("year", "<", float("nan"))])


CJK = [
    {"id": "zh", "text": "猫在温暖的窗台上睡觉。", "lang": "zh"},
    {"id": "ja", "text": "猫は暖かい窓辺で眠っている。", "lang": "ja"},
    {"id": "th", "text": "แมวนอนหลับอยู่บนขอบหน้าต่างที่อบอุ่น", "lang": "th"},
    {"id": "en", "text": "The cat sleeps on the warm windowsill.", "lang": "en"},
    {"id": "de", "text": "Die Katze schläft auf der warmen Fensterbank.", "lang": "de"},
    {"id": "rain", "text": "明天会下雨，记得带伞。", "lang": "zh"},
]


def test_lexical_search_on_segmented_cjk_and_thai_and_hybrid_search(pg_uri, e5):
    with create_collection(IndexSpec(uri=pg_uri), space=e5) as col:
        col.add(CJK)
        s = Searcher(col)
        lexical = SearchOptions(mode="lexical", k=3)
        assert s.search("窗台", lexical).hits[0].id == "zh"
        assert s.search("下雨", lexical).hits[0].id == "rain"
        assert s.search("ขอบหน้าต่าง", lexical).hits[0].id == "th"
        assert s.search("窓辺", lexical).hits[0].id == "ja"
        assert [h.id for h in s.search("Katze", lexical).hits] == ["de"]
        assert s.search("it's a \\ 'quote' & | !", lexical).hits == []  # no character is syntax
        hybrid = s.search("猫在窗台上睡觉", SearchOptions(mode="hybrid", k=4)).hits
        assert hybrid[0].id == "zh" and set(hybrid[0].retrievers) == {"dense", "lexical"}
        only = s.search("cat", SearchOptions(mode="hybrid", lang=("zh",), k=5)).hits
        assert {h.id for h in only} == {"zh", "rain"}


def test_a_failed_batch_leaves_nothing_and_writes_bump_the_stamp(pg_uri, e5):
    with create_collection(IndexSpec(uri=pg_uri), space=e5) as col:
        ident = col.space.identity
        col.add(docs(20), vectors=unit(20), identity=ident)
        stamp = col.stamp()
        batch = col.prepare([*docs(5, start=100), docs(1, start=3)[0]], vectors=unit(6), identity=ident)
        with pytest.raises(DuplicateIdError, match="'d3' is already"):
            col.commit(batch)
        nul = col.prepare([{"id": "x", "text": "bad\x00text", "lang": "en"}], vectors=unit(1), identity=ident)
        with pytest.raises(InputError, match="NUL"):
            col.commit(nul)
        assert len(col) == 20 and not col.has_ids(["d100", "x"]) and col.stamp() == stamp
        col.commit(batch, upsert=True)
        assert len(col) == 25 and col.stamp() != stamp
        assert col.delete(["d100", "nope"]) == 1 and len(col) == 24
        assert col.get(["d3", "d101"])[1].meta == {"year": 2001, "src": "a"}
    with open_collection(pg_uri, readonly=True) as col:
        assert len(col) == 24 and col.languages() == {"en": 22, "de": 2}
        with pytest.raises(InputError, match="read-only"):
            col.delete(["d1"])


def test_one_writer_waits_for_the_advisory_lock(pg_uri, e5):
    create_collection(IndexSpec(uri=pg_uri), space=e5).close()
    with open_collection(pg_uri) as writer:
        start = time.monotonic()
        with pytest.raises(CollectionLockedError, match="locked by another writer"):
            open_collection(pg_uri, lock_timeout=0.3)
        assert time.monotonic() - start >= 0.3
        with pytest.raises(CollectionLockedError):
            remove_collection(pg_uri)
        with open_collection(pg_uri, readonly=True) as reader:
            assert len(reader) == 0
        writer.add(docs(3), vectors=unit(3), identity=writer.space.identity)
    with open_collection(pg_uri, lock_timeout=1.0) as again:
        assert len(again) == 3


READER = """
import sys, numpy as np
from interlingua.store import open_collection
uri, rounds = sys.argv[1], int(sys.argv[2])
q = np.random.default_rng(7).standard_normal((1, 384)).astype(np.float32)
seen = 0
with open_collection(uri, readonly=True) as col:
    for _ in range(rounds):
        n = len(col)
        assert n >= seen, (n, seen)
        seen = n
        scores, keys = col.dense_search(q, 5, col.select(include_langs=["en"]))
        assert (keys >= 0).all()
        assert len(col.lexical_search(["text"], 5)[1]) == 5
print(seen)
"""

WRITER = """
import sys, numpy as np
from interlingua.store import open_collection
uri = sys.argv[1]
v = np.random.default_rng(3).standard_normal((400, 384)).astype(np.float32)
v /= np.linalg.norm(v, axis=1, keepdims=True)
docs = [{"id": f"w{i}", "text": f"text {i}", "lang": "en"} for i in range(400)]
with open_collection(uri, lock_timeout=10) as col:
    col.add(docs, vectors=v, identity=col.manifest.encoder, batch_size=50)
print("done")
"""


@pytest.mark.slow  # three interpreters start (about 20 s on a busy machine)
def test_several_processes_search_while_another_adds(pg_uri, e5):
    with create_collection(IndexSpec(uri=pg_uri), space=e5) as col:
        col.add(docs(100), vectors=unit(100), identity=col.space.identity)
    run = [sys.executable, "-c"]
    readers = [
        subprocess.Popen([*run, textwrap.dedent(READER), pg_uri, "150"], stdout=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    writer = subprocess.Popen([*run, textwrap.dedent(WRITER), pg_uri], stdout=subprocess.PIPE, text=True)
    outs = [p.communicate(timeout=120)[0] for p in [*readers, writer]]
    assert [p.returncode for p in [*readers, writer]] == [0, 0, 0], outs
    assert outs[-1].strip() == "done" and all(100 <= int(o) <= 500 for o in outs[:2])
    with open_collection(pg_uri, readonly=True) as col:
        assert len(col) == 500 and col.check().ok


def test_check_reports_damage_and_rebuild_repairs_it(pg_uri, e5):
    spec = IndexSpec(uri=pg_uri).with_values({"dense.factory": "HNSW8,Flat", "dense.ef_construction": 16})
    with create_collection(spec, space=e5) as col:
        col.add(docs(50), vectors=unit(50), identity=col.space.identity)
    report = check_collection(pg_uri, repair=False)
    assert report.ok and report.documents == 50 and report.details["pgvector"] >= "0.8"
    assert report.to_dict()["details"]["hnsw_index"] == "valid"
    with open_collection(pg_uri) as col:
        col._conn.execute("UPDATE docs SET tsv = ''::tsvector WHERE key <= 3")
        col._conn.execute("DROP INDEX docs_embedding_hnsw")
        problems = " ".join(check_collection_readonly(pg_uri))
        assert (
            "3 document(s) have tokens but an empty tsvector" in problems
            and "HNSW index is missing" in problems
        )
        col.rebuild()
        assert col.check().ok
        assert col.lexical_search(col.segment("word1"), 5)[1].tolist()[:1] == [2]
        info = col.info()
        assert info["backend"] == "postgres" and info["dense_kind"].startswith("HNSW8")
        assert {"documents", "languages", "metadata_fields", "manifest"} <= set(info)
        assert info["manifest"]["backend"] == "postgres" and info["metadata_fields"] == ["src", "year"]
        # a bulk add into an indexed collection: the index goes before the rows, and comes back once
        col.add(docs(1000, start=50), vectors=unit(1000, seed=4), identity=col.space.identity)
        assert col.info()["dense_kind"].startswith("Flat") and len(col) == 1050
        col.flush()
        assert col.check().details["hnsw_index"] == "valid"


def check_collection_readonly(uri: str) -> tuple[str, ...]:
    return check_collection(uri, repair=False).problems


def test_uris_names_and_servers_that_are_wrong_are_one_clear_error(pg_server, pg_uri, e5):
    for bad, match in [
        (f"{pg_server}&collection=Bad-Name", "not allowed"),
        (f"{pg_server}&collection=x;drop", "not allowed"),
        (pg_server, "must name one collection"),
        (f"{pg_server}&collection=a&collection=b", "must name one collection"),
    ]:
        with pytest.raises(InputError, match=match):
            open_collection(bad)
    with pytest.raises(InputError, match="No collection 'never_made'"):
        open_collection(f"{pg_server}&collection=never_made")
    gone = "postgresql://postgres:s3cret@/postgres?host=/nonexistent/pg&collection=c"
    with pytest.raises(DatabaseError, match="Cannot connect to PostgreSQL server /nonexistent/pg") as info:
        open_collection(gone)
    assert "s3cret" not in str(info.value) and "interlingua db start" in str(info.value)
    create_collection(IndexSpec(uri=pg_uri), space=e5).close()
    assert is_collection(pg_uri)
    with pytest.raises(InputError, match="already holds the collection"):
        create_collection(IndexSpec(uri=pg_uri), space=e5)
    remove_collection(pg_uri)
    with pytest.raises(InputError, match="No collection"):
        open_collection(pg_uri)


def test_a_user_without_rights_gets_one_line_naming_the_server_and_the_fix(pg_server, e5):
    import psycopg

    with psycopg.connect(pg_server, autocommit=True) as admin:
        admin.execute("CREATE ROLE il_limited LOGIN")
        try:
            limited = pg_server.replace("postgresql://postgres:@", "postgresql://il_limited@")
            with pytest.raises(DatabaseError, match="permission denied to create the collection") as info:
                create_collection(IndexSpec(uri=f"{limited}&collection=nope"), space=e5)
            assert "user il_limited" in str(info.value) and "GRANT CREATE ON DATABASE" in str(info.value)
        finally:
            admin.execute("DROP ROLE il_limited")


def test_the_cli_creates_adds_searches_checks_a_postgresql_collection(cli, pg_uri, tmp_path):
    src = tmp_path / "docs.jsonl"
    src.write_text("\n".join(json.dumps(d, ensure_ascii=False) for d in CJK) + "\n", encoding="utf-8")
    code, out, err = cli("index", "create", pg_uri)
    assert code == 0, err
    code, out, err = cli("index", "add", pg_uri, src)
    assert code == 0 and "added 6 documents" in out, err
    code, out, err = cli("search", pg_uri, "Wo schläft die Katze?", "-k", "3", "--json")
    assert code == 0, err
    assert {h["id"] for h in json.loads(out)["hits"]} <= {"zh", "ja", "th", "en", "de"}
    code, out, err = cli("search", pg_uri, "窗台", "--mode", "lexical")
    assert code == 0 and " zh" in out.splitlines()[1], out
    code, out, err = cli("index", "check", pg_uri)
    assert code == 0 and "6 documents: ok" in out and ":@" not in out
    code, out, err = cli("index", "info", pg_uri)
    assert code == 0 and "PostgreSQL tsvector" in out
    code, out, err = cli("index", "info", pg_uri.replace("collection=", "collection=Nope"))
    assert code == 2 and "not allowed" in err


def test_serve_searches_a_postgresql_collection(pg_uri, e5):
    from fastapi.testclient import TestClient

    from interlingua.serve import Settings, create_app

    with create_collection(IndexSpec(uri=pg_uri), space=e5) as col:
        col.add(CJK)
    name = pg_uri.rsplit("collection=", 1)[1]
    app = create_app(Settings.from_env({}, collections=(pg_uri,)))
    with TestClient(app) as client:
        listed = client.get("/collections").json()
        assert name in json.dumps(listed)
        r = client.post(f"/collections/{name}/search", json={"query": "窗台", "mode": "lexical", "k": 2})
        assert r.status_code == 200, r.text
        assert r.json()["hits"][0]["id"] == "zh"
