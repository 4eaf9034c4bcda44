"""Searches from many threads at once on a real server (uvicorn, its thread pool) answer exactly
what one-at-a-time searches answer, rerank included (its token-state cache is shared), and keep
answering correctly while documents are added through the API (the shared reader reopens under
the searches)."""

from __future__ import annotations

import random
import threading
from concurrent.futures import ThreadPoolExecutor

import httpx
from tests.serve.conftest import running_server

GERMAN = "Wie backe ich zu Hause Brot?"
QUERIES = [
    {"query": GERMAN, "k": 10},
    {"query": GERMAN, "k": 10, "mode": "dense"},
    {"query": "Quel temps fera-t-il demain ?", "k": 5, "lang": ["ja", "ko", "th"]},
    {"query": "サッカーの試合は何時に始まりますか", "k": 8, "mode": "lexical"},
    {"query": GERMAN, "k": 6, "rerank": True, "rerank_depth": 8},
    {
        "query": "How do I pay with my bank card?",
        "k": 6,
        "rerank": True,
        "rerank_depth": 8,
        "filters": ["group!=cooking"],
    },
    {"query": "Поезд опаздывает", "k": 5, "fusion": "rrf", "exclude_lang": ["ru"]},
]
THREADS = 32


def _answer(out: dict) -> list[tuple]:
    return [(h["id"], h["score"], sorted(h["scores"].items()), tuple(h["found"])) for h in out["hits"]]


def _one_at_a_time(url: str, queries: list[dict]) -> list[list[tuple]]:
    with httpx.Client(base_url=url, timeout=120) as c:
        out = []
        for q in queries:
            r = c.post("/collections/demo/search", json=q)
            assert r.status_code == 200, r.text
            out.append(_answer(r.json()))
        return out


def test_32_threads_get_exactly_the_answers_of_one_at_a_time_searches(built_library, tmp_path):
    settings = {"collections": (str(built_library),), "jobs_dir": str(tmp_path / "jobs")}
    with running_server(**settings) as url:
        expected = _one_at_a_time(url, QUERIES)
    # a fresh server: its reader and rerank cache start cold, so the threads fill them together
    with running_server(**settings) as url:
        start = threading.Barrier(THREADS)

        def worker(seed: int) -> list[tuple[int, list[tuple]]]:
            order = list(range(len(QUERIES)))
            random.Random(seed).shuffle(order)
            got = []
            with httpx.Client(base_url=url, timeout=300) as c:
                start.wait()
                for i in order:
                    r = c.post("/collections/demo/search", json=QUERIES[i])
                    assert r.status_code == 200, r.text
                    got.append((i, _answer(r.json())))
            return got

        with ThreadPoolExecutor(THREADS) as pool:
            results = list(pool.map(worker, range(THREADS)))
    assert sum(len(r) for r in results) == THREADS * len(QUERIES)
    for got in results:
        for i, answer in got:
            assert answer == expected[i], QUERIES[i]


def test_searches_answer_correctly_while_documents_are_added(library, tmp_path):
    # filtered to the demo's documents, dense scores are exact and cannot change with the adds
    stable = [
        {"query": GERMAN, "k": 8, "mode": "dense", "filters": ["group!=added"]},
        {
            "query": "Quel temps fera-t-il demain ?",
            "k": 5,
            "mode": "dense",
            "filters": ["group!=added"],
            "rerank": True,
        },
    ]
    added = [
        {
            "id": f"added-{b}-{i}",
            "text": f"Ein neues Brotrezept Nummer {b}-{i}: Mehl, Wasser, Salz.",
            "lang": "de",
        }
        for b in range(6)
        for i in range(4)
    ]
    settings = {"collections": (str(library),), "jobs_dir": str(tmp_path / "jobs")}
    with running_server(**settings) as url:
        expected = _one_at_a_time(url, stable)
        done = threading.Event()
        errors: list[str] = []

        def writer() -> None:
            try:
                with httpx.Client(base_url=url, timeout=300) as c:
                    for b in range(6):
                        docs = [{**d, "meta": {"group": "added"}} for d in added[b * 4 : (b + 1) * 4]]
                        r = c.post("/collections/demo/documents", json={"documents": docs})
                        if r.status_code != 200:
                            errors.append(r.text)
            finally:
                done.set()

        def reader(seed: int) -> int:
            n = 0
            with httpx.Client(base_url=url, timeout=300) as c:
                while not done.is_set() or n < 2:
                    i = (seed + n) % len(stable)
                    r = c.post("/collections/demo/search", json=stable[i])
                    assert r.status_code == 200, r.text
                    assert _answer(r.json()) == expected[i], stable[i]
                    n += 1
            return n

        with ThreadPoolExecutor(9) as pool:
            readers = [pool.submit(reader, s) for s in range(8)]
            pool.submit(writer).result()
            counts = [f.result() for f in readers]
        assert not errors, errors
        assert sum(counts) >= 16
        with httpx.Client(base_url=url, timeout=120) as c:
            assert c.get("/collections/demo").json()["documents"] == 160 + len(added)
            r = c.post(
                "/collections/demo/search",
                json={"query": "neues Brotrezept", "k": 30, "filters": ["group=added"]},
            )
            assert {h["id"] for h in r.json()["hits"]} == {d["id"] for d in added}


def test_a_stale_reader_stays_open_until_its_last_user_is_done(library):
    from interlingua.serve import Settings
    from interlingua.serve._library import Library

    lib = Library(Settings.from_env({}, collections=(str(library),)))
    try:
        served = lib.get("demo")
        with served.reading() as first:
            served.add(
                [{"id": "new-1", "text": "Frisches Brot vom Bäcker.", "lang": "de"}],
                upsert=False,
                skip_existing=False,
            )
            with served.reading() as second:  # the write is seen: a fresh reader
                assert second is not first
                assert second.collection.has_ids(["new-1"]) == {"new-1"}
            hits = first.search(GERMAN, k=3, mode="dense").hits  # the old one still answers its request
            assert hits[0].id == "cooking-de"
            assert first.collection.catalog is not None
        assert first.collection.catalog is None  # closed by its last user
        with served.reading() as third:
            assert third is second and third.collection.catalog is not None  # unchanged: reused
    finally:
        lib.close()
    assert second.collection.catalog is None
