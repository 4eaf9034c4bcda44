"""``run(MineJob)``: two files -> the translation pairs hidden in them. And the in-memory faces.

Bounded memory: texts are embedded into ``.npy`` files (through the embedding cache) in the
work folder and memory-mapped; the k-NN runs block by block; texts are read back only for the
selected pairs. A rerun with the same ``--work-dir`` reuses the embeddings and the k-NN blocks
a killed run saved.
"""

from __future__ import annotations

import tempfile
import time
import warnings
from collections import Counter
from collections.abc import Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .._executors import Executor
from .._paths import check_outputs
from .._validation import check_texts
from ..errors import InputError, SameLanguageWarning
from ..io import count_records, output_files, read_embeddings, read_provenance, read_records
from ..neutral import Space, cached_space, check_provenance, encode_texts, provenance
from ..progress import ProgressFn, note
from ._bitext import BitextPair, Candidates, mine_vectors
from ._calibration import default_threshold
from ._filters import FilterReport, apply_filters
from ._options import ALIASES, MineJob, MineOptions
from ._pairs import pair_format, write_pairs
from ._stream import prepare_work_dir

#: the role both sides are embedded with: mining compares sentences symmetrically
ROLE = "query"
#: Texts per side whose detected languages decide whether both sides look like one language.
LANG_SAMPLE = 200


@dataclass(frozen=True)
class MineReport:
    """What a mining run did; printed by the CLI, returned by the API. ``results`` holds the pairs
    when they were not written to a file."""

    src_rows: int = 0
    tgt_rows: int = 0
    space: str = ""
    encoder: str = ""
    role: str = ROLE
    k: int = 4
    margin: str = "ratio"
    mode: str = "max"
    knn: str = ""
    threshold: float | None = None
    top: int | None = None
    candidates: int = 0
    pairs: int = 0
    filters: FilterReport = field(default_factory=FilterReport)
    blocks_computed: int = 0
    blocks_reused: int = 0
    embeddings_reused: int = 0
    seconds: float = 0.0
    output: str = ""
    warnings: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    results: tuple[BitextPair, ...] = ()

    def to_dict(self, *, results: bool = False) -> dict[str, Any]:
        from dataclasses import asdict

        out = asdict(self)
        out.update(warnings=list(self.warnings), notes=list(self.notes))
        if not results:
            out.pop("results")
        return out

    def __add__(self, other: MineReport) -> MineReport:
        """Merge the reports of two shards of one job (counts add, settings are the first's)."""
        from dataclasses import replace

        return replace(
            self,
            src_rows=self.src_rows + other.src_rows,
            tgt_rows=self.tgt_rows + other.tgt_rows,
            candidates=self.candidates + other.candidates,
            pairs=self.pairs + other.pairs,
            filters=self.filters + other.filters,
            blocks_computed=self.blocks_computed + other.blocks_computed,
            blocks_reused=self.blocks_reused + other.blocks_reused,
            embeddings_reused=self.embeddings_reused + other.embeddings_reused,
            seconds=self.seconds + other.seconds,
            warnings=self.warnings + other.warnings,
            notes=self.notes + other.notes,
            results=self.results + other.results,
        )


def _threshold(options: MineOptions, space: Space) -> MineOptions:
    """The options with the space's calibrated threshold filled in when neither cut was given."""
    m = options.margin
    if m.threshold is None and m.top is None:
        return options.replace(margin=m.replace(threshold=default_threshold(space.identity, m.kind, ROLE)))
    return options


def _language_warnings(
    options: MineOptions, src_sample: Sequence[str], tgt_sample: Sequence[str]
) -> list[str]:
    """Both sides in one language: margin mining finds paraphrases there, not translations."""
    from ..text import canonical_lang, detect_language, same_language

    if options.src_lang and options.tgt_lang:
        a, b = canonical_lang(options.src_lang), canonical_lang(options.tgt_lang)
        if same_language(a, b):
            return [
                f"Both sides are expected in the same language ({a}); margin mining finds paraphrases there, "
                "not translations."
            ]
        return []
    if options.src_lang or options.tgt_lang or not src_sample or not tgt_sample:
        return []
    found = []
    for sample in (src_sample, tgt_sample):
        langs = Counter(g.lang for g in detect_language(list(sample)) if g.lang != "und")
        lang, count = langs.most_common(1)[0] if langs else ("und", 0)
        found.append(lang if count >= 0.8 * len(sample) else None)
    if found[0] and found[0] == found[1]:
        return [
            f"Both sides look like the same language ({found[0]}, detected on up to {LANG_SAMPLE} texts a side); "
            "margin mining finds paraphrases there, not translations."
        ]
    return []


