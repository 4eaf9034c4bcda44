"""The collections a server serves (placeholder: filled by the collections work)."""

from __future__ import annotations

from ._settings import Settings


class Library:
    def __init__(self, settings: Settings):
        self.settings = settings

    def names(self) -> list[str]:
        return []

    def close(self) -> None:
        pass
