"""``interlingua mine`` end to end on tiny files with e5-small, and its one-line errors."""

from __future__ import annotations

import json

import numpy as np
import pytest

DE = [
    "Der Hund schläft auf dem Sofa.",
    "Ich trinke jeden Morgen einen Kaffee.",
    "Die Bibliothek öffnet um neun Uhr.",
    "Meine Schwester lebt in Hamburg.",
    "Wir fahren morgen mit dem Zug nach Berlin.",
    "Er spielt am Abend gern Gitarre.",
    "12345 67890 !!! ###",
]
EN = [
    "The stock market fell sharply on Monday.",
    "My sister lives in Hamburg.",
    "Penguins cannot fly but they swim well.",
    "The library opens at nine o'clock.",
    "I drink a coffee every morning.",
    "Tomorrow we are taking the train to Berlin.",
    "The recipe needs two eggs and some flour.",
    "The dog is sleeping on the sofa.",
    "12345 67890 !!! ###",
    "Volcanoes can be found on every continent.",
]
GOLD = {("1", "8"), ("2", "5"), ("3", "4"), ("4", "2"), ("5", "6")}


@pytest.fixture
def files(tmp_path):
    (tmp_path / "de.txt").write_text("\n".join(DE) + "\n", encoding="utf-8")
    (tmp_path / "en.txt").write_text("\n".join(EN) + "\n", encoding="utf-8")
    return tmp_path / "de.txt", tmp_path / "en.txt"


def test_mine_finds_the_translations(cli, files, tmp_path):
    out = tmp_path / "pairs.jsonl"
    code, _, err = cli(
        "mine",
        *files,
        "-o",
        out,
        "--src-lang",
        "de",
        "--tgt-lang",
        "en",
        "--top",
        "5",
        "--quiet",
        "--no-cache",
    )
    assert code == 0, err
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert {(r["src_id"], r["tgt_id"]) for r in rows} == GOLD
    assert [r["score"] for r in rows] == sorted((r["score"] for r in rows), reverse=True)
    assert rows[0]["src_text"] in DE and rows[0]["tgt_text"] in EN and 0.8 < rows[0]["cosine"] <= 1
    assert "5 pairs" in err and "noise 1" in err


def test_default_threshold_and_tsv_on_stdout(cli, files):
    code, out, err = cli("mine", *files, "--quiet", "--no-cache", "--mode", "intersection")
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0].startswith("# interlingua {") and '"role": "query"' in lines[0]  # provenance
    lines = lines[1:]
    assert lines[0] == "score\tsrc_id\ttgt_id\tsrc_text\ttgt_text\tcosine"
    pairs = {tuple(line.split("\t")[1:3]) for line in lines[1:]}
    assert len(pairs & GOLD) >= 4 and len(pairs - GOLD) <= 1
    from interlingua.mine import DEFAULT_THRESHOLDS
    from interlingua.neutral import Space

    shipped = DEFAULT_THRESHOLDS[(Space.of("e5-small").identity, "query")]["ratio"]
    assert f"threshold {shipped:g}, shipped default" in err


