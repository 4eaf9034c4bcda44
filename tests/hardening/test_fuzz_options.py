"""Numbers wherever a number is taken: NaN and infinities refused, weights non-negative, counts at
least 1; other bad option values. One error line each, nothing written."""

from __future__ import annotations

import pytest
from tests.helpers import assert_one_error

from .conftest import assert_unchanged, tree_digest

NONFINITE = ["nan", "inf", "-inf"]

MINE = "mine {de} {en} -o {out}.tsv"
ALIGN = "align {de} {en} -o {out}.tsv"
EMBED = "embed {de} -o {out}.npy"
SEARCH = "search {coll} Katze"
ADD = "index add {coll} {docs}"
CREATE = "index create {out}-c"
EVAL = "eval tatoeba --data {ws} -o {out}.json"
# command template -> (option, the bad values, fragment of the error); {de} {en} {coll} {out} filled in
# fmt: off
TABLE = {
    MINE: [("--threshold", NONFINITE, "'margin.threshold'"),
           ("--max-length-ratio", [*NONFINITE, "0.5"], "'filters.max_length_ratio'"),
           ("-k", ["0", "-3"], "'knn.k'"), ("--top", ["0", "-1"], "'margin.top'"),
           ("--nprobe", ["0", "-2"], "'knn.nprobe'"), ("--block-size", ["0", "-1"], "'knn.block_size'"),
           ("--workers", ["0", "-1"], "'workers'"), ("--margin", ["cosine"], "'margin.kind'"),
           ("--mode", ["both"], "'margin.mode'"), ("--knn", ["bogus"], "'knn.backend'"),
           ("--no-filter", ["lenght"], "mining filter 'lenght'"), ("--src-lang", ["xx-nope!"], "Unknown language code"),
           ("--set", ["knn.k=nan"], "'knn.k'"), ("--set", ["margin.threshold=inf"], "'margin.threshold'"),
           ("--set", ["colour=red"], "Unknown option 'colour'"), ("--set", ["knn"], "key=value")],
    ALIGN: [("--del-penalty", [*NONFINITE, "-1"], "'sentences.del_penalty'"),
            ("--max-size", ["0", "9"], "'sentences.max_size'"), ("--search", ["fast"], "'sentences.search'"),
            ("--blank-lines", ["drop"], "'sentences.blank_lines'")],
    ALIGN + " --words": [("--method", ["union"], "'words.method'")],
    EMBED: [("--workers", ["0", "-2"], "'workers'"), ("--batch-size", ["0", "-5"], "'batch_size'"),
            ("--max-chars", ["0", "-1"], "'input.max_chars'"), ("--role", ["document"], "'role'"),
            ("--model", ["no-such-model"], "'space.encoder'"), ("--on-invalid", ["ignore"], "'input.on_invalid'"),
            ("--set", ["cache=maybe"], "true or false")],
    SEARCH: [("-k", ["0", "-5", "100000"], "'search.k'"), ("--depth", ["0", "-1"], "'search.depth'"),
             ("--weights", ["nan,0.5", "0.5,inf", "-1,0.5", "1"], "'search.weights'"),
             ("--weights", ["a,b"], "two numbers"), ("--mode", ["fuzzy"], "'search.mode'"),
             ("--fusion", ["max"], "'search.fusion'"),
             ("--filter", ["year>=NaN", "year>=Infinity", "nofield=1", "year>>1"], "filter"),
             ("--lang", ["xx-nope!"], "Unknown language code")],
    ADD: [("--batch-size", ["0", "-1"], "'batch_size'"), ("--budget", ["0", "7"], "'passages.budget'"),
          ("--wait", ["nan"], "'lock_timeout'")],
    ADD + " --upsert": [("--skip-existing", [None], "'skip_existing'")],
    CREATE: [("--ef-search", ["0", "-1"], "'dense.ef_search'"), ("--dense", ["IVF,nonsense"], "'dense.factory'"),
             ("--storage", ["fp8"], "'--storage'"), ("--segmenter", ["jieba"], "'lexical.segmenter'"),
             ("--langid", ["cld3"], "'langid'")],
    "demo": [("-k", ["0", "-5"], "'k'"), ("--query", [""], "empty")],
    EVAL: [("--workers", ["0", "-1"], "'workers'"), ("--set", ["colour=red"], "does not take option"),
           ("--set", ["k=nan"], "'k'")],
}
# fmt: on
OPTIONS = [(t, o, v, f) for t, rows in TABLE.items() for o, values, f in rows for v in values]


def _fill(workspace, collection) -> dict:
    """What the ``{name}`` placeholders of an argv template stand for."""
    return {
        "de": workspace / "de.txt",
        "en": workspace / "en.txt",
        "coll": collection,
        "out": workspace / "out",
        "docs": workspace / "docs.jsonl",
        "ws": workspace,
    }


@pytest.mark.parametrize(
    "template, option, value, fragment", OPTIONS, ids=[f"{t.split()[0]}{o}={v}" for t, o, v, _ in OPTIONS]
)
def test_bad_option_values_are_one_error_line(cli, workspace, collection, template, option, value, fragment):
    fill = _fill(workspace, collection)
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
    fill = _fill(workspace, collection)
    before = tree_digest(workspace)
    code, out, err = cli(*[a.format(**fill) if "{" in a else a for a in argv])
    line = assert_one_error(code, out, err, fragment)
    line.encode("utf-8")  # the message itself is printable
    assert_unchanged(before, tree_digest(workspace))
