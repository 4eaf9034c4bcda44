"""Merging the reports of shards of one job (``a + b``), the same way for every job.

A job split over processes or files reports per shard; the totals are the field-wise sum. Labels
(strings) and the settings a report echoes are not counts: they are the first shard's.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Collection
from typing import Any, TypeVar

R = TypeVar("R")


def add_shards(a: R, b: R, *, keep: Collection[str] = (), larger: Collection[str] = ()) -> R:
    """``a`` and ``b`` as one report: numbers add, tuples follow each other, nested reports merge
    by their own ``+``. Strings and the fields in ``keep`` are ``a``'s (``b``'s where ``a``'s is
    empty); the fields in ``larger`` take the larger value (a total both shards saw)."""
    values: dict[str, Any] = {}
    for f in dataclasses.fields(a):  # type: ignore[arg-type]
        x, y = getattr(a, f.name), getattr(b, f.name)
        if f.name in keep or isinstance(x, str):
            values[f.name] = y if x in ("", None) else x
        elif f.name in larger:
            values[f.name] = max(x, y)
        else:
            values[f.name] = x + y
    return dataclasses.replace(a, **values)  # type: ignore[type-var]
