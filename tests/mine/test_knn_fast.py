"""``ivf-blas``: the cell-by-cell IVF k-NN for large mining, against exact search on structured
vectors shaped like e5's (one large shared direction, topics, noise, hidden translations)."""

import numpy as np
import pytest

from interlingua.mine import _knn, knn, mine_embeddings, neighbours, resolve_backend


def _norm(x):
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)


def e5_like(n_src=3000, n_tgt=3000, n_gold=300, d=64, topics=40, seed=0):
    """Unrelated pairs at cosine ~0.8 (the shared direction), same topic higher, translations noisy copies."""
    rng = np.random.default_rng(seed)
    shared = _norm(rng.normal(size=(1, d)))[0] * 1.7
    centres = _norm(rng.normal(size=(topics, d))) * 0.6

    def side(n):
        return shared + centres[rng.integers(0, topics, n)] + 0.8 * rng.normal(size=(n, d)) / np.sqrt(d)

    src_raw, tgt_raw = side(n_src), side(n_tgt)
    gs, gt = rng.choice(n_src, n_gold, replace=False), rng.choice(n_tgt, n_gold, replace=False)
    tgt_raw[gt] = src_raw[gs] + 0.5 * rng.normal(size=(n_gold, d)) / np.sqrt(d)
    return _norm(src_raw), _norm(tgt_raw), set(zip(gs.tolist(), gt.tolist()))


@pytest.fixture(scope="module")
def data():
    return e5_like()


def _recall(found, exact):
    return np.mean([len(set(a) & set(b)) / len(b) for a, b in zip(found, exact)])


def test_neighbours_match_exact_search(data):
    src, tgt, _ = data
    es, ei = knn(src, tgt, 4, backend="exact")
    s, i = knn(src, tgt, 4, backend="ivf-blas", block_size=1000)
    assert _recall(i, ei) >= 0.95
    # scores are exact inner products of the rows returned, best first
    np.testing.assert_allclose(s, np.einsum("nd,nkd->nk", src, tgt[i]), atol=1e-5)
    assert np.all(np.diff(s, axis=1) <= 0)
    # probing every cell is exact search
    s_all, i_all = knn(src, tgt, 4, backend="ivf-blas", nprobe=10_000)
    np.testing.assert_array_equal(i_all, ei)
    np.testing.assert_allclose(s_all, es, atol=1e-5)


def test_more_cells_probed_find_more(data):
    src, tgt, _ = data
    _, ei = knn(src, tgt, 4, backend="exact")
    recalls = [_recall(knn(src, tgt, 4, backend="ivf-blas", nprobe=p)[1], ei) for p in (1, 4, 16)]
    assert recalls[0] < recalls[1] <= recalls[2]


def test_planted_translations_are_mined(data):
    src, tgt, gold = data
    exact = mine_embeddings(src, tgt, knn="exact", mode="intersection")
    c = mine_embeddings(src, tgt, knn="ivf-blas", mode="intersection")
    found, ref = set(zip(c.src.tolist(), c.tgt.tolist())), set(zip(exact.src.tolist(), exact.tgt.tolist()))
    assert len(found & gold) >= 0.98 * len(ref & gold)


def test_deterministic_and_independent_of_block_size_changes_only_by_block(data, tmp_path):
    src, tgt, _ = data
    a = knn(src, tgt, 4, backend="ivf-blas", block_size=700)
    b = knn(src, tgt, 4, backend="ivf-blas", block_size=700)
    for x, y in zip(a, b):
        np.testing.assert_array_equal(x, y)
    # a memory-mapped database gives the same lists as one in memory
    np.save(tmp_path / "tgt.npy", tgt)
    c = knn(src, np.load(tmp_path / "tgt.npy", mmap_mode="r"), 4, backend="ivf-blas", block_size=700)
    for x, y in zip(a, c):
        np.testing.assert_array_equal(x, y)


def test_resume_recomputes_only_missing_blocks(data, tmp_path):
    src, tgt, _ = data
    work = tmp_path / "work"
    first = neighbours(src, tgt, 4, knn="ivf-blas", block_size=500, work_dir=work)
    assert first.blocks.computed == 12 and first.backend == "ivf-blas"
    for f in sorted(work.glob("fwd-*.npz"))[2:4] + sorted(work.glob("bwd-*.npz"))[-1:]:
        f.unlink()  # as if the run had been killed before these blocks
    again = neighbours(src, tgt, 4, knn="ivf-blas", block_size=500, work_dir=work)
    assert (again.blocks.reused, again.blocks.computed) == (9, 3)
    for x, y in zip((*first.fwd, *first.bwd), (*again.fwd, *again.bwd)):
        np.testing.assert_array_equal(x, y)


def test_cells_and_small_inputs():
    assert _knn.cell_lists(1_000_000) == 4000 and _knn.cell_lists(100) == 2
    tiny_src, tiny_tgt, _ = e5_like(30, 5, 2, d=8, topics=3)
    s, i = knn(tiny_src, tiny_tgt, 4, backend="ivf-blas")  # one cell: exact
    es, ei = knn(tiny_src, tiny_tgt, 4, backend="exact")
    np.testing.assert_array_equal(i, ei)
    assert _knn.uses_nprobe("ivf-blas") and _knn.uses_nprobe("ivf") and not _knn.uses_nprobe("exact")


def test_auto_picks_the_measured_winner_for_large_inputs():
    assert resolve_backend("auto", 1_000_000, 1_000_000) == _knn.LARGE_BACKEND == "ivf-blas"
    assert resolve_backend("auto", 10_000, 10_000) == "faiss"
