"""The CLI draws the library's progress events: one tqdm bar per task on stderr, notes as lines.

Bars are hidden when stderr is not a terminal (logs, CI, pipes) or with ``-q``; notes
(``note: ids from the 'id' field``) are printed unless ``-q``.
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

    def __call__(self, event: ProgressEvent) -> None:
        if event.kind == "note":
            if not self.quiet and event.message:
                print(f"note: {event.message}", file=sys.stderr)
            return
        if self.quiet:
            return
        if event.kind == "start":
            from tqdm.auto import tqdm

            # disable=None: no bar when stderr is not a terminal
            self._bars[event.task] = tqdm(total=event.total, unit=event.unit, desc=event.task, disable=None,
                                          file=sys.stderr)
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

    def __exit__(self, *exc: object) -> None:
        self.close()


__all__ = ["Drawer"]
