"""One Registry class for every named part: a snapshot of what is registered, and one message for a
miss, generated from the registry."""

from __future__ import annotations

import pytest

import interlingua.embed  # noqa: F401  (every stage registers its parts on import)
import interlingua.evaluate  # noqa: F401
import interlingua.mine  # noqa: F401
import interlingua.search  # noqa: F401
import interlingua.store  # noqa: F401
from interlingua._registry import REGISTRIES, Registry
from interlingua.errors import UnknownNameError

SNAPSHOT = {
    "adapters": [],
    "embedding-formats": ["npy", "parquet", "jsonl"],
    "encoders": ["e5-small", "e5-small-int8", "use-multilingual"],
    "executors": ["local", "processes"],
    "fusions": ["weighted", "rrf"],
    "input-formats": ["txt", "tsv", "jsonl", "parquet"],
    "knn-backends": ["exact", "faiss", "hnsw", "ivf"],
    "langid": ["fasttext", "py3langid"],
    "margins": ["ratio", "distance", "absolute"],
    "mine-filters": ["noise", "copy", "length", "lang", "duplicate"],
    "segmenters": ["bigram", "icu"],
    "store-backends": ["embedded"],
    "tasks": [
        "bucc",
        "fertility",
        "mexa",
        "mining_pools",
        "neutrality",
        "retrieval",
        "sentence_alignment",
        "sib200",
        "sts",
        "tatoeba",
        "xquad",
    ],
}


def test_snapshot_of_what_is_registered():
    got = {group: reg.names() for group, reg in REGISTRIES.items()}
    assert {k: sorted(v) for k, v in got.items()} == {k: sorted(v) for k, v in SNAPSHOT.items()}


@pytest.mark.parametrize("group", sorted(SNAPSHOT))
def test_a_miss_lists_the_known_names(group):
    reg = REGISTRIES[group]
    with pytest.raises(UnknownNameError) as info:
        reg.get("no-such-thing")
    message = str(info.value)
    assert message.startswith(f"Unknown {reg.kind} 'no-such-thing'; known: ")
    for name in reg.names():
        assert name in message


def test_register_refuses_a_second_entry_and_works_as_a_decorator():
    reg: Registry = Registry("test-only", kind="thing")
    try:

        @reg.register("a", description="first")
        def a():
            return 1

        reg.register("none", None)  # None is a value like any other
        assert reg.get("a") is a and reg.get("none") is None and reg.names() == ["a", "none"]
        with pytest.raises(ValueError, match="already registered"):
            reg.register("a", a)
    finally:
        REGISTRIES.pop("test-only")
