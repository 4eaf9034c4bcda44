"""Readers on tiny fixtures of each format: what they return, a folder in the wrong layout
names what it expected, a language that is not there lists those that are."""

from __future__ import annotations

import json

import pytest

from interlingua.errors import InputError
from interlingua.evaluate.readers import (
    read_beir,
    read_bucc,
    read_qrels,
    read_run,
    read_sib200,
    read_stsb,
    read_tatoeba,
    read_udhr,
    read_xquad,
    write_run,
)


def write_tatoeba(root, langs=("deu", "fra")):
    root.mkdir(parents=True, exist_ok=True)
    for code in langs:
        (root / f"tatoeba.{code}-eng.{code}").write_text(f"{code} one\n{code} two\n", encoding="utf-8")
        (root / f"tatoeba.{code}-eng.eng").write_text("one\ntwo\n", encoding="utf-8")
    return root


def write_sib(root, langs=("eng_Latn", "deu_Latn", "zho_Hans")):
    for code in langs:
        d = root / "data" / "annotated" / code
        d.mkdir(parents=True)
        for split in ("train", "dev", "test"):
            rows = "".join(f"{i}\tsports\t{code} text {i}\n" for i in range(3))
            (d / f"{split}.tsv").write_text("index_id\tcategory\ttext\n" + rows, encoding="utf-8")
    return root


def test_tatoeba_reads_pairs_and_matches_codes_in_any_form(tmp_path):
    write_tatoeba(tmp_path)
    sets = read_tatoeba(tmp_path)
    assert [(s.code, s.lang) for s in sets] == [("deu", "de"), ("fra", "fr")]
    assert sets[0].source == ["deu one", "deu two"] and sets[0].target == ["one", "two"]
    for code in ("de", "deu", "deu_Latn", "ger"):
        assert [s.code for s in read_tatoeba(tmp_path, [code])] == ["deu"]


def test_unknown_language_lists_the_available_ones(tmp_path):
    write_tatoeba(tmp_path)
    with pytest.raises(InputError) as exc:
        read_tatoeba(tmp_path, ["ja"])
    msg = str(exc.value)
    assert "'ja' is not in the Tatoeba data" in msg and "deu, fra" in msg
    with pytest.raises(InputError, match="deu, fra"):
        read_tatoeba(tmp_path, ["not-a-language"])


def test_wrong_layout_names_what_was_expected(tmp_path):
    (tmp_path / "notes.txt").write_text("hello\n")
    with pytest.raises(InputError, match=r"not a Tatoeba folder: expected files tatoeba\.xxx-eng\.xxx"):
        read_tatoeba(tmp_path)
    with pytest.raises(InputError, match=r"not a SIB-200 folder: expected data/annotated/<lang>"):
        read_sib200(tmp_path)
    with pytest.raises(InputError, match=r"not a XQuAD folder: expected files xquad\.<lang>\.json"):
        read_xquad(tmp_path)
    with pytest.raises(InputError, match="BUCC 2018"):
        read_bucc(tmp_path)
    with pytest.raises(InputError, match="index.xml"):
        read_udhr(tmp_path)
    with pytest.raises(InputError, match=r"stsb-<lang>-<split>\.csv"):
        read_stsb(tmp_path)
    with pytest.raises(InputError, match="missing corpus.jsonl, queries.jsonl, qrels/test.tsv"):
        read_beir(tmp_path)
    with pytest.raises(InputError, match="does not exist"):
        read_tatoeba(tmp_path / "nowhere")


def test_tatoeba_line_count_mismatch(tmp_path):
    write_tatoeba(tmp_path, ("deu",))
    (tmp_path / "tatoeba.deu-eng.eng").write_text("one\n", encoding="utf-8")
    with pytest.raises(InputError, match="2 lines but tatoeba.deu-eng.eng has 1"):
        read_tatoeba(tmp_path)


def test_sib200_splits_and_script_variants(tmp_path):
    write_sib(tmp_path)
    data = read_sib200(tmp_path, ["de", "zh"], splits=("train", "test"))
    assert list(data) == ["deu_Latn", "zho_Hans"]
    ex = data["deu_Latn"]["test"][1]
    assert (ex.index_id, ex.category, ex.text) == ("1", "sports", "deu_Latn text 1")
    assert list(read_sib200(tmp_path / "data" / "annotated", ["eng"])) == [
        "eng_Latn"
    ]  # the annotated folder itself
    (tmp_path / "data" / "annotated" / "deu_Latn" / "dev.tsv").write_text(
        "id\ttext\n1\tx\n", encoding="utf-8"
    )
    with pytest.raises(InputError, match="header index_id<TAB>category<TAB>text"):
        read_sib200(tmp_path, ["de"], splits=("dev",))


