"""Threshold calibration: the sweep, the pools, ``mine calibrate`` writing a calibration that
``mine`` then uses, a calibration of another space refused, and the command's one-line errors."""

from __future__ import annotations

import json

import numpy as np
import pytest
from tests.helpers import assert_one_error

from interlingua.errors import InputError
from interlingua.mine import choose, f1_at, pool_from_pairs, sweep

# 12 German-English pairs and sentences of each language with no translation on the other side,
# written for this test.
PAIRS = [
    ("Der Hund schläft auf dem Sofa.", "The dog is sleeping on the sofa."),
    ("Ich trinke jeden Morgen einen Kaffee.", "I drink a coffee every morning."),
    ("Die Bibliothek öffnet um neun Uhr.", "The library opens at nine o'clock."),
    ("Meine Schwester lebt in Hamburg.", "My sister lives in Hamburg."),
    ("Wir fahren morgen mit dem Zug nach Berlin.", "Tomorrow we are taking the train to Berlin."),
    ("Er spielt am Abend gern Gitarre.", "He likes to play the guitar in the evening."),
    ("Das Museum ist montags geschlossen.", "The museum is closed on Mondays."),
    ("Im Winter fällt hier viel Schnee.", "A lot of snow falls here in winter."),
    ("Sie hat gestern ein neues Fahrrad gekauft.", "She bought a new bicycle yesterday."),
    ("Der Bäcker backt jeden Tag frisches Brot.", "The baker bakes fresh bread every day."),
    ("Unsere Lehrerin kommt aus Spanien.", "Our teacher comes from Spain."),
    ("Das Konzert beginnt um acht Uhr.", "The concert starts at eight o'clock."),
]
DE_ALONE = [
    "Die Brücke wurde im Jahr 1890 gebaut.",
    "Kinder lernen Sprachen oft schneller als Erwachsene.",
    "Der Arzt empfiehlt mehr Bewegung an der frischen Luft.",
    "In der Küche riecht es nach Zimt.",
]
EN_ALONE = [
    "The stock market fell sharply on Monday.",
    "Penguins cannot fly but they swim well.",
    "The recipe needs two eggs and some flour.",
    "Volcanoes can be found on every continent.",
    "The election results will be announced tonight.",
]


def _lines(path, texts):
    path.write_text("".join(t + "\n" for t in texts), encoding="utf-8")
    return path


@pytest.fixture
def sample(tmp_path):
    return {
        "de": _lines(tmp_path / "de.txt", [d for d, _ in PAIRS]),
        "en": _lines(tmp_path / "en.txt", [e for _, e in PAIRS]),
        "de_alone": _lines(tmp_path / "de_alone.txt", DE_ALONE),
        "en_alone": _lines(tmp_path / "en_alone.txt", EN_ALONE),
        "de_corpus": _lines(tmp_path / "de_corpus.txt", [d for d, _ in PAIRS[:6]] + DE_ALONE),
        "en_corpus": _lines(tmp_path / "en_corpus.txt", EN_ALONE + [e for _, e in PAIRS[:6]]),
    }


# -- the sweep -------------------------------------------------------------------------------
def test_sweep_picks_the_f1_best_cut_and_reports_a_threshold_between_scores():
    scores = np.array([0.9, 0.8, 0.7, 0.6, 0.5])
    found = np.array([True, True, False, True, False])
    curve = sweep(found, scores, 3)
    # cuts keep 1..5 pairs: F1 0.5, 0.8, 0.667, 0.857, 0.75
    np.testing.assert_allclose(curve.f1, [0.5, 0.8, 2 / 3, 6 / 7, 0.75])
    best = choose(curve)
    assert best == 3 and curve.threshold[best] == pytest.approx(0.55) and curve.kept[best] == 4
    # the loosest cut that keeps precision >= 0.9: two pairs, threshold between 0.8 and 0.7
    strict = choose(curve, min_precision=0.9)
    assert curve.kept[strict] == 2 and curve.threshold[strict] == pytest.approx(0.75)
    # the threshold keeps exactly the pairs of its cut
    p, r, f = f1_at(found, scores, 3, curve.threshold)
    np.testing.assert_allclose(f, curve.f1)
    with pytest.raises(InputError, match="No threshold reaches precision 1.1"):
        choose(curve, min_precision=1.1)


