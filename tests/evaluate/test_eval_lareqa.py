"""LAReQA (XQuAD-R) on tiny XQuAD-shaped folders written here: the pool and its relevant sets,
the measures against a hand computation, e5-small end to end against a brute-force ranking,
adapters side by side (raw and adapted) in the record, the CLI and the report."""

from __future__ import annotations

import json

import numpy as np
import pytest

from interlingua.errors import InputError
from interlingua.evaluate import EvalRun, PrecomputedEncoder, embedding_settings, run, save_run
from interlingua.evaluate.readers import read_xquad
from interlingua.evaluate.report import write_report
from interlingua.evaluate.tasks.lareqa import _answer_sentence, build_pool, lareqa

BOM = "\ufeff"

# three paragraphs in three languages, parallel sentence by sentence; (question, answer, sentence)
PARAGRAPHS = {
    "en": [
        "The river Elbe flows through Dresden. Its source lies in the Krkonoše mountains. "
        "The river is about 1,094 kilometres long.",
        "Coffee was first brewed in Yemen. Traders carried the beans to Europe in the seventeenth "
        "century. Today Brazil grows the most coffee.",
        "The violin has four strings. It is usually played with a bow. Antonio Stradivari built some "
        "of the finest violins.",
    ],
    "de": [
        BOM + "Die Elbe fließt durch Dresden. Ihre Quelle liegt im Riesengebirge. Der Fluss ist etwa "
        "1.094 Kilometer lang.",
        "Kaffee wurde zuerst im Jemen gebrüht. Händler brachten die Bohnen im siebzehnten Jahrhundert "
        "nach Europa. Heute baut Brasilien den meisten Kaffee an.",
        "Die Geige hat vier Saiten. Sie wird meist mit einem Bogen gespielt. Antonio Stradivari baute "
        "einige der besten Geigen.",
    ],
    "es": [
        "El río Elba atraviesa Dresde. Su nacimiento está en los montes Krkonoše. El río mide unos "
        "1094 kilómetros.",
        "El café se preparó por primera vez en Yemen. Los comerciantes llevaron los granos a Europa "
        "en el siglo diecisiete. Hoy Brasil es el mayor productor de café.",
        "El violín tiene cuatro cuerdas. Normalmente se toca con un arco. Antonio Stradivari construyó "
        "algunos de los mejores violines.",
    ],
}
QUESTIONS = {  # id -> paragraph, answer sentence, {lang: (question, answer)}
    "q-source": (
        0,
        1,
        {
            "en": ("Where is the source of the Elbe?", "Krkonoše mountains"),
            "de": ("Wo liegt die Quelle der Elbe?", "Riesengebirge"),
            "es": ("¿Dónde nace el Elba?", "montes Krkonoše"),
        },
    ),
    "q-length": (
        0,
        2,
        {
            "en": ("How long is the Elbe?", "1,094 kilometres"),
            "de": ("Wie lang ist die Elbe?", "1.094 Kilometer"),
            "es": ("¿Cuánto mide el Elba?", "1094 kilómetros"),
        },
    ),
    "q-brazil": (
        1,
        2,
        {
            "en": ("Which country grows the most coffee today?", "Brazil"),
            "de": ("Welches Land baut heute den meisten Kaffee an?", "Brasilien"),
            "es": ("¿Qué país produce hoy más café?", "Brasil"),
        },
    ),
    "q-yemen": (
        1,
        0,
        {
            "en": ("Where was coffee first brewed?", "Yemen"),
            "de": ("Wo wurde Kaffee zuerst gebrüht?", "Jemen"),
            "es": ("¿Dónde se preparó café por primera vez?", "Yemen"),
        },
    ),
    "q-violins": (
        2,
        2,
        {
            "en": ("Who built some of the finest violins?", "Antonio Stradivari"),
            "de": ("Wer baute einige der besten Geigen?", "Antonio Stradivari"),
            "es": ("¿Quién construyó algunos de los mejores violines?", "Antonio Stradivari"),
        },
    ),
}


def write_xquad(root, paragraphs, questions):
    """SQuAD v1.1 JSON per language; ``answer_start`` counts from the paragraph's first character
    (a byte-order mark included, as in the real files)."""
    root.mkdir(parents=True, exist_ok=True)
    for lang, paras in paragraphs.items():
        out = []
        for j, context in enumerate(paras):
            qas = []
            for qid, (p, _, by_lang) in questions.items():
                if p == j:
                    q, a = by_lang[lang]
                    qas.append(
                        {"id": qid, "question": q, "answers": [{"answer_start": context.index(a), "text": a}]}
                    )
            out.append({"context": context, "qas": qas})
        doc = {"data": [{"title": "t", "paragraphs": out}]}
        (root / f"xquad.{lang}.json").write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    return root


