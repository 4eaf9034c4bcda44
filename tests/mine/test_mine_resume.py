"""An interrupted mining run resumes from its work folder without redoing finished blocks."""

import json

import numpy as np
import pytest

from interlingua.errors import InputError
from interlingua.mine import MineOptions, mine_embeddings, mine_vectors


def _vectors(n, d=16, seed=0):
    x = np.random.default_rng(seed).normal(size=(n, d))
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)


class Interrupt(Exception):
    pass


def test_resume_skips_finished_blocks(tmp_path):
    src, tgt = _vectors(1000, seed=1), _vectors(700, seed=2)
    np.save(tmp_path / "src.npy", src)
    src_mm = np.load(tmp_path / "src.npy", mmap_mode="r")  # streamed from disk
    reference = mine_embeddings(src, tgt, block_size=100)
    work = tmp_path / "work"
    done = []

    def progress(event):
        if event.kind == "advance":
            done.append(event.task)
            if len(done) == 13:  # all 10 forward blocks and 3 backward blocks are on disk
                raise Interrupt

    with pytest.raises(Interrupt):
        mine_embeddings(src_mm, tgt, block_size=100, work_dir=work, progress=progress)
    assert len(list(work.glob("fwd-*.npz"))) == 10 and len(list(work.glob("bwd-*.npz"))) == 3
    assert not list(work.glob(".*tmp"))  # nothing half-written
    options = MineOptions().with_flat({"block_size": 100, "threshold": None, "top": None})
    resumed = mine_vectors(src_mm, tgt, options, work_dir=work)
    assert (resumed.blocks.reused, resumed.blocks.computed) == (13, 4)
    for a, b in zip(resumed.candidates, reference):
        np.testing.assert_array_equal(a, b)
    again = mine_vectors(src_mm, tgt, options, work_dir=work)
    assert (again.blocks.reused, again.blocks.computed) == (17, 0)
    assert json.loads((work / "manifest.json").read_text())["block_size"] == 100


def test_work_dir_of_another_job_is_refused(tmp_path):
    src, tgt = _vectors(300, seed=1), _vectors(200, seed=2)
    mine_embeddings(src, tgt, block_size=100, work_dir=tmp_path)
    with pytest.raises(InputError, match="different job.*k"):
        mine_embeddings(src, tgt, k=3, block_size=100, work_dir=tmp_path)
    with pytest.raises(InputError, match="different job.*src"):
        mine_embeddings(_vectors(300, seed=9), tgt, block_size=100, work_dir=tmp_path)
