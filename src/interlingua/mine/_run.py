"""``run(MineJob)``: two files -> the translation pairs hidden in them.

Bounded memory: texts are embedded into ``.npy`` files (through the embedding cache) in the
work folder and memory-mapped; the k-NN runs block by block; texts are read back only for the
selected pairs. A rerun with the same ``--work-dir`` reuses the embeddings and the k-NN blocks
a killed run saved.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .._executors import Executor, shared_executor
from .._paths import file_stamp
from ..errors import InputError, SpecError
from ..io import count_records, read_embeddings, read_provenance, read_records
from ..neutral import Space, SpaceSpec, cached_space, check_provenance, provenance
from ..progress import ProgressFn, note
from . import _mine_common as common
from ._bitext import Mined, mine_vectors
from ._mine_common import ROLE, MineReport
from ._options import ALIASES, MineJob
from ._pairs import check_job_outputs, pair_format, write_pairs
from ._row_vectors import RowEncoder, texts_at
from ._stream import prepare_work_dir
from ._two_stage import mine_two_stage


@dataclass(frozen=True)
class MineSteps:
    """The steps of :func:`run` another runner may do its own way (``runners``' sharded mine); None:
    this process's way. ``embed(job, progress=, executor=)`` makes a side's vectors file;
    ``mine_vectors(src, tgt, options, work_dir=, progress=, top=)`` finds and scores the pairs as
    :func:`mine_vectors` does; ``work_dir`` keeps the embeddings when the job names no work folder."""

    embed: Callable[..., Any] | None = None
    mine_vectors: Callable[..., Mined] | None = None
    work_dir: Path | None = None


def run(
    job: MineJob,
    *,
    progress: ProgressFn | None = None,
    executor: str | Executor | None = None,
    steps: MineSteps | None = None,
) -> MineReport:
    """Run a :class:`MineJob`: everything that can be checked is checked before a model loads."""
    steps = steps or MineSteps()
    job.validate()
    two_stage = job.candidates.model is not None
    if two_stage and (steps.embed is not None or steps.mine_vectors is not None):
        raise SpecError(
            "The 'candidates.model' parameter of mine() is not taken by the sharded mine (--executor, "
            f"--scheduler, --shard-rows): mine in one process with candidates, or shard without. Got "
            f"{job.candidates.model!r} instead.",
            field="candidates.model",
        )
    start = time.perf_counter()
    out_fmt = pair_format(job.output, job.output_format)
    to_file = check_job_outputs(job)
    if job.work_dir is not None:
        prepare_work_dir(Path(job.work_dir))
    space = cached_space(job.space)
    options = common.with_threshold(job, space)
    counts = {"src": count_records(job.src, job.input), "tgt": count_records(job.tgt, job.input)}
    said = common.language_warnings(options, _head(job.src, job), _head(job.tgt, job))
    common.warn_all(said)
    notes: list[str] = [
        f"candidates from {job.candidates.model}, scores by {space.name} (role {ROLE!r})"
        if two_stage
        else f"both sides embedded with role {ROLE!r} by {space.name}"
    ]
    with ExitStack() as stack:
        wd = (
            Path(job.work_dir)
            if job.work_dir is not None
            else steps.work_dir or Path(stack.enter_context(tempfile.TemporaryDirectory()))
        )
        executor = stack.enter_context(shared_executor(executor, job.workers))
        sides, reused = {}, 0
        made = cached_space(SpaceSpec(encoder=job.candidates.model)) if two_stage else space
        for side, path, emb in (("src", job.src, job.src_emb), ("tgt", job.tgt, job.tgt_emb)):
            ids, vecs, was_reused = _side_vectors(
                side, path, emb, counts[side], job, made, wd, progress, executor, steps.embed
            )
            reused += was_reused
            sides[side] = (ids, vecs)
        (src_ids, src), (tgt_ids, tgt) = sides["src"], sides["tgt"]
        keep = job.work_dir is not None
        stages = None
        if two_stage:
            encoders = [
                RowEncoder(side, path, job, space, wd if keep else None, progress, executor)
                for side, path in (("src", job.src), ("tgt", job.tgt))
            ]
            mined, stages = mine_two_stage(
                src,
                tgt,
                options,
                *encoders,
                work_dir=wd / "knn-candidates" if keep else None,
                progress=progress,
                top=False,
            )
            notes.append(
                f"{job.candidates.model} embedded {stages.candidate_embedded:,} sentences and proposed "
                f"{stages.candidate_pairs:,} pairs; {space.name} embedded {stages.embedded:,} "
                f"({stages.embedded / max(1, len(src_ids) + len(tgt_ids)):.1%})"
            )
        else:
            mined = (steps.mine_vectors or mine_vectors)(
                src, tgt, options, work_dir=wd / "knn" if keep else None, progress=progress, top=False
            )
        c = mined.candidates
        src_texts = texts_at(job.src, c.src, src_ids, job, emb_given=job.src_emb is not None)
        tgt_texts = texts_at(job.tgt, c.tgt, tgt_ids, job, emb_given=job.tgt_emb is not None)
        pairs, filt = common.filtered_pairs(c, src_ids, tgt_ids, src_texts, tgt_texts, options)
    if reused:
        notes.append(f"{reused} side(s) of embeddings reused from the work folder")
    for line in notes:
        note(progress, line, "mine")
    stamp = provenance("mined-pairs", space, role=ROLE, job=options)
    if to_file:
        write_pairs(pairs, job.output, out_fmt, stamp)
    return common.mine_report(
        options,
        space,
        mined,
        src_rows=len(src_ids),
        tgt_rows=len(tgt_ids),
        pairs=len(pairs),
        filters=filt,
        seconds=time.perf_counter() - start,
        output=job.output if to_file else "-",
        warnings=tuple(said),
        notes=tuple(notes),
        results=() if to_file else tuple(pairs),
        embeddings_reused=reused,
        **common.stage_fields(
            stages,
            len(src_ids) + len(tgt_ids),
            given=(len(src_ids) if job.src_emb else 0) + (len(tgt_ids) if job.tgt_emb else 0),
        ),
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


def _head(path: str, job: MineJob) -> list[str]:
    with read_records(path, job.input.replace(skip_empty=True)) as records:
        return [rec.text for _, rec in zip(range(common.LANG_SAMPLE), records)]


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
    embed_step: Callable[..., Any] | None = None,
) -> tuple[list[str], np.ndarray, int]:
    """The vectors of one side: given (their provenance checked), reused from the work folder, or made."""
    reused = 0
    if emb is not None:
        check_provenance(read_provenance(emb), space, ROLE, what=f"--{side}-emb {emb}")
        source = emb
    else:
        from ..embed import EmbedJob
        from ..embed import run as run_embed

        # the candidate model's vectors have a name of their own: a work folder may hold both
        target = wd / (f"{side}.npy" if space.spec == job.space else f"{side}.candidates.npy")
        embed = EmbedJob(
            source=path,
            output=str(target),
            input=job.input,
            space=space.spec if space.spec is not None else job.space,
            role=ROLE,
            cache=job.cache,
            workers=job.workers,
        )
        if _reusable(target, embed):
            reused = 1
        else:
            (embed_step or run_embed)(embed, progress=progress, executor=executor)
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
    return prov.get("source_stat") == file_stamp(embed.source)


__all__ = ["MineSteps", "mine_files", "run"]
