"""Build a static student (``e5-static``) from e5-small, without torch: model2vec's recipe.

(a) every vocabulary piece through the teacher's ONNX graph as ``[<s>, piece, </s>]``, in big
batches, over ``workers`` spawned processes of one thread each; (b) PCA to ``dim``; (c) SIF
weights from the SentencePiece unigram probabilities; (d) a whitened sentence space
(``_static_whiten``); (e) optionally, refinement on the teacher's vectors of real text
(``_static_refine``); (f) optionally, a contrastive fit on translation pairs
(``_static_contrast``); (g) each script's mean removed (``_static_scripts``). The student is
written atomically into the cache, in a folder named by the teacher, the recipe and the content
of the files it read, so a second build with the same inputs is a cache hit, like the ONNX graph;
``e5-static.json`` beside it names the student built last, which ``get_encoder("e5-static")``
loads.
"""

from __future__ import annotations

import hashlib
import json
import time
from pathlib import Path
from typing import Any

import numpy as np

from .._atomic import atomic_folder, atomic_write_text
from .._paths import cache_dir
from ..errors import InputError
from ..progress import ProgressFn, note, task
from ._static import FORMAT, META, PIECES, STATIC_VERSION, VECTORS, is_static_student, student_tokenizer
from ._static_spec import StaticSpec, file_hash, read_parallel_file, read_refine_file, read_vocabulary_file
from ._static_teacher import Pool, cached_rows, piece_rows, teacher

POINTER = "e5-static.json"
#: pieces per task sent to a worker
_CHUNK = 4096
#: the spec's fields that name files: the cache key holds their content, not their path
_INPUT_FILES = ("vocabulary", "whiten_on", "refine", "parallel")
#: the fields of the contrastive fit, in the cache key only when it runs
_CONTRAST_FIELDS = ("parallel", "contrast_steps", "contrast_batch", "temperature")


def student_key(spec: StaticSpec) -> str:
    """The cache folder's name: teacher file and graph, recipe, and the content of the inputs."""
    from ._e5 import bundled_model_path, content_hash
    from ._e5_graph import GRAPH_VERSION

    recipe = spec.to_dict(transient=False)
    if not recipe["parallel"]:  # students built before the contrastive fit keep their folders
        for k in _CONTRAST_FIELDS:
            recipe.pop(k)
    if not recipe["center_scripts"]:  # and those built before script centering, theirs
        recipe.pop("center_scripts")
    inputs = {k: file_hash(Path(recipe.pop(k)).expanduser()) for k in _INPUT_FILES if recipe.get(k)}
    blob = {
        "teacher": [spec.teacher, content_hash(bundled_model_path()), GRAPH_VERSION],
        "recipe": recipe,
        "inputs": inputs,
    }
    digest = hashlib.blake2b(json.dumps(blob, sort_keys=True).encode(), digest_size=8).hexdigest()
    return f"e5-static-{digest}-s{STATIC_VERSION}"


def build_static(
    spec: StaticSpec | None = None,
    progress: ProgressFn | None = None,
    *,
    output: str | Path | None = None,
    force: bool = False,
) -> Path:
    """Build (or find in the cache) the student ``spec`` describes; return its folder.

    ``output`` writes it there instead of the cache (an existing folder is replaced only with
    ``force``). The folder becomes the one ``get_encoder("e5-static")`` loads.
    """
    spec = (spec or StaticSpec()).validate()
    # the files named are read now, so a missing one fails before minutes of work
    vocab_lines = read_vocabulary_file(spec.vocabulary) if spec.vocabulary else None
    pairs = read_refine_file(spec.refine) if spec.refine else None
    parallel = read_parallel_file(spec.parallel) if spec.parallel else None
    whiten_lines = read_vocabulary_file(spec.whiten_on, "whitening") if spec.whiten_on else None
    target = Path(output).expanduser() if output is not None else cache_dir("models") / student_key(spec)
    if output is not None and target.exists() and not force:
        raise InputError("already exists; pass --force to replace it", path=str(target))
    if output is None and not force and is_static_student(target):
        note(progress, f"cache hit: {target}")
        remember_student(target)
        return target
    if output is not None and not target.parent.is_dir():
        raise InputError(f"the folder {str(target.parent)!r} does not exist", path=str(target))
    started = time.perf_counter()
    vectors, pieces, meta = _distill(spec, vocab_lines, whiten_lines, pairs, parallel, progress)
    meta["seconds"] = round(time.perf_counter() - started, 1)
    try:
        with atomic_folder(target, replace=force or output is None) as tmp:
            np.save(tmp / VECTORS, vectors)
            np.save(tmp / PIECES, pieces)
            (tmp / META).write_text(json.dumps(meta, indent=2, ensure_ascii=False), encoding="utf-8")
    except FileExistsError:  # another process published the same student first
        if not is_static_student(target):
            raise
    remember_student(target)
    return target


