"""The real ``openai`` client against a real server: what a user of OpenAI's SDK gets when they
point ``base_url`` at interlingua. Its default encoding is base64 (little-endian float32), which
it decodes itself; both that and ``encoding_format="float"`` must give the library's vectors."""

from __future__ import annotations

import base64

import numpy as np
import openai
import pytest
from openai import OpenAI
from tests.serve.conftest import running_server

from interlingua.neutral import Space

TEXTS = ["The cat sleeps on the sofa.", "Le chat dort sur le canapé.", "猫在沙发上睡觉。", "แมวนอนอยู่บนโซฟา"]


@pytest.fixture(scope="module")
def url(tmp_path_factory):
    with running_server(jobs_dir=str(tmp_path_factory.mktemp("jobs"))) as base:
        yield base


@pytest.fixture(scope="module")
def client(url) -> OpenAI:
    return OpenAI(base_url=url + "/v1", api_key="x", max_retries=0, timeout=60)


@pytest.fixture(scope="module")
def space() -> Space:
    return Space.of("e5-small")


def _vectors(resp) -> np.ndarray:
    assert [d.index for d in resp.data] == list(range(len(resp.data)))
    return np.array([d.embedding for d in resp.data], dtype=np.float32)


@pytest.mark.parametrize("encoding", [None, "float", "base64"])
def test_the_client_gets_the_librarys_vectors(client, space, encoding):
    kwargs = {} if encoding is None else {"encoding_format": encoding}
    resp = client.embeddings.create(model="e5-small", input=TEXTS, **kwargs)
    assert resp.model == "e5-small" and resp.object == "list"
    if encoding == "base64":  # asked for explicitly, the client hands over the strings
        assert all(isinstance(d.embedding, str) for d in resp.data)
        got = np.stack([np.frombuffer(base64.b64decode(d.embedding), dtype="<f4") for d in resp.data])
    else:
        got = _vectors(resp)
    assert got.shape == (len(TEXTS), 384)
    np.testing.assert_allclose(got, space.encode(TEXTS, role="query"), atol=1e-6)
    expected = sum(space.count_tokens(TEXTS, "query"))
    assert resp.usage.prompt_tokens == resp.usage.total_tokens == expected > 0


def test_one_string_and_the_passage_role(client, space):
    resp = client.embeddings.create(model="e5-small", input=TEXTS[1])
    got = _vectors(resp)
    assert got.shape == (1, 384)
    np.testing.assert_allclose(got[0], space.encode(TEXTS[1], role="query"), atol=1e-6)
    assert resp.usage.prompt_tokens == space.count_tokens([TEXTS[1]], "query")[0]
    resp = client.embeddings.create(model="e5-small", input=[TEXTS[1]], extra_body={"role": "passage"})
    np.testing.assert_allclose(_vectors(resp)[0], space.encode(TEXTS[1], role="passage"), atol=1e-6)


def test_dimensions_equal_to_the_models_are_accepted(client):
    resp = client.embeddings.create(model="e5-small", input="x", dimensions=384, encoding_format="float")
    assert len(resp.data[0].embedding) == 384
    with pytest.raises(openai.UnprocessableEntityError):
        client.embeddings.create(model="e5-small", input="x", dimensions=128)


def test_models_list_the_served_model(client):
    models = client.models.list()
    assert [m.id for m in models.data] == ["e5-small"]
    assert models.data[0].owned_by == "interlingua"
    assert client.models.retrieve("e5-small").id == "e5-small"


def test_an_unknown_model_is_the_clients_error(client):
    with pytest.raises(openai.APIStatusError) as info:
        client.embeddings.create(model="text-embedding-3-small", input=["hello"])
    assert 400 <= info.value.status_code < 500
    # the house error body ({error, message, field}, not OpenAI's nested one): the client shows
    # only the status in its message, the body stays on the error's response
    body = info.value.response.json()
    assert body["field"] == "model" and "e5-small" in body["message"]
    with pytest.raises(openai.UnprocessableEntityError) as info:
        client.embeddings.create(model="e5-small", input=[[1, 2, 3]])
    assert "token ids" in info.value.response.json()["message"]


def test_the_api_key_is_checked(tmp_path):
    with running_server(api_key="secret", jobs_dir=str(tmp_path / "jobs")) as base:
        wrong = OpenAI(base_url=base + "/v1", api_key="wrong", max_retries=0)
        with pytest.raises(openai.AuthenticationError):
            wrong.embeddings.create(model="e5-small", input="hello")
        with pytest.raises(openai.AuthenticationError):
            wrong.models.list()
        right = OpenAI(base_url=base + "/v1", api_key="secret", max_retries=0)
        resp = right.embeddings.create(model="e5-small", input="hello")
        assert len(resp.data[0].embedding) == 384
