"""What every hardening case asserts, and the good inputs it damages.

A case runs one command in-process on bad input or a damaged collection and checks: a non-zero
exit, exactly one ``error:`` line, no traceback, nothing on stdout, and every file that existed
before byte-identical afterwards (or, for a collection that may legitimately be repaired, passing
``index check``).
"""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pytest

DE = [
    "Der Hund schläft auf dem Sofa.",
    "Ich trinke jeden Morgen einen Kaffee.",
    "Meine Schwester lebt in Hamburg.",
]
EN = [
    "The dog is sleeping on the sofa.",
    "I drink a coffee every morning.",
    "My sister lives in Hamburg.",
    "Penguins cannot fly.",
]
DOCS = [
    {"id": f"d{i}", "text": t, "lang": "de" if i < 3 else "en", "meta": {"year": 2020 + i}}
    for i, t in enumerate(DE + EN)
]


def tree_digest(root: Path) -> dict[str, str]:
    """Every file under ``root`` (links not followed) and a hash of its bytes."""
    out = {}
    for p in sorted(root.rglob("*")):
        if p.is_symlink():
            out[str(p.relative_to(root))] = "link:" + str(p.readlink())
        elif p.is_file():
            out[str(p.relative_to(root))] = hashlib.blake2b(p.read_bytes(), digest_size=12).hexdigest()
    return out


#: files SQLite makes beside a catalog when a reader opens it (its write-ahead log and shared memory)
SQLITE_SIDE = ("catalog.sqlite-wal", "catalog.sqlite-shm")


def assert_unchanged(before: dict[str, str], after: dict[str, str]) -> None:
    """Every file that existed is byte-identical; the only new files are SQLite's reader files."""
    changed = {k for k in before if after.get(k) != before[k]}
    assert not changed, f"changed or removed: {sorted(changed)}"
    new = {k for k in after if k not in before and not k.endswith(SQLITE_SIDE)}
    assert not new, f"new files: {sorted(new)}"


@pytest.fixture(scope="session")
def good_collection(tmp_path_factory):
    """A small, whole collection (real e5-small vectors), copied by each test that damages it."""
    from interlingua.store import Collection

    path = tmp_path_factory.mktemp("good") / "coll"
    with Collection.create(path, encoder="e5-small") as col:
        col.add(DOCS)
    return path


@pytest.fixture
def collection(good_collection, tmp_path):
    path = tmp_path / "coll"
    shutil.copytree(good_collection, path)
    return path


@pytest.fixture
def workspace(tmp_path):
    """Good inputs in every format, and a victim folder outside that nothing may touch."""
    (tmp_path / "de.txt").write_text("\n".join(DE) + "\n", encoding="utf-8")
    (tmp_path / "en.txt").write_text("\n".join(EN) + "\n", encoding="utf-8")
    (tmp_path / "docs.jsonl").write_text(
        "".join(json.dumps(d, ensure_ascii=False) + "\n" for d in DOCS), "utf-8"
    )
    (tmp_path / "docs.tsv").write_text(
        "id\ttext\n" + "".join(f"{d['id']}\t{d['text']}\n" for d in DOCS), "utf-8"
    )
    victim = tmp_path / "victim"
    victim.mkdir()
    (victim / "precious.txt").write_text("do not touch\n", encoding="utf-8")
    (victim / "lexical-9").mkdir()
    (victim / "lexical-9" / "meta.json").write_text("{}", encoding="utf-8")
    return tmp_path
