"""The collections a server serves, found in ``settings.collections``, each searched through one
shared read-only handle and written through a writer opened for one request.

Each entry of ``settings.collections`` is a collection folder (served under its folder name), a
folder of collections (each subfolder that is one; the first such folder is where
``POST /collections`` makes new ones) or a backend URI (served under its last path segment). The
folders are scanned again when the list is asked for and when a name is not found, so a
collection made by ``interlingua index create`` while the server runs is served without a restart.

Why a shared reader that reopens itself: opening a collection loads its dense index, which costs
more than a search, so searches share one read-only handle (readers need no lock). Another process
may write the collection meanwhile (``interlingua index add``); the handle's in-memory dense index
would not see it, so before each search a cheap :meth:`stamp <interlingua.store.Collection.stamp>`
(the catalog's last change and index state, the files' identity) is compared and a stale handle is
replaced by a fresh one. The old one stays open until the last request using it is done (counted),
and while one request reopens, the others keep answering from the handle they have.

Why a writer per request: the writer lock (``write.lock``) is then held only while a request
writes, so the CLI can write between requests; a request that finds another writer waits up to
``settings.lock_timeout`` seconds, then answers 423.
"""

from __future__ import annotations

import logging
import os
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from ..errors import CollectionError, InputError, InterlinguaError, NotFoundError
from ._settings import Settings

log = logging.getLogger("interlingua.serve")

#: a served name: letters, digits, '.', '_' and '-', starting with a letter or digit, no '..'
NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")


def valid_name(name: str) -> bool:
    return bool(NAME.match(name)) and ".." not in name


def check_name(name: str, field: str = "name") -> str:
    if not isinstance(name, str) or not valid_name(name):
        raise InputError(
            f"The {field!r} field must be 1-128 letters, digits, '.', '_' or '-', starting with a letter or "
            f"digit (no '/', no '..'). Got {str(name)[:80]!r} instead.",
            field=field,
        )
    return name


class _Reader:
    """One read-only open of a collection with its searcher; ``users`` counts the requests using
    it, so that a retired (stale) reader is closed by the last of them."""

    def __init__(self, uri: str):
        from ..search import Searcher
        from ..store import open_collection

        self.col = open_collection(uri, readonly=True)
        try:
            self.stamp = self.col.stamp()
            self.searcher = Searcher(self.col)
        except BaseException:
            self.col.close()
            raise
        self.users = 0
        self.retired = False

    def fresh(self) -> bool:
        try:
            return self.col.stamp() == self.stamp
        except (InterlinguaError, OSError):
            return False  # removed or replaced under us: reopening tells what happened

    def close(self) -> None:
        self.col.close()


