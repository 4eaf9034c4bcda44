"""``interlingua align`` end to end: sentence and word alignment, output formats, bad input."""

from __future__ import annotations

import json

import pytest

EN = [
    "The museum opens at nine in the morning.",
    "Tickets can be bought online or at the entrance.",
    "Children under twelve enter for free.",
    "The main hall shows paintings from the nineteenth century.",
    "A new wing was added last year.",
    "It holds a collection of modern sculpture.",
    "Photography without flash is allowed everywhere.",
    "The museum closes at six in the evening.",
]
DE = [
    "Das Museum öffnet um neun Uhr morgens.",
    "Eintrittskarten kann man online oder am Eingang kaufen.",
    "Die Haupthalle zeigt Gemälde aus dem neunzehnten Jahrhundert.",
    "Letztes Jahr wurde ein neuer Flügel angebaut, der eine Sammlung moderner Skulpturen beherbergt.",
    "Fotografieren ohne Blitz ist überall erlaubt.",
    "Das Museum schließt um sechs Uhr abends.",
]


@pytest.fixture
def docs(tmp_path):
    en, de = tmp_path / "en.txt", tmp_path / "de.txt"
    en.write_text("\n".join(EN) + "\n", encoding="utf-8")
    de.write_text("\n\n".join(DE) + "\n", encoding="utf-8")  # blank lines are skipped
    return en, de


def test_sentence_alignment_tsv_with_text(cli, docs):
    code, out, err = cli("align", *docs, "--text", "-q", "--no-cache")
    assert code == 0, err
    assert out.startswith("# interlingua {")  # the provenance line
    rows = [line.split("\t") for line in out.splitlines() if not line.startswith("#")]
    assert [(r[0], r[1]) for r in rows] == [
        ("[0]", "[0]"),
        ("[1]", "[1]"),
        ("[2]", "[]"),
        ("[3]", "[2]"),
        ("[4, 5]", "[3]"),
        ("[6]", "[4]"),
        ("[7]", "[5]"),
    ]
    assert rows[4][3] == EN[4] + " " + EN[5] and rows[4][4] == DE[3]
    assert all(float(r[2]) >= 0 for r in rows)


def test_sentence_alignment_jsonl_and_vecalign(cli, docs, tmp_path):
    out_path = tmp_path / "links.jsonl"
    code, out, err = cli("align", *docs, "-f", "jsonl", "-o", out_path, "--no-cache")
    assert code == 0 and out == ""
    assert "8 x 6 sentences -> 7 links" in err
    recs = [json.loads(line) for line in out_path.read_text(encoding="utf-8").splitlines()]
    assert recs[4]["src"] == [4, 5] and recs[4]["tgt"] == [3]
    code, out, _ = cli("align", *docs, "-f", "vecalign", "-q", "--no-cache")
    assert out.splitlines()[2].startswith("[2]:[]:")


def test_split_raw_text(cli, tmp_path):
    en, de = tmp_path / "en.txt", tmp_path / "de.txt"
    en.write_text(" ".join(EN[:4]) + "\n", encoding="utf-8")
    de.write_text(" ".join(DE[:3]) + "\n", encoding="utf-8")
    code, out, err = cli("align", en, de, "--split", "-q", "--no-cache")
    assert code == 0, err
    assert [line.split("\t")[:2] for line in out.splitlines() if not line.startswith("#")] == [
        ["[0]", "[0]"],
        ["[1]", "[1]"],
        ["[2]", "[]"],
        ["[3]", "[2]"],
    ]


def test_word_alignment_pharaoh(cli, tmp_path):
    src, tgt = tmp_path / "s.txt", tmp_path / "t.txt"
    src.write_text("Good morning!\n\nThe cat sleeps.\n", encoding="utf-8")
    tgt.write_text("Guten Morgen!\n\nDie Katze schläft.\n", encoding="utf-8")
    code, out, err = cli("align", src, tgt, "--words", "-q")
    assert code == 0, err
    lines = out.split("\n")
    assert lines[0] == "0-0 1-1 2-2" and lines[1] == ""
    assert {"1-1", "2-2", "3-3"} <= set(lines[2].split())


@pytest.mark.parametrize(
    ("content", "flags", "message"),
    [
        (b"", (), "the file is empty"),
        (b"\n \n\n", (), "no sentences"),
        (b"\x00\x01\x02binary\x00" * 50, (), "binary file"),
        (b"one\ntwo\nthree\n", ("--words",), "same number of lines"),
    ],
)
def test_bad_input_is_one_line(cli, tmp_path, content, flags, message):
    bad, good = tmp_path / "bad.txt", tmp_path / "good.txt"
    bad.write_bytes(content)
    good.write_text("Hello world.\nSecond line.\n", encoding="utf-8")
    code, out, err = cli("align", bad, good, *flags)
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and err.startswith("error: ") and message in err
