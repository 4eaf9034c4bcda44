"""A collection whose space ends in ``balance``: dense candidates are taken per document language
and ranked by their z-score within it, so the best of each language comes first."""

from __future__ import annotations

import numpy as np
import pytest
from tests.neutral.parallel_data import PARALLEL

from interlingua.neutral import FitJob, SpaceSpec, adapter_refs, fit
from interlingua.search import search
from interlingua.store import Collection, IndexSpec
from interlingua.text import canonical_lang


@pytest.fixture(scope="module")
def collection(tmp_path_factory):
    from tests.neutral.parallel_data import write_sib

    root = tmp_path_factory.mktemp("balance")
    sib = write_sib(root / "sib")
    fit(FitJob(method="center", data=(str(sib),), output=str(root / "center")))
    fit(
        FitJob(
            method="balance",
            data=(str(sib),),
            params={"top_k": 3},
            after=(str(root / "center"),),
            output=str(root / "balance"),
        )
    )
    spec = IndexSpec(
        uri=str(root / "col"), space=SpaceSpec(adapters=adapter_refs([root / "center", root / "balance"]))
    )
    col = Collection.create(spec)
    docs = [
        {"id": f"{code}:{i}", "text": t, "lang": canonical_lang(code)}
        for code, sentences in PARALLEL.items()
        for i, t in enumerate(sentences)
    ]
    col.add(docs)
    yield col
    col.close()


def test_the_best_of_each_language_comes_first(collection):
    result = search(
        collection, "When does the train leave in the morning?", mode="dense", k=5, query_lang="en"
    )
    assert len({h.lang for h in result.hits}) == 5
    assert {h.id.split(":")[1] for h in result.hits} == {"0"}  # the train sentence, in every language


def test_dense_scores_are_z_scores_of_each_languages_head(collection):
    q = "Please switch the light off."
    result = search(collection, q, mode="dense", k=50, query_lang="en", depth=10)
    qv = collection.space.encode([q], role="query", langs=["en"])[0]
    for lang in {h.lang for h in result.hits}:
        keys = [h for h in result.hits if h.lang == lang]
        docs = collection.space.encode([h.text for h in keys], role="passage", langs=[lang] * len(keys))
        cos = docs @ qv
        head = np.sort(cos)[::-1][:3]
        expected = (cos - head.mean()) / head.std()
        assert np.allclose([h.scores["dense"] for h in keys], expected, atol=1e-3)
