"""The embeddings routes over plain HTTP: text-embeddings-inference's /embed, /tokenize,
/similarity and /rerank, /detect, and the checks every route shares (limits answer 413 naming
the limit and its variable; bad fields 422 naming the field). Vectors are compared with the
library's own (``Space.encode``), made from the same real e5-small model."""

from __future__ import annotations

import numpy as np
import pytest

from interlingua.neutral import Space
from interlingua.text import detect_language

TEXTS = ["The cat sleeps on the sofa.", "猫在沙发上睡觉。", "แมวนอนอยู่บนโซฟา", "Die Katze schläft."]
LONG = "word " * 700  # about 700 tokens: over e5's 512


@pytest.fixture(scope="module")
def space() -> Space:
    return Space.of("e5-small")


@pytest.fixture
def c(make_client):
    """A server without collections: what these routes need."""
    return make_client()


def _is_error(r, status: int, field: str | None, *fragments: str) -> str:
    assert r.status_code == status, r.text
    body = r.json()
    assert set(body) == {"error", "message", "field"}, body
    assert body["field"] == field, body
    assert "Traceback" not in body["message"]
    for f in fragments:
        assert f in body["message"], body["message"]
    return body["message"]


# -- /embed -------------------------------------------------------------------------------------
@pytest.mark.parametrize("role", ["query", "passage"])
def test_embed_gives_the_librarys_vectors(c, space, role):
    r = c.post("/embed", json={"inputs": TEXTS, "role": role})
    assert r.status_code == 200, r.text
    got = np.array(r.json(), dtype=np.float32)
    assert got.shape == (len(TEXTS), 384)
    np.testing.assert_allclose(got, space.encode(TEXTS, role=role), atol=1e-6)
    np.testing.assert_allclose(np.linalg.norm(got, axis=1), 1.0, atol=1e-5)
    # the request's own counts, as text-embeddings-inference's headers
    tokens = sum(space.count_tokens(TEXTS, role))
    assert int(r.headers["x-compute-tokens"]) == tokens
    assert int(r.headers["x-compute-characters"]) == sum(len(t) for t in TEXTS)


def test_embed_takes_one_string_and_defaults_to_the_query_role(c, space):
    r = c.post("/embed", json={"inputs": TEXTS[0]})
    assert r.status_code == 200, r.text
    got = np.array(r.json(), dtype=np.float32)
    assert got.shape == (1, 384)  # TEI answers a list of vectors for one string too
    np.testing.assert_allclose(got[0], space.encode(TEXTS[0], role="query"), atol=1e-6)


def test_embed_without_normalizing_gives_the_pooled_vectors(c, space):
    r = c.post("/embed", json={"inputs": TEXTS[:2], "normalize": False})
    got = np.array(r.json(), dtype=np.float32)
    norms = np.linalg.norm(got, axis=1)
    assert np.all(np.abs(norms - 1.0) > 0.1), norms
    np.testing.assert_allclose(got, space.encoder.encode(TEXTS[:2], role="query", normalize=False), atol=1e-5)
    np.testing.assert_allclose(got / norms[:, None], space.encode(TEXTS[:2], role="query"), atol=1e-6)


def test_a_text_over_the_token_limit_is_cut_or_refused_by_index(c, space):
    r = c.post("/embed", json={"inputs": [TEXTS[0], LONG], "truncate": False})
    _is_error(r, 413, "inputs[1]", "512", "truncate=true")
    r = c.post("/embed", json={"inputs": LONG, "truncate": False})
    _is_error(r, 413, "inputs", "512")
    r = c.post("/embed", json={"inputs": [TEXTS[0], LONG]})  # truncate defaults to true, as in TEI
    assert r.status_code == 200
    assert r.headers["x-truncated-texts"] == "1"
    assert int(r.headers["x-compute-tokens"]) == space.count_tokens([TEXTS[0]], "query")[0] + 512
    with pytest.warns(UserWarning):
        expected = space.encode([TEXTS[0], LONG], role="query")
    np.testing.assert_allclose(np.array(r.json()), expected, atol=1e-6)


