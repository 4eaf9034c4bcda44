"""The server's frame: settings from the environment, the API key, limits, JSON errors without
tracebacks, metrics per route template, CORS off by default, and ``interlingua serve`` itself."""

from __future__ import annotations

import os
import signal
import subprocess
import time

import httpx
import pytest
from tests.helpers import assert_one_error, console_script
from tests.serve.conftest import free_port

from interlingua.errors import InputError, SpecError
from interlingua.serve import Settings, create_app


def _is_error_body(body: dict, status_word: str) -> None:
    assert set(body) == {"error", "message", "field"}, body
    assert body["error"] == status_word
    assert "Traceback" not in body["message"]


# -- settings ---------------------------------------------------------------------------------
def test_settings_come_from_interlingua_variables_and_flags_win():
    env = {
        "INTERLINGUA_PORT": "8123",
        "INTERLINGUA_COLLECTIONS": "/srv/a:/srv/b",
        "INTERLINGUA_MAX_BATCH": "17",
        "INTERLINGUA_CORS_ORIGINS": "http://a.example,http://b.example",
        "INTERLINGUA_UNRELATED": "ignored",
    }
    s = Settings.from_env(env)
    assert (s.port, s.collections, s.max_batch) == (8123, ("/srv/a", "/srv/b"), 17)
    assert s.cors_origins == ("http://a.example", "http://b.example")
    assert Settings.from_env(env, port=9000).port == 9000
    uri = Settings.from_env({"INTERLINGUA_COLLECTIONS": "postgresql://db/x?collection=c"})
    assert uri.collections == ("postgresql://db/x?collection=c",)


def test_a_bad_variable_is_one_error_naming_it():
    with pytest.raises(InputError, match="INTERLINGUA_PORT must be a number"):
        Settings.from_env({"INTERLINGUA_PORT": "eighty"})
    with pytest.raises(InputError, match="'max_batch'"):
        Settings.from_env({"INTERLINGUA_MAX_BATCH": "0"})


@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.20", "::", "example.org"])
def test_binding_elsewhere_than_loopback_needs_an_api_key(host):
    with pytest.raises(SpecError, match="INTERLINGUA_API_KEY") as info:
        Settings.from_env({}, host=host)
    assert info.value.field == "api_key"
    assert Settings.from_env({"INTERLINGUA_API_KEY": "k"}, host=host).host == host
    for loopback in ("127.0.0.1", "::1", "localhost", "127.0.0.2"):
        assert Settings.from_env({}, host=loopback).api_key is None


def test_serve_refuses_a_public_address_without_a_key(cli, monkeypatch):
    monkeypatch.delenv("INTERLINGUA_API_KEY", raising=False)
    code, out, err = cli("serve", "--host", "0.0.0.0")
    assert_one_error(code, out, err, "Refusing to bind 0.0.0.0", "INTERLINGUA_API_KEY")


# -- the API key --------------------------------------------------------------------------------
def test_the_api_key_guards_every_route_but_health_and_the_page(make_client):
    c = make_client(api_key="s3cret")
    assert c.get("/health").json() == {"status": "ok"}
    assert c.get("/").status_code == 200
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": "Basic s3cret"}):
        r = c.get("/info", headers=headers)
        assert r.status_code == 401, headers
        assert r.headers["www-authenticate"] == "Bearer"
        _is_error_body(r.json(), "unauthorized")
    r = c.post("/v1/embeddings", json={"input": "x"})
    assert r.status_code == 401  # refused before the body is read
    assert c.get("/info", headers={"Authorization": "Bearer s3cret"}).status_code == 200
    assert c.get("/metrics", headers={"Authorization": "Bearer s3cret"}).status_code == 200


# -- limits and errors --------------------------------------------------------------------------
def test_a_body_over_the_limit_answers_413_with_the_limit(make_client):
    c = make_client(max_body_bytes=2048)
    r = c.post("/v1/embeddings", json={"input": ["x" * 3000]})
    assert r.status_code == 413
    body = r.json()
    _is_error_body(body, "payload_too_large")
    assert "2048 bytes" in body["message"] and "INTERLINGUA_MAX_BODY_BYTES" in body["message"]

    def chunks():  # no Content-Length: counted while it arrives
        for _ in range(10):
            yield b"x" * 1000

    r = c.post("/v1/embeddings", content=chunks(), headers={"content-type": "application/json"})
    assert r.status_code == 413
    assert "2048 bytes" in r.json()["message"]


def test_unknown_routes_and_methods_answer_json(make_client):
    c = make_client()
    r = c.get("/no/such/route")
    assert r.status_code == 404
    _is_error_body(r.json(), "not_found")
    r = c.delete("/health")
    assert r.status_code == 405
    _is_error_body(r.json(), "method_not_allowed")


