"""Routes that compare two texts (placeholder)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(tags=["compare"])

__all__ = ["router"]
