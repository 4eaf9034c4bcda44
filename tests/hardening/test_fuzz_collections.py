"""Damaged and crafted collections against every command that opens one: one error line naming the
file and what to do; nothing outside the collection read, written or deleted; the collection's own
files unchanged. Then the recoverable cases: a lost index is rebuilt from the catalog."""

from __future__ import annotations

import json
import os
import sqlite3

import pytest
from tests.helpers import assert_one_error

from .conftest import assert_unchanged, tree_digest


def _sql(coll, *statements):
    db = sqlite3.connect(coll / "catalog.sqlite")
    for s in statements:
        db.execute(s)
    db.commit()
    db.close()


def _state(coll, name, value):
    _sql(coll, f"INSERT OR REPLACE INTO state(name, value) VALUES ('{name}', '{json.dumps(value)}')")


def _manifest(coll, edit):
    path = coll / "manifest.json"
    data = json.loads(path.read_text())
    edit(data)
    path.write_text(json.dumps(data))


def _overwrite(path, offset, data):
    with open(path, "r+b") as fh:
        fh.seek(offset)
        fh.write(data)


def _lexical_dir(coll):
    return next(p for p in coll.iterdir() if p.name.startswith("lexical-"))


DAMAGE = {
    # the manifest
    "manifest-truncated": (
        lambda c, v: (c / "manifest.json").write_bytes((c / "manifest.json").read_bytes()[:40]),
        "manifest.json",
        "truncated",
    ),
    "manifest-array": (
        lambda c, v: (c / "manifest.json").write_text("[1, 2, 3]"),
        "manifest.json",
        "JSON list",
    ),
    "manifest-not-utf8": (
        lambda c, v: (c / "manifest.json").write_bytes(b'{"x": "\xff\xfe"}'),
        "manifest.json",
        "UTF-8",
    ),
    "manifest-dim-string": (
        lambda c, v: _manifest(c, lambda d: d.update(dim="384")),
        "manifest.json",
        "'dim'",
    ),
    "manifest-dim-bool": (lambda c, v: _manifest(c, lambda d: d.update(dim=True)), "manifest.json", "'dim'"),
    "manifest-no-encoder": (
        lambda c, v: _manifest(c, lambda d: d.pop("encoder")),
        "manifest.json",
        "'encoder'",
    ),
    "manifest-dense-type": (
        lambda c, v: _manifest(c, lambda d: d["dense"].update(factory=7)),
        "manifest.json",
        "dense.factory",
    ),
    "manifest-version": (
        lambda c, v: _manifest(c, lambda d: d.update(format_version=99)),
        "manifest.json",
        "version 99",
    ),
    "manifest-format": (
        lambda c, v: _manifest(c, lambda d: d.update(format="other")),
        "manifest.json",
        "not an interlingua",
    ),
    "manifest-folder": (
        lambda c, v: ((c / "manifest.json").unlink(), (c / "manifest.json").mkdir()),
        "manifest.json",
        "folder",
    ),
    "manifest-huge": (
        lambda c, v: (c / "manifest.json").write_bytes(b" " * 2_000_000 + b"{}"),
        "manifest.json",
        "larger",
    ),
    "manifest-link-out": (
        lambda c, v: ((c / "manifest.json").unlink(), (c / "manifest.json").symlink_to(v / "precious.txt")),
        "manifest.json",
        "outside the collection",
    ),
    # the catalog
    "catalog-zeroed": (
        lambda c, v: (c / "catalog.sqlite").write_bytes(b"\x00" * 8192),
        "catalog.sqlite",
        "damaged",
    ),
    "catalog-random": (
        lambda c, v: (c / "catalog.sqlite").write_bytes(os.urandom(20000)),
        "catalog.sqlite",
        "damaged",
    ),
    "catalog-pages": (
        lambda c, v: _overwrite(c / "catalog.sqlite", 4096, b"\xa5" * 12288),
        "catalog.sqlite",
        "damaged",
    ),
    "catalog-missing": (lambda c, v: (c / "catalog.sqlite").unlink(), "catalog.sqlite", "missing"),
    "catalog-folder": (
        lambda c, v: ((c / "catalog.sqlite").unlink(), (c / "catalog.sqlite").mkdir()),
        "catalog.sqlite",
        "not a file",
    ),
    "catalog-no-docs-table": (lambda c, v: _sql(c, "DROP TABLE docs"), "catalog.sqlite", "docs"),
    "catalog-link-out": (
        lambda c, v: ((c / "catalog.sqlite").unlink(), (c / "catalog.sqlite").symlink_to(v / "precious.txt")),
        "catalog.sqlite",
        "outside the collection",
    ),
    # crafted state: names that leave the folder
    "state-lexical-dotdot": (
        lambda c, v: _state(c, "lexical_dir", "../victim/lexical-9"),
        "lexical_dir",
        "not a file name",
    ),
    "state-lexical-absolute": (
        lambda c, v: _state(c, "lexical_dir", str(v / "lexical-9")),
        "lexical_dir",
        "not a file name",
    ),
    "state-dense-dotdot": (
        lambda c, v: _state(c, "dense_file", "../victim/precious.txt"),
        "dense_file",
        "not a file name",
    ),
    "state-dense-absolute": (
        lambda c, v: _state(c, "dense_file", "/etc/passwd"),
        "dense_file",
        "not a file name",
    ),
    "state-dense-kind": (
        lambda c, v: _state(c, "dense_kind", "rm -rf /"),
        "dense_kind",
        "not a faiss factory",
    ),
    "state-seq-text": (lambda c, v: _state(c, "lexical_seq", "many"), "lexical_seq", "not a change number"),
    "state-not-json": (
        lambda c, v: _sql(c, "UPDATE state SET value='{{{' WHERE name='lexical_dir'"),
        "lexical_dir",
        "not JSON",
    ),
    "lexical-link-out": (
        lambda c, v: (
            os.rename(_lexical_dir(c), c / "moved"),
            (c / "lexical-0").symlink_to(v / "lexical-9", target_is_directory=True),
            _state(c, "lexical_dir", "lexical-0"),
        ),
        "lexical_dir",
        "outside the collection",
    ),
    "dense-link-out": (
        lambda c, v: (
            os.replace(next(c.glob("dense-*.faiss")), c / "moved.faiss"),
            (c / "dense-1.faiss").symlink_to(v / "precious.txt"),
            _state(c, "dense_file", "dense-1.faiss"),
        ),
        "dense_file",
        "outside the collection",
    ),
    # the writer lock
    "lock-folder": (
        lambda c, v: ((c / "write.lock").unlink(missing_ok=True), (c / "write.lock").mkdir()),
        "write.lock",
        "not a plain file",
    ),
    "lock-link-out": (
        lambda c, v: (
            (c / "write.lock").unlink(missing_ok=True),
            (c / "write.lock").symlink_to(v / "precious.txt"),
        ),
        "write.lock",
        "outside the collection",
    ),
    # documents
    "meta-not-json": (lambda c, v: _sql(c, "UPDATE docs SET meta='not json'"), "catalog.sqlite", "metadata"),
    "vector-wrong-size": (
        lambda c, v: _sql(c, "UPDATE docs SET vector=x'00000000'"),
        "catalog.sqlite",
        "dimension",
    ),
}
READERS = {"search": ["search", "{c}", "Katze", "--mode", "dense"], "info": ["index", "info", "{c}"]}
WRITERS = {
    "add": ["index", "add", "{c}", "{ws}/de.txt", "-q"],
    "check": ["index", "check", "{c}"],
    "rebuild": ["index", "check", "{c}", "--rebuild"],
    "delete": ["index", "delete", "{c}", "d1"],
}
# what a reader never needs to open (it takes no lock; lexical search is not asked for; documents not read)
NOT_FOR = {
    "search": {"lock-folder", "lock-link-out", "lexical-link-out", "vector-wrong-size"},
    "info": {"lock-folder", "lock-link-out", "meta-not-json", "vector-wrong-size"},
    "delete": {"vector-wrong-size", "meta-not-json"},
    "add": {"meta-not-json", "vector-wrong-size"},
}


