"""The ``sentence_alignment`` evaluation task on a tiny SIB-200-shaped folder written here."""

from __future__ import annotations

import pytest

from interlingua.errors import InputError
from interlingua.evaluate import get_task
from interlingua.evaluate.tasks.sentence_alignment import alignment_f1, perturb

EN_DE = [
    ("The train to Hamburg leaves at noon.", "Der Zug nach Hamburg fährt um zwölf Uhr ab."),
    (
        "My sister works as a nurse in a large hospital.",
        "Meine Schwester arbeitet als Krankenschwester in einem großen Krankenhaus.",
    ),
    (
        "It rained all weekend, so we stayed at home.",
        "Es hat das ganze Wochenende geregnet, also sind wir zu Hause geblieben.",
    ),
    ("The library lends books, films and music.", "Die Bibliothek verleiht Bücher, Filme und Musik."),
    ("Our neighbours have three dogs and a cat.", "Unsere Nachbarn haben drei Hunde und eine Katze."),
    (
        "The bakery on the corner sells fresh bread every morning.",
        "Die Bäckerei an der Ecke verkauft jeden Morgen frisches Brot.",
    ),
    ("He forgot his umbrella on the bus.", "Er hat seinen Regenschirm im Bus vergessen."),
    (
        "The concert was cancelled because the singer was ill.",
        "Das Konzert wurde abgesagt, weil der Sänger krank war.",
    ),
    ("Mountains cover most of the country.", "Berge bedecken den größten Teil des Landes."),
    ("She learned to swim when she was five.", "Sie hat mit fünf Jahren schwimmen gelernt."),
    ("The shop closes early on Saturdays.", "Das Geschäft schließt samstags früh."),
    ("Farmers harvest the grapes in September.", "Die Bauern ernten die Trauben im September."),
]


@pytest.fixture
def sib(tmp_path):
    for code, col in (("eng_Latn", 0), ("deu_Latn", 1)):
        folder = tmp_path / "data" / "annotated" / code
        folder.mkdir(parents=True)
        rows = "".join(f"{i + 1}\ttravel\t{pair[col]}\n" for i, pair in enumerate(EN_DE))
        (folder / "test.tsv").write_text("index_id\tcategory\ttext\n" + rows, encoding="utf-8")
    return tmp_path


def test_perturbation_is_seeded_and_consistent():
    units = [(f"s{i}", f"t{i}") for i in range(200)]
    src, tgt, gold = perturb(units, p_delete=0.2, p_merge=0.2, seed=5)
    assert perturb(units, p_delete=0.2, p_merge=0.2, seed=5) == (src, tgt, gold)
    kinds = {(len(s), len(t)) for s, t in gold}
    assert kinds == {(1, 1), (1, 0), (0, 1), (2, 1), (1, 2)}
    assert [i for s, _ in gold for i in s] == list(range(len(src)))
    assert [j for _, t in gold for j in t] == list(range(len(tgt)))
    for s, t in gold:
        if len(s) == 2:  # the target holds both source units' translations, joined
            assert tgt[t[0]] == " ".join("t" + src[i][1:] for i in s)


def test_strict_f1_counts():
    gold = [((0,), (0,)), ((1, 2), (1,)), ((3,), ())]
    pred = [((0,), (0,)), ((1,), (1,)), ((2,), ()), ((3,), ())]
    assert alignment_f1(pred, gold) == (2, 4, 3)
    assert alignment_f1(pred, gold, nonnull=True) == (1, 2, 2)


@pytest.mark.slow
def test_task_runs_on_a_small_corpus(e5, sib):
    from interlingua.evaluate._embed import embedding_settings

    with embedding_settings(cache=False):
        result = get_task("sentence_alignment").run(
            e5, sib, languages=["deu_Latn"], docs=2, p_delete=0.15, p_merge=0.15
        )
    assert result.primary_metric == "f1"
    pair = result.per_language["eng_Latn-deu_Latn"]
    assert pair["gold_links"] > 15
    assert pair["f1"] >= 0.85
    assert result.metrics["f1"] == pytest.approx(pair["f1"])
    assert result.config["docs"] == 2


def test_untranslated_runs_are_planted_as_single_unaligned_sentences():
    units = [(f"s{i}", f"t{i}") for i in range(300)]
    src, tgt, gold = perturb(units, p_delete=0.0, p_merge=0.0, p_block=0.02, block_len=5, seed=1)
    alone = [(s, t) for s, t in gold if not s or not t]
    assert alone and all(len(s) + len(t) == 1 for s, t in alone)  # one link per unaligned sentence
    assert len(src) + len(tgt) == 600 - len(alone)
    # without p_block the draws are those of before: the same documents
    assert perturb(units, p_delete=0.1, p_merge=0.1, seed=3) == perturb(
        units, p_delete=0.1, p_merge=0.1, seed=3, p_block=0.0, block_len=7
    )


def test_vecalign_strict_and_lax_scores(tmp_path):
    from interlingua.evaluate.tasks.sentence_alignment import read_vecalign_links, unaligned, vecalign_scores

    path = tmp_path / "gold.defr"
    path.write_text("[0]:[0, 1]\n[1]:[2]\n[]:[3]\n[2]:[4]\n", encoding="utf-8")
    gold = read_vecalign_links(path)
    assert gold == [((0,), (0, 1)), ((1,), (2,)), ((), (3,)), ((2,), (4,))] and unaligned(gold) == 1
    pred = [((0,), (0,)), ((), (1,)), ((1,), (2,)), ((), (3,)), ((2,), (4,))]
    s = vecalign_scores([gold], [pred])
    # precision over 5 predicted links: 3 strict hits; the lax one is 0-[0] (its source 0 is linked to 0)
    assert s["precision_strict"] == pytest.approx(3 / 5) and s["precision_lax"] == pytest.approx(4 / 5)
    # recall over the 3 gold links that are not deletions: 2 strict, 3 lax
    assert s["recall_strict"] == pytest.approx(2 / 3) and s["recall_lax"] == pytest.approx(1.0)
    path.write_text("[0]:[x]\n", encoding="utf-8")
    with pytest.raises(InputError, match="line 1"):
        read_vecalign_links(path)
