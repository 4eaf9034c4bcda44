"""``EmbeddingWriter``: stream vectors to .npy, .parquet or .jsonl, published atomically.

Encoding a corpus takes long and can fail at any batch; a half-written file that looks
complete is worse than none. So everything goes to temporary files next to the output and
is renamed into place only on a clean close; an exception inside the ``with`` block deletes
the temporary files and leaves any existing output exactly as it was.
"""

from __future__ import annotations

import os
import weakref
from pathlib import Path
from types import TracebackType
from typing import Any, Self

import numpy as np

from .._atomic import Publication, is_storage_error, storage_error, storage_errors
from .._paths import check_outputs
from .._validation import check_int, check_texts
from ..errors import InputError
from ._formats import OUTPUT_FORMATS, output_format
from ._sinks import Sink, sidecar


class EmbeddingWriter:
    """Write ``(id, [text], vector)`` rows in batches; the file appears only on a clean close.

    ``.npy`` gets a float32 ``(n, dim)`` matrix plus ``<name>.ids.txt`` (one id a line) and,
    with ``with_text``, ``<name>.texts.jsonl``; ``.parquet`` gets columns ``id``, [``text``],
    ``vector`` (``fixed_size_list<float32>[dim]``); ``.jsonl`` one object a line. Rows keep
    the order in which they were written. Use as a context manager::

        with EmbeddingWriter("out.parquet", 384) as writer:
            writer.write(ids, vectors)
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        dim: int,
        *,
        fmt: str | None = None,
        with_text: bool = False,
        provenance: dict[str, Any] | None = None,
    ) -> None:
        self.path = Path(path)
        self.dim = check_int(dim, "dim", low=1)
        self.format = check_output_path(self.path, fmt=fmt)
        self.with_text = bool(with_text)
        self.rows = 0
        self._pub = Publication()
        try:
            self._sink: Sink | None = OUTPUT_FORMATS.get(self.format)(
                self.path, self.dim, self.with_text, self._pub, provenance
            )
        except OSError as exc:
            self._pub.abort()
            raise storage_error(exc, self.path) from None
        except BaseException:
            self._pub.abort()
            raise
        # A writer dropped without close() (no ``with``) must not leave temporary files behind.
        self._finalizer = weakref.finalize(self, self._pub.abort)

    def write(self, ids: list[str], vectors: np.ndarray, texts: list[str] | None = None) -> None:
        """Append one batch: ``len(ids)`` rows of ``vectors`` (float, shape ``(len(ids), dim)``)."""
        sink = self._open_sink()
        ids = check_texts(ids, "ids")
        vectors = self._check_vectors(vectors, ids)
        if self.with_text:
            if texts is None:
                raise InputError(
                    "The 'texts' parameter is required: this writer was opened with with_text=True."
                )
            texts = check_texts(texts, "texts")
            if len(texts) != len(ids):
                raise InputError(f"Got {len(texts)} texts for {len(ids)} ids; give one text per id.")
        elif texts is not None:
            raise InputError(
                "Texts were given, but this writer was opened with with_text=False; pass "
                "with_text=True to store them."
            )
        for i, ident in enumerate(ids):
            if not ident.strip():
                raise InputError(f"Item {i} of 'ids' is empty; every row needs an id.")
            if self.format == "npy" and ("\n" in ident or "\r" in ident):
                raise InputError(
                    f"Item {i} of 'ids' contains a line break, which the .ids.txt sidecar "
                    "of a .npy output cannot hold; use .parquet or .jsonl."
                )
        if ids:
            try:
                sink.write(ids, vectors, texts)
            except OSError as exc:
                if is_storage_error(exc):
                    self.abort()
                    raise storage_error(exc, self.path) from None
                raise
            self.rows += len(ids)

    def close(self) -> None:
        """Finish the output and move it into place; calling it again does nothing."""
        if self._sink is None:
            return
        sink, self._sink = self._sink, None
        with storage_errors(self.path):
            try:
                sink.finish()
                self._pub.commit()
            except BaseException:
                sink.close_quietly()
                self._pub.abort()
                raise
        self._finalizer.detach()

    def abort(self) -> None:
        """Discard everything written; the output path is left as it was."""
        if self._sink is None:
            return
        sink, self._sink = self._sink, None
        try:
            sink.close_quietly()
        finally:
            self._pub.abort()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()

    def _open_sink(self) -> Sink:
        if self._sink is None:
            raise InputError(
                "This EmbeddingWriter is closed; open a new one to write more.", path=str(self.path)
            )
        return self._sink

    def _check_vectors(self, vectors: Any, ids: list[str]) -> np.ndarray:
        n = len(ids)
        name = "The 'vectors' parameter of EmbeddingWriter.write()"
        if not isinstance(vectors, np.ndarray):
            raise InputError(f"{name} must be a numpy array. Got {type(vectors).__name__} instead.")
        if vectors.dtype.kind != "f":
            raise InputError(f"{name} must hold floats. Got dtype {vectors.dtype} instead.")
        if vectors.shape != (n, self.dim):
            raise InputError(
                f"{name} must have shape ({n}, {self.dim}) (one row per id). Got {vectors.shape} instead."
            )
        finite = np.isfinite(vectors).all(axis=1)
        if not finite.all():
            row = int(np.argmin(finite))
            raise InputError(f"{name} holds NaN or infinity in row {row} of this batch (id {ids[row]!r}).")
        return vectors


def output_files(path: str | os.PathLike[str], fmt: str | None = None) -> list[Path]:
    """Every file an embedding output may write: the file, then the sidecars its sink names."""
    path = Path(path)
    sink = OUTPUT_FORMATS.get(output_format(path, fmt))
    return [path, *(sidecar(path, suffix) for suffix in getattr(sink, "sidecars", Sink.sidecars))]


def check_output_path(
    path: str | os.PathLike[str], *, fmt: str | None = None, protect: tuple[str | os.PathLike[str], ...] = ()
) -> str:
    """Validate an output path before any work is done; return its format.

    ``protect`` lists inputs that the output (or one of its sidecars) must never replace.
    """
    kind = output_format(Path(path), fmt)
    check_outputs(output_files(path, kind), protect)
    return kind
