"""Every job spec: plain data and files round-trip, unknown keys are refused, ``--set`` overrides are
typed, rules are checked once with messages naming the caller and the dotted parameter, and the
fingerprint leaves out transient fields."""

from __future__ import annotations

import dataclasses
import math
import tomllib
import typing

import pytest

from interlingua._spec import Spec
from interlingua.embed import EmbedJob
from interlingua.errors import InputError, SpecError
from interlingua.evaluate import EvalRun
from interlingua.mine import AlignJob, MineJob, MineOptions
from interlingua.neutral import SpaceSpec
from interlingua.search import SearchJob, SearchOptions
from interlingua.store import AddJob, IndexSpec

JOBS = [
    EmbedJob(source="in.tsv", output="out.npy"),
    MineJob(src="zh.txt", tgt="en.txt"),
    MineOptions(),
    AlignJob(src="en.txt", tgt="de.txt"),
    IndexSpec(uri="coll"),
    AddJob(collection="coll", source="docs.jsonl"),
    SearchJob(collection="coll", query="Wo schläft die Katze?"),
    SearchOptions(),
    EvalRun(task="tatoeba", data="../shared/data/tatoeba"),
    SpaceSpec(),
]


def _walk(cls, prefix=""):
    hints = typing.get_type_hints(cls)
    for f in dataclasses.fields(cls):
        hint = hints[f.name]
        base = [a for a in typing.get_args(hint) if a is not type(None)]
        inner = base[0] if len(base) == 1 else hint
        if isinstance(inner, type) and issubclass(inner, Spec):
            yield from _walk(inner, prefix + f.name + ".")
        else:
            yield prefix + f.name, f


@pytest.mark.parametrize("job", JOBS, ids=lambda j: type(j).__name__)
def test_round_trips_through_dicts_toml_and_json(job, tmp_path):
    job.validate()
    assert type(job).from_dict(job.to_dict()) == job
    toml_file = tmp_path / "job.toml"
    toml_file.write_text(job.to_toml(), encoding="utf-8")
    assert type(job).load(toml_file) == job
    json_file = tmp_path / "job.json"
    import json

    json_file.write_text(json.dumps(job.to_dict()), encoding="utf-8")
    assert type(job).load(json_file) == job
    assert tomllib.loads(job.to_toml())  # valid TOML


@pytest.mark.parametrize("job", JOBS, ids=lambda j: type(j).__name__)
def test_unknown_keys_are_refused_with_the_known_ones(job):
    data = {**job.to_dict(), "colour": "red"}
    with pytest.raises(SpecError, match="unknown option.s. 'colour'.*known: "):
        type(job).from_dict(data)
    with pytest.raises(SpecError, match="Unknown option 'colour'"):
        job.with_overrides(["colour=red"])


@pytest.mark.parametrize(
    "cls", sorted({type(j) for j in JOBS}, key=lambda c: c.__name__), ids=lambda c: c.__name__
)
def test_a_field_that_may_be_none_defaults_to_none(cls):
    """TOML has no null: a written spec leaves None out, so None must be what reading it back gives."""
    for path, f in _walk(cls):
        rules = f.metadata.get("rules", ())
        if any(type(r).__name__ == "NoneOr" for r in rules):
            assert f.default is None, path


@pytest.mark.parametrize(
    "cls", sorted({type(j) for j in JOBS}, key=lambda c: c.__name__), ids=lambda c: c.__name__
)
def test_every_field_says_what_it_is(cls):
    for path, f in _walk(cls):
        assert f.metadata.get("help") or path.endswith(("caller",)), f"{cls.__name__}.{path} has no help"


def test_set_overrides_are_typed_and_nested():
    job = MineJob(src="a.txt", tgt="b.txt").with_overrides(
        [
            "knn.k=8",
            "margin.threshold=1.05",
            "filters.enabled=noise,copy",
            "cache=false",
            "space.options.threads=1",
            "knn.nprobe=null",
        ]
    )
    assert job.knn.k == 8 and job.margin.threshold == 1.05 and job.filters.enabled == ("noise", "copy")
    assert job.cache is False and job.space.options == {"threads": 1} and job.knn.nprobe is None
    job.validate()
    with pytest.raises(SpecError, match="takes true or false"):
        job.with_overrides(["cache=maybe"])
    with pytest.raises(SpecError, match="key=value"):
        job.with_overrides(["knn.k"])


