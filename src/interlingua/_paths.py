"""Where interlingua keeps what it generates (exported models, embedding caches).

The user cache directory by default (platformdirs), moved with ``INTERLINGUA_CACHE_DIR``.
"""

from __future__ import annotations

import os
from pathlib import Path

CACHE_ENV = "INTERLINGUA_CACHE_DIR"


def cache_dir(*parts: str) -> Path:
    """Return (and create) a folder under the cache root."""
    root = os.environ.get(CACHE_ENV)
    if root:
        base = Path(root).expanduser()
    else:
        from platformdirs import user_cache_dir

        base = Path(user_cache_dir("interlingua", appauthor=False))
    path = base.joinpath(*parts)
    path.mkdir(parents=True, exist_ok=True)
    return path
