"""Each filter removes what it should, keeps what it should, is counted and can be switched off."""

import pytest

from interlingua.errors import UnknownNameError
from interlingua.mine import FILTERS, apply_filters
from interlingua.mine._filters import is_copy, is_noise, text_length

GOOD = ("Der Hund schläft auf dem Sofa.", "The dog is sleeping on the sofa.")


def run(pairs, **kw):
    keep, report = apply_filters([p[0] for p in pairs], [p[1] for p in pairs], **kw)
    return keep, report


def test_noise():
    assert is_noise("12.30 - 14.45 (2019) !!!")
    assert is_noise("https://example.com/a/b?c=1 42")
    assert not is_noise("Visit https://example.com for the full schedule of trains.")
    keep, r = run([GOOD, ("1 2 3 4 5 6", "1 2 3 4 5 6 !")])
    assert keep == [True, False] and r.removed["noise"] == 1


def test_copy():
    assert is_copy("Hello, World!", "hello world")
    assert is_copy("The European Union summit", "The European Union summit.")
    assert not is_copy(*GOOD)
    keep, r = run([GOOD, ("Barack Obama visited Paris.", "Barack Obama visited Paris!")])
    assert keep == [True, False] and r.removed["copy"] == 1


def test_length_ratio_counts_cjk_wide():
    assert text_length("我喜欢猫") == 12  # four Han characters, weighted 3 each
    keep, r = run(
        [GOOD, ("Ja.", "Yes, I think that this is certainly the case for most of the people here.")]
    )
    assert keep == [True, False] and r.removed["length"] == 1
    keep, _ = run([("我喜欢猫。", "I like cats.")])
    assert keep == [True]
    keep, _ = run(
        [GOOD, ("Ja.", "Yes, I think that this is certainly the case for most of the people here.")],
        max_length_ratio=30.0,
    )
    assert keep == [True, True]


def test_language():
    pairs = [GOOD, ("The dog sleeps on the sofa today.", "The dog is sleeping on the sofa.")]
    keep, r = run(pairs, src_lang="deu", tgt_lang="en")
    assert keep == [True, False] and r.removed["lang"] == 1
    keep, r = run(pairs)  # no expected language: the filter cannot apply and says so
    assert keep == [True, True] and r.removed["lang"] is None


def test_duplicates_keep_the_first():
    keep, r = run([GOOD, ("Der Hund schläft auf dem Sofa!", "the dog is sleeping on the sofa"), GOOD])
    assert keep == [True, False, False] and r.removed["duplicate"] == 2


def test_switching_off():
    pairs = [("1 2 3 4 5 6", "1 2 3 4 5 6 !"), GOOD, GOOD]
    keep, r = run(pairs, filters=[f for f in FILTERS if f not in ("noise", "duplicate")])
    assert keep == [False, True, True]  # the noisy pair is now caught as a copy
    assert r.removed == {"noise": None, "copy": 1, "length": 0, "lang": None, "duplicate": None}
    assert (r.seen, r.kept) == (3, 2)
    with pytest.raises(UnknownNameError, match="mining filter 'nosie'; known: copy"):
        run(pairs, filters=["nosie"])
