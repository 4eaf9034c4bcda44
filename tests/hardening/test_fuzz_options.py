"""Numbers wherever a number is taken: NaN and infinities refused, weights non-negative, counts at
least 1; other bad option values. One error line each, nothing written."""

from __future__ import annotations

import pytest

from .conftest import assert_one_error, assert_unchanged, tree_digest

NONFINITE = ["nan", "inf", "-inf"]

# (command template, option, bad value, fragment); {de} {en} {coll} {out} are filled in
OPTIONS = [
    *[("mine {de} {en} -o {out}.tsv", "--threshold", v, "'margin.threshold'") for v in NONFINITE],
    *[
        ("mine {de} {en} -o {out}.tsv", "--max-length-ratio", v, "'filters.max_length_ratio'")
        for v in [*NONFINITE, "0.5"]
    ],
    *[("mine {de} {en} -o {out}.tsv", "-k", v, "'knn.k'") for v in ["0", "-3"]],
    *[("mine {de} {en} -o {out}.tsv", "--top", v, "'margin.top'") for v in ["0", "-1"]],
    *[("mine {de} {en} -o {out}.tsv", "--nprobe", v, "'knn.nprobe'") for v in ["0", "-2"]],
    *[("mine {de} {en} -o {out}.tsv", "--block-size", v, "'knn.block_size'") for v in ["0", "-1"]],
    *[("mine {de} {en} -o {out}.tsv", "--workers", v, "'workers'") for v in ["0", "-1"]],
    ("mine {de} {en} -o {out}.tsv", "--margin", "cosine", "'margin.kind'"),
    ("mine {de} {en} -o {out}.tsv", "--mode", "both", "'margin.mode'"),
    ("mine {de} {en} -o {out}.tsv", "--knn", "bogus", "'knn.backend'"),
    ("mine {de} {en} -o {out}.tsv", "--no-filter", "lenght", "mining filter 'lenght'"),
    ("mine {de} {en} -o {out}.tsv", "--src-lang", "xx-nope!", "Unknown language code"),
    *[
        ("align {de} {en} -o {out}.tsv", "--del-penalty", v, "'sentences.del_penalty'")
        for v in [*NONFINITE, "-1"]
    ],
    *[("align {de} {en} -o {out}.tsv", "--max-size", v, "'sentences.max_size'") for v in ["0", "9"]],
    ("align {de} {en} -o {out}.tsv", "--search", "fast", "'sentences.search'"),
    ("align {de} {en} -o {out}.tsv", "--blank-lines", "drop", "'sentences.blank_lines'"),
    ("align {de} {en} --words -o {out}.tsv", "--method", "union", "'words.method'"),
    *[("embed {de} -o {out}.npy", "--workers", v, "'workers'") for v in ["0", "-2"]],
    *[("embed {de} -o {out}.npy", "--batch-size", v, "'batch_size'") for v in ["0", "-5"]],
    *[("embed {de} -o {out}.npy", "--max-chars", v, "'input.max_chars'") for v in ["0", "-1"]],
    ("embed {de} -o {out}.npy", "--role", "document", "'role'"),
    ("embed {de} -o {out}.npy", "--model", "no-such-model", "'space.encoder'"),
    ("embed {de} -o {out}.npy", "--on-invalid", "ignore", "'input.on_invalid'"),
    *[("search {coll} Katze", "-k", v, "'search.k'") for v in ["0", "-5", "100000"]],
    *[("search {coll} Katze", "--depth", v, "'search.depth'") for v in ["0", "-1"]],
    *[
        ("search {coll} Katze", "--weights", v, "'search.weights'")
        for v in ["nan,0.5", "0.5,inf", "-1,0.5", "1"]
    ],
    ("search {coll} Katze", "--weights", "a,b", "two numbers"),
    ("search {coll} Katze", "--mode", "fuzzy", "'search.mode'"),
    ("search {coll} Katze", "--fusion", "max", "'search.fusion'"),
    *[
        ("search {coll} Katze", "--filter", v, "filter")
        for v in ["year>=NaN", "year>=Infinity", "nofield=1", "year>>1"]
    ],
    ("search {coll} Katze", "--lang", "xx-nope!", "Unknown language code"),
    *[("index add {coll} {docs}", "--batch-size", v, "'batch_size'") for v in ["0", "-1"]],
    *[("index add {coll} {docs}", "--budget", v, "'passages.budget'") for v in ["0", "7"]],
    ("index add {coll} {docs}", "--wait", "nan", "'lock_timeout'"),
    ("index add {coll} {docs} --upsert", "--skip-existing", None, "'skip_existing'"),
    *[("index create {out}-c", "--ef-search", v, "'dense.ef_search'") for v in ["0", "-1"]],
    ("index create {out}-c", "--dense", "IVF,nonsense", "'dense.factory'"),
    ("index create {out}-c", "--storage", "fp8", "'--storage'"),
    ("index create {out}-c", "--segmenter", "jieba", "'lexical.segmenter'"),
    ("index create {out}-c", "--langid", "cld3", "'langid'"),
    *[("demo", "-k", v, "'k'") for v in ["0", "-5"]],
    ("demo", "--query", "", "empty"),
    *[("eval tatoeba --data {ws} -o {out}.json", "--workers", v, "'workers'") for v in ["0", "-1"]],
    ("eval tatoeba --data {ws} -o {out}.json", "--set", "colour=red", "does not take option"),
    ("eval tatoeba --data {ws} -o {out}.json", "--set", "k=nan", "'k'"),
    ("mine {de} {en} -o {out}.tsv", "--set", "knn.k=nan", "'knn.k'"),
    ("mine {de} {en} -o {out}.tsv", "--set", "margin.threshold=inf", "'margin.threshold'"),
    ("mine {de} {en} -o {out}.tsv", "--set", "colour=red", "Unknown option 'colour'"),
    ("mine {de} {en} -o {out}.tsv", "--set", "knn", "key=value"),
    ("embed {de} -o {out}.npy", "--set", "cache=maybe", "true or false"),
]


