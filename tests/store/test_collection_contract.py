"""The collection contract, at collection level: every store backend (catalog, dense and lexical
indexes, lock and change log together) passes the same suite, through the protocol only. The
PostgreSQL backend runs on the session's server (the ``pg_uri`` fixture)."""

from __future__ import annotations

import numpy as np
import pytest

from interlingua.errors import CollectionLockedError, DuplicateIdError, InputError, SpaceMismatchError
from interlingua.search import Searcher, SearchOptions
from interlingua.store import (
    STORE_BACKENDS,
    CollectionBackend,
    Condition,
    IndexSpec,
    create_collection,
    open_collection,
)

BACKENDS = ["embedded", "postgres"]
DOCS = [
    {"id": "cat-en", "text": "The cat sleeps on the warm windowsill.", "lang": "en", "meta": {"year": 2020}},
    {
        "id": "cat-de",
        "text": "Die Katze schläft auf der warmen Fensterbank.",
        "lang": "deu",
        "meta": {"year": 2021},
    },
    {"id": "cat-zh", "text": "猫在温暖的窗台上睡觉。", "lang": "zh", "meta": {"year": 2022}},
    {"id": "train-fr", "text": "Le train part à huit heures.", "lang": "fr", "meta": {"year": 2021}},
    {"id": "bread-es", "text": "Compramos pan fresco en el mercado.", "meta": {"year": 2019}},
]


@pytest.fixture(params=BACKENDS)
def uri(request, tmp_path):
    assert request.param in STORE_BACKENDS
    if request.param == "postgres":
        return request.getfixturevalue("pg_uri")
    return str(tmp_path / "coll")


def test_create_prepare_commit_and_search(uri, e5):
    with create_collection(IndexSpec(uri=uri), space=e5) as col:
        assert isinstance(col, CollectionBackend)
        batch = col.prepare(DOCS)
        assert [d.lang for d in batch.docs] == ["en", "de", "zh", "fr", "es"]  # canonical, or detected
        assert batch.vectors.shape == (5, 384) and all(batch.tokens)
        assert len(col) == 0  # preparing writes nothing
        assert col.commit(batch) == 5 and len(col) == 5
    with open_collection(uri, readonly=True) as col:
        s = Searcher(col)
        hits = s.search("Wo schläft die Katze?", SearchOptions(mode="dense", k=3)).hits
        assert {h.id for h in hits} == {"cat-en", "cat-de", "cat-zh"}
        only = s.search("cat", SearchOptions(lang=("-en",), filters=("year>=2021",), k=5)).hits
        assert {h.id for h in only} <= {"cat-de", "cat-zh", "train-fr"} and only
        lexical = s.search("Katze", SearchOptions(mode="lexical")).hits
        assert [h.id for h in lexical] == ["cat-de"]
        keys = col.select(conditions=[Condition("year", "=", 2021)])
        assert sorted(d.id for d in col.documents(keys).values()) == ["cat-de", "train-fr"]


def test_upsert_delete_reopen_check_rebuild(uri, e5):
    with create_collection(IndexSpec(uri=uri), space=e5) as col:
        col.add(DOCS, batch_size=2)
        with pytest.raises(DuplicateIdError):
            col.add([{"id": "cat-en", "text": "Another cat."}])
        col.add([{"id": "cat-en", "text": "A cat naps in the sun.", "lang": "en"}], upsert=True)
        assert col.get(["cat-en"])[0].text == "A cat naps in the sun." and len(col) == 5
        assert col.delete(["bread-es", "missing"]) == 1
        assert col.has_ids(["cat-en", "bread-es"]) == {"cat-en"}
    with open_collection(uri) as col:
        assert len(col) == 4 and col.check().ok
        col.rebuild()
        assert col.check().ok and len(col) == 4


def test_the_space_is_recorded_and_another_refused(uri, e5, e5_int8):
    with create_collection(IndexSpec(uri=uri), space=e5) as col:
        col.add(DOCS[:2])
        with pytest.raises(SpaceMismatchError):
            col.add(DOCS[2:3], vectors=np.zeros((1, 384), np.float32), identity=e5_int8.identity)
        with pytest.raises(InputError, match="NaN or infinity"):
            col.add(DOCS[2:3], vectors=np.full((1, 384), np.nan, np.float32), identity=e5.identity)
        assert len(col) == 2  # a batch either index cannot take is not committed
    with pytest.raises(SpaceMismatchError, match="holds vectors of the space 'e5-small"):
        open_collection(uri, space=e5_int8)
    with open_collection(uri, readonly=True) as col:
        assert col.space.identity == e5.identity and col.info()["manifest"]["langid"]["backend"] == "fasttext"


def test_one_writer_at_a_time_readers_need_no_lock(uri, e5):
    create_collection(IndexSpec(uri=uri), space=e5).close()
    with open_collection(uri) as writer:
        writer.add(DOCS[:1])
        with pytest.raises(CollectionLockedError):
            open_collection(uri)
        with open_collection(uri, readonly=True) as reader:
            assert len(reader) == 1
