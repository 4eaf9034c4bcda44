"""The CLI draws the library's progress events: one tqdm bar per task on stderr, notes as lines.

Bars are hidden when stderr is not a terminal (logs, CI, pipes) or with ``-q``; notes
(``note: ids from the 'id' field``) are printed when the job has finished, unless ``-q``: a job
that fails says one thing, its error.
"""

from __future__ import annotations

import sys
from typing import Any

from ..progress import ProgressEvent


class Drawer:
    """A progress callback that draws; call :meth:`close` (or use ``with``) when the job ends."""

    def __init__(self, *, quiet: bool = False):
        self.quiet = quiet
        self._bars: dict[str, Any] = {}
        self.notes: list[str] = []

    def __call__(self, event: ProgressEvent) -> None:
        if event.kind == "note":
            if event.message and event.message not in self.notes:
                self.notes.append(event.message)
            return
        if self.quiet:
            return
        if event.kind == "start":
            from tqdm.auto import tqdm

            # disable=None: no bar when stderr is not a terminal
            self._bars[event.task] = tqdm(
                total=event.total, unit=event.unit, desc=event.task, disable=None, file=sys.stderr
            )
        elif event.kind == "advance" and event.task in self._bars:
            self._bars[event.task].update(event.n)
        elif event.kind == "end" and event.task in self._bars:
            self._bars.pop(event.task).close()

    def close(self) -> None:
        for bar in self._bars.values():
            bar.close()
        self._bars.clear()

    def __enter__(self) -> Drawer:
        return self

    def __exit__(self, exc_type: object, *exc: object) -> None:
        self.close()
        if exc_type is None and not self.quiet:
            for line in self.notes:
                print(f"note: {line}", file=sys.stderr)


__all__ = ["Drawer"]
