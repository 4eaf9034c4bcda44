"""Where interlingua keeps what it generates (exported models, embedding caches).

The user cache directory by default (platformdirs), moved with ``INTERLINGUA_CACHE_DIR``.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
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


def same_file(a: str | os.PathLike[str], b: str | os.PathLike[str]) -> bool:
    """Whether two paths name one file, through any spelling, link or symlink."""
    pa, pb = Path(a), Path(b)
    try:
        if pa.exists() and pb.exists():
            return os.path.samefile(pa, pb)
        return pa.resolve() == pb.resolve()
    except (OSError, ValueError):
        return False


def file_stamp(path: str | os.PathLike[str]) -> list[int]:
    """Size and modification time: what a rerun compares to tell that a source file is unchanged."""
    st = os.stat(path)
    return [st.st_size, st.st_mtime_ns]


def check_outputs(
    outputs: Iterable[str | os.PathLike[str]], inputs: Iterable[str | os.PathLike[str] | None]
) -> None:
    """Refuse, before anything is read, an output that is one of the inputs (DESIGN.md: no command
    ever writes over its own input), or that names a folder or sits in a missing one."""
    from .errors import InputError

    ins = [Path(p) for p in inputs if p is not None and str(p) != "-"]
    for out in outputs:
        if out is None or str(out) == "-":
            continue
        o = Path(out)
        for i in ins:
            if same_file(o, i):
                raise InputError(
                    f"the output is the input file {str(i)!r}; writing it would destroy the input: choose another output",
                    path=str(o),
                )
        if o.is_dir():
            raise InputError("is a directory; the output must be a file path", path=str(o))
        if not o.parent.is_dir():
            raise InputError(f"the output folder {str(o.parent)!r} does not exist", path=str(o))
