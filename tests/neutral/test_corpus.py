"""The corpus pipeline: ``encode_corpus`` streaming and counting through a Space, and the embedding cache.

Uses the real bundled e5-small encoder (no mocks); every cache lives in ``tmp_path``.
"""

from __future__ import annotations

import numpy as np
import pytest

from interlingua.encoders import EmbeddingCache, text_key
from interlingua.neutral import Batching, CorpusStats, Space, encode_corpus

# 50 texts of different lengths and languages, so that length-sorted batching reorders them.
TEXTS = [
    f"{word} number {i}: " + "lorem ipsum " * (i % 5) + tail
    for i, (word, tail) in enumerate(
        (w, t)
        for w in ("Sentence", "Phrase", "Satz", "Frase", "Предложение")
        for t in (
            "the weather is fine",
            "le temps est beau",
            "天气很好",
            "hava güzel",
            "",
            "a",
            "b",
            "c",
            "d",
            "e",
        )
    )
]
assert len(TEXTS) == 50 and len(set(TEXTS)) == 50


@pytest.fixture(scope="module")
def encoder():
    return Space.of("e5-small")


def _run(stream) -> tuple[np.ndarray, CorpusStats]:
    chunks = list(stream)
    total = CorpusStats()
    for c in chunks:
        total = total + c.stats
    return np.concatenate([c.vectors for c in chunks]), total


@pytest.fixture(scope="module")
def one_shot(encoder):
    return encoder.encode(TEXTS)


def test_encode_corpus_streams_chunks_in_input_order(encoder, one_shot):
    seen = []

    def source():
        for t in TEXTS:
            seen.append(t)
            yield t

    stream = encode_corpus(source(), encoder, batching=Batching(chunk_size=7))
    first = next(stream)
    # Streaming: the first chunk comes out after 7 texts were read, not after all 50.
    assert first.vectors.shape == (7, encoder.dim)
    assert len(seen) == 7
    chunks = [first, *stream]
    assert [len(c.vectors) for c in chunks] == [7] * 7 + [1]
    assert all(c.vectors.dtype == np.float32 for c in chunks)
    np.testing.assert_allclose(np.concatenate([c.vectors for c in chunks]), one_shot, atol=1e-5)
    report = CorpusStats()
    for c in chunks:
        report = report + c.stats
    assert report.records == report.encoded == 50
    assert report.cache_hits == 0
    assert report.tokens > 50 * 4  # every text is at least "passage: ", <s>, </s> and a word
    assert report.truncated == 0


def test_encode_corpus_counts_cache_hits_and_misses(encoder, one_shot, tmp_path):
    cache = EmbeddingCache(encoder.identity, encoder.dim, folder=tmp_path)
    out, first = _run(encode_corpus(TEXTS, encoder, batching=Batching(chunk_size=7), cache=cache))
    np.testing.assert_allclose(out, one_shot, atol=1e-5)
    assert (first.records, first.encoded, first.cache_hits) == (50, 50, 0)
    assert len(cache) == 50

    # Ten new texts in the middle of the known ones: 50 hits, 10 misses, order kept.
    new = [f"a new text {i}, never seen" for i in range(10)]
    mixed = TEXTS[:20] + new + TEXTS[20:]
    out2, second = _run(encode_corpus(mixed, encoder, batching=Batching(chunk_size=7), cache=cache))
    assert (second.records, second.encoded, second.cache_hits) == (60, 10, 50)
    np.testing.assert_allclose(out2[:20], one_shot[:20], atol=1e-5)
    np.testing.assert_allclose(out2[30:], one_shot[20:], atol=1e-5)
    np.testing.assert_allclose(out2[20:30], encoder.encode(new), atol=1e-5)
    assert len(cache) == 60

    # The same texts as queries are different keys: all misses, and different vectors.
    queries, third = _run(encode_corpus(TEXTS, encoder, role="query", cache=cache))
    assert (third.encoded, third.cache_hits) == (50, 0)
    np.testing.assert_allclose(queries, encoder.encode(TEXTS, role="query"), atol=1e-5)
    assert not np.allclose(queries, one_shot, atol=1e-3)
    cache.close()


def test_cache_persists_across_instances(encoder, tmp_path):
    cache = EmbeddingCache(encoder.identity, encoder.dim, folder=tmp_path)
    _run(encode_corpus(TEXTS[:5], encoder, cache=cache))
    cache.close()
    reopened = EmbeddingCache(encoder.identity, encoder.dim, folder=tmp_path)
    assert reopened.path == cache.path and len(reopened) == 5
    _, report = _run(encode_corpus(TEXTS[:5], encoder, cache=reopened))
    assert (report.cache_hits, report.encoded) == (5, 0)
    reopened.close()
    # Another encoder identity gets another file.
    other = EmbeddingCache(encoder.identity + "-other", encoder.dim, folder=tmp_path)
    assert other.path != cache.path and len(other) == 0
    other.close()


def test_embedding_cache_round_trip(tmp_path):
    rng = np.random.default_rng(0)
    vectors = rng.standard_normal((3, 8)).astype(np.float32)
    cache = EmbeddingCache("test-identity", 8, folder=tmp_path)
    keys = [text_key(t, "passage") for t in ("a", "b", "ç 中文")]
    cache.put_many(keys, vectors)
    found = cache.get_many(keys + [text_key("missing", "passage")])
    assert set(found) == set(keys)
    for k, v in zip(keys, vectors):
        assert found[k].dtype == np.float32
        np.testing.assert_array_equal(found[k], v)  # bit-exact
    # Overwriting a key replaces its vector.
    cache.put_many(keys[:1], vectors[2:3])
    np.testing.assert_array_equal(cache.get_many(keys[:1])[keys[0]], vectors[2])
    assert len(cache) == 3
    cache.close()


def test_cache_get_many_beyond_sqlite_parameter_limit(tmp_path):
    cache = EmbeddingCache("test-identity", 4, folder=tmp_path)
    keys = [text_key(str(i), "passage") for i in range(1200)]
    vectors = np.arange(1200 * 4, dtype=np.float32).reshape(1200, 4)
    cache.put_many(keys, vectors)
    found = cache.get_many(keys)
    assert len(found) == 1200
    np.testing.assert_array_equal(found[keys[777]], vectors[777])
    cache.close()


def test_text_key_depends_on_role_and_text():
    assert text_key("hello", "query") != text_key("hello", "passage")
    assert text_key("hello", "passage") != text_key("hello ", "passage")
    assert text_key("hello", "passage") == text_key("hello", "passage")
    assert len(text_key("hello", "passage")) == 16
    # Lone surrogates (from surrogateescape decoding) still hash.
    assert len(text_key("bad \udce9 byte", "passage")) == 16


def test_encode_corpus_rejects_bad_parameters(encoder):
    from interlingua.errors import InputError

    with pytest.raises(InputError, match="workers"):
        list(encode_corpus(["a"], encoder, batching=Batching(workers=0)))
    with pytest.raises(InputError, match="chunk_size"):
        list(encode_corpus(["a"], encoder, batching=Batching(chunk_size=0)))
