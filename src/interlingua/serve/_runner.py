"""Background jobs (placeholder: filled by the jobs work)."""

from __future__ import annotations

from ._metrics import Metrics
from ._settings import Settings


class JobRunner:
    def __init__(self, settings: Settings, metrics: Metrics):
        self.settings, self.metrics = settings, metrics

    def queued(self) -> int:
        return 0

    def running(self) -> int:
        return 0

    def close(self) -> None:
        pass
