"""Every job command takes ``--config FILE`` and ``--set a.b=value``, and ``--print-config`` prints the
filled job so that ``--config`` of that output reruns the same job, with the same output."""

from __future__ import annotations

import json
import tomllib

import pytest

DE = [
    "Der Hund schläft auf dem Sofa.",
    "Ich trinke jeden Morgen einen Kaffee.",
    "Meine Schwester lebt in Hamburg.",
    "Wir fahren morgen mit dem Zug nach Berlin.",
]
EN = [
    "My sister lives in Hamburg.",
    "The dog is sleeping on the sofa.",
    "Penguins cannot fly.",
    "Tomorrow we are taking the train to Berlin.",
    "I drink a coffee every morning.",
]


@pytest.fixture
def files(tmp_path):
    (tmp_path / "de.txt").write_text("\n".join(DE) + "\n", encoding="utf-8")
    (tmp_path / "en.txt").write_text("\n".join(EN) + "\n", encoding="utf-8")
    docs = [{"id": f"d{i}", "text": t, "lang": "deu" if i < 4 else "eng"} for i, t in enumerate(DE + EN)]
    (tmp_path / "docs.jsonl").write_text(
        "".join(json.dumps(d, ensure_ascii=False) + "\n" for d in docs), "utf-8"
    )
    (tmp_path / "q.tsv").write_text(
        "id\ttext\nq1\tWo lebt meine Schwester?\nq2\tcoffee in the morning\n", "utf-8"
    )
    return tmp_path


def _data_lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if not line.startswith("#")]


def test_mine_print_config_then_config_reruns_the_same_job(cli, files):
    argv = [
        "mine",
        files / "de.txt",
        files / "en.txt",
        "-k",
        "3",
        "--top",
        "3",
        "--mode",
        "intersection",
        "--set",
        "filters.max_length_ratio=2.5",
        "-q",
        "--no-cache",
    ]
    code, out, err = cli(*argv)
    assert code == 0, err
    code, printed, err = cli(*argv, "--print-config")
    assert code == 0 and err == ""
    cfg = tomllib.loads(printed)
    assert cfg["knn"]["k"] == 3 and cfg["margin"]["top"] == 3 and cfg["margin"]["mode"] == "intersection"
    assert (
        cfg["filters"]["max_length_ratio"] == 2.5 and cfg["cache"] is False and cfg["src"].endswith("de.txt")
    )
    job = files / "job.toml"
    job.write_text(printed, encoding="utf-8")
    code, again, err = cli("mine", "--config", job, "-q")
    assert code == 0, err
    assert _data_lines(again) == _data_lines(out) and len(_data_lines(out)) == 4  # header and 3 pairs
    # flags given beside --config win over the file
    code, fewer, _ = cli("mine", "--config", job, "--top", "1", "-q")
    assert len(_data_lines(fewer)) == 2


def test_embed_and_index_and_search_jobs_from_files(cli, files):
    code, printed, _ = cli(
        "embed", files / "docs.jsonl", "-o", files / "v.parquet", "--role", "query", "--print-config"
    )
    assert code == 0 and tomllib.loads(printed)["role"] == "query"
    (files / "embed.toml").write_text(printed, encoding="utf-8")
    code, _, err = cli("embed", "--config", files / "embed.toml", "-q")
    assert code == 0 and (files / "v.parquet").is_file(), err

    coll = files / "coll"
    code, printed, _ = cli("index", "create", coll, "--dense", "HNSW16,Flat", "--print-config")
    assert tomllib.loads(printed)["dense"]["factory"] == "HNSW16,Flat" and not coll.exists()
    (files / "create.toml").write_text(printed, encoding="utf-8")
    assert cli("index", "create", "--config", files / "create.toml")[0] == 0
    code, printed, _ = cli("index", "add", coll, files / "docs.jsonl", "--batch-size", "3", "--print-config")
    (files / "add.toml").write_text(printed, encoding="utf-8")
    code, out, err = cli("index", "add", "--config", files / "add.toml", "--json")
    assert code == 0 and json.loads(out)["added"] == 9, err

    code, printed, _ = cli(
        "search", coll, "--queries", files / "q.tsv", "--format", "trec", "-k", "3", "--print-config"
    )
    (files / "search.toml").write_text(printed, encoding="utf-8")
    code, first, _ = cli("search", "--config", files / "search.toml", "-q")
    code, second, _ = cli("search", coll, "--queries", files / "q.tsv", "--format", "trec", "-k", "3", "-q")
    assert code == 0 and first == second and len(first.splitlines()) == 6
    assert first.splitlines()[0].startswith("q1 Q0 d2 1 ")


def test_eval_print_config_reruns(cli, tmp_path):
    root = tmp_path / "tatoeba"
    root.mkdir()
    (root / "tatoeba.deu-eng.deu").write_text("\n".join(DE) + "\n", encoding="utf-8")
    (root / "tatoeba.deu-eng.eng").write_text("\n".join(EN[:4]) + "\n", encoding="utf-8")
    code, printed, _ = cli("eval", "tatoeba", "--data", root, "--set", "k=2", "--print-config")
    cfg = tomllib.loads(printed)
    assert code == 0 and cfg["options"] == {"k": 2} and cfg["task"] == "tatoeba"
    (tmp_path / "run.toml").write_text(printed, encoding="utf-8")
    code, out, err = cli("eval", "tatoeba", "--config", tmp_path / "run.toml", "--json", "-q")
    assert code == 0, err
    assert json.loads(out)["config"]["options"] == {"k": 2}


def test_bad_config_files_are_one_line(cli, files):
    bad = files / "bad.toml"
    for content, fragment in (
        (b"knn = [", "cannot read the config as TOML"),
        (b"colour = 1\n", "unknown option"),
        (b"\xff\xfe", "not UTF-8"),
        (b"[knn]\nk = 0\n", "'knn.k' parameter of mine()"),
    ):
        bad.write_bytes(content)
        code, out, err = cli("mine", files / "de.txt", files / "en.txt", "--config", bad, "-q")
        assert code == 2 and out == "" and err.count("error: ") == 1 and fragment in err, err
    code, _, err = cli("mine", "--config", files / "nope.toml")
    assert code == 2 and "does not exist" in err
    code, _, err = cli("mine", "-q")
    assert code == 2 and "Give SRC and TGT (or a job file with --config)" in err