def test_the_batch_limit_answers_413_naming_the_limit(make_client):
    c = make_client(max_batch=3)
    assert c.post("/embed", json={"inputs": TEXTS[:3]}).status_code == 200
    for route, body in [
        ("/embed", {"inputs": TEXTS}),
        ("/tokenize", {"inputs": TEXTS}),
        ("/detect", {"inputs": TEXTS}),
        ("/v1/embeddings", {"input": TEXTS}),
        ("/rerank", {"query": "cat", "texts": TEXTS}),
        ("/similarity", {"inputs": {"source_sentence": "cat", "sentences": TEXTS}}),
    ]:
        field = {"/rerank": "texts", "/similarity": "inputs.sentences", "/v1/embeddings": "input"}.get(
            route, "inputs"
        )
        _is_error(c.post(route, json=body), 413, field, "limit of 3", "INTERLINGUA_MAX_BATCH")


def test_the_text_length_limit_answers_413_naming_the_text(make_client):
    c = make_client(max_input_chars=40)
    r = c.post("/embed", json={"inputs": ["short", "x" * 41]})
    _is_error(r, 413, "inputs[1]", "41 characters", "limit of 40", "INTERLINGUA_MAX_INPUT_CHARS")
    _is_error(c.post("/rerank", json={"query": "q" * 50, "texts": ["a"]}), 413, "query", "limit of 40")
    assert c.post("/embed", json={"inputs": "x" * 40}).status_code == 200


@pytest.mark.parametrize(
    "body, field, fragment",
    [
        ({"inputs": 5}, "inputs", "string or a list of strings"),
        ({"inputs": ["ok", 5]}, "inputs[1]", "must be a string"),
        ({"inputs": {"text": "x"}}, "inputs", "Got an object"),
        ({"inputs": ["ok", ""]}, "inputs[1]", "empty"),
        ({"inputs": ""}, "inputs", "empty"),
        ({"inputs": []}, "inputs", "at least one text"),
        ({}, "inputs", "required"),
        ({"inputs": "x", "colour": "red"}, "colour", "not a known field"),
        ({"inputs": "x", "normalize": "yes"}, "normalize", "boolean"),
        ({"inputs": "x", "truncate": 1}, "truncate", "boolean"),
        ({"inputs": "x", "role": "document"}, "role", "query"),
        ({"inputs": "x", "model": "no-such-model"}, "model", "e5-small"),
    ],
)
def test_bad_fields_answer_422_naming_the_field(c, body, field, fragment):
    _is_error(c.post("/embed", json=body), 422, field, fragment)


def test_a_lone_surrogate_is_refused_not_a_crash(c):
    raw = b'{"inputs": ["ok", "bad \\ud800 text"]}'
    r = c.post("/embed", content=raw, headers={"content-type": "application/json"})
    _is_error(r, 422, "inputs[1]", "surrogate")


# -- /tokenize ------------------------------------------------------------------------------------
def test_tokenize_offsets_map_back_to_the_text(c, space):
    texts = ["Hello  world, how are you?", "東京は晴れ。ﬁne ＡＢＣ", "สวัสดีครับ"]
    r = c.post("/tokenize", json={"inputs": texts})
    assert r.status_code == 200, r.text
    out = r.json()
    for text, tokens in zip(texts, out):
        assert tokens[0]["special"] and tokens[-1]["special"]  # <s> ... </s>
        words = [t for t in tokens if not t["special"]]
        assert words
        for t in words:
            assert set(t) == {"id", "text", "special", "start", "stop"}
            assert t["text"] == text[t["start"] : t["stop"]]
        covered = "".join(t["text"] for t in words)
        assert covered.replace(" ", "") == "".join(text[t["start"] : t["stop"]] for t in words).replace(
            " ", ""
        )
        assert words[-1]["stop"] == len(text)
    # with the role, the ids are the very ones the model runs on
    r = c.post("/tokenize", json={"inputs": texts[0], "role": "passage"})
    ids = [t["id"] for t in r.json()[0]]
    batch = space.encoder.tokenize([texts[0]], "passage")
    assert ids == batch.ids[0][: int(batch.mask[0].sum())].tolist()
    assert len(ids) == space.count_tokens([texts[0]], "passage")[0]
    bare = c.post("/tokenize", json={"inputs": texts[0], "add_special_tokens": False}).json()[0]
    assert not any(t["special"] for t in bare)


def test_tokenize_is_not_cut_at_the_token_limit(c, space):
    tokens = c.post("/tokenize", json={"inputs": LONG, "role": "query"}).json()[0]
    assert len(tokens) == space.count_tokens([LONG], "query")[0] > 700