@pytest.fixture
def xquad(tmp_path):
    return write_xquad(tmp_path / "xquad", PARAGRAPHS, QUESTIONS)


def test_the_pool_is_every_sentence_and_each_question_has_its_answer_sentence_in_every_language(xquad):
    sets = read_xquad(xquad)
    assert sets["de"].answers["q-length"] == (PARAGRAPHS["de"][0].index("1.094"), "1.094 Kilometer")
    pool = build_pool(sets, list(QUESTIONS))
    assert len(pool.ids) == 27 and pool.langs == ["de"] * 9 + ["en"] * 9 + ["es"] * 9
    assert pool.ids[:3] == ["de:p0_0:0", "de:p0_0:1", "de:p0_0:2"]
    assert pool.texts[0] == "Die Elbe fließt durch Dresden."  # the byte-order mark is not part of it
    assert pool.crossing == 0
    for qid, (p, k, by_lang) in QUESTIONS.items():
        rel = pool.relevant[qid]
        assert sorted(rel) == ["de", "en", "es"]
        for lang, doc in rel.items():
            assert pool.ids[doc] == f"{lang}:p0_{p}:{k}"
            assert by_lang[lang][1] in pool.texts[doc]
            assert pool.paragraphs[doc] == PARAGRAPHS[lang][p].lstrip(BOM)


def test_an_answer_offset_between_two_sentences_belongs_to_the_next():
    spans = [(0, 10), (11, 20), (22, 30)]
    assert [_answer_sentence(spans, s) for s in (0, 9, 10, 11, 20, 21, 29, 35)] == [0, 0, 1, 1, 2, 2, 2, 2]


# -- the measures against a hand computation ---------------------------------------------------
# Two languages, one paragraph of two sentences, two questions (q1's answer in sentence 0, q2's
# in sentence 1). Candidates are one-hot; each question's vector gives its scores directly.
HAND_PARAS = {"en": ["Alpha one. Alpha two."], "de": ["Beta eins. Beta zwei."]}
HAND_QUESTIONS = {
    "q1": (0, 0, {"en": ("en q1?", "one"), "de": ("de q1?", "eins")}),
    "q2": (0, 1, {"en": ("en q2?", "two"), "de": ("de q2?", "zwei")}),
}
# candidate order in the pool: en s0, en s1, de s0, de s1 (the languages in the order asked for)
HAND_VECTORS = {
    "Alpha one.": [1, 0, 0, 0],
    "Alpha two.": [0, 1, 0, 0],
    "Beta eins.": [0, 0, 1, 0],
    "Beta zwei.": [0, 0, 0, 1],
    "en q1?": [4, 3, 2, 1],  # en s0, en s1, de s0, de s1: relevant at 1 and 3
    "en q2?": [1, 4, 3, 2],  # en s1, de s0, de s1, en s0: relevant at 1 and 3
    "de q1?": [1, 2, 4, 3],  # de s0, de s1, en s1, en s0: relevant at 1 and 4
    "de q2?": [4, 1, 2, 3],  # en s0, de s1, de s0, en s1: relevant at 2 and 4; top-1 in English
}


def test_measures_match_a_hand_computation(tmp_path):
    data = write_xquad(tmp_path / "hand", HAND_PARAS, HAND_QUESTIONS)
    enc = PrecomputedEncoder({t: np.array(v, dtype=np.float32) for t, v in HAND_VECTORS.items()})
    res = lareqa(enc, data, languages=["en", "de"])
    # AP = mean over relevant of (hits so far / rank): en q1 (1/1 + 2/3) / 2 = 5/6, en q2 5/6,
    # de q1 (1/1 + 2/4) / 2 = 3/4, de q2 (1/2 + 2/4) / 2 = 1/2
    ap = {"en": [5 / 6, 5 / 6], "de": [3 / 4, 1 / 2]}
    m = res.metrics
    assert m["mAP"] == pytest.approx(100 * np.mean(ap["en"] + ap["de"]))  # 72.92
    assert res.per_language["en"]["mAP"] == pytest.approx(100 * 5 / 6)
    assert res.per_language["de"]["mAP"] == pytest.approx(62.5)
    assert m["same_lang_top1"] == pytest.approx(75.0) and m["same_lang_chance"] == pytest.approx(50.0)
    assert (
        res.per_language["en"]["same_lang_top1"] == 100.0 and res.per_language["de"]["same_lang_top1"] == 50.0
    )
    assert m["top1_correct"] == pytest.approx(75.0)
    # first relevant sentence in the other language: en q1 3, en q2 3, de q1 4, de q2 4
    assert m["first_other_rank"] == pytest.approx(3.5)
    assert (
        res.per_language["en"]["first_other_rank"] == 3.0
        and res.per_language["de"]["first_other_rank"] == 4.0
    )
    hits = res.matrices["top-1 language"]
    assert hits["rows"] == ["en", "de"] and hits["cols"] == ["en", "de"]
    assert hits["values"] == [[100.0, 0.0], [50.0, 50.0]]
    assert res.details["candidates"] == 4 and res.details["queries"] == 4 and res.primary_metric == "mAP"


