"""The ``bucc`` and ``mining_pools`` evaluation tasks on tiny fixtures written here."""

from __future__ import annotations

import numpy as np
import pytest

from interlingua.errors import InputError
from interlingua.evaluate import get_task
from interlingua.evaluate.tasks._mining_common import best_f1
from interlingua.evaluate.tasks.mining_pools import build_pools

ZH = [
    "我的妹妹住在汉堡。",
    "狗在沙发上睡觉。",
    "图书馆九点开门。",
    "明天我们坐火车去柏林。",
    "股市周一大幅下跌。",
    "他喜欢在晚上弹吉他。",
]
EN = [
    "My sister lives in Hamburg.",
    "Penguins cannot fly but they swim well.",
    "The dog is sleeping on the sofa.",
    "The library opens at nine o'clock.",
    "Tomorrow we are taking the train to Berlin.",
    "The recipe needs two eggs and some flour.",
    "Volcanoes can be found on every continent.",
]
GOLD = [("zh-1", "en-1"), ("zh-2", "en-3"), ("zh-3", "en-4"), ("zh-4", "en-5")]


def test_best_f1_sweep():
    found = np.array([True, True, False, True, False])
    scores = np.array([1.3, 1.2, 1.1, 1.05, 1.0])
    p, r, f, thr = best_f1(found, scores, n_gold=4)
    assert (p, r, thr) == (0.75, 0.75, 1.05) and f == pytest.approx(0.75)


def test_bucc_task(tmp_path, e5):
    for lang, texts in (("zh", ZH), ("en", EN)):
        (tmp_path / f"zh-en.dev.{lang}").write_text(
            "".join(f"{lang}-{i}\t{t}\n" for i, t in enumerate(texts, 1)), encoding="utf-8"
        )
    (tmp_path / "zh-en.dev.gold").write_text("".join(f"{a}\t{b}\n" for a, b in GOLD))
    result = get_task("bucc").run(e5, tmp_path)
    m = result.metrics
    assert result.primary_metric == "f1" and m["f1"] == m["ratio_f1"]
    assert m["ratio_f1"] == 1.0 and m["ratio_recall"] == 1.0
    assert m["ratio_threshold"] > 1.0 and 0.5 < m["cosine_threshold"] < 1.0
    assert m["margin_minus_cosine_f1"] == pytest.approx(m["ratio_f1"] - m["cosine_f1"])
    (tmp_path / "zh-en.dev.gold").unlink()
    with pytest.raises(InputError, match="BUCC"):
        get_task("bucc").run(e5, tmp_path)


def _tatoeba(folder, lang, pairs):
    (folder / f"tatoeba.{lang}-eng.{lang}").write_text("".join(p[0] + "\n" for p in pairs), encoding="utf-8")
    (folder / f"tatoeba.{lang}-eng.eng").write_text("".join(p[1] + "\n" for p in pairs), encoding="utf-8")


def _sib(folder, code, texts):
    d = folder / "sib200" / "data" / "annotated" / code
    d.mkdir(parents=True)
    rows = "".join(f"{i}\tscience\t{t}\n" for i, t in enumerate(texts))
    (d / "train.tsv").write_text("index_id\tcategory\ttext\n" + rows, encoding="utf-8")


DEU = [
    ("Ich habe Hunger.", "I am hungry."),
    ("Wo ist der Bahnhof?", "Where is the station?"),
    ("Es regnet seit Stunden.", "It has been raining for hours."),
    ("Das Buch ist rot.", "The book is red."),
]
FRA = [
    ("Le chat dort.", "The cat is sleeping."),
    ("J'aime le thé.", "I like tea."),
    ("Il fait froid.", "It is cold."),
    ("Nous sommes en retard.", "We are late."),
]
NLD = [
    (f"Zin nummer {i} gaat over iets anders.", f"Sentence {i} is about something else.") for i in range(12)
]
NLD += [("Ik heb honger.", "I am hungry!")]  # the English of a German gold pair: never a distractor
SIB_DEU = ["Die Sonne ist ein Stern.", "Vulkane entstehen an Plattengrenzen."]
SIB_NLD = ["De zon is een ster.", "Vulkanen ontstaan aan plaatgrenzen.", "Het heelal is oud."]


@pytest.fixture
def data(tmp_path):
    tatoeba = tmp_path / "tatoeba"
    tatoeba.mkdir()
    for code, pairs in (("deu", DEU), ("fra", FRA), ("nld", NLD)):
        _tatoeba(tatoeba, code, pairs)
    _sib(tmp_path, "deu_Latn", SIB_DEU)
    _sib(tmp_path, "nld_Latn", SIB_NLD)
    _sib(tmp_path, "eng_Latn", ["The sun is a star."])
    return tatoeba


