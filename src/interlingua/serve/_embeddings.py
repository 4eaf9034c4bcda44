"""Routes of the embeddings capability (placeholder)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(tags=["embeddings"])

__all__ = ["router"]
