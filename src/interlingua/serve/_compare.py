"""``POST /align/words``: how close two texts are, and which of their words match.

The page's compare view draws the links between the words, so each word comes with its
character span in its text and each link with its cosine. The numbers are the library's:
:meth:`Space.similarity <interlingua.neutral.Space.similarity>` for the texts,
:func:`interlingua.mine.align_words` (SimAlign) for the words, and
:func:`interlingua.text.detect_language` for the languages.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from pydantic import Field

from ..errors import InputError
from ._limits import check_length
from ._meta import state_of
from ._schemas import Strict

router = APIRouter(tags=["compare"])
ROUTE = "/align/words"


class AlignWordsRequest(Strict):
    """Two texts (a sentence each, typically) to compare and align word by word."""

    source: str = Field(..., description="the first text")
    target: str = Field(..., description="the second text (any language)")
    model: str | None = Field(None, description="one of the served models (default: the server's)")
    method: str = Field(
        "intersection",
        description="intersection (precise), forward, backward or itermax (more links); the library checks it",
        json_schema_extra={"enum": ["intersection", "forward", "backward", "itermax"]},
    )


def _check_text(text: str, field: str, limit: int) -> None:
    if not text.strip():
        raise InputError(f"The {field!r} field must hold some text. Got {text!r} instead.", field=field)
    check_length(text, field, limit)


def _tokens(words: tuple[str, ...], spans: tuple[tuple[int, int], ...]) -> list[dict[str, Any]]:
    return [{"text": w, "start": s, "end": e} for w, (s, e) in zip(words, spans)]


@router.post(
    ROUTE,
    summary="Cosine similarity of two texts and their word alignment (SimAlign), with character spans",
)
def align_words_route(body: AlignWordsRequest, request: Request) -> dict[str, Any]:
    from ..mine import align_words
    from ..text import detect_language

    st = state_of(request)
    limit = st.settings.max_input_chars
    _check_text(body.source, "source", limit)
    _check_text(body.target, "target", limit)
    space = st.space(body.model)
    similarity = space.similarity(body.source, body.target)
    wa = align_words(body.source, body.target, encoder=space, method=body.method)
    st.metrics.count_encoded(space.name, ROUTE, 4)  # two vectors and two token-state passes
    src_guess, tgt_guess = detect_language([body.source, body.target])
    return {
        "similarity": similarity,
        "model": space.name,
        "method": body.method,
        "source_lang": src_guess.lang,
        "source_script": src_guess.script,
        "target_lang": tgt_guess.lang,
        "target_script": tgt_guess.script,
        "source_tokens": _tokens(wa.src_words, wa.src_spans),
        "target_tokens": _tokens(wa.tgt_words, wa.tgt_spans),
        "links": [{"source": i, "target": j, "score": s} for (i, j), s in zip(wa.links, wa.scores)],
    }


__all__ = ["router"]
