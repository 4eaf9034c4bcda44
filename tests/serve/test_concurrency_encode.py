"""Many clients at once on one real server: routes run in a thread pool and share one encoder,
so each answer must still be the library's answer for that request alone, and each request's
token counts its own (never the shared running totals, which other requests move meanwhile)."""

from __future__ import annotations

import random
from concurrent.futures import ThreadPoolExecutor

import httpx
import numpy as np
import pytest
from tests.serve.conftest import running_server

from interlingua.neutral import Space

THREADS = 16
WORDS = "the cat sleeps on a warm sofa while rain falls over the quiet town".split()


def _text(rng: random.Random, n_words: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(n_words))


def _requests() -> list[tuple[str, dict]]:
    """32 requests of different sizes: short, medium and over e5's 512 tokens (cut at the limit)."""
    rng = random.Random(7)
    out: list[tuple[str, dict]] = []
    for i in range(THREADS * 2):
        sizes = [rng.choice([3, 12, 40]) for _ in range(rng.randint(1, 3))]
        if i % 7 == 0:
            sizes.append(rng.choice([530, 700]))  # over the limit
        texts = [_text(rng, n) for n in sizes]
        kind = ("embed", "tokenize", "openai")[i % 3]
        if kind == "embed":
            out.append(
                ("/embed", {"inputs": texts, "truncate": True, "role": rng.choice(["query", "passage"])})
            )
        elif kind == "tokenize":
            out.append(("/tokenize", {"inputs": texts, "role": "query"}))
        else:
            out.append(("/v1/embeddings", {"input": texts, "model": "e5-small", "encoding_format": "float"}))
    return out


def _expected(space: Space, route: str, body: dict):
    """The library's answer for this request alone, and its token count."""
    limit = space.info.max_tokens
    if route == "/tokenize":
        tokens = space.encoder.tokens(body["inputs"], role="query")
        return [[t.id for t in one] for one in tokens], None
    texts = body.get("inputs") or body["input"]
    role = body.get("role", "query")
    with pytest.warns(UserWarning) if any(c > limit for c in space.count_tokens(texts, role)) else _nothing():
        vectors = space.encode(texts, role=role)
    return vectors, sum(min(c, limit) for c in space.count_tokens(texts, role))


class _nothing:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def test_concurrent_requests_each_get_their_own_answer(tmp_path):
    space = Space.of("e5-small")
    requests = _requests()
    expected = [_expected(space, route, body) for route, body in requests]
    assert any(n and n > 512 for _, n in expected)  # some requests hold a cut text

    with running_server(jobs_dir=str(tmp_path / "jobs")) as url:
        with httpx.Client(base_url=url, timeout=120, limits=httpx.Limits(max_connections=THREADS)) as http:

            def send(item):
                route, body = item
                return http.post(route, json=body)

            with ThreadPoolExecutor(THREADS) as pool:
                answers = list(pool.map(send, requests))

    for (route, _body), (want, tokens), r in zip(requests, expected, answers):
        assert r.status_code == 200, r.text
        if route == "/tokenize":
            assert [[t["id"] for t in one] for one in r.json()] == want
            continue
        if route == "/embed":
            got = np.array(r.json(), dtype=np.float32)
            assert int(r.headers["x-compute-tokens"]) == tokens
        else:
            payload = r.json()
            got = np.array([d["embedding"] for d in payload["data"]], dtype=np.float32)
            assert payload["usage"]["prompt_tokens"] == tokens
        np.testing.assert_allclose(got, want, atol=1e-6)
