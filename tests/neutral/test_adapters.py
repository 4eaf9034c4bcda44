"""Adapters fit on real e5-small vectors of a small parallel folder: what each method does to the
vectors, the fallback for unseen languages, the chain checks and the folder's integrity."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pytest
from tests.neutral.parallel_data import PARALLEL, write_sib

from interlingua.errors import AdapterLanguageWarning, InputError, SpaceMismatchError
from interlingua.neutral import (
    FitJob,
    Space,
    SpaceSpec,
    adapter_refs,
    cached_space,
    encode_texts,
    fit,
    load_adapter,
)

LANGS = ("en", "de", "fr", "zh-Hans", "ru")


@pytest.fixture(scope="module")
def fitted(tmp_path_factory):

    root = tmp_path_factory.mktemp("adapters")
    sib = write_sib(root / "sib")
    out = {}
    for method, params in (
        ("center", {}),
        ("lir", {"rank": 2}),
        ("lsar", {"rank": 2}),
        ("linear", {}),
        ("balance", {"rank": 8, "estimate": "fitted"}),
        ("balance_top", {"top_k": 3}),
    ):
        name, method = method, method.split("_")[0]
        report = fit(FitJob(method=method, data=(str(sib),), params=params, output=str(root / name)))
        out[name] = (root / name, report)
    return sib, out


def _raw(texts, langs, role="query"):
    space = cached_space(SpaceSpec())
    return encode_texts(texts, space, role=role, langs=langs)[0]


def _train():
    texts = [t for code in PARALLEL for t in PARALLEL[code]]
    from interlingua.text import canonical_lang

    langs = [canonical_lang(code) for code in PARALLEL for _ in PARALLEL[code]]
    return texts, langs


def test_fit_records_what_it_was_fit_on(fitted):
    _, out = fitted
    folder, report = out["center"]
    meta = json.loads((folder / "adapter.json").read_text())
    assert report.languages == tuple(sorted(LANGS)) == tuple(meta["languages"])
    assert meta["roles"] == ["query", "passage"] and meta["data"]["split"] == "train"
    assert meta["data"]["texts"] == {lang: 10 for lang in sorted(LANGS)}
    assert meta["space"] == Space.of(None).identity and report.identity.startswith("center-")
    assert not any(p.suffix == ".pkl" for p in folder.iterdir())


def test_refitting_the_same_data_gives_the_same_identity(fitted, tmp_path):
    sib, out = fitted
    again = fit(FitJob(method="center", data=(str(sib),), output=str(tmp_path / "c")))
    assert again.identity == out["center"][1].identity


def test_center_removes_each_language_mean(fitted):
    _, out = fitted
    adapter = load_adapter(out["center"][0])
    texts, langs = _train()
    raw = _raw(texts, langs)
    moved = adapter.apply(raw, role="query", langs=langs)
    for lang in LANGS:
        rows = [i for i, x in enumerate(langs) if x == lang]
        assert np.abs(moved[rows].mean(axis=0)).max() < 1e-5
        assert np.abs(raw[rows].mean(axis=0)).max() > 0.05


def test_centering_makes_translations_nearer_than_same_language_sentences(fitted):
    """The point of it: before centering, a German sentence's nearest English-or-German neighbour
    is often another German sentence; after, its translation wins more often."""
    _, out = fitted
    texts, langs = _train()
    raw = _raw(texts, langs)
    adapted = Space.from_spec(SpaceSpec(adapters=adapter_refs([out["center"][0]]))).apply(
        raw, role="query", langs=langs
    )

    def translation_first(vecs):
        de = [i for i, x in enumerate(langs) if x == "de"]
        en = [i for i, x in enumerate(langs) if x == "en"]
        pool = de + en
        wins = 0
        for k, i in enumerate(de):
            s = vecs[pool] @ vecs[i]
            s[pool.index(i)] = -np.inf
            wins += pool[int(np.argmax(s))] == en[k]
        return wins

    assert translation_first(adapted) >= translation_first(raw)


def test_lir_and_lsar_leave_nothing_along_the_removed_directions(fitted):
    _, out = fitted
    texts, langs = _train()
    raw = _raw(texts, langs)
    lsar = load_adapter(out["lsar"][0])
    d = lsar.state["query/*/directions"]
    assert d.shape == (2, 384)
    assert np.abs(lsar.apply(raw, role="query", langs=None) @ d.T).max() < 1e-5
    lir = load_adapter(out["lir"][0])
    moved = lir.apply(raw, role="query", langs=langs)
    de = [i for i, x in enumerate(langs) if x == "de"]
    assert np.abs(moved[de] @ lir.state["query/de/directions"].T).max() < 1e-5


def test_linear_maps_onto_the_pivot_with_orthogonal_maps(fitted):
    _, out = fitted
    adapter = load_adapter(out["linear"][0])
    w = adapter.state["query/de/map"]
    assert np.allclose(w @ w.T, np.eye(384), atol=1e-4)
    assert "query/en/map" not in adapter.state  # the pivot is not mapped
    de = _raw(PARALLEL["deu_Latn"], ["de"] * 10)
    en = _raw(PARALLEL["eng_Latn"], ["en"] * 10)
    mapped = adapter.apply(de, role="query", langs=["de"] * 10)
    assert np.linalg.norm(mapped - en) < np.linalg.norm(de - en)


def test_balance_leaves_vectors_and_standardizes_scores_per_language(fitted):
    _, out = fitted
    space = Space.from_spec(SpaceSpec(adapters=adapter_refs([out["balance"][0]])))
    assert space.balances_scores and not space.needs_langs
    texts, langs = _train()
    raw = _raw(texts, langs, role="passage")
    assert np.array_equal(space.apply(raw, role="passage", langs=langs), raw)
    queries = _raw(["Where is the station?", "Wo ist der Bahnhof?"], ["en", "de"])
    z = space.balance_scores(queries @ raw.T, queries, langs)
    for lang in LANGS:
        cols = [j for j, x in enumerate(langs) if x == lang]
        assert np.abs(z[:, cols].mean(axis=1)).max() < 0.5  # about 0 on the data it was fit on
    assert np.array_equal(Space.of(None).balance_scores(queries @ raw.T, queries, langs), queries @ raw.T)


def test_top_balance_standardizes_each_languages_head(fitted):
    """The default estimate: each language's scores by the mean and spread of its own top_k."""
    _, out = fitted
    space = Space.from_spec(SpaceSpec(adapters=adapter_refs([out["balance_top"][0]])))
    texts, langs = _train()
    docs = _raw(texts, langs, role="passage")
    queries = _raw(["Where is the station?", "Wo ist der Bahnhof?"], ["en", "de"])
    z = space.balance_scores(queries @ docs.T, queries, langs)
    for lang in LANGS:
        cols = [j for j, x in enumerate(langs) if x == lang]
        head = -np.sort(-z[:, cols], axis=1)[:, :3]
        assert np.allclose(head.mean(axis=1), 0, atol=1e-4) and np.allclose(head.std(axis=1), 1, atol=1e-3)
    few = space.balance_scores(queries @ docs[:2].T, queries, langs[:2])  # fewer than top_k: fitted stats
    assert np.isfinite(few).all()
    ids = {out["balance"][1].identity, out["balance_top"][1].identity}
    assert len(ids) == 2  # the parameters are part of the identity


