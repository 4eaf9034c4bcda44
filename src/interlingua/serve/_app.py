"""``create_app(Settings)``: the FastAPI app, one router per capability, the page, one error handler."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib.resources import files

from fastapi import FastAPI
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles

from .. import __version__
from . import _errors
from ._metrics import Metrics
from ._middleware import Guard, Measure
from ._settings import Settings
from ._state import AppState

log = logging.getLogger("interlingua.serve")
STATIC = files("interlingua.serve") / "static"

DESCRIPTION = """One semantic space for text in 100+ languages.

Embeddings with the fields of text-embeddings-inference (`/embed`) and OpenAI (`/v1/embeddings`),
collections in any mix of languages (`/collections/...`), and mining and alignment as background
jobs (`/jobs`). Every error is JSON `{error, message, field}`."""


def create_app(settings: Settings | None = None) -> FastAPI:
    """The app for ``settings`` (default: ``Settings.from_env()``). State opens in the lifespan:
    the default model loads and the collections are found before the first request."""
    settings = (settings or Settings.from_env()).validate()
    metrics = Metrics()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        import anyio.to_thread

        # requests that compute run in this many threads; more only fight over the GIL and the
        # cores (the encoder runs as many forward passes as there are cores), and wait longer
        anyio.to_thread.current_default_thread_limiter().total_tokens = settings.threads
        state = AppState(settings, metrics)
        app.state.interlingua = state
        state.space()  # the default model loads now, not on the first request
        log.info(
            "interlingua %s serving %s", __version__, ", ".join(state.collections.names()) or "no collections"
        )
        try:
            yield
        finally:
            state.close()

    app = FastAPI(
        title="interlingua",
        version=__version__,
        description=DESCRIPTION,
        lifespan=lifespan,
    )
    _errors.install(app)
    from ._collections import router as collections
    from ._compare import router as compare
    from ._documents import router as documents
    from ._embeddings import router as embeddings
    from ._jobs import router as jobs
    from ._meta import router as meta

    for router in (meta, embeddings, compare, collections, documents, jobs):
        app.include_router(router)

    index = STATIC / "index.html"

    @app.get("/", include_in_schema=False)
    def page() -> FileResponse:
        return FileResponse(str(index), media_type="text/html")

    app.mount("/static", StaticFiles(directory=str(STATIC)), name="static")
    if settings.cors_origins:
        from fastapi.middleware.cors import CORSMiddleware

        app.add_middleware(
            CORSMiddleware,
            allow_origins=list(settings.cors_origins),
            allow_methods=["*"],
            allow_headers=["*"],
        )
    # added last is outermost: metrics see every answer, the guard's refusals included
    app.add_middleware(Guard, api_key=settings.api_key, max_body_bytes=settings.max_body_bytes)
    app.add_middleware(Measure, metrics=metrics)
    app.state.settings = settings
    return app


def serve(settings: Settings) -> None:
    """Run the app with uvicorn until interrupted (``interlingua serve``)."""
    import uvicorn

    uvicorn.run(create_app(settings), host=settings.host, port=settings.port, log_level="info")


__all__ = ["create_app", "serve"]
