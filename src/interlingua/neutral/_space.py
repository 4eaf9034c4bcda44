"""``Space``: the one thing that makes vectors. An encoder plus a chain of adapters.

Every place that makes vectors (corpus encoding, collection add, queries, rerank, mining,
alignment, evaluation, the demo) takes a space, so an adapter, a provenance stamp or a worker
process follows the vectors wherever they are made. A space is rebuilt in any process from its
:class:`SpaceSpec` (plain data), never pickled; its ``identity`` keys provenance checks and
collection manifests (with no adapters it is the encoder's identity, so vectors from before
spaces existed still match).

Adapters transform raw encoder vectors by role and language (``apply``); the embedding cache
holds raw vectors under the encoder identity and adapters apply after it.
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Sequence
from typing import Any, Protocol, runtime_checkable

import numpy as np

from .._registry import Registry
from .._spec import REQUIRED, Spec, param
from .._validation import Interval, Mapping, Named, Text, check_texts
from ..encoders import (
    DEFAULT_ENCODER,
    ENCODERS,
    Encoder,
    EncodeStats,
    Role,
    TokenStates,
    get_encoder,
    l2_normalize,
)
from ..encoders import looks_like_model_reference as _is_model_ref
from ..errors import InputError


@runtime_checkable
class Adapter(Protocol):
    """A transform of raw vectors that depends on their role and language (see the neutral issue)."""

    identity: str

    def apply(self, vectors: np.ndarray, *, role: str, langs: Sequence[str | None] | None) -> np.ndarray: ...


def _load_methods() -> None:
    from functools import partial

    from ._adapter import load_adapter
    from ._methods import METHODS

    for name, method in METHODS.items():
        if name not in ADAPTERS:
            ADAPTERS.register(
                name, partial(load_adapter, expected_method=name), description=method.description
            )


#: adapters by method name; each entry is ``load(path) -> Adapter`` (a fitted adapter folder)
ADAPTERS: Registry[Any] = Registry("adapters", kind="adapter", loader=_load_methods)


@dataclasses.dataclass(frozen=True)
class AdapterRef(Spec):
    """An adapter in a space's chain: a registered method and the folder its fitted state is in."""

    method: str = param(
        REQUIRED, Named(ADAPTERS), help="adapter method (see `interlingua neutral` once it exists)"
    )
    path: str = param("", Text(), help="folder holding the fitted adapter (.npz + JSON)")


@dataclasses.dataclass(frozen=True)
class SpaceSpec(Spec):
    """What makes a space: an encoder (registered name, model path or Hugging Face id), its
    options and a chain of adapters (fitted folders, applied in order)."""

    caller = "Space()"
    encoder: str = param(
        DEFAULT_ENCODER,
        Named(ENCODERS, accept=_is_model_ref, accept_hint="or a model path / org/name"),
        help="encoder name (see `interlingua models`) or a model path",
    )
    options: dict[str, Any] = param(
        REQUIRED,
        Mapping(),
        factory=dict,
        help="encoder options (threads, max_tokens, query_prefix, passage_prefix, ...)",
    )
    adapters: tuple[AdapterRef, ...] = param((), help="adapter chain, applied in order")

    def build(self) -> Space:
        return Space.from_spec(self)


@dataclasses.dataclass(frozen=True, kw_only=True)
class Encoding(Spec):
    """The fields of every job that makes vectors: the space, the cache, the worker processes."""

    space: SpaceSpec = dataclasses.field(
        default_factory=SpaceSpec,
        metadata={"rules": (), "help": "the model (and adapters) that make the vectors", "transient": False},
    )
    cache: bool = param(True, help="read and write the embedding cache")
    workers: int = param(
        1, Interval(int, 1, None), transient=True, help="processes that encode, one thread each"
    )