def test_bad_options_and_data_are_one_clear_error(tmp_path, xquad):
    enc = PrecomputedEncoder({"x": np.ones(2, dtype=np.float32)})
    with pytest.raises(InputError, match="'ro' is not in the XQuAD data"):
        lareqa(enc, xquad, languages=["ro"])
    with pytest.raises(InputError, match="'context' parameter of lareqa must be true or false"):
        lareqa(enc, xquad, context="yes")
    with pytest.raises(InputError, match="max_questions"):
        lareqa(enc, xquad, max_questions=0)
    skew = write_xquad(tmp_path / "skew", HAND_PARAS, HAND_QUESTIONS)
    doc = json.loads((skew / "xquad.de.json").read_text(encoding="utf-8"))
    doc["data"][0]["paragraphs"].insert(0, {"context": "Gamma drei.", "qas": []})  # de's q1 is now in p0_1
    (skew / "xquad.de.json").write_text(json.dumps(doc), encoding="utf-8")
    with pytest.raises(
        InputError,
        match="XQuAD en: question 'q1' is in paragraph p0_0, in de in p0_1; the files are not parallel",
    ):
        lareqa(enc, skew)


# -- e5-small end to end -----------------------------------------------------------------------
def brute_force(space, pool, sets, langs):
    """Every measure again, the plain way: full score matrix, full sort, AP by its definition."""
    qids = list(QUESTIONS)
    docs = space.encode(pool.texts, role="passage", langs=pool.langs)
    q_lang = [c for c in langs for _ in qids]
    queries = space.encode([sets[c].questions[q][0] for c in langs for q in qids], role="query", langs=q_lang)
    scores = space.balance_scores(queries @ docs.T, queries, pool.langs)
    ap, same, other = [], [], []
    for i, (c, q) in enumerate(zip(q_lang, [q for _ in langs for q in qids])):
        order = list(np.argsort(-scores[i], kind="stable"))
        rel = set(pool.relevant[q].values())
        ranks = sorted(order.index(d) + 1 for d in rel)
        ap.append(np.mean([(j + 1) / r for j, r in enumerate(ranks)]))
        same.append(pool.langs[order[0]] == c)
        other.append(min(order.index(d) + 1 for lang, d in pool.relevant[q].items() if lang != c))
    return 100 * np.mean(ap), 100 * np.mean(same), np.mean(other)


def test_e5_small_end_to_end_matches_a_brute_force_ranking(e5, xquad, tmp_path):
    from interlingua.neutral import Space

    space = Space.of(e5)
    with embedding_settings(cache_folder=tmp_path):
        res = lareqa(space, xquad)
    sets = read_xquad(xquad)
    pool = build_pool(sets, list(QUESTIONS))
    m_ap, same, other = brute_force(space, pool, sets, ["de", "en", "es"])
    m = res.metrics
    assert m["mAP"] == pytest.approx(m_ap, abs=1e-4)
    assert m["same_lang_top1"] == pytest.approx(same) and m["first_other_rank"] == pytest.approx(other)
    assert res.config["languages"] == ["de", "en", "es"]  # XQuAD-R's languages found in the folder
    assert res.details["questions"] == 5 and res.details["queries"] == 15 and res.details["candidates"] == 27
    assert m["top1_correct"] > 50  # e5 finds most answers of this easy pool
    rows = np.array(res.matrices["top-1 language"]["values"])
    assert np.allclose(rows.sum(axis=1), 100.0)
    assert np.mean(np.diag(rows)) == pytest.approx(same)  # same questions per language


