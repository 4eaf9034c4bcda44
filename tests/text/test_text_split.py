"""Sentence splitting across scripts, abbreviations, quotes, spans."""

from __future__ import annotations

import pytest

from interlingua.errors import InputError, LanguageCodeError
from interlingua.text import THAI_MIN_CHARS, split_sentence_spans, split_sentences

BY_SCRIPT = {
    "latin": (
        "The train was late again. Did anyone call the station? Nobody did!",
        ["The train was late again.", "Did anyone call the station?", "Nobody did!"],
    ),
    "cyrillic": (
        "Привет! Как у тебя дела? Всё хорошо, спасибо.",
        ["Привет!", "Как у тебя дела?", "Всё хорошо, спасибо."],
    ),
    "greek": (  # the Greek question mark is ';' after NFC
        "Πού είναι ο σταθμός; Είναι πολύ κοντά. Ευχαριστώ πολύ!",
        ["Πού είναι ο σταθμός;", "Είναι πολύ κοντά.", "Ευχαριστώ πολύ!"],
    ),
    "chinese": (
        "今天天气很好。我们去公园散步吧！你想一起来吗？好的。",
        ["今天天气很好。", "我们去公园散步吧！", "你想一起来吗？", "好的。"],
    ),
    "japanese": (
        "今日はいい天気です。公園に行きましょう！一緒に来ませんか？",
        ["今日はいい天気です。", "公園に行きましょう！", "一緒に来ませんか？"],
    ),
    "arabic": (
        "كيف حالك؟ أنا بخير، شكرا لك. إلى اللقاء غدا",
        ["كيف حالك؟", "أنا بخير، شكرا لك.", "إلى اللقاء غدا"],
    ),
    "urdu": (  # U+06D4 ARABIC FULL STOP
        "میں ٹھیک ہوں۔ آپ کیسے ہیں؟ آج موسم اچھا ہے۔",
        ["میں ٹھیک ہوں۔", "آپ کیسے ہیں؟", "آج موسم اچھا ہے۔"],
    ),
    "devanagari": (
        "मेरा नाम राम है। मैं दिल्ली में रहता हूँ। यह मेरा घर है॥ आप कहाँ रहते हैं?",
        ["मेरा नाम राम है।", "मैं दिल्ली में रहता हूँ।", "यह मेरा घर है॥", "आप कहाँ रहते हैं?"],
    ),
    "armenian": (
        "Բարև, ինչպե՞ս ես։ Ես լավ եմ, շնորհակալություն։",
        ["Բարև, ինչպե՞ս ես։", "Ես լավ եմ, շնորհակալություն։"],
    ),
    "ethiopic": (
        "ሰላም ነው። ስሜ አበበ ነው። እንዴት ነህ፧",
        ["ሰላም ነው።", "ስሜ አበበ ነው።", "እንዴት ነህ፧"],
    ),
    "burmese": (
        "မင်္ဂလာပါ။ ကျွန်တော့်နာမည် မောင်မောင် ပါ။",
        ["မင်္ဂလာပါ။", "ကျွန်တော့်နာမည် မောင်မောင် ပါ။"],
    ),
    "khmer": (
        "សួស្តី។ ខ្ញុំឈ្មោះសុខា។ អ្នកសុខសប្បាយទេ?",
        ["សួស្តី។", "ខ្ញុំឈ្មោះសុខា។", "អ្នកសុខសប្បាយទេ?"],
    ),
    "tibetan": (
        "བཀྲ་ཤིས་བདེ་ལེགས། ཁྱེད་རང་སྐུ་གཟུགས་བདེ་པོ་ཡིན་པས།",
        ["བཀྲ་ཤིས་བདེ་ལེགས།", "ཁྱེད་རང་སྐུ་གཟུགས་བདེ་པོ་ཡིན་པས།"],
    ),
    "thai": (
        "วันนี้อากาศดีมากเราจึงไปเดินเล่นที่สวนสาธารณะ ตอนเย็นเรากลับบ้านและทำอาหารกินด้วยกัน",
        ["วันนี้อากาศดีมากเราจึงไปเดินเล่นที่สวนสาธารณะ", "ตอนเย็นเรากลับบ้านและทำอาหารกินด้วยกัน"],
    ),
}


@pytest.mark.parametrize("name", list(BY_SCRIPT))
def test_splits_each_script(name):
    text, expected = BY_SCRIPT[name]
    assert split_sentences(text) == expected


