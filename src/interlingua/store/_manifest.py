"""The collection's manifest (``manifest.json``): what made the vectors and how they are indexed.

A collection is a folder of plain files: ``manifest.json``, ``catalog.sqlite`` (documents,
vectors, the change log; the source of truth), ``dense-<seq>.faiss`` (the dense index, built
from the faiss factory string the manifest records) and ``lexical-<n>/`` (the tantivy BM25
index). Nothing is pickled. A manifest from elsewhere is checked field by field before use: a
wrong type, a missing field or bytes that are not UTF-8 JSON are one error naming the file and
the field.
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from .._atomic import atomic_write_bytes
from .._faiss import STORAGE_FACTORIES, auto_ivf_factory, named_factories
from ..errors import CollectionError, InputError
from ._spec import DenseOptions

FORMAT = "interlingua-collection"
FORMAT_VERSION = 2
MANIFEST = "manifest.json"
_MAX_BYTES = 1 << 20
_DENSE_DEFAULTS = DenseOptions()
#: dense settings newer than some manifests (and than some DenseOptions): the value that gives
#: what a collection without them was built and searched with (no refine stage, IVF's own nprobe,
#: and no third tier: a collection made before ``ivf_threshold`` never switches to IVF)
_DENSE_LATER = {"k_factor": 1, "nprobe": None, "ivf_threshold": None}
#: dense settings a manifest may hold, with their types (those in _NULLABLE may also be null)
_DENSE_FIELDS: dict[str, type] = {
    "factory": str,
    "small": str,
    "large": str,
    "huge": str,
    "hnsw_threshold": int,
    "ivf_threshold": int,
    "ef_search": int,
    "ef_construction": int,
    "k_factor": int,
    "nprobe": int,
}
_NULLABLE = ("nprobe", "k_factor", "ivf_threshold")
_ZERO_OK = ("hnsw_threshold", "ivf_threshold")

#: field -> (type, required)
_SCHEMA: dict[str, tuple[type | tuple[type, ...], bool]] = {
    "encoder": (str, True),
    "encoder_name": (str, True),
    "dim": (int, True),
    "space": (dict, False),
    "dense": (dict, False),
    "lexical": (dict, False),
    "langid": (dict, False),
    "normalization": (str, False),
    "dtype": (str, False),
    "metric": (str, False),
    "backend": (str, False),
    "created": (str, False),
    "format": (str, True),
    "format_version": (int, True),
}


@dataclass
class Manifest:
    """What a collection promises about its vectors and indexes.

    ``encoder`` is the space's ``identity`` (model name, content hash, adapters); a collection
    refuses vectors from any other. ``space`` is the spec that rebuilds the space. ``dense`` holds
    the faiss settings (``factory``: "auto" or a factory string; for "auto", ``small`` up to
    ``hnsw_threshold`` documents, ``large`` above and ``huge`` above ``ivf_threshold`` (null:
    never); ``ef_search``, ``ef_construction``; ``k_factor``, the candidates a refine stage
    (``...,RFlat``) re-scores per hit wanted, and ``nprobe``, the IVF cells searched, both null
    for the index's own);
    ``lexical`` the BM25 settings (``segmenter``); ``langid`` the language-ID backend and model
    that labelled documents given without a language.
    """

    encoder: str
    encoder_name: str
    dim: int
    space: dict[str, Any] = field(default_factory=dict)
    dense: dict[str, Any] = field(default_factory=dict)
    lexical: dict[str, Any] = field(default_factory=dict)
    langid: dict[str, Any] = field(default_factory=dict)
    normalization: str = "l2"
    dtype: str = "float32"
    metric: str = "inner_product"
    backend: str = "embedded"
    created: str = ""
    format: str = FORMAT
    format_version: int = FORMAT_VERSION

    @classmethod
    def new(
        cls, spec: Any, sp: Any, *, space: dict[str, Any], lexical: dict[str, str], **more: Any
    ) -> Manifest:
        """The manifest of a new collection made from an IndexSpec and its Space (``space``: the
        spec that rebuilds it, as this backend stores it; ``lexical``: the engine and scoring)."""
        from ..text import langid_info

        d = spec.dense
        return cls(
            encoder=sp.identity,
            encoder_name=sp.name,
            dim=int(sp.dim),
            space=space,
            dense={
                "factory": d.factory,
                "small": d.small,
                "large": d.large,
                "hnsw_threshold": d.hnsw_threshold,
                "huge": d.huge,
                "ef_search": d.ef_search,
                "ef_construction": d.ef_construction,
                **{name: getattr(d, name, value) for name, value in _DENSE_LATER.items()},
            },
            lexical={**lexical, "segmenter": spec.lexical.segmenter},
            langid=langid_info(spec.langid),
            **more,
        )

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2, ensure_ascii=False) + "\n"

    def write(self, folder: Path) -> None:
        if not self.created:
            self.created = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        atomic_write_bytes(folder / MANIFEST, self.to_json().encode("utf-8"))

    @classmethod
    def read(cls, folder: Path) -> Manifest:
        path = folder / MANIFEST
        if not path.exists() and not path.is_symlink():
            raise InputError(
                f"{folder} is not an interlingua collection (no {MANIFEST}); create one with `interlingua index create`."
            )
        from ._paths import check_within

        check_within(folder, path, source=str(folder), field=MANIFEST)  # a link out is not read
        raw = _read_json(path)
        if raw.get("format") != FORMAT:
            raise _bad(path, f"not an interlingua collection manifest (format {raw.get('format')!r})")
        version = raw.get("format_version")
        if version == 1:
            raw = _from_v1(raw)
        elif version != FORMAT_VERSION:
            raise _bad(
                path,
                f"collection format version {version!r} is not supported (this interlingua reads "
                f"versions 1 and {FORMAT_VERSION}); use the interlingua that made it",
            )
        for name, (kind, required) in _SCHEMA.items():
            if name not in raw:
                if required:
                    raise _bad(path, f"lacks the field {name!r}")
                continue
            value = raw[name]
            if isinstance(value, bool) or not isinstance(value, kind):
                raise _bad(
                    path, f"has {type(value).__name__} in the field {name!r}, which must be {_kind(kind)}"
                )
        if raw["dim"] < 1 or raw["dim"] > 65536:
            raise _bad(path, f"has {raw['dim']} in the field 'dim', which is no vector dimension")
        dense = raw.get("dense", {})
        for key, kind in _DENSE_FIELDS.items():
            if key in _NULLABLE and dense.get(key, 0) is None:  # null: the index's own, or never
                continue
            if key in dense and (isinstance(dense[key], bool) or not isinstance(dense[key], kind)):
                raise _bad(path, f"has a wrong type in the field 'dense.{key}', which must be {_kind(kind)}")
            if kind is int and key in dense and dense[key] < (0 if key in _ZERO_OK else 1):
                raise _bad(path, f"has {dense[key]} in the field 'dense.{key}', which is out of range")
        segmenter = raw.get("lexical", {}).get("segmenter", "bigram")
        if not isinstance(segmenter, str):
            raise _bad(path, "has a wrong type in the field 'lexical.segmenter', which must be a string")
        return cls(**{k: v for k, v in raw.items() if k in _SCHEMA})


def _read_json(path: Path) -> dict[str, Any]:
    try:
        with open(path, "rb") as fh:
            data = fh.read(_MAX_BYTES + 1)
    except IsADirectoryError:
        raise _bad(path, "is a folder, not a file") from None
    except OSError as exc:
        raise _bad(path, f"cannot be read ({exc.strerror or exc})") from None
    if len(data) > _MAX_BYTES:
        raise _bad(path, f"is larger than {_MAX_BYTES:,} bytes; a manifest is a few hundred")
    try:
        raw = json.loads(data.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise _bad(path, f"is not UTF-8 text (byte {exc.start})") from None
    except json.JSONDecodeError as exc:
        raise _bad(
            path,
            f"is not valid JSON ({exc.msg} at line {exc.lineno}, column {exc.colno}); it may be truncated",
        ) from None
    if not isinstance(raw, dict):
        raise _bad(path, f"holds a JSON {type(raw).__name__}, not an object")
    return raw


def _bad(path: Path, what: str) -> CollectionError:
    return CollectionError(
        f"{path}: the manifest {what}. The collection cannot be opened as it is: restore manifest.json from a backup "
        "or the folder it came from (the catalog, catalog.sqlite, holds the documents)"
    )


def _kind(kind: type | tuple[type, ...]) -> str:
    names = {str: "a string", int: "an integer", dict: "an object"}
    return " or ".join(names.get(k, k.__name__) for k in (kind if isinstance(kind, tuple) else (kind,)))


def _from_v1(raw: dict[str, Any]) -> dict[str, Any]:
    """A version-1 manifest (``index`` + ``storage``) in version-2 terms (factory strings)."""
    dense = dict(raw.get("dense") or {})
    storage = dense.pop("storage", "fp32")
    index = dense.pop("index", "auto")
    m = dense.pop("hnsw_m", 32)
    names = named_factories(storage if storage in STORAGE_FACTORIES else "fp32", m)  # unknown: fp32
    dense.update(factory=names.get(index, "auto"), small=names["flat"], large=names["hnsw"])
    return {**raw, "dense": dense, "format_version": FORMAT_VERSION}


def dense_setting(dense: dict[str, Any], name: str) -> Any:
    """A setting of a manifest's ``dense`` table; one it lacks has :class:`DenseOptions`' default
    (a search setting newer than the manifest: the value it was searched with before)."""
    if name in dense:
        return dense[name]
    if name in _DENSE_LATER:
        return _DENSE_LATER[name]
    return getattr(_DENSE_DEFAULTS, name)


def dense_factory_for(dense: dict[str, Any], n: int, dim: int, current: str | None = None) -> str:
    """The factory string the dense index uses for a collection of ``n`` documents of ``dim``
    dimensions; ``current``, the index it has, keeps auto's IVF cells until the collection has
    about quadrupled since they were trained, or shrunk below 20 vectors a cell."""
    factory = dense_setting(dense, "factory")
    if factory != "auto":
        return factory
    ivf_threshold = dense_setting(dense, "ivf_threshold")
    if ivf_threshold is not None and n > ivf_threshold:
        huge = dense_setting(dense, "huge")
        return auto_ivf_factory(dim, n, current) if huge == "auto" else huge
    return (
        dense_setting(dense, "large")
        if n > dense_setting(dense, "hnsw_threshold")
        else dense_setting(dense, "small")
    )


__all__ = ["FORMAT_VERSION", "MANIFEST", "Manifest", "dense_factory_for", "dense_setting"]
