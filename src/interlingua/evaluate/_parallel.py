"""Parallel sentences by language from any of the parallel datasets the readers know:
SIB-200 / FLORES (one split, aligned by ``index_id``), Tatoeba (each language with its own
English side) and UDHR (articles aligned by number). Used by mexa, fertility, neutrality."""

from __future__ import annotations

from pathlib import Path

from ..errors import InputError
from .readers import read_sib200, read_tatoeba, read_udhr, select_languages
from .readers._sib200 import _annotated
from .readers._tatoeba import _NAME as _TATOEBA_NAME

EXPECTED = "a SIB-200 folder (data/annotated/<lang>/), a Tatoeba v1 folder or a UDHR XML folder (index.xml)"


def dataset_kind(path: str | Path) -> str:
    p = Path(path)
    if not p.is_dir():
        raise InputError(f"Expected {EXPECTED}.", path=str(p))
    try:
        _annotated(p)
        return "sib200"
    except InputError:
        pass
    if any(_TATOEBA_NAME.match(f.name) for f in p.iterdir()):
        return "tatoeba"
    if any((c / "index.xml").is_file() for c in (p, p / "udhr", p / "data" / "udhr")):
        return "udhr"
    raise InputError(f"This is not a parallel dataset folder: expected {EXPECTED}.", path=str(p))


def parallel_pairs(
    path: str | Path, languages, pivot: str, *, split: str = "dev", limit: int | None = None
) -> tuple[dict[str, tuple[list[str], list[str]]], str]:
    """``({lang: (texts, pivot texts)}, pivot code)``: row i of one translates row i of the other."""
    kind = dataset_kind(path)
    if kind == "tatoeba":
        sets = read_tatoeba(path, languages)
        return {s.code: (s.source[:limit], s.target[:limit]) for s in sets}, "eng"
    texts = parallel_texts(path, languages, split=split, limit=limit, extra=[pivot])
    piv = select_languages(list(texts), [pivot], kind, path=Path(path))[0]
    out = {}
    for code, rows in texts.items():
        if code == piv:
            continue
        if kind == "udhr":  # keep the articles both texts have
            keep = sorted(set(rows) & set(texts[piv]))
            out[code] = ([rows[a] for a in keep], [texts[piv][a] for a in keep])
        else:
            out[code] = (list(rows.values()), list(texts[piv].values()))
    return out, piv


def parallel_texts(
    path: str | Path, languages, *, split: str = "dev", limit: int | None = None, extra=()
) -> dict[str, dict]:
    """``{lang: {row key: text}}`` for SIB-200 (key: index_id) or UDHR (key: article number)."""
    kind = dataset_kind(path)
    if kind == "sib200":
        from .readers import sib200_languages

        codes = select_languages(sib200_languages(path), languages, "SIB-200", path=Path(path))
        codes += [
            c for c in select_languages(sib200_languages(path), list(extra), "SIB-200") if c not in codes
        ]
        data = read_sib200(path, codes, splits=(split,))
        return {c: {e.index_id: e.text for e in data[c][split][:limit]} for c in codes}
    if kind == "udhr":
        data = read_udhr(path, None)
        codes = select_languages(list(data), languages, "UDHR", path=Path(path))
        codes += [c for c in select_languages(list(data), list(extra), "UDHR") if c not in codes]
        return {c: dict(list(data[c].items())[:limit]) for c in codes}
    raise InputError(
        f"Expected a SIB-200 or UDHR folder (texts aligned across languages); got a {kind} folder.",
        path=str(path),
    )