def _warn_all(messages: list[str]) -> None:
    for m in messages:
        warnings.warn(m, SameLanguageWarning, stacklevel=3)


def _pairs(
    cands: Candidates,
    src_ids: Sequence[str],
    tgt_ids: Sequence[str],
    src_texts: Sequence[str],
    tgt_texts: Sequence[str],
    options: MineOptions,
) -> tuple[list[BitextPair], FilterReport]:
    """Filter (texts given for each candidate, in order) and cut to ``top``."""
    f = options.filters
    keep, report = apply_filters(
        src_texts,
        tgt_texts,
        filters=f.enabled,
        src_lang=_lang(options.src_lang),
        tgt_lang=_lang(options.tgt_lang),
        max_length_ratio=f.max_length_ratio,
    )
    rows = [i for i, ok in enumerate(keep) if ok][: options.margin.top]
    pairs = [
        BitextPair(
            src_ids[int(cands.src[i])],
            tgt_ids[int(cands.tgt[i])],
            float(cands.score[i]),
            src_texts[i],
            tgt_texts[i],
            float(cands.cosine[i]),
        )
        for i in rows
    ]
    return pairs, report


def _lang(code: str | None) -> str | None:
    from ..text import canonical_lang

    return canonical_lang(code) if code else None


# -- in memory ---------------------------------------------------------------------------------
def mine_texts(
    src_texts: Sequence[str],
    tgt_texts: Sequence[str],
    options: MineOptions | None = None,
    *,
    src_ids: Sequence[str] | None = None,
    tgt_ids: Sequence[str] | None = None,
    space: Any = None,
    progress: ProgressFn | None = None,
) -> MineReport:
    """Mine two lists of texts: the report, with the pairs (best first) in ``results``.

    ``space`` (a Space, an Encoder or a name) overrides ``options.space``, e.g. for an encoder
    built in code.
    """
    options = (options or MineOptions()).validate("mine()")
    start = time.perf_counter()
    src_texts = check_texts(src_texts, "src_texts")
    tgt_texts = check_texts(tgt_texts, "tgt_texts")
    src_ids = [str(i) for i in range(1, len(src_texts) + 1)] if src_ids is None else list(src_ids)
    tgt_ids = [str(i) for i in range(1, len(tgt_texts) + 1)] if tgt_ids is None else list(tgt_ids)
    for name, texts, ids in (("src", src_texts, src_ids), ("tgt", tgt_texts, tgt_ids)):
        if not texts:
            raise InputError(f"The {name!r} side is empty: nothing to mine.")
        if len(ids) != len(texts):
            raise InputError(f"The {name!r} side has {len(texts)} texts but {len(ids)} ids.")
    sp = Space.of(space) if space is not None else cached_space(options.space)
    options = _threshold(options, sp)
    said = _language_warnings(options, src_texts[:LANG_SAMPLE], tgt_texts[:LANG_SAMPLE])
    _warn_all(said)
    src, _ = encode_texts(
        src_texts,
        sp,
        role=ROLE,
        cache=options.cache,
        workers=options.workers,
        progress=progress,
        desc="embed src",
    )
    tgt, _ = encode_texts(
        tgt_texts,
        sp,
        role=ROLE,
        cache=options.cache,
        workers=options.workers,
        progress=progress,
        desc="embed tgt",
    )
    mined = mine_vectors(src, tgt, options, progress=progress, top=False)
    c = mined.candidates
    pairs, filt = _pairs(
        c, src_ids, tgt_ids, [src_texts[i] for i in c.src], [tgt_texts[i] for i in c.tgt], options
    )
    return _report(
        options,
        sp,
        mined,
        len(src_texts),
        len(tgt_texts),
        pairs,
        filt,
        start,
        "",
        said,
        [],
        results=tuple(pairs),
    )