def test_pool_construction(data):
    pools = build_pools(data, ("deu", "fra"), pairs=2, distractors=6)
    deu = pools["deu"]
    assert deu["src"][:2] == ["Ich habe Hunger.", "Wo ist der Bahnhof?"]
    assert deu["tgt"][:2] == ["I am hungry.", "Where is the station?"] and deu["gold"] == {(0, 0), (1, 1)}
    assert len(deu["src"]) == 8 and len(deu["tgt"]) == 8 and deu["own_distractors"] == 4
    assert deu["src"][2:6] == ["Es regnet seit Stunden.", "Das Buch ist rot.", *SIB_DEU]
    assert set(deu["src"][6:]) <= set(SIB_NLD)  # topped up from SIB-200 of other languages, never English
    assert pools["fra"]["tgt"][2:] == deu["tgt"][2:]  # one distractor set shared by every language
    assert set(deu["tgt"][2:]) <= {e for _, e in NLD} - {"I am hungry!"}
    with pytest.raises(InputError, match=r"Only \d+ English distractors"):
        build_pools(data, ("deu", "fra"), pairs=2, distractors=40)
    with pytest.raises(InputError, match="No Tatoeba file for spa"):
        build_pools(data, ("deu", "spa"))
    with pytest.raises(InputError, match="SIB-200 not found"):
        build_pools(data, ("deu",), sib200=data / "nowhere")


def test_pool_task_runs(data, e5):
    result = get_task("mining_pools").run(e5, data, languages=("deu", "fra"), pairs=2, distractors=4)
    assert set(result.per_language) == {"deu", "fra"}
    assert all(row["margin_f1"] == 1.0 for row in result.per_language.values())
    assert result.metrics["f1"] == 1.0 and "default_threshold_f1" in result.metrics


def _sib_split(folder, code, texts, split="test"):
    d = folder / "data" / "annotated" / code
    d.mkdir(parents=True, exist_ok=True)
    rows = "".join(f"{i}\tscience\t{t}\n" for i, t in enumerate(texts))
    (d / f"{split}.tsv").write_text("index_id\tcategory\ttext\n" + rows, encoding="utf-8")


SIB_PAIRS = [
    ("Der Zug nach Berlin fährt um neun Uhr ab.", "The train to Berlin leaves at nine o'clock."),
    ("Meine Schwester wohnt in Hamburg.", "My sister lives in Hamburg."),
    ("Der Hund schläft auf dem Sofa.", "The dog is sleeping on the sofa."),
    ("Die Bibliothek öffnet um acht Uhr.", "The library opens at eight o'clock."),
    ("Pinguine können nicht fliegen.", "Penguins cannot fly."),
    ("Das Rezept braucht zwei Eier.", "The recipe needs two eggs."),
    ("Vulkane gibt es auf jedem Kontinent.", "There are volcanoes on every continent."),
    ("Im Winter fällt hier viel Schnee.", "A lot of snow falls here in winter."),
    ("Der Bäcker backt frisches Brot.", "The baker bakes fresh bread."),
    ("Das Museum ist montags geschlossen.", "The museum is closed on Mondays."),
    ("Wir trinken morgens Kaffee.", "We drink coffee in the morning."),
    ("Die Katze jagt eine Maus.", "The cat is chasing a mouse."),
    ("Der Fluss ist sehr breit.", "The river is very wide."),
    ("Er spielt abends Gitarre.", "He plays the guitar in the evening."),
    ("Die Kinder bauen eine Sandburg.", "The children are building a sandcastle."),
    ("Das Konzert beginnt um acht.", "The concert starts at eight."),
    ("Sie hat ein neues Fahrrad gekauft.", "She bought a new bicycle."),
    ("Unsere Lehrerin kommt aus Spanien.", "Our teacher comes from Spain."),
    ("Der Himmel ist heute grau.", "The sky is grey today."),
    ("Die Brücke wurde 1890 gebaut.", "The bridge was built in 1890."),
    ("Ärzte empfehlen mehr Bewegung.", "Doctors recommend more exercise."),
    ("Der Laden schließt früh.", "The shop closes early."),
    ("Wir haben den Bus verpasst.", "We missed the bus."),
    ("Das Wasser ist zu kalt zum Schwimmen.", "The water is too cold for swimming."),
    ("Die Wahl findet im Mai statt.", "The election takes place in May."),
    ("Bienen machen Honig.", "Bees make honey."),
    ("Der Garten ist voller Blumen.", "The garden is full of flowers."),
    ("Mein Bruder lernt Japanisch.", "My brother is learning Japanese."),
    ("Die Suppe ist zu salzig.", "The soup is too salty."),
    ("Der Flughafen liegt weit draußen.", "The airport is far out of town."),
]


def test_sib_pools_task_runs(tmp_path, e5):
    """SIB-200-shaped data: the pools mine calibrate builds, F1 at the best, shared and default cuts."""
    from interlingua.evaluate.tasks.mining_pools import build_sib_pools

    _sib_split(tmp_path, "deu_Latn", [d for d, _ in SIB_PAIRS])
    _sib_split(tmp_path, "eng_Latn", [e for _, e in SIB_PAIRS])
    pools = build_sib_pools(tmp_path, ("deu",), split="test")
    assert len(pools["deu_Latn"].gold) == 10 and len(pools["deu_Latn"].src) == 20
    result = get_task("mining_pools").run(e5, tmp_path, languages=("deu",))
    m = result.metrics
    assert result.details["construction"] == "sib200" and set(result.per_language) == {"deu_Latn"}
    assert m["f1"] >= m["shared_best_f1"] >= m["default_threshold_f1"] > 0.5
    assert {"distance_f1", "cosine_f1", "cosine_default_threshold_f1"} <= set(m)
    with pytest.raises(InputError, match="at least 10"):
        get_task("mining_pools").run(e5, tmp_path, languages=("deu",), true_share=0.2)
