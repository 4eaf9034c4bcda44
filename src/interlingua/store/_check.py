"""``check_collection``: is a collection whole? The catalog passes SQLite's integrity check, every
vector has the manifest's dimension, and the dense and lexical indexes hold exactly the
catalog's documents (after the catch-up every writer does when it opens)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ._collection import Collection


@dataclass
class CheckReport:
    path: str
    documents: int
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def check_collection(path: str | Path, *, repair: bool = True, lock_timeout: float = 0.0) -> CheckReport:
    """Check a collection; with ``repair`` (the default) it is opened as a writer, which catches
    its indexes up with the catalog first (what any writer does on opening)."""
    with Collection.open(path, readonly=not repair, lock_timeout=lock_timeout) as col:
        report = CheckReport(str(col.path), len(col))
        report.problems += col.catalog.integrity()
        keys = np.sort(col.catalog.select_keys())
        for name, held in (("dense", col.dense.keys()), ("lexical", col.lexical.keys())):
            held = np.sort(held)
            missing = np.setdiff1d(keys, held)
            extra = np.setdiff1d(held, keys)
            dupes = len(held) - len(np.unique(held))
            if len(missing):
                report.problems.append(f"the {name} index lacks {len(missing)} document(s) of the catalog")
            if len(extra):
                report.problems.append(f"the {name} index holds {len(extra)} document(s) not in the catalog")
            if dupes:
                report.problems.append(f"the {name} index holds {dupes} duplicate key(s)")
        if col.dense.index.d != col.manifest.dim:
            report.problems.append(f"the dense index has dimension {col.dense.index.d}, not {col.manifest.dim}")
    return report


__all__ = ["CheckReport", "check_collection"]
