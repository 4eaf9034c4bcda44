"""Mining finds pairs planted among structured noise, with every backend and mode."""

import numpy as np
import pytest

from interlingua.errors import InputError
from interlingua.mine import mine_embeddings, neighbours, select_pairs


def _norm(x):
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)


def planted(n_src=3000, n_tgt=3500, n_gold=200, d=48, seed=0):
    """Clustered vectors (topics), with ``n_gold`` targets that are noisy copies of sources."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(30, d))
    src = _norm(centres[rng.integers(0, 30, n_src)] + 0.9 * rng.normal(size=(n_src, d)))
    tgt = _norm(centres[rng.integers(0, 30, n_tgt)] + 0.9 * rng.normal(size=(n_tgt, d)))
    gs, gt = rng.choice(n_src, n_gold, replace=False), rng.choice(n_tgt, n_gold, replace=False)
    tgt[gt] = _norm(src[gs] + 0.3 * rng.normal(size=(n_gold, d)) / np.sqrt(d))
    return src, tgt, set(zip(gs.tolist(), gt.tolist()))


@pytest.mark.parametrize("backend", ["exact", "faiss", "ivf", "hnsw"])
def test_planted_pairs_are_found(backend):
    src, tgt, gold = planted()
    c = mine_embeddings(src, tgt, knn=backend, threshold=1.13, nprobe=8)
    found = set(zip(c.src.tolist(), c.tgt.tolist()))
    assert len(found & gold) >= 0.95 * len(gold)
    assert len(found - gold) <= 0.05 * len(gold)
    assert np.all(np.diff(c.score) <= 0)  # best first
    np.testing.assert_allclose(c.cosine, np.sum(src[c.src] * tgt[c.tgt], axis=1), atol=1e-5)


def test_modes_follow_laser_definitions():
    src, tgt, gold = planted(600, 700, 60)
    fwd, bwd, *_ = neighbours(src, tgt, 4, knn="exact")
    f = select_pairs(fwd, bwd, mode="forward")
    b = select_pairs(fwd, bwd, mode="backward")
    i = select_pairs(fwd, bwd, mode="intersection")
    m = select_pairs(fwd, bwd, mode="max")
    assert sorted(f.src.tolist()) == list(range(600))  # one best target for every source
    assert sorted(b.tgt.tolist()) == list(range(700))
    fs, bs = set(zip(f.src.tolist(), f.tgt.tolist())), set(zip(b.src.tolist(), b.tgt.tolist()))
    assert set(zip(i.src.tolist(), i.tgt.tolist())) == fs & bs
    ms = set(zip(m.src.tolist(), m.tgt.tolist()))
    assert ms <= fs | bs
    assert len(set(m.src.tolist())) == len(m) and len(set(m.tgt.tolist())) == len(m)  # each used once
    assert gold <= ms


def test_top_and_threshold():
    src, tgt, _ = planted(500, 500, 50)
    assert len(mine_embeddings(src, tgt, top=7)) == 7
    c = mine_embeddings(src, tgt, threshold=1.2)
    assert len(c) and c.score.min() >= 1.2


def test_bad_embeddings():
    src, tgt, _ = planted(100, 100, 10)
    with pytest.raises(InputError, match="dimension 47, the other side has 48"):
        mine_embeddings(src, tgt[:, :47])
    with pytest.raises(InputError, match="empty"):
        mine_embeddings(src[:0], tgt)
    with pytest.raises(InputError, match="'margin.mode' parameter"):
        mine_embeddings(src, tgt, mode="both")
    with pytest.raises(InputError, match="'knn.k' parameter"):
        mine_embeddings(src, tgt, k=0)