@pytest.mark.parametrize(
    "item, message",
    [
        ("knn.k=0", "The 'knn.k' parameter of mine() must be an int in [1, inf). Got 0 instead."),
        ("knn.k=2.5", "The 'knn.k' parameter of mine() must be an int in [1, inf). Got 2.5 instead."),
        (
            "margin.threshold=nan",
            "The 'margin.threshold' parameter of mine() must be None or a finite number.",
        ),
        (
            "margin.threshold=inf",
            "The 'margin.threshold' parameter of mine() must be None or a finite number.",
        ),
        (
            "filters.max_length_ratio=0.5",
            "The 'filters.max_length_ratio' parameter of mine() must be a finite number in [1, inf)",
        ),
        (
            "margin.kind=cosine",
            "The 'margin.kind' parameter of mine() must be one of 'ratio', 'distance', 'absolute'",
        ),
        (
            "knn.backend=IVF,Flat,nonsense",
            "The 'knn.backend' parameter of mine() must be one of 'auto', 'exact'",
        ),
        (
            "filters.enabled=noise,lenght",
            "The 'filters.enabled' parameter of mine() must be a list of items, each one of",
        ),
        ("workers=0", "The 'workers' parameter of mine() must be an int in [1, inf)"),
        ("input.max_chars=-1", "The 'input.max_chars' parameter of mine() must be an int in [1, inf)"),
    ],
)
def test_rules_are_checked_once_with_the_caller_and_the_dotted_name(item, message):
    job = MineJob(src="a.txt", tgt="b.txt").with_overrides([item])  # reading does not check the rules
    with pytest.raises(InputError) as info:
        job.validate()
    assert str(info.value).startswith(message), str(info.value)


def test_fingerprint_leaves_out_transient_fields():
    job = EmbedJob(source="in.tsv", output="out.npy")
    assert job.fingerprint() == job.replace(workers=4).fingerprint()
    assert job.fingerprint() != job.replace(role="query").fingerprint()
    assert job.fingerprint() != job.with_values({"space.encoder": "e5-small-int8"}).fingerprint()
    assert "workers" not in job.to_dict(transient=False) and "workers" in job.to_dict()
    m = MineJob(src="a", tgt="b")
    assert m.fingerprint() == m.replace(workers=2).fingerprint() != m.with_values({"knn.k": 5}).fingerprint()


def test_keyword_wrappers_map_names_onto_the_spec():
    opts = MineOptions().with_flat(
        {"k": 8, "threshold": 1.1, "src_lang": "de"}, aliases={"margin": "margin.kind"}
    )
    assert (opts.knn.k, opts.margin.threshold, opts.src_lang) == (8, 1.1, "de")
    assert (
        MineOptions().with_flat({"margin": "distance"}, aliases={"margin": "margin.kind"}).margin.kind
        == "distance"
    )
    with pytest.raises(SpecError, match="'kk' option of mine.. is unknown"):
        MineOptions().with_flat({"kk": 3})


def test_numbers_in_specs_are_never_nan():
    for value in (math.nan, math.inf, -math.inf):
        with pytest.raises(InputError, match="finite"):
            SearchOptions(weights=(value, 0.5)).validate()
    with pytest.raises(InputError, match="'search.k' parameter of search must be an int in \\[1, 10000\\]"):
        SearchJob(collection="c", query="q", search=SearchOptions(k=-5)).validate()


def test_reports_of_two_shards_merge():
    from interlingua.embed import EmbedReport
    from interlingua.mine import AlignReport, MineReport
    from interlingua.search import SearchReport
    from interlingua.store import AddReport

    e = EmbedReport("s", "o", "e5-small", records=3, encoded=2, cache_hits=1) + EmbedReport(
        "s", "o", records=4, encoded=4
    )
    assert (e.records, e.encoded, e.cache_hits) == (7, 6, 1)
    m = MineReport(src_rows=3, pairs=1) + MineReport(src_rows=2, pairs=2)
    assert (m.src_rows, m.pairs) == (5, 3)
    a = AlignReport("sentences", 2, 2, 2, lines=("a\n",)) + AlignReport("sentences", 3, 3, 3, lines=("b\n",))
    assert (a.src_items, a.links, a.lines) == (5, 5, ("a\n", "b\n"))
    assert (SearchReport("c", 2, 10) + SearchReport("c", 1, 5)).queries == 3
    assert (AddReport("c", added=2) + AddReport("c", added=3, skipped=1)).added == 5


def test_merged_reports_keep_labels_and_settings():
    from interlingua.mine import MineReport
    from interlingua.store import AddReport

    m = MineReport(space="e5", k=4, threshold=1.1, top=None, pairs=1, notes=("a",)) + MineReport(
        space="e5", k=4, threshold=1.1, top=None, pairs=2, notes=("b",)
    )
    assert (m.space, m.k, m.threshold, m.top, m.pairs, m.notes) == ("e5", 4, 1.1, None, 3, ("a", "b"))
    assert (MineReport(space="") + MineReport(space="e5")).space == "e5"
    a = AddReport("c", added=1, documents=10) + AddReport("c", added=2, documents=12)
    assert (a.collection, a.added, a.documents) == ("c", 3, 12)
