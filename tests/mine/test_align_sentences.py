"""Sentence alignment of a real document pair with the e5-small encoder."""

from __future__ import annotations

import pytest

from interlingua.errors import InputError
from interlingua.mine._sentalign import Alignment, align_sentences, embed_windows, window_texts

# Written for this test. German drops English sentence 2 and merges English 4 and 5.
EN = [
    "The museum opens at nine in the morning.",
    "Tickets can be bought online or at the entrance.",
    "Children under twelve enter for free.",
    "The main hall shows paintings from the nineteenth century.",
    "A new wing was added last year.",
    "It holds a collection of modern sculpture.",
    "Photography without flash is allowed everywhere.",
    "The café on the top floor has a view of the river.",
    "Guided tours start every hour.",
    "The museum closes at six in the evening.",
]
DE = [
    "Das Museum öffnet um neun Uhr morgens.",
    "Eintrittskarten kann man online oder am Eingang kaufen.",
    "Die Haupthalle zeigt Gemälde aus dem neunzehnten Jahrhundert.",
    "Letztes Jahr wurde ein neuer Flügel angebaut, der eine Sammlung moderner Skulpturen beherbergt.",
    "Fotografieren ohne Blitz ist überall erlaubt.",
    "Das Café im obersten Stockwerk hat einen Blick auf den Fluss.",
    "Führungen beginnen jede Stunde.",
    "Das Museum schließt um sechs Uhr abends.",
]
GOLD = [
    ((0,), (0,)),
    ((1,), (1,)),
    ((2,), ()),
    ((3,), (2,)),
    ((4, 5), (3,)),
    ((6,), (4,)),
    ((7,), (5,)),
    ((8,), (6,)),
    ((9,), (7,)),
]


def test_real_document_pair_with_a_merge_and_a_deletion(e5):
    got = align_sentences(EN, DE, encoder=e5)
    assert [(a.src, a.tgt) for a in got] == GOLD
    assert all(isinstance(a, Alignment) for a in got)


def test_reversed_direction_gives_the_mirror_alignment(e5):
    got = align_sentences(DE, EN, encoder=e5)
    assert [(a.src, a.tgt) for a in got] == [(t, s) for s, t in GOLD]


def test_window_embeddings_can_be_precomputed(e5):
    from interlingua.mine._sentalign import align_window_embeddings

    src = embed_windows(EN, e5, max_size=3)
    tgt = embed_windows(DE, e5, max_size=3)
    assert src.shape == (3, len(EN), e5.dim)
    assert not src[2, -2:].any()  # windows that run past the end stay zero
    assert [(a.src, a.tgt) for a in align_window_embeddings(src, tgt)] == GOLD


def test_window_texts():
    assert window_texts(["a", "b", "c"], 2) == [["a", "b", "c"], ["a b", "b c"]]


def test_empty_documents_are_refused(e5):
    with pytest.raises(InputError, match="src_sents"):
        align_sentences([], DE, encoder=e5)
    with pytest.raises(InputError, match="tgt_sents"):
        align_sentences(EN, ["  "], encoder=e5)