def test_a_bug_answers_500_without_a_traceback(tmp_path):
    from fastapi.testclient import TestClient

    app = create_app(Settings.from_env({}, jobs_dir=str(tmp_path / "jobs")))

    @app.get("/boom")
    def boom():
        raise RuntimeError("secret internal detail /etc/passwd")

    with TestClient(app, raise_server_exceptions=False) as c:
        r = c.get("/boom")
    assert r.status_code == 500
    body = r.json()
    _is_error_body(body, "internal")
    assert "secret" not in r.text and "RuntimeError" not in r.text and "File " not in r.text


def test_an_interlingua_error_answers_its_status_and_field(tmp_path):
    from fastapi.testclient import TestClient

    from interlingua.errors import CollectionLockedError, InputError

    app = create_app(Settings.from_env({}, jobs_dir=str(tmp_path / "jobs")))

    @app.get("/locked")
    def locked():
        raise CollectionLockedError("another process is writing to demo")

    @app.get("/bad")
    def bad():
        raise InputError("must be positive", field="knn.k")

    with TestClient(app) as c:
        r = c.get("/locked")
        assert (r.status_code, r.json()["error"]) == (423, "locked")
        r = c.get("/bad")
        assert r.status_code == 422
        assert r.json() == {"error": "invalid_input", "message": "must be positive", "field": "knn.k"}


# -- info, metrics, CORS ------------------------------------------------------------------------
def test_info_names_the_models_limits_and_version(make_client):
    from interlingua import __version__

    info = make_client(max_batch=64).get("/info").json()
    assert info["version"] == __version__
    assert info["model_id"] == "e5-small" and info["max_client_batch_size"] == 64
    (model,) = info["models"]
    assert (model["name"], model["dim"], model["max_tokens"]) == ("e5-small", 384, 512)
    assert info["limits"]["max_batch"] == 64 and info["auth"] is False


def test_metrics_count_requests_by_route_template_with_latency(make_client):
    c = make_client()
    for _ in range(3):
        c.get("/health")
    c.get("/collections/some-name-nobody-has")
    c.get("/no/such/route/abc123")
    text = c.get("/metrics").text
    assert 'interlingua_requests_total{method="GET",route="/health",status="200"} 3.0' in text
    assert 'interlingua_request_duration_seconds_bucket{le="0.005",method="GET",route="/health"}' in text
    assert "some-name-nobody-has" not in text and "abc123" not in text  # templates, never raw paths
    assert "interlingua_jobs_queued 0.0" in text
    assert "interlingua_requests_in_flight" in text


def test_cors_is_off_unless_configured(make_client):
    preflight = {"Origin": "http://app.example", "Access-Control-Request-Method": "POST"}
    c = make_client()
    assert (
        "access-control-allow-origin"
        not in c.get("/health", headers={"Origin": "http://app.example"}).headers
    )
    assert "access-control-allow-origin" not in c.options("/embed", headers=preflight).headers
    c = make_client(cors_origins=("http://app.example",))
    r = c.options("/embed", headers=preflight)
    assert r.headers["access-control-allow-origin"] == "http://app.example"
    r = c.options("/embed", headers={**preflight, "Origin": "http://evil.example"})
    assert r.headers.get("access-control-allow-origin") != "http://evil.example"


def test_the_schema_documents_every_route(make_client):
    schema = make_client().get("/openapi.json").json()
    assert schema["info"]["title"] == "interlingua"
    assert "/health" in schema["paths"] and "/metrics" in schema["paths"]


# -- the command ----------------------------------------------------------------------------------
def test_interlingua_serve_starts_answers_and_stops(built_library, tmp_path):
    port = free_port()
    env = {**os.environ, "OMP_NUM_THREADS": "1", "INTERLINGUA_MAX_BATCH": "12"}
    proc = subprocess.Popen(
        [
            console_script(),
            "serve",
            "--port",
            str(port),
            "-c",
            str(built_library),
            "--jobs-dir",
            str(tmp_path),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                info = httpx.get(f"http://127.0.0.1:{port}/info", timeout=5).json()
                break
            except httpx.TransportError:
                assert proc.poll() is None, proc.communicate()[1]
                assert time.monotonic() < deadline, "the server did not answer in 90 s"
                time.sleep(0.3)
        assert info["max_client_batch_size"] == 12  # from INTERLINGUA_MAX_BATCH
        assert "demo" in info["collections"]
    finally:
        proc.terminate()
        _, err = proc.communicate(timeout=30)
    assert proc.returncode in (0, -signal.SIGTERM), err  # uvicorn ends by the signal it was sent
    assert "Traceback" not in err
