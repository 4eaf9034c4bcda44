"""SIB-200: topic classification on FLORES-200 sentences, 205 languages.

Layout: ``data/annotated/<lang>/{train,dev,test}.tsv`` with a header
``index_id<TAB>category<TAB>text``; the same ``index_id`` is the same sentence in every
language. The path may be the repository root or its ``data/annotated`` folder.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from ...errors import InputError
from ._common import layout_error, require_path, select_languages

EXPECTED = "data/annotated/<lang>/{train,dev,test}.tsv (SIB-200), or the annotated folder itself"
SPLITS = ("train", "dev", "test")


@dataclass(frozen=True)
class SibExample:
    index_id: str
    category: str
    text: str


def _annotated(path: str | Path) -> Path:
    p = require_path(path, "SIB-200", EXPECTED)
    for cand in (p / "data" / "annotated", p / "annotated", p):
        if cand.is_dir() and any((d / "test.tsv").is_file() for d in cand.iterdir() if d.is_dir()):
            return cand
    raise layout_error(p, "SIB-200", EXPECTED)


def sib200_languages(path: str | Path) -> list[str]:
    root = _annotated(path)
    return sorted(d.name for d in root.iterdir() if d.is_dir() and (d / "test.tsv").is_file())


def read_sib200(path: str | Path, languages=None, splits=("test",)) -> dict[str, dict[str, list[SibExample]]]:
    """``{lang code: {split: [SibExample, ...]}}`` for the chosen languages and splits."""
    root = _annotated(path)
    codes = select_languages(sib200_languages(path), languages, "SIB-200", path=Path(path))
    out: dict[str, dict[str, list[SibExample]]] = {}
    for code in codes:
        out[code] = {}
        for split in splits:
            if split not in SPLITS:
                raise InputError(f"The 'split' parameter must be one of {SPLITS}. Got {split!r} instead.")
            out[code][split] = _read_tsv(root / code / f"{split}.tsv", root)
    return out


def _read_tsv(file: Path, root: Path) -> list[SibExample]:
    if not file.is_file():
        raise layout_error(root, "SIB-200", f"{file.relative_to(root)} ({EXPECTED})")
    with file.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh, delimiter="\t", quoting=csv.QUOTE_NONE))
    if not rows or [c.strip() for c in rows[0][:3]] != ["index_id", "category", "text"]:
        raise InputError("expected a header index_id<TAB>category<TAB>text", path=str(file), line=1)
    out = []
    for n, row in enumerate(rows[1:], start=2):
        if len(row) < 3:
            raise InputError(f"expected 3 tab-separated fields, got {len(row)}", path=str(file), line=n)
        out.append(SibExample(row[0], row[1], "\t".join(row[2:])))
    return out
