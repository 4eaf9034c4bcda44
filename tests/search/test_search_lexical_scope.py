"""Hybrid search where BM25 can match: the lexical run counts for documents in the query's
language (``lexical_scope``), the others keep their dense score on the same scale. With the
real e5-small: an English query's Polish translation ranks first (the old fusion put English
distractors that share words with the query first), BM25 still helps within the query's
language, and ``lexical_scope="all"`` gives the old fusion back."""

from __future__ import annotations

import json

import pytest

from interlingua.errors import InputError
from interlingua.search import (
    Searcher,
    SearchJob,
    SearchOptions,
    fuse,
    lexical_match,
    likely_script,
    same_script,
    scope_language,
    scoped_fuse,
    search,
)
from interlingua.store import Collection

PAIRS = [  # an English query, its Polish translation, an English distractor sharing words
    (
        "The cat sleeps on the warm windowsill.",
        "Kot śpi na ciepłym parapecie.",
        "The dog sleeps on the cold floor of the kitchen.",
    ),
    (
        "I bought fresh bread at the market this morning.",
        "Dziś rano kupiłem świeży chleb na targu.",
        "This morning the market was closed, so I bought nothing.",
    ),
    (
        "The train to Warsaw is twenty minutes late.",
        "Pociąg do Warszawy ma dwadzieścia minut opóźnienia.",
        "The bus to the airport leaves every twenty minutes.",
    ),
    (
        "My brother plays the guitar in a rock band.",
        "Mój brat gra na gitarze w zespole rockowym.",
        "My sister plays the piano, not the guitar.",
    ),
    (
        "It rained all day, so we stayed at home.",
        "Padało cały dzień, więc zostaliśmy w domu.",
        "We stayed at a hotel near the sea all week.",
    ),
    (
        "Please close the window before you leave.",
        "Proszę zamknąć okno przed wyjściem.",
        "Leave the window open when you close the shop.",
    ),
]
# same-language help: short flight notices that share the query's template but not its flight
# number, and one long English note that mentions the number (dense prefers the template)
CODES = ["LO3971", "LO9317", "LO1397", "LO7193", "LO3719", "LO9731", "LO1739", "LO7319"]
CITIES = ["Krakow", "Gdansk", "Poznan", "Wroclaw", "Lodz", "Szczecin", "Lublin", "Katowice"]
NOTE = (
    "Notes for the conference week: the hotel is close to the old town, breakfast starts at seven "
    "and taxis are cheap. We fly out on LO3917 and boarding is at gate 12. Bring a warm coat, "
    "the evenings are cold, and keep the receipts for the travel office."
)


@pytest.fixture(scope="module")
def folder(tmp_path_factory, e5):
    """Polish translations of the queries, English distractors, flight notices in English and Polish."""
    path = tmp_path_factory.mktemp("scope") / "c"
    c = Collection.create(path, encoder=e5)
    docs = []
    for i, (_, pl, distractor) in enumerate(PAIRS):
        docs += [
            {"id": f"pl{i}", "text": pl, "lang": "pl"},
            {"id": f"en{i}", "text": distractor, "lang": "en"},
        ]
    docs += [
        {"id": f"flight{i}", "text": f"Flight {c} to {CITIES[i]} boards at gate {i + 3}.", "lang": "en"}
        for i, c in enumerate(CODES)
    ]
    docs += [
        {"id": f"lot{i}", "text": f"Lot {c} do miasta {CITIES[i]} odlatuje od bramki {i + 3}.", "lang": "pl"}
        for i, c in enumerate(CODES[:3])
    ]
    docs.append({"id": "note", "text": NOTE, "lang": "en"})
    c.add(docs)
    c.close()
    return path


@pytest.fixture(scope="module")
def mixed(folder):
    with Collection.open(folder, readonly=True) as c:
        yield c


