"""Files in and out for ``interlingua align``: read documents, align, write links.

Sentence mode reads one sentence a line (blank lines are skipped, and indices count
sentences, not lines) or, with ``split=True``, raw text that the project's splitter cuts
into sentences. Word mode reads two files of parallel sentences, line by line: a blank line
is an empty sentence with no links, and the files must have the same number of lines.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, TextIO, cast

import numpy as np

from .._validation import check_choice
from ..errors import InputError
from ._sentalign import Alignment, align_window_embeddings, embed_windows
from ._wordalign import WordAlignment, align_words

SENTENCE_FORMATS = ("tsv", "jsonl", "vecalign")
WORD_FORMATS = ("pharaoh", "jsonl")


@dataclass
class AlignReport:
    """What ``align_files`` did, for the one-line summary on stderr."""

    mode: str
    src_items: int
    tgt_items: int
    links: int
    embed_seconds: float = 0.0
    align_seconds: float = 0.0
    notes: list[str] = field(default_factory=list)


def read_lines(path: str | os.PathLike[str]) -> list[str]:
    """Lines of a UTF-8 text file, blank lines kept as ``""`` (trailing blank lines dropped)."""
    from ..io import read_records

    lines: list[str] = []
    for rec in read_records(path, fmt="txt", skip_empty=True):
        lines.extend([""] * (rec.line - 1 - len(lines)))
        lines.append(rec.text)
    return lines


def read_document(path: str | os.PathLike[str], *, split: bool = False, lang: str | None = None) -> list[str]:
    """The sentences of a document file; refuses a file without any."""
    lines = read_lines(path)
    if split:
        from ..text import split_sentences

        paragraphs = "\n".join(lines)
        sents = split_sentences(paragraphs, lang)
    else:
        sents = [line.strip() for line in lines if line.strip()]
    if not sents:
        raise InputError("the document has no sentences (only blank lines)", path=str(path))
    return sents


def align_files(
    src_path: str | os.PathLike[str],
    tgt_path: str | os.PathLike[str],
    out: TextIO,
    *,
    words: bool = False,
    split: bool = False,
    src_lang: str | None = None,
    tgt_lang: str | None = None,
    encoder: Any = "e5-small",
    max_size: int = 3,
    fmt: str | None = None,
    with_text: bool = False,
    method: str = "intersection",
    use_cache: bool = True,
    quiet: bool = True,
    **options: Any,
) -> AlignReport:
    """Align two files (sentences of two documents, or words of parallel lines) and write to ``out``."""
    if words:
        fmt = check_choice(fmt or "pharaoh", WORD_FORMATS, "fmt")
        return _align_word_files(src_path, tgt_path, out, encoder, method, fmt, with_text)
    fmt = check_choice(fmt or "tsv", SENTENCE_FORMATS, "fmt")
    src = read_document(src_path, split=split, lang=src_lang)
    tgt = read_document(tgt_path, split=split, lang=tgt_lang)
    from ._sentalign import _resolve_encoder

    enc = _resolve_encoder(encoder)
    t0 = time.perf_counter()
    encode = _cached_encoder(enc, use_cache, quiet)
    src_w = embed_windows(src, max_size=max_size, encode=encode)
    tgt_w = embed_windows(tgt, max_size=max_size, encode=encode)
    t1 = time.perf_counter()
    links = align_window_embeddings(src_w, tgt_w, **options)
    t2 = time.perf_counter()
    write_alignments(links, out, fmt=fmt, src=src if with_text else None, tgt=tgt if with_text else None)
    return AlignReport("sentences", len(src), len(tgt), len(links), t1 - t0, t2 - t1)


def write_alignments(
    links: Sequence[Alignment],
    out: TextIO,
    *,
    fmt: str = "tsv",
    src: Sequence[str] | None = None,
    tgt: Sequence[str] | None = None,
) -> None:
    """``tsv``: ``[0, 1]<TAB>[0]<TAB>0.123`` (+ both texts with ``src``/``tgt``); ``vecalign``:
    ``[0, 1]:[0]:0.123``; ``jsonl``: ``{"src": [0, 1], "tgt": [0], "score": 0.123}``."""
    check_choice(fmt, SENTENCE_FORMATS, "fmt")
    for a in links:
        s_idx, t_idx = list(a.src), list(a.tgt)
        s_text = " ".join(src[i] for i in a.src) if src is not None else None
        t_text = " ".join(tgt[i] for i in a.tgt) if tgt is not None else None
        if fmt == "jsonl":
            rec: dict[str, Any] = {"src": s_idx, "tgt": t_idx, "score": a.score}
            if s_text is not None:
                rec.update(src_text=s_text, tgt_text=t_text)
            out.write(json.dumps(rec, ensure_ascii=False) + "\n")
        elif fmt == "vecalign":
            out.write(f"{s_idx}:{t_idx}:{a.score:.6f}\n")
        else:
            fields = [str(s_idx), str(t_idx), f"{a.score:.6f}"]
            if s_text is not None:
                fields += [_one_field(s_text), _one_field(t_text or "")]
            out.write("\t".join(fields) + "\n")


def _align_word_files(
    src_path: Any, tgt_path: Any, out: TextIO, encoder: Any, method: str, fmt: str, with_text: bool
) -> AlignReport:
    src, tgt = read_lines(src_path), read_lines(tgt_path)
    if len(src) != len(tgt):
        raise InputError(
            f"--words needs parallel files with the same number of lines: {src_path} has {len(src)}, "
            f"{tgt_path} has {len(tgt)}"
        )
    t0 = time.perf_counter()
    result = cast(list[WordAlignment], align_words(src, tgt, encoder=encoder, method=method))
    seconds = time.perf_counter() - t0
    for wa in result:
        out.write(_word_line(wa, fmt, with_text) + "\n")
    links = sum(len(wa.links) for wa in result)
    return AlignReport("words", len(src), len(tgt), links, align_seconds=seconds)


def _word_line(wa: WordAlignment, fmt: str, with_text: bool) -> str:
    if fmt == "pharaoh":
        return wa.pharaoh()
    rec: dict[str, Any] = {"links": [list(p) for p in wa.links]}
    if with_text:
        rec.update(src_words=list(wa.src_words), tgt_words=list(wa.tgt_words))
    return json.dumps(rec, ensure_ascii=False)


def _one_field(text: str) -> str:
    return " ".join(text.replace("\t", " ").splitlines())


def _cached_encoder(enc: Any, use_cache: bool, quiet: bool) -> Callable[[list[str]], np.ndarray]:
    """``texts -> vectors`` through the on-disk embedding cache, with a progress bar."""
    from tqdm.auto import tqdm

    from ..encoders import EmbeddingCache, encode_corpus

    def encode(texts: list[str]) -> np.ndarray:
        cache = EmbeddingCache(enc.identity, enc.dim) if use_cache else None
        try:
            with tqdm(total=len(texts), unit="window", desc="embed", disable=True if quiet else None) as bar:
                parts = list(encode_corpus(texts, enc, role="query", cache=cache, chunk_size=256, progress=bar))
        finally:
            if cache is not None:
                cache.close()
        return np.concatenate(parts) if parts else np.zeros((0, enc.dim), dtype=np.float32)

    return encode


__all__ = ["AlignReport", "align_files", "read_document", "read_lines", "write_alignments"]
