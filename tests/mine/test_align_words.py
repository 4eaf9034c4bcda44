"""Word alignment from e5-small token states on sentence pairs written for these tests."""

from __future__ import annotations

import numpy as np
import pytest

from interlingua.errors import InputError
from interlingua.mine._wordalign import WordAlignment, align_words, links_from_similarity, word_spans

# (source, target, word pairs that must be linked)
PAIRS = [
    (
        "The cat sleeps on the warm windowsill.",
        "Die Katze schläft auf der warmen Fensterbank.",
        [("cat", "Katze"), ("sleeps", "schläft"), ("warm", "warmen"), ("windowsill", "Fensterbank")],
    ),
    (
        "My brother bought a new car yesterday.",
        "Mein Bruder hat gestern ein neues Auto gekauft.",
        [("brother", "Bruder"), ("car", "Auto"), ("yesterday", "gestern"), ("bought", "gekauft")],
    ),
    (
        "The children are playing in the garden.",
        "Les enfants jouent dans le jardin.",
        [("children", "enfants"), ("playing", "jouent"), ("garden", "jardin")],
    ),
    (
        "I drink coffee every morning.",
        "Je bois du café chaque matin.",
        [("coffee", "café"), ("morning", "matin"), ("every", "chaque")],
    ),
    (
        "The cat sleeps on the warm windowsill.",
        "猫在温暖的窗台上睡觉。",
        [("cat", "猫"), ("warm", "温暖"), ("sleeps", "睡觉")],
    ),
    ("I like to read books.", "我喜欢看书。", [("like", "喜欢"), ("books", "书")]),
]


def named(wa: WordAlignment) -> set[tuple[str, str]]:
    return {(wa.src_words[i], wa.tgt_words[j]) for i, j in wa.links}


@pytest.fixture(scope="module")
def aligned(e5):
    return align_words([p[0] for p in PAIRS], [p[1] for p in PAIRS], encoder=e5)


@pytest.mark.parametrize("k", range(len(PAIRS)))
def test_obvious_word_pairs_align(aligned, k):
    wa = aligned[k]
    for pair in PAIRS[k][2]:
        assert pair in named(wa), (pair, sorted(named(wa)))


def test_intersection_is_one_to_one_and_within_forward_and_backward(e5):
    s, t = PAIRS[0][:2]
    inter = set(align_words(s, t, encoder=e5).links)
    fwd = set(align_words(s, t, encoder=e5, method="forward").links)
    bwd = set(align_words(s, t, encoder=e5, method="backward").links)
    itermax = set(align_words(s, t, encoder=e5, method="itermax").links)
    assert inter == fwd & bwd and inter <= itermax
    assert len({i for i, _ in inter}) == len(inter) == len({j for _, j in inter})
    assert len(fwd) == 8  # one link per source word: 7 words and the full stop


def test_words_and_pharaoh_output(e5):
    wa = align_words("Good morning!", "Guten Morgen!", encoder=e5)
    assert wa.src_words == ("Good", "morning", "!") and wa.tgt_words == ("Guten", "Morgen", "!")
    assert wa.pharaoh() == "0-0 1-1 2-2"


def test_word_spans_use_tokenizer_pieces_for_unspaced_scripts():
    text = "我喜欢看书。"
    offsets = np.array([[0, 1], [1, 3], [3, 4], [4, 5], [5, 6]])
    assert [text[a:b] for a, b in word_spans(text, offsets)] == ["我", "喜欢", "看", "书", "。"]
    assert word_spans("l'homme va", np.zeros((0, 2)), pretokenized=True) == [(0, 7), (8, 10)]


def test_itermax_adds_links_for_unaligned_words():
    sim = np.array([[0.9, 0.8, 0.1], [0.85, 0.2, 0.1], [0.1, 0.1, 0.7]])
    assert links_from_similarity(sim, "intersection") == [(0, 0), (2, 2)]
    # round 2: word 1 and target 1 are unaligned; (1, 0) and (0, 1) are mutual best matches
    assert links_from_similarity(sim, "itermax") == [(0, 0), (0, 1), (1, 0), (2, 2)]


def test_bad_word_input(e5):
    with pytest.raises(InputError, match="as many sentences"):
        align_words(["a", "b"], ["a"], encoder=e5)
    with pytest.raises(InputError, match="'method'"):
        align_words("a", "b", encoder=e5, method="union")
    with pytest.raises(InputError, match="'layer'"):
        align_words("a", "b", encoder=e5, layer=6)
    assert align_words(["", "Hello"], ["Hallo", ""], encoder=e5)[0].links == ()