def test_precomputed_embeddings_and_errors(cli, files, tmp_path, e5):
    de, en = files
    for name, path in (("de", de), ("en", en)):
        code, _, err = cli("embed", path, "-o", tmp_path / f"{name}.npy", "--role", "query", "-q")
        assert code == 0, err
    code, out, err = cli(
        "mine",
        de,
        en,
        "--src-emb",
        tmp_path / "de.npy",
        "--tgt-emb",
        tmp_path / "en.npy",
        "--top",
        "5",
        "--quiet",
    )
    assert code == 0 and "warning" not in err, err
    assert {tuple(line.split("\t")[1:3]) for line in out.splitlines()[2:]} == GOLD

    # vectors of another space (int8 given as e5-small) or role are refused, saying which
    code, _, err = cli(
        "embed", en, "-o", tmp_path / "en8.npy", "--role", "query", "--model", "e5-small-int8", "-q"
    )
    assert code == 0, err
    code, _, err = cli(
        "mine", de, en, "--src-emb", tmp_path / "de.npy", "--tgt-emb", tmp_path / "en8.npy", "-q"
    )
    assert code == 2 and err.count("error: ") == 1 and "made by 'e5-small-int8'" in err and "--model" in err
    code, _, err = cli("embed", en, "-o", tmp_path / "enp.npy", "-q")  # role passage
    code, _, err = cli(
        "mine", de, en, "--src-emb", tmp_path / "de.npy", "--tgt-emb", tmp_path / "enp.npy", "-q"
    )
    assert code == 2 and err.count("error: ") == 1 and "role 'passage'" in err and "--role query" in err

    # vectors from elsewhere (no provenance) are taken, with a warning
    for name, texts in (("xde", DE), ("xen", EN)):
        np.save(tmp_path / f"{name}.npy", e5.encode(texts, role="query"))
        (tmp_path / f"{name}.ids.txt").write_text("\n".join(map(str, range(1, len(texts) + 1))) + "\n")
    code, out, err = cli(
        "mine",
        de,
        en,
        "--src-emb",
        tmp_path / "xde.npy",
        "--tgt-emb",
        tmp_path / "xen.npy",
        "--top",
        "5",
        "--quiet",
    )
    assert code == 0 and err.count("warning: ") == 2 and "carries no provenance" in err
    assert {tuple(line.split("\t")[1:3]) for line in out.splitlines()[2:]} == GOLD

    # unequal counts: 7 German texts against 10 vectors
    code, _, err = cli(
        "mine", de, en, "--src-emb", tmp_path / "en.npy", "--tgt-emb", tmp_path / "en.npy", "--quiet"
    )
    assert code == 2 and err.count("error: ") == 1 and "10 embeddings" in err and "7 texts" in err

    # different dimensions
    np.save(tmp_path / "small.npy", np.eye(len(EN), 16, dtype=np.float32))
    (tmp_path / "small.ids.txt").write_text((tmp_path / "xen.ids.txt").read_text())
    code, _, err = cli(
        "mine", de, en, "--src-emb", tmp_path / "de.npy", "--tgt-emb", tmp_path / "small.npy", "--quiet"
    )
    assert code == 2 and "dimension 16, the other side has 384" in err
    assert err.count("error: ") == 1


def test_bad_input_is_one_line(cli, files, tmp_path):
    de, en = files
    empty = tmp_path / "empty.txt"
    empty.write_text("")
    code, _, err = cli("mine", de, empty, "--quiet")
    assert code == 2 and len(err.splitlines()) == 1 and "empty" in err
    code, _, err = cli("mine", de, en, "--no-filter", "lenght", "--quiet")
    assert code == 2 and len(err.splitlines()) == 1 and "mining filter 'lenght'; known: copy" in err
    code, _, err = cli("mine", de, en, "-o", tmp_path / "out.csv", "--quiet")
    assert code == 2 and ".tsv or .jsonl" in err
    code, _, err = cli("mine", de, en, "--model", "my-model", "--quiet")
    assert code == 2 and "'space.encoder' parameter of mine()" in err and "'e5-small'" in err
    # another build of the model (a lower token limit) has no calibrated threshold
    code, _, err = cli("mine", de, en, "--set", "space.options.max_tokens=128", "--quiet")
    assert code == 2 and "pass --threshold or --top" in err and "max128" in err


def test_same_language_warns(cli, files):
    de, _ = files
    code, _, err = cli(
        "mine",
        de,
        de,
        "--src-lang",
        "de",
        "--tgt-lang",
        "deu",
        "--quiet",
        "--no-cache",
        "--no-filter",
        "lang",
        "--top",
        "3",
    )
    assert code == 0
    assert "warning: Both sides are expected in the same language (de)" in err
    assert "0 pairs" in err and "noise 1, copy 6" in err  # each sentence matched itself: all copies


def test_same_language_detected_without_codes(cli, files):
    de, en = files
    code, _, err = cli("mine", de, de, "--quiet", "--no-cache", "--top", "1")
    assert code == 0 and "warning: Both sides look like the same language (de" in err
    code, _, err = cli("mine", de, en, "--quiet", "--no-cache", "--top", "1")
    assert code == 0 and "warning" not in err
