"""Script detection and counts."""

from __future__ import annotations

import time

import pytest

from interlingua.text import detect_script, script_counts

SAMPLES = {
    "Latn": "Der schnelle braune Fuchs springt über den faulen Hund.",
    "Cyrl": "Съешь же ещё этих мягких французских булок.",
    "Grek": "Η γρήγορη καφέ αλεπού πηδά πάνω από τον σκύλο.",
    "Arab": "النص العربي يكتب من اليمين إلى اليسار.",
    "Hebr": "עברית נכתבת מימין לשמאל.",
    "Deva": "हिन्दी देवनागरी लिपि में लिखी जाती है।",
    "Beng": "বাংলা ভাষা বাংলা লিপিতে লেখা হয়।",
    "Taml": "தமிழ் மொழி மிகவும் பழமையானது.",
    "Thai": "ภาษาไทยเขียนโดยไม่มีการเว้นวรรคระหว่างคำ",
    "Geor": "ქართული ენა ძალიან ლამაზია.",
    "Armn": "Հայերենը ունի իր սեփական այբուբենը։",
    "Ethi": "አማርኛ በግዕዝ ፊደል ይጻፋል።",
    "Mymr": "မြန်မာဘာသာစကား",
    "Khmr": "ភាសាខ្មែរ",
    "Tibt": "བོད་ཡིག",
    "Hans": "简体中文是中国大陆使用的书写系统，这里的学生都学习汉语。",
    "Hant": "繁體中文在台灣和香港使用，這裡的學生都學習漢語。",
    "Hani": "中文",
    "Jpan": "日本語の文章には漢字と平仮名が混ざっています。",
    "Hang": "한국어는 한글로 씁니다.",
    "Kore": "大韓民國은 民主共和國이다.",
    "Zyyy": "12345 !? ... 😀 3.14",
}


@pytest.mark.parametrize("script", list(SAMPLES))
def test_detects_each_script(script):
    assert detect_script(SAMPLES[script]) == script


def test_the_dominant_script_wins():
    assert detect_script("Москва (Moscow) — столица России.") == "Cyrl"
    assert detect_script("I love 東京 and its food very much.") == "Latn"


def test_kana_only_text_is_japanese():
    assert detect_script("ひらがな と カタカナ") == "Jpan"


def test_counts_letters_and_marks_only():
    assert script_counts("Hi, мир! 42") == {"Cyrl": 3, "Latn": 2}
    assert script_counts("नमस्ते") == {"Deva": 6}  # vowel signs and virama count with their script
    assert script_counts("日本語です") == {"Hani": 3, "Hira": 2}
    assert script_counts("") == {}


def test_simplified_and_traditional_are_told_apart_by_evidence():
    assert detect_script("我们的国家") == "Hans"
    assert detect_script("我們的國家") == "Hant"
    assert detect_script("山水人口") == "Hani"  # no character that differs


def test_rejects_non_strings():
    with pytest.raises(TypeError, match="needs a str. Got list"):
        detect_script(["not", "a", "string"])  # type: ignore[arg-type]


def test_is_fast_on_thousand_character_texts():
    texts = [("Ein kurzer Satz über Москва и 東京. " * 40)[:1000] + str(i) for i in range(2000)]
    detect_script(texts[0])  # builds the table once
    start = time.perf_counter()
    for text in texts:
        detect_script(text)
    assert time.perf_counter() - start < 2.0  # ~0.02 s here; a per-character loop takes seconds
