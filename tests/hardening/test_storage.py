"""Full disks and read-only folders: every writer says so in one line naming the path, leaves no
partial file, and a collection stays openable and whole. On a real small tmpfs where this machine
lets a test mount one (as root), else by injecting the OSError the file system would raise."""

from __future__ import annotations

import errno
import os
import subprocess
import uuid
from pathlib import Path

import pytest
from tests.helpers import assert_one_error

from .conftest import DOCS, assert_unchanged, tree_digest


def _mount(path: Path, options: str) -> bool:
    path.mkdir(parents=True, exist_ok=True)
    proc = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(path)], capture_output=True)
    return proc.returncode == 0


def _umount(path: Path) -> None:
    subprocess.run(["umount", "-l", str(path)], capture_output=True)


@pytest.fixture
def full_disk(tmp_path):
    """A tmpfs with a few KB left: enough to create files, not to fill them."""
    mnt = tmp_path / f"tiny-{uuid.uuid4().hex[:6]}"
    if os.geteuid() != 0 or not _mount(mnt, "size=4m"):
        pytest.skip(
            "cannot mount a tmpfs here (not root, or no CAP_SYS_ADMIN); the injected errors cover this"
        )
    st = os.statvfs(mnt)
    (mnt / "fill").write_bytes(b"\0" * (st.f_bavail * st.f_frsize - 24 * 1024))
    yield mnt
    _umount(mnt)


@pytest.fixture
def read_only(tmp_path):
    mnt = tmp_path / f"ro-{uuid.uuid4().hex[:6]}"
    if os.geteuid() != 0 or not _mount(mnt, "size=1m,ro"):
        pytest.skip("cannot mount a read-only tmpfs here; the injected errors cover this")
    yield mnt
    _umount(mnt)


@pytest.fixture
def big_text(workspace):
    path = workspace / "big.txt"
    path.write_text(
        "".join(f"Satz Nummer {i} über das Wetter in der Stadt.\n" for i in range(400)), encoding="utf-8"
    )
    return path


def _writers(big, target):
    return {
        "embed-npy": ["embed", big, "-o", target / "v.npy", "-q"],
        "embed-parquet": ["embed", big, "-o", target / "v.parquet", "-q"],
        "embed-jsonl": ["embed", big, "-o", target / "v.jsonl", "-q"],
        "mine": ["mine", big, big, "-o", target / "p.tsv", "--top", "300", "-q", "--no-filter", "copy"],
        "align": ["align", big, big, "-o", target / "links.tsv", "-q", "--text"],
        "index-create": ["index", "create", target / "coll"],
    }


WRITERS = ["embed-npy", "embed-parquet", "embed-jsonl", "mine", "align", "index-create"]


@pytest.mark.slow
@pytest.mark.parametrize("command", WRITERS)
def test_a_full_disk_is_one_error_line_and_leaves_nothing_partial(
    cli, workspace, big_text, full_disk, command
):
    before = tree_digest(full_disk)
    code, out, err = cli(*_writers(big_text, full_disk)[command])
    assert_one_error(code, out, err, str(full_disk), "disk is full")
    assert_unchanged(before, tree_digest(full_disk))  # no partial output, no temporary file


@pytest.mark.parametrize("command", WRITERS)
def test_a_read_only_folder_is_one_error_line(cli, workspace, big_text, read_only, command):
    code, out, err = cli(*_writers(big_text, read_only)[command])
    assert_one_error(code, out, err, str(read_only), "read-only")
    assert not list(read_only.iterdir())


@pytest.mark.slow
def test_a_collection_filling_the_disk_stays_whole(cli, workspace, tmp_path):
    mnt = tmp_path / "tiny-coll"
    if os.geteuid() != 0 or not _mount(mnt, "size=3m"):
        pytest.skip("cannot mount a tmpfs here")
    try:
        coll = mnt / "coll"
        assert cli("index", "create", coll)[0] == 0
        assert cli("index", "add", coll, workspace / "docs.jsonl", "-q")[0] == 0
        st = os.statvfs(mnt)
        (mnt / "fill").write_bytes(b"\0" * (st.f_bavail * st.f_frsize - 40 * 1024))
        many = workspace / "many.jsonl"
        many.write_text(
            "".join(
                f'{{"id": "m{i}", "text": "Noch ein Satz Nummer {i}, etwas länger als nötig."}}\n'
                for i in range(3000)
            ),
            encoding="utf-8",
        )
        code, out, err = cli("index", "add", coll, many, "--batch-size", "200", "-q")
        assert code != 0 and "Traceback" not in err and err.count("error: ") == 1
        assert "disk is full" in err  # ours, or SQLite's "database or disk is full"
        (mnt / "fill").unlink()
        code, out, err = cli("index", "check", coll)
        assert code == 0 and "ok" in out, err  # every committed batch is there, the indexes agree
        code, out, err = cli(
            "index", "add", coll, workspace / "de.txt", "-q"
        )  # the collection takes more again
        assert code == 0, err
    finally:
        _umount(mnt)


# -- injected, wherever the machine does not allow a mount --------------------------------------
@pytest.mark.parametrize(
    "err_no, words",
    [
        (errno.ENOSPC, "disk is full"),
        (errno.EROFS, "read-only"),
        (errno.EACCES, "permission denied"),
        (errno.EDQUOT, "quota"),
    ],
)
@pytest.mark.parametrize("command", WRITERS)
def test_injected_storage_errors_are_one_line(cli, workspace, big_text, monkeypatch, command, err_no, words):
    from interlingua import _atomic

    target = workspace / "out"
    target.mkdir()
    real = _atomic.fsync_file

    def failing(path):
        raise OSError(err_no, os.strerror(err_no), str(path))

    monkeypatch.setattr(_atomic, "fsync_file", failing)
    if command == "index-create":
        monkeypatch.setattr(_atomic, "fsync_file", real)
        monkeypatch.setattr(
            "interlingua.store._manifest.atomic_write_bytes",
            lambda p, d: (_ for _ in ()).throw(_atomic.storage_error(OSError(err_no, "x"), p)),
        )
    code, out, err = cli(*_writers(big_text, target)[command])
    # the path named is the one that failed: the output, or a work file of the job (mine embeds first)
    assert_one_error(code, out, err, "cannot write", words)
    assert not list(target.iterdir())  # the temporary files are gone, nothing published


def test_a_failing_index_save_keeps_the_collection_whole(workspace, tmp_path, monkeypatch):
    """The catalog acknowledged the batch; a dense index that cannot be saved is rebuilt next time."""
    from interlingua.errors import StorageError
    from interlingua.store import Collection, check_collection

    path = tmp_path / "c"
    col = Collection.create(path, encoder="e5-small")
    col.add(DOCS[:4])

    def no_space(self, target):
        raise StorageError(f"{target}: cannot write: the disk is full; nothing was changed there")

    monkeypatch.setattr("interlingua.store._dense_faiss.FaissDense.save", no_space)
    with pytest.raises(StorageError):
        col.close()
    monkeypatch.undo()
    report = check_collection(path)
    assert report.ok and report.documents == 4
