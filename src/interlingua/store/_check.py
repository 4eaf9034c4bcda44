"""``check_collection``: is a collection whole? The catalog passes SQLite's integrity check, every
vector has the manifest's dimension, and the dense and lexical indexes hold exactly the
catalog's documents (after the catch-up every writer does when it opens)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np


@dataclass(frozen=True)
class CheckReport:
    path: str
    documents: int
    problems: tuple[str, ...] = field(default_factory=tuple)
    #: what a backend adds (PostgreSQL: pgvector's version, the HNSW index's state, counts)
    details: dict[str, Any] = field(default_factory=dict, compare=False)

    @property
    def ok(self) -> bool:
        return not self.problems

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "documents": self.documents,
            "ok": self.ok,
            "problems": list(self.problems),
            **({"details": dict(self.details)} if self.details else {}),
        }


def check_open_collection(col: Any) -> CheckReport:
    """The embedded backend's check, on an open collection."""
    problems = list(col.catalog.integrity())
    keys = np.sort(col.catalog.select_keys())
    for name, held in (("dense", col.dense.keys()), ("lexical", col.lexical.keys())):
        held = np.sort(held)
        missing = np.setdiff1d(keys, held)
        extra = np.setdiff1d(held, keys)
        dupes = len(held) - len(np.unique(held))
        if len(missing):
            problems.append(f"the {name} index lacks {len(missing)} document(s) of the catalog")
        if len(extra):
            problems.append(f"the {name} index holds {len(extra)} document(s) not in the catalog")
        if dupes:
            problems.append(f"the {name} index holds {dupes} duplicate key(s)")
    if col.dense.index.d != col.manifest.dim:
        problems.append(f"the dense index has dimension {col.dense.index.d}, not {col.manifest.dim}")
    return CheckReport(str(col.path), len(keys), tuple(problems))


__all__ = ["CheckReport", "check_open_collection"]