def remember_student(folder: Path) -> None:
    """Record ``folder`` as the student ``get_encoder("e5-static")`` loads."""
    record = {
        "path": str(Path(folder).resolve()),
        "recorded": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    atomic_write_text(cache_dir("models") / POINTER, json.dumps(record, indent=2))


def default_student(progress: ProgressFn | None = None) -> Path:
    """The student built last; built with the default recipe on first use when there is none."""
    try:
        record = json.loads((cache_dir("models") / POINTER).read_text(encoding="utf-8"))
        folder = Path(record["path"])
    except (OSError, ValueError, KeyError, TypeError):
        folder = None
    if folder is not None and is_static_student(folder):
        return folder
    return build_static(StaticSpec(), progress)


# -- the recipe ---------------------------------------------------------------------------------
def _distill(
    spec: StaticSpec,
    vocab_lines: list[str] | None,
    whiten_lines: list[str] | None,
    pairs: list[tuple[str, str]] | None,
    parallel: list[tuple[str, str]] | None,
    progress: ProgressFn | None,
) -> tuple[np.ndarray, np.ndarray, dict[str, Any]]:
    from ._e5 import (
        bundled_model_path,
        content_hash,
        onnx_model_path,
        usable_cores,
    )
    from ._e5file import read_e5_file

    model_file = bundled_model_path()
    f = read_e5_file(model_file)
    if spec.dim > f.config.hidden:
        raise InputError(
            f"The 'dim' parameter of build_static() must be at most the teacher's {f.config.hidden}. Got {spec.dim} instead.",
            field="dim",
        )
    tok, _ = student_tokenizer(model_file)
    specials = np.array(sorted({f.bos, f.eos, f.pad, f.unk}), dtype=np.int64)
    if vocab_lines is None:
        pieces = np.arange(len(f.pieces), dtype=np.int64)
    else:
        used = [e.ids for e in tok.encode_batch_fast(vocab_lines, add_special_tokens=False)]
        pieces = np.union1d(np.fromiter((i for ids in used for i in ids), dtype=np.int64), specials)
    if spec.dim > len(pieces):
        raise InputError(
            f"The 'dim' parameter of build_static() must be at most the number of pieces kept ({len(pieces)}). "
            f"Got {spec.dim} instead: lower it, or give a larger vocabulary.",
            field="dim",
        )
    prefix = (
        [] if spec.piece_role is None else tok.encode(f"{spec.piece_role}: ", add_special_tokens=False).ids
    )
    onnx_model_path(model_file, "fp32")  # build the teacher graph once, before any worker starts
    workers = min(spec.workers or usable_cores(), max(1, -(-len(pieces) // _CHUNK)))
    with Pool(workers) as pool:
        rows = _teacher_rows(pool, str(model_file), pieces, prefix, spec.pooling, f.bos, f.eos, progress)
        mean, components = _pca(rows, spec.dim)
        vectors = ((rows - mean) @ components.T).astype(np.float32)
        del rows
        vectors *= _sif_weights(f.scores, pieces, specials, spec.sif)[:, None]
        whitened: dict[str, Any] = {}
        if spec.whiten:
            vectors, whitened = _whiten(
                vectors, spec, whiten_lines, f.scores, pieces, specials, tok, len(f.pieces)
            )
            note(progress, f"whitened on {whitened['statistics']} statistics")
        refined: dict[str, Any] = {}
        if pairs is not None:
            from ._static_refine import refine_table

            vectors, refined = refine_table(
                vectors, pieces, len(f.pieces), pairs, tok, spec, pool, str(model_file), progress
            )
    contrast: dict[str, Any] = {}
    if parallel is not None:
        from ._static_contrast import contrast_table

        vectors, contrast = contrast_table(
            vectors, pieces, len(f.pieces), parallel, tok, spec, str(spec.parallel), progress
        )
    scripts: dict[str, Any] = {}
    if spec.center_scripts:
        from ._static_scripts import center_scripts

        p = _piece_probabilities(f.scores, pieces, specials)
        vectors, scripts = center_scripts(vectors, [f.pieces[i] for i in pieces], p)
        note(progress, f"the means of {len(scripts['scripts'])} scripts removed")
    blob = hashlib.blake2b(vectors.tobytes(), digest_size=16)
    blob.update(pieces.astype(np.int32).tobytes())
    recipe = spec.to_dict(transient=False)
    meta = {
        "format": FORMAT,
        "version": STATIC_VERSION,
        "name": "e5-static",
        "content_hash": blob.hexdigest(),
        "dim": int(spec.dim),
        "pieces": len(pieces),
        "teacher": {
            "name": spec.teacher,
            "identity": teacher(str(model_file)).identity,
            "file": str(model_file),
            "content_hash": content_hash(model_file),
        },
        "recipe": recipe,
        "recipe_summary": _summary(spec, len(pieces)),
        "inputs": {
            k: {
                "path": str(Path(recipe[k]).expanduser().resolve()),
                "blake2b": file_hash(Path(recipe[k]).expanduser()),
            }
            for k in _INPUT_FILES
            if recipe[k]
        },
        "whitening": whitened,
        "refinement": refined,
        "contrast": contrast,
        "scripts": scripts,
        "workers": workers,
        "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    return vectors, pieces.astype(np.int32), meta


def _teacher_rows(
    pool: Pool,
    model_file: str,
    pieces: np.ndarray,
    prefix: list[int],
    pooling: str,
    bos: int,
    eos: int,
    progress: ProgressFn | None,
) -> np.ndarray:
    """The teacher's vector of every piece, cached apart from the student: it is the costly step
    (minutes), and students that differ in dim, SIF or refinement share it."""

    def compute() -> np.ndarray:
        chunks = [pieces[i : i + _CHUNK] for i in range(0, len(pieces), _CHUNK)]
        with task(progress, "teacher over pieces", len(pieces), "piece") as t:
            parts = pool.map(
                piece_rows,
                [(model_file, c, prefix, pooling, bos, eos) for c in chunks],
                lambda i: t.advance(len(chunks[i])),
            )
        return np.concatenate(parts)

    return cached_rows(
        model_file,
        [prefix, pooling],
        pieces.astype(np.int64).tobytes(),
        len(pieces),
        compute,
        lambda path: note(progress, f"teacher vectors of the pieces from the cache: {path}"),
    )


def _whiten(
    vectors: np.ndarray,
    spec: StaticSpec,
    lines: list[str] | None,
    scores: np.ndarray,
    pieces: np.ndarray,
    specials: np.ndarray,
    tok: Any,
    vocab: int,
) -> tuple[np.ndarray, dict[str, Any]]:
    """The table whitened on the unigram estimate, or on the student's vectors of ``lines``."""
    from ._static_whiten import map_rows, text_statistics, unigram_statistics, whitening

    if lines is None:
        mu, cov = unigram_statistics(vectors, _piece_probabilities(scores, pieces, specials))
        source, n = "unigram", 0
    else:
        from ._static_refine import mean_matrix

        mu, cov = text_statistics(mean_matrix(lines, tok, pieces, vocab) @ vectors)
        source, n = "text", len(lines)
    return map_rows(vectors, whitening(cov, spec.whiten_eps), mu), {
        "statistics": source,
        "texts": n,
        "eps": spec.whiten_eps,
    }


def _piece_probabilities(scores: np.ndarray, pieces: np.ndarray, specials: np.ndarray) -> np.ndarray:
    """Each row's unigram probability, ``exp(score)``; 0 for the specials, never pooled (the
    student adds none), so they weigh nothing in the whitening or script statistics."""
    p = np.exp(scores[pieces].astype(np.float64))
    p[np.isin(pieces, specials)] = 0.0
    return p


def _summary(spec: StaticSpec, n: int) -> str:
    parts = [f"{n:,} pieces", f"PCA {spec.dim}", f"SIF {spec.sif:g}", f"{spec.pooling} pooling"]
    if spec.whiten:
        parts.append(f"whitened on {Path(spec.whiten_on).name if spec.whiten_on else 'unigram statistics'}")
    if spec.refine:
        parts.append(f"refined on {Path(spec.refine).name}")
    if spec.parallel:
        parts.append(f"tuned on pairs of {Path(spec.parallel).name}")
    if spec.center_scripts:
        parts.append("script means removed")
    return ", ".join(parts)


def _pca(rows: np.ndarray, dim: int) -> tuple[np.ndarray, np.ndarray]:
    """Mean and the top ``dim`` principal directions (``(dim, d)``, signs fixed: deterministic)."""
    mean = rows.mean(axis=0, dtype=np.float64)
    cov = np.zeros((rows.shape[1], rows.shape[1]))
    for start in range(0, len(rows), 32768):
        block = rows[start : start + 32768] - mean
        cov += block.T @ block
    values, vectors = np.linalg.eigh(cov)
    components = vectors[:, np.argsort(values)[::-1][:dim]].T
    signs = np.sign(components[np.arange(dim), np.abs(components).argmax(axis=1)])
    return mean.astype(np.float32), (components * signs[:, None]).astype(np.float32)


def _sif_weights(scores: np.ndarray, pieces: np.ndarray, specials: np.ndarray, a: float) -> np.ndarray:
    """``a / (a + p)`` with ``p = exp(score)``, normalized over the ordinary pieces; the specials
    (score 0 in the file) get the weight of the most frequent piece."""
    p = np.exp(scores.astype(np.float64))
    ordinary = np.ones(len(p), dtype=bool)
    ordinary[specials] = False
    p /= p[ordinary].sum()
    p[~ordinary] = p[ordinary].max()
    return (a / (a + p[pieces])).astype(np.float32)