def test_adapted_runs_side_by_side_with_raw_through_the_cli_and_the_report(cli, xquad, tmp_path, monkeypatch):
    """A real ``center`` adapter fitted with ``interlingua neutral fit``: the run evaluates the raw
    space and the adapted one, prints both, records both, and the report shows them side by side."""
    monkeypatch.setenv("INTERLINGUA_CACHE_DIR", str(tmp_path / "cache"))
    train = tmp_path / "train.jsonl"
    rows = [
        ("en", "The weather is nice today."),
        ("en", "I like reading books."),
        ("en", "The shop opens at nine."),
        ("de", "Das Wetter ist heute schön."),
        ("de", "Ich lese gern Bücher."),
        ("de", "Der Laden öffnet um neun."),
        ("es", "Hoy hace buen tiempo."),
        ("es", "Me gusta leer libros."),
        ("es", "La tienda abre a las nueve."),
    ]
    train.write_text(
        "".join(json.dumps({"text": t, "lang": lang}) + "\n" for lang, t in rows), encoding="utf-8"
    )
    code, _, err = cli("neutral", "fit", "center", "--data", train, "-o", tmp_path / "center", "-q")
    assert code == 0, err
    # --adapter is the space's chain, as --set and a config file give it
    code, shown, err = cli(
        "eval", "lareqa", "--data", xquad, "--adapter", tmp_path / "center", "--print-config"
    )
    assert code == 0 and 'method = "center"' in shown, err
    (tmp_path / "run.toml").write_text(shown, encoding="utf-8")
    ref = json.dumps([{"method": "center", "path": str((tmp_path / "center").resolve())}])
    code, again, err = cli(
        "eval", "lareqa", "--set", f"space.adapters={ref}", "--data", xquad, "--print-config"
    )
    assert code == 0 and again == shown, err
    code, again, err = cli("eval", "lareqa", "--config", tmp_path / "run.toml", "--print-config")
    assert code == 0 and again == shown, err
    code, out, err = cli(
        "eval", "lareqa", "--data", xquad, "--adapter", tmp_path / "center", "-q", "-o", tmp_path / "run.json"
    )
    assert code == 0, err
    assert "raw" in out and "adapted" in out and "mAP" in out
    rec = json.loads((tmp_path / "run.json").read_text(encoding="utf-8"))
    assert [a["method"] for a in rec["config"]["space"]["adapters"]] == ["center"]
    assert rec["space"]["identity"].startswith(rec["raw"]["space"]["identity"] + "+center-")
    raw, adapted = rec["raw"]["result"], rec["result"]
    assert raw["task"] == adapted["task"] == "lareqa"
    # the raw side is the encoder alone: the same numbers as a run without adapters
    code, _, err = cli("eval", "lareqa", "--data", xquad, "-q", "-o", tmp_path / "plain.json")
    plain = json.loads((tmp_path / "plain.json").read_text(encoding="utf-8"))
    assert "raw" not in plain and plain["result"]["metrics"] == raw["metrics"]
    html = write_report([tmp_path / "run.json"], tmp_path / "rep" / "report.html")
    text = html.read_text(encoding="utf-8")
    assert "1a: e5-small raw" in text and "1b: e5-small + center" in text and "Δ 1b−1a" in text
    names = sorted(p.name for p in (tmp_path / "rep" / "report_files").iterdir())
    assert names == [
        "lareqa_bars.png",
        "lareqa_measures.png",
        "lareqa_top-1_language.png",
        "lareqa_top-1_language_delta.png",
    ]
    assert all(
        p.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" for p in (tmp_path / "rep" / "report_files").iterdir()
    )


def test_a_balance_adapter_reranks_the_pool(xquad, tmp_path, monkeypatch):
    """The score-level ``balance`` step reaches the ranking: the task's numbers are those of a
    brute-force ranking by ``space.balance_scores``."""
    from interlingua.neutral import FitJob, SpaceSpec, adapter_refs, fit

    monkeypatch.setenv("INTERLINGUA_CACHE_DIR", str(tmp_path / "cache"))
    train = tmp_path / "train.jsonl"
    texts = [
        (lang, t) for lang, paras in PARAGRAPHS.items() for p in paras for t in p.lstrip(BOM).split(". ")
    ]
    train.write_text(
        "".join(json.dumps({"text": t, "lang": lang}) + "\n" for lang, t in texts), encoding="utf-8"
    )
    fit(FitJob(method="balance", data=(str(train),), output=str(tmp_path / "balance"), params={"rank": 2}))
    job = EvalRun(
        task="lareqa", data=str(xquad), space=SpaceSpec(adapters=adapter_refs([tmp_path / "balance"]))
    )
    rec = run(job)
    from interlingua.neutral import Space

    space = Space.from_spec(job.space)
    assert space.balances_scores
    sets = read_xquad(xquad)
    m_ap, same, other = brute_force(space, build_pool(sets, list(QUESTIONS)), sets, ["de", "en", "es"])
    m = rec["result"]["metrics"]
    assert m["mAP"] == pytest.approx(m_ap, abs=1e-4) and m["same_lang_top1"] == pytest.approx(same)
    assert m["first_other_rank"] == pytest.approx(other)
    save_run(rec, tmp_path / "balance.json")  # strict JSON, both results
    assert "raw" in json.loads((tmp_path / "balance.json").read_text(encoding="utf-8"))
