"""``run(AlignJob)``: read two documents, align them, write the links.

Sentence mode reads one sentence a line (``blank_lines="skip"``: blank lines are dropped and
indices count sentences; ``"keep"``: indices count lines, and a blank line is never linked) or,
with ``split``, raw text that the project's splitter cuts into sentences. Word mode reads two
files of parallel sentences, line by line: a blank line is an empty sentence with no links, and
the files must have the same number of lines. Both sides are embedded with role ``query``.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .._executors import Executor, shared_executor
from .._reports import add_shards
from ..embed import MINING_ROLE
from ..errors import InputError
from ..io import read_embedding_texts, read_embeddings, read_provenance, read_records
from ..neutral import Space, SpaceSpec, cached_space, check_provenance, encode_texts, provenance
from ..progress import ProgressFn, note
from ._align_options import AlignJob
from ._pairs import check_job_outputs, one_field, provenance_comment, write_text_output
from ._sentalign import Alignment, align_window_embeddings, embed_windows, window_texts
from ._wordalign import WordAlignment, align_words

ROLE = MINING_ROLE


@dataclass(frozen=True)
class AlignReport:
    """What an alignment run did. ``lines`` holds the formatted output when no file was written."""

    mode: str
    src_items: int
    tgt_items: int
    links: int
    embed_seconds: float = 0.0
    align_seconds: float = 0.0
    space: str = ""
    role: str = ROLE
    output: str = "-"
    notes: tuple[str, ...] = ()
    lines: tuple[str, ...] = ()
    #: window texts the job's model embedded (all of both documents in one stage)
    embedded: int = 0
    #: two stages: the cheap model, the windows it embedded, the links it decided alone
    candidate_model: str = ""
    candidate_embedded: int = 0
    candidate_links: int = 0

    def __add__(self, other: AlignReport) -> AlignReport:
        """Two shards of one job (say, documents aligned one pair at a time): counts add."""
        return add_shards(self, other)

    def to_dict(self) -> dict[str, Any]:
        from dataclasses import asdict

        out = asdict(self)
        out.pop("lines")
        out["notes"] = list(self.notes)
        return out


def read_lines(path: str) -> list[str]:
    """Lines of a UTF-8 text file, blank lines kept as ``""`` (trailing blank lines dropped)."""
    lines: list[str] = []
    for rec in read_records(path, format="txt", skip_empty=True):
        lines.extend([""] * (rec.line - 1 - len(lines)))
        lines.append(rec.text)
    return lines


def read_document(
    path: str, *, split: bool = False, lang: str | None = None, blank_lines: str = "skip"
) -> tuple[list[str], list[int]]:
    """The sentences of a document file and, for each, the index it is reported under (its position
    among sentences, or its 0-based line with ``blank_lines="keep"``); refuses a file without any."""
    lines = read_lines(path)
    if split:
        from ..text import split_sentences

        sents = split_sentences("\n".join(lines), lang)
        index = list(range(len(sents)))
    else:
        kept = [(i, line.strip()) for i, line in enumerate(lines) if line.strip()]
        sents = [s for _, s in kept]
        index = [i for i, _ in kept] if blank_lines == "keep" else list(range(len(sents)))
    if not sents:
        raise InputError("the document has no sentences (only blank lines)", path=str(path))
    return sents, index


def run(
    job: AlignJob, *, progress: ProgressFn | None = None, executor: str | Executor | None = None
) -> AlignReport:
    """Run an :class:`AlignJob`; the output is written atomically, or returned as ``lines``."""
    job.validate()
    to_file = check_job_outputs(job)
    if job.mode == "words":
        return _align_word_files(job, to_file, progress)
    fmt = job.output_format or "tsv"
    o = job.sentences
    src, src_index = read_document(job.src, split=o.split, lang=job.src_lang, blank_lines=o.blank_lines)
    tgt, tgt_index = read_document(job.tgt, split=o.split, lang=job.tgt_lang, blank_lines=o.blank_lines)
    space = cached_space(job.space)
    cheap_model = job.candidates.model
    t0 = time.perf_counter()
    counts: dict[str, Any] = {}
    if cheap_model is None:
        note(progress, f"both documents embedded with role {ROLE!r} by {space.name}", "align")
        with shared_executor(executor, job.workers) as pool:
            src_w = _windows("src", src, job.src_emb, job, space, progress, pool)
            tgt_w = _windows("tgt", tgt, job.tgt_emb, job, space, progress, pool)
        t1 = time.perf_counter()
        links = align_window_embeddings(src_w, tgt_w, o)
        counts["embedded"] = sum(len({t for w in window_texts(d, o.max_size) for t in w}) for d in (src, tgt))
    else:
        from ._align_two_stage import align_two_stage

        note(progress, f"aligned first by {cheap_model}, doubtful stretches by {space.name}", "align")
        cheap = cached_space(SpaceSpec(encoder=cheap_model))
        with shared_executor(executor, job.workers) as pool:
            links, st = align_two_stage(
                src,
                tgt,
                o,
                job.candidates,
                _encoder("candidates", job, cheap, progress, pool),
                _encoder("windows", job, space, progress, pool),
            )
        t1 = time.perf_counter()
        counts = {
            "embedded": st.embedded,
            "candidate_model": cheap_model,
            "candidate_embedded": st.candidate_embedded,
            "candidate_links": st.candidate_links,
        }
    t2 = time.perf_counter()
    stamp = provenance("sentence-alignment", space, role=ROLE, job=job)
    lines = alignment_lines(
        links,
        fmt,
        src=src if job.with_text else None,
        tgt=tgt if job.with_text else None,
        src_index=src_index,
        tgt_index=tgt_index,
        provenance=stamp if fmt == "tsv" else None,
    )
    out_lines = _emit(job, to_file, lines, stamp if fmt != "tsv" else None)
    return AlignReport(
        "sentences",
        len(src),
        len(tgt),
        len(links),
        t1 - t0,
        t2 - t1,
        space.identity,
        ROLE,
        job.output if to_file else "-",
        (),
        out_lines,
        **counts,
    )


def _encoder(desc: str, job: AlignJob, space: Space, progress: ProgressFn | None, executor: Any) -> Any:
    """``texts -> vectors`` of ``space`` through the embedding cache."""

    def encode(texts: list[str]) -> np.ndarray:
        opts = {"cache": job.cache, "workers": job.workers, "executor": executor, "progress": progress}
        return encode_texts(texts, space, role=ROLE, desc=desc, **opts)[0]

    return encode


def _emit(
    job: AlignJob, to_file: bool, lines: Iterator[str], sidecar: dict[str, Any] | None
) -> tuple[str, ...]:
    if to_file:
        write_text_output(job.output, lines, sidecar)
        return ()
    return tuple(lines)


def _windows(
    side: str,
    sents: list[str],
    emb: str | None,
    job: AlignJob,
    space: Space,
    progress: ProgressFn | None,
    executor: str | Executor | None,
) -> np.ndarray:
    """Window vectors ``(max_size, n, d)``: encoded (through the cache), or looked up in ``emb``."""
    max_size = job.sentences.max_size
    if emb is None:

        def encode(texts: list[str]) -> np.ndarray:
            opts = {"cache": job.cache, "workers": job.workers, "executor": executor, "progress": progress}
            return encode_texts(texts, space, role=ROLE, desc=f"embed {side}", **opts)[0]

    else:
        encode = _given_windows(side, sents, emb, space, max_size)
    return embed_windows(sents, max_size=max_size, encode=encode)


def _given_windows(side: str, sents: list[str], emb: str, space: Space, max_size: int) -> Any:
    """``texts -> vectors`` looked up by text in a file embedded beforehand (with its texts)."""
    check_provenance(read_provenance(emb), space, ROLE, what=f"--{side}-emb {emb}")
    _, vecs = read_embeddings(emb)
    texts = read_embedding_texts(emb)
    if texts is None and not (max_size == 1 and len(vecs) == len(sents)):
        raise InputError(
            f"holds {len(vecs):,} vectors without their texts, so the windows of {side} cannot be found in it; "
            "embed the windows with --with-text (or give one vector per sentence with --max-size 1)",
            path=str(emb),
        )
    where = {t: i for i, t in enumerate(texts if texts is not None else sents)}

    def lookup(wanted: list[str]) -> np.ndarray:
        missing = [t for t in wanted if t not in where]
        if missing:
            raise InputError(
                f"lacks {len(missing):,} of the {len(wanted):,} windows of {side} (e.g. {missing[0][:60]!r}); windows "
                f"are up to {max_size} consecutive sentences joined by a space (mine.window_texts); embed them all",
                path=str(emb),
            )
        return np.asarray(vecs[[where[t] for t in wanted]], dtype=np.float32)

    return lookup


def alignment_lines(
    links: Sequence[Alignment],
    fmt: str = "tsv",
    *,
    src: Sequence[str] | None = None,
    tgt: Sequence[str] | None = None,
    src_index: Sequence[int] | None = None,
    tgt_index: Sequence[int] | None = None,
    provenance: dict[str, Any] | None = None,
) -> Iterator[str]:
    """``tsv``: ``[0, 1]<TAB>[0]<TAB>0.123`` (+ both texts with ``src``/``tgt``; a ``#`` provenance line
    first); ``vecalign``: ``[0, 1]:[0]:0.123``; ``jsonl``: ``{"src": [0, 1], "tgt": [0], "score": 0.123}``."""
    if fmt == "tsv" and provenance:
        yield provenance_comment(provenance)
    for a in links:
        s_idx = [src_index[i] if src_index is not None else i for i in a.src]
        t_idx = [tgt_index[i] if tgt_index is not None else i for i in a.tgt]
        s_text = " ".join(src[i] for i in a.src) if src is not None else None
        t_text = " ".join(tgt[i] for i in a.tgt) if tgt is not None else None
        yield link_line(s_idx, t_idx, a.score, fmt, s_text, t_text)


def link_line(
    src: Sequence[int],
    tgt: Sequence[int],
    score: float,
    fmt: str = "tsv",
    src_text: str | None = None,
    tgt_text: str | None = None,
) -> str:
    """One sentence link as a line of ``fmt`` (see :func:`alignment_lines`), from its reported
    indices, its score and, when given, the joined texts of both sides."""
    s_idx, t_idx = list(src), list(tgt)
    if fmt == "jsonl":
        rec: dict[str, Any] = {"src": s_idx, "tgt": t_idx, "score": score}
        if src_text is not None:
            rec.update(src_text=src_text, tgt_text=tgt_text)
        return json.dumps(rec, ensure_ascii=False) + "\n"
    if fmt == "vecalign":
        return f"{s_idx}:{t_idx}:{score:.6f}\n"
    fields = [str(s_idx), str(t_idx), f"{score:.6f}"]
    if src_text is not None:
        fields += [one_field(src_text), one_field(tgt_text or "")]
    return "\t".join(fields) + "\n"


def write_alignments(
    links: Sequence[Alignment],
    out: Any,
    *,
    fmt: str = "tsv",
    src: Sequence[str] | None = None,
    tgt: Sequence[str] | None = None,
) -> None:
    """Write links to an open text stream (see :func:`alignment_lines` for the formats)."""
    out.writelines(alignment_lines(links, fmt, src=src, tgt=tgt))


def _align_word_files(job: AlignJob, to_file: bool, progress: ProgressFn | None) -> AlignReport:
    src, tgt = read_lines(job.src), read_lines(job.tgt)
    if len(src) != len(tgt):
        raise InputError(
            f"word alignment needs parallel files with the same number of lines: {job.src} has {len(src)}, "
            f"{job.tgt} has {len(tgt)}"
        )
    space = cached_space(job.space)
    fmt = job.output_format or "pharaoh"
    t0 = time.perf_counter()
    w = job.words
    result = align_words(
        src, tgt, encoder=space, method=w.method, center=w.center, pretokenized=w.pretokenized
    )
    seconds = time.perf_counter() - t0
    assert isinstance(result, list)
    stamp = provenance("word-alignment", space, role="passage", job=job)
    lines = (_word_line(wa, fmt, job.with_text) + "\n" for wa in result)
    out_lines = _emit(job, to_file, lines, stamp)
    links = sum(len(wa.links) for wa in result)
    return AlignReport(
        "words",
        len(src),
        len(tgt),
        links,
        0.0,
        seconds,
        space.identity,
        "passage",
        job.output if to_file else "-",
        (),
        out_lines,
    )


def _word_line(wa: WordAlignment, fmt: str, with_text: bool) -> str:
    if fmt == "pharaoh":
        return wa.pharaoh()
    rec: dict[str, Any] = {"links": [list(p) for p in wa.links]}
    if with_text:
        rec.update(src_words=list(wa.src_words), tgt_words=list(wa.tgt_words))
    return json.dumps(rec, ensure_ascii=False)


def align_files(
    src_path: Any, tgt_path: Any, output: Any = None, *, progress: ProgressFn | None = None, **options: Any
) -> AlignReport:
    """Keyword face of :class:`AlignJob`: ``align_files("en.txt", "de.txt", "links.tsv", words=False, max_size=3)``."""
    from ._align_options import ALIGN_ALIASES

    if "words" in options:
        options["mode"] = "words" if options.pop("words") else "sentences"
    options.pop("quiet", None)
    job = AlignJob(src=str(src_path), tgt=str(tgt_path), output=str(output) if output is not None else None)
    return run(job.with_flat(options, aliases=ALIGN_ALIASES), progress=progress)


__all__ = [
    "AlignReport",
    "align_files",
    "alignment_lines",
    "link_line",
    "read_document",
    "read_lines",
    "run",
    "write_alignments",
]
