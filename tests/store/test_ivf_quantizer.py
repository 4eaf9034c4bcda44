"""An IVF whose coarse quantizer is an HNSW graph (``IVF16384_HNSW32,...``) probes the cells it is
asked to: the quantizer searches at least ``nprobe`` wide, whatever its own efSearch says (faiss
keeps the graph's own efSearch otherwise, 16 by default). IVF indexes of many cells train on 20
vectors a cell."""

from __future__ import annotations

import numpy as np
import pytest

from interlingua._faiss import index_params, make_index


def unit(n, d=32, seed=0):
    x = np.random.default_rng(seed).standard_normal((n, d)).astype(np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


@pytest.mark.parametrize("factory", ["IVF1024_HNSW32,Flat", "IVF1024_HNSW32,Flat,RFlat"])
def test_every_cell_probed_is_exact_search(factory):
    import faiss

    x, q = unit(30_000), unit(50, seed=1)
    index = faiss.IndexIDMap2(make_index(factory, 32, ef_construction=40))
    index.train(x)
    index.add_with_ids(x, np.arange(1, len(x) + 1, dtype=np.int64))
    graph = faiss.downcast_index(faiss.extract_index_ivf(index).quantizer).hnsw
    graph.efSearch = 1  # on its own a graph this narrow finds a fifth of the 64 nearest cells
    assert graph.efConstruction == 40  # the build breadth reaches the coarse graph too
    truth = np.argsort(-(q @ x.T), axis=1)[:, :10] + 1
    _, found = index.search(q, 10, params=index_params(index, k=10, nprobe=1024, k_factor=2))
    assert (found == truth).all()  # all 1,024 cells: exhaustive
    _, narrow = index.search(q, 10, params=index_params(index, k=10, nprobe=2, k_factor=2))
    assert (narrow != truth).any()  # a real IVF: two cells of 1,024 miss neighbours


def test_training_sample_grows_with_the_cells():
    import faiss

    from interlingua._faiss import training_size

    assert training_size(make_index("HNSW32,Flat", 8), 10**6) == 100_000
    assert training_size(make_index("IVF4000,Flat", 8), 10**6) == 100_000
    assert training_size(make_index("IVF16384_HNSW32,PQ4x4fsr,RFlat", 8), 10**6) == 327_680
    assert training_size(faiss.IndexIDMap2(make_index("IVF16384,Flat", 8)), 200_000) == 200_000
