"""Fusion formulas pinned to hand-computed values, and query/filter parsing."""

from __future__ import annotations

import pytest

from interlingua.errors import InputError, UnknownNameError
from interlingua.search import (
    RRF_K,
    fuse,
    minmax_normalize,
    parse_filter,
    reciprocal_rank_fusion,
    split_langs,
    weighted_sum,
)
from interlingua.store import Condition


def test_rrf_uses_k_60_and_ranks_from_one():
    assert RRF_K == 60
    dense = {1: 0.9, 2: 0.8, 3: 0.1}
    lexical = {3: 12.0, 1: 3.0}
    out = reciprocal_rank_fusion([dense, lexical])
    assert out[1] == pytest.approx(1 / 61 + 1 / 62)
    assert out[3] == pytest.approx(1 / 63 + 1 / 61)
    assert out[2] == pytest.approx(1 / 62)
    assert max(out, key=out.get) == 1


def test_weighted_sum_normalizes_each_run_first():
    dense = {1: 0.90, 2: 0.85, 3: 0.80}  # narrow cosine band
    lexical = {3: 30.0, 2: 10.0}  # unbounded BM25
    assert minmax_normalize(dense) == pytest.approx({1: 1.0, 2: 0.5, 3: 0.0})
    out = weighted_sum([dense, lexical], weights=[0.5, 0.5])
    assert out == pytest.approx({1: 0.5, 2: 0.25, 3: 0.5})
    assert weighted_sum([{7: 2.0}, {}]) == {7: 0.5}


def test_unknown_fusion_lists_the_known_ones():
    with pytest.raises(UnknownNameError, match="rrf, weighted"):
        fuse("combmnz", [{}])


@pytest.mark.parametrize(
    "expr,cond",
    [
        ("year>=2020", Condition("year", ">=", 2020)),
        ("src = news", Condition("src", "=", "news")),
        ("flag=true", Condition("flag", "=", True)),
        ("src!=a|b", Condition("src", "!=", ["a", "b"])),
    ],
)
def test_parse_filter(expr, cond):
    assert parse_filter(expr) == cond


def test_parse_filter_refuses_what_it_cannot_read():
    with pytest.raises(InputError, match="Cannot read the filter 'year'"):
        parse_filter("year")
    with pytest.raises(InputError, match="only = and != take a list"):
        parse_filter("year>1|2")


def test_languages_include_and_exclude_in_any_code():
    assert split_langs("de,-en") == (["de"], ["en"])
    assert split_langs(["deu", "fra"], exclude=["zho_Hans"]) == (["de", "fr"], ["zh-Hans"])
    assert split_langs(None) == (None, [])