class Served:
    """One served collection: its name, where it is, and its shared reader."""

    def __init__(self, name: str, uri: str, *, home: Path | None, lock_timeout: float):
        self.name, self.uri, self.home, self.lock_timeout = name, uri, home, lock_timeout
        self._lock = threading.Lock()  # guards _reader and the users counts
        self._reopen = threading.Lock()  # one request at a time opens a fresh reader
        self._reader: _Reader | None = None

    @property
    def deletable(self) -> bool:
        """Only a collection found in a served folder of collections may be deleted over HTTP."""
        return self.home is not None

    @property
    def model(self) -> str:
        """The name of the model that made the collection's vectors (for the metrics)."""
        with self.reading() as searcher:
            manifest = getattr(searcher.collection, "manifest", None)
        return str(getattr(manifest, "encoder_name", "") or "?")

    @property
    def writable(self) -> bool:
        if "://" in self.uri:
            return True
        return os.access(self.uri, os.W_OK)

    @contextmanager
    def reading(self) -> Iterator[Any]:
        """The shared searcher (``.collection`` the read-only handle), fresh as of now."""
        r = self._acquire()
        try:
            yield r.searcher
        finally:
            self._release(r)

    @contextmanager
    def writing(self) -> Iterator[Any]:
        """The collection opened as its writer, for this request only."""
        from ..store import open_collection

        self._exists()
        with open_collection(self.uri, lock_timeout=self.lock_timeout) as col:
            yield col

    def add(self, docs: list[dict[str, Any]], *, upsert: bool, skip_existing: bool) -> Any:
        """Add documents given in memory (the store's ``add_documents``, this request's writer)."""
        from ..store import add_documents

        self._exists()
        return add_documents(
            self.uri, docs, upsert=upsert, skip_existing=skip_existing, lock_timeout=self.lock_timeout
        )

    def add_file(self, job: Any) -> Any:
        """Run an ``AddJob`` (an uploaded file) against this collection."""
        from ..store import run

        self._exists()
        return run(job.replace(collection=self.uri, lock_timeout=self.lock_timeout))

    def check(self) -> Any:
        """The store's check (opened as the writer: its indexes catch up with the catalog first)."""
        from ..store import check_collection

        self._exists()
        return check_collection(self.uri, repair=True, lock_timeout=self.lock_timeout)

    def _acquire(self) -> _Reader:
        with self._lock:
            r = self._reader
            if r is not None:
                r.users += 1
        if r is not None:
            if r.fresh():
                return r
            if not self._reopen.acquire(blocking=False):
                return r  # another request is reopening it: this one answers from the handle it has
        else:
            self._reopen.acquire()
        try:
            with self._lock:
                current = self._reader
                if current is not None and current is not r:  # swapped while this one waited
                    current.users += 1
            if current is not None and current is not r:
                new = current
            else:
                self._exists()
                new = _Reader(self.uri)
                new.users = 1
                with self._lock:
                    old, self._reader = self._reader, new
                    close_old = old is not None and old is not r and self._retire(old)
                if close_old:
                    old.close()
        except BaseException:
            if r is not None:
                self._release(r)
            raise
        finally:
            self._reopen.release()
        if r is not None:
            with self._lock:
                self._retire(r)
            self._release(r)
        return new

    def _retire(self, r: _Reader) -> bool:
        """Mark ``r`` stale (under ``_lock``); True when no request uses it, so it can close now."""
        r.retired = True
        return r.users == 0

    def _release(self, r: _Reader) -> None:
        with self._lock:
            r.users -= 1
            close = r.retired and r.users == 0
        if close:
            r.close()

    def _exists(self) -> None:
        if "://" not in self.uri and not Path(self.uri).is_dir():
            raise NotFoundError(f"The collection {self.name!r} is gone (its folder was removed).")

    def close(self) -> None:
        with self._lock:
            r, self._reader = self._reader, None
            close = r is not None and self._retire(r)
        if close:
            r.close()


