"""A fuzz run over every route of the app's OpenAPI schema (schemathesis 4 on Hypothesis): data
that fits the schema and data that does not, sent to a real server over the demo collection.
No request may answer 5xx, and every error must be the house's JSON ``{error, message, field}``
without traceback text.

The operations are read from the app when the tests are collected, so routes added later are
fuzzed too. Each operation gets a small, derandomized budget (the run stays within ~2 minutes);
failures are gathered, not shrunk, so one run lists every request that broke a route.
"""

from __future__ import annotations

import json
import shutil
from typing import Any

import pytest

schemathesis = pytest.importorskip("schemathesis")
hypothesis = pytest.importorskip("hypothesis")

from hypothesis import HealthCheck, Phase  # noqa: E402
from hypothesis.errors import Unsatisfiable  # noqa: E402
from schemathesis import GenerationMode  # noqa: E402
from tests.serve.conftest import running_server  # noqa: E402

#: examples per operation and mode
EXAMPLES = 8
#: routes whose answer is not JSON when it succeeds
TEXT_ROUTES = ("/metrics", "/jobs/{job_id}/result")


def _operations() -> list[tuple[str, str]]:
    from interlingua.serve import Settings, create_app

    paths = create_app(Settings.from_env({})).openapi()["paths"]
    ops = [(method.upper(), path) for path, item in paths.items() for method in item]
    # deleting runs last, so the other routes see the demo collection
    return sorted(ops, key=lambda op: op[0] == "DELETE")


OPERATIONS = _operations()


@pytest.fixture(scope="module")
def server(built_library, tmp_path_factory) -> Any:
    root = tmp_path_factory.mktemp("fuzz")
    shutil.copytree(built_library, root / "collections")
    with running_server(collections=(str(root / "collections"),), jobs_dir=str(root / "jobs")) as url:
        yield url


@pytest.fixture(scope="module")
def schema(server) -> Any:
    return schemathesis.openapi.from_url(server + "/openapi.json")


@pytest.fixture(scope="module")
def session() -> Any:
    import requests

    with requests.Session() as s:
        yield s


def _problem(response: Any, path: str) -> str | None:
    """What is wrong with an answer, or None."""
    status = response.status_code
    if status >= 500:
        return f"{status} {response.text[:300]!r}"
    if status < 400:
        return None
    if "Traceback" in response.text:
        return f"{status} with a traceback"
    try:
        body = response.json()
    except ValueError:
        return f"{status} with a body that is not JSON: {response.text[:200]!r}"
    if not isinstance(body, dict) or set(body) != {"error", "message", "field"}:
        return f"{status} with a body that is not {{error, message, field}}: {body!r:.300}"
    if not isinstance(body["message"], str) or not body["message"]:
        return f"{status} without a message: {body!r:.300}"
    return None


def _fuzz(operation: Any, mode: GenerationMode, session: Any, failures: list[str], **fixed: Any) -> None:
    strategy = operation.as_strategy(generation_mode=mode, **fixed)

    @hypothesis.settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        derandomize=True,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @hypothesis.given(case=strategy)
    def run(case: Any) -> None:
        response = case.call(session=session, timeout=120)
        problem = _problem(response, operation.path)
        if problem:
            failures.append(f"{mode.value}: {problem}\n    {case.as_curl_command()}")

    try:
        run()
    except Unsatisfiable:  # an operation with nothing to make invalid (no parameters, no body)
        pass


@pytest.fixture(scope="module")
def doc_id(demo_passages) -> str:
    return json.loads(demo_passages.read_text(encoding="utf-8").splitlines()[0])["id"]


def _known(path: str, method: str, server: str, session: Any, doc_id: str) -> dict[str, str]:
    """Path parameters that name real things (the demo collection, one of its documents, a job,
    the model), so the fuzzed bodies reach the code behind the 404."""
    if path == "/collections/{name}" and method == "DELETE":
        return {}  # the other routes keep the demo collection
    known = {"name": "demo", "doc_id": doc_id, "model": "e5-small"}
    if "{job_id}" in path:
        jobs = session.get(server + "/jobs", timeout=60).json().get("jobs") or []
        if not jobs:
            return {}
        known["job_id"] = jobs[0]["id"]
    return {k: v for k, v in known.items() if "{" + k + "}" in path}


@pytest.mark.slow
@pytest.mark.parametrize("method, path", OPERATIONS, ids=[f"{m} {p}" for m, p in OPERATIONS])
def test_no_route_answers_5xx_or_an_error_that_is_not_json(schema, server, session, doc_id, method, path):
    operation = schema[path][method]
    failures: list[str] = []
    _fuzz(operation, GenerationMode.POSITIVE, session, failures)
    fixed = _known(path, method, server, session, doc_id)
    if fixed:
        _fuzz(operation, GenerationMode.POSITIVE, session, failures, path_parameters=fixed)
    _fuzz(operation, GenerationMode.NEGATIVE, session, failures)
    assert not failures, f"{len(failures)} bad answer(s) from {method} {path}:\n" + "\n".join(failures[:10])
