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
    "adapters": ["balance", "center", "linear", "lir", "lsar"],
    "embedding-formats": ["npy", "parquet", "jsonl"],
    "encoders": ["e5-small", "e5-small-int8", "e5-static", "use-multilingual"],
    "executors": ["local", "processes", "dask"],
    "fusions": ["weighted", "rrf"],
    "input-formats": ["txt", "tsv", "jsonl", "parquet"],
    "knn-backends": ["exact", "faiss", "hnsw", "ivf", "ivf-blas"],
    "langid": ["fasttext", "py3langid"],
    "margins": ["ratio", "distance", "absolute"],
    "mine-filters": ["noise", "copy", "length", "lang", "duplicate"],
    "segmenters": ["bigram", "icu"],
    "store-backends": ["embedded", "postgres"],
    "tasks": [
        "bucc",
        "fertility",
        "lareqa",
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


def test_an_installed_plugin_is_found_through_its_entry_point(tmp_path, monkeypatch):
    """A third-party distribution adds a margin through ``interlingua.margins``; the registry
    lists it, marked as a plugin, next to the built-in ones."""
    import sys

    from interlingua._registry import installed_entry_points

    (tmp_path / "il_plugin_demo.py").write_text("def half(a, b):\n    return (a + b) / 2\n")
    info = tmp_path / "il_plugin_demo-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: il-plugin-demo\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text("[interlingua.test-plugins]\nhalf = il_plugin_demo:half\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    installed_entry_points.cache_clear()
    reg: Registry = Registry("test-plugins", kind="thing")
    try:
        reg.register("builtin", len)
        entry = reg.entry("half")
        assert entry.obj(1, 3) == 2 and entry.meta == {"plugin": True}
        assert reg.names() == ["builtin", "half"]
    finally:
        REGISTRIES.pop("test-plugins")
        sys.modules.pop("il_plugin_demo", None)
        installed_entry_points.cache_clear()