def mine(
    src_texts: Sequence[str],
    tgt_texts: Sequence[str],
    *,
    src_ids: Sequence[str] | None = None,
    tgt_ids: Sequence[str] | None = None,
    model: Any = None,
    progress: ProgressFn | None = None,
    **options: Any,
) -> list[BitextPair]:
    """Mine translation pairs from two lists of texts: best score first.

    ``model`` is an encoder name, an Encoder or a Space; ``options`` are MineOptions fields by name
    (``k``, ``margin``, ``mode``, ``knn``, ``threshold``, ``top``, ``filters``, ``src_lang``, ...).
    Without ``threshold`` and ``top``, the threshold calibrated for the space applies.
    """
    opts = MineOptions().with_flat(options, aliases=ALIASES)
    if isinstance(model, str):
        opts, model = opts.with_values({"space.encoder": model}), None
    return list(
        mine_texts(
            src_texts, tgt_texts, opts, src_ids=src_ids, tgt_ids=tgt_ids, space=model, progress=progress
        ).results
    )


def _report(
    options: MineOptions,
    space: Space,
    mined: Any,
    n_src: int,
    n_tgt: int,
    pairs: list[BitextPair],
    filt: FilterReport,
    start: float,
    output: str,
    said: list[str],
    notes: list[str],
    *,
    results: tuple[BitextPair, ...] = (),
    reused: int = 0,
) -> MineReport:
    m = options.margin
    return MineReport(
        n_src,
        n_tgt,
        space.identity,
        space.name,
        ROLE,
        options.knn.k,
        m.kind,
        m.mode,
        mined.backend,
        m.threshold,
        m.top,
        len(mined.candidates),
        len(pairs),
        filt,
        mined.blocks.computed,
        mined.blocks.reused,
        reused,
        time.perf_counter() - start,
        output,
        tuple(said),
        tuple(notes),
        results,
    )


# -- files ---------------------------------------------------------------------------------------
def run(
    job: MineJob, *, progress: ProgressFn | None = None, executor: str | Executor | None = None
) -> MineReport:
    """Run a :class:`MineJob`: everything that can be checked is checked before a model loads."""
    job.validate()
    start = time.perf_counter()
    out_fmt = pair_format(job.output, job.output_format)
    to_file = job.output is not None and job.output != "-"
    inputs = [job.src, job.tgt, *_emb_files(job.src_emb), *_emb_files(job.tgt_emb)]
    outputs = [job.output, job.output + ".meta.json"] if to_file else []
    check_outputs(outputs, inputs)
    if job.work_dir is not None:
        prepare_work_dir(Path(job.work_dir))
    space = cached_space(job.space)
    options = _threshold(job, space)
    counts = {"src": count_records(job.src, job.input), "tgt": count_records(job.tgt, job.input)}
    said = _language_warnings(options, _head(job.src, job), _head(job.tgt, job))
    _warn_all(said)
    notes: list[str] = [f"both sides embedded with role {ROLE!r} by {space.name}"]
    with ExitStack() as stack:
        wd = (
            Path(job.work_dir)
            if job.work_dir is not None
            else Path(stack.enter_context(tempfile.TemporaryDirectory()))
        )
        sides, reused = {}, 0
        for side, path, emb in (("src", job.src, job.src_emb), ("tgt", job.tgt, job.tgt_emb)):
            ids, vecs, was_reused = _side_vectors(
                side, path, emb, counts[side], job, space, wd, progress, executor
            )
            reused += was_reused
            sides[side] = (ids, vecs)
        (src_ids, src), (tgt_ids, tgt) = sides["src"], sides["tgt"]
        mined = mine_vectors(
            src,
            tgt,
            options,
            work_dir=wd / "knn" if job.work_dir is not None else None,
            progress=progress,
            top=False,
        )
        c = mined.candidates
        src_texts = _texts_at(job.src, c.src, src_ids, job, emb_given=job.src_emb is not None)
        tgt_texts = _texts_at(job.tgt, c.tgt, tgt_ids, job, emb_given=job.tgt_emb is not None)
        pairs, filt = _pairs(c, src_ids, tgt_ids, src_texts, tgt_texts, options)
    if reused:
        notes.append(f"{reused} side(s) of embeddings reused from the work folder")
    for line in notes:
        note(progress, line, "mine")
    stamp = provenance("mined-pairs", space, role=ROLE, job=options)
    if to_file:
        write_pairs(pairs, job.output, out_fmt, stamp)
    return _report(
        options,
        space,
        mined,
        len(src_ids),
        len(tgt_ids),
        pairs,
        filt,
        start,
        job.output if to_file else "-",
        said,
        notes,
        results=() if to_file else tuple(pairs),
        reused=reused,
    )


