"""Mined pairs out: TSV (a ``#`` provenance line, then a header row) or JSONL (one pair a line,
provenance in a ``.meta.json`` sidecar), written atomically."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import asdict
from pathlib import Path
from typing import Any

from .._atomic import Publication, storage_errors
from .._paths import check_outputs
from ..errors import InputError
from ..io import output_files
from ._bitext import BitextPair
from ._options import PAIR_FORMATS

META_SUFFIX = ".meta.json"
TSV_HEADER = "score\tsrc_id\ttgt_id\tsrc_text\ttgt_text\tcosine\n"


def pair_format(output: str | None, fmt: str | None) -> str:
    if fmt is not None:
        return fmt
    if output is None or str(output) == "-":
        return "tsv"
    ext = Path(output).suffix.lower().lstrip(".")
    if ext not in PAIR_FORMATS:
        raise InputError(
            "the output must end in .tsv or .jsonl (or pass --format tsv|jsonl)", path=str(output)
        )
    return ext


def provenance_comment(record: dict[str, Any] | None) -> str:
    """The first line of a TSV that carries its provenance (readers skip lines starting with '#')."""
    return "" if not record else "# interlingua " + json.dumps(record, ensure_ascii=False, default=str) + "\n"


def pair_lines(
    pairs: Iterable[BitextPair], fmt: str, provenance: dict[str, Any] | None = None
) -> Iterator[str]:
    if fmt == "tsv":
        yield provenance_comment(provenance)
        yield TSV_HEADER
    for p in pairs:
        if fmt == "tsv":
            st, tt = (one_field(t) for t in (p.src_text, p.tgt_text))
            yield f"{p.score:.6f}\t{p.src_id}\t{p.tgt_id}\t{st}\t{tt}\t{p.cosine:.6f}\n"
        else:
            yield (
                json.dumps(
                    {**asdict(p), "score": round(p.score, 6), "cosine": round(p.cosine, 6)},
                    ensure_ascii=False,
                )
                + "\n"
            )


def write_pairs(
    pairs: Iterable[BitextPair], output: str, fmt: str, provenance: dict[str, Any] | None
) -> None:
    """Write to ``output`` atomically (TSV with its provenance line; JSONL with a sidecar)."""
    write_text_output(
        output,
        pair_lines(pairs, fmt, provenance if fmt == "tsv" else None),
        provenance if fmt != "tsv" else None,
    )


def write_text_output(output: str, lines: Iterable[str], sidecar: dict[str, Any] | None) -> None:
    """Lines to ``output`` (and a provenance sidecar), published together or not at all."""
    out = Path(output)
    pub = Publication()
    try:
        if sidecar is not None:
            meta = pub.add(out.with_name(out.name + META_SUFFIX))
            with storage_errors(out), open(meta, "w", encoding="utf-8") as fh:
                fh.write(json.dumps(sidecar, ensure_ascii=False, indent=1, default=str) + "\n")
        temp = pub.add(out)
        with storage_errors(out), open(temp, "w", encoding="utf-8", newline="\n") as fh:
            fh.writelines(lines)
    except BaseException:
        pub.abort()
        raise
    pub.commit()


def one_field(text: str) -> str:
    """A text as one TSV field: tabs and line breaks become spaces."""
    return " ".join(text.replace("\t", " ").splitlines())


def check_job_outputs(job: Any) -> bool:
    """Whether a mine or align job writes a file; such an output (and its sidecar) may not be one
    of the job's inputs: its texts or the embedding files given."""
    to_file = job.output is not None and job.output != "-"
    inputs = [job.src, job.tgt, *_emb_files(job.src_emb), *_emb_files(job.tgt_emb)]
    check_outputs([job.output, job.output + META_SUFFIX] if to_file else [], inputs)
    return to_file


def _emb_files(path: str | None) -> list[str]:
    return [str(p) for p in output_files(path)] if path else []


__all__ = [
    "META_SUFFIX",
    "PAIR_FORMATS",
    "pair_format",
    "pair_lines",
    "provenance_comment",
    "write_pairs",
    "write_text_output",
]