@pytest.mark.parametrize("i", range(len(PAIRS)))
def test_an_english_query_finds_its_polish_translation_first(mixed, i):
    query = PAIRS[i][0]
    assert search(mixed, query, mode="dense", k=1).hits[0].id == f"pl{i}"
    r = search(mixed, query, k=5)  # hybrid, lexical_scope="language" by default
    assert r.mode == "hybrid" and r.query_lang == "en"
    top = r.hits[0]
    assert top.id == f"pl{i}"
    assert top.scores["lexical_weight"] == 0.0  # Polish: BM25 does not count, dense alone
    english = next(h for h in r.hits if h.lang == "en")
    assert english.scores["lexical_weight"] == 0.5 and english.retrievers == ("dense", "lexical")
    # the old fusion: the English distractor wins on shared words ("the", "sleeps", "market" ...)
    old = search(mixed, query, k=5, lexical_scope="all")
    assert old.hits[0].id == f"en{i}"
    assert all(h.scores["lexical_weight"] == 0.5 for h in old.hits)


def test_bm25_still_helps_in_the_query_language(mixed):
    query = "boarding gate for LO3917"
    dense = search(mixed, query, mode="dense", k=3)
    assert dense.hits[0].id != "note"  # a short notice with another flight number looks closer
    r = search(mixed, query, k=3)
    assert r.hits[0].id == "note" and r.hits[0].scores["lexical_weight"] == 0.5
    assert r.hits[0].retrievers == ("dense", "lexical")
    dense_only = search(mixed, query, k=3, weights=[1.0, 0.0])
    assert [h.id for h in dense_only.hits] == [h.id for h in dense.hits]
    assert dense_only.hits[0].scores["lexical_weight"] == 0.0


def test_the_script_scope_counts_bm25_for_any_latin_document(mixed):
    # Polish is written in Latin script like English: under "script" the distractor wins again
    r = search(mixed, PAIRS[0][0], k=3, lexical_scope="script")
    assert r.hits[0].id == "en0" and all(h.scores["lexical_weight"] == 0.5 for h in r.hits)
    # a given query language is used as given
    r = search(mixed, PAIRS[0][0], k=3, query_lang="pl")
    assert r.query_lang == "pl" and next(h for h in r.hits if h.id == "pl0").scores["lexical_weight"] == 0.5


def test_scoped_fusion_formulas():
    dense = {1: 0.90, 2: 0.85, 3: 0.80, 4: 0.70}  # 1 and 3 in scope, 2 and 4 outside
    lexical = {3: 30.0, 1: 10.0, 2: 50.0, 5: 20.0, 6: 5.0}  # 5 in scope, 6 outside, found by BM25 only
    in_scope = {1, 3, 5}
    assert scoped_fuse("weighted", dense, lexical, None) == fuse("weighted", [dense, lexical])
    dn = {1: 1.0, 2: 0.75, 3: 0.5, 4: 0.0}
    ln = {3: 1.0, 5: 0.5, 1: 0.0}  # BM25 normalized among the documents in scope: 30, 20, 10
    out = scoped_fuse("weighted", dense, lexical, in_scope, weights=[0.5, 0.5])
    assert set(out) == {1, 2, 3, 4, 5}  # 6: outside, and dense did not find it
    for key in in_scope:
        assert out[key] == pytest.approx(0.5 * dn.get(key, 0.0) + 0.5 * ln[key])
    # outside (the default): the dense score alone, on the same scale, whatever BM25 said
    assert out[2] == pytest.approx(dn[2]) and out[4] == pytest.approx(0.0)
    assert scoped_fuse("weighted", dense, lexical, in_scope, weights=[0.6, 0.2])[2] == pytest.approx(
        0.8 * dn[2]
    )
    # "rank": the lexical part the scoped run gives at the document's dense rank (2nd, 4th)
    by_rank = scoped_fuse("weighted", dense, lexical, in_scope, weights=[0.5, 0.5], impute="rank")
    assert by_rank[2] == pytest.approx(0.5 * dn[2] + 0.5 * 0.5) and by_rank[1] == pytest.approx(out[1])
    assert by_rank[4] == pytest.approx(0.0)  # past the end of the scoped lexical run
    none = scoped_fuse("weighted", dense, lexical, in_scope, weights=[0.5, 0.5], impute="none")
    assert none[2] == pytest.approx(0.5 * dn[2])
    rrf = scoped_fuse("rrf", dense, lexical, in_scope)
    assert rrf[1] == pytest.approx(1 / 61 + 1 / 63) and rrf[3] == pytest.approx(1 / 63 + 1 / 61)
    assert rrf[2] == pytest.approx(2 / 62) and rrf[4] == pytest.approx(2 / 64)  # dense rank, both sides
    assert scoped_fuse("rrf", dense, lexical, in_scope, impute="rank")[4] == pytest.approx(1 / 64)
    with pytest.raises(ValueError, match="impute must be one of"):
        scoped_fuse("weighted", dense, lexical, in_scope, impute="mean")