@pytest.mark.parametrize(
    "damage, command",
    [(d, c) for c in [*READERS, *WRITERS] for d in DAMAGE if d not in NOT_FOR.get(c, ())],
)
def test_damaged_collection_is_one_error_line_and_nothing_outside_is_touched(
    cli, workspace, collection, damage, command
):
    make, where, fragment = DAMAGE[damage]
    victim = workspace / "victim"
    make(collection, victim)
    before, victim_before = tree_digest(collection), tree_digest(victim)
    argv = [a.format(c=collection, ws=workspace) for a in {**READERS, **WRITERS}[command]]
    code, out, err = cli(*argv)
    line = assert_one_error(code, out, err, fragment)
    assert where in line
    assert tree_digest(victim) == victim_before  # nothing outside read-modified, written or deleted
    assert_unchanged(before, tree_digest(collection))


@pytest.mark.parametrize("damage", ["dense-missing", "dense-truncated", "lexical-missing", "lexical-garbage"])
def test_a_lost_index_is_rebuilt_from_the_catalog(cli, collection, damage):
    dense = next(collection.glob("dense-*.faiss"))
    lexical = _lexical_dir(collection)
    {
        "dense-missing": lambda: dense.unlink(),
        "dense-truncated": lambda: dense.write_bytes(dense.read_bytes()[:64]),
        "lexical-missing": lambda: [p.unlink() for p in lexical.iterdir() if p.suffix == ".term"],
        "lexical-garbage": lambda: (lexical / "meta.json").write_text("garbage"),
    }[damage]()
    code, out, err = cli("index", "check", collection)
    assert code == 0 and "rebuilt from the catalog" in err and out.strip().endswith("7 documents: ok"), err
    code, out, _ = cli("search", collection, "Schwester", "--mode", "lexical", "-k", "1")
    assert code == 0 and "d2" in out


