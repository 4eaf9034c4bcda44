"""BUCC 2018 shared task files: ``<src>-<tgt>.<split>.<src>`` and ``.<tgt>`` with
``id<TAB>sentence`` lines, and ``<src>-<tgt>.<split>.gold`` with ``src_id<TAB>tgt_id``."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from ...errors import InputError
from ._common import layout_error, require_path, select_languages

EXPECTED = "files <xx>-en.<split>.<xx>, <xx>-en.<split>.en and <xx>-en.<split>.gold (BUCC 2018)"
_NAME = re.compile(r"^([a-z]{2})-([a-z]{2})\.(\w+)\.gold$")


@dataclass(frozen=True)
class BuccSet:
    pair: str
    source: dict[str, str]
    target: dict[str, str]
    gold: set[tuple[str, str]]


def bucc_pairs(path: str | Path, split: str | None = None) -> list[tuple[str, str, str]]:
    """``(src, tgt, split)`` for every gold file in the folder."""
    p = require_path(path, "BUCC 2018", EXPECTED)
    found = sorted(
        (m.group(1), m.group(2), m.group(3))
        for f in p.iterdir()
        if (m := _NAME.match(f.name)) and (split is None or m.group(3) == split)
    )
    if not found:
        raise layout_error(p, "BUCC 2018", EXPECTED + (f" for split {split!r}" if split else ""))
    return found


def read_bucc(path: str | Path, languages=None, split: str | None = None) -> dict[str, BuccSet]:
    """``{"zh-en": BuccSet}`` for the chosen source languages."""
    p = Path(path)
    pairs = {src: (src, tgt, sp) for src, tgt, sp in bucc_pairs(p, split)}
    out = {}
    for code in select_languages(list(pairs), languages, "BUCC 2018", path=p):
        src, tgt, sp = pairs[code]
        stem = f"{src}-{tgt}.{sp}"
        gold_file = p / f"{stem}.gold"
        gold = {tuple(row) for row in _rows(gold_file)}
        out[f"{src}-{tgt}"] = BuccSet(
            f"{src}-{tgt}",
            dict(_rows(p / f"{stem}.{src}", p)),
            dict(_rows(p / f"{stem}.{tgt}", p)),
            gold,  # type: ignore[arg-type]
        )
    return out


def _rows(file: Path, root: Path | None = None) -> list[tuple[str, str]]:
    if not file.is_file():
        raise layout_error(root or file.parent, "BUCC 2018", f"{file.name} ({EXPECTED})")
    rows = []
    for n, line in enumerate(file.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        parts = line.split("\t", 1)
        if len(parts) != 2:
            raise InputError("expected id<TAB>value", path=str(file), line=n)
        rows.append((parts[0].strip(), parts[1].strip()))
    return rows