@pytest.mark.parametrize(
    "template, option, value, fragment", OPTIONS, ids=[f"{t.split()[0]}{o}={v}" for t, o, v, _ in OPTIONS]
)
def test_bad_option_values_are_one_error_line(cli, workspace, collection, template, option, value, fragment):
    fill = {
        "de": workspace / "de.txt",
        "en": workspace / "en.txt",
        "coll": collection,
        "out": workspace / "out",
        "docs": workspace / "docs.jsonl",
        "ws": workspace,
    }
    argv = (
        [part.format(**fill) for part in template.split()] + [option] + ([value] if value is not None else [])
    )
    before = tree_digest(workspace)
    code, out, err = cli(*argv, "-q") if not template.startswith(("demo", "search")) else cli(*argv)
    assert_one_error(code, out, err, fragment)
    assert_unchanged(before, tree_digest(workspace))
    assert not list(workspace.glob("out*"))


# Arguments the shell could not decode arrive as lone surrogates (Python's surrogateescape).
BAD_ARG = "Katze \udcff"


@pytest.mark.parametrize(
    "argv, fragment",
    [
        (["search", "{coll}", BAD_ARG], "lone surrogate"),
        (["similarity", BAD_ARG, "Hund"], "lone surrogate"),
        (["detect", "--text", BAD_ARG], "lone surrogate"),
        (["demo", "--query", BAD_ARG], "lone surrogate"),
        (["mine", "{de}", "{en}", "--src-lang", BAD_ARG, "-q"], "language code"),
        (["embed", "{docs}", "-o", "{out}.npy", "--text-field", BAD_ARG, "-q"], "no field"),
        (["search", "{coll}", "Katze", "--filter", f"year={BAD_ARG}"], "lone surrogate"),
    ],
    ids=["search", "similarity", "detect", "demo", "mine-lang", "embed-field", "search-filter"],
)
def test_arguments_that_are_not_text_are_one_error_line(cli, workspace, collection, argv, fragment):
    fill = {
        "de": workspace / "de.txt",
        "en": workspace / "en.txt",
        "coll": collection,
        "out": workspace / "out",
        "docs": workspace / "docs.jsonl",
    }
    before = tree_digest(workspace)
    code, out, err = cli(*[a.format(**fill) if "{" in a else a for a in argv])
    line = assert_one_error(code, out, err, fragment)
    line.encode("utf-8")  # the message itself is printable
    assert_unchanged(before, tree_digest(workspace))
