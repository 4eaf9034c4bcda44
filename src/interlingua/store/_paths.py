"""Containment: nothing read from a collection can name a path outside its folder.

A collection handed over by someone else is data, not instructions: the catalog's state (which
dense file, which lexical folder), the manifest and file names are checked against a strict
pattern before they are joined to the folder, and the joined path must resolve inside it (a
symlink that leaves the folder is refused). Every refusal is one error naming the file and the
field, so nothing outside is read, written or deleted.
"""

from __future__ import annotations

import re
from pathlib import Path

from ..errors import CollectionError

#: the names a collection's own files have; anything else in a state field is refused
DENSE_FILE = re.compile(r"^dense-\d{1,20}\.faiss$")
LEXICAL_DIR = re.compile(r"^lexical-\d{1,20}$")


def inside(folder: Path, name: object, *, pattern: re.Pattern[str], source: str, field: str) -> Path:
    """``folder / name`` when ``name`` is one of the collection's own file names and stays inside."""
    if not isinstance(name, str) or not pattern.match(name):
        raise CollectionError(
            f"{source}: the field {field!r} holds {name!r}, which is not a file name of this collection "
            f"(expected {pattern.pattern}); the collection is damaged or crafted: do not use it, or restore "
            "catalog.sqlite from a backup"
        )
    path = folder / name
    check_within(folder, path, source=source, field=field)
    return path


def check_within(folder: Path, path: Path, *, source: str, field: str) -> None:
    """Refuse ``path`` when it (or a symlink on the way) resolves outside ``folder``."""
    try:
        root = folder.resolve(strict=False)
        target = path.resolve(strict=False)
    except (OSError, RuntimeError) as exc:  # a symlink loop
        raise CollectionError(f"{source}: {field} {str(path)!r} cannot be resolved ({exc})") from None
    if target != root and root not in target.parents:
        raise CollectionError(
            f"{source}: {field} {str(path)!r} leads outside the collection folder (to {str(target)!r}); "
            "refusing to read, write or delete it. The collection is damaged or crafted."
        )


def check_own_files(folder: Path, names: list[str]) -> None:
    """The collection's fixed files (manifest, catalog, lock) must not be symlinks leading out."""
    for name in names:
        p = folder / name
        if p.is_symlink() or p.exists():
            check_within(folder, p, source=str(folder), field=name)


__all__ = ["DENSE_FILE", "LEXICAL_DIR", "check_own_files", "check_within", "inside"]