def mine_files(
    src_path: Any, tgt_path: Any, output: Any = None, *, progress: ProgressFn | None = None, **options: Any
) -> MineReport:
    """Keyword face of :class:`MineJob`: ``mine_files("zh.txt", "en.txt", "pairs.tsv", model=..., k=4, ...)``."""
    job = MineJob(src=str(src_path), tgt=str(tgt_path), output=str(output) if output is not None else None)
    for key in ("src_emb", "tgt_emb", "work_dir"):
        if options.get(key) is not None:
            options[key] = str(options[key])
    options.pop("quiet", None)
    return run(job.with_flat(options, aliases=ALIASES), progress=progress)


def _emb_files(path: str | None) -> list[str]:
    return [str(p) for p in output_files(path)] if path else []


def _head(path: str, job: MineJob) -> list[str]:
    with read_records(path, job.input.replace(skip_empty=True)) as records:
        return [rec.text for _, rec in zip(range(LANG_SAMPLE), records)]


def _side_vectors(
    side: str,
    path: str,
    emb: str | None,
    count: int,
    job: MineJob,
    space: Space,
    wd: Path,
    progress: ProgressFn | None,
    executor: Any,
) -> tuple[list[str], np.ndarray, int]:
    """The vectors of one side: given (their provenance checked), reused from the work folder, or made."""
    reused = 0
    if emb is not None:
        check_provenance(read_provenance(emb), space, ROLE, what=f"--{side}-emb {emb}")
        source = emb
    else:
        from ..embed import EmbedJob
        from ..embed import run as run_embed

        target = wd / f"{side}.npy"
        embed = EmbedJob(
            source=path,
            output=str(target),
            input=job.input,
            space=job.space,
            role=ROLE,
            cache=job.cache,
            workers=job.workers,
        )
        if _reusable(target, embed):
            reused = 1
        else:
            run_embed(embed, progress=progress, executor=executor)
        source = str(target)
    ids, vecs = read_embeddings(source)
    if len(ids) != count:
        raise InputError(
            f"has {len(ids):,} embeddings but {path} has {count:,} texts; one vector a text is needed",
            path=str(source),
        )
    return ids, vecs, reused


def _reusable(target: Path, embed: Any) -> bool:
    """Embeddings a killed run finished (files are atomic) for the same job on an unchanged source."""
    if not target.is_file():
        return False
    try:
        prov = read_provenance(target)
    except InputError:
        return False
    if not prov or prov.get("fingerprint") != embed.fingerprint():
        return False
    return prov.get("source_stat") == _stat(embed.source)


def _stat(path: str) -> list[int]:
    st = Path(path).stat()
    return [st.st_size, st.st_mtime_ns]


def _texts_at(path: str, rows: np.ndarray, ids: Sequence[str], job: MineJob, emb_given: bool) -> list[str]:
    """Texts of ``rows`` (in that order), read in one pass; the file's ids must match the embeddings'."""
    wanted = np.unique(rows)
    found: dict[int, str] = {}
    pos = 0
    with read_records(path, job.input) as records:
        check_ids = emb_given and records.fields.id is not None
        for n, rec in enumerate(records):
            if pos < len(wanted) and n == wanted[pos]:
                if check_ids and rec.id != ids[n]:
                    raise InputError(
                        f"row {n + 1} has id {rec.id!r} but the embeddings give {ids[n]!r} there; "
                        "texts and embeddings must be in the same order",
                        path=str(path),
                        line=rec.line,
                    )
                found[n] = rec.text
                pos += 1
                if pos == len(wanted):
                    break
    return [found[int(r)] for r in rows]


__all__ = ["LANG_SAMPLE", "ROLE", "MineReport", "mine", "mine_files", "mine_texts", "run"]