def test_xquad_aligns_paragraphs_across_languages(tmp_path):
    for lang, word in (("en", "Paris"), ("de", "Berlin")):
        doc = {
            "data": [
                {
                    "paragraphs": [
                        {"context": f"{word} context", "qas": [{"id": "q1", "question": f"{word}?"}]}
                    ]
                }
            ]
        }
        (tmp_path / f"xquad.{lang}.json").write_text(json.dumps(doc), encoding="utf-8")
    data = read_xquad(tmp_path, ["deu"])
    assert data["de"].passages == {"p0_0": "Berlin context"}
    assert data["de"].questions == {"q1": ("Berlin?", "p0_0")}
    (tmp_path / "xquad.fr.json").write_text('{"data": [{"no": 1}]}', encoding="utf-8")
    with pytest.raises(InputError, match="SQuAD"):
        read_xquad(tmp_path, ["fr"])


def test_bucc(tmp_path):
    (tmp_path / "zh-en.dev.zh").write_text("zh-1\t你好\nzh-2\t再见\n", encoding="utf-8")
    (tmp_path / "zh-en.dev.en").write_text("en-1\thello\nen-2\tbye\n", encoding="utf-8")
    (tmp_path / "zh-en.dev.gold").write_text("zh-1\ten-1\n", encoding="utf-8")
    b = read_bucc(tmp_path, ["cmn"])["zh-en"]
    assert b.source["zh-2"] == "再见" and b.target["en-1"] == "hello" and b.gold == {("zh-1", "en-1")}
    with pytest.raises(InputError, match="Languages there \\(1\\): zh"):
        read_bucc(tmp_path, ["fr"])


def test_udhr(tmp_path):
    d = tmp_path / "data" / "udhr"
    d.mkdir(parents=True)
    (d / "index.xml").write_text(
        "<udhrs><udhr f='001' bcp47='de-1996' iso639-3='deu'/><udhr f='002' bcp47='fr' iso639-3='fra'/>"
        "<udhr f='003' bcp47='it' iso639-3='ita'/></udhrs>",
        encoding="utf-8",
    )
    for key, word in (("001", "Alle"), ("002", "Tous")):
        (d / f"udhr_{key}.xml").write_text(
            f'<udhr xmlns="http://www.unhchr.ch/udhr"><article number="1"><title>T</title><para>{word}  Menschen</para>'
            f"<orderedlist><listitem><para>zwei</para></listitem></orderedlist></article>"
            f'<article number="2"><para>{word} 2</para></article></udhr>',
            encoding="utf-8",
        )
    data = read_udhr(tmp_path, ["de"])
    assert data == {"de-1996": {1: "Alle Menschen zwei", 2: "Alle 2"}}
    with pytest.raises(InputError, match="de-1996, fr"):  # 'it' has no file, so it is not offered
        read_udhr(tmp_path, ["it"])


def test_stsb(tmp_path):
    (tmp_path / "stsb-en-test.csv").write_text(
        'A man walks.,"A man, walking.",4.5\nx,y,0\n', encoding="utf-8"
    )
    data = read_stsb(tmp_path, ["eng"])
    assert data["en"].sentence2 == ["A man, walking.", "y"] and data["en"].scores == [4.5, 0.0]
    (tmp_path / "stsb-de-test.csv").write_text("a,b,high\n", encoding="utf-8")
    with pytest.raises(InputError, match="line 1: score 'high' is not a number"):
        read_stsb(tmp_path, ["de"])


def test_trec_and_beir(tmp_path):
    (tmp_path / "qrels.txt").write_text("q1 0 d1 1\nq1 0 d2 0\nq2 0 d3 2\n", encoding="utf-8")
    assert read_qrels(tmp_path / "qrels.txt") == {"q1": {"d1": 1, "d2": 0}, "q2": {"d3": 2}}
    write_run({"q1": {"d2": 0.5, "d1": 0.9}}, tmp_path / "run.txt")
    assert (tmp_path / "run.txt").read_text().splitlines()[0] == "q1 Q0 d1 1 0.900000 interlingua"
    assert read_run(tmp_path / "run.txt") == {"q1": {"d1": 0.9, "d2": 0.5}}
    (tmp_path / "bad.txt").write_text("q1 d1\n", encoding="utf-8")
    with pytest.raises(InputError, match="line 1"):
        read_qrels(tmp_path / "bad.txt")
    beir = tmp_path / "beir"
    (beir / "qrels").mkdir(parents=True)
    (beir / "corpus.jsonl").write_text(
        '{"_id": "d1", "title": "T", "text": "body", "lang": "de"}\n{"_id": "d2", "text": "two"}\n',
        encoding="utf-8",
    )
    (beir / "queries.jsonl").write_text('{"_id": "q1", "text": "query"}\n', encoding="utf-8")
    (beir / "qrels" / "test.tsv").write_text("query-id\tcorpus-id\tscore\nq1\td1\t1\n", encoding="utf-8")
    b = read_beir(beir)
    assert b.corpus == {"d1": "T body", "d2": "two"} and b.doc_lang == {"d1": "de"}
    assert b.qrels == {"q1": {"d1": 1}}
