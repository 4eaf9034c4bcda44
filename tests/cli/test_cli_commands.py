"""``interlingua detect``, ``models``, ``similarity`` and ``demo`` through the typer app."""

from __future__ import annotations

import json
import re
import warnings

import pytest
from typer.testing import CliRunner

from interlingua.cli import app, main

RUNNER = CliRunner()
WIDE = {"COLUMNS": "200"}  # rich tables: one row a line

# One sentence a line, written for this test: (BCP 47 tag, script, text).
SENTENCES = [
    ("en", "Latn", "The weather is beautiful today, so we are going for a long walk in the park."),
    (
        "fr",
        "Latn",
        "Il fait très beau aujourd'hui, alors nous allons faire une longue promenade dans le parc.",
    ),
    ("de", "Latn", "Das Wetter ist heute wunderschön, deshalb machen wir einen langen Spaziergang im Park."),
    ("es", "Latn", "Hoy hace un tiempo precioso, así que vamos a dar un largo paseo por el parque."),
    ("ru", "Cyrl", "Сегодня прекрасная погода, поэтому мы идём на долгую прогулку в парк."),
    ("ar", "Arab", "الطقس جميل اليوم، لذلك سنذهب في نزهة طويلة في الحديقة."),
    ("zh", "Hans", "今天天气很好，所以我们要去公园散步很长时间。"),
    ("ja", "Jpan", "今日はとても良い天気なので、公園を長く散歩します。"),
    ("el", "Grek", "Ο καιρός είναι υπέροχος σήμερα, γι' αυτό θα κάνουμε μια μεγάλη βόλτα στο πάρκο."),
    ("hi", "Deva", "आज मौसम बहुत सुंदर है, इसलिए हम पार्क में लंबी सैर करने जा रहे हैं।"),
    ("ko", "Hang", "오늘은 날씨가 정말 좋아서 우리는 공원에서 오래 산책할 거예요."),
    ("th", "Thai", "วันนี้อากาศดีมาก เราจึงจะไปเดินเล่นในสวนสาธารณะนาน ๆ"),
    ("he", "Hebr", "היום מזג האוויר יפה מאוד, ולכן אנחנו יוצאים לטיול ארוך בפארק."),
]


