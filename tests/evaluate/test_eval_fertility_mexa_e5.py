"""Fertility with real tokenizers (a word-level and a character-level tokenizer built here,
and e5's), and MEXA per layer with e5-small, on tiny fixtures."""

from __future__ import annotations

import pytest

from interlingua.errors import InputError
from interlingua.evaluate import PrecomputedEncoder, RunConfig, run_eval
from interlingua.evaluate.tasks.fertility import fertility_stats, load_tokenizer

TEXTS = {
    "eng_Latn": ["The cat sleeps on the warm windowsill.", "Trains leave every ten minutes."],
    "deu_Latn": ["Die Katze schläft auf der warmen Fensterbank.", "Die Züge fahren alle zehn Minuten."],
    "zho_Hans": ["猫在温暖的窗台上睡觉。", "火车每十分钟开一班。"],
}


def write_sib(root):
    for lang, texts in TEXTS.items():
        d = root / "data" / "annotated" / lang
        d.mkdir(parents=True)
        rows = "".join(f"{i}\tsports\t{t}\n" for i, t in enumerate(texts))
        for split in ("train", "dev", "test"):
            (d / f"{split}.tsv").write_text("index_id\tcategory\ttext\n" + rows, encoding="utf-8")
    return root


def char_tokenizer(path):
    from tokenizers import Tokenizer, models, pre_tokenizers

    chars = sorted({c for ts in TEXTS.values() for t in ts for c in t})
    tok = Tokenizer(models.WordLevel({c: i for i, c in enumerate(["[UNK]", *chars])}, unk_token="[UNK]"))
    tok.pre_tokenizer = pre_tokenizers.Split("", "isolated")  # every character a token
    tok.save(str(path))
    return str(path)


def test_fertility_stats_with_a_character_tokenizer(tmp_path):
    tokenize = load_tokenizer(char_tokenizer(tmp_path / "chars.json"))
    st = fertility_stats(["ab cde", "猫在"], tokenize)
    # words: ab, cde, 猫, 在 -> 2 + 3 + 1 + 1 tokens over 4 words; 2 of 4 words split
    assert st == {
        "tokens_per_word": pytest.approx(7 / 4),
        "split_words_pct": pytest.approx(50.0),
        "words": 4.0,
    }


def test_fertility_task_with_e5_and_a_tokenizer_file(tmp_path, e5):
    data = write_sib(tmp_path / "sib")
    chars = char_tokenizer(tmp_path / "chars.json")
    res = run_eval(RunConfig(task="fertility", data=str(data), options={"tokenizers": [chars]}), encoder=e5)[
        "result"
    ]
    en, zh = res["per_language"]["eng_Latn"], res["per_language"]["zho_Hans"]
    assert 1.0 <= en["tokens_per_word"] < 1.6 and 0 <= en["split_words_pct"] < 50
    assert zh[f"tokens_per_word@{chars}"] == pytest.approx(1.0)  # one word per Han character
    assert en[f"tokens_per_word@{chars}"] > 3  # mean English word length
    noise = PrecomputedEncoder({"a": [1.0, 0.0]})
    with pytest.raises(InputError, match="exposes no tokenizer"):
        run_eval(RunConfig(task="fertility", data=str(data)), encoder=noise)


def test_mexa_per_layer_with_e5(tmp_path, e5):
    data = write_sib(tmp_path / "sib")
    res = run_eval(RunConfig(task="mexa", data=str(data), cache=False), encoder=e5)["result"]
    assert res["details"]["per_layer"]
    (m,) = res["matrices"].values()
    assert m["rows"] == ["deu_Latn", "zho_Hans"] and len(m["cols"]) == e5.num_layers + 1
    # the last layer's mean-pooled vectors are the sentence vectors
    assert res["metrics"][f"mexa_layer_{e5.num_layers}"] == pytest.approx(res["metrics"]["mexa"])
    assert res["metrics"]["mexa"] == pytest.approx(100.0)
