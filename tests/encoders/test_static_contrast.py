"""The contrastive fit's parts: groups of linked lines, and the InfoNCE gradient."""

import numpy as np

from interlingua.encoders._static_contrast import _info_nce, groups_of


def test_lines_sharing_a_text_are_one_group():
    pairs = [("a", "en1"), ("b", "en1"), ("c", "en2"), ("d", "c"), ("e", "en3"), ("en3", "f")]
    g = groups_of(pairs)
    assert g[0] == g[1] and g[2] == g[3] and g[4] == g[5]
    assert len({g[0], g[2], g[4]}) == 3 and sorted(set(g.tolist())) == [0, 1, 2]


def test_the_info_nce_gradients_match_finite_differences():
    rng = np.random.default_rng(1)
    b, d = 5, 6
    h = rng.normal(size=(2 * b, d))
    w = np.eye(d) + 0.3 * rng.normal(size=(d, d))
    loss, (grad_h, grad_r) = _info_nce(h, w, b, 0.3)
    assert loss > 0
    grad_w = h.T @ grad_r
    step = 1e-6
    for x, grad in ((h, grad_h), (w, grad_w)):
        for idx in [(0, 0), (3, 2), (x.shape[0] - 1, d - 1)]:
            old = x[idx]
            x[idx] = old + step
            up = _info_nce(h, w, b, 0.3)[0]
            x[idx] = old - step
            down = _info_nce(h, w, b, 0.3)[0]
            x[idx] = old
            assert abs((up - down) / (2 * step) - grad[idx]) < 1e-5 * max(1.0, abs(grad[idx]))
    # a batch whose pairs are already far apart from the others costs almost nothing
    far = np.vstack([np.eye(d)[:b] * 10, np.eye(d)[:b] * 10])
    assert _info_nce(far, np.eye(d), b, 0.05)[0] < 1e-6
