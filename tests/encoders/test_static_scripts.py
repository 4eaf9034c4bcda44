"""Script centering of a static student's table (``_static_scripts``)."""

import numpy as np

from interlingua.encoders._static_scripts import MIN_PIECES, center_scripts, piece_script


def test_a_piece_takes_the_script_of_its_first_letter():
    assert piece_script("▁Katze") == "LATIN"
    assert piece_script("▁кот") == "CYRILLIC"
    assert piece_script("猫") == "HAN"
    assert piece_script("ねこ") == "KANA" and piece_script("カタ") == "KANA"
    assert piece_script("▁قط") == "ARABIC"
    assert piece_script("▁12,") == "COMMON" and piece_script("▁") == "COMMON"
    assert piece_script("1a") == "LATIN"  # the first letter, after digits


def test_each_script_loses_its_weighted_mean_and_the_rest_keeps_its_rows():
    rng = np.random.default_rng(0)
    pieces = [f"▁lat{i}" for i in range(80)] + [f"▁кир{i}" for i in range(60)]
    pieces += [f"{i}" for i in range(30)] + [f"▁αβ{i}" for i in range(MIN_PIECES - 1)]
    table = rng.normal(size=(len(pieces), 6)).astype(np.float32) + 3.0
    p = rng.random(len(pieces))
    out, info = center_scripts(table, pieces, p)
    assert info["scripts"] == {"LATIN": 80, "CYRILLIC": 60}
    for rows in (slice(0, 80), slice(80, 140)):
        w = p[rows] / p[rows].sum()
        np.testing.assert_allclose(w @ out[rows], 0.0, atol=1e-5)
        # a shift only: differences between rows of one script stay
        np.testing.assert_allclose(
            out[rows][1:] - out[rows][:-1], table[rows][1:] - table[rows][:-1], atol=1e-5
        )
    np.testing.assert_array_equal(out[140:], table[140:])  # digits, and a script with too few pieces
    assert out.dtype == np.float32 and not np.shares_memory(out, table)
