"""auto's third tier: past ``ivf_threshold`` a collection switches from HNSW to IVF-PQ with exact
re-scoring (``IVF<cells>_HNSW32,PQ<dim/2>x4fsr,RFlat``), its cells sized to the collection and
retrained only once it has about quadrupled (or shrunk as much); its search defaults (nprobe,
k_factor) live in the index file; a collection made before the tier never switches to it."""

from __future__ import annotations

import json

import numpy as np
import pytest
from tests.helpers import clustered

from interlingua._faiss import IVF_K_FACTOR, auto_ivf_factory, faiss_module, ivf_cells
from interlingua.store import Collection, check_collection

E5 = "e5-small"


def docs(n, start=0):
    return [{"id": f"d{i}", "text": f"w{i}", "lang": "en"} for i in range(start, start + n)]


def own_search(dense):
    """(nprobe, k_factor) stored in the faiss index itself."""
    faiss = faiss_module()
    refine = faiss.downcast_index(dense.index.index)
    return faiss.extract_index_ivf(refine).nprobe, refine.k_factor


def recall(found, truth):
    return np.mean([len(set(f) & set(t)) / len(t) for f, t in zip(found, truth)])


def test_cells_round_16_sqrt_n_up_and_are_kept_until_about_4x():
    assert ivf_cells(1_000_000) == 16_384  # the index measured at 1M by benchmarks/search.py
    assert ivf_cells(800_000) == ivf_cells(500_000) == 16_384  # rounded up: trained once to 2.1M
    assert ivf_cells(1_000_000, current=8_192) == 16_384  # 8,192 is below 16,000 / 1.41: retrained
    assert ivf_cells(2_000_000, current=16_384) == 16_384  # 22,627 / 1.41 is within: kept
    assert ivf_cells(2_200_000, current=16_384) == 32_768  # past it: retrained
    assert ivf_cells(200_000, current=16_384) == 8_192  # more cells than n / 20: retrained
    assert ivf_cells(2_000) == 64 and ivf_cells(2_000) * 20 <= 2_000  # 20 training vectors a cell
    assert ivf_cells(10, current=64) == 1
    assert auto_ivf_factory(384, 1_000_000) == "IVF16384_HNSW32,PQ192x4fsr,RFlat"
    assert auto_ivf_factory(385, 1_000_000).endswith(",PQ385x4fsr,RFlat")  # odd: one dimension a code
    assert auto_ivf_factory(384, 2_000_000, "IVF16384_HNSW32,PQ192x4fsr,RFlat").startswith("IVF16384_")
    assert auto_ivf_factory(384, 1_000_000, "IVF8192_HNSW32,PQ192x4fsr,RFlat").startswith("IVF16384_")
    assert auto_ivf_factory(384, 1_000_000, "HNSW32,Flat").startswith("IVF16384_")


@pytest.fixture(scope="module")
def grown(tmp_path_factory):
    """A collection past its lowered ivf_threshold, and its vectors."""
    folder = tmp_path_factory.mktemp("ivf") / "c"
    x = clustered(6000)
    with Collection.create(folder, encoder=E5, hnsw_threshold=300, ivf_threshold=1000) as c:
        c.add(docs(800), vectors=x[:800])
        c.flush()
        assert c.dense.kind == "HNSW32,Flat"
        c.add(docs(700, start=800), vectors=x[800:1500])
        c.flush()
        assert c.dense.kind == "IVF64_HNSW32,PQ192x4fsr,RFlat"  # 1,500 documents: 64 cells
        c.add(docs(500, start=1500), vectors=x[1500:2000])
        c.flush()
        assert c.dense.kind == "IVF64_HNSW32,PQ192x4fsr,RFlat"  # grown a third: the cells are kept
        c.add(docs(4000, start=2000), vectors=x[2000:])
    return folder, x


