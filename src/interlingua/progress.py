"""Progress is an event, not a bar (spaCy's ``train(stdout=...)`` habit).

Library code reports what it is doing by calling ``progress(event)``; the CLI draws the events
as bars on stderr, the HTTP server streams them, a cluster runner forwards them. Library code
never draws, prints or reads a terminal itself.

A task (``"embed"``, ``"k-NN fwd"``) starts with a ``start`` event that gives its total, moves
with ``advance`` events (``n`` items done since the last one) and ends with ``end``. ``note``
events carry one line of information (``"ids from field 'id'"``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

Kind = Literal["start", "advance", "end", "note"]


@dataclass(frozen=True)
class ProgressEvent:
    kind: Kind
    task: str
    n: int = 0
    total: int | None = None
    unit: str = "item"
    message: str = ""


ProgressFn = Callable[[ProgressEvent], None]


class Task:
    """One reported task: ``advance(n)`` after each piece, ``end()`` when done (or as a context manager)."""

    def __init__(self, progress: ProgressFn | None, name: str, total: int | None, unit: str):
        self._progress, self.name, self.unit = progress, name, unit
        self._ended = False
        if progress is not None:
            progress(ProgressEvent("start", name, 0, total, unit))

    def advance(self, n: int = 1) -> None:
        if self._progress is not None and n:
            self._progress(ProgressEvent("advance", self.name, n, None, self.unit))

    def end(self) -> None:
        if self._progress is not None and not self._ended:
            self._ended = True
            self._progress(ProgressEvent("end", self.name, 0, None, self.unit))

    def __enter__(self) -> Task:
        return self

    def __exit__(self, *exc: object) -> None:
        self.end()


def task(progress: ProgressFn | None, name: str, total: int | None = None, unit: str = "item") -> Task:
    """Start reporting a task (a no-op handle when ``progress`` is None)."""
    return Task(progress, name, total, unit)


def note(progress: ProgressFn | None, message: str, task: str = "") -> None:
    if progress is not None:
        progress(ProgressEvent("note", task, message=message))


__all__ = ["ProgressEvent", "ProgressFn", "Task", "note", "task"]
