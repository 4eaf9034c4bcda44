"""What a static student is built from: :class:`StaticSpec`, and the files it names, read and checked."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from .._spec import Spec, param
from .._validation import Interval, NoneOr, Options, Text
from ..errors import InputError
from ._base import ROLES

TEACHERS: tuple[str, ...] = ("e5-small",)
POOLINGS: tuple[str, ...] = ("mean", "token")


@dataclass(frozen=True)
class StaticSpec(Spec):
    """A static student of e5-small: model2vec's recipe, run through our ONNX graph.

    Every vocabulary piece goes through the teacher as ``[<s>, piece, </s>]``; the output token
    states are mean-pooled (``pooling="mean"``, model2vec's default; ``"token"`` keeps the piece's
    own state), reduced by PCA to ``dim`` and weighted by SIF, ``w = sif / (sif + p(piece))``.
    ``p`` is the piece's unigram probability, ``exp(score)`` of the SentencePiece model in the
    teacher file (its scores are log-probabilities), a better frequency estimate than the Zipf
    law over ranks that model2vec uses when it has no counts. With ``refine`` the table is then
    fitted to the teacher's vectors of translations (see ``_static_refine``).
    """

    caller = "build_static()"

    teacher: str = param("e5-small", Options(TEACHERS), help="the model distilled")
    dim: int = param(256, Interval(int, 1, None), help="dimensions kept by PCA (at most the teacher's)")
    sif: float = param(
        1e-4, Interval(float, 0, None, closed="neither"), help="SIF coefficient a in a / (a + p(piece))"
    )
    pooling: str = param("mean", Options(POOLINGS), help="teacher states pooled per piece: mean or token")
    piece_role: str | None = param(
        None, NoneOr(Options(ROLES)), help="the teacher's prefix before each piece (default: none)"
    )
    vocabulary: str | None = param(
        None,
        NoneOr(Text(nonempty=True)),
        help="a text file: keep only the pieces its lines use (plus the specials)",
    )
    refine: str | None = param(
        None,
        NoneOr(Text(nonempty=True)),
        help="parallel text to refine on: a TSV of text<TAB>pivot translation lines",
    )
    ridge: float = param(
        0.1,
        Interval(float, 0, None, closed="neither"),
        help="refinement: pull of each row toward its distilled value (SIB-200 dev: 0.1 64%, 0.01 63%)",
    )
    iterations: int = param(
        20,
        Interval(int, 1, None),
        help="refinement: conjugate-gradient iterations at most (stopping early also regularizes)",
    )
    center: bool = param(
        True,
        Options((True, False)),
        help="refinement: subtract the pivots' mean from the targets (the direction all sentences share); "
        "measured on SIB-200 dev, xx->en top-1: 63% centred, 47% not",
    )
    target_role: str = param("query", Options(ROLES), help="refinement: the teacher's role for the pivots")
    workers: int | None = param(
        None,
        NoneOr(Interval(int, 1, None)),
        transient=True,
        help="processes running the teacher over the vocabulary (default: the usable cores)",
    )


def file_hash(path: Path) -> str:
    h = hashlib.blake2b(digest_size=16)
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 22), b""):
            h.update(chunk)
    return h.hexdigest()


def _open_text(path_str: str, what: str) -> tuple[Path, list[str]]:
    path = Path(path_str).expanduser()
    if not path.is_file():
        raise InputError(f"the {what} file does not exist", path=str(path))
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except UnicodeDecodeError as exc:
        raise InputError(
            f"the {what} file is not UTF-8 text ({exc.reason} at byte {exc.start})", path=str(path)
        ) from None
    if not any(line.strip() for line in lines):
        raise InputError(f"the {what} file is empty", path=str(path))
    return path, lines


def read_vocabulary_file(path_str: str) -> list[str]:
    """The non-blank lines of a vocabulary file."""
    _, lines = _open_text(path_str, "vocabulary")
    return [line for line in lines if line.strip()]


def read_pairs_file(path_str: str) -> list[tuple[str, str]]:
    """``(text, pivot)`` pairs of a refinement TSV; a line without a tab, or with an empty side,
    is one error naming the file and the line (blank lines are skipped)."""
    path, lines = _open_text(path_str, "refinement")
    pairs = []
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        text, tab, pivot = line.partition("\t")
        if not tab:
            raise InputError("expected text<TAB>pivot translation, found no tab", path=str(path), line=number)
        text, pivot = text.strip(), pivot.strip()
        if not text or not pivot:
            side = "text" if not text else "pivot translation"
            raise InputError(f"the {side} is empty", path=str(path), line=number)
        pairs.append((text, pivot))
    return pairs
