"""Everyday use, as a new user tries it: fields taken when the input has them (and said), language
codes canonicalized, files without a telling extension, headerless TSV, batch search, alignment
from precomputed vectors, and commands that say which role they embed with."""

from __future__ import annotations

import json

import numpy as np
import pytest

EN = [
    "The museum opens at nine in the morning.",
    "Tickets can be bought online.",
    "Children enter for free.",
    "The museum closes at six in the evening.",
]
DE = [
    "Das Museum öffnet um neun Uhr morgens.",
    "Eintrittskarten kann man online kaufen.",
    "Kinder haben freien Eintritt.",
    "Das Museum schließt um sechs Uhr abends.",
]


def test_id_and_lang_fields_are_taken_and_said(cli, tmp_path):
    docs = tmp_path / "docs.jsonl"
    docs.write_text(
        "".join(
            json.dumps({"id": f"m{i}", "text": t, "lang": "deu"}, ensure_ascii=False) + "\n"
            for i, t in enumerate(DE)
        ),
        encoding="utf-8",
    )
    coll = tmp_path / "coll"
    assert cli("index", "create", coll)[0] == 0
    code, _, err = cli("index", "add", coll, docs)
    assert (
        code == 0
        and "note: ids from the 'id' field" in err
        and "note: languages from the 'lang' field" in err
    )
    code, out, _ = cli("index", "info", coll, "--json")
    assert json.loads(out)["languages"] == {"de": 4}  # deu -> de
    code, out, _ = cli("search", coll, "museum", "--json", "-k", "1")
    assert json.loads(out)["hits"][0]["id"].startswith("m")  # not docs:<line>
    # asked for: line numbers and detection instead
    code, _, err = cli(
        "embed", docs, "-o", tmp_path / "v.jsonl", "--id-field", "@line", "--lang-field", "@detect"
    )
    assert code == 0 and "note: ids" not in err
    assert [json.loads(line)["id"] for line in (tmp_path / "v.jsonl").read_text().splitlines()] == [
        "1",
        "2",
        "3",
        "4",
    ]
    # a language field that holds no language code is an error naming the line and the way out
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"text": "Hallo Welt", "lang": "German!"}\n', encoding="utf-8")
    code, _, err = cli("embed", bad, "-o", tmp_path / "b.npy", "-q")
    assert code == 2 and "bad.jsonl, line 1" in err and "--lang-field @detect" in err


def test_input_format_and_headerless_tsv(cli, tmp_path):
    overlaps = tmp_path / "overlaps.de"  # vecalign's naming: the extension says nothing
    overlaps.write_text("\n".join(DE) + "\n", encoding="utf-8")
    code, _, err = cli("embed", overlaps, "-o", tmp_path / "o.npy", "-q")
    assert code == 2 and "--input-format" in err and "fmt=" not in err
    code, _, err = cli("embed", overlaps, "--input-format", "txt", "-o", tmp_path / "o.npy", "-q")
    assert code == 0, err
    bucc = tmp_path / "zh-en.dev.en"  # BUCC's id<TAB>sentence, no header
    bucc.write_text("".join(f"en-{i:06d}\t{t}\n" for i, t in enumerate(EN)), encoding="utf-8")
    code, _, err = cli(
        "embed", bucc, "--input-format", "tsv", "--columns", "id,text", "-o", tmp_path / "b.jsonl", "-q"
    )
    assert code == 0, err
    ids = [json.loads(line)["id"] for line in (tmp_path / "b.jsonl").read_text().splitlines()]
    assert ids == [f"en-{i:06d}" for i in range(4)]
    code, _, err = cli(
        "embed", bucc, "--input-format", "tsv", "--columns", "id", "-o", tmp_path / "c.jsonl", "-q"
    )
    assert code == 2 and "--columns" in err and "no column 'text'" in err


def test_search_many_queries_writes_a_trec_run_ir_measures_reads(cli, tmp_path, e5):
    import ir_measures

    docs = tmp_path / "docs.tsv"
    docs.write_text("id\ttext\n" + "".join(f"d{i}\t{t}\n" for i, t in enumerate(EN + DE)), encoding="utf-8")
    coll = tmp_path / "coll"
    cli("index", "create", coll)
    cli("index", "add", coll, docs, "-q")
    queries = tmp_path / "q.jsonl"
    queries.write_text(
        '{"id": "q1", "text": "Wann schließt das Museum?"}\n{"id": "q2", "text": "free entry for kids"}\n',
        encoding="utf-8",
    )
    run_file = tmp_path / "run.trec"
    code, _, err = cli("search", coll, "--queries", queries, "-o", run_file, "--mode", "dense", "-k", "5")
    assert code == 0 and "2 queries" in err
    qrels = [
        ir_measures.Qrel("q1", "d3", 1),
        ir_measures.Qrel("q1", "d7", 1),
        ir_measures.Qrel("q2", "d2", 1),
        ir_measures.Qrel("q2", "d6", 1),
    ]
    run = list(ir_measures.read_trec_run(str(run_file)))
    assert len(run) == 10 and {r.query_id for r in run} == {"q1", "q2"}
    assert (
        ir_measures.calc_aggregate([ir_measures.parse_measure("R@5")], qrels, run)[
            ir_measures.parse_measure("R@5")
        ]
        == 1.0
    )
    code, out, _ = cli("search", coll, "--queries", queries, "-q")  # JSONL on stdout
    rows = [json.loads(line) for line in out.splitlines()]
    assert [r["query_id"] for r in rows] == ["q1", "q2"] and len(rows[0]["hits"]) == 8  # every document


