"""STSb-multi-MT: ``stsb-<lang>-<split>.csv`` with rows ``sentence1,sentence2,score`` (0-5),
row-parallel across languages (row i is the same pair in every language)."""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from pathlib import Path

from ...errors import InputError
from ._common import layout_error, require_path, select_languages

EXPECTED = "files stsb-<lang>-<split>.csv (STSb-multi-MT: sentence1,sentence2,score)"


@dataclass(frozen=True)
class STSSet:
    code: str
    sentence1: list[str]
    sentence2: list[str]
    scores: list[float]


def stsb_languages(path: str | Path, split: str = "test") -> list[str]:
    p = require_path(path, "STSb-multi-MT", EXPECTED)
    name = re.compile(rf"^stsb-([A-Za-z-]+)-{re.escape(split)}\.csv$")
    codes = sorted(m.group(1) for f in p.iterdir() if (m := name.match(f.name)))
    if not codes:
        raise layout_error(p, "STSb-multi-MT", EXPECTED + f" for split {split!r}")
    return codes


def read_stsb(path: str | Path, languages=None, split: str = "test") -> dict[str, STSSet]:
    p = Path(path)
    codes = select_languages(stsb_languages(p, split), languages, "STSb-multi-MT", path=p)
    return {c: _read_csv(p / f"stsb-{c}-{split}.csv", c) for c in codes}


def _read_csv(file: Path, code: str) -> STSSet:
    s1, s2, sc = [], [], []
    with file.open(encoding="utf-8", newline="") as fh:
        for n, row in enumerate(csv.reader(fh), start=1):
            if n == 1 and row[-1:] == ["score"]:
                continue  # optional header
            if len(row) != 3:
                raise InputError(
                    f"expected 3 fields sentence1,sentence2,score, got {len(row)}", path=str(file), line=n
                )
            try:
                score = float(row[2])
            except ValueError as exc:
                raise InputError(f"score {row[2]!r} is not a number", path=str(file), line=n) from exc
            s1.append(row[0])
            s2.append(row[1])
            sc.append(score)
    return STSSet(code, s1, s2, sc)
