"""The one atomic writer: a temporary file beside the target, fsync, replace, clean up.

Everything interlingua writes (embedding files, mined pairs, alignments, run records, reports,
collection manifests and indexes, work-folder blocks, exported models) goes through here, so a
reader sees the old file or the new one, never half of one; a failure or a kill leaves the
target as it was; and a full disk, a read-only folder or a missing permission is one
:class:`~interlingua.errors.StorageError` naming the path, with nothing partial left behind.
"""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any

from .errors import StorageError

#: OSError numbers that mean "the file system will not take this write"
_STORAGE_ERRNOS = {
    errno.ENOSPC: "the disk is full",
    errno.EDQUOT: "the disk quota is exceeded",
    errno.EROFS: "the file system is read-only",
    errno.EACCES: "permission denied",
    errno.EPERM: "operation not permitted",
    errno.EFBIG: "the file is too large for this file system",
}


def storage_error(exc: OSError, path: str | os.PathLike[str]) -> StorageError:
    """An OSError from writing ``path`` as one line naming it and the cause."""
    if isinstance(exc, StorageError):
        return exc
    why = _STORAGE_ERRNOS.get(exc.errno or 0) or (exc.strerror or str(exc))
    return StorageError(f"{os.fspath(path)}: cannot write: {why}; nothing was changed there")


def is_storage_error(exc: BaseException) -> bool:
    return isinstance(exc, OSError) and not isinstance(exc, StorageError) and exc.errno in _STORAGE_ERRNOS


def temp_beside(target: Path) -> Path:
    """Create an empty temporary file next to ``target`` (same file system: the rename is atomic)."""
    while True:
        candidate = target.with_name(f".{target.name}.{secrets.token_hex(4)}.tmp")
        try:
            # mode "x" creates with the usual 0o666 & ~umask permissions (mkstemp's are 0o600)
            with open(candidate, "xb"):
                return candidate
        except FileExistsError:
            continue


def fsync_file(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def fsync_dir(folder: Path) -> None:
    """Make a rename inside ``folder`` durable (a no-op where directories cannot be opened)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


class Publication:
    """Several temporary files published together: each becomes its target on :meth:`commit`
    (the last one added is moved last: put the main file last, sidecars first), or all are
    deleted on :meth:`abort`. Storage errors become :class:`StorageError` naming the target."""

    def __init__(self) -> None:
        self.moves: list[tuple[Path, Path]] = []

    def add(self, target: str | os.PathLike[str]) -> Path:
        target = Path(target)
        try:
            temp = temp_beside(target)
        except OSError as exc:
            self.abort()
            raise storage_error(exc, target) from None
        self.moves.append((temp, target))
        return temp

    def commit(self) -> None:
        try:
            for temp, _ in self.moves:
                fsync_file(temp)
            for temp, target in self.moves:
                os.replace(temp, target)
            for folder in {t.parent for _, t in self.moves}:
                fsync_dir(folder)
        except OSError as exc:
            target = next(
                (t for tmp, t in self.moves if tmp.exists()), self.moves[-1][1] if self.moves else "?"
            )
            self.abort()
            raise storage_error(exc, target) from None
        self.moves = []

    def abort(self) -> None:
        for temp, _ in self.moves:
            with contextlib.suppress(OSError):
                os.remove(temp)
        self.moves = []


@contextlib.contextmanager
def atomic_path(target: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary path beside ``target`` for a writer that takes a path (faiss, onnx);
    it becomes ``target`` when the block ends cleanly."""
    pub = Publication()
    temp = pub.add(target)
    try:
        with storage_errors(target):
            yield temp
    except BaseException:
        pub.abort()
        raise
    pub.commit()


@contextlib.contextmanager
def atomic_open(target: str | os.PathLike[str], mode: str = "w", **kwargs: Any) -> Iterator[IO[Any]]:
    """``open()`` for writing, atomically: the file appears at ``target`` only on a clean close."""
    if "w" not in mode:
        raise ValueError("atomic_open writes whole files: use mode 'w' or 'wb'")
    if "b" not in mode:
        kwargs.setdefault("encoding", "utf-8")
    with atomic_path(target) as temp, open(temp, mode, **kwargs) as fh:
        yield fh


def atomic_write_bytes(target: str | os.PathLike[str], data: bytes) -> None:
    with atomic_open(target, "wb") as fh:
        fh.write(data)


def atomic_write_text(target: str | os.PathLike[str], text: str) -> None:
    with atomic_open(target, "w", newline="") as fh:
        fh.write(text)


def atomic_write_with(target: str | os.PathLike[str], write: Callable[[Path], Any]) -> None:
    """Call ``write(temp_path)`` and publish the result (for libraries that save to a path)."""
    with atomic_path(target) as temp:
        write(temp)


@contextlib.contextmanager
def atomic_folder(target: str | os.PathLike[str], *, replace: bool = False) -> Iterator[Path]:
    """Yield an empty temporary folder beside ``target``; when the block ends cleanly its files
    are fsynced and it becomes ``target``. With ``replace`` an existing ``target`` is moved aside
    first and removed last, so a crash leaves the old folder or the new one whole."""
    import shutil
    import tempfile

    final = Path(target)
    with storage_errors(final):
        temp = Path(tempfile.mkdtemp(prefix=f".{final.name}.", suffix=".tmp", dir=final.parent))
    try:
        with storage_errors(final):
            yield temp
            for p in temp.rglob("*"):
                if p.is_file():
                    fsync_file(p)
            fsync_dir(temp)
            old = None
            if final.exists():
                if not replace:
                    raise FileExistsError(errno.EEXIST, "the folder already exists", str(final))
                old = final.with_name(f".{final.name}.{secrets.token_hex(4)}.old")
                os.replace(final, old)
            os.replace(temp, final)
            fsync_dir(final.parent)
            if old is not None:
                shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(temp, ignore_errors=True)
        raise


@contextlib.contextmanager
def storage_errors(path: str | os.PathLike[str]) -> Iterator[None]:
    """Turn storage OSErrors raised inside the block into :class:`StorageError` naming ``path``."""
    try:
        yield
    except OSError as exc:
        if is_storage_error(exc):
            raise storage_error(exc, path) from None
        raise


__all__ = [
    "Publication",
    "atomic_folder",
    "atomic_open",
    "atomic_path",
    "atomic_write_bytes",
    "atomic_write_text",
    "atomic_write_with",
    "fsync_dir",
    "fsync_file",
    "is_storage_error",
    "storage_error",
    "storage_errors",
    "temp_beside",
]
