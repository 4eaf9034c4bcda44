"""The server's per-request limits, checked one way by every router: a 413 that names the field,
the limit and the setting that raises it."""

from __future__ import annotations

from ..errors import RequestTooLargeError


def too_large(message: str, field: str | None) -> RequestTooLargeError:
    err = RequestTooLargeError(message)
    err.field = field
    return err


def check_count(n: int, limit: int, field: str, what: str = "texts") -> None:
    """At most ``limit`` (``max_batch``) items in one request."""
    if n > limit:
        raise too_large(
            f"The {field!r} field holds {n:,} {what}, over the limit of {limit:,} in one request; send "
            "fewer per request, or raise INTERLINGUA_MAX_BATCH (max_batch).",
            field,
        )


def check_length(text: str, field: str, limit: int) -> None:
    """At most ``limit`` (``max_input_chars``) characters in one text."""
    if len(text) > limit:
        raise too_large(
            f"The {field!r} field has {len(text):,} characters, over the limit of {limit:,} characters in "
            "one text; send less, or raise INTERLINGUA_MAX_INPUT_CHARS (max_input_chars).",
            field,
        )


__all__ = ["check_count", "check_length", "too_large"]