def test_an_unseen_language_takes_the_fallback_with_one_warning(fitted):
    _, out = fitted
    adapter = load_adapter(out["center"][0])
    vec = _raw(["Il treno parte alle otto."] * 3, ["it"] * 3)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        moved = adapter.apply(vec, role="query", langs=["it", "it", "it"])
        adapter.apply(vec, role="query", langs=["it"] * 3)
    messages = [str(w.message) for w in caught if issubclass(w.category, AdapterLanguageWarning)]
    assert len(messages) == 1 and "'it'" in messages[0] and "mean of the languages' means" in messages[0]
    assert np.allclose(moved, vec - adapter.state["query/*/mean"], atol=1e-6)


def test_a_tag_in_another_form_finds_its_language(fitted):
    _, out = fitted
    adapter = load_adapter(out["center"][0])
    assert adapter.resolve_lang("zh") == "zh-Hans"
    assert adapter.resolve_lang("deu") == "de"


def test_a_chain_is_checked_link_by_link(fitted, tmp_path):
    sib, out = fitted
    with pytest.raises(SpaceMismatchError, match="fit it again in this space"):
        Space.from_spec(SpaceSpec(adapters=adapter_refs([out["center"][0], out["balance"][0]])))
    fit(
        FitJob(method="balance", data=(str(sib),), after=(str(out["center"][0]),), output=str(tmp_path / "b"))
    )
    chain = Space.from_spec(SpaceSpec(adapters=adapter_refs([out["center"][0], tmp_path / "b"])))
    assert chain.identity.count("+") == 2
    with pytest.raises(SpaceMismatchError):
        Space.from_spec(SpaceSpec(encoder="e5-small-int8", adapters=adapter_refs([out["center"][0]])))


