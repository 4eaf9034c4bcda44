"""Language codes: every form people use in, one canonical BCP 47 tag out.

Corpora label their languages in different ways: Tatoeba with ISO 639-3 (``cmn``, ``deu``),
FLORES-200 with ``xxx_Scrp`` (``zho_Hans``), most tools with ISO 639-1 (``de``) or BCP 47
(``pt-BR``). Comparing and storing them needs one form, so everything passes through
:func:`canonical_lang`, which lets ``langcodes`` do the standardization from the IANA registry
it ships (no network, no ``language_data`` package):

- ISO 639-2/B, 639-3 and deprecated codes map to the preferred subtag: ``ger``/``deu`` -> ``de``,
  ``iw`` -> ``he``, ``kzj`` -> ``dtp``.
- The dominant member of a macrolanguage maps to the macrolanguage, as CLDR does: ``cmn`` ->
  ``zh``, ``arb`` -> ``ar``, ``pes`` -> ``fa``, ``zsm`` -> ``ms``. Other members keep their own
  code: ``yue``, ``wuu``, ``nan`` stay distinct from ``zh``.
- A script subtag is dropped only where the IANA registry declares it the language's
  *Suppress-Script* (RFC 5646, section 3.1.9): ``eng_Latn`` -> ``en``, ``jpn_Jpan`` -> ``ja``;
  it is kept where the language is written in more than one script: ``zho_Hans`` ->
  ``zh-Hans``, ``srp_Cyrl`` -> ``sr-Cyrl``, ``kor_Hang`` -> ``ko-Hang``. So a tag may or may not
  carry a script; use :func:`same_language` rather than ``==`` to compare languages.
- langcodes' own quirks are kept: ``tl``/``tgl`` -> ``fil``, ``sh``/``hbs`` -> ``sr-Latn``.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from ..errors import LanguageCodeError

_HINT = "Use an ISO 639-1/639-3 code, a BCP 47 tag or a FLORES-200 code such as 'zho_Hans'."


def canonical_lang(code: str) -> str:
    """Return the canonical BCP 47 tag for a language code in any common form.

    Raises :class:`~interlingua.errors.LanguageCodeError` for a code that is malformed or
    names no registered language, so that a typo fails where it is made rather than as an
    empty result later.
    """
    if not isinstance(code, str):
        raise LanguageCodeError(f"A language code must be a string. Got {type(code).__name__} instead.")
    return _canonical(code.strip())


@lru_cache(maxsize=4096)
def _canonical(code: str) -> str:
    import langcodes  # imported here: the module is cheap, its tag tables are not

    bad = LanguageCodeError(f"Unknown language code {code!r}. {_HINT}")
    if not code:
        raise bad
    try:
        tag = langcodes.standardize_tag(code.replace("_", "-"), macro=True)
        valid = langcodes.Language.get(tag).is_valid()
    except (langcodes.LanguageTagError, ValueError) as exc:
        raise bad from exc
    if not valid:
        raise bad
    return tag


def same_language(a: str, b: str, *, script: bool = False) -> bool:
    """Tell whether two codes name the same language, whatever their form and region.

    ``same_language("cmn", "zh-Hant-TW")`` is true: region and script are ignored by default,
    because they describe the writing, not the language. With ``script=True`` the likely
    scripts must agree too (``zh`` and ``zh-Hans`` agree, ``zh-Hans`` and ``zh-Hant`` do not),
    which is what matters when texts are compared character by character.
    """
    ta, tb = canonical_lang(a), canonical_lang(b)
    la, lb = _parts(ta), _parts(tb)
    if la[0] != lb[0]:
        return False
    return not script or la[1] == lb[1]


@lru_cache(maxsize=4096)
def _parts(tag: str) -> tuple[str, str | None]:
    """Language subtag and likely script of a canonical tag (CLDR likely subtags)."""
    import langcodes

    lang = langcodes.Language.get(tag)
    return lang.language or "und", lang.maximize().script


def lang_name(tag: str) -> str:
    """English name of a language code, from the IANA registry that ``langcodes`` ships.

    ``langcodes``' own ``display_name`` needs the 13 MB ``language_data`` package; the
    registry's descriptions are already on disk. Names are the registry's: ``"de"`` ->
    ``"German"``, ``"zh-Hant-TW"`` -> ``"Chinese (Han (Traditional variant); Taiwan, Province of
    China)"``; "(macrolanguage)" is left out.
    """
    import langcodes

    lang = langcodes.Language.get(canonical_lang(tag))
    names = _registry_names()
    name = names["language"].get(lang.language or "und", lang.language or "und")
    details = []
    if lang.script:
        details.append(names["script"].get(lang.script, lang.script))
    if lang.territory:
        details.append(names["region"].get(lang.territory, lang.territory))
    return f"{name} ({'; '.join(details)})" if details else name


@lru_cache(maxsize=1)
def _registry_names() -> dict[str, dict[str, str]]:
    from langcodes.registry_parser import parse_registry

    out: dict[str, dict[str, str]] = {"language": {}, "script": {}, "region": {}}
    for item in parse_registry():
        kind: Any = item.get("Type")
        if kind in out and "Subtag" in item and ".." not in item["Subtag"]:
            desc = item["Description"][0].removesuffix(" (macrolanguage)")
            out[kind][item["Subtag"]] = desc
    return out
