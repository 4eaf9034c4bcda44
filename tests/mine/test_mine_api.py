"""``mine()`` on lists of texts with the real e5-small encoder."""

import pytest

from interlingua.errors import InputError
from interlingua.mine import DEFAULT_THRESHOLDS, BitextPair, MineOptions, mine, mine_texts

FR = [
    "Le chat dort sur le canapé.",
    "Il pleut depuis ce matin.",
    "J'ai oublié mes clés à la maison.",
    "Le train part à huit heures.",
    "Nous avons mangé une pizza hier soir.",
]
EN = [
    "The train leaves at eight o'clock.",
    "Quantum computers use qubits.",
    "The cat is sleeping on the couch.",
    "It has been raining since this morning.",
    "The museum is closed on Tuesdays.",
    "I forgot my keys at home.",
    "Bananas are rich in potassium.",
]


def test_mine_texts(e5):
    options = MineOptions(src_lang="fr", tgt_lang="en", cache=False)
    report = mine_texts(FR, EN, options, space=e5, src_ids=[f"fr{i}" for i in range(5)])
    pairs = list(report.results)
    assert pairs == mine(
        FR, EN, model=e5, src_ids=[f"fr{i}" for i in range(5)], src_lang="fr", tgt_lang="en", use_cache=False
    )
    assert all(isinstance(p, BitextPair) for p in pairs)
    found = {(p.src_id, p.tgt_id) for p in pairs}
    assert {("fr0", "3"), ("fr1", "4"), ("fr2", "6"), ("fr3", "1")} <= found
    assert ("fr4", "5") not in found  # pizza has no translation: must not pair with the museum
    shipped = DEFAULT_THRESHOLDS[(report.space, "query")]["ratio"]
    assert report.threshold == pytest.approx(shipped) and report.filters.removed["lang"] == 0
    assert report.threshold_source.startswith("shipped default") and report.calibration == "shipped"
    assert pairs[0].score >= pairs[-1].score and 0.8 < pairs[0].cosine < 1.0


def test_mine_bad_input(e5):
    with pytest.raises(InputError, match="'tgt' side is empty"):
        mine(FR, [], model=e5)
    with pytest.raises(InputError, match="3 ids"):
        mine(FR, EN, src_ids=["a", "b", "c"], model=e5)
    with pytest.warns(UserWarning, match="same language"):
        mine(FR, FR, model=e5, src_lang="fr", tgt_lang="fra", top=2, use_cache=False)