class Library:
    """The served collections by name (see the module notes)."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self._lock = threading.RLock()
        self._served: dict[str, Served] = {}
        self._sources = [_source(entry) for entry in settings.collections]
        homes = [where for kind, where in self._sources if kind == "folder"]
        #: where new collections are made (the first folder of collections), or None
        self.home: Path | None = Path(homes[0]) if homes else None
        self.scan()

    # -- finding ----------------------------------------------------------------------------
    def scan(self) -> list[str]:
        """Find the collections again (new ones served, vanished ones dropped); the names."""
        found: dict[str, tuple[str, Path | None]] = {}
        for kind, where in self._sources:
            for name, uri, home in _collections_of(kind, where):
                if name in found:
                    if found[name][0] != uri:
                        log.warning(
                            "two collections are named %r; serving %s, not %s", name, found[name][0], uri
                        )
                    continue
                found[name] = (uri, home)
        with self._lock:
            for name in list(self._served):
                s = self._served[name]
                if name not in found or found[name][0] != s.uri:
                    del self._served[name]
                    s.close()
            for name, (uri, home) in found.items():
                if name not in self._served:
                    self._served[name] = Served(name, uri, home=home, lock_timeout=self.settings.lock_timeout)
            return list(self._served)

    def names(self) -> list[str]:
        return self.scan()

    def get(self, name: str) -> Served:
        """The served collection ``name`` (a rescan first when it is not known yet); else 404."""
        if valid_name(name):
            with self._lock:
                s = self._served.get(name)
            if s is None:
                self.scan()
                with self._lock:
                    s = self._served.get(name)
            if s is not None:
                return s
        with self._lock:
            known = ", ".join(self._served) or "none"
        err = NotFoundError(f"No collection named {name[:80]!r} is served (served: {known}).")
        err.field = "name"
        raise err

    def uploads(self) -> Path:
        """Where uploaded files wait while they are added: ``uploads`` beside the jobs folder."""
        from .._paths import cache_dir

        if self.settings.jobs_dir:
            folder = Path(self.settings.jobs_dir).expanduser().parent / "uploads"
            folder.mkdir(parents=True, exist_ok=True)
            return folder
        return cache_dir("uploads")

    @contextmanager
    def staged(self, filename: str | None, data: Any) -> Iterator[Path]:
        """An uploaded file copied to a folder of its own under :meth:`uploads`, under its own
        name without folders or odd characters (its extension tells the format, its stem the
        ids, as for the CLI); removed afterwards."""
        import shutil
        import tempfile

        name = re.sub(r"[^\w.-]", "_", Path(filename or "").name).lstrip(".")[:120] or "upload"
        folder = Path(tempfile.mkdtemp(prefix="upload-", dir=self.uploads()))
        try:
            path = folder / name
            with path.open("wb") as out:
                shutil.copyfileobj(data, out, 1 << 20)
            yield path
        finally:
            shutil.rmtree(folder, ignore_errors=True)

    # -- making and removing ----------------------------------------------------------------
    def new_uri(self, name: str) -> str:
        """Where a new collection ``name`` goes (the first served folder of collections)."""
        check_name(name)
        if self.home is None:
            raise CollectionError(
                "This server serves no folder of collections to make new ones in; start it with a folder "
                "(INTERLINGUA_COLLECTIONS=/path/to/folder, or --collections)."
            )
        with self._lock:
            taken = name in self._served
        if taken or (self.home / name).exists():
            err = CollectionError(f"A collection named {name!r} already exists; choose another name.")
            err.field = "name"
            raise err
        return str(self.home / name)

    def create(self, name: str, spec: Any) -> dict[str, Any]:
        """Make the collection ``spec`` describes (its ``uri`` from :meth:`new_uri`) and serve it."""
        from ..store import run

        with self._lock:  # two requests for one name: the second finds it taken
            self.new_uri(name)
            info = run(spec)
            self._served[name] = Served(
                name, spec.uri, home=self.home, lock_timeout=self.settings.lock_timeout
            )
        return {"name": name, **info}

    def delete(self, name: str) -> None:
        """Delete a collection of a served folder for good (one given directly is refused)."""
        from ..store import remove_collection

        s = self.get(name)
        if not s.deletable:
            raise CollectionError(
                f"The collection {name!r} is served directly (not from a folder of collections); the server "
                "deletes only collections it holds in a folder of collections. Remove it by hand if you mean to."
            )
        remove_collection(s.uri, lock_timeout=self.settings.lock_timeout)  # waits for a writer: no lock held
        with self._lock:
            if self._served.get(name) is s:
                del self._served[name]
        s.close()

    def close(self) -> None:
        with self._lock:
            served, self._served = list(self._served.values()), {}
        for s in served:
            s.close()


def _source(entry: str) -> tuple[str, str]:
    """("uri" | "collection" | "folder", where) for one entry of ``settings.collections``."""
    from ..store import backend_for, is_collection

    if backend_for(entry) != "embedded":
        return "uri", entry
    path = Path(entry).expanduser()
    if is_collection(path):
        return "collection", str(path)
    if not path.is_dir():
        what = "does not exist" if not path.exists() else "is not a folder"
        raise InputError(
            f"The collections setting names {entry!r}, which {what}; give a collection folder, a folder of "
            "collections or a URI.",
            field="collections",
        )
    return "folder", str(path)


def _collections_of(kind: str, where: str) -> Iterator[tuple[str, str, Path | None]]:
    """(name, uri, home) of each collection one entry holds; names that are not safe are skipped."""
    from ..store import is_collection

    if kind == "folder":
        root = Path(where)
        try:
            subs = sorted(p for p in root.iterdir() if p.is_dir() and not p.is_symlink())
        except OSError as exc:
            log.warning("cannot list %s: %s", root, exc)
            return
        for p in subs:
            if valid_name(p.name) and is_collection(p):
                yield p.name, str(p), root
        return
    name = _uri_name(where) if kind == "uri" else Path(where).name
    if kind == "collection" and not is_collection(where):
        return
    if valid_name(name):
        yield name, where, None
    else:
        log.warning("not serving %s: %r is not a safe collection name", where, name)


def _uri_name(uri: str) -> str:
    """A URI's collection name: its ``collection`` parameter, else the last segment of its path."""
    from urllib.parse import parse_qs, urlsplit

    parts = urlsplit(uri)
    given = parse_qs(parts.query).get("collection")
    return given[0] if given else parts.path.rstrip("/").rsplit("/", 1)[-1]


__all__ = ["NAME", "Library", "Served", "check_name", "valid_name"]
