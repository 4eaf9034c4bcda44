"""Reference values: the ratio and distance margins on hand-computed examples (Artetxe & Schwenk 2019)."""

import numpy as np
import pytest

from interlingua.mine import margin, mine_embeddings, select_pairs


def test_margin_functions():
    assert margin(np.float32(0.9), np.float32(0.725), "ratio") == pytest.approx(0.9 / 0.725)
    assert margin(np.float32(0.9), np.float32(0.725), "distance") == pytest.approx(0.175)
    assert margin(np.float32(0.9), np.float32(0.725), "absolute") == pytest.approx(0.9)


# Neighbour lists written by hand (k = 2):
#   x0: y0 0.9, y1 0.5  -> mean 0.70      y0: x0 0.9, x1 0.6 -> mean 0.75
#   x1: y1 0.8, y0 0.6  -> mean 0.70      y1: x1 0.8, x0 0.5 -> mean 0.65
# ratio(x0, y0) = 0.9 / ((0.70 + 0.75) / 2) = 0.9 / 0.725 = 1.2413793
# ratio(x1, y1) = 0.8 / ((0.70 + 0.65) / 2) = 0.8 / 0.675 = 1.1851852
# ratio(x1, y0) = 0.6 / 0.725 = 0.8275862;  ratio(x0, y1) = 0.5 / 0.675 = 0.7407407
FWD = (np.array([[0.9, 0.5], [0.8, 0.6]], np.float32), np.array([[0, 1], [1, 0]]))
BWD = (np.array([[0.9, 0.6], [0.8, 0.5]], np.float32), np.array([[0, 1], [1, 0]]))


def test_ratio_margin_pinned():
    c = select_pairs(FWD, BWD, margin="ratio", mode="forward")
    assert c.src.tolist() == [0, 1] and c.tgt.tolist() == [0, 1]
    np.testing.assert_allclose(c.score, [1.2413793, 1.1851852], rtol=1e-6)
    np.testing.assert_allclose(c.cosine, [0.9, 0.8], rtol=1e-6)


def test_distance_margin_pinned():
    c = select_pairs(FWD, BWD, margin="distance", mode="backward")
    np.testing.assert_allclose(c.score, [0.9 - 0.725, 0.8 - 0.675], rtol=1e-5)


def test_ratio_margin_on_vectors():
    # cos(a, d) = 0.8, cos(a, c) = 0.6, cos(b, c) = 0.8, cos(b, d) = 0.6: every mean over k=2 is 0.7
    src = np.array([[1, 0], [0, 1]], np.float32)
    tgt = np.array([[0.6, 0.8], [0.8, 0.6]], np.float32)
    c = mine_embeddings(src, tgt, k=2, mode="max")
    assert sorted(zip(c.src.tolist(), c.tgt.tolist())) == [(0, 1), (1, 0)]
    np.testing.assert_allclose(c.score, [0.8 / 0.7] * 2, rtol=1e-6)
