"""Tatoeba v1 (the LASER / XTREME bitext retrieval test set).

Layout: ``tatoeba.xxx-eng.xxx`` and ``tatoeba.xxx-eng.eng`` per language, one sentence a
line; line i of one file translates line i of the other.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from ...errors import InputError
from ._common import lang_tag, layout_error, require_path, select_languages

EXPECTED = "files tatoeba.xxx-eng.xxx and tatoeba.xxx-eng.eng (Tatoeba v1, LASER data/tatoeba/v1)"
_NAME = re.compile(r"^tatoeba\.([a-z]{2,3})-eng\.\1$")


@dataclass(frozen=True)
class BitextSet:
    """Parallel sentences: ``source[i]`` translates ``target[i]``."""

    code: str  # the dataset's own code, e.g. "deu"
    lang: str  # canonical BCP 47 tag, e.g. "de"
    source: list[str]
    target: list[str]
    target_lang: str = "en"


def tatoeba_languages(path: str | Path) -> list[str]:
    p = require_path(path, "Tatoeba", EXPECTED)
    codes = sorted(m.group(1) for f in p.iterdir() if (m := _NAME.match(f.name)))
    if not codes:
        raise layout_error(p, "Tatoeba", EXPECTED)
    return codes


def read_tatoeba(path: str | Path, languages=None) -> list[BitextSet]:
    """Read the chosen languages (all by default) of a Tatoeba v1 folder."""
    p = Path(path)
    codes = select_languages(tatoeba_languages(p), languages, "Tatoeba", path=p)
    out = []
    for code in codes:
        src_file, eng_file = p / f"tatoeba.{code}-eng.{code}", p / f"tatoeba.{code}-eng.eng"
        if not eng_file.is_file():
            raise layout_error(p, "Tatoeba", f"{eng_file.name} beside {src_file.name}")
        src, eng = _lines(src_file), _lines(eng_file)
        if len(src) != len(eng):
            raise InputError(
                f"{src_file.name} has {len(src)} lines but {eng_file.name} has {len(eng)}.", path=str(p)
            )
        out.append(BitextSet(code, lang_tag(code), src, eng))
    return out


def _lines(path: Path) -> list[str]:
    text = path.read_text(encoding="utf-8")
    return [line.strip() for line in text.rstrip("\n").split("\n")] if text.strip() else []
