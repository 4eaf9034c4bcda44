"""Mine two files: embed them (or read precomputed embeddings), mine, filter, write TSV or JSONL.

Bounded memory: texts are embedded into ``.npy`` files (through the embedding cache) and
memory-mapped; the k-NN runs block by block; texts are read back only for the selected pairs.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
import warnings
from collections.abc import Callable, Sequence
from contextlib import ExitStack
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .._validation import check_choice, check_float, check_int, check_texts
from ..errors import InputError
from ._bitext import KNN_CHOICES, MODES, BitextPair, Candidates, KnnInfo, mine_embeddings, resolve_backend
from ._calibration import default_threshold
from ._filters import FILTERS, FilterReport, apply_filters, check_filters
from ._margin import MARGINS

OUTPUT_FORMATS = ("tsv", "jsonl")


@dataclass
class MineReport:
    """What a mining run did; printed by the CLI, returned by the API."""

    src_rows: int = 0
    tgt_rows: int = 0
    encoder: str = ""
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
    seconds: float = 0.0
    output: str = ""
    warnings: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class _Options:
    k: int
    margin: str
    mode: str
    knn: str
    threshold: float | None
    top: int | None
    filters: list[str]
    src_lang: str | None
    tgt_lang: str | None
    max_length_ratio: float


def _check(encoder: str, k, margin, mode, knn, threshold, top, filters, src_lang, tgt_lang, max_length_ratio,
           report: MineReport) -> _Options:
    from ..text import canonical_lang, same_language

    check_int(k, "k", low=1)
    check_choice(margin, MARGINS, "margin")
    check_choice(mode, MODES, "mode")
    check_choice(knn, KNN_CHOICES, "knn")
    if top is not None:
        check_int(top, "top", low=1)
    if threshold is not None:
        check_float(threshold, "threshold")
    elif top is None:
        threshold = default_threshold(encoder, margin)
    check_float(max_length_ratio, "max_length_ratio", low=1.0)
    filters = check_filters(filters)
    src_lang = canonical_lang(src_lang) if src_lang else None
    tgt_lang = canonical_lang(tgt_lang) if tgt_lang else None
    if src_lang and tgt_lang and same_language(src_lang, tgt_lang):
        _warn(f"Both sides are expected in the same language ({src_lang}); margin mining finds paraphrases "
              "there, not translations.", report)
    report.k, report.margin, report.mode, report.threshold, report.top = k, margin, mode, threshold, top
    return _Options(k, margin, mode, knn, threshold, top, filters, src_lang, tgt_lang, max_length_ratio)


def _warn(msg: str, report: MineReport) -> None:
    warnings.warn(msg, UserWarning, stacklevel=4)
    report.warnings.append(msg)


#: Texts per side whose detected languages decide whether both sides look like one language.
LANG_SAMPLE = 200


def check_sides_differ(src_sample: Sequence[str], tgt_sample: Sequence[str], o: _Options, report: MineReport) -> None:
    """Warn when no language was given and most texts of both sides are detected as one language."""
    if o.src_lang or o.tgt_lang or not src_sample or not tgt_sample:
        return
    from collections import Counter

    from ..text import detect_language

    found = []
    for sample in (src_sample, tgt_sample):
        langs = Counter(g.lang for g in detect_language(list(sample)) if g.lang != "und")
        lang, count = langs.most_common(1)[0] if langs else ("und", 0)
        found.append(lang if count >= 0.8 * len(sample) else None)
    if found[0] and found[0] == found[1]:
        _warn(f"Both sides look like the same language ({found[0]}, detected on up to {LANG_SAMPLE} texts a side); "
              "margin mining finds paraphrases there, not translations.", report)


def _finish(cands: Candidates, src_ids: Sequence[str], tgt_ids: Sequence[str], src_texts: Sequence[str],
            tgt_texts: Sequence[str], o: _Options, report: MineReport) -> list[BitextPair]:
    """Filter (texts given for each candidate, in order) and cut to ``top``."""
    report.candidates = len(cands)
    keep, report.filters = apply_filters(
        src_texts, tgt_texts, filters=o.filters, src_lang=o.src_lang, tgt_lang=o.tgt_lang,
        max_length_ratio=o.max_length_ratio,
    )
    rows = [i for i, ok in enumerate(keep) if ok][: o.top]
    report.pairs = len(rows)
    return [
        BitextPair(src_ids[int(cands.src[i])], tgt_ids[int(cands.tgt[i])], float(cands.score[i]), src_texts[i],
                   tgt_texts[i], float(cands.cosine[i]))
        for i in rows
    ]


def mine(
    src_texts: Sequence[str],
    tgt_texts: Sequence[str],
    *,
    src_ids: Sequence[str] | None = None,
    tgt_ids: Sequence[str] | None = None,
    model: Any = "e5-small",
    k: int = 4,
    margin: str = "ratio",
    mode: str = "max",
    knn: str = "auto",
    threshold: float | None = None,
    top: int | None = None,
    filters: Sequence[str] = FILTERS,
    src_lang: str | None = None,
    tgt_lang: str | None = None,
    max_length_ratio: float = 3.0,
    use_cache: bool = True,
    report: MineReport | None = None,
) -> list[BitextPair]:
    """Mine translation pairs from two lists of texts (in memory): best score first.

    ``model`` is an encoder name or an :class:`~interlingua.encoders.Encoder`; without
    ``threshold`` and ``top``, the threshold calibrated for that encoder applies.
    """
    from ..encoders import EmbeddingCache, encode_corpus, get_encoder

    report = report if report is not None else MineReport()
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
    name = model if isinstance(model, str) else model.name
    o = _check(name, k, margin, mode, knn, threshold, top, filters, src_lang, tgt_lang, max_length_ratio, report)
    check_sides_differ(src_texts[:LANG_SAMPLE], tgt_texts[:LANG_SAMPLE], o, report)
    encoder = get_encoder(model) if isinstance(model, str) else model
    report.encoder, report.src_rows, report.tgt_rows = encoder.name, len(src_texts), len(tgt_texts)
    cache = EmbeddingCache(encoder.identity, encoder.dim) if use_cache else None
    try:
        src = np.concatenate(list(encode_corpus(src_texts, encoder, role="query", cache=cache)))
        tgt = np.concatenate(list(encode_corpus(tgt_texts, encoder, role="query", cache=cache)))
    finally:
        if cache is not None:
            cache.close()
    info = KnnInfo()
    cands = mine_embeddings(src, tgt, k=o.k, margin=o.margin, mode=o.mode, knn=o.knn, threshold=o.threshold,
                            info=info)
    report.knn, report.blocks_computed = info.backend, info.blocks.computed
    pairs = _finish(cands, src_ids, tgt_ids, [src_texts[i] for i in cands.src], [tgt_texts[i] for i in cands.tgt],
                    o, report)
    report.seconds = time.perf_counter() - start
    return pairs


def mine_files(
    src_path: str | os.PathLike[str],
    tgt_path: str | os.PathLike[str],
    output: str | os.PathLike[str] | None = None,
    *,
    src_emb: str | os.PathLike[str] | None = None,
    tgt_emb: str | os.PathLike[str] | None = None,
    model: str = "e5-small",
    k: int = 4,
    margin: str = "ratio",
    mode: str = "max",
    knn: str = "auto",
    threshold: float | None = None,
    top: int | None = None,
    filters: Sequence[str] = FILTERS,
    src_lang: str | None = None,
    tgt_lang: str | None = None,
    max_length_ratio: float = 3.0,
    text_field: str = "text",
    id_field: str | None = None,
    fmt: str | None = None,
    work_dir: str | os.PathLike[str] | None = None,
    block_size: int = 16384,
    nprobe: int | None = None,
    use_cache: bool = True,
    quiet: bool = False,
) -> MineReport:
    """Mine SRC and TGT files into ``output`` (TSV or JSONL by extension or ``fmt``; None: stdout)."""
    from tqdm.auto import tqdm

    from ..io import count_records, read_embeddings

    report = MineReport(output=str(output) if output is not None else "-")
    start = time.perf_counter()
    out_fmt = _output_format(output, fmt)
    o = _check(model, k, margin, mode, knn, threshold, top, filters, src_lang, tgt_lang, max_length_ratio, report)
    check_int(block_size, "block_size", low=1)
    counts = {side: count_records(p) for side, p in (("src", src_path), ("tgt", tgt_path))}  # exists, not empty
    check_sides_differ(_head(src_path, text_field, id_field), _head(tgt_path, text_field, id_field), o, report)
    report.encoder = model
    with ExitStack() as stack:
        wd = Path(work_dir) if work_dir is not None else Path(stack.enter_context(tempfile.TemporaryDirectory()))
        wd.mkdir(parents=True, exist_ok=True)
        sides = {}
        for side, path, emb in (("src", src_path, src_emb), ("tgt", tgt_path, tgt_emb)):
            if emb is None:
                emb = _embed(path, wd / f"{side}.npy", model, text_field, id_field, use_cache, quiet)
            ids, vecs = read_embeddings(emb)
            if len(ids) != counts[side]:
                raise InputError(
                    f"has {len(ids):,} embeddings but {path} has {counts[side]:,} texts; one vector a text is needed",
                    path=str(emb),
                )
            sides[side] = (ids, vecs)
        (src_ids, src), (tgt_ids, tgt) = sides["src"], sides["tgt"]
        report.src_rows, report.tgt_rows = len(src_ids), len(tgt_ids)
        report.knn = resolve_backend(o.knn, len(src_ids), len(tgt_ids))
        info = KnnInfo()
        bars: list[Any] = []

        def progress(tag: str, total: int) -> Callable[[int], None]:
            bars.append(tqdm(total=total, unit="vec", desc=f"k-NN {tag}", disable=True if quiet else None))
            return bars[-1].update

        try:
            cands = mine_embeddings(
                src, tgt, k=o.k, margin=o.margin, mode=o.mode, knn=o.knn, threshold=o.threshold,
                block_size=block_size, work_dir=wd / "knn" if work_dir is not None else None, nprobe=nprobe,
                info=info, progress=progress,
            )
        finally:
            for b in bars:
                b.close()
        report.blocks_computed, report.blocks_reused = info.blocks.computed, info.blocks.reused
        src_texts = _texts_at(src_path, cands.src, src_ids, text_field, id_field, emb_given=src_emb is not None)
        tgt_texts = _texts_at(tgt_path, cands.tgt, tgt_ids, text_field, id_field, emb_given=tgt_emb is not None)
        pairs = _finish(cands, src_ids, tgt_ids, src_texts, tgt_texts, o, report)
    _write(pairs, output, out_fmt)
    report.seconds = time.perf_counter() - start
    return report


def _head(path, text_field: str, id_field: str | None) -> list[str]:
    from ..io import read_records

    with read_records(path, text_field=text_field, id_field=id_field, skip_empty=True) as records:
        return [rec.text for _, rec in zip(range(LANG_SAMPLE), records)]


def _output_format(output, fmt: str | None) -> str:
    if fmt is not None:
        return check_choice(fmt, OUTPUT_FORMATS, "format")
    if output is None or str(output) == "-":
        return "tsv"
    ext = Path(output).suffix.lower().lstrip(".")
    if ext not in OUTPUT_FORMATS:
        raise InputError(f"The output {str(output)!r} must end in .tsv or .jsonl (or pass --format).")
    return ext


def _embed(path, out: Path, model: str, text_field: str, id_field: str | None, use_cache: bool, quiet: bool) -> Path:
    from ..encoders import embed_file

    embed_file(path, out, model=model, role="query", text_field=text_field, id_field=id_field,
               use_cache=use_cache, quiet=quiet)
    return out


def _texts_at(path, rows: np.ndarray, ids: Sequence[str], text_field: str, id_field: str | None,
              emb_given: bool) -> list[str]:
    """Texts of ``rows`` (in that order), read in one pass; the file's ids must match the embeddings'."""
    from ..io import read_records

    wanted = np.unique(rows)
    found: dict[int, str] = {}
    pos = 0
    with read_records(path, text_field=text_field, id_field=id_field) as records:
        for n, rec in enumerate(records):
            if pos < len(wanted) and n == wanted[pos]:
                if emb_given and id_field is not None and rec.id != ids[n]:
                    raise InputError(
                        f"row {n + 1} has id {rec.id!r} but the embeddings give {ids[n]!r} there; "
                        "texts and embeddings must be in the same order",
                        path=str(path), line=rec.line,
                    )
                found[n] = rec.text
                pos += 1
                if pos == len(wanted):
                    break
    return [found[int(r)] for r in rows]


def _write(pairs: list[BitextPair], output, fmt: str) -> None:
    def lines():
        if fmt == "tsv":
            yield "score\tsrc_id\ttgt_id\tsrc_text\ttgt_text\tcosine\n"
        for p in pairs:
            if fmt == "tsv":
                st, tt = (t.replace("\t", " ").replace("\n", " ") for t in (p.src_text, p.tgt_text))
                yield f"{p.score:.6f}\t{p.src_id}\t{p.tgt_id}\t{st}\t{tt}\t{p.cosine:.6f}\n"
            else:
                yield json.dumps({**asdict(p), "score": round(p.score, 6), "cosine": round(p.cosine, 6)},
                                 ensure_ascii=False) + "\n"

    if output is None or str(output) == "-":
        sys.stdout.writelines(lines())
        return
    out = Path(output)
    tmp = out.with_name(f".{out.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "w", encoding="utf-8") as f:
            f.writelines(lines())
        os.replace(tmp, out)
    finally:
        tmp.unlink(missing_ok=True)
