"""``POST /align/words``: the cosine of two texts and their word links, with character spans
that index the texts (the page draws the links from them)."""

from __future__ import annotations

import numpy as np
import pytest

DE, EN = "Der Hund schläft.", "The dog is sleeping."
ZH = "我喜欢在家做面包。"


def align(client, source, target, **extra):
    return client.post("/align/words", json={"source": source, "target": target, **extra})


def named_links(body) -> set[tuple[str, str]]:
    s, t = body["source_tokens"], body["target_tokens"]
    return {(s[link["source"]]["text"], t[link["target"]]["text"]) for link in body["links"]}


def test_links_spans_and_cosine_are_the_librarys(client):
    from interlingua.mine import align_words
    from interlingua.neutral import Space

    r = align(client, DE, EN)
    assert r.status_code == 200, r.text
    body = r.json()
    for text, tokens in ((DE, body["source_tokens"]), (EN, body["target_tokens"])):
        assert [text[t["start"] : t["end"]] for t in tokens] == [t["text"] for t in tokens]
        assert all(0 <= t["start"] < t["end"] <= len(text) for t in tokens)
    assert [t["text"] for t in body["source_tokens"]] == ["Der", "Hund", "schläft", "."]
    assert body["links"], "no word links"
    for link in body["links"]:
        assert 0 <= link["source"] < len(body["source_tokens"])
        assert 0 <= link["target"] < len(body["target_tokens"])
        assert -1.0 <= link["score"] <= 1.0
    assert ("Hund", "dog") in named_links(body)
    lib = align_words(DE, EN, encoder="e5-small")
    assert [(link["source"], link["target"]) for link in body["links"]] == list(lib.links)
    va, vb = Space.of("e5-small").encode([DE, EN], role="passage")
    assert body["similarity"] == pytest.approx(float(np.dot(va, vb)), abs=1e-6)
    assert (body["source_lang"], body["target_lang"]) == ("de", "en")
    assert body["source_script"] == "Latn"


def test_unspaced_script_spans_index_the_text(client):
    body = align(client, ZH, "I like baking bread at home.").json()
    tokens = body["source_tokens"]
    assert [ZH[t["start"] : t["end"]] for t in tokens] == [t["text"] for t in tokens]
    assert "".join(t["text"] for t in tokens) == ZH  # no spaces to lose in Chinese
    assert body["source_lang"] == "zh" and body["links"]


def test_itermax_links_at_least_the_intersection(client):
    inter = named_links(align(client, DE, EN).json())
    more = named_links(align(client, DE, EN, method="itermax").json())
    assert inter <= more


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"source": "", "target": EN}, "source"),
        ({"source": DE, "target": "  \n"}, "target"),
        ({"source": DE}, "target"),
        ({"source": DE, "target": EN, "method": "best"}, "method"),
        ({"source": DE, "target": EN, "model": "nope"}, "model"),
        ({"source": DE, "target": EN, "colour": "red"}, "colour"),
    ],
)
def test_bad_fields_answer_422_naming_them(client, body, field):
    r = client.post("/align/words", json=body)
    assert r.status_code == 422, r.text
    assert r.json()["error"] == "invalid_input"
    assert r.json()["field"] == field
    assert r.json()["message"]


def test_a_text_over_max_input_chars_answers_413(make_client):
    client = make_client(max_input_chars=12)
    r = align(client, "kurz", "This text is over the limit.")
    assert r.status_code == 413, r.text
    body = r.json()
    assert body["field"] == "target"
    assert "max_input_chars" in body["message"].lower() and "12" in body["message"]
    assert align(client, "kurz", "short").status_code == 200