def invoke(*args, env=None):
    result = RUNNER.invoke(app, [str(a) for a in args], env=env, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result


# -- detect ----------------------------------------------------------------------------------
@pytest.fixture
def multilingual_txt(tmp_path):
    path = tmp_path / "langs.txt"
    path.write_text("".join(text + "\n" for _, _, text in SENTENCES), encoding="utf-8")
    return path


def test_detect_file_json(multilingual_txt):
    rows = json.loads(invoke("detect", multilingual_txt, "--json").stdout)
    assert [r["line"] for r in rows] == list(range(1, len(SENTENCES) + 1))
    assert [(r["lang"], r["script"]) for r in rows] == [(lang, script) for lang, script, _ in SENTENCES]
    assert all(0.5 < r["score"] <= 1.0 for r in rows)


def test_detect_file_table(multilingual_txt):
    lines = invoke("detect", multilingual_txt).stdout.splitlines()
    assert lines[0].split("\t") == ["line", "lang", "score", "script", "text"]
    body = [line.split("\t") for line in lines[1:]]
    assert [(c[0], c[1], c[3]) for c in body] == [
        (str(i), lang, script) for i, (lang, script, _) in enumerate(SENTENCES, 1)
    ]
    assert body[0][4].endswith("...") and len(body[0][4]) == 60  # long texts are shortened
    assert body[5][4] == SENTENCES[5][2]


def test_detect_texts_with_candidates_and_no_letters():
    rows = json.loads(
        invoke(
            "detect",
            "--text",
            "Guten Morgen, wie geht es dir heute?",
            "--text",
            "123 456",
            "--candidates",
            "eng,deu,fra",
            "--json",
        ).stdout
    )
    assert [(r["line"], r["lang"], r["script"]) for r in rows] == [(1, "de", "Latn"), (2, "und", "Zyyy")]
    assert rows[1]["score"] == 0.0


def test_detect_candidates_restrict_the_answer():
    # Portuguese text, but only Spanish and Italian allowed: the answer is one of those.
    rows = json.loads(
        invoke(
            "detect",
            "--text",
            "O gato dorme no sofá da sala todas as tardes.",
            "--candidates",
            "es,it",
            "--json",
        ).stdout
    )
    assert rows[0]["lang"] in {"es", "it"}


def test_detect_tsv_column_and_line_numbers(tmp_path):
    path = tmp_path / "in.tsv"
    path.write_text(
        "id\tsentence\n"
        "a\tDas Wetter ist heute wunderschön, deshalb gehen wir spazieren.\n"
        "b\t\n"
        "c\tСегодня прекрасная погода, поэтому мы идём гулять.\n",
        encoding="utf-8",
    )
    rows = json.loads(invoke("detect", path, "--text-field", "sentence", "--json").stdout)
    assert [(r["line"], r["lang"], r["script"]) for r in rows] == [(2, "de", "Latn"), (4, "ru", "Cyrl")]


# -- models ----------------------------------------------------------------------------------
def test_models_json():
    rows = {r["name"]: r for r in json.loads(invoke("models", "--json").stdout)}
    assert {"e5-small", "e5-small-int8", "use-multilingual"} <= set(rows)
    assert rows["e5-small"]["dim"] == rows["e5-small-int8"]["dim"] == 384
    assert rows["use-multilingual"]["dim"] == 512
    for name in ("e5-small", "e5-small-int8", "use-multilingual"):
        assert rows[name]["offline"] is True, rows[name]
        assert rows[name]["description"]
    assert rows["e5-small"]["source"].endswith("e5-small-q4.bin")


def test_models_table_says_offline_yes():
    out = invoke("models", env=WIDE).stdout
    cells = {}
    for line in out.splitlines():
        parts = [p.strip() for p in line.split("│")]
        if len(parts) > 5 and parts[1]:
            cells[parts[1]] = parts[2:5]
    assert cells["e5-small"] == ["384", "~100 (XLM-R)", "yes"]
    assert cells["e5-small-int8"][0] == "384" and cells["e5-small-int8"][2] == "yes"
    assert cells["use-multilingual"] == ["512", "16", "yes"]


# -- similarity ------------------------------------------------------------------------------
def similarity(a: str, b: str, *extra) -> dict:
    return json.loads(invoke("similarity", a, b, *extra, "--json").stdout)


def test_translation_scores_higher_than_unrelated_text():
    source = "The cat is sleeping on the sofa in the living room."
    translation = similarity(source, "Le chat dort sur le canapé du salon.")
    unrelated = similarity(source, "Die Zinsen für Sparkonten sind in diesem Jahr gestiegen.")
    assert translation["model"] == unrelated["model"] == "e5-small"
    assert -1.0 <= unrelated["cosine"] < translation["cosine"] <= 1.0
    assert translation["cosine"] - unrelated["cosine"] > 0.05


def test_similarity_matches_the_encoder():
    from interlingua.encoders import get_encoder

    a, b = "Ich trinke gern Kaffee am Morgen.", "朝はコーヒーを飲むのが好きです。"
    got = similarity(a, b, "--role", "query")["cosine"]
    assert got == pytest.approx(get_encoder("e5-small").similarity(a, b, role="query"), abs=1e-5)
    plain = invoke("similarity", a, b, "--role", "query").stdout.strip()
    assert re.fullmatch(r"-?\d\.\d{4}", plain) and float(plain) == pytest.approx(got, abs=1e-4)


def test_identical_texts_score_one():
    assert similarity("Guten Tag", "Guten Tag")["cosine"] == pytest.approx(1.0, abs=1e-5)


@pytest.mark.parametrize(("a", "b", "name"), [("", "hello", "TEXT_A"), ("hello", "   ", "TEXT_B")])
def test_similarity_empty_text_is_an_error(capsys, monkeypatch, a, b, name):
    monkeypatch.setattr(warnings, "showwarning", warnings.showwarning)
    with pytest.raises(SystemExit) as exc:
        main(["similarity", a, b])
    out, err = capsys.readouterr()
    assert exc.value.code == 2 and out == ""
    assert err == f"error: {name} is empty.\n"


# -- demo ------------------------------------------------------------------------------------
@pytest.mark.slow
def test_demo_text_names_the_languages():
    out = invoke("demo", "-k", "3", env=WIDE).stdout
    header = re.search(r"e5-small: (\d+) passages on (\d+) topics in (\d+) languages \(([^)]*)\)", out)
    assert header, out[:500]
    langs = [code.strip() for code in header.group(4).split(",")]
    assert int(header.group(3)) == len(langs) == len(set(langs)) >= 12
    assert {"en", "de", "ru", "zh", "ar", "hi", "ja", "ko"} <= set(langs)
    assert re.search(r"Mean share of on-topic passages .*: \d+%", out)


@pytest.mark.slow
def test_demo_json_precision():
    result = json.loads(invoke("demo", "--json").stdout)
    assert result["encoder"] == "e5-small"
    assert len(result["languages"]) >= 12
    assert result["n_passages"] >= 12 * len(result["groups"]) > 0
    assert result["mean_precision"] >= 0.7
    assert len(result["queries"]) >= 5
    for q in result["queries"]:
        assert q["group"] in result["groups"] and len(q["hits"]) == 8  # -k defaults to 8
        assert [h["rank"] for h in q["hits"]] == list(range(1, 9))
        scores = [h["score"] for h in q["hits"]]
        assert scores == sorted(scores, reverse=True)


@pytest.mark.slow
def test_demo_with_own_queries():
    queries = ["Wie backt man Brot zu Hause?", "How do vaccines train the immune system?"]
    args = ["demo", "--json", "-k", "3"]
    for q in queries:
        args += ["--query", q]
    result = json.loads(invoke(*args).stdout)
    got = result["queries"]
    assert [q["text"] for q in got] == queries
    assert [q["lang"] for q in got] == ["de", "en"]
    assert all(q["group"] == "" and len(q["hits"]) == 3 for q in got)
    # Each query's three best passages are on its topic, in several languages.
    assert {h["group"] for h in got[0]["hits"]} == {"cooking"}
    assert {h["group"] for h in got[1]["hits"]} == {"health"}
    assert len({h["lang"] for q in got for h in q["hits"]}) >= 3