def test_full_width_terminators_need_no_space():
    assert split_sentences("本当？うん！行こう。") == ["本当？", "うん！", "行こう。"]


def test_ascii_terminators_before_cjk_need_no_space():
    assert split_sentences("你好吗?我很好!") == ["你好吗?", "我很好!"]


def test_thai_short_clauses_stay_together():
    clause = "ถ้าฝนตก ฉันจะอยู่บ้านทั้งวัน"  # "if it rains, I stay home all day"
    assert len(clause.split()[0]) < THAI_MIN_CHARS
    long_one = "วันนี้อากาศดีมากเราจึงไปเดินเล่นที่สวนสาธารณะ"
    assert split_sentences(f"{long_one} {clause}") == [long_one, clause]


@pytest.mark.parametrize(
    "text",
    [
        "Dr. Smith met Mr. Jones and Prof. Lee at noon.",
        "Some fruits, e.g. apples and pears, keep well.",
        "She moved to the U.S. Army base in Texas.",
        "J. R. R. Tolkien wrote it in 1937.",
        "Pi is about 3.14 and e is about 2.72 today.",
        "See Fig. 3 and No. 5 in Vol. 2 for details.",
        "Visit example.com/page.html?id=1 for more.",
        "He woke at 7 a.m. and left at once.",
        'He shouted "Stop!" and ran away.',
        "Wait... what did you say?",
        "Это т.е. пример, а не правило.",
        "M. Dupont est arrivé hier soir.",
    ],
)
def test_abbreviations_numbers_and_inner_punctuation_do_not_split(text):
    assert split_sentences(text) == [text]


def test_one_letter_pronouns_end_sentences():
    assert split_sentences("So did I. Then we left.") == ["So did I.", "Then we left."]
    assert split_sentences("Кто там? Это я. Открой дверь.") == ["Кто там?", "Это я.", "Открой дверь."]
    assert split_sentences("Das ist z. B. gut.", lang="de") == ["Das ist z. B. gut."]


def test_german_ordinals_do_not_split_with_lang():
    text = "Am 3. Oktober ist Feiertag. Wir feiern mit Hr. Müller z.B. im Park."
    assert split_sentences(text, lang="deu") == [
        "Am 3. Oktober ist Feiertag.",
        "Wir feiern mit Hr. Müller z.B. im Park.",
    ]
    assert split_sentences("Chapter 3. Results follow.", lang="en") == ["Chapter 3.", "Results follow."]


def test_ellipsis_then_capital_splits():
    assert split_sentences("I waited... Then he came. Well… Maybe tomorrow.") == [
        "I waited...",
        "Then he came.",
        "Well…",
        "Maybe tomorrow.",
    ]


def test_closing_quotes_and_brackets_stay_with_their_sentence():
    assert split_sentences('She said, "It is late." Then she left. (This was odd.) We stayed.') == [
        'She said, "It is late."',
        "Then she left.",
        "(This was odd.)",
        "We stayed.",
    ]
    assert split_sentences("他说：“我明天来。”我们都很高兴。") == ["他说：“我明天来。”", "我们都很高兴。"]
    assert split_sentences("「こんにちは。」と彼は言った。元気ですか？") == [
        "「こんにちは。」と彼は言った。",
        "元気ですか？",
    ]


def test_blank_line_ends_a_sentence_but_a_single_line_break_does_not():
    text = "A heading without a stop\n\nThe text is\nwrapped here. End"
    assert split_sentences(text) == ["A heading without a stop", "The text is\nwrapped here.", "End"]


def test_spans_map_back_to_the_original_text():
    text = "  Hello there!  How are you?\n\n今日は晴れ。明日は雨。  "
    spans = split_sentence_spans(text)
    assert spans == [(2, 14), (16, 28), (30, 36), (36, 41)]
    assert [text[s:e] for s, e in spans] == split_sentences(text)
    assert split_sentences(text) == ["Hello there!", "How are you?", "今日は晴れ。", "明日は雨。"]


@pytest.mark.parametrize("text", ["", "   \n\n  "])
def test_empty_text_has_no_sentences(text):
    assert split_sentences(text) == []
    assert split_sentence_spans(text) == []


def test_bad_lang_and_bad_text_are_input_errors():
    with pytest.raises(LanguageCodeError, match="Unknown language code 'xx1'"):
        split_sentences("Hello.", lang="xx1")
    with pytest.raises(InputError, match="needs a str"):
        split_sentences(None)  # type: ignore[arg-type]
