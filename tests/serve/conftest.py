"""Fixtures of the server tests: a folder of collections built from the demo sample (real e5
vectors), an in-process client (``TestClient``) and a real uvicorn server on a free port for
real clients (the ``openai`` package, a browser)."""

from __future__ import annotations

import json
import shutil
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def demo_passages(tmp_path_factory) -> Path:
    """The demo sample's 160 passages (10 topics x 16 languages) as JSONL with id, lang, text, group."""
    from interlingua.io import demo_path

    out = tmp_path_factory.mktemp("demo") / "passages.jsonl"
    rows = [json.loads(line) for line in demo_path().read_text(encoding="utf-8").splitlines() if line.strip()]
    with out.open("w", encoding="utf-8") as f:
        for r in rows:
            if r["kind"] == "passage":
                f.write(
                    json.dumps({"id": r["id"], "lang": r["lang"], "text": r["text"], "group": r["group"]})
                    + "\n"
                )
    return out


@pytest.fixture(scope="session")
def built_library(tmp_path_factory, demo_passages) -> Path:
    """A folder of collections holding ``demo`` (the 160 passages); read-only: copy it to write."""
    from interlingua.store import AddJob, IndexSpec
    from interlingua.store import run as store_run

    root = tmp_path_factory.mktemp("library")
    store_run(IndexSpec(uri=str(root / "demo")))
    store_run(AddJob(collection=str(root / "demo"), source=str(demo_passages)))
    return root


@pytest.fixture
def library(built_library, tmp_path) -> Path:
    """A writable copy of the folder of collections."""
    dst = tmp_path / "collections"
    shutil.copytree(built_library, dst)
    return dst


@pytest.fixture
def make_client(tmp_path) -> Iterator[Callable]:
    """``make_client(**settings)`` -> a started ``TestClient`` (lifespan run); closed after the test."""
    from fastapi.testclient import TestClient

    from interlingua.serve import Settings, create_app

    clients = []

    def make(*, raise_server_exceptions: bool = False, headers=None, **settings):
        settings.setdefault("jobs_dir", str(tmp_path / "jobs"))
        app = create_app(Settings.from_env({}, **settings))
        client = TestClient(app, raise_server_exceptions=raise_server_exceptions, headers=headers)
        client.__enter__()
        clients.append(client)
        return client

    yield make
    for c in clients:
        c.__exit__(None, None, None)


@pytest.fixture
def client(make_client, library):
    """A client of a server holding the demo collection (writable copy)."""
    return make_client(collections=(str(library),))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def running_server(**settings) -> Iterator[str]:
    """A real uvicorn server in a thread; yields its base URL (http://127.0.0.1:PORT)."""
    import uvicorn

    from interlingua.serve import Settings, create_app

    port = free_port()
    app = create_app(Settings.from_env({}, port=port, **settings))
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the server did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)


@pytest.fixture
def live_server(library, tmp_path) -> Iterator[str]:
    """A real server over the demo collection (writable copy); its base URL."""
    with running_server(collections=(str(library),), jobs_dir=str(tmp_path / "jobs")) as url:
        yield url
