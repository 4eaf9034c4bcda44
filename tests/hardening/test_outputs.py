"""No command ever writes over its own input: the output is refused, before anything is read, when it
is one of the inputs by any path (relative, absolute, a symlink, a hard link) or when a sidecar it
writes would land on one."""

from __future__ import annotations

import os

import pytest
from tests.helpers import assert_one_error

from .conftest import assert_unchanged, tree_digest


def _alias(ws, target, how):
    if how == "same":
        return target
    if how == "relative":
        return os.path.relpath(target, os.getcwd())
    if how == "dotted":
        return target.parent / "." / ".." / target.parent.name / target.name
    link = ws / f"alias-{how}{target.suffix}"
    if how == "symlink":
        link.symlink_to(target)
    else:
        os.link(target, link)
    return link


ALIASES = ["same", "relative", "dotted", "symlink", "hardlink"]


def _runs(ws, coll):
    """command -> (argv with {OUT}, the input that {OUT} names)."""
    tsv = ws / "pairs.tsv"
    tsv.write_text("text\nHallo Welt\nGuten Tag\n", encoding="utf-8")
    jsonl = ws / "docs.jsonl"
    trec = ws / "queries.trec"
    trec.write_text("Wo wohnt sie?\n", encoding="utf-8")
    return {
        "embed-jsonl": (["embed", jsonl, "-o", "{OUT}", "-q"], jsonl),
        "mine-src": (["mine", tsv, ws / "en.txt", "-o", "{OUT}", "-q"], tsv),
        "mine-tgt": (["mine", ws / "de.txt", tsv, "-o", "{OUT}", "-q"], tsv),
        "align-src": (["align", ws / "de.txt", ws / "en.txt", "-o", "{OUT}", "-q"], ws / "de.txt"),
        "align-tgt": (["align", ws / "de.txt", ws / "en.txt", "-o", "{OUT}", "-q"], ws / "en.txt"),
        "search-queries": (
            ["search", coll, "--queries", trec, "--input-format", "txt", "-o", "{OUT}", "-q"],
            trec,
        ),
    }


@pytest.mark.parametrize("how", ALIASES)
@pytest.mark.parametrize(
    "command", ["embed-jsonl", "mine-src", "mine-tgt", "align-src", "align-tgt", "search-queries"]
)
def test_an_output_that_is_an_input_is_refused(cli, workspace, collection, monkeypatch, command, how):
    monkeypatch.chdir(workspace)
    argv, target = _runs(workspace, collection)[command]
    alias = _alias(workspace, target, how)
    before = tree_digest(workspace)
    code, out, err = cli(*[str(alias) if a == "{OUT}" else a for a in argv])
    assert_one_error(code, out, err, "is the input file", "choose another output")
    assert_unchanged(before, tree_digest(workspace))


def test_an_npy_sidecar_never_lands_on_an_input(cli, workspace):
    ids = workspace / "corpus.ids.txt"
    ids.write_text("Hallo\nWelt\n", encoding="utf-8")
    before = tree_digest(workspace)
    code, out, err = cli("embed", ids, "-o", workspace / "corpus.npy", "-q")
    assert_one_error(code, out, err, "corpus.ids.txt", "is the input file")
    assert_unchanged(before, tree_digest(workspace))


def test_a_report_never_replaces_a_run_record(cli, workspace):
    root = workspace / "tatoeba"
    root.mkdir()
    (root / "tatoeba.deu-eng.deu").write_text("Hallo Welt\nGuten Morgen\n", encoding="utf-8")
    (root / "tatoeba.deu-eng.eng").write_text("Hello world\nGood morning\n", encoding="utf-8")
    run = workspace / "run.json"
    code, _, err = cli("eval", "tatoeba", "--data", root, "-o", run, "-q")
    assert code == 0, err
    renamed = workspace / "run.html"
    os.replace(run, renamed)  # a record that happens to end in .html
    before = tree_digest(workspace)
    code, out, err = cli("eval", "report", renamed, "-o", renamed)
    assert code != 0 and "Traceback" not in err
    assert_unchanged(before, tree_digest(workspace))


@pytest.mark.parametrize("output", ["out.csv", "folder", "missing-dir/out.tsv"])
def test_outputs_that_cannot_be_written_are_refused_first(cli, workspace, output):
    (workspace / "folder").mkdir()
    before = tree_digest(workspace)
    code, out, err = cli("mine", workspace / "de.txt", workspace / "en.txt", "-o", workspace / output, "-q")
    assert_one_error(code, out, err)
    assert_unchanged(before, tree_digest(workspace))


def test_a_collection_never_adds_its_own_files(cli, collection):
    before = tree_digest(collection)
    code, out, err = cli("index", "add", collection, collection / "manifest.json", "-q")
    assert_one_error(code, out, err, "inside the collection")
    assert_unchanged(before, tree_digest(collection))
