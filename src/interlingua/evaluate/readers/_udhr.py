"""UDHR in Unicode: ``index.xml`` (one ``<udhr f=... bcp47=...>`` per text) and
``udhr_<f>.xml`` files whose ``<article number="N">`` elements align across languages.

The path may be the folder holding ``index.xml`` or any folder above it (``udhr/``,
``udhr/data``). A language with several texts keeps the first listed in the index.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from ...errors import InputError
from ._common import layout_error, require_path, select_languages

EXPECTED = "index.xml and udhr_<key>.xml files (UDHR in Unicode XML), in this folder or data/udhr below it"


def _root(path: str | Path) -> Path:
    p = require_path(path, "UDHR", EXPECTED)
    for cand in (p, p / "udhr", p / "data" / "udhr"):
        if (cand / "index.xml").is_file():
            return cand
    raise layout_error(p, "UDHR", EXPECTED)


def udhr_index(path: str | Path) -> dict[str, str]:
    """``{bcp47 tag: file key}`` for texts whose file is present."""
    root = _root(path)
    try:
        tree = ET.parse(root / "index.xml")
    except ET.ParseError as exc:
        raise InputError(f"index.xml is not well-formed XML: {exc}", path=str(root)) from exc
    out: dict[str, str] = {}
    for el in tree.getroot().iter("udhr"):
        key, tag = el.get("f"), el.get("bcp47") or el.get("iso639-3")
        if key and tag and tag != "und" and tag not in out and (root / f"udhr_{key}.xml").is_file():
            out[tag] = key
    return out


def read_udhr(path: str | Path, languages=None) -> dict[str, dict[int, str]]:
    """``{bcp47 tag: {article number: text}}``; an article's paragraphs are joined by spaces."""
    root = _root(path)
    index = udhr_index(root)
    out = {}
    for tag in select_languages(list(index), languages, "UDHR", path=Path(path)):
        out[tag] = _articles(root / f"udhr_{index[tag]}.xml")
    return out


def _articles(file: Path) -> dict[int, str]:
    try:
        tree = ET.parse(file)
    except ET.ParseError as exc:
        raise InputError(f"not well-formed XML: {exc}", path=str(file)) from exc
    arts: dict[int, str] = {}
    for el in tree.getroot().iter():
        if el.tag.rsplit("}", 1)[-1] != "article" or not (el.get("number") or "").isdigit():
            continue
        paras = [
            " ".join("".join(p.itertext()).split()) for p in el.iter() if p.tag.rsplit("}", 1)[-1] == "para"
        ]
        text = " ".join(t for t in paras if t)
        if text:
            arts[int(el.get("number"))] = text
    return arts
