"""The collection's manifest (``manifest.json``) and the atomic file writes everything uses.

A collection is a folder of plain files: ``manifest.json`` (what made the vectors and how they
are indexed), ``catalog.sqlite`` (documents, vectors, the change log; the source of truth),
``dense-<seq>.faiss`` (the dense index) and ``lexical-<n>/`` (the tantivy BM25 index). Nothing
is pickled. Every file is written to a temporary name, flushed to disk and moved into place
with ``os.replace``, so a reader sees either the old file or the new one, never half of one.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from ..errors import InputError

FORMAT = "interlingua-collection"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"


def fsync_dir(folder: Path) -> None:
    """Make a rename inside ``folder`` durable (a no-op where directories cannot be opened)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def atomic_write_bytes(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    with open(tmp, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
    fsync_dir(path.parent)


def fsync_file(path: Path) -> None:
    with open(path, "rb") as fh:
        os.fsync(fh.fileno())


@dataclass
class Manifest:
    """What a collection promises about its vectors and indexes.

    ``encoder`` is the encoder's ``identity`` (model name and content hash); a collection refuses
    vectors from any other. ``dense`` holds the faiss settings (``index``: auto, flat or hnsw;
    ``storage``: fp32, fp16 or sq8; ``hnsw_threshold``, ``hnsw_m``, ``ef_construction``,
    ``ef_search``); ``lexical`` the BM25 settings (``segmenter``).
    """

    encoder: str
    encoder_name: str
    dim: int
    dense: dict[str, Any] = field(default_factory=dict)
    lexical: dict[str, Any] = field(default_factory=dict)
    normalization: str = "l2"
    dtype: str = "float32"
    metric: str = "inner_product"
    backend: str = "embedded"
    created: str = ""
    format: str = FORMAT
    format_version: int = FORMAT_VERSION

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2, ensure_ascii=False) + "\n"

    def write(self, folder: Path) -> None:
        if not self.created:
            self.created = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        atomic_write_bytes(folder / MANIFEST, self.to_json().encode("utf-8"))

    @classmethod
    def read(cls, folder: Path) -> Manifest:
        path = folder / MANIFEST
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise InputError(
                f"{folder} is not an interlingua collection (no {MANIFEST}); create one with "
                "`interlingua index create`.") from None
        except (OSError, json.JSONDecodeError) as exc:
            raise InputError(f"cannot read the manifest: {exc}", path=str(path)) from exc
        if not isinstance(raw, dict) or raw.get("format") != FORMAT:
            raise InputError(f"not an interlingua collection manifest (format {raw.get('format')!r})",
                             path=str(path))
        if raw.get("format_version") != FORMAT_VERSION:
            raise InputError(f"collection format version {raw.get('format_version')} is not supported "
                             f"(this interlingua reads version {FORMAT_VERSION})", path=str(path))
        known = set(cls.__dataclass_fields__)
        try:
            return cls(**{k: v for k, v in raw.items() if k in known})
        except TypeError as exc:
            raise InputError(f"incomplete manifest: {exc}", path=str(path)) from exc


__all__ = ["FORMAT_VERSION", "MANIFEST", "Manifest", "atomic_write_bytes", "fsync_dir", "fsync_file"]
