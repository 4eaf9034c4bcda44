"""The student's word cache gives the teacher tokenizer's pieces on any text (or, where two
segmentations of a word tie, one of the same score)."""

import random

import numpy as np
import pytest

from interlingua.encoders._e5 import bundled_model_path
from interlingua.encoders._e5file import read_e5_file
from interlingua.encoders._static import student_pieces, student_tokenizer
from interlingua.encoders._static_pieces import PieceCache, unigram_segmenter

# Sentences in several scripts, written for this test; then the text shapes the cache must not
# get wrong: spaces at either end or doubled, characters the normalizer drops or turns into a
# space, "▁" itself, combining marks after a space, NFKC expansions that start with a space (´).
TEXTS = [
    "The cat sleeps on the warm windowsill.",
    "Die Katze schläft auf der warmen Fensterbank.",
    "Кошка спит на тёплом подоконнике.",
    "猫は暖かい窓辺で眠っている。",
    "القطة تنام على حافة النافذة الدافئة.",
    "बिल्ली गर्म खिड़की पर सोती है।",
    "Η γάτα κοιμάται στο ζεστό περβάζι.",
    "",
    " ",
    "   ",
    " leading",
    "trailing ",
    "two  spaces",
    "tab\tinside",
    "tab\t before",
    "nbsp\u00a0inside and\u00a0 around\u00a0",
    "control\x01char \x01 alone",
    "▁meta ▁ a▁b ▁▁",
    "e\u0301 \u0301mark after a space",
    "accent \u00b4 and ´x",
    "ﬁne ｆｕｌｌｗｉｄｔｈ ｶﾞ",
    "zero\u200bwidth \u200b",
    "line\nbreak \n end\n",
    "\u3000ideographic\u3000space\u3000",
]


@pytest.fixture(scope="module")
def tok():
    return student_tokenizer(bundled_model_path())[0]


@pytest.fixture(scope="module")
def teacher():
    return read_e5_file(bundled_model_path())


@pytest.fixture(scope="module")
def segment(teacher):
    f = teacher
    return unigram_segmenter(f.pieces, f.scores, f.unk, (f.bos, f.eos, f.pad))


def reference(tok, texts):
    encs = tok.encode_batch_fast(list(texts), add_special_tokens=False)
    return [e.ids for e in encs]


def split(flat, lens):
    return [part.tolist() for part in np.split(flat, np.cumsum(lens)[:-1])]


def assert_same_pieces(got, want, scores):
    """Equal, or equal in total score (to float32 sums) where Viterbi broke a tie (never a worse path)."""
    for g, w in zip(got, want, strict=True):
        if g != w:
            assert sum(scores[i] for i in g) == pytest.approx(sum(scores[i] for i in w), abs=1e-4), (g, w)
            assert len(g) == len(w)


@pytest.fixture(params=["tokenizer", "sentencepiece"])
def make(request, tok, segment):
    """A cache whose new words are segmented by the tokenizer (exact) or by sentencepiece."""
    seg = segment if request.param == "sentencepiece" else None
    return lambda capacity=1 << 17: PieceCache(tok, seg, capacity)


@pytest.fixture
def same(teacher, make):
    exact = make()._segment is None

    def check(got, want):
        if exact:
            assert got == want
        else:
            assert_same_pieces(got, want, teacher.scores)

    return check


def test_the_cache_gives_the_tokenizers_pieces_cold_and_warm(tok, make, same):
    cache = make()
    want = reference(tok, TEXTS)
    same(split(*cache.flat(TEXTS)), want)
    assert len(cache) > 0
    same(split(*cache.flat(TEXTS)), want)  # now every word comes from the cache
    same(split(*cache.flat(TEXTS[::-1])), want[::-1])


def test_random_text_built_from_awkward_characters(tok, make, same):
    pool = list("ab cé\u0301 \u00a0\t\n\x01\u2581\u00b4\u3000字ｱﾞ  xyz\u200b\u0308\ufb01\ue000.…")
    rng = random.Random(7)
    texts = ["".join(rng.choice(pool) for _ in range(rng.randint(0, 14))) for _ in range(4000)]
    cache = make()
    want = reference(tok, texts)
    flat, lens = cache.flat(texts)
    assert lens.tolist() == [len(w) for w in want]
    same(split(flat, lens), want)
    same(split(*cache.flat(texts)), want)


def test_sentencepiece_agrees_with_the_tokenizer_on_real_words(tok, segment, teacher):
    """Words of eight scripts (and an unknown character): the same pieces, ties aside."""
    words = " ".join(TEXTS[:7]).split() + ["Ха-ха....", "\U0001d54f\U0001d54f"]
    normed = [tok.normalizer.normalize_str(w) for w in words]
    got, want = segment(normed), reference(tok, words)
    assert_same_pieces(got, want, teacher.scores)
    assert sum(g == w for g, w in zip(got, want)) >= len(words) - 1


def test_a_full_cache_drops_its_oldest_words_and_stays_right(tok, make, same):
    cache = make(capacity=8)
    same(split(*cache.flat(TEXTS[:1])), reference(tok, TEXTS[:1]))  # 6 words
    first = set(cache._known)
    same(split(*cache.flat(TEXTS[1:2])), reference(tok, TEXTS[1:2]))  # 6 more: 2 of the first go
    assert len(cache) <= 8 and set(cache._known) & first and not first <= set(cache._known)
    same(split(*cache.flat(TEXTS)), reference(tok, TEXTS))  # more new words than it holds
    assert len(cache) <= 8


def test_no_texts(make):
    flat, lens = make().flat([])
    assert flat.shape == (0,) and lens.shape == (0,)


def test_threads_sharing_one_small_cache(tok, make, same):
    from concurrent.futures import ThreadPoolExecutor

    cache = make(capacity=16)
    rng = random.Random(3)
    batches = [rng.sample(TEXTS, 12) for _ in range(200)]
    with ThreadPoolExecutor(4) as pool:
        got = list(pool.map(lambda b: split(*cache.flat(b)), batches))
    for g, b in zip(got, batches):
        same(g, reference(tok, b))


def test_the_students_cache_uses_sentencepiece():
    assert student_pieces(bundled_model_path())._segment is not None
