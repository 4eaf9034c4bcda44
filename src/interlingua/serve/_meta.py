"""``/health``, ``/info`` and ``/metrics``: what probes, clients and Prometheus read."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from .. import __version__

router = APIRouter(tags=["meta"])


def state_of(request: Request) -> Any:
    return request.app.state.interlingua


@router.get("/health", summary="Liveness: 200 while the server answers (no API key needed)")
def health() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/info", summary="Version, models, limits and collections of this server")
def info(request: Request) -> dict[str, Any]:
    st = state_of(request)
    s = st.settings
    models = []
    for name in st.model_names:
        space = st.space(name)
        i = space.encoder.info
        models.append(
            {
                "name": name,
                "identity": space.identity,
                "dim": space.dim,
                "max_tokens": i.max_tokens,
                "languages": sorted(i.languages) if i.languages else None,
                "description": i.description,
                "token_states": bool(space.encoder.has_token_states),
            }
        )
    return {
        "name": "interlingua",
        "version": __version__,
        # text-embeddings-inference's names, for clients that read them
        "model_id": s.model,
        "max_client_batch_size": s.max_batch,
        "max_input_length": models[0]["max_tokens"] if models else None,
        "models": models,
        "limits": {
            "max_batch": s.max_batch,
            "max_input_chars": s.max_input_chars,
            "max_body_bytes": s.max_body_bytes,
            "max_jobs": s.max_jobs,
            "max_queued": s.max_queued,
        },
        "auth": s.api_key is not None,
        "collections": st.collections.names(),
    }


@router.get("/metrics", summary="Prometheus metrics (text format)")
def metrics(request: Request) -> Response:
    m = state_of(request).metrics
    return Response(m.render(), media_type=m.content_type)


__all__ = ["router", "state_of"]
