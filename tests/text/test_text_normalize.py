"""normalize_text and decode_utf8."""

from __future__ import annotations

import pytest

from interlingua.errors import InputError
from interlingua.text import decode_utf8, normalize_text

PERSIAN = "می\u200cخواهم"  # "I want": the ZWNJ keeps ی from joining خ


def test_removes_bom_zero_width_and_soft_hyphen():
    assert normalize_text("\ufeffHel\u200blo wor\u00adld\u2060!") == "Hello world!"


def test_removes_control_characters_and_maps_whitespace_controls_to_spaces():
    assert normalize_text("a\x00b\x07c\td\ne\r\nf\x0bg\x85h\u2028i") == "abc d e f g h i"


def test_removes_bidirectional_marks():
    assert normalize_text("\u202bשלום\u202c \u200fעולם\u200e") == "שלום עולם"


def test_collapses_every_kind_of_whitespace_and_strips():
    assert normalize_text("  one\u00a0\u00a0two\u3000three \u2009 four \n") == "one two three four"


def test_keeps_zwnj_inside_a_persian_word():
    out = normalize_text(f"  {PERSIAN}\u200c  ")
    assert out == PERSIAN
    assert "\u200c" in out


def test_keeps_zwj_in_indic_conjuncts_and_emoji():
    malayalam = "ന്\u200d"  # chillu written with virama + ZWJ, followed by a letter below
    assert normalize_text(malayalam + "റ") == malayalam + "റ"
    technologist = "👩\u200d💻"
    assert normalize_text(f"{technologist} ❤\ufe0f\u200d🔥") == f"{technologist} ❤\ufe0f\u200d🔥"


def test_drops_joiners_that_join_nothing():
    assert normalize_text("\u200dword\u200c end \u200c") == "word end"


def test_composes_by_default_and_folds_compatibility_forms_with_nfkc():
    assert normalize_text("e\u0301") == "\u00e9"
    assert normalize_text("ｆｕｌｌ width ﬁ", "NFKC") == "full width fi"
    assert normalize_text("\u00e9", "NFD") == "e\u0301"


def test_keep_newlines_keeps_lines_and_blank_lines():
    text = "first  line \r\nsecond\n\n\n  third\rfourth\t!"
    assert normalize_text(text, keep_newlines=True) == "first line\nsecond\n\nthird\nfourth !"


def test_unknown_form_names_the_parameter():
    with pytest.raises(
        InputError, match=r"'form' parameter must be one of 'NFC', 'NFKC', 'NFD', 'NFKD'. Got 'nfc'"
    ):
        normalize_text("x", form="nfc")


def test_non_string_is_an_input_error():
    with pytest.raises(InputError, match="needs a str. Got bytes"):
        normalize_text(b"x")  # type: ignore[arg-type]


def test_decode_utf8_round_trips():
    assert decode_utf8("grüße, 世界".encode()) == "grüße, 世界"


def test_invalid_utf8_names_path_line_offset_and_column():
    data = "Grüße".encode() + b"\xe4 rest"  # a Latin-1 byte after 7 bytes / 5 characters
    with pytest.raises(InputError) as info:
        decode_utf8(data, path="corpus/de.txt", line=42)
    message = str(info.value)
    assert message.startswith("corpus/de.txt, line 42: invalid UTF-8 at byte offset 7 (column 6)")
    assert "b'\\xe4' (invalid continuation byte)" in message
    assert info.value.path == "corpus/de.txt" and info.value.line == 42
    assert isinstance(info.value.__cause__, UnicodeDecodeError)


def test_invalid_utf8_without_a_path_still_says_where():
    with pytest.raises(InputError, match=r"^invalid UTF-8 at byte offset 0 \(column 1\)"):
        decode_utf8(b"\xff\xfe")
