"""Every task on tiny fixtures, with vectors given in advance (no model): a sentence's vector is
its meaning plus a language offset, so translations are close and languages detectable."""

from __future__ import annotations

import csv
import json

import numpy as np
import pytest

from interlingua.errors import InputError
from interlingua.evaluate import PrecomputedEncoder, RunConfig, run_eval
from interlingua.evaluate.tasks.mexa import mexa_score

LANGS = ("eng_Latn", "deu_Latn", "fra_Latn")
CATS = ("sports", "science", "politics")
DIM = 24


class Space:
    """Vectors: class centre + meaning + language offset (+ a little noise per text)."""

    def __init__(self, lang_weight=0.35, seed=0):
        self.rng = np.random.default_rng(seed)
        self.centres = {c: self.rng.normal(size=DIM) for c in CATS}
        self.offsets = {}
        self.lang_weight = lang_weight
        self.vectors: dict[str, np.ndarray] = {}

    def add(self, text: str, meaning: int, lang: str, cat: str = "sports") -> str:
        self.offsets.setdefault(lang, self.rng.normal(size=DIM))
        m = np.random.default_rng(1000 + meaning).normal(size=DIM)
        self.vectors[text] = (
            self.centres[cat] * 1.2
            + m
            + self.lang_weight * self.offsets[lang]
            + 0.05 * self.rng.normal(size=DIM)
        )
        return text

    def encoder(self):
        return PrecomputedEncoder(self.vectors)


