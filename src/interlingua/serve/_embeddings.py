"""The embeddings capability, with the names clients already speak: text-embeddings-inference's
``/embed``, ``/tokenize``, ``/similarity`` and ``/rerank``, OpenAI's ``/v1/embeddings`` and
``/v1/models``, and ``/detect`` (the language and script of texts).

Every vector comes from the served :class:`~interlingua.neutral.Space` through
``Space.encode_counted``, so each request counts its own texts and tokens (for ``usage``, the
``x-compute-*`` headers and the metrics) without reading the encoder's totals, which other
requests change at the same time. The texts of a request are checked here once, against the
server's limits: 413 names the limit and its ``INTERLINGUA_*`` variable, 422 the bad field.
"""

from __future__ import annotations

import base64
import dataclasses
from typing import Annotated, Any, Literal

import numpy as np
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, WithJsonSchema

from .._validation import surrogate_at
from ..encoders import ROLES
from ..errors import InputError, NotFoundError
from ._limits import check_count, check_length, too_large
from ._meta import state_of
from ._schemas import Strict, literal

router = APIRouter(tags=["embeddings"])

Role = literal(ROLES)
#: a text or a list of texts; checked by :func:`_texts` (so an error names ``inputs[3]``)
Texts = Annotated[
    Any,
    WithJsonSchema(
        {"anyOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}]},
        mode="validation",
    ),
]
_MODEL = "one of the served models (GET /v1/models; default: the server's)"


class _Body(Strict):
    # JSON types as the contracts of TEI and OpenAI say: "yes" is not a boolean
    model_config = ConfigDict(extra="forbid", strict=True)


class EmbedRequest(_Body):
    """text-embeddings-inference's ``/embed``, plus the role e5 was trained with and the model."""

    inputs: Texts = Field(..., description="a text or a list of texts")
    truncate: bool = Field(
        True, description="cut texts over the model's token limit (false: 413 naming the text)"
    )
    normalize: bool = Field(True, description="L2-normalize the vectors (false: the model's pooled vectors)")
    role: Role = Field("query", description="e5's prefix: 'query' (questions, symmetric tasks) or 'passage'")
    model: str | None = Field(None, description=_MODEL)


class OpenAIEmbeddingRequest(_Body):
    """OpenAI's embeddings request (``user`` is accepted and ignored); ``role`` is an extension."""

    input: Texts = Field(..., description="a text or a list of texts (token ids are refused)")
    model: str | None = Field(None, description=_MODEL)
    encoding_format: Literal["float", "base64"] = Field(
        "float", description="float lists, or base64 of little-endian float32 bytes"
    )
    dimensions: int | None = Field(None, description="must equal the model's dimension (no shortening)")
    user: str | None = Field(None, description="ignored")
    role: Role = Field("query", description="e5's prefix (an interlingua extension)")


class TokenizeRequest(_Body):
    inputs: Texts = Field(..., description="a text or a list of texts")
    add_special_tokens: bool = Field(True, description="list <s> and </s>")
    role: Role | None = Field(None, description="list the role's prefix tokens too, as the model sees them")
    model: str | None = Field(None, description=_MODEL)


class SimilarityInputs(_Body):
    source_sentence: str
    sentences: list[str]


class SimilarityRequest(_Body):
    """text-embeddings-inference's ``/similarity``: the cosine of one text with each of others."""

    inputs: SimilarityInputs
    truncate: bool = True
    role: Role = Field("query", description="e5's prefix for all the texts (symmetric: 'query')")
    model: str | None = Field(None, description=_MODEL)


class RerankRequest(_Body):
    """text-embeddings-inference's ``/rerank``: texts ordered by how well they answer the query."""

    query: str
    texts: list[str]
    return_text: bool = False
    truncate: bool = True
    model: str | None = Field(None, description=_MODEL)


class DetectRequest(_Body):
    inputs: Texts = Field(..., description="a text or a list of texts")
    candidates: list[str] | None = Field(None, description="only these languages (codes in any form)")


# -- response shapes (for the schema; the routes answer JSON directly) ----------------------------
class Token(BaseModel):
    id: int
    text: str
    special: bool
    start: int | None
    stop: int | None


class Rank(BaseModel):
    index: int
    score: float
    text: str | None = None


class Guess(BaseModel):
    lang: str
    score: float
    script: str


class EmbeddingItem(BaseModel):
    object: Literal["embedding"] = "embedding"
    index: int
    embedding: list[float] | str


class Usage(BaseModel):
    prompt_tokens: int
    total_tokens: int


class EmbeddingsResponse(BaseModel):
    object: Literal["list"] = "list"
    data: list[EmbeddingItem]
    model: str
    usage: Usage


class ModelCard(BaseModel):
    id: str
    object: Literal["model"] = "model"
    created: int
    owned_by: str


class ModelList(BaseModel):
    object: Literal["list"] = "list"
    data: list[ModelCard]


# -- checks -------------------------------------------------------------------------------------
def _kind(value: Any) -> str:
    names = {bool: "a boolean", int: "a number", float: "a number", dict: "an object", list: "a list"}
    return "null" if value is None else names.get(type(value), type(value).__name__)


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _texts(
    value: Any, field: str, settings: Any, *, allow_empty: bool = False, ids: bool = False
) -> list[str]:
    """The texts of ``value`` (a string or a list of strings), each checked; errors name ``field[i]``."""
    if isinstance(value, str):
        return [_text(value, field, settings, allow_empty=allow_empty)]
    if not isinstance(value, list):
        raise InputError(
            f"The {field!r} field must be a string or a list of strings. Got {_kind(value)} instead.",
            field=field,
        )
    if not value:
        raise InputError(f"The {field!r} field must hold at least one text. Got an empty list.", field=field)
    if ids and (
        all(_is_int(v) for v in value) or all(isinstance(v, list) and all(map(_is_int, v)) for v in value)
    ):
        raise InputError(
            f"The {field!r} field holds token ids; this server takes text only (its tokenizer is not "
            "OpenAI's): send the texts as strings.",
            field=field,
        )
    check_count(len(value), settings.max_batch, field)
    return [_text(v, f"{field}[{i}]", settings, allow_empty=allow_empty) for i, v in enumerate(value)]


def _text(value: Any, field: str, settings: Any, *, allow_empty: bool = False) -> str:
    if not isinstance(value, str):
        raise InputError(f"The {field!r} field must be a string. Got {_kind(value)} instead.", field=field)
    if not value and not allow_empty:
        raise InputError(f"The {field!r} field is empty; every input must hold some text.", field=field)
    check_length(value, field, settings.max_input_chars)
    at = surrogate_at(value)
    if at is not None:
        raise InputError(
            f"The {field!r} field holds a lone surrogate (U+{ord(value[at]):04X}) at character {at}, "
            "which no UTF-8 text can hold.",
            field=field,
        )
    return value


def _names(value: Any, field: str) -> list[str]:
    """The field name of each text of ``value``: ``inputs`` for one string, else ``inputs[i]``."""
    return [field] if isinstance(value, str) else [f"{field}[{i}]" for i in range(len(value))]


def _encode(
    request: Request,
    model: str | None,
    route: str,
    texts: list[str],
    names: list[str],
    *,
    role: str,
    truncate: bool = True,
    normalize: bool = True,
) -> tuple[np.ndarray, Any]:
    """Vectors of ``texts`` (``names``: their fields) and this request's counts, recorded in the metrics."""
    st = state_of(request)
    name = model or st.settings.model
    space = st.space(name)
    limit = space.info.max_tokens
    if not truncate and limit is not None:
        counts = space.count_tokens(texts, role) or []
        for where, n in zip(names, counts):
            if n > limit:
                raise too_large(
                    f"The {where!r} field takes {n:,} tokens (with the role's prefix and the special tokens); "
                    f"{name} takes at most {limit:,}. Send truncate=true to cut it at the limit, or split it.",
                    where,
                )
    vectors, stats = space.encode_counted(texts, role=role, normalize=normalize)
    if not truncate and stats.truncated:  # an encoder that cannot count tokens beforehand
        field = names[0].split("[")[0]
        raise too_large(
            f"{stats.truncated} text(s) of the {field!r} field are over {name}'s limit of {limit} tokens; "
            "send truncate=true to cut them, or split them.",
            field,
        )
    st.metrics.count_encoded(name, route, stats.texts, stats.tokens, stats.truncated)
    return vectors, stats


def _headers(texts: list[str], *stats: Any) -> dict[str, str]:
    """text-embeddings-inference's ``x-compute-*`` headers, for this request alone."""
    return {
        "x-compute-characters": str(sum(len(t) for t in texts)),
        "x-compute-tokens": str(sum(s.tokens for s in stats)),
        "x-truncated-texts": str(sum(s.truncated for s in stats)),
    }


# -- text-embeddings-inference ----------------------------------------------------------------------
@router.post(
    "/embed", summary="Vectors of texts (text-embeddings-inference)", response_model=list[list[float]]
)
def embed(body: EmbedRequest, request: Request) -> JSONResponse:
    texts = _texts(body.inputs, "inputs", state_of(request).settings)
    vectors, stats = _encode(
        request,
        body.model,
        "/embed",
        texts,
        _names(body.inputs, "inputs"),
        role=body.role,
        truncate=body.truncate,
        normalize=body.normalize,
    )
    return JSONResponse(vectors.tolist(), headers=_headers(texts, stats))


@router.post(
    "/tokenize",
    summary="Tokens of texts with their character offsets (text-embeddings-inference)",
    response_model=list[list[Token]],
)
def tokenize(body: TokenizeRequest, request: Request) -> JSONResponse:
    st = state_of(request)
    texts = _texts(body.inputs, "inputs", st.settings)
    space = st.space(body.model)
    out = space.encoder.tokens(texts, role=body.role, add_special_tokens=body.add_special_tokens)
    return JSONResponse([[dataclasses.asdict(t) for t in one] for one in out])


@router.post(
    "/similarity",
    summary="Cosine of a source sentence with each of the sentences (text-embeddings-inference)",
    response_model=list[float],
)
def similarity(body: SimilarityRequest, request: Request) -> JSONResponse:
    settings = state_of(request).settings
    source = _text(body.inputs.source_sentence, "inputs.source_sentence", settings)
    sentences = _texts(body.inputs.sentences, "inputs.sentences", settings)
    texts = [source, *sentences]
    names = ["inputs.source_sentence", *_names(sentences, "inputs.sentences")]
    vectors, stats = _encode(
        request, body.model, "/similarity", texts, names, role=body.role, truncate=body.truncate
    )
    return JSONResponse((vectors[1:] @ vectors[0]).tolist(), headers=_headers(texts, stats))


@router.post(
    "/rerank",
    summary="Texts ordered by the cosine of their passage vector with the query's (text-embeddings-inference)",
    response_model=list[Rank],
    response_model_exclude_none=True,
)
def rerank(body: RerankRequest, request: Request) -> JSONResponse:
    settings = state_of(request).settings
    query = _text(body.query, "query", settings)
    texts = _texts(body.texts, "texts", settings)
    q, qstats = _encode(
        request, body.model, "/rerank", [query], ["query"], role="query", truncate=body.truncate
    )
    d, dstats = _encode(
        request, body.model, "/rerank", texts, _names(texts, "texts"), role="passage", truncate=body.truncate
    )
    scores = d @ q[0]
    order = np.argsort(-scores, kind="stable")
    out = []
    for i in order.tolist():
        item: dict[str, Any] = {"index": i, "score": float(scores[i])}
        if body.return_text:
            item["text"] = texts[i]
        out.append(item)
    return JSONResponse(out, headers=_headers([query, *texts], qstats, dstats))


# -- OpenAI -------------------------------------------------------------------------------------
@router.post(
    "/v1/embeddings",
    summary="Vectors of texts (OpenAI's embeddings API; texts over the token limit are cut)",
    response_model=EmbeddingsResponse,
)
def openai_embeddings(body: OpenAIEmbeddingRequest, request: Request) -> JSONResponse:
    st = state_of(request)
    name = body.model or st.settings.model
    texts = _texts(body.input, "input", st.settings, ids=True)
    space = st.space(name)
    if body.dimensions is not None and body.dimensions != space.dim:
        raise InputError(
            f"The 'dimensions' field must equal {name}'s dimension, {space.dim} (vectors are not shortened). "
            f"Got {body.dimensions} instead.",
            field="dimensions",
        )
    vectors, stats = _encode(
        request, name, "/v1/embeddings", texts, _names(body.input, "input"), role=body.role
    )
    if body.encoding_format == "base64":
        data: list[Any] = [base64.b64encode(v.astype("<f4").tobytes()).decode("ascii") for v in vectors]
    else:
        data = vectors.tolist()
    tokens = stats.tokens or sum(space.count_tokens(texts, body.role) or [0])
    return JSONResponse(
        {
            "object": "list",
            "data": [{"object": "embedding", "index": i, "embedding": e} for i, e in enumerate(data)],
            "model": name,
            "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
        },
        headers=_headers(texts, stats),
    )


def _card(name: str) -> dict[str, Any]:
    # "created" is when the model was made; these are bundled or local models: unknown, 0
    return {"id": name, "object": "model", "created": 0, "owned_by": "interlingua"}


@router.get(
    "/v1/models", summary="The models this server serves (OpenAI's model list)", response_model=ModelList
)
def openai_models(request: Request) -> dict[str, Any]:
    return {"object": "list", "data": [_card(n) for n in state_of(request).model_names]}


@router.get(
    "/v1/models/{model}", summary="One served model (OpenAI's model object)", response_model=ModelCard
)
def openai_model(model: str, request: Request) -> dict[str, Any]:
    names = state_of(request).model_names
    if model not in names:
        err = NotFoundError(f"This server does not serve a model {model!r}; it serves {', '.join(names)}.")
        err.field = "model"
        raise err
    return _card(model)


# -- languages -------------------------------------------------------------------------------------
@router.post(
    "/detect",
    summary="Language (BCP 47), confidence and script (ISO 15924) of texts",
    response_model=list[Guess],
)
def detect(body: DetectRequest, request: Request) -> JSONResponse:
    from ..text import detect_language

    settings = state_of(request).settings
    texts = _texts(body.inputs, "inputs", settings, allow_empty=True)
    candidates = None
    if body.candidates is not None:
        candidates = [_text(c, f"candidates[{i}]", settings) for i, c in enumerate(body.candidates)]
    try:
        guesses = detect_language(texts, candidates=candidates)
    except InputError as exc:
        if exc.field is None and candidates is not None:
            exc.field = "candidates"
        raise
    return JSONResponse([{"lang": g.lang, "score": g.score, "script": g.script} for g in guesses])


__all__ = ["router"]