def test_a_changed_state_file_is_refused(fitted, tmp_path):
    import shutil

    folder = tmp_path / "c"
    shutil.copytree(fitted[1]["center"][0], folder)
    with np.load(folder / "state.npz") as npz:
        state = {k: npz[k] for k in npz.files}
    state["query/de/mean"] = state["query/de/mean"] + 1
    np.savez(folder / "state.npz", **state)
    with pytest.raises(InputError, match="checksum"):
        load_adapter(folder)


def test_a_pickled_state_file_is_not_loaded(fitted, tmp_path):
    import shutil

    folder = tmp_path / "c"
    shutil.copytree(fitted[1]["center"][0], folder)
    np.savez(folder / "state.npz", **{"query/de/mean": np.array([object()], dtype=object)})
    with pytest.raises(InputError):
        load_adapter(folder)


def test_linear_needs_parallel_text(tmp_path):
    mono = tmp_path / "mono.jsonl"
    mono.write_text(
        "".join(json.dumps({"text": t, "lang": "de"}) + "\n" for t in PARALLEL["deu_Latn"])
        + "".join(json.dumps({"text": t, "lang": "en"}) + "\n" for t in PARALLEL["eng_Latn"]),
        encoding="utf-8",
    )
    with pytest.raises(InputError, match="needs parallel text"):
        fit(FitJob(method="linear", data=(str(mono),), output=str(tmp_path / "l")))
    report = fit(FitJob(method="center", data=(str(mono),), roles=("query",), output=str(tmp_path / "c")))
    assert report.languages == ("de", "en") and report.roles == ("query",)


def test_a_pairs_file_fits_linear(tmp_path):
    pairs = tmp_path / "pairs.tsv"
    pairs.write_text(
        "src\ttgt\n" + "".join(f"{a}\t{b}\n" for a, b in zip(PARALLEL["deu_Latn"], PARALLEL["eng_Latn"])),
        encoding="utf-8",
    )
    report = fit(FitJob(method="linear", data=(str(pairs),), langs=("de", "en"), output=str(tmp_path / "l")))
    assert report.languages == ("de", "en")
    with pytest.raises(InputError, match="two languages"):
        fit(FitJob(method="linear", data=(str(pairs),), kind="parallel", output=str(tmp_path / "l2")))


def test_a_bad_pairs_file_is_one_error_naming_the_line(tmp_path):
    jsonl = tmp_path / "pairs.jsonl"
    jsonl.write_text('{"src": "Hallo", "tgt": "Hello"}\n{"src": "Tschüss", \n', encoding="utf-8")
    with pytest.raises(InputError, match="line 2: is not valid JSON"):
        fit(FitJob(method="center", data=(str(jsonl),), langs=("de", "en"), output=str(tmp_path / "a")))
    tsv = tmp_path / "pairs.tsv"
    tsv.write_bytes(b"src\ttgt\nHallo\tHello\nnur eine Spalte\n")
    with pytest.raises(InputError, match="line 3: has 1 columns where the header has 2"):
        fit(FitJob(method="center", data=(str(tsv),), langs=("de", "en"), output=str(tmp_path / "b")))
    tsv.write_bytes(b"Hallo\tHello\n\xff\xfe\tbad\n")
    with pytest.raises(InputError, match="not UTF-8"):
        fit(
            FitJob(
                method="center",
                data=(str(tsv),),
                langs=("de", "en"),
                kind="parallel",
                output=str(tmp_path / "c"),
            )
        )
