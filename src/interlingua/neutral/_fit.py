"""``FitJob`` and its ``run``: texts by language -> vectors (per role) -> a fitted adapter folder.

The vectors are made by the job's space, with the adapters of ``after`` applied first, so a
chain is fit one step at a time (``center``, then ``balance`` on centered vectors) and each
adapter records the identity of the space it expects its input from. The folder appears
atomically; an existing output is replaced only with ``overwrite`` and only when it is an
adapter folder itself.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

import numpy as np

from .._atomic import atomic_folder
from .._executors import Executor
from .._spec import REQUIRED, group, param
from .._validation import Each, Interval, Mapping, Options, Text
from ..encoders import ROLES
from ..errors import InputError
from ..io import InputOptions
from ..progress import ProgressFn, note
from ._adapter import FORMAT, META_FILE, STATE_FILE, adapter_identity, read_meta, state_digest
from ._corpus import encode_texts
from ._fit_data import KINDS, SPLITS, FitTexts, load_fit_texts
from ._methods import METHODS, check_params, fit_state
from ._space import AdapterRef, Encoding, Space, cached_space


@dataclass(frozen=True, kw_only=True)
class FitJob(Encoding):
    """Fit one adapter method on texts by language and write it to ``output`` (a folder)."""

    caller = "neutral fit"
    method: str = param(REQUIRED, Options(tuple(METHODS)), help="center, lir, lsar, linear or balance")
    data: tuple[str, ...] = param(
        REQUIRED,
        Each(Text(nonempty=True)),
        help="FLORES / SIB-200 folder, file with a lang field, or pairs file",
    )
    output: str = param(REQUIRED, Text(nonempty=True), help="the adapter folder to write")
    kind: str = param("auto", Options(KINDS), help="how to read data: auto, folder, monolingual or parallel")
    split: str = param(
        "train", Options(SPLITS), help="the split of a FLORES / SIB-200 folder (never the one you report)"
    )
    langs: tuple[str, ...] = param(
        (), Each(Text(nonempty=True)), help="languages to fit (default: all in data)"
    )
    roles: tuple[str, ...] = param(
        ROLES, Each(Options(ROLES)), help="roles to keep statistics for (e5's prefixes move the means)"
    )
    limit: int = param(1000, Interval(int, 2, None), help="texts per language at most")
    params: dict[str, Any] = param(
        REQUIRED,
        Mapping(),
        factory=dict,
        help="method parameters: rank (lir, lsar, balance), pivot/kind/ridge (linear)",
    )
    after: tuple[str, ...] = param(
        (), Each(Text(nonempty=True)), help="adapter folders applied before this one"
    )
    overwrite: bool = param(False, help="replace an existing adapter folder at output")
    input: InputOptions = group(InputOptions, help="how a monolingual file is read (its lang field)")


@dataclass(frozen=True)
class FitReport:
    """What a fit did: the adapter it wrote and the texts it saw."""

    method: str = ""
    identity: str = ""
    output: str = ""
    space: str = ""
    languages: tuple[str, ...] = ()
    roles: tuple[str, ...] = ()
    texts: int = 0
    encoded: int = 0
    cache_hits: int = 0
    seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        out = {f.name: getattr(self, f.name) for f in fields(self)}
        out.update(languages=list(self.languages), roles=list(self.roles))
        return out


def adapter_refs(paths: Any) -> tuple[AdapterRef, ...]:
    """The chain entries for adapter folders (their method read from each ``adapter.json``)."""
    items = [paths] if isinstance(paths, str | os.PathLike) else list(paths or ())
    return tuple(AdapterRef(method=read_meta(p)["method"], path=str(Path(p).resolve())) for p in items)


def run(
    job: FitJob, *, progress: ProgressFn | None = None, executor: str | Executor | None = None
) -> FitReport:
    """Run a :class:`FitJob`: read, encode (through the cache), fit, write."""
    job.validate()
    started = time.perf_counter()
    method = METHODS[job.method]
    params = check_params(job.method, job.params)
    out = Path(job.output)
    _check_output(out, job)
    data = load_fit_texts(
        job.data, kind=job.kind, split=job.split, langs=job.langs, limit=job.limit, input=job.input
    )
    if method.parallel and not data.parallel:
        raise InputError(
            f"The {job.method} adapter needs parallel text (a FLORES / SIB-200 folder or a pairs file); "
            f"{', '.join(job.data)} gave monolingual texts.",
            field="data",
        )
    if job.method == "linear" and params["pivot"] not in data.texts:
        from ..text import canonical_lang

        params["pivot"] = canonical_lang(params["pivot"])
        if params["pivot"] not in data.texts:
            raise InputError(
                f"The linear adapter maps onto pivot {params['pivot']!r}, which the data does not hold "
                f"(it has {', '.join(sorted(data.texts))}); set params.pivot to one of them.",
                field="params.pivot",
            )
    space = _space_before(job)
    for lang, items in sorted(data.texts.items()):
        note(progress, f"{lang}: {len(items)} texts", "neutral fit")
    groups, encoded, hits = _encode(data, space, job, progress, executor)
    pairs = None
    if job.method == "linear":
        pivot = params["pivot"]
        pairs = {
            role: {lang: (x, by_lang[pivot]) for lang, x in by_lang.items() if lang != pivot}
            for role, by_lang in groups.items()
        }
    state = fit_state(job.method, groups, params, pairs=pairs)
    digest = state_digest(state)
    identity = adapter_identity(job.method, digest, space.identity, params)
    meta = {
        "format": FORMAT,
        "method": job.method,
        "identity": identity,
        "description": method.description,
        "fallback": method.fallback,
        "params": params,
        "roles": list(job.roles),
        "languages": sorted(data.texts),
        "space": space.identity,
        "encoder": space.name,
        "dim": space.dim,
        "after": [a.path for a in space.spec.adapters] if space.spec is not None else [],
        "data": {
            "kind": data.kind,
            "paths": [str(Path(p).resolve()) for p in job.data],
            "split": job.split if data.kind == "folder" else None,
            "sha256": data.digest(),
            "texts": {lang: len(items) for lang, items in sorted(data.texts.items())},
        },
        "state_sha256": digest,
        "job": job.to_dict(transient=False),
        "interlingua": _version(),
        "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    write_adapter(out, meta, state, overwrite=job.overwrite)
    return FitReport(
        job.method,
        identity,
        str(out),
        space.identity,
        tuple(sorted(data.texts)),
        tuple(job.roles),
        sum(len(v) for v in data.texts.values()) * len(job.roles),
        encoded,
        hits,
        time.perf_counter() - started,
    )


def _version() -> str:
    from .. import __version__

    return __version__


def _space_before(job: FitJob) -> Space:
    """The space whose vectors this adapter takes: the job's, with the ``after`` chain."""
    spec = job.space
    if job.after:
        spec = spec.replace(adapters=(*spec.adapters, *adapter_refs(job.after)))
    return cached_space(spec)