def test_rebuild_keeps_an_index_that_holds_documents_the_catalog_lacks(cli, collection):
    """A catalog restored from an old backup must not silently cost the documents the indexes hold."""
    _sql(collection, "DELETE FROM docs WHERE id = 'd6'")  # behind the change log's back
    before = tree_digest(collection)
    code, out, err = cli("index", "check", collection, "--rebuild")
    assert_one_error(code, out, err, "holds 1 document(s) the catalog lacks", "--force")
    assert_unchanged(before, tree_digest(collection))
    code, out, err = cli("index", "check", collection, "--rebuild", "--force")
    assert code == 0 and out.strip().endswith("6 documents: ok"), err


def test_a_failed_add_says_what_was_committed_and_how_to_resume(cli, workspace, collection):
    docs = workspace / "more.jsonl"
    rows = [{"id": f"n{i}", "text": f"Neuer Satz Nummer {i}."} for i in range(25)]
    lines = [json.dumps(r) for r in rows]
    lines.insert(22, '{"id": "bad", "text": ')  # line 23 is broken
    docs.write_text("\n".join(lines) + "\n")
    code, out, err = cli("index", "add", collection, docs, "--batch-size", "10", "-q")
    line = assert_one_error(
        code, out, err, "committing 20 document(s)", "--skip-existing", "more.jsonl, line 23"
    )
    assert code == 7
    docs.write_text("\n".join(json.dumps(r) for r in rows) + "\n")  # fixed
    code, out, err = cli("index", "add", collection, docs, "--skip-existing", "--json")
    assert code == 0 and json.loads(out)["added"] == 5 and json.loads(out)["skipped"] == 20, line
    assert cli("index", "check", collection)[0] == 0


def test_a_batch_either_index_cannot_take_is_not_committed(collection):
    import numpy as np

    from interlingua.errors import InputError
    from interlingua.store import open_collection

    with open_collection(collection) as col:
        n = len(col)
        with pytest.raises(InputError, match="NaN or infinity"):
            col.add(
                [{"id": "x", "text": "x"}],
                vectors=np.full((1, 384), np.inf, np.float32),
                identity=col.space.identity,
            )
        with pytest.raises(InputError, match="lone surrogate"):
            col.add([{"id": "y", "text": "bad \ud800"}])
        assert len(col) == n and col.check().ok
