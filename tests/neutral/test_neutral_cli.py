"""`interlingua neutral fit|show` and `--adapter` on the commands that make vectors: the adapter
travels with embeddings and collections, the cache keeps raw vectors, bad folders are refused."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest
from tests.helpers import assert_one_error

from interlingua.store import open_collection


@pytest.fixture
def center(sib, tmp_path, cli):
    out = tmp_path / "center"
    code, _, err = cli("neutral", "fit", "center", "--data", sib, "-l", "de,en,zh_Hans", "-o", out, "-q")
    assert code == 0, err
    return out


def test_fit_writes_a_folder_that_show_prints(center, cli):
    assert sorted(p.name for p in center.iterdir()) == ["adapter.json", "state.npz"]
    code, out, _ = cli("neutral", "show", center)
    assert code == 0
    assert "center" in out and "de, en, zh-Hans" in out and "split train" in out
    code, out, _ = cli("neutral", "show", center, "--json")
    assert json.loads(out)["method"] == "center"


def test_fit_refuses_to_replace_an_adapter_without_overwrite(center, sib, cli):
    before = (center / "state.npz").read_bytes()
    code, out, err = cli("neutral", "fit", "center", "--data", sib, "-l", "de,en", "-o", center, "-q")
    assert_one_error(code, out, err, "already holds an adapter", "--overwrite")
    assert (center / "state.npz").read_bytes() == before
    code, _, err = cli(
        "neutral", "fit", "center", "--data", sib, "-l", "de,en", "-o", center, "--overwrite", "-q"
    )
    assert code == 0, err
    assert json.loads((center / "adapter.json").read_text())["languages"] == ["de", "en"]
    assert not [p for p in center.parent.iterdir() if p.name.startswith(".center")]


def test_fit_refuses_a_folder_that_is_not_an_adapter_and_its_own_input(sib, tmp_path, cli):
    other = tmp_path / "notes"
    other.mkdir()
    (other / "keep.txt").write_text("mine")
    code, out, err = cli("neutral", "fit", "center", "--data", sib, "-o", other, "-q")
    assert_one_error(code, out, err, "is not an adapter folder")
    assert (other / "keep.txt").read_text() == "mine"
    code, out, err = cli("neutral", "fit", "center", "--data", sib, "-o", sib, "-q")
    assert_one_error(code, out, err, "also an input")


def test_fit_names_a_missing_language_and_a_bad_split(sib, tmp_path, cli):
    code, out, err = cli("neutral", "fit", "center", "--data", sib, "-l", "de,ja", "-o", tmp_path / "a", "-q")
    assert_one_error(code, out, err, "no train texts in ja")
    code, out, err = cli(
        "neutral", "fit", "center", "--data", sib, "--split", "test", "-o", tmp_path / "a", "-q"
    )
    assert_one_error(code, out, err, "holds no test split")
    assert not (tmp_path / "a").exists()


def test_show_refuses_a_folder_that_is_not_an_adapter(tmp_path, cli):
    code, out, err = cli("neutral", "show", tmp_path)
    assert_one_error(code, out, err, "adapter.json")


def test_embed_with_an_adapter_stamps_it_and_reuses_raw_cached_vectors(center, tmp_path, cli):
    src = tmp_path / "texts.jsonl"
    src.write_text(
        "".join(
            json.dumps({"id": str(i), "text": t, "lang": lang}) + "\n"
            for i, (t, lang) in enumerate(
                [("Der Zug fährt ab.", "de"), ("The train leaves.", "en"), ("火车出发了。", "zh")]
            )
        ),
        encoding="utf-8",
    )
    code, _, err = cli("embed", src, "-o", tmp_path / "raw.npy", "--json")
    assert code == 0, err
    code, out, err = cli("embed", src, "-o", tmp_path / "adapted.npy", "--adapter", center, "--json")
    assert code == 0, err
    report = json.loads(out)
    assert report["cache_hits"] == 3 and report["encoded"] == 0  # switching adapters re-encodes nothing
    assert "+center-" in report["space"]
    meta = json.loads((tmp_path / "adapted.meta.json").read_text())
    assert meta["space"]["identity"] == report["space"]
    raw, adapted = np.load(tmp_path / "raw.npy"), np.load(tmp_path / "adapted.npy")
    assert np.allclose(np.linalg.norm(adapted, axis=1), 1, atol=1e-5)
    assert np.abs(raw - adapted).max() > 0.05


def test_a_collection_keeps_its_own_copy_of_the_adapter(center, tmp_path, cli):
    col, docs = tmp_path / "col", tmp_path / "docs.jsonl"
    docs.write_text(
        json.dumps({"id": "a", "text": "Die Kinder spielen im Park.", "lang": "de"})
        + "\n"
        + json.dumps({"id": "b", "text": "The children play in the park.", "lang": "en"})
        + "\n",
        encoding="utf-8",
    )
    assert cli("index", "create", col, "--adapter", center, "-q")[0] == 0
    assert cli("index", "add", col, docs, "-q")[0] == 0
    shutil.rmtree(center)  # the collection does not depend on the folder it was made from
    code, out, err = cli("search", col, "Kinder im Park", "--mode", "dense", "--json")
    assert code == 0, err
    assert {h["id"] for h in json.loads(out)["hits"]} == {"a", "b"}
    with open_collection(col, readonly=True) as c:
        assert "+center-" in c.space.identity
    assert cli("index", "check", col)[0] == 0


def test_a_manifest_pointing_an_adapter_outside_the_collection_is_refused(center, tmp_path, cli):
    col = tmp_path / "col"
    assert cli("index", "create", col, "--adapter", center, "-q")[0] == 0
    manifest = json.loads((col / "manifest.json").read_text())
    manifest["space"]["adapters"][0]["path"] = str(center)
    (col / "manifest.json").write_text(json.dumps(manifest))
    code, out, err = cli("search", col, "Kinder", "--mode", "dense")
    assert code != 0 and "outside the collection" in err and "Traceback" not in err


def test_mine_with_an_adapter_uses_a_calibration_of_the_adapted_space(center, tmp_path, cli):
    from tests.neutral.parallel_data import PARALLEL

    de, en = tmp_path / "de.txt", tmp_path / "en.txt"
    de.write_text("".join(t + "\n" for t in PARALLEL["deu_Latn"] + PARALLEL["rus_Cyrl"]), encoding="utf-8")
    en.write_text("".join(t + "\n" for t in PARALLEL["eng_Latn"] + PARALLEL["zho_Hans"]), encoding="utf-8")
    cal = tmp_path / "cal.json"
    code, _, err = cli(
        "mine", "calibrate", de, en, "--adapter", center, "--true-share", "0.5", "-o", cal, "--no-save", "-q"
    )
    assert code == 0, err
    record = json.loads(cal.read_text(encoding="utf-8"))
    assert "+center-" in record["space"]["identity"]
    code, out, err = cli("mine", de, en, "--adapter", center, "--calibration", cal, "-q")
    assert code == 0, err
    header = json.loads(out.splitlines()[0].removeprefix("# interlingua "))
    assert header["space"]["identity"] == record["space"]["identity"]
    pairs = {tuple(line.split("\t")[1:3]) for line in out.splitlines()[2:]}
    assert len(pairs) >= 10 and all(int(a) % 10 == int(b) % 10 for a, b in pairs)  # translations
    code, out, err = cli("mine", de, en, "--calibration", cal, "-q")  # the raw space: not its calibration
    assert_one_error(code, out, err, "calibration")
