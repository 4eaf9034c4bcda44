"""``interlingua students build static`` on a tiny vocabulary: a real student in seconds."""

import json
from pathlib import Path

import pytest

# Written for this test: a handful of sentences, so the student has a few dozen pieces.
SENTENCES = [
    "The cat sleeps on the windowsill.",
    "Die Katze schläft auf der Fensterbank.",
    "Le chat dort sur la fenêtre.",
    "The train is late.",
    "Der Zug hat Verspätung.",
    "Le train est en retard.",
]


@pytest.fixture
def cache(tmp_path, monkeypatch):
    from interlingua.encoders._e5 import bundled_model_path, onnx_model_path

    graph = onnx_model_path(bundled_model_path(), "fp32")  # built once, in the user's cache
    root = tmp_path / "cache"
    (root / "models").mkdir(parents=True)
    (root / "models" / graph.parent.name).symlink_to(graph.parent)
    monkeypatch.setenv("INTERLINGUA_CACHE_DIR", str(root))
    return root


def test_build_static_prints_where_and_is_cached_the_second_time(cli, cache, tmp_path):
    vocabulary = tmp_path / "vocabulary.txt"
    vocabulary.write_text("\n".join(SENTENCES), encoding="utf-8")
    pairs = tmp_path / "pairs.tsv"
    pairs.write_text(
        f"{SENTENCES[1]}\t{SENTENCES[0]}\n{SENTENCES[2]}\t{SENTENCES[0]}\n{SENTENCES[4]}\t{SENTENCES[3]}\n",
        encoding="utf-8",
    )
    args = ["students", "build", "static", "--vocabulary", vocabulary, "--dim", "8", "--workers", "1"]
    code, out, err = cli(*args, "--refine", pairs, "-q")
    assert code == 0, err
    assert "e5-static student -> " in err and " s" in err
    folder = err.split("-> ")[1].split(" in ")[0]
    meta = json.loads((cache / "models" / folder.rsplit("/", 1)[1] / "meta.json").read_text())
    assert meta["dim"] == 8 and meta["refinement"]["targets"] == 2
    code, out, err = cli(*args, "--refine", pairs, "--json")
    assert code == 0 and json.loads(out)["path"] == folder
    # the student is what --model e5-static now is, and its folder is a model path
    code, out, _ = cli("similarity", SENTENCES[0], SENTENCES[1], "--model", "e5-static")
    assert code == 0 and out.strip()
    code, out, _ = cli("similarity", SENTENCES[0], SENTENCES[1], "--model", folder)
    assert code == 0 and out.strip()


def test_build_static_errors_are_one_line(cli, cache, tmp_path):
    bad = tmp_path / "bad.tsv"
    bad.write_text("Hallo\tHello\nno tab here\n\tHello\n", encoding="utf-8")
    vocabulary = tmp_path / "vocabulary.txt"
    vocabulary.write_text("\n".join(SENTENCES), encoding="utf-8")
    code, _, err = cli("students", "build", "static", "--refine", bad, "--vocabulary", vocabulary)
    assert code == 2 and err.strip() == f"error: {bad}, line 3: the text is empty"
    code, _, err = cli("students", "build", "static", "--vocabulary", tmp_path / "none.txt")
    assert code == 2 and "none.txt: the vocabulary file does not exist" in err
    out = tmp_path / "student"
    out.mkdir()
    code, _, err = cli("students", "build", "static", "--vocabulary", vocabulary, "--dim", "4", "-o", out)
    assert code == 2 and "already exists; pass --force" in err
    code, _, err = cli(
        "students", "build", "static", "--vocabulary", vocabulary, "--dim", "4", "-o", out, "--force", "-q"
    )
    assert code == 0 and f"-> {out}" in err
    assert (out / "meta.json").is_file()


def test_print_config_shows_the_recipe(cli):
    code, out, _ = cli("students", "build", "static", "--dim", "64", "--print-config")
    assert code == 0 and "dim = 64" in out and 'teacher = "e5-small"' in out
    assert "whiten = true" in out and "whiten_eps = 0.001" in out
    code, out, _ = cli("students", "build", "static", "--no-whiten", "--print-config")
    assert code == 0 and "whiten = false" in out


def test_whitening_options_reach_the_student(cli, cache, tmp_path):
    vocabulary = tmp_path / "vocabulary.txt"
    vocabulary.write_text("\n".join(SENTENCES), encoding="utf-8")
    args = ["students", "build", "static", "--vocabulary", vocabulary, "--dim", "4", "--workers", "1"]
    code, out, err = cli(*args, "--whiten-on", vocabulary, "--whiten-eps", "0.01", "--json")
    assert code == 0, err
    meta = json.loads((Path(json.loads(out)["path"]) / "meta.json").read_text())
    assert meta["whitening"] == {"statistics": "text", "texts": len(SENTENCES), "eps": 0.01}
    code, out, err = cli(*args, "--no-whiten", "--json")
    assert (
        code == 0 and json.loads((Path(json.loads(out)["path"]) / "meta.json").read_text())["whitening"] == {}
    )
    code, _, err = cli(*args, "--whiten-on", tmp_path / "none.txt")
    assert code == 2 and "none.txt: the whitening file does not exist" in err
    code, _, err = cli(*args, "--no-whiten", "--whiten-on", vocabulary)
    assert code == 2 and "needs whiten=True" in err


def test_parallel_pairs_tune_the_student_and_a_bad_line_is_named(cli, cache, tmp_path):
    vocabulary = tmp_path / "vocabulary.txt"
    vocabulary.write_text("\n".join(SENTENCES), encoding="utf-8")
    pairs = tmp_path / "pairs.tsv"
    pairs.write_text(
        f"{SENTENCES[1]}\t{SENTENCES[0]}\n{SENTENCES[2]}\t{SENTENCES[0]}\n{SENTENCES[4]}\t{SENTENCES[3]}\n"
        f"{SENTENCES[5]}\t{SENTENCES[3]}\n",
        encoding="utf-8",
    )
    args = ["students", "build", "static", "--vocabulary", vocabulary, "--dim", "8", "--workers", "1"]
    tune = ["--parallel", pairs, "--contrast-steps", "20", "--contrast-batch", "2", "--temperature", "0.1"]
    code, out, err = cli(*args, *tune, "--json")
    assert code == 0, err
    meta = json.loads((Path(json.loads(out)["path"]) / "meta.json").read_text())
    assert meta["contrast"]["groups"] == 2 and meta["contrast"]["steps"] == 20
    assert meta["recipe"]["temperature"] == 0.1 and meta["contrast"]["batch"] == 2
    bad = tmp_path / "bad.tsv"
    bad.write_text(f"{SENTENCES[1]}\t{SENTENCES[0]}\n{SENTENCES[2]}\n", encoding="utf-8")
    code, _, err = cli(*args, "--parallel", bad)
    assert code == 2 and err.strip().startswith(f"error: {bad}, line 2: the line has no tab")
