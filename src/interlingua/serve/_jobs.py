"""Routes of the jobs capability (placeholder)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(tags=["jobs"])

__all__ = ["router"]
