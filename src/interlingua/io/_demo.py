"""The small multilingual sample shipped with the package, for demos, docs and smoke tests."""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

from ..errors import InterlinguaError


def demo_path() -> Path:
    """Path of ``resources/demo.jsonl``: short passages on ten topics in sixteen languages, plus queries.

    Read it with ``read_records(demo_path(), id_field="id", lang_field="lang")``; each record's
    ``meta`` holds ``group`` (the topic, shared by all translations) and ``kind``
    (``"passage"`` or ``"query"``). See ``resources/README.md``.
    """
    resource = files("interlingua").joinpath("resources", "demo.jsonl")
    if not isinstance(resource, Path) or not resource.is_file():
        # Only a zipped or otherwise unusual install gets here: the data is not a plain file.
        raise InterlinguaError(
            f"The demo file is not available as a plain file in this installation ({resource!s}); "
            "reinstall interlingua from a wheel or a source checkout."
        )
    return resource
