"""Word segmentation for BM25: a query finds its words in every script."""

from __future__ import annotations

import numpy as np
import pytest

from interlingua.store import TantivyLexical
from interlingua.text import segment_words


def test_spaced_scripts_split_at_word_boundaries_and_fold_case():
    assert segment_words("Hello, WORLD! Straße 42 l'été") == ["hello", "world", "strasse", "42", "l", "été"]
    assert segment_words("Привет, мир") == ["привет", "мир"]
    assert segment_words("नमस्ते दुनिया") == ["नमस्ते", "दुनिया"]  # combining marks stay in the word
    assert segment_words("  ") == []


def test_unspaced_scripts_give_characters_and_bigrams():
    assert segment_words("東京大学") == ["東", "京", "大", "学", "東京", "京大", "大学"]
    assert segment_words("猫") == ["猫"]
    th = segment_words("แมวนอน")
    assert "แม" in th and "วน" in th
    mixed = segment_words("iPhone 15を買った")
    assert mixed[:2] == ["iphone", "15"] and "買っ" in mixed


@pytest.mark.parametrize(
    "doc,query",
    [
        ("東京大学は日本の国立大学です。", "国立大学"),
        ("北京是中华人民共和国的首都。", "首都北京"),
        ("ภาษาไทยเป็นภาษาราชการของประเทศไทย", "ประเทศไทย"),
        ("今日はとても良い天気ですね。", "天気"),
        ("Die Katze schläft auf der Fensterbank.", "fensterbank"),
    ],
)
def test_a_query_finds_its_words(tmp_path, doc, query):
    lex = TantivyLexical(tmp_path / "lex", writable=True)
    others = ["The stock market fell.", "Le chat dort.", "株価が下がった。", "ราคาหุ้นตก", "上海是一个城市。"]
    lex.add(np.arange(6), [segment_words(t) for t in [doc, *others]])
    _, keys = lex.search(segment_words(query), 3)
    assert keys[0] == 0
