"""Routes of the collections capability (placeholder)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(tags=["collections"])

__all__ = ["router"]