def test_equal_scores_are_cut_together_and_unsorted_scores_refused():
    curve = sweep([True, False, True], [0.9, 0.7, 0.7], 2)
    assert list(curve.kept) == [1, 3] and curve.threshold[-1] == pytest.approx(0.7)
    with pytest.raises(InputError, match="sorted best first"):
        sweep([True, False], [0.1, 0.9], 1)


# -- the pools -------------------------------------------------------------------------------
def test_pool_hides_a_third_of_the_pairs_among_sentences_without_translation():
    src = [f"Satz Nummer {i}." for i in range(30)] + ["Doppelt.", "Doppelt!"]
    tgt = [f"Sentence number {i}." for i in range(30)] + ["Twice one.", "Twice two."]
    pool = pool_from_pairs(src, tgt, seed=3)
    assert pool.dropped == 2  # "Doppelt." and "Doppelt!" are one sentence: left out
    assert len(pool.gold) == 10 and len(pool.src) == 20 and len(pool.tgt) == 20
    for s, t in pool.gold:
        assert pool.src[s].split()[-1] == pool.tgt[t].split()[-1]  # the same number: a true pair
    numbers = lambda side: {x.split()[-1] for x in side}  # noqa: E731
    alone = numbers(pool.src) ^ numbers(pool.tgt)
    assert len(alone) == 20  # every distractor lacks its translation on the other side
    assert pool_from_pairs(src, tgt, seed=3) == pool  # seeded
    with pytest.raises(InputError, match="at least 10 are needed"):
        pool_from_pairs(src[:12], tgt[:12])
    with pytest.raises(InputError, match="one target a source"):
        pool_from_pairs(src, tgt[:-1])


# -- the command and mine --------------------------------------------------------------------
def test_calibrate_writes_a_calibration_that_mine_then_uses(cli, sample, tmp_path, calibrations):
    out = tmp_path / "cal.json"
    code, _, err = cli(
        "mine",
        "calibrate",
        sample["de"],
        sample["en"],
        "--src-distractors",
        sample["de_alone"],
        "--tgt-distractors",
        sample["en_alone"],
        "-o",
        out,
        "-q",
        "--no-cache",
    )
    assert code == 0, err
    assert "12 gold pairs among 16 x 17 sentences" in err and "ratio" in err
    record = json.loads(out.read_text(encoding="utf-8"))
    assert record["kind"] == "calibration" and record["role"] == "query"
    assert record["space"]["identity"].startswith("e5-small|") and (record["k"], record["mode"]) == (4, "max")
    assert set(record["thresholds"]) == {"ratio", "distance", "absolute"}
    ratio = record["margins"]["ratio"]
    assert ratio["f1"] > 0.9 and ratio["threshold"] == pytest.approx(record["thresholds"]["ratio"], abs=1e-6)
    assert len(ratio["curve"]["threshold"]) == len(ratio["curve"]["f1"]) > 1
    assert len(record["data"]["sha256"]) == 64 and record["data"]["gold_pairs"] == 12
    saved = list(calibrations.glob("*.json"))
    assert len(saved) == 1 and json.loads(saved[0].read_text(encoding="utf-8")) == record

    # mine finds it for this space without being told, and says so
    code, stdout, err = cli("mine", sample["de_corpus"], sample["en_corpus"], "-q", "--no-cache")
    assert code == 0, err
    assert f"threshold {record['thresholds']['ratio']:g}, calibration {saved[0]}" in err
    header = json.loads(stdout.splitlines()[0].removeprefix("# interlingua "))
    assert header["job"]["margin"]["calibration"] == str(saved[0])
    assert header["job"]["margin"]["threshold"] == pytest.approx(record["thresholds"]["ratio"])
    pairs = {tuple(line.split("\t")[1:3]) for line in stdout.splitlines()[2:]}
    truth = {(str(i), str(i + 5)) for i in range(1, 7)}
    assert len(pairs & truth) >= 5 and not pairs - truth

    # named explicitly, or skipped for the shipped default
    code, _, err = cli("mine", sample["de_corpus"], sample["en_corpus"], "--calibration", out, "-q", "--json")
    assert code == 0, err
    code, stdout, err = cli(
        "mine", sample["de_corpus"], sample["en_corpus"], "--calibration", "shipped", "-q", "--no-cache"
    )
    assert code == 0 and "shipped default" in err


