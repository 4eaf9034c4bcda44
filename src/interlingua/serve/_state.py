"""What the server holds while it runs: its settings and metrics, the spaces (encoders) it serves,
the collections and the job queue. Opened in the app's lifespan, closed at shutdown.

Shared objects and threads: routes run in a thread pool, so everything here is safe to use from
many requests at once. A space is read-only once built (onnxruntime sessions may run from many
threads; the encoder's running totals are locked, and each request counts its own texts with
``encode_counted``); collections and jobs lock what they change.
"""

from __future__ import annotations

import threading
from typing import Any

from ..errors import UnknownNameError
from ._metrics import Metrics
from ._settings import Settings


class AppState:
    def __init__(self, settings: Settings, metrics: Metrics | None = None):
        from ._library import Library
        from ._runner import JobRunner

        self.settings = settings
        self.metrics = metrics or Metrics()
        self._spaces: dict[str, Any] = {}
        self._lock = threading.Lock()
        self.collections = Library(settings)
        self.jobs = JobRunner(settings, self.metrics)
        self.metrics.watch_queue(self.jobs.queued, self.jobs.running)

    # -- models -----------------------------------------------------------------------------
    @property
    def model_names(self) -> list[str]:
        return list(dict.fromkeys([self.settings.model, *self.settings.models]))

    def space(self, model: str | None = None, *, field: str = "model") -> Any:
        """The space of ``model`` (one of the served names; None: the default), built once."""
        from ..neutral import SpaceSpec, cached_space

        name = model or self.settings.model
        if name not in self.model_names:
            err = UnknownNameError(
                "model",
                name,
                self.model_names,
                hint="Start the server with --model/--models to serve others.",
            )
            err.field = field
            raise err
        with self._lock:
            space = self._spaces.get(name)
            if space is None:
                space = self._spaces[name] = cached_space(SpaceSpec(encoder=name))
        return space

    def close(self) -> None:
        self.jobs.close()
        self.collections.close()


__all__ = ["AppState"]
