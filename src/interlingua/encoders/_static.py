"""``e5-static``: a static student of e5-small, a table of one vector per vocabulary piece.

A sentence vector is the mean of its pieces' rows (model2vec's recipe, see ``_static_build``):
no transformer runs at encode time, so a sentence costs its tokenization and one gather. The
pieces come from the teacher's own tokenizer, without the role prefix and without ``<s>`` /
``</s>`` (they would add the same vector to every sentence). A student folder holds
``vectors.npy`` (rows already multiplied by their piece weights), ``pieces.npy`` (the teacher
id of each row) and ``meta.json`` (teacher, recipe, content hash), read with mmap.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from .._validation import check_choice, check_int, check_texts
from ..errors import ModelNotFoundError
from ._base import ROLES, Encoder, EncoderInfo, EncodeStats, Role, Token, TokenStates, tokens_of
from ._static_pieces import PieceCache, unigram_segmenter

#: bump when the student's files or recipe change, so caches built by older code are not reused
STATIC_VERSION = 1
FORMAT = "interlingua-static"
META = "meta.json"
VECTORS = "vectors.npy"
PIECES = "pieces.npy"


@functools.lru_cache(maxsize=4)
def _teacher_file(model_file: str, teacher_hash: str):
    """The parsed teacher file (vocabulary, scores, normalization table), read once per process
    for the tokenizer and the word cache (0.2 s a read)."""
    from ._e5file import read_e5_file

    return read_e5_file(model_file)


@functools.lru_cache(maxsize=4)
def _tokenizer(model_file: str, teacher_hash: str):
    """The teacher's tokenizer without truncation (a student has no position limit), built once
    per process: it takes seconds, and every student of the same teacher shares it (encoding is
    thread-safe; nothing changes it after this)."""
    from ._e5 import build_tokenizer

    f = _teacher_file(model_file, teacher_hash)
    tok = build_tokenizer(f, f.config.max_positions)
    tok.no_truncation()
    return tok, len(f.pieces)


@functools.lru_cache(maxsize=4)
def _pieces(model_file: str, teacher_hash: str) -> PieceCache:
    f = _teacher_file(model_file, teacher_hash)
    segment = unigram_segmenter(f.pieces, f.scores, f.unk, (f.bos, f.eos, f.pad))
    return PieceCache(_tokenizer(model_file, teacher_hash)[0], segment)


def student_tokenizer(model_file: Path):
    """``(tokenizer, number of pieces)`` of the teacher file."""
    from ._e5 import content_hash

    return _tokenizer(str(model_file), content_hash(model_file))


def student_pieces(model_file: Path) -> PieceCache:
    """The word cache of the teacher's tokenizer, one per process: shared by every student of
    the teacher (the same words have the same pieces), and filled as they encode."""
    from ._e5 import content_hash

    return _pieces(str(model_file), content_hash(model_file))


def is_static_student(folder: Path) -> bool:
    """Whether ``folder`` holds a student written by :func:`build_static` (cheap: reads meta.json)."""
    try:
        meta = json.loads((Path(folder) / META).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(meta, dict) and meta.get("format") == FORMAT


def read_student_meta(folder: Path) -> dict[str, Any]:
    """The student's meta.json, checked: a folder that is not a student, or one written by another
    version of the recipe, is refused with what to do."""
    folder = Path(folder)
    path = folder / META
    try:
        meta = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ModelNotFoundError(
            f"{folder} is not a static student (no {META}); build one with `interlingua students build static`."
        ) from None
    except (OSError, ValueError) as exc:
        raise ModelNotFoundError(f"{path}: cannot read the student's metadata ({exc}).") from None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise ModelNotFoundError(f"{path} does not describe a static student (format {FORMAT!r}).")
    if meta.get("version") != STATIC_VERSION:
        raise ModelNotFoundError(
            f"{folder} was built by static recipe version {meta.get('version')!r}; this interlingua reads "
            f"version {STATIC_VERSION}: rebuild it with `interlingua students build static --force`."
        )
    return meta


class StaticEncoder(Encoder):
    """A static student: the mean of piece vectors, L2-normalized. Measured against
    e5-small-int8 on one thread: ~300x on text it has seen words of, ~100x on a stream of new
    multilingual sentences (``benchmarks/static.py``); words go through the tokenizer once
    (:mod:`._static_pieces`)."""

    #: texts tokenized and pooled at once: larger batches only amortize the per-call overhead
    batch_size = 4096

    def __init__(
        self,
        folder: str | Path,
        *,
        name: str = "e5-static",
        batch_size: int | None = None,
        threads: int = 1,  # accepted like every encoder's; a gather needs one thread
        model_file: str | Path | None = None,
    ):
        super().__init__()
        from ._e5 import bundled_model_path, content_hash

        self.folder = Path(folder).expanduser().resolve()
        self.meta = read_student_meta(self.folder)
        if batch_size is not None:
            self.batch_size = check_int(batch_size, "batch_size", low=1)
        teacher_file = Path(model_file) if model_file else bundled_model_path()
        want = self.meta["teacher"]["content_hash"]
        if content_hash(teacher_file) != want:
            raise ModelNotFoundError(
                f"The student {self.folder} was distilled from a teacher file with content hash {want}; "
                f"{teacher_file} differs, so its tokenizer may not match: rebuild the student."
            )
        self._tok, vocab = student_tokenizer(teacher_file)
        self._pieces = student_pieces(teacher_file)
        vectors = np.load(self.folder / VECTORS, mmap_mode="r")
        pieces = np.load(self.folder / PIECES)
        if vectors.ndim != 2 or len(pieces) != len(vectors) or (len(pieces) and pieces.max() >= vocab):
            raise ModelNotFoundError(
                f"{self.folder}: {VECTORS} and {PIECES} do not match; rebuild the student."
            )
        if len(pieces) == vocab and np.array_equal(pieces, np.arange(vocab)):
            self._table, self._lookup = vectors, None  # every piece: ids index rows directly
        else:  # a restricted vocabulary: other pieces map to a zero row
            self._table = np.vstack(
                [np.asarray(vectors, dtype=np.float32), np.zeros((1, vectors.shape[1]), "f4")]
            )
            self._lookup = np.full(vocab, len(pieces), dtype=np.int64)
            self._lookup[pieces] = np.arange(len(pieces))
        self._info = EncoderInfo(
            name=name,
            dim=int(vectors.shape[1]),
            languages=None,
            max_tokens=None,
            description=f"static student of {self.meta['teacher']['name']} ({self.meta['recipe_summary']})",
            source=str(self.folder),
        )

    @property
    def info(self) -> EncoderInfo:
        return self._info

    @property
    def identity(self) -> str:
        return f"e5-static|{self.meta['content_hash']}|s{STATIC_VERSION}"

    # -- pooling ----------------------------------------------------------------------------
    def _pool(self, flat: np.ndarray, lens: np.ndarray) -> np.ndarray:
        """Mean of the piece rows of each text, as one sparse ``(texts, pieces) @ table`` product:
        no Python loop per token, and 10x faster than a gather + ``np.add.reduceat`` (measured)."""
        from scipy import sparse

        n = len(lens)
        if not len(flat):
            return np.zeros((n, self.dim), dtype=np.float32)
        if self._lookup is not None:
            flat = self._lookup[flat]
        indptr = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(lens, out=indptr[1:])
        weights = np.repeat((1.0 / np.maximum(lens, 1)).astype(np.float32), lens)
        means = sparse.csr_matrix((weights, flat, indptr), shape=(n, len(self._table)))
        return np.asarray(means @ self._table, dtype=np.float32)

    def _encode_batch(self, texts: list[str], role: Role) -> tuple[np.ndarray, EncodeStats]:
        flat, lens = self._pieces.flat(texts)
        return self._pool(flat, lens), EncodeStats(len(texts), len(flat), 0)

    def _batch_order(self, items: list[str]) -> np.ndarray:
        """Texts in the order given: there is no padding to save, and sorting by length would
        tokenize every text twice."""
        return np.arange(len(items))

    # -- tokens -----------------------------------------------------------------------------
    def count_tokens(self, texts: list[str], role: Role = "passage") -> list[int]:
        """Pieces each text is pooled over (no prefix, no ``<s>``/``</s>``, never truncated)."""
        return self._pieces.flat(list(texts))[1].tolist()

    def tokens(
        self, texts: Sequence[str], *, role: Role | None = None, add_special_tokens: bool = True
    ) -> list[list[Token]]:
        """Each text's pieces as the student sees them: a student has no role prefix and no
        ``<s>``/``</s>``, so ``role`` and ``add_special_tokens`` change nothing."""
        items = check_texts(texts, "texts")
        if role is not None:
            check_choice(role, ROLES, "role")
        encs = self._tok.encode_batch(items, add_special_tokens=False)
        return [tokens_of(e, t) for e, t in zip(encs, items)]

    def _token_states_batch(self, texts: list[str], role: Role) -> list[TokenStates]:
        """The piece rows as token states (not contextual: a static model's best), with the same
        character offsets as e5's, so word alignment runs on a student too."""
        out = []
        for text, enc in zip(texts, self._tok.encode_batch(texts, add_special_tokens=False)):
            keep = [
                (tok, piece)
                for tok, piece in zip(tokens_of(enc, text), enc.tokens)
                if not tok.special and tok.start is not None and tok.stop > tok.start
            ]
            ids = np.array([tok.id for tok, _ in keep], dtype=np.int64)
            rows = self._lookup[ids] if self._lookup is not None else ids
            states = np.asarray(self._table[rows], dtype=np.float32).reshape(len(keep), self.dim)
            offsets = np.array([(tok.start, tok.stop) for tok, _ in keep], dtype=np.int64).reshape(-1, 2)
            out.append(TokenStates(text=text, tokens=[p for _, p in keep], offsets=offsets, states=states))
        return out
