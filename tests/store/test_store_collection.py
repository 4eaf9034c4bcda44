"""Collection on disk: add, upsert, delete, reopen, rebuild, encoder recorded and enforced,
bad input refused with nothing stored harmed, one writer at a time."""

from __future__ import annotations

import json

import numpy as np
import pytest

from interlingua.errors import InputError
from interlingua.store import (
    Collection,
    CollectionLockedError,
    Condition,
    DuplicateIdError,
    EncoderMismatchError,
    check_collection,
)

E5 = "e5-small"


def unit(n, d=384, seed=0):
    x = np.random.default_rng(seed).standard_normal((n, d)).astype(np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def docs(n, start=0):
    return [
        {
            "id": f"d{i}",
            "text": f"word{i} shared text",
            "lang": "en" if i % 2 else "fr",
            "meta": {"year": 2000 + i % 4, "src": "a" if i % 3 else "b"},
        }
        for i in range(start, start + n)
    ]


@pytest.fixture
def col(tmp_path):
    c = Collection.create(tmp_path / "c", encoder=E5)
    c.add(docs(40), vectors=unit(40), batch_size=16)
    yield c
    c.close()


def test_folder_holds_plain_files_and_a_manifest(col):
    col.flush()
    names = {p.name for p in col.path.iterdir()}
    assert {"manifest.json", "catalog.sqlite"} <= names
    assert any(n.startswith("dense-") and n.endswith(".faiss") for n in names)
    m = json.loads((col.path / "manifest.json").read_text())
    assert m["format_version"] == 2 and m["dim"] == 384 and m["encoder"].startswith("e5-small|")
    assert m["normalization"] == "l2" and m["dtype"] == "float32" and m["created"]
    assert m["dense"]["factory"] == "auto" and m["space"]["encoder"] == "e5-small"
    assert m["langid"] == {"backend": "fasttext", "model": "lid.176.ftz"}
    assert not any(n.endswith((".pkl", ".pickle")) for n in names)


def test_add_upsert_delete_reopen(tmp_path, col):
    v = unit(40)
    assert len(col) == 40
    with pytest.raises(DuplicateIdError, match="'d3' is already in the collection"):
        col.add([{"id": "d3", "text": "other"}], vectors=unit(1, seed=5))
    col.add([{"id": "d3", "text": "replaced text", "lang": "de"}], vectors=unit(1, seed=5), upsert=True)
    assert col.get(["d3"])[0].text == "replaced text" and len(col) == 40
    assert col.delete(["d0", "d1", "missing"]) == 2
    col.close()
    with Collection.open(tmp_path / "c") as again:
        assert len(again) == 38 and len(again.dense) == 38 and len(again.lexical) == 38
        _, keys = again.dense_search(unit(1, seed=5), 1)
        assert again.documents(keys[0])[keys[0][0]].id == "d3"
        _, keys = again.dense_search(v[5:6], 1)
        assert again.documents(keys[0])[keys[0][0]].id == "d5"
        assert again.lexical_search(["word0"], 5)[1].tolist() == []
        assert again.lexical_search(["replaced"], 5)[1].size == 1
    assert check_collection(tmp_path / "c").ok


def test_filters_select_languages_and_metadata(col):
    fr = col.select(include_langs=["fr"])
    assert len(fr) == 20
    assert len(col.select(exclude_langs=["fr"])) == 20
    keys = col.select(conditions=[Condition("year", ">=", 2002), Condition("src", "=", "b")])
    assert {d.meta["year"] >= 2002 and d.meta["src"] == "b" for d in col.documents(keys).values()} == {True}
    assert len(col.select(conditions=[Condition("year", "=", [2000, 2001])])) == 20
    with pytest.raises(InputError, match="Unknown filter field 'colour'.*src, year"):
        col.select(conditions=[Condition("colour", "=", "red")])
    _, found = col.dense_search(unit(40)[4:5], 3, fr)
    assert found[0][0] in fr and set(found[0]) <= set(fr)


def test_rebuild_gives_the_same_answers(col):
    col.delete(["d2"])
    before = col.dense_search(unit(40)[7:8], 5)[1].tolist()
    col.rebuild()
    assert col.dense_search(unit(40)[7:8], 5)[1].tolist() == before
    assert len(col.lexical) == 39
    # the rebuilt lexical index lives in a new folder; the old one is gone
    assert len([p for p in col.path.iterdir() if p.name.startswith("lexical-")]) == 1


def test_auto_switches_to_hnsw_past_the_threshold(tmp_path):
    with Collection.create(
        tmp_path / "h", encoder=E5, hnsw_threshold=50, small="SQfp16", large="HNSW32,SQfp16"
    ) as c:
        c.add(docs(40), vectors=unit(40))
        c.flush()
        assert c.dense.kind == "SQfp16"
        c.add(docs(30, start=40), vectors=unit(30, seed=1))
        c.flush()
        assert c.dense.kind == "HNSW32,SQfp16"
        c.delete(["d45"])
        assert len(c.dense) == 69
    with Collection.open(tmp_path / "h", readonly=True) as c:
        assert c.dense.kind == "HNSW32,SQfp16" and len(c.dense) == 69
        assert c.dense_search(unit(40)[3:4], 1)[1][0][0] == c.catalog.keys_of(["d3"])["d3"]
    assert check_collection(tmp_path / "h").ok


def test_encoder_is_recorded_and_another_refused(tmp_path, col):
    with pytest.raises(EncoderMismatchError, match="come from the space 'usem3"):
        col.add(docs(1, start=100), vectors=unit(1), identity="usem3|other")
    col.close()
    with pytest.raises(EncoderMismatchError, match="holds vectors of the space 'e5-small"):
        Collection.open(tmp_path / "c", encoder="e5-small-int8")
    with pytest.raises(InputError, match=r"shape \(n, 384\)"):
        with Collection.open(tmp_path / "c") as c:
            c.add(docs(1, start=100), vectors=np.zeros((1, 512), np.float32))


def test_bad_documents_are_refused_and_nothing_is_harmed(col):
    before = len(col)
    with pytest.raises(InputError, match="'x2' has no text"):
        col.add([{"id": "x1", "text": "fine"}, {"id": "x2", "text": "   "}], vectors=unit(2))
    with pytest.raises(DuplicateIdError, match="appears twice in one batch"):
        col.add([{"id": "y", "text": "a"}, {"id": "y", "text": "b"}], vectors=unit(2))
    with pytest.raises(InputError, match="has no text"):
        col.add([{"id": "z", "text": None}], vectors=unit(1))
    with pytest.raises(InputError, match="metadata of document 'm' must be a JSON object"):
        col.add([{"id": "m", "text": "t", "meta": [1]}], vectors=unit(1))
    assert len(col) == before == len(col.dense) == len(col.lexical)
    assert col.get(["x1", "y"]) == []


def test_missing_or_foreign_folder_is_a_clear_error(tmp_path):
    with pytest.raises(InputError, match="No collection at .*does not exist"):
        Collection.open(tmp_path / "nowhere")
    (tmp_path / "plain").mkdir()
    with pytest.raises(InputError, match="not an interlingua collection"):
        Collection.open(tmp_path / "plain")
    Collection.create(tmp_path / "twice", encoder=E5).close()
    with pytest.raises(InputError, match="already holds a collection"):
        Collection.create(tmp_path / "twice", encoder=E5)


def test_second_writer_gets_a_locked_error_readers_still_read(col):
    with pytest.raises(CollectionLockedError, match="locked by another writer"):
        Collection.open(col.path)
    with Collection.open(col.path, readonly=True) as reader:
        assert len(reader) == 40
    col.close()
    with Collection.open(col.path, lock_timeout=1.0) as second:  # free again once the first closed
        assert len(second) == 40


def test_texts_are_encoded_with_the_recorded_encoder(tmp_path, e5):
    with Collection.create(tmp_path / "real", encoder=e5) as c:
        c.add(
            [
                {"id": "cat", "text": "The cat sleeps on the warm windowsill."},
                {"id": "bank", "text": "Die Bank erhöht die Zinsen."},
            ]
        )
        assert {d.id: d.lang for d in c.get(["cat", "bank"])} == {"cat": "en", "bank": "de"}
        q = e5.encode(["Кошка спит на подоконнике."], role="query")
        _, keys = c.dense_search(q, 1)
        assert c.documents(keys[0])[keys[0][0]].id == "cat"
        stored = c.catalog.vectors(keys[0])
        assert np.allclose(
            stored, e5.encode(["The cat sleeps on the warm windowsill."], role="passage"), atol=1e-5
        )


def test_lost_or_damaged_index_files_are_rebuilt_from_the_catalog(tmp_path, col):
    import shutil

    col.close()
    path = tmp_path / "c"
    dense = next(path.glob("dense-*.faiss"))
    dense.write_bytes(b"not a faiss index")
    for lex in path.glob("lexical-*"):
        shutil.rmtree(lex)
    with pytest.warns(UserWarning, match="rebuilt from the catalog"):
        report = check_collection(path)
    assert report.ok and report.documents == 40
    with Collection.open(path, readonly=True) as c:
        assert c.lexical_search(["word7"], 1)[1].size == 1