def write_sib(root, space, langs=LANGS, n_train=30, n_test=12):
    for lang in langs:
        d = root / "data" / "annotated" / lang
        d.mkdir(parents=True)
        for split, start, n in (("train", 0, n_train), ("dev", 500, 9), ("test", 1000, n_test)):
            lines = ["index_id\tcategory\ttext"]
            for i in range(start, start + n):
                cat = CATS[i % 3]
                lines.append(f"{i}\t{cat}\t" + space.add(f"{lang} {split} {i}", i, lang, cat))
            (d / f"{split}.tsv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return root


def test_sib200_classification_and_matrix(tmp_path):
    space = Space()
    write_sib(tmp_path, space)
    rec = run_eval(RunConfig(task="sib200", data=str(tmp_path)), encoder=space.encoder())
    res = rec["result"]
    assert set(res["per_language"]) == set(LANGS)
    assert res["metrics"]["acc_logreg"] > 90 and res["metrics"]["acc_knn"] > 90
    (m,) = res["matrices"].values()
    assert m["rows"] == sorted(LANGS) and np.allclose(m["values"], 100.0)
    assert res["details"]["train_language"] == "eng_Latn" and res["details"]["logreg_c"] in (
        0.1,
        1.0,
        10.0,
        100.0,
    )
    # languages chosen through any code form; the matrix follows
    rec = run_eval(
        RunConfig(task="sib200", data=str(tmp_path), languages=["de", "fra"]), encoder=space.encoder()
    )
    assert list(rec["result"]["per_language"]) == ["deu_Latn", "fra_Latn"]
    with pytest.raises(InputError, match="eng_Latn, fra_Latn"):
        run_eval(RunConfig(task="sib200", data=str(tmp_path), languages=["ja"]), encoder=space.encoder())


def test_sib200_noise_vectors_score_near_chance(tmp_path):
    space = Space()
    write_sib(tmp_path, space)
    rng = np.random.default_rng(5)
    noise = PrecomputedEncoder({t: rng.normal(size=DIM) for t in space.vectors})
    res = run_eval(RunConfig(task="sib200", data=str(tmp_path)), encoder=noise)["result"]
    assert res["metrics"]["acc_logreg"] < 70
    assert res["metrics"]["retrieval_acc_cosine"] < 50


def test_mexa_score_by_hand():
    x = np.eye(3, dtype=np.float32)
    y = np.array([[1, 0, 0], [0, 0.6, 0.8], [0, 0.8, 0.6]], dtype=np.float32)
    # row 2: own 0.6 < 0.8 -> miss; row 3: own 0.6 < 0.8 -> miss; row 1 aligned
    assert mexa_score(x, y) == pytest.approx(100 / 3)
    assert mexa_score(x, x) == pytest.approx(100.0)


def test_mexa_and_neutrality(tmp_path):
    space = Space(lang_weight=0.6)
    write_sib(tmp_path, space)
    enc = space.encoder()
    res = run_eval(RunConfig(task="mexa", data=str(tmp_path), options={"pivot": "en"}), encoder=enc)["result"]
    assert set(res["per_language"]) == {"deu_Latn", "fra_Latn"}  # the pivot is not scored against itself
    assert res["metrics"]["mexa"] == pytest.approx(100.0)
    assert not res["details"]["per_layer"]
    res = run_eval(RunConfig(task="neutrality", data=str(tmp_path)), encoder=enc)["result"]
    assert res["metrics"]["langid_acc"] == pytest.approx(100.0)  # the offsets give the language away
    assert res["metrics"]["langid_chance"] == pytest.approx(100 / 3)
    assert res["metrics"]["retrieval_acc_centered"] >= res["metrics"]["retrieval_acc"]
    assert "retrieval change after centering" in res["matrices"]


def test_sts_spearman_mono_and_cross(tmp_path):
    space = Space(lang_weight=0.1)
    rng = np.random.default_rng(3)
    gold = rng.uniform(0, 5, size=20)
    for lang in ("en", "de"):
        rows = []
        for i, g in enumerate(gold):
            a = space.add(f"{lang} a{i}", i, lang)
            b = f"{lang} b{i}"
            # the second sentence drifts from the first as the gold score falls
            space.vectors[b] = space.vectors[a] + (5 - g) * 0.8 * np.random.default_rng(50 + i).normal(
                size=DIM
            )
            rows.append([a, b, f"{g:.3f}"])
        with (tmp_path / f"stsb-{lang}-test.csv").open("w", newline="", encoding="utf-8") as fh:
            csv.writer(fh).writerows(rows)
    res = run_eval(RunConfig(task="sts", data=str(tmp_path)), encoder=space.encoder())["result"]
    assert res["metrics"]["spearman"] > 70
    assert res["per_language"]["de"]["spearman_with_pivot"] > 50
    (m,) = res["matrices"].values()
    assert m["rows"] == ["de", "en"] and len(m["values"]) == 2


def test_retrieval_xquad_and_beir(tmp_path):
    space = Space(lang_weight=0.2)
    xq = tmp_path / "xquad"
    xq.mkdir()
    for lang in ("en", "de"):
        paras = [
            {
                "context": space.add(f"{lang} passage {p}", p, lang),
                "qas": [{"id": f"q{p}", "question": space.add(f"{lang} question {p}", p, lang)}],
            }
            for p in range(8)
        ]
        (xq / f"xquad.{lang}.json").write_text(
            json.dumps({"data": [{"paragraphs": paras}]}), encoding="utf-8"
        )
    res = run_eval(RunConfig(task="retrieval", data=str(xq)), encoder=space.encoder())["result"]
    assert res["metrics"]["MRR@10"] == pytest.approx(100.0)
    assert res["matrices"]["nDCG@10"]["cols"] == ["de", "en", "all"]
    assert res["metrics"]["Recall@1 (mixed pool)"] == pytest.approx(
        50.0
    )  # two relevant passages, one retrieved at rank 1
    beir = tmp_path / "beir"
    (beir / "qrels").mkdir(parents=True)
    (beir / "corpus.jsonl").write_text(
        "".join(json.dumps({"_id": f"d{i}", "text": f"en passage {i}"}) + "\n" for i in range(8))
    )
    (beir / "queries.jsonl").write_text(
        "".join(json.dumps({"_id": f"q{i}", "text": f"de question {i}"}) + "\n" for i in range(8))
    )
    # the gold for q0 is deliberately wrong: d1 (so q0's MRR is 1/2 if d1 ranks second, else less)
    (beir / "qrels" / "test.tsv").write_text(
        "query-id\tcorpus-id\tscore\n" + "".join(f"q{i}\td{i if i else 1}\t1\n" for i in range(8))
    )
    res = run_eval(
        RunConfig(task="retrieval", data=str(beir), options={"measures": ["MRR@10", "Recall@1"]}),
        encoder=space.encoder(),
    )["result"]
    assert res["metrics"]["Recall@1"] == pytest.approx(100 * 7 / 8)
    assert res["metrics"]["MRR@10"] < 100
    with pytest.raises(InputError, match="Unknown retrieval measure 'MRR@x'"):
        run_eval(
            RunConfig(task="retrieval", data=str(beir), options={"measures": ["MRR@x"]}),
            encoder=space.encoder(),
        )


def test_unknown_task_option_lists_the_options(tmp_path):
    space = Space()
    write_sib(tmp_path, space, langs=("eng_Latn",))
    with pytest.raises(InputError, match="does not take option\\(s\\) colour.*knn_k"):
        run_eval(RunConfig(task="sib200", data=str(tmp_path), options={"colour": 1}), encoder=space.encoder())
