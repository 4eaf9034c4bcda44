"""Worker processes serve a whole job: mining and sentence alignment embed both sides through one
pool (each worker loads the model once), and give what one process gives."""

from __future__ import annotations

import pytest

from interlingua._executors import ProcessExecutor
from interlingua.mine import AlignJob, MineJob, run

FR = ["Le chat dort sur le canapé.", "Il pleut depuis ce matin.", "Nous partons demain à Lyon."]
EN = ["We leave for Lyon tomorrow.", "The cat is sleeping on the sofa.", "It has been raining since morning."]


@pytest.fixture
def pools(monkeypatch):
    """How many worker pools the job started (the real ProcessExecutor runs them)."""
    started = []
    init = ProcessExecutor.__init__

    def counting(self, *args, **kwargs):
        started.append(self)
        init(self, *args, **kwargs)

    monkeypatch.setattr(ProcessExecutor, "__init__", counting)
    return started


@pytest.mark.slow
def test_two_workers_mine_and_align_with_one_pool(tmp_path, pools):
    (tmp_path / "fr.txt").write_text("\n".join(FR) + "\n", encoding="utf-8")
    (tmp_path / "en.txt").write_text("\n".join(EN) + "\n", encoding="utf-8")
    src, tgt = str(tmp_path / "fr.txt"), str(tmp_path / "en.txt")
    mine = MineJob(src=src, tgt=tgt, src_lang="fr", tgt_lang="en", cache=False)
    one = run(mine)
    two = run(mine.replace(workers=2))
    assert len(pools) == 1
    assert [(p.src_id, p.tgt_id) for p in two.results] == [(p.src_id, p.tgt_id) for p in one.results]
    assert len(two.results) == 3

    align = AlignJob(src=src, tgt=tgt, cache=False)
    two, one = run(align.replace(workers=2)).lines, run(align).lines
    assert two[1:] == one[1:] and len(one) == 5  # the provenance line records the workers
    assert len(pools) == 2
