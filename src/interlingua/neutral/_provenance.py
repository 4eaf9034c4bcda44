"""Provenance that travels with vectors: which space and role made them, under which job.

Writers stamp it (an embeddings file's sidecar or schema metadata, the header of a mined-pairs
TSV, a collection manifest, a run record); readers check it, so vectors from another space or
role are refused with a message that says which (``e5-small-int8`` vectors given as
``e5-small``; ``passage`` vectors where mining needs ``query``).
"""

from __future__ import annotations

import time
import warnings
from typing import Any

from ..errors import ProvenanceWarning, SpaceMismatchError
from ._space import Space

FORMAT = "interlingua-provenance/1"


def provenance(
    kind: str, space: Space, *, role: str | None = None, job: Any = None, **extra: Any
) -> dict[str, Any]:
    """The record a writer stamps: what kind of file, the space, the role and the filled job."""
    from .. import __version__

    record: dict[str, Any] = {
        "format": FORMAT,
        "kind": kind,
        "space": space.describe(),
        "role": role,
        "job": job.to_dict() if hasattr(job, "to_dict") else job,
        "interlingua": __version__,
        "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    record.update(extra)
    return record


def check_provenance(record: dict[str, Any] | None, space: Space, role: str | None, *, what: str) -> None:
    """Refuse vectors whose record names another space or role; warn when there is no record."""
    if record is None:
        warnings.warn(
            f"{what} carries no provenance: interlingua cannot check that {space.name!r} made it with role "
            f"{role!r}; vectors from another model or role give meaningless results.",
            ProvenanceWarning,
            stacklevel=3,
        )
        return
    made = record.get("space") if isinstance(record.get("space"), dict) else {}
    identity = made.get("identity") if isinstance(made, dict) else None
    if identity is not None and identity != space.identity:
        name = made.get("encoder", identity) if isinstance(made, dict) else identity
        raise SpaceMismatchError(
            f"{what} was made by {name!r} (space {identity!r}), but this job uses {space.name!r} (space "
            f"{space.identity!r}); embed it again with the job's model, or run the job with --model {name}",
        )
    made_role = record.get("role")
    if role is not None and made_role is not None and made_role != role:
        raise SpaceMismatchError(
            f"{what} was embedded with role {made_role!r}, but this job compares role {role!r} vectors; "
            f"embed it again with --role {role}",
        )


__all__ = ["FORMAT", "check_provenance", "provenance"]
