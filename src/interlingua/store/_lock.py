"""One writer at a time: an advisory ``flock`` on ``write.lock`` in the collection folder.

The operating system drops the lock when the process dies (``kill -9`` included), so a crashed
writer never leaves a stale lock behind. Readers take no lock (SQLite's WAL mode lets them
read while a writer writes); a long-lived reader tells that a writer has been by
:func:`change_stamp`.
"""

from __future__ import annotations

import fcntl
import os
import time
from pathlib import Path
from typing import Any

from .._atomic import storage_error
from ..errors import CollectionError, CollectionLockedError

LOCK_FILE = "write.lock"


class WriterLock:
    def __init__(self, folder: Path, *, timeout: float = 0.0):
        self.path = folder / LOCK_FILE
        if self.path.is_symlink() or (self.path.exists() and not self.path.is_file()):
            raise CollectionError(
                f"{self.path}: the writer lock is not a plain file (a folder or a link); remove it, then try again"
            )
        try:
            self._fd: int | None = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o644)
        except OSError as exc:
            raise storage_error(exc, self.path) from None
        deadline = time.monotonic() + max(0.0, timeout)
        while True:
            try:
                fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    holder = _read_holder(self._fd)
                    os.close(self._fd)
                    self._fd = None
                    raise CollectionLockedError(
                        f"The collection {folder} is locked by another writer{holder}; wait for it to "
                        "finish (or pass a lock timeout to wait), then try again."
                    ) from None
                time.sleep(0.05)
        os.ftruncate(self._fd, 0)
        os.write(self._fd, str(os.getpid()).encode())

    def release(self) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None


def change_stamp(folder: Path, catalog: Any) -> tuple:
    """What changes whenever another process writes the collection in ``folder``: the catalog's
    ``data_version`` (any commit by another connection: documents, deletions, the indexes' state)
    and the identity of the manifest and catalog files (replaced, removed). A reader that keeps a
    collection open compares it before each use and reopens when it differs: one pragma that
    reads no table and two ``stat`` calls (reading the change log and the state instead cost a
    quarter of a lexical search's time in the server). Stamps of one open collection compare;
    those of two opens do not."""
    files = []
    for name in ("manifest.json", "catalog.sqlite"):
        try:
            st = os.stat(folder / name)
            files.append((st.st_ino, st.st_dev, st.st_mtime_ns if name == "manifest.json" else 0))
        except OSError:
            files.append(None)
    return (catalog.data_version(), tuple(files))


def _read_holder(fd: int) -> str:
    try:
        pid = os.pread(fd, 32, 0).decode().strip()
    except OSError:
        return ""
    return f" (process {pid})" if pid.isdigit() else ""


__all__ = ["CollectionLockedError", "WriterLock", "change_stamp"]
