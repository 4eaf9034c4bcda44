"""What every collection backend derives from its manifest alone: the space (built on first use,
its identity checked), the segmenter and language-ID backend, preparing a batch and adding in
batches. A backend gives ``manifest``, ``_space`` (None until built), ``_where`` (how messages
name it), ``_space_spec()`` and its own ``commit`` / ``_writable``."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

from ..errors import SpaceMismatchError
from ._manifest import Manifest
from ._prepare import PreparedBatch, add_in_batches, prepare_batch


class ManifestBacked:
    manifest: Manifest
    _space: Any

    @property
    def _where(self) -> str:
        raise NotImplementedError

    def _space_spec(self) -> dict[str, Any] | None:
        """The manifest's space as a SpaceSpec dict (None: a bare encoder name)."""
        return self.manifest.space or None

    def _writable(self) -> None:
        raise NotImplementedError

    # -- the space -------------------------------------------------------------------------
    @property
    def space(self) -> Any:
        """The space recorded in the manifest (built on first use, its identity checked)."""
        if self._space is None:
            from ..neutral import Space, SpaceSpec

            spec = self._space_spec()
            sp = Space.of(
                SpaceSpec.from_dict(spec) if spec else SpaceSpec(encoder=self.manifest.encoder_name)
            )
            self.check_space(sp.identity)
            self._space = sp
        return self._space

    #: the old name
    encoder = space

    def use_space(self, space: Any) -> None:
        """Make vectors with ``space`` (a Space, an Encoder, a spec, a name) after checking its identity."""
        from ..neutral import Space

        sp = Space.of(space)
        self.check_space(sp.identity)
        self._space = sp

    def check_space(self, identity: str) -> None:
        if identity != self.manifest.encoder:
            raise SpaceMismatchError(
                f"The collection {self._where} holds vectors of the space {self.manifest.encoder!r}; refusing "
                f"vectors from {identity!r}. Use the same model, or make a new collection."
            )

    check_encoder = check_space

    # -- text --------------------------------------------------------------------------------
    @property
    def segmenter(self) -> str:
        """How this collection cuts words for its lexical index (documents and queries alike)."""
        return str(self.manifest.lexical.get("segmenter", "bigram"))

    def segment(self, text: str) -> list[str]:
        """Tokens of ``text`` for the lexical index, as this collection segments."""
        from ..text import segment_words

        return segment_words(text, method=self.segmenter)

    @property
    def langid(self) -> str:
        """The language-ID backend that labels documents and queries given without a language."""
        return str(self.manifest.langid.get("backend") or "py3langid")

    # -- writing -----------------------------------------------------------------------------
    def prepare(
        self,
        docs: Iterable[Any],
        *,
        vectors: np.ndarray | None = None,
        identity: str | None = None,
        start: int = 0,
    ) -> PreparedBatch:
        """Check, label, encode and segment one batch without writing anything."""
        return prepare_batch(
            docs,
            space=self.space,
            segmenter=self.segmenter,
            langid=self.langid,
            vectors=vectors,
            identity=identity,
            start=start,
        )

    def add(
        self,
        docs: Iterable[Any],
        *,
        vectors: np.ndarray | None = None,
        upsert: bool = False,
        identity: str | None = None,
        batch_size: int = 1000,
        on_batch: Callable[[int, int], None] | None = None,
    ) -> int:
        """Add documents (``Document``, io ``Record``, dicts with id/text/lang/meta, or strings), in
        batches of ``batch_size``, each prepared then committed; ``on_batch(n, total)`` after each
        commit. A bad document stops with an error before its batch is stored; earlier batches stay.
        ``vectors`` gives precomputed vectors (of this collection's space: pass its ``identity``)."""
        self._writable()
        return add_in_batches(
            self,
            docs,
            vectors=vectors,
            upsert=upsert,
            identity=identity,
            batch_size=batch_size,
            on_batch=on_batch,
        )


__all__ = ["ManifestBacked"]
