"""Reference test: Tatoeba accuracy and xsim pinned on a hand-made example (no model).

Four sentences and their four translations, given as vectors. Target 2 is a hub (close to
several sources), so plain cosine sends source 3 to it; ratio margin (k = 2) does not.

    cos(x, y)   y1     y2     y3     y4
    x1        0.889  0.837  0.478  0.802
    x2        0.981  0.632  0.316  0.707
    x3        0.490  0.877  0.789  0.588
    x4        0.496  1.000  0.400  0.894
"""

from __future__ import annotations

import numpy as np
import pytest

from interlingua.evaluate import PrecomputedEncoder, RunConfig, bitext_retrieval, bitext_scores, run_eval

X = np.array([[1, 2, 3], [0, 4, 4], [4, 1, 3], [2, 0, 4]], dtype=np.float32)
Y = np.array([[0, 3, 2], [2, 0, 4], [2, 1, 0], [0, 0, 3]], dtype=np.float32)


def unit(a):
    return a / np.linalg.norm(a, axis=1, keepdims=True)


def test_margin_matches_the_formula_by_hand():
    x, y = unit(X), unit(Y)
    cos = x @ y.T
    # ratio margin of (x3, y3) with k = 2: cos / ((mean top-2 of x3's row + mean top-2 of y3's column) / 2)
    row = np.sort(cos[2])[-2:].mean()
    col = np.sort(cos[:, 2])[-2:].mean()
    expected = cos[2, 2] / ((row + col) / 2)
    got = bitext_scores(x, y, "margin", k=2)[2, 2]
    assert got == pytest.approx(expected, rel=1e-6)
    assert got == pytest.approx(1.076, abs=1e-3)


def test_accuracy_and_xsim_pinned():
    x, y = unit(X), unit(Y)
    assert bitext_retrieval(x, y, "cosine", k=2) == pytest.approx(
        {"acc_src2tgt": 25.0, "acc_tgt2src": 50.0, "acc": 37.5, "xsim_error": 75.0}
    )
    assert bitext_retrieval(x, y, "margin", k=2) == pytest.approx(
        {"acc_src2tgt": 50.0, "acc_tgt2src": 50.0, "acc": 50.0, "xsim_error": 50.0}
    )


def test_tatoeba_task_with_injected_vectors(tmp_path):
    src = [f"Satz {i}" for i in range(4)]
    eng = [f"sentence {i}" for i in range(4)]
    (tmp_path / "tatoeba.deu-eng.deu").write_text("\n".join(src) + "\n", encoding="utf-8")
    (tmp_path / "tatoeba.deu-eng.eng").write_text("\n".join(eng) + "\n", encoding="utf-8")
    # a second language where every vector is its translation's: 100 % both ways
    (tmp_path / "tatoeba.fra-eng.fra").write_text("phrase 0\nphrase 1\n", encoding="utf-8")
    (tmp_path / "tatoeba.fra-eng.eng").write_text("sentence 0\nsentence 1\n", encoding="utf-8")
    vectors = {**dict(zip(src, X)), **dict(zip(eng, Y)), "phrase 0": Y[0], "phrase 1": Y[1]}
    enc = PrecomputedEncoder(vectors)
    rec = run_eval(RunConfig(task="tatoeba", data=str(tmp_path), options={"k": 2}), encoder=enc)
    per = rec["result"]["per_language"]
    assert per["deu"]["acc_cosine_xx2en"] == pytest.approx(25.0)
    assert per["deu"]["acc_cosine_en2xx"] == pytest.approx(50.0)
    assert per["deu"]["xsim_cosine"] == pytest.approx(75.0)
    assert per["deu"]["acc_margin_xx2en"] == pytest.approx(50.0)
    assert per["deu"]["xsim_margin"] == pytest.approx(50.0)
    assert per["fra"]["acc_cosine"] == pytest.approx(100.0)
    m = rec["result"]["metrics"]
    assert m["acc_cosine"] == pytest.approx((37.5 + 100) / 2)
    assert m["acc_margin"] == pytest.approx((50 + 100) / 2)
    assert rec["result"]["primary_metric"] == "acc_margin"
    only_de = run_eval(
        RunConfig(task="tatoeba", data=str(tmp_path), languages=["de"], scoring="cosine", options={"k": 2}),
        encoder=enc,
    )
    assert list(only_de["result"]["per_language"]) == ["deu"]
    assert "acc_margin" not in only_de["result"]["metrics"]