# -- /similarity, /rerank, /detect -------------------------------------------------------------------
def test_similarity_is_the_librarys_cosine(c, space):
    source, sentences = "I like cats.", ["J'aime les chats.", "Ich mag Katzen.", "The market fell."]
    r = c.post("/similarity", json={"inputs": {"source_sentence": source, "sentences": sentences}})
    assert r.status_code == 200, r.text
    v = space.encode([source, *sentences], role="query")
    np.testing.assert_allclose(r.json(), v[1:] @ v[0], atol=1e-6)
    assert r.json()[2] < min(r.json()[:2])
    r = c.post("/similarity", json={"inputs": {"source_sentence": source, "sentences": ["ok", 3]}})
    _is_error(r, 422, "inputs.sentences[1]", "string")
    r = c.post("/similarity", json={"inputs": {"source_sentence": "", "sentences": ["ok"]}})
    _is_error(r, 422, "inputs.source_sentence", "empty")


def test_rerank_orders_the_translation_first(c, space):
    query = "Where does the cat sleep?"
    texts = [
        "Die Börse ist heute gefallen.",
        "Le chat dort sur le canapé.",  # the answer, in French
        "El tren llega a las ocho.",
    ]
    r = c.post("/rerank", json={"query": query, "texts": texts, "return_text": True})
    assert r.status_code == 200, r.text
    out = r.json()
    assert [o["index"] for o in out][0] == 1
    assert out[0]["text"] == texts[1]
    scores = [o["score"] for o in out]
    assert scores == sorted(scores, reverse=True)
    q, d = space.encode(query, role="query"), space.encode(texts, role="passage")
    np.testing.assert_allclose(sorted(d @ q, reverse=True), scores, atol=1e-6)
    plain = c.post("/rerank", json={"query": query, "texts": texts}).json()
    assert all(set(o) == {"index", "score"} for o in plain)


def test_detect_gives_the_language_and_script(c):
    texts = [
        "今天天气很好，我们去公园散步吧。",
        "วันนี้อากาศดีมาก เราไปเดินเล่นที่สวนกันเถอะ",
        "Heute ist das Wetter sehr schön.",
    ]
    r = c.post("/detect", json={"inputs": texts})
    assert r.status_code == 200, r.text
    assert [g["lang"] for g in r.json()] == ["zh", "th", "de"]
    assert [g["script"] for g in r.json()] == ["Hans", "Thai", "Latn"]
    expected = detect_language(texts)
    assert [g["score"] for g in r.json()] == pytest.approx([g.score for g in expected])
    one = c.post("/detect", json={"inputs": "Guten Morgen", "candidates": ["nl", "deu"]}).json()
    assert one[0]["lang"] == "de"
    _is_error(c.post("/detect", json={"inputs": "x", "candidates": ["zz-nope"]}), 422, "candidates")


# -- OpenAI's fields, over plain HTTP (the real client is in test_openai_client.py) -------------------
def test_openai_fields_are_checked(c):
    _is_error(c.post("/v1/embeddings", json={"input": [1, 2, 3]}), 422, "input", "token ids")
    _is_error(c.post("/v1/embeddings", json={"input": [[1, 2]]}), 422, "input", "token ids")
    _is_error(c.post("/v1/embeddings", json={"input": [["a"]]}), 422, "input[0]", "must be a string")
    _is_error(c.post("/v1/embeddings", json={"input": "x", "dimensions": 256}), 422, "dimensions", "384")
    _is_error(
        c.post("/v1/embeddings", json={"input": "x", "encoding_format": "int8"}), 422, "encoding_format"
    )
    r = c.post("/v1/embeddings", json={"input": "x", "dimensions": 384, "user": "someone"})
    assert r.status_code == 200 and r.json()["model"] == "e5-small"
    assert c.get("/v1/models/e5-small").json()["id"] == "e5-small"
    _is_error(c.get("/v1/models/gpt-4"), 404, "model", "e5-small")


def test_metrics_count_the_encoded_texts(c):
    c.post("/embed", json={"inputs": TEXTS})
    c.post("/v1/embeddings", json={"input": TEXTS[:2]})
    c.post("/rerank", json={"query": "q", "texts": TEXTS[:3]})
    text = c.get("/metrics").text
    assert 'interlingua_encoded_texts_total{model="e5-small",route="/embed"} 4.0' in text
    assert 'interlingua_encoded_texts_total{model="e5-small",route="/v1/embeddings"} 2.0' in text
    assert 'interlingua_encoded_texts_total{model="e5-small",route="/rerank"} 4.0' in text
    assert 'interlingua_encoded_tokens_total{model="e5-small"}' in text
