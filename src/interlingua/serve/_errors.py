"""One error handler: every failure answers JSON ``{error, message, field}``, never a traceback.

An :class:`~interlingua.errors.InterlinguaError` answers its own ``http_status``; a request that
does not match the schema answers 422 naming the first bad field (dotted: ``knn.k``,
``inputs[3]``); anything else is a bug: 500 with a generic message, the traceback in the log.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from ..errors import InterlinguaError, StorageError

log = logging.getLogger("interlingua.serve")

#: the ``error`` word of each status the server answers
ERROR_NAMES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "invalid_input",
    423: "locked",
    429: "too_many_requests",
    500: "internal",
    501: "not_implemented",
    503: "unavailable",
    507: "insufficient_storage",
}


def error_body(status: int, message: str, field: str | None = None) -> dict[str, Any]:
    return {"error": ERROR_NAMES.get(status, "error"), "message": message, "field": field}


def error_response(status: int, message: str, field: str | None = None, headers=None) -> JSONResponse:
    return JSONResponse(error_body(status, message, field), status_code=status, headers=headers)


def dotted(loc: tuple | list) -> str:
    """``("body", "knn", "k")`` -> ``knn.k``; ``("body", "inputs", 3)`` -> ``inputs[3]``."""
    out = ""
    for i, part in enumerate(loc):
        if i == 0 and part in ("body", "query", "path", "header", "form", "file"):
            continue  # where the field was (a body field may be named "query" too)
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


def _validation_message(err: dict[str, Any], field: str) -> str:
    msg = str(err.get("msg", "is invalid"))
    where = f"The {field!r} field" if field else "The request body"
    if err.get("type") == "missing":
        return f"{where} is required."
    if err.get("type") == "extra_forbidden":
        return f"{where} is not a known field; see /docs for the request's fields."
    if err.get("type") == "json_invalid":
        return f"The request body is not valid JSON: {err.get('ctx', {}).get('error', msg)}."
    return f"{where} is invalid: {msg}."


def install(app: FastAPI) -> None:
    @app.exception_handler(InterlinguaError)
    async def _interlingua(request: Request, exc: InterlinguaError) -> JSONResponse:
        status = int(getattr(exc, "http_status", 400))
        if isinstance(exc, StorageError) or status >= 500:
            log.error("%s %s: %s", request.method, request.url.path, exc)
        return error_response(status, str(exc), getattr(exc, "field", None))

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = exc.errors()
        first = errors[0] if errors else {}
        field = dotted(first.get("loc", ()))
        return error_response(422, _validation_message(first, field), field or None)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        message = exc.detail if isinstance(exc.detail, str) else ERROR_NAMES.get(exc.status_code, "error")
        if exc.status_code == 404 and message == "Not Found":
            message = f"No route {request.url.path}; see /docs for the API."
        if exc.status_code == 405:
            message = f"{request.method} is not allowed on {request.url.path}."
        return error_response(exc.status_code, message, None, getattr(exc, "headers", None))

    @app.exception_handler(Exception)
    async def _bug(request: Request, exc: Exception) -> JSONResponse:
        log.exception("internal error on %s %s", request.method, request.url.path)
        return error_response(500, "Internal error; the server log has the details.")


__all__ = ["ERROR_NAMES", "dotted", "error_body", "error_response", "install"]