def test_the_scope_rule():
    assert lexical_match("language", "en", "Latn", "en-GB", "Colour")
    assert not lexical_match("language", "en", "Latn", "pl", "Kot śpi")
    assert lexical_match("language", "zh", "Hans", "zh-Hant", "貓")  # region and script ignored
    assert lexical_match("language", "und", "Latn", "pl", "Kot")  # unknown: the scripts decide
    assert not lexical_match("language", "en", "Latn", "", "猫在睡觉")
    assert lexical_match("script", "en", "Latn", "pl", "Kot śpi")
    assert not lexical_match("script", "en", "Latn", "ru", "Кошка спит")
    assert lexical_match("all", "en", "Latn", "ru", "Кошка спит")
    assert same_script("Hans", "Hant") and same_script("Zyyy", "Cyrl") and not same_script("Jpan", "Hani")
    assert same_script("Hang", "Kore") and likely_script("zh") == "Hans" and likely_script("ja") == "Jpan"


def test_a_detected_language_is_trusted_only_where_it_can_be_right():
    assert scope_language("zh", "Hans", 0.9) == "zh"
    assert scope_language("ja", "Hans", 0.98) == "und"  # Chinese without kana detected as Japanese
    assert scope_language("it", "Latn", 0.29) == "it"  # any score is trusted by default
    assert scope_language("it", "Latn", 0.29, min_score=0.5) == "und"
    assert scope_language("und", "Zyyy", 0.0) == "und"


def test_the_option_round_trips_and_is_checked(mixed):
    o = SearchOptions(lexical_scope="all")
    assert SearchOptions.from_dict(o.to_dict()) == o and o.to_dict()["lexical_scope"] == "all"
    assert SearchOptions().lexical_scope == "language"
    assert o.fingerprint() != SearchOptions().fingerprint()  # it changes what a search returns
    data = SearchJob.apply_overrides({"collection": "c", "query": "q"}, ["search.lexical_scope=script"])
    assert SearchJob.from_dict(data).search.lexical_scope == "script"
    with pytest.raises(InputError, match="'lexical_scope' parameter of search\\(\\) must be one of"):
        search(mixed, "cat", lexical_scope="english")
    s = Searcher(mixed)
    assert s.search(PAIRS[0][0], o, k=1).hits[0].id == "en0"


def test_the_cli_shows_the_rule_and_takes_the_option(cli, folder):
    code, out, _ = cli("search", "--help")
    assert code == 0 and "--lexical-scope" in out and "query's language" in out
    code, out, _ = cli("search", folder, PAIRS[1][0], "--json", "-k", "3")
    hits = json.loads(out)["hits"]
    assert code == 0 and hits[0]["id"] == "pl1" and hits[0]["scores"]["lexical_weight"] == 0.0
    code, out, _ = cli(
        "search", folder, PAIRS[1][0], "--json", "-k", "3", "--set", "search.lexical_scope=all"
    )
    assert code == 0 and json.loads(out)["hits"][0]["id"] == "en1"
    code, out, _ = cli("search", folder, PAIRS[1][0], "-k", "2", "--lexical-scope", "all")
    assert code == 0 and "lw=0.50" in out.splitlines()[1] and out.splitlines()[1].endswith(PAIRS[1][2])
    code, out, _ = cli("search", folder, PAIRS[1][0], "-k", "2")
    assert code == 0 and "lw=0.00 pl" in out.splitlines()[1]
