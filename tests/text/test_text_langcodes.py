"""canonical_lang, same_language, lang_name."""

from __future__ import annotations

import pytest

from interlingua.errors import InputError, LanguageCodeError
from interlingua.text import canonical_lang, lang_name, same_language


@pytest.mark.parametrize(
    ("code", "tag"),
    [
        # ISO 639-1, any case and padding
        ("de", "de"),
        ("EN", "en"),
        (" fr ", "fr"),
        # ISO 639-3, including macrolanguage members folded as CLDR does
        ("deu", "de"),
        ("zho", "zh"),
        ("cmn", "zh"),
        ("arb", "ar"),
        ("pes", "fa"),
        # ISO 639-2/B
        ("ger", "de"),
        ("fre", "fr"),
        ("chi", "zh"),
        # BCP 47 in any case, with _ or -
        ("zh-hant-tw", "zh-Hant-TW"),
        ("pt_BR", "pt-BR"),
        ("en-latn-us", "en-US"),
        ("sr-cyrl", "sr-Cyrl"),
        # FLORES-200: suppressed default scripts dropped, others kept
        ("zho_Hans", "zh-Hans"),
        ("zho_Hant", "zh-Hant"),
        ("eng_Latn", "en"),
        ("jpn_Jpan", "ja"),
        ("srp_Cyrl", "sr-Cyrl"),
        ("arb_Arab", "ar"),
        ("kor_Hang", "ko-Hang"),
        ("yue_Hant", "yue-Hant"),
        # Tatoeba codes: distinct languages stay distinct, deprecated ones are replaced
        ("wuu", "wuu"),
        ("yue", "yue"),
        ("arq", "arq"),
        ("swg", "swg"),
        ("nds", "nds"),
        ("kzj", "dtp"),
        # deprecated 639-1
        ("iw", "he"),
        ("in", "id"),
    ],
)
def test_canonical_lang(code, tag):
    assert canonical_lang(code) == tag


@pytest.mark.parametrize("code", ["xx1", "xx", "zzz", "english", "", "   ", "e", "zh-Hans-XYZ1", "123"])
def test_unknown_or_malformed_codes_raise(code):
    with pytest.raises(LanguageCodeError) as info:
        canonical_lang(code)
    assert str(info.value) == (
        f"Unknown language code {code.strip()!r}. Use an ISO 639-1/639-3 code, a BCP 47 tag or a "
        "FLORES-200 code such as 'zho_Hans'."
    )
    assert isinstance(info.value, InputError)


def test_non_string_code_raises():
    with pytest.raises(LanguageCodeError, match="must be a string. Got list"):
        canonical_lang(["de"])  # type: ignore[arg-type]


def test_same_language_ignores_form_region_and_script():
    assert same_language("cmn", "zh-Hant-TW")
    assert same_language("deu", "de-AT")
    assert same_language("srp_Cyrl", "sr-Latn")
    assert not same_language("yue", "zh")
    assert not same_language("en", "de")


def test_same_language_with_script_compares_likely_scripts():
    assert same_language("zh", "zho_Hans", script=True)
    assert same_language("zh-TW", "zh-Hant", script=True)
    assert not same_language("zh-Hans", "zh-Hant", script=True)
    assert not same_language("sr-Latn", "sr", script=True)


def test_lang_name_offline():
    assert lang_name("deu") == "German"
    assert lang_name("sw") == "Swahili"  # "(macrolanguage)" left out
    assert lang_name("zh_Hant_TW") == "Chinese (Han (Traditional variant); Taiwan, Province of China)"
    assert lang_name("srp_Cyrl") == "Serbian (Cyrillic)"
    with pytest.raises(LanguageCodeError):
        lang_name("xx1")
