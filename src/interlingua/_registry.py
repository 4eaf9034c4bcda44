"""One registry class for every named, pluggable part (spaCy's catalogue habit).

``Registry("margins", kind="margin")`` holds entries by name; third parties add entries through
the ``interlingua.<group>`` entry-point group (an entry point names the object itself). A miss
raises :class:`~interlingua.errors.UnknownNameError` with the known names generated from the
registry, so the list a user sees cannot go stale. Every registry is listed in
:data:`REGISTRIES`; a snapshot test pins what is registered.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from importlib.metadata import EntryPoints, entry_points
from typing import Any, Generic, TypeVar

from .errors import UnknownNameError

T = TypeVar("T")
ENTRY_POINT_PREFIX = "interlingua."
_DECORATE: Any = object()


@dataclass(frozen=True)
class Entry(Generic[T]):
    """A registered object with what a listing shows about it."""

    name: str
    obj: T
    description: str = ""
    meta: dict[str, Any] = field(default_factory=dict, hash=False)


class Registry(Generic[T]):
    """Named entries of one kind. ``loader`` (optional) imports the modules that register the
    built-in entries, on first use, so that importing interlingua stays light."""

    def __init__(self, group: str, *, kind: str, loader: Callable[[], None] | None = None):
        self.group, self.kind = group, kind
        self._entries: dict[str, Entry[T]] = {}
        self._loader = loader
        self._loaded = False
        self._lock = threading.RLock()
        REGISTRIES[group] = self

    # -- registering --------------------------------------------------------------------------
    def register(
        self, name: str, obj: Any = _DECORATE, *, description: str = "", overwrite: bool = False, **meta: Any
    ):
        """``register("ratio", fn)``, or as a decorator: ``@registry.register("ratio")``."""
        if obj is _DECORATE:

            def deco(o: T) -> T:
                self.register(name, o, description=description, overwrite=overwrite, **meta)
                return o

            return deco
        with self._lock:
            if name in self._entries and not overwrite:
                raise ValueError(f"A {self.kind} named {name!r} is already registered.")
            self._entries[name] = Entry(name, obj, description, meta)
        return obj

    # -- looking up ---------------------------------------------------------------------------
    def get(self, name: str) -> T:
        return self.entry(name).obj

    def entry(self, name: str) -> Entry[T]:
        self._load()
        try:
            return self._entries[name]
        except (KeyError, TypeError):
            raise UnknownNameError(self.kind, str(name), self.names()) from None

    def names(self) -> list[str]:
        self._load()
        return list(self._entries)

    def entries(self) -> list[Entry[T]]:
        self._load()
        return list(self._entries.values())

    def __contains__(self, name: object) -> bool:
        self._load()
        return isinstance(name, str) and name in self._entries

    def __iter__(self) -> Iterator[str]:
        return iter(self.names())

    def __len__(self) -> int:
        return len(self.names())

    def _load(self) -> None:
        if self._loaded:
            return
        with self._lock:
            if self._loaded:
                return
            self._loaded = True
            if self._loader is not None:
                self._loader()
            for ep in installed_entry_points().select(group=ENTRY_POINT_PREFIX + self.group):
                if ep.name not in self._entries:
                    self._entries[ep.name] = Entry(
                        ep.name, ep.load(), f"plugin from {ep.value}", {"plugin": True}
                    )

    def __repr__(self) -> str:
        return f"Registry({self.group!r}, {len(self._entries)} entries)"


@functools.cache
def installed_entry_points() -> EntryPoints:
    """Every installed distribution's entry points, read once per process: each scan of the
    installed packages costs milliseconds, and every registry would otherwise make its own."""
    return entry_points()


#: every registry, by group name (for listings and the snapshot test)
REGISTRIES: dict[str, Registry[Any]] = {}


__all__ = ["ENTRY_POINT_PREFIX", "REGISTRIES", "Entry", "Registry"]