def test_the_tier_switches_retrains_and_searches_near_exact(grown):
    folder, x = grown
    q = clustered(200, seed=1)
    truth = np.argsort(-(q @ x.T), axis=1, kind="stable")[:, :10] + 1
    manifest = json.loads((folder / "manifest.json").read_text())["dense"]
    assert manifest["ivf_threshold"] == 1000 and manifest["huge"] == "auto"
    assert manifest["nprobe"] is None and manifest["k_factor"] is None  # the index's own
    with Collection.open(folder, readonly=True) as c:
        assert c.dense.kind == "IVF256_HNSW32,PQ192x4fsr,RFlat" and len(c.dense) == 6000  # 4x: retrained
        assert own_search(c.dense) == (128, IVF_K_FACTOR)  # saved in the index file, read back
        scores, found = c.dense_search(q, 10)
        assert recall(found, truth) >= 0.95
        assert np.allclose(scores[:, 0], np.sum(q * x[found[:, 0] - 1], axis=1), atol=1e-5)  # re-scored
        narrow = c.dense.search(q, 10)[1]
        c.dense.nprobe, c.dense.k_factor = 1, 1  # a manifest's own setting wins over the index's
        assert recall(c.dense.search(q, 10)[1], truth) < recall(narrow, truth)


def test_removals_rebuild_and_a_lost_index_keep_the_cells(grown, tmp_path):
    import shutil

    src, x = grown
    folder = tmp_path / "c"
    shutil.copytree(src, folder)
    with Collection.open(folder) as c:
        kind = c.dense.kind
        c.delete(["d6"])
        assert c.dense.tombstones and 7 not in c.dense_search(x[6:7], 50)[1][0]
        allowed = np.arange(1, 6001, 3, dtype=np.int64)  # a filter through the fast-scan IVF
        _, got = c.dense.search(x[9:12], 10, allowed)
        assert set(got[got >= 0].tolist()) <= set(allowed.tolist()) and got[0, 0] == 10
        assert 7 not in c.dense.search(x[6:7], 10, allowed)[1][0]  # allowed, but gone
        c.rebuild()
        assert c.dense.kind == kind and not c.dense.tombstones and len(c.dense) == 5999
        assert own_search(c.dense) == (128, IVF_K_FACTOR)
    for f in folder.glob("dense-*.faiss"):
        f.unlink()  # lost: rebuilt from the catalog with the cells it had
    with pytest.warns(Warning, match="rebuilt from the catalog"):
        c = Collection.open(folder)
    with c:
        assert c.dense.kind == kind and c.dense_search(x[9:10], 1)[1][0, 0] == 10
    assert check_collection(folder).ok


def test_shrinking_below_the_threshold_goes_back_to_hnsw(tmp_path):
    x = clustered(1500)
    with Collection.create(tmp_path / "c", encoder=E5, hnsw_threshold=300, ivf_threshold=1000) as c:
        events = []
        c.progress = events.append  # what `index add` sets: a rebuild inside a flush is told
        c.add(docs(1500), vectors=x)
        c.flush()
        assert c.dense.kind.startswith("IVF64_")
        assert [e.message for e in events if e.kind == "note"] == [
            "1,500 documents: the dense index is rebuilt as IVF64_HNSW32,PQ192x4fsr,RFlat (was Flat)"
        ]
        c.delete([f"d{i}" for i in range(700)])
        c.flush()
        assert c.dense.kind == "HNSW32,Flat" and len(c.dense) == 800
        assert c.dense_search(x[900:901], 1)[1][0, 0] == 901


def test_a_collection_made_before_the_tier_never_switches(tmp_path):
    folder = tmp_path / "old"
    x = clustered(1500)
    with Collection.create(folder, encoder=E5, hnsw_threshold=300, ivf_threshold=1000) as c:
        c.add(docs(200), vectors=x[:200])
    m = json.loads((folder / "manifest.json").read_text())
    for name in ("huge", "ivf_threshold"):
        m["dense"].pop(name)  # as a manifest written before them
    (folder / "manifest.json").write_text(json.dumps(m))
    with Collection.open(folder) as c:
        c.add(docs(1300, start=200), vectors=x[200:])
        c.flush()
        assert c.dense.kind == "HNSW32,Flat"


@pytest.mark.parametrize("huge", ["IVFauto,Flat", "HNSW32,Flat"])  # the second: HNSW at any size
def test_a_user_huge_factory_is_kept(tmp_path, huge):
    x = clustered(1500)
    with Collection.create(
        tmp_path / "a", encoder=E5, hnsw_threshold=300, ivf_threshold=1000, huge=huge
    ) as c:
        c.add(docs(1500), vectors=x)
        c.flush()
        assert c.dense.kind == huge
