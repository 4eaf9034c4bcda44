"""Two-stage sentence alignment (``candidates.model``): the cheap model aligns, e5 re-aligns the
doubtful stretches only, and the links are those e5 alone gives on a small parallel pair."""

from __future__ import annotations

import json

import pytest
from tests.mine.test_align_cli import DE, EN
from tests.mine.test_candidates import PAIRS

from interlingua.errors import SpecError
from interlingua.mine import AlignJob, run

CHEAP = "use-multilingual"
# an English document and its translation: a museum guide (one sentence left out, two merged),
# then 24 sentences translated one by one (German, French and Spanish: the aligner does not mind)
SRC = EN + [en for _, en in PAIRS]
TGT = DE + [xx for xx, _ in PAIRS]


@pytest.fixture
def docs(tmp_path):
    src, tgt = tmp_path / "src.txt", tmp_path / "tgt.txt"
    src.write_text("\n".join(SRC) + "\n", encoding="utf-8")
    tgt.write_text("\n".join(TGT) + "\n", encoding="utf-8")
    return src, tgt


def _links(report):
    return [line.split("\t")[:2] for line in report.lines if not line.startswith("#")]


def test_same_links_as_one_stage_with_fewer_windows(docs):
    src, tgt = docs
    job = AlignJob(src=str(src), tgt=str(tgt), cache=False)
    one = run(job)
    two = run(job.with_values({"candidates.model": CHEAP}))
    assert _links(two) == _links(one)
    assert ["[2]", "[]"] in _links(one) and ["[4, 5]", "[3]"] in _links(one)  # the deletion, the merge
    assert one.embedded == 3 * len(SRC) - 3 + 3 * len(TGT) - 3 and one.candidate_model == ""
    assert two.candidate_model == CHEAP and two.candidate_embedded == one.embedded
    assert 0 < two.embedded < 0.7 * one.embedded and 0 < two.candidate_links < two.links
    # nothing sure: e5 re-aligns everything, and still the same links
    everything = run(job.with_values({"candidates.model": CHEAP, "candidates.sure": 0.0}))
    assert _links(everything) == _links(one) and everything.candidate_links == 0


def test_cli_flag_and_errors(cli, docs, tmp_path):
    src, tgt = docs
    out = tmp_path / "links.jsonl"
    code, stdout, err = cli("align", src, tgt, "--candidates", CHEAP, "-f", "jsonl", "-o", out, "--no-cache")
    assert code == 0, err
    assert f"two stages: {CHEAP} embedded" in err
    recs = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert {"src": [4, 5], "tgt": [3]}.items() <= next(r for r in recs if r["tgt"] == [3]).items()
    code, stdout, err = cli("align", src, tgt, "--set", "candidates.model=nope", "-q")
    assert code == 2 and err.count("error: ") == 1 and "candidates.model" in err and CHEAP in err
    with pytest.raises(SpecError, match="candidates.model.*sentence alignment"):
        AlignJob(src=str(src), tgt=str(tgt), mode="words").with_values({"candidates.model": CHEAP}).validate()
