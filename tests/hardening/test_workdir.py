"""``mine --work-dir``: a rerun reuses the embeddings and k-NN blocks a killed run saved, leftover
temporary files are removed, and a work dir that is a file is an error."""

from __future__ import annotations

import json
import shutil

from tests.helpers import assert_one_error


def _mine(cli, ws, work, *extra):
    return cli(
        "mine",
        ws / "de.txt",
        ws / "en.txt",
        "--work-dir",
        work,
        "--top",
        "3",
        "--json",
        "-q",
        "--no-cache",
        *extra,
    )


def _report(out: str) -> dict:
    """The JSON report printed after the pairs (TSV on stdout)."""
    return json.loads(out[out.index("\n{") + 1 :])


def test_a_rerun_reuses_what_a_killed_run_saved(cli, workspace):
    work = workspace / "work"
    code, out, err = _mine(cli, workspace, work)
    assert code == 0, err
    first = _report(out)
    assert first["embeddings_reused"] == 0 and first["blocks_computed"] == 2
    assert (work / "src.npy").is_file() and (work / "tgt.npy").is_file()
    # a run killed after embedding: the k-NN blocks are gone, half-written files are left behind
    shutil.rmtree(work / "knn")
    (work / ".src.npy.1234abcd.tmp").write_bytes(b"half")
    code, out, err = _mine(cli, workspace, work)
    again = _report(out)
    assert code == 0 and again["embeddings_reused"] == 2 and again["blocks_computed"] == 2, err
    assert not list(work.glob(".*.tmp"))
    code, out, _ = _mine(cli, workspace, work)
    third = _report(out)
    assert third["embeddings_reused"] == 2 and (third["blocks_reused"], third["blocks_computed"]) == (2, 0)
    assert third["pairs"] == first["pairs"]


def test_changed_inputs_are_embedded_again(cli, workspace):
    work = workspace / "work"
    assert _mine(cli, workspace, work)[0] == 0
    (workspace / "en.txt").write_text("The dog is sleeping on the sofa.\nA new line.\n", encoding="utf-8")
    code, out, err = _mine(cli, workspace, work)
    # the target changed: the k-NN blocks in the work folder belong to another job, which is refused
    assert code == 2
    assert_one_error(code, out, err, "work folder holds a different job", "differs in: tgt", "--work-dir")


def test_a_work_dir_that_is_a_file_is_an_error(cli, workspace):
    work = workspace / "work"
    work.write_text("not a folder", encoding="utf-8")
    code, out, err = _mine(cli, workspace, work)
    assert_one_error(code, out, err, "work folder is a file")
    assert work.read_text() == "not a folder"
