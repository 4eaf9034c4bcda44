"""The index a large collection switches to (past a lowered ``hnsw_threshold``): recall against
exact search, the search settings (``k_factor``, ``nprobe``) kept in the manifest across a save
and a reopen, removals and filters through the index's ID selector (a refine stage hands its base
only the base's parameters), ``rebuild()``, and a collection made before those settings existed."""

from __future__ import annotations

import json

import numpy as np
import pytest
from tests.helpers import clustered

from interlingua.errors import CollectionError
from interlingua.store import Collection, check_collection

E5 = "e5-small"
REFINED = "HNSW16,SQ8,RFlat"
IVF = "IVFauto_HNSW16,SQ8,RFlat"


def docs(n, start=0):
    return [
        {"id": f"d{i}", "text": f"w{i}", "lang": "en" if i % 2 else "fr"} for i in range(start, start + n)
    ]


def exact_top(x, q, k):
    return np.argsort(-(q @ x.T), axis=1, kind="stable")[:, :k] + 1  # keys of a fresh collection


def set_dense(folder, drop=(), **settings):
    """Write search settings into a collection's manifest (as an older or a tuned one holds them)."""
    m = json.loads((folder / "manifest.json").read_text())
    m["dense"].update(settings)
    for name in drop:
        m["dense"].pop(name, None)
    (folder / "manifest.json").write_text(json.dumps(m))


def recall(found, truth):
    return np.mean([len(set(f) & set(t)) / len(t) for f, t in zip(found, truth)])


@pytest.fixture(scope="module", params=[REFINED, IVF])
def large(request, tmp_path_factory):
    folder = tmp_path_factory.mktemp("large") / "c"
    x = clustered(3000)
    with Collection.create(folder, encoder=E5, hnsw_threshold=500, large=request.param, ef_search=128) as c:
        c.add(docs(3000), vectors=x, batch_size=1000)
    set_dense(folder, k_factor=4, nprobe=16)
    return folder, x, request.param


def test_recall_against_exact_and_settings_survive_a_reopen(large):
    folder, x, kind = large
    q = clustered(200, seed=1)
    truth = exact_top(x, q, 10)
    with Collection.open(folder, readonly=True) as c:
        assert c.dense.kind == kind and len(c.dense) == 3000
        assert (c.dense.k_factor, c.dense.nprobe, c.dense.ef_search) == (4, 16, 128)
        scores, found = c.dense_search(q, 10)
        assert recall(found, truth) >= 0.95
        # the refine stage re-scores from the float copy: scores are the exact inner products
        assert np.allclose(scores[:, 0], np.sum(q * x[found[:, 0] - 1], axis=1), atol=1e-5)
        c.dense.k_factor = 1  # no refine budget: the short list comes from the 8-bit codes alone
        assert recall(c.dense_search(q, 10)[1], truth) <= recall(found, truth)


def test_removals_filters_and_rebuild(large, tmp_path):
    import shutil

    src, x, kind = large
    folder = tmp_path / "c"
    shutil.copytree(src, folder)
    with Collection.open(folder) as c:
        key = c.catalog.keys_of(["d6"])["d6"]
        assert c.dense_search(x[6:7], 1)[1][0, 0] == key == 7
        c.delete(["d6", "d7"])
        assert len(c.dense) == 2998 and c.dense.tombstones  # neither HNSW nor a refine stage removes in place
        assert key not in c.dense_search(x[6:7], 50)[1][0]
        # a filter through the index (not the small-filter exact path): only allowed keys come back
        allowed = np.arange(1, 3001, 3, dtype=np.int64)
        _, got = c.dense.search(x[9:12], 10, allowed)
        assert set(got[got >= 0].tolist()) <= set(allowed.tolist()) and got[0, 0] == 10
        assert key not in c.dense.search(x[6:7], 10, allowed)[1][0]  # allowed, but gone
    with Collection.open(folder) as c:  # the tombstones were saved beside the index
        assert c.dense.tombstones and key not in c.dense_search(x[6:7], 50)[1][0]
        c.rebuild()
        assert not c.dense.tombstones and c.dense.kind == kind and len(c.dense) == 2998
        assert c.dense.k_factor == 4  # rebuilt with the manifest's settings
        assert key not in c.dense_search(x[6:7], 50)[1][0]
    assert check_collection(folder).ok


def test_collection_made_before_the_search_settings_opens_as_it_was(tmp_path):
    folder = tmp_path / "old"
    x = clustered(400)
    with Collection.create(folder, encoder=E5, hnsw_threshold=100, large="HNSW32,Flat") as c:
        c.add(docs(400), vectors=x)
    set_dense(folder, drop=("k_factor", "nprobe"))  # a manifest written before k_factor / nprobe
    with Collection.open(folder) as c:
        assert c.dense.kind == "HNSW32,Flat" and c.dense.ef_search == 512
        assert (c.dense.k_factor, c.dense.nprobe) == (1, None)
        assert c.dense_search(x[5:6], 1)[1][0, 0] == c.catalog.keys_of(["d5"])["d5"]
        c.add(docs(10, start=400), vectors=clustered(10, seed=3))
    assert check_collection(folder).ok


@pytest.mark.parametrize("value", [0, "4", 2.5, True, -1])
def test_a_bad_search_setting_is_one_clear_error(tmp_path, value):
    folder = tmp_path / "c"
    Collection.create(folder, encoder=E5).close()
    set_dense(folder, k_factor=value)
    with pytest.raises(CollectionError, match="dense.k_factor"):
        Collection.open(folder)
