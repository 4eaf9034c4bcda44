"""The shipped demo file loads and covers every topic in every language; io stays a low stage."""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

from interlingua.io import count_records, demo_path, read_records


def _records() -> list:
    return list(read_records(demo_path(), id_field="id", lang_field="lang"))


def test_demo_path_is_a_shipped_file() -> None:
    path = demo_path()
    assert isinstance(path, Path) and path.is_file() and path.name == "demo.jsonl"
    raw = path.read_bytes()
    assert not raw.startswith(b"\xef\xbb\xbf")
    for line in raw.decode("utf-8").splitlines():
        assert set(json.loads(line)) == {"id", "group", "lang", "kind", "text"}


def test_demo_covers_every_group_in_every_language() -> None:
    records = _records()
    passages = [r for r in records if r.meta["kind"] == "passage"]
    langs = {r.lang for r in passages}
    groups = {r.meta["group"] for r in passages}
    assert len(langs) >= 12 and len(groups) >= 8
    assert {(r.meta["group"], r.lang) for r in passages} == {(g, lang) for g in groups for lang in langs}
    assert len(passages) == len(groups) * len(langs)
    assert all(r.id == f"{r.meta['group']}-{r.lang}" for r in passages)
    assert count_records(demo_path()) == len(records)


def test_demo_has_one_query_per_group_in_rotating_languages() -> None:
    records = _records()
    queries = [r for r in records if r.meta["kind"] == "query"]
    groups = {r.meta["group"] for r in records if r.meta["kind"] == "passage"}
    assert Counter(r.meta["group"] for r in queries) == Counter({g: 1 for g in groups})
    assert len({r.lang for r in queries}) == len(queries)  # each in a different language
    assert {r.meta["kind"] for r in records} == {"passage", "query"}


def test_demo_english_passages_are_short_distinct_sentences() -> None:
    english = [r.text for r in _records() if r.lang == "en" and r.meta["kind"] == "passage"]
    assert len(set(english)) == len(english)
    assert all(10 <= len(text.split()) <= 20 for text in english), english


def test_io_does_not_import_higher_stages() -> None:
    code = (
        "import sys, interlingua.io\n"
        "bad = [m for m in sys.modules if m.startswith(('interlingua.encoders', 'interlingua.cli'))]\n"
        "assert not bad, bad\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
