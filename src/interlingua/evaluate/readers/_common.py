"""What every reader shares: checking a folder's layout and choosing languages.

A folder in the wrong layout fails with what was expected there; a language that is not in
the data fails with the list of those that are. Languages are matched through
:func:`~interlingua.text.canonical_lang`, so ``de``, ``deu`` and ``deu_Latn`` all name German.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TypeVar

from ...errors import InputError, LanguageCodeError
from ...text import canonical_lang, same_language

T = TypeVar("T")


def layout_error(path: Path, dataset: str, expected: str) -> InputError:
    return InputError(f"This is not a {dataset} folder: expected {expected}.", path=str(path))


def require_path(path: str | Path, dataset: str, expected: str, *, folder: bool = True) -> Path:
    """``path`` as a Path, or an error that names the dataset and the layout expected."""
    p = Path(path).expanduser()
    if not p.exists():
        raise InputError(f"The {dataset} data path does not exist (expected {expected}).", path=str(p))
    if folder and not p.is_dir():
        raise layout_error(p, dataset, expected)
    return p


def lang_tag(code: str) -> str:
    """Canonical tag of a dataset's own code, or the code itself when no registry knows it."""
    try:
        return canonical_lang(code)
    except LanguageCodeError:
        return code


def select_languages(
    available: Sequence[str], requested: Iterable[str] | None, dataset: str, *, path: Path | None = None
) -> list[str]:
    """The dataset's own codes for ``requested`` (all of ``available`` when None), in request order.

    A requested code matches an available one when their canonical tags are equal; failing
    that, when they name the same language (``zh`` finds ``zho_Hans`` and ``zho_Hant``).
    """
    avail = list(available)
    if requested is None:
        return avail
    if isinstance(requested, str):
        requested = [requested]
    tags = {code: _known_tag(code) for code in avail}
    chosen: list[str] = []
    for code in requested:
        found = [a for a in avail if a == code]
        if not found:
            try:
                want = canonical_lang(code)
            except LanguageCodeError:
                want = None
            if want is not None:
                found = [a for a in avail if tags[a] == want]
                if not found:
                    found = [a for a in avail if tags[a] is not None and same_language(tags[a], want)]
        if not found:
            listed = ", ".join(sorted(avail))
            raise InputError(
                f"Language {code!r} is not in the {dataset} data. Languages there ({len(avail)}): {listed}.",
                path=None if path is None else str(path),
            )
        chosen.extend(f for f in found if f not in chosen)
    return chosen


def _known_tag(code: str) -> str | None:
    try:
        return canonical_lang(code)
    except LanguageCodeError:
        return None


def pick(
    mapping: Mapping[str, T], requested: Iterable[str] | None, dataset: str, path: Path | None = None
) -> dict[str, T]:
    return {c: mapping[c] for c in select_languages(list(mapping), requested, dataset, path=path)}
