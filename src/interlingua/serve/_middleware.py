"""What every request passes through, as plain ASGI middleware: the API key, the body limit and
the metrics. Plain ASGI (not ``BaseHTTPMiddleware``) so that uploads stream and a body over the
limit is refused while it arrives, not after it is all in memory."""

from __future__ import annotations

import hmac
import json
import time
from typing import Any

from ._errors import error_body
from ._metrics import Metrics

#: routes that answer without the API key: the health probe, and the page's static files (they
#: hold no data; the page asks for the key when the API answers 401)
OPEN_PATHS = ("/health",)
OPEN_PREFIXES = ("/static/",)


async def _send_json(send: Any, status: int, body: dict[str, Any], headers: list | None = None) -> None:
    data = json.dumps(body).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(data)).encode()),
                *(headers or []),
            ],
        }
    )
    await send({"type": "http.response.body", "body": data})


class Guard:
    """API key (bearer) and body size limit, before anything is read."""

    def __init__(self, app: Any, *, api_key: str | None, max_body_bytes: int):
        self.app, self.api_key, self.limit = app, api_key, max_body_bytes

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope.get("path", "")
        if self.api_key is not None and not _open(path) and not self._authorized(scope):
            await _send_json(
                send,
                401,
                error_body(401, "This server needs an API key: send 'Authorization: Bearer <key>'."),
                [(b"www-authenticate", b"Bearer")],
            )
            return
        headers = dict(scope.get("headers") or [])
        declared = headers.get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.limit:
            await _send_json(send, 413, self._too_large(int(declared)))
            return
        seen = 0
        started = over = False

        async def counted() -> dict:
            nonlocal seen, over
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.limit:
                    # the app sees a client that went away; its answer is dropped for the 413
                    over = True
                    return {"type": "http.disconnect"}
            return message

        async def tracked(message: dict) -> None:
            nonlocal started
            if over and not started:
                return
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counted, tracked)
        except Exception:
            if not over:
                raise
        if over and not started:
            await _send_json(send, 413, self._too_large(None))

    def _too_large(self, size: int | None) -> dict[str, Any]:
        got = f" (this one has {size} bytes)" if size is not None else ""
        return error_body(
            413,
            f"The request body is over the limit of {self.limit} bytes{got}; send less per request, "
            "or raise INTERLINGUA_MAX_BODY_BYTES.",
        )

    def _authorized(self, scope: dict) -> bool:
        for name, value in scope.get("headers") or []:
            if name == b"authorization":
                scheme, _, token = value.decode("latin-1").partition(" ")
                assert self.api_key is not None
                return scheme.lower() == "bearer" and hmac.compare_digest(
                    token.strip().encode(), self.api_key.encode()
                )
        return False


def _open(path: str) -> bool:
    return path in OPEN_PATHS or path.startswith(OPEN_PREFIXES) or path == "/"


class Measure:
    """Counts each request by route template, method and status, and times it."""

    def __init__(self, app: Any, metrics: Metrics):
        self.app, self.metrics = app, metrics

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = 500

        async def tracked(message: dict) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        self.metrics.in_flight.inc()
        try:
            await self.app(scope, receive, tracked)
        finally:
            self.metrics.in_flight.dec()
            route = scope.get("route")
            template = getattr(route, "path", None) or "(unmatched)"
            self.metrics.observe(template, scope.get("method", "?"), status, time.perf_counter() - start)


__all__ = ["OPEN_PATHS", "Guard", "Measure"]
