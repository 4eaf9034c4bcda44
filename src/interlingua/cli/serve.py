"""``interlingua serve``: the HTTP API and the web page (FastAPI + uvicorn)."""

from __future__ import annotations

import typer


def serve(
    collections: list[str] = typer.Option(
        None,
        "--collections",
        "-c",
        help="A collection folder, a folder of collections (new ones are made in the first) or a URI; repeatable.",
    ),
    host: str = typer.Option(
        None, "--host", help="Address to bind (default 127.0.0.1; any other needs INTERLINGUA_API_KEY)."
    ),
    port: int = typer.Option(None, "--port", "-p", help="Port (default 8000; 0 picks a free one)."),
    model: str = typer.Option(
        None, "--model", "-m", help="The default encoder of /embed (default e5-small)."
    ),
    models: list[str] = typer.Option(None, "--models", help="Other encoders requests may name; repeatable."),
    max_jobs: int = typer.Option(None, "--max-jobs", help="Mining/alignment jobs at once (default 1)."),
    jobs_dir: str = typer.Option(None, "--jobs-dir", help="Where jobs keep inputs and results."),
    cors_origin: list[str] = typer.Option(
        None, "--cors-origin", help="An origin CORS allows (repeatable; none: CORS off)."
    ),
) -> None:
    """Serve the HTTP API and the web page. Settings also come from INTERLINGUA_* variables
    (INTERLINGUA_API_KEY, INTERLINGUA_MAX_BATCH, ...); flags win. The API's schema is at /docs."""
    from ..serve import Settings
    from ..serve import serve as run_server

    overrides = {
        "collections": tuple(collections) if collections else None,
        "host": host,
        "port": port,
        "model": model,
        "models": tuple(models) if models else None,
        "max_jobs": max_jobs,
        "jobs_dir": jobs_dir,
        "cors_origins": tuple(cors_origin) if cors_origin else None,
    }
    run_server(Settings.from_env(**overrides))


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)