def test_mine_in_memory_uses_the_calibration_too(sample, calibrations):
    from interlingua.mine import CalibrateJob, mine_texts, run

    report = run(
        CalibrateJob(
            src=str(sample["de"]),
            tgt=str(sample["en"]),
            src_distractors=str(sample["de_alone"]),
            tgt_distractors=str(sample["en_alone"]),
            cache=False,
        )
    )
    assert report.saved and report.thresholds["ratio"] == pytest.approx(report.margins["ratio"]["threshold"])
    got = mine_texts([d for d, _ in PAIRS[:6]] + DE_ALONE, EN_ALONE + [e for _, e in PAIRS[:6]])
    assert got.threshold == pytest.approx(report.thresholds["ratio"])
    assert got.threshold_source == f"calibration {report.saved}"


def test_a_calibration_of_another_space_is_refused(cli, sample, tmp_path, calibrations):
    from interlingua.mine import user_calibration_path
    from interlingua.neutral import Space

    identity = Space.of("e5-small").identity
    record = {
        "kind": "calibration",
        "space": {"identity": "e5-small-int8|other-build", "encoder": "e5-small-int8"},
        "role": "query",
        "k": 4,
        "mode": "max",
        "thresholds": {"ratio": 1.01},
    }
    other = tmp_path / "other.json"
    other.write_text(json.dumps(record), encoding="utf-8")
    code, out, err = cli("mine", sample["de_corpus"], sample["en_corpus"], "--calibration", other, "-q")
    assert_one_error(code, out, err, "was made for the space 'e5-small-int8|other-build'", "--threshold")
    # another k than the calibration's is refused too: margins depend on it
    record["space"]["identity"] = identity
    other.write_text(json.dumps(record), encoding="utf-8")
    code, out, err = cli(
        "mine", sample["de_corpus"], sample["en_corpus"], "--calibration", other, "-k", "8", "-q"
    )
    assert_one_error(code, out, err, "k=4", "k=8", "calibrate again")
    # a damaged file in the user's cache is named, not skipped
    user_calibration_path(identity, "query", 4, "max").write_text("{not json", encoding="utf-8")
    code, out, err = cli("mine", sample["de_corpus"], sample["en_corpus"], "-q")
    assert_one_error(code, out, err, "is not a readable calibration", "delete it")
    # and a threshold with a calibration is a contradiction
    code, out, err = cli(
        "mine", sample["de_corpus"], sample["en_corpus"], "--calibration", other, "-t", "1.0"
    )
    assert_one_error(code, out, err, "'margin.calibration'")


def test_calibrate_errors_are_one_line(cli, sample, tmp_path):
    de, en = sample["de"], sample["en"]
    code, out, err = cli("mine", "calibrate", de, sample["en_alone"], "-q", "--no-save")
    assert_one_error(code, out, err, "line-aligned", "12 texts", "5")
    gold = tmp_path / "gold.tsv"
    gold.write_text("1\t1\n2\t99\n", encoding="utf-8")
    code, out, err = cli("mine", "calibrate", de, en, "--gold", gold, "-q", "--no-save")
    assert_one_error(code, out, err, "gold.tsv, line 2", "'99' is not in the target corpus")
    code, out, err = cli("mine", "calibrate", de, en, "--set", "margin.threshold=1.0", "-q")
    assert_one_error(code, out, err, "calibration finds the threshold")
    code, out, err = cli("mine", "calibrate", de, en, "--true-share", "0", "-q")
    assert_one_error(code, out, err, "'true_share'")
    code, out, err = cli("mine", "calibrate", de, en, "-q", "--no-save")  # 12 pairs: 4 gold, too few
    assert_one_error(code, out, err, "4 gold pairs", "at least 10")
    code, out, err = cli("mine", "calibrate", de, en, "-o", de, "-q")
    assert_one_error(code, out, err, "would destroy the input")
    code, out, err = cli("mine", sample["de"], sample["en"], "--calibration", tmp_path / "nope.json", "-q")
    assert_one_error(code, out, err, "no such calibration file")


def test_mine_help_names_calibrate_and_print_config_works(cli, sample):
    code, out, _ = cli("mine", "--help")
    assert code == 0 and "mine calibrate" in out and "--calibration" in out
    code, out, _ = cli("mine", "calibrate", sample["de"], sample["en"], "--print-config")
    assert code == 0 and 'src = "' in out and "true_share" in out and "[margin]" in out