class Space:
    """Vectors of one space: ``encode(texts, role=..., langs=...)`` and ``token_states(...)``."""

    def __init__(self, encoder: Encoder, adapters: Sequence[Adapter] = (), *, spec: SpaceSpec | None = None):
        if not isinstance(encoder, Encoder):
            raise InputError(f"A Space needs an Encoder. Got {type(encoder).__name__} instead.")
        self.encoder = encoder
        self.adapters = tuple(adapters)
        #: how to rebuild this space in another process; None for a space made of objects in code
        self.spec = spec

    # -- building ---------------------------------------------------------------------------
    @classmethod
    def from_spec(cls, spec: SpaceSpec) -> Space:
        spec = SpaceSpec.from_dict(spec) if not isinstance(spec, SpaceSpec) else spec
        encoder = get_encoder(spec.encoder, **dict(spec.options))  # an unknown name lists the known ones
        spec.validate("Space()")
        adapters = [ADAPTERS.get(a.method)(a.path) for a in spec.adapters]
        _check_chain(encoder, adapters)
        return cls(encoder, adapters, spec=spec)

    @classmethod
    def of(cls, value: Any) -> Space:
        """A space from a Space, a SpaceSpec (or its dict), an encoder name / model path or an Encoder."""
        if isinstance(value, Space):
            return value
        if value is None:
            return cached_space(SpaceSpec())
        if isinstance(value, SpaceSpec):
            return cached_space(value)
        if isinstance(value, dict):
            return cached_space(SpaceSpec.from_dict(value))
        if isinstance(value, str):
            return cached_space(SpaceSpec(encoder=value))
        if isinstance(value, Encoder):
            return cls(value, spec=_spec_of_encoder(value))
        raise InputError(
            "A space is given as a Space, a SpaceSpec, an encoder name or model path, or an Encoder. "
            f"Got {type(value).__name__} instead."
        )

    # -- what it is -------------------------------------------------------------------------
    @property
    def identity(self) -> str:
        """The encoder identity, followed by each adapter's: what makes the vectors what they are."""
        return "+".join([self.encoder.identity, *(a.identity for a in self.adapters)])

    @property
    def name(self) -> str:
        return self.encoder.name

    @property
    def dim(self) -> int:
        return self.encoder.dim

    @property
    def info(self):
        return self.encoder.info

    @property
    def has_token_states(self) -> bool:
        return self.encoder.has_token_states

    @property
    def portable(self) -> bool:
        """Whether worker processes can rebuild this space (it was made from a spec)."""
        return self.spec is not None

    def describe(self) -> dict[str, Any]:
        """Provenance: the identity and, when there is one, the spec that rebuilds the space."""
        return {
            "identity": self.identity,
            "encoder": self.name,
            "dim": self.dim,
            "adapters": [a.identity for a in self.adapters],
            "spec": self.spec.to_dict() if self.spec is not None else None,
        }

    def raw(self) -> Space:
        """The same encoder with no adapters: what the vectors were before neutralizing."""
        if not self.adapters:
            return self
        spec = self.spec.replace(adapters=()) if self.spec is not None else None
        return Space(self.encoder, (), spec=spec)

    @property
    def balances_scores(self) -> bool:
        """Whether the chain holds a score-level step (``balance``) that ranking must apply."""
        return any(getattr(a, "scores", False) for a in self.adapters)

    def balance_scores(
        self,
        scores: np.ndarray,
        queries: np.ndarray,
        doc_langs: Sequence[str | None],
        *,
        role: str = "passage",
    ) -> np.ndarray:
        """The ``(n_queries, n_docs)`` scores to rank by: unchanged without a ``balance`` adapter;
        with one, each query's scores z-normalized within each document language (from that
        language's fitted mean and covariance), so no language wins by its score level alone."""
        out = np.asarray(scores, dtype=np.float32)
        for a in self.adapters:
            if getattr(a, "scores", False):
                out = a.balance_scores(out, queries, doc_langs, role=role)
        return out

    # -- making vectors -----------------------------------------------------------------------
    def encode(
        self,
        texts: str | Sequence[str],
        *,
        role: Role = "passage",
        langs: Sequence[str | None] | None = None,
        batch_size: int | None = None,
    ) -> np.ndarray:
        """``(n, dim)`` float32 vectors, L2-normalized, adapters applied (``(dim,)`` for one string)."""
        single = isinstance(texts, str)
        items = [texts] if single else check_texts(texts)
        raw = self.encoder.encode(items, role=role, batch_size=batch_size)
        out = self.apply(raw, role=role, langs=self.langs_for(items, _check_langs(langs, len(items))))
        return out[0] if single else out

    def encode_counted(
        self,
        texts: Sequence[str],
        *,
        role: Role = "passage",
        langs: Sequence[str | None] | None = None,
        batch_size: int | None = None,
        normalize: bool = True,
    ) -> tuple[np.ndarray, EncodeStats]:
        """:meth:`encode` plus the counts of this call alone (texts, tokens, truncated), for a
        caller that counts per request (the HTTP server) and so must not read the encoder's
        shared running totals; warns about nothing. ``normalize=False`` leaves out the last L2
        normalization (the encoder's pooled vectors when there are no adapters)."""
        items = check_texts(texts)
        steps = self._vector_steps()
        raw, stats = self.encoder.encode_counted(
            items, role=role, batch_size=batch_size, normalize=normalize or bool(steps)
        )
        langs = self.langs_for(items, _check_langs(langs, len(items)))
        return self.apply(raw, role=role, langs=langs, normalize=normalize), stats

    @property
    def needs_langs(self) -> bool:
        """Whether an adapter of the chain transforms vectors by their language."""
        return any(getattr(a, "needs_langs", False) for a in self.adapters)

    def langs_for(
        self, texts: Sequence[str], langs: Sequence[str | None] | None
    ) -> Sequence[str | None] | None:
        """The languages the adapters use: those given, else (when an adapter needs them) each
        text's detected language (fastText), so no text silently takes a fallback."""
        if langs is not None or not self.needs_langs:
            return langs
        from ..text import detect_language

        return [None if g.lang == "und" else g.lang for g in detect_language(list(texts))]

    def apply(
        self,
        vectors: np.ndarray,
        *,
        role: str,
        langs: Sequence[str | None] | None = None,
        normalize: bool = True,
    ) -> np.ndarray:
        """The adapter chain on raw (normalized) encoder vectors; a no-op without adapters."""
        steps = self._vector_steps()
        if not steps:  # no adapters, or only score-level ones: the vectors are the encoder's
            return vectors
        out = np.asarray(vectors, dtype=np.float32)
        for a in steps:
            out = a.apply(out, role=role, langs=langs)
        return l2_normalize(out) if normalize else out

    def _vector_steps(self) -> list[Adapter]:
        return [a for a in self.adapters if not getattr(a, "scores", False)]

    def similarity(self, a: str, b: str, *, role: Role = "passage") -> float:
        """Cosine of two texts in this space (adapters applied, unlike the encoder's own)."""
        va, vb = self.encode([a, b], role=role)
        return float(va @ vb)

    def token_states(self, texts: str | Sequence[str], *, role: Role = "passage") -> list[TokenStates]:
        return self.encoder.token_states(texts, role=role)

    def count_tokens(self, texts: list[str], role: Role = "passage") -> list[int] | None:
        return self.encoder.count_tokens(texts, role)

    def prepare(self) -> None:
        self.encoder.prepare()

    def __repr__(self) -> str:
        return f"Space({self.identity!r})"


