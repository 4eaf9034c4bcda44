"""The server's settings: one frozen spec, read from ``INTERLINGUA_*`` variables and flags.

A setting is the field's name upper-cased after the prefix (``INTERLINGUA_PORT=8080``,
``INTERLINGUA_COLLECTIONS=/srv/a:/srv/b``: lists split on ``:`` or ``,``). Flags of
``interlingua serve`` win over variables, variables over the defaults.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .._spec import Spec, param
from .._validation import Each, Interval, NoneOr, Text
from ..errors import InputError, SpecError

PREFIX = "INTERLINGUA_"
#: the addresses that need no API key: only this machine can reach them
LOOPBACK = ("127.0.0.1", "::1", "localhost")


@dataclass(frozen=True, kw_only=True)
class Settings(Spec):
    """Everything ``create_app`` needs; ``Settings.from_env()`` fills it from the environment."""

    caller = "serve"
    collections: tuple[str, ...] = param(
        (),
        Each(Text(nonempty=True)),
        help="collections to serve: a collection folder, a folder of collections (new ones are "
        "created in the first), or a URI",
    )
    host: str = param(
        "127.0.0.1", Text(nonempty=True), help="address to bind (elsewhere than 127.0.0.1 needs api_key)"
    )
    port: int = param(8000, Interval(int, 0, 65535), help="port to bind (0: any free port)")
    api_key: str | None = param(
        None, NoneOr(Text(nonempty=True)), help="bearer token every route but /health asks for"
    )
    model: str = param(
        "e5-small", Text(nonempty=True), help="the encoder /embed and /v1/embeddings use by default"
    )
    models: tuple[str, ...] = param(
        (),
        Each(Text(nonempty=True)),
        help="other encoders a request may name (model=...); the default always",
    )
    max_batch: int = param(256, Interval(int, 1, 100_000), help="texts (or queries) in one request")
    max_input_chars: int = param(100_000, Interval(int, 1, None), help="characters in one text of a request")
    max_body_bytes: int = param(
        32 * 1024 * 1024, Interval(int, 1024, None), help="bytes in one request body (uploads included)"
    )
    threads: int = param(
        8, Interval(int, 1, 256), help="requests computed at once (the rest wait their turn, in order)"
    )
    max_jobs: int = param(1, Interval(int, 1, 64), help="mining / alignment jobs that run at once")
    max_queued: int = param(
        8, Interval(int, 0, 10_000), help="jobs that may wait for a slot; more answer 429"
    )
    jobs_dir: str | None = param(
        None, NoneOr(Text(nonempty=True)), help="where job inputs and results live (default: the user cache)"
    )
    cors_origins: tuple[str, ...] = param(
        (), Each(Text(nonempty=True)), help="origins allowed by CORS (none: CORS off)"
    )
    lock_timeout: float = param(
        10.0, Interval(float, 0.0, 3600.0), help="seconds a write waits for another writer of the collection"
    )

    def check_fields(self, caller: str, prefix: str) -> None:
        if self.api_key is None and not is_loopback(self.host):
            raise SpecError(
                f"Refusing to bind {self.host}: only 127.0.0.1 is safe without an API key. Set "
                "INTERLINGUA_API_KEY (clients send 'Authorization: Bearer <key>'), or bind 127.0.0.1.",
                field=prefix + "api_key",
            )

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
        """Defaults, then ``INTERLINGUA_*`` variables, then ``overrides`` (None values skipped); checked."""
        env = os.environ if environ is None else environ
        data: dict[str, Any] = {}
        for f in dataclasses.fields(cls):
            raw = env.get(PREFIX + f.name.upper())
            if raw is None or raw == "":
                continue
            data[f.name] = _from_env(f.name, raw, cls)
        data.update({k: v for k, v in overrides.items() if v is not None})
        return cls.from_dict(data).validate()


def is_loopback(host: str) -> bool:
    if host in LOOPBACK:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _from_env(name: str, raw: str, cls: type[Settings]) -> Any:
    default = {f.name: f.default for f in dataclasses.fields(cls)}[name]
    var = PREFIX + name.upper()
    if isinstance(default, tuple):
        sep = ":" if name == "collections" and "://" not in raw else ","
        return tuple(p.strip() for p in raw.split(sep) if p.strip())
    if isinstance(default, bool):
        return raw.lower() in ("1", "true", "yes", "on")
    if isinstance(default, int) or isinstance(default, float):
        try:
            return type(default)(raw)
        except ValueError:
            raise InputError(f"{var} must be a number. Got {raw!r} instead.", field=name) from None
    return raw


__all__ = ["LOOPBACK", "PREFIX", "Settings", "is_loopback"]