def _encode(
    data: FitTexts, space: Space, job: FitJob, progress: ProgressFn | None, executor: Any
) -> tuple[dict[str, dict[str, np.ndarray]], int, int]:
    langs = sorted(data.texts)
    texts = [t for lang in langs for t in data.texts[lang]]
    tags = [lang for lang in langs for _ in data.texts[lang]]
    groups: dict[str, dict[str, np.ndarray]] = {}
    encoded = hits = 0
    for role in job.roles:
        vectors, stats = encode_texts(
            texts,
            space,
            role=role,
            langs=tags,
            cache=job.cache,
            workers=job.workers,
            executor=executor,
            progress=progress,
            desc=f"embed ({role})",
        )
        encoded, hits = encoded + stats.encoded, hits + stats.cache_hits
        start = 0
        groups[role] = {}
        for lang in langs:
            n = len(data.texts[lang])
            groups[role][lang] = vectors[start : start + n]
            start += n
    return groups, encoded, hits


def _check_output(out: Path, job: FitJob) -> None:
    resolved = out.resolve()
    for given in (*job.data, *job.after):
        if Path(given).resolve() == resolved:
            raise InputError(
                f"The output {out} is also an input of the job; write the adapter elsewhere.", field="output"
            )
    if out.exists():
        if not (out / META_FILE).is_file():
            raise InputError(
                "exists and is not an adapter folder; choose a new folder for the adapter",
                path=str(out),
                field="output",
            )
        if not job.overwrite:
            raise InputError(
                "already holds an adapter; add --overwrite to replace it, or choose a new folder",
                path=str(out),
                field="output",
            )
    if not out.parent.exists():
        raise InputError(
            "is in a folder that does not exist; create the folder first", path=str(out), field="output"
        )


def write_adapter(
    out: Path, meta: dict[str, Any], state: dict[str, np.ndarray], *, overwrite: bool = False
) -> None:
    """Write the folder beside its target and move it into place atomically (an old adapter is
    replaced only with ``overwrite``)."""
    with atomic_folder(out, replace=overwrite) as temp:
        np.savez(temp / STATE_FILE, **state)
        (temp / META_FILE).write_text(json.dumps(meta, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


__all__ = ["FitJob", "FitReport", "adapter_refs", "run", "write_adapter"]