def _check_chain(encoder: Encoder, adapters: Sequence[Adapter]) -> None:
    """Each adapter must take the vectors of the chain before it: same encoder build, same adapters."""
    from ..errors import SpaceMismatchError

    identity = encoder.identity
    for a in adapters:
        expected = getattr(a, "input_space", None)
        if expected is not None and expected != identity:
            where = f" ({a.path})" if getattr(a, "path", None) else ""
            raise SpaceMismatchError(
                f"The adapter {a.identity}{where} was fit on vectors of space {expected!r}, but here it gets "
                f"vectors of {identity!r}; fit it again in this space (same model, same adapters before it)."
            )
        dim = getattr(a, "dim", None)
        if dim is not None and dim != encoder.dim:
            raise SpaceMismatchError(
                f"The adapter {a.identity} takes {dim}-d vectors; {encoder.name} makes {encoder.dim}-d ones."
            )
        identity = f"{identity}+{a.identity}"


def _check_langs(langs: Sequence[str | None] | None, n: int) -> list[str | None] | None:
    if langs is None:
        return None
    out = list(langs)
    if len(out) != n:
        raise InputError(
            f"The 'langs' parameter must give one language per text: {n} texts, {len(out)} languages."
        )
    return out


def _spec_of_encoder(encoder: Encoder) -> SpaceSpec | None:
    """The spec that rebuilds an encoder made by ``get_encoder`` (None for one made in code)."""
    if encoder.origin is None:
        return None
    name, options = encoder.origin
    return SpaceSpec(encoder=name, options=dict(options))


_CACHE: dict[str, Space] = {}
_CACHE_LOCK = threading.Lock()


def cached_space(spec: SpaceSpec) -> Space:
    """One space per spec and process: loading a model takes seconds, a lookup does not."""
    key = spec.fingerprint()
    with _CACHE_LOCK:
        space = _CACHE.get(key)
        if space is None:
            space = _CACHE[key] = Space.from_spec(spec)
        return space


__all__ = ["ADAPTERS", "Adapter", "AdapterRef", "Encoding", "Space", "SpaceSpec", "cached_space"]
