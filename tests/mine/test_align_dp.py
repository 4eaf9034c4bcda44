"""Sentence-alignment search without a model: the DP core, planted alignments, the band."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from interlingua.errors import InputError
from interlingua.mine._align_dp import band_around, banded_dp, downsample
from interlingua.mine._align_synth import synthetic_pair
from interlingua.mine._sentalign import Alignment, align_window_embeddings, alignment_moves


def links(alignments):
    return [(a.src, a.tgt) for a in alignments]


def brute_force(n, m, moves, cost):
    """Textbook DP over the whole grid, one cell at a time."""
    best = {(0, 0): 0.0}
    for i, j in itertools.product(range(n + 1), range(m + 1)):
        if (i, j) == (0, 0):
            continue
        cands = [
            best[(i - a, j - b)] + cost(a, b, i - a, j - b, j - b + 1)[0]
            for a, b in moves
            if i >= a and j >= b
        ]
        best[(i, j)] = min(cands)
    return best[(n, m)]


@pytest.mark.parametrize("seed", range(4))
def test_banded_dp_matches_brute_force_on_random_costs(seed):
    rng = np.random.default_rng(seed)
    n, m = 9, 11
    moves = alignment_moves(3)
    table = {mv: rng.random((n + 1, m + 1)) for mv in moves if mv[0] and mv[1]}
    penalty = 0.37

    def cost(a, b, i0, js, je):
        if a == 0 or b == 0:
            return np.full(je - js, penalty)
        return table[(a, b)][i0, js:je]

    points, costs = banded_dp(n, m, moves, cost)
    assert points[0] == (0, 0) and points[-1] == (n, m)
    assert sum(costs) == pytest.approx(brute_force(n, m, moves, cost))
    steps = {(i1 - i0, j1 - j0) for (i0, j0), (i1, j1) in zip(points, points[1:])}
    assert steps <= set(moves)


def test_planted_alignment_with_deletions_and_merges_is_recovered():
    src, tgt, gold = synthetic_pair(60, seed=3)
    kinds = {(len(a.src), len(a.tgt)) for a in gold}
    assert {(1, 0), (0, 1), (2, 1), (1, 2), (1, 1)} <= kinds  # the example plants every link type
    got = align_window_embeddings(src, tgt, search="full")
    assert links(got) == links(gold)
    assert all(isinstance(a, Alignment) and a.score >= 0 for a in got)


def test_hand_planted_merge_and_deletion():
    rng = np.random.default_rng(0)
    meanings = rng.standard_normal((6, 384)).astype(np.float32)
    common = rng.standard_normal(384).astype(np.float32) * 2

    def unit(v):
        return v / np.linalg.norm(v)

    # source: 0 1 2 3 4 5 ; target: 0, (1+2), 3, 5 -> 0-0, [1,2]-1, 3-2, 4-(), 5-3
    src = np.stack([unit(common + meanings[i]) for i in range(6)])
    tgt = np.stack(
        [unit(common + v) for v in (meanings[0], meanings[1] + meanings[2], meanings[3], meanings[5])]
    )

    def windows(x):
        out = np.zeros((2, len(x), 384), dtype=np.float32)
        out[0] = x
        out[1, :-1] = [unit(x[i] + x[i + 1]) for i in range(len(x) - 1)]
        return out

    got = align_window_embeddings(windows(src), windows(tgt))
    assert links(got) == [((0,), (0,)), ((1, 2), (1,)), ((3,), (2,)), ((4,), ()), ((5,), (3,))]


@pytest.mark.parametrize("seed", range(3))
def test_banded_search_agrees_with_full_dp(seed):
    src, tgt, _ = synthetic_pair(120, seed=seed, noise=0.6)
    full = align_window_embeddings(src, tgt, search="full")
    banded = align_window_embeddings(src, tgt, search="banded", full_cells=0)
    assert links(banded) == links(full)


@pytest.mark.slow
def test_ten_thousand_sentences_align_correctly():
    src, tgt, gold = synthetic_pair(10_000, seed=11)
    assert src.shape[1] > 9_900 and tgt.shape[1] > 9_900
    got = align_window_embeddings(src, tgt)
    g, p = set(links(gold)), set(links(got))
    assert 2 * len(g & p) / (len(g) + len(p)) > 0.995


def test_band_contains_the_coarse_path_and_the_end():
    lo, hi = band_around([(0, 0), (1, 1), (2, 2), (3, 2)], 2, 6, 4, 3)
    assert lo[0] == 0 and hi[6] == 5
    assert (lo <= hi - 1).all() and (np.diff(lo) >= 0).all() and (np.diff(hi) >= 0).all()


def test_downsample_averages_pairs():
    x = np.eye(3, dtype=np.float32)
    y = downsample(x)
    assert y.shape == (2, 3)
    np.testing.assert_allclose(y[0], [2**-0.5, 2**-0.5, 0], atol=1e-6)
    np.testing.assert_allclose(y[1], [0, 0, 1], atol=1e-6)


def test_bad_window_arrays_are_refused():
    with pytest.raises(InputError, match="src_windows"):
        align_window_embeddings(np.zeros((3, 0, 8), np.float32), np.ones((3, 2, 8), np.float32))
    with pytest.raises(InputError, match="same max_size and dimension"):
        align_window_embeddings(np.ones((3, 2, 8), np.float32), np.ones((3, 2, 4), np.float32))
    with pytest.raises(InputError, match="'search'"):
        align_window_embeddings(np.ones((1, 2, 8), np.float32), np.ones((1, 2, 8), np.float32), search="fast")
