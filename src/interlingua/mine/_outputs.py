"""A mine or align output in another of its formats, from the JSONL file a job wrote.

JSONL is the lossless form of every output (full texts and scores; the provenance in the
``.meta.json`` sidecar, whose ``kind`` says what the file holds), so a job that keeps its output
as JSONL can hand it out in any format later: mined pairs as the TSV ``mine -o pairs.tsv`` writes
(the ``# interlingua`` line, the header, the rows), sentence links as TSV or vecalign, word links
as Pharaoh. The HTTP server's ``/jobs/{id}/result?format=...`` streams these lines.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ..errors import InputError
from ._align_files import link_line
from ._align_options import SENTENCE_FORMATS, WORD_FORMATS
from ._bitext import BitextPair
from ._options import PAIR_FORMATS
from ._pairs import META_SUFFIX, pair_lines, provenance_comment
from ._wordalign import WordAlignment

#: what each kind of output (its provenance ``kind``) can be written as
FORMATS_BY_KIND: dict[str, tuple[str, ...]] = {
    "mined-pairs": PAIR_FORMATS,
    "sentence-alignment": SENTENCE_FORMATS,
    "word-alignment": WORD_FORMATS,
}


def output_provenance(path: str | Path) -> dict[str, Any]:
    """The provenance record of a JSONL output (its ``.meta.json`` sidecar)."""
    meta = Path(str(path) + META_SUFFIX)
    try:
        record = json.loads(meta.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(
            f"has no provenance sidecar {meta.name}; it is not a job's JSONL output", path=str(path)
        ) from None
    except (OSError, ValueError) as exc:
        raise InputError(f"cannot read its provenance sidecar {meta.name}: {exc}", path=str(path)) from None
    if not isinstance(record, dict) or record.get("kind") not in FORMATS_BY_KIND:
        kind = record.get("kind") if isinstance(record, dict) else None
        raise InputError(
            f"holds {kind!r} records; outputs that convert are {', '.join(FORMATS_BY_KIND)}", path=str(path)
        )
    return record


def output_formats(path: str | Path) -> tuple[str, ...]:
    """The formats a JSONL output converts to (``tsv``, ``jsonl``, ``vecalign`` or ``pharaoh``)."""
    return FORMATS_BY_KIND[output_provenance(path)["kind"]]


def output_lines(path: str | Path, fmt: str) -> Iterator[str]:
    """The lines of the JSONL output ``path`` written as ``fmt``. The format is checked now (an
    :class:`InputError` naming ``format``); the file is read as the lines are taken."""
    meta = output_provenance(path)
    kind = meta["kind"]
    allowed = FORMATS_BY_KIND[kind]
    if fmt not in allowed:
        raise InputError(
            f"A {kind} output is written as {', '.join(allowed)}. Got {fmt!r} instead.", field="format"
        )
    if fmt == "jsonl":
        return _raw_lines(Path(path))
    records = _records(Path(path))
    if kind == "mined-pairs":
        return pair_lines((_pair(r, n, path) for n, r in records), "tsv", meta)
    if kind == "sentence-alignment":
        return _sentence_lines(records, fmt, meta, path)
    return (_word_alignment(r, n, path).pharaoh() + "\n" for n, r in records)


def _raw_lines(path: Path) -> Iterator[str]:
    with open(path, encoding="utf-8") as f:
        yield from f


def _records(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    for number, line in enumerate(_raw_lines(path), 1):
        if not line.strip():
            continue
        try:
            rec = json.loads(line)
        except ValueError as exc:
            raise InputError(f"is not JSON: {exc}", path=str(path), line=number) from None
        if not isinstance(rec, dict):
            raise InputError("each line must be a JSON object", path=str(path), line=number)
        yield number, rec


def _field(rec: dict[str, Any], name: str, number: int, path: Any) -> Any:
    if name not in rec:
        raise InputError(f"the record has no field {name!r}", path=str(path), line=number)
    return rec[name]


def _pair(rec: dict[str, Any], number: int, path: Any) -> BitextPair:
    f = (_field(rec, name, number, path) for name in ("src_id", "tgt_id", "score", "src_text", "tgt_text"))
    src_id, tgt_id, score, src_text, tgt_text = f
    return BitextPair(
        str(src_id), str(tgt_id), float(score), src_text, tgt_text, float(rec.get("cosine", float("nan")))
    )


def _sentence_lines(
    records: Iterator[tuple[int, dict[str, Any]]], fmt: str, meta: dict[str, Any], path: Any
) -> Iterator[str]:
    if fmt == "tsv":
        yield provenance_comment(meta)
    for n, r in records:
        src, tgt, score = (_field(r, name, n, path) for name in ("src", "tgt", "score"))
        yield link_line(src, tgt, float(score), fmt, r.get("src_text"), r.get("tgt_text"))


def _word_alignment(rec: dict[str, Any], number: int, path: Any) -> WordAlignment:
    links = _field(rec, "links", number, path)
    return WordAlignment(
        tuple(rec.get("src_words", ())), tuple(rec.get("tgt_words", ())), tuple(tuple(link) for link in links)
    )


__all__ = ["FORMATS_BY_KIND", "output_formats", "output_lines", "output_provenance"]
