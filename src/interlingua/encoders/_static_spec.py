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
    own state), reduced by PCA to ``dim`` and weighted by SIF, ``w = sif / (sif + p(piece))``;
    then the sentence space is whitened (``_static_whiten``), the step that matters most.
    ``p`` is the piece's unigram probability, ``exp(score)`` of the SentencePiece model in the
    teacher file (its scores are log-probabilities), a better frequency estimate than the Zipf
    law over ranks that model2vec uses when it has no counts. With ``refine`` the table is then
    fitted to the teacher's vectors of real sentences (tokenlearn's idea; see ``_static_refine``),
    with ``parallel`` tuned on translation pairs (``_static_contrast``), and last each script's mean
    is removed (``center_scripts``, ``_static_scripts``).
    """

    caller = "build_static()"

    teacher: str = param("e5-small", Options(TEACHERS), help="the model distilled")
    dim: int = param(
        384, Interval(int, 1, None), help="dimensions kept by PCA (at most the teacher's 384, the default)"
    )
    sif: float = param(
        1e-4, Interval(float, 0, None, closed="neither"), help="SIF coefficient a in a / (a + p(piece))"
    )
    pooling: str = param("mean", Options(POOLINGS), help="teacher states pooled per piece: mean or token")
    piece_role: str | None = param(
        None, NoneOr(Options(ROLES)), help="the teacher's prefix before each piece (default: none)"
    )
    whiten: bool = param(
        True,
        Options((True, False)),
        help="whiten the sentence space (mean removed, covariance the identity); "
        "measured on STSb dev xx->en: 42% without, 73% with",
    )
    whiten_on: str | None = param(
        None,
        NoneOr(Text(nonempty=True)),
        help="a text file, one sentence a line, for the whitening statistics "
        "(default: none needed, they come from the tokenizer's unigram probabilities)",
    )
    whiten_eps: float = param(
        1e-3,
        Interval(float, 0, None, closed="left"),
        help="whitening: floor added to every eigenvalue, relative to the largest",
    )
    vocabulary: str | None = param(
        None,
        NoneOr(Text(nonempty=True)),
        help="a text file: keep only the pieces its lines use (plus the specials)",
    )
    refine: str | None = param(
        None,
        NoneOr(Text(nonempty=True)),
        help="text to refine on, one sentence a line in any languages (its own teacher vector is the "
        "target); a line text<TAB>translation takes the translation's vector instead",
    )
    ridge: float = param(
        1.0,
        Interval(float, 0, None, closed="neither"),
        help="refinement: pull of each row toward its value after the linear map "
        "(STSb dev xx->en: 0.1 77.5%, 1 77.7%, 10 76.8%; XQuAD questions: 76.8%, 81.2%, 81.3%)",
    )
    iterations: int = param(
        20,
        Interval(int, 1, None),
        help="refinement: conjugate-gradient iterations at most (stopping early also regularizes)",
    )
    target_role: str = param("query", Options(ROLES), help="refinement: the teacher's role for the targets")
    parallel: str | None = param(
        None,
        NoneOr(Text(nonempty=True)),
        help="translation pairs, text<TAB>translation a line: the table is then tuned so each text is "
        "nearest its own translation (contrastive, no teacher pass; after --refine when both are given)",
    )
    contrast_steps: int = param(
        300,
        Interval(int, 1, None),
        help="contrastive fit: batches (on SIB-200 train pairs the dev sets peak near 300; more over-fits)",
    )
    contrast_batch: int = param(
        512, Interval(int, 2, None), help="contrastive fit: pairs a batch, each from another group"
    )
    temperature: float = param(
        0.05,
        Interval(float, 0, None, closed="neither"),
        help="contrastive fit: softmax temperature (dev: 0.05 best of 0.02 / 0.05 / 0.1)",
    )
    center_scripts: bool = param(
        True,
        Options((True, False)),
        help="remove each script's mean from its pieces' rows, last (no data needed; a held-out mixed "
        "SIB-200 pool: Russian / Chinese sources with their translation nearest 8% -> 88% / 68%)",
    )
    workers: int | None = param(
        None,
        NoneOr(Interval(int, 1, None)),
        transient=True,
        help="processes running the teacher over the vocabulary (default: the usable cores)",
    )

    def check_fields(self, caller: str, prefix: str) -> None:
        if self.whiten_on is not None and not self.whiten:
            raise self.fail(
                "whiten_on", "needs whiten=True (statistics for a whitening that is off)", caller, prefix
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


def read_vocabulary_file(path_str: str, what: str = "vocabulary") -> list[str]:
    """The non-blank lines of a vocabulary (or whitening) text file."""
    _, lines = _open_text(path_str, what)
    return [line for line in lines if line.strip()]


def _tab_lines(path: Path, lines: list[str]):
    """``(line number, text, has a tab, what follows it)`` of the non-blank lines, stripped; an
    empty side is one error naming the file and the line."""
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        text, tab, other = line.partition("\t")
        text, other = text.strip(), other.strip()
        if not text or (tab and not other):
            side = "text" if not text else "translation after the tab"
            raise InputError(f"the {side} is empty", path=str(path), line=number)
        yield number, text, bool(tab), other


def read_refine_file(path_str: str) -> list[tuple[str, str]]:
    """``(text, target)`` lines of a refinement file: a plain line is its own target, a line
    ``text<TAB>translation`` targets the translation; an empty side is one error naming the file
    and the line (blank lines are skipped)."""
    path, lines = _open_text(path_str, "refinement")
    return [(text, target if tab else text) for _, text, tab, target in _tab_lines(path, lines)]


def read_parallel_file(path_str: str) -> list[tuple[str, str]]:
    """``(text, translation)`` lines of a parallel file, every line with a tab and two sides; a
    line without is one error naming the file and the line (blank lines, and lines whose two
    sides are the same text, which teach nothing, are skipped)."""
    path, lines = _open_text(path_str, "parallel")
    pairs = []
    for number, text, tab, translation in _tab_lines(path, lines):
        if not tab:
            raise InputError(
                "the line has no tab: write text<TAB>translation (plain sentences go to --refine)",
                path=str(path),
                line=number,
            )
        if text != translation:
            pairs.append((text, translation))
    if not pairs:
        raise InputError("the parallel file has no pair of two different texts", path=str(path))
    return pairs