def test_align_from_precomputed_window_vectors(cli, tmp_path):
    from interlingua.mine import window_texts

    en, de = tmp_path / "en.txt", tmp_path / "de.txt"
    en.write_text("\n".join(EN) + "\n", encoding="utf-8")
    de.write_text("\n\n".join(DE) + "\n", encoding="utf-8")
    for name, sents in (("en", EN), ("de", DE)):
        windows = tmp_path / f"{name}.windows"
        windows.write_text("\n".join(t for w in window_texts(sents, 2) for t in w) + "\n", encoding="utf-8")
        code, _, err = cli(
            "embed",
            windows,
            "--input-format",
            "txt",
            "--role",
            "query",
            "--with-text",
            "-o",
            tmp_path / f"{name}.npy",
            "-q",
        )
        assert code == 0, err
    code, direct, err = cli("align", en, de, "--max-size", "2", "-q", "--no-cache")
    assert code == 0 and "note:" not in err
    code, given, err = cli(
        "align",
        en,
        de,
        "--max-size",
        "2",
        "--src-emb",
        tmp_path / "en.npy",
        "--tgt-emb",
        tmp_path / "de.npy",
        "-q",
    )
    assert code == 0, err
    strip = [line.split("\t")[:2] for line in direct.splitlines() if not line.startswith("#")]
    assert strip == [line.split("\t")[:2] for line in given.splitlines() if not line.startswith("#")]
    assert strip == [["[0]", "[0]"], ["[1]", "[1]"], ["[2]", "[2]"], ["[3]", "[3]"]]
    # windows of 3 sentences are not in files made for 2
    code, _, err = cli(
        "align", en, de, "--src-emb", tmp_path / "en.npy", "--tgt-emb", tmp_path / "de.npy", "-q"
    )
    assert code == 2 and "lacks" in err and "windows" in err
    # blank lines: skipped (indices count sentences) or kept (indices count lines)
    code, out, _ = cli("align", en, de, "--blank-lines", "keep", "-q")
    assert [line.split("\t")[1] for line in out.splitlines() if not line.startswith("#")] == [
        "[0]",
        "[2]",
        "[4]",
        "[6]",
    ]


def test_commands_say_which_role_they_embed_with(cli, tmp_path):
    en, de = tmp_path / "en.txt", tmp_path / "de.txt"
    en.write_text("\n".join(EN) + "\n", encoding="utf-8")
    de.write_text("\n".join(DE) + "\n", encoding="utf-8")
    code, _, err = cli("mine", de, en, "--top", "2")
    assert code == 0 and "note: both sides embedded with role 'query' by e5-small" in err
    code, _, err = cli("align", de, en)
    assert code == 0 and "note: both documents embedded with role 'query'" in err
    code, _, err = cli("embed", en, "-o", tmp_path / "p.npy")
    assert code == 0 and "mine and align compare role 'query' vectors (--role query" in err
    code, _, err = cli("embed", en, "-o", tmp_path / "q.npy", "--role", "query")
    assert code == 0 and "note: vectors of role" not in err
    prov = json.loads((tmp_path / "q.meta.json").read_text())
    assert (
        prov["role"] == "query" and prov["space"]["encoder"] == "e5-small" and prov["job"]["role"] == "query"
    )


@pytest.mark.slow
def test_a_language_warning_needs_a_real_share_of_the_lines():
    import warnings

    from interlingua.encoders import get_encoder
    from interlingua.errors import UnsupportedLanguageWarning

    use = get_encoder("use-multilingual")
    english = [f"This is an ordinary English sentence number {i} about the weather." for i in range(40)]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        use.encode(english + ["Kwa heri rafiki yangu, tutaonana kesho asubuhi."], batch_size=64)
    assert not [w for w in caught if issubclass(w.category, UnsupportedLanguageWarning)]
    swahili = [f"Ninapenda kusoma vitabu vya hadithi kila jioni nyumbani {i}." for i in range(10)]
    with pytest.warns(UnsupportedLanguageWarning, match="sw"):
        get_encoder("use-multilingual").encode(english + swahili, batch_size=64)
    assert np.isfinite(use.encode(["ok"])).all()
