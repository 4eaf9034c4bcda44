"""The Encoder contract every model in interlingua follows.

A subclass implements ``info`` and ``_encode_batch`` (and optionally ``_token_states_batch``
and ``_lengths``); the base
class does what every model needs the same way: input checks, batches sorted by length
(padding is the main cost of transformer inference on CPU), truncation counting and the
L2 normalization promised by DESIGN.md.
"""

from __future__ import annotations

import threading
import warnings
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from .._reports import add_shards
from .._validation import check_choice, check_int, check_texts
from ..errors import InputError, TruncationWarning

Role = Literal["query", "passage"]
ROLES: tuple[str, ...] = ("query", "passage")


@dataclass(frozen=True)
class EncoderInfo:
    """What a user needs to choose an encoder: ``interlingua models`` prints these."""

    name: str
    dim: int
    languages: frozenset[str] | None  # None: the model was trained on ~100 languages, not a fixed list
    max_tokens: int | None
    description: str = ""
    source: str = ""


@dataclass
class EncodeStats:
    """Counts gathered while encoding, so truncation is never silent."""

    texts: int = 0
    tokens: int = 0
    truncated: int = 0

    def add(self, other: EncodeStats) -> None:
        self.texts += other.texts
        self.tokens += other.tokens
        self.truncated += other.truncated

    def __add__(self, other: EncodeStats) -> EncodeStats:
        return add_shards(self, other)


@dataclass
class Batch:
    """Tokenized texts ready for a forward pass (right-padded)."""

    ids: np.ndarray  # (n, t) int64
    mask: np.ndarray  # (n, t) int64
    offsets: list[np.ndarray] = field(default_factory=list)  # per text (t_i, 2) char offsets
    tokens: list[list[str]] = field(default_factory=list)
    truncated: np.ndarray | None = None  # (n,) bool


@dataclass(frozen=True)
class TokenStates:
    """Contextual token vectors of one text, with where each token sits in the text.

    ``offsets[i] = (start, end)`` are character offsets into the text as given (before any
    prefix); special tokens and prefix tokens are dropped so that every row maps to text.
    """

    text: str
    tokens: list[str]
    offsets: np.ndarray  # (n_tokens, 2) int
    states: np.ndarray  # (n_tokens, d) float32, not normalized


@dataclass(frozen=True)
class Token:
    """One token of a text as the model sees it (the fields of text-embeddings-inference's
    ``/tokenize``). ``start``/``stop`` are character offsets into the text as given, the space a
    piece's "▁" stands for left out, so ``text == input[start:stop]``; None for tokens that cover
    none of it (``<s>``, ``</s>``, the role's prefix), which are ``special``."""

    id: int
    text: str
    special: bool
    start: int | None
    stop: int | None


def tokens_of(encoding, text: str, prefix: str = "") -> list[Token]:
    """The :class:`Token` list of one ``tokenizers`` encoding of ``prefix + text``."""
    n = len(prefix)
    out = []
    for id_, piece, (a, b), special in zip(
        encoding.ids, encoding.tokens, encoding.offsets, encoding.special_tokens_mask
    ):
        if special or (n and b <= n):
            out.append(Token(int(id_), piece, True, None, None))
            continue
        start, stop = max(a - n, 0), max(b - n, 0)
        while start < stop and text[start].isspace():
            start += 1
        out.append(Token(int(id_), text[start:stop], False, start, stop))
    return out


class Encoder(ABC):
    """Base class: texts in any language -> float32 vectors, L2-normalized."""

    #: how many texts go through one forward pass by default
    batch_size: int = 32
    #: ``(name, options)`` when made by :func:`~interlingua.encoders.get_encoder`: how another
    #: process rebuilds the same encoder (None for encoders made of objects in code)
    origin: tuple[str, dict] | None = None

    def __init__(self) -> None:
        #: running totals over every call (shared by threads: updated under a lock); a caller
        #: that needs the counts of one call uses :meth:`encode_counted` instead
        self.stats = EncodeStats()
        self._stats_lock = threading.Lock()

    # -- what subclasses provide -------------------------------------------------------
    @property
    @abstractmethod
    def info(self) -> EncoderInfo: ...

    @abstractmethod
    def _encode_batch(self, texts: list[str], role: Role) -> tuple[np.ndarray, EncodeStats]:
        """Pooled (not yet normalized) vectors for one batch of texts."""

    def _token_states_batch(self, texts: list[str], role: Role) -> list[TokenStates]:
        raise NotImplementedError(f"Encoder {self.info.name!r} does not expose token states.")

    def count_tokens(self, texts: list[str], role: Role = "passage") -> list[int] | None:
        """Tokens each text takes before truncation, or None when the encoder cannot tell."""
        return None

    def tokens(
        self, texts: Sequence[str], *, role: Role | None = None, add_special_tokens: bool = True
    ) -> list[list[Token]]:
        """Each text's tokens, not truncated (so a caller sees how far over the limit a text is);
        with ``role``, the role's prefix first, as the model sees it."""
        raise InputError(f"Encoder {self.info.name!r} does not expose its tokenizer.")

    def _lengths(self, texts: list[str]) -> list[int]:
        """Cheap length proxy for sorting; subclasses may count real tokens."""
        return [len(t) for t in texts]

    def prepare(self) -> None:  # noqa: B027 - optional hook, a no-op by default
        """Do one-time work (building, loading) now, e.g. before worker processes start."""

    # -- public API ----------------------------------------------------------------------
    @property
    def name(self) -> str:
        return self.info.name

    @property
    def dim(self) -> int:
        return self.info.dim

    @property
    def identity(self) -> str:
        """What makes this encoder's vectors what they are; keys caches and collection manifests."""
        return f"{self.info.name}|{self.info.source}"

    @property
    def has_token_states(self) -> bool:
        return type(self)._token_states_batch is not Encoder._token_states_batch

    def encode(
        self,
        texts: str | Sequence[str],
        *,
        role: Role = "passage",
        batch_size: int | None = None,
        normalize: bool = True,
    ) -> np.ndarray:
        """Encode texts into a ``(n, dim)`` float32 array (``(dim,)`` for one string).

        Texts are processed in batches of similar length and returned in input order. Texts cut
        at the model's token limit raise one :class:`~interlingua.errors.TruncationWarning`.
        """
        single = isinstance(texts, str)
        out, stats = self.encode_counted(
            [texts] if single else texts, role=role, batch_size=batch_size, normalize=normalize
        )
        if stats.truncated:
            warnings.warn(
                f"{stats.truncated} text(s) were longer than {self.info.max_tokens} tokens and "
                f"were truncated by {self.info.name}; split long documents into passages.",
                TruncationWarning,
                stacklevel=2,
            )
        return out[0] if single else out

    def encode_counted(
        self,
        texts: Sequence[str],
        *,
        role: Role = "passage",
        batch_size: int | None = None,
        normalize: bool = True,
    ) -> tuple[np.ndarray, EncodeStats]:
        """Vectors and the counts of this call alone (texts, tokens, truncated); warns about nothing."""
        items = check_texts(texts, "texts")
        check_choice(role, ROLES, "role")
        bs = check_int(batch_size if batch_size is not None else self.batch_size, "batch_size", low=1)
        out = np.empty((len(items), self.dim), dtype=np.float32)
        total = EncodeStats()
        order = self._batch_order(items)
        for start in range(0, len(items), bs):
            idx = order[start : start + bs]
            vecs, stats = self._encode_batch([items[i] for i in idx], role)
            out[idx] = vecs
            total.add(stats)
        with self._stats_lock:
            self.stats.add(total)
        if normalize:
            out = l2_normalize(out)
        return out, total

    def _batch_order(self, items: list[str]) -> np.ndarray:
        """The order texts are batched in: longest first, so a batch pads little."""
        return np.argsort(self._lengths(items), kind="stable")[::-1]

    def token_states(self, texts: str | Sequence[str], *, role: Role = "passage") -> list[TokenStates]:
        """Contextual token vectors with character offsets, one entry per text."""
        single = isinstance(texts, str)
        items = check_texts([texts] if single else texts, "texts")
        check_choice(role, ROLES, "role")
        out: list[TokenStates] = []
        for start in range(0, len(items), self.batch_size):
            out.extend(self._token_states_batch(items[start : start + self.batch_size], role))
        return out

    def similarity(self, a: str, b: str, *, role: Role = "passage") -> float:
        va, vb = self.encode([a, b], role=role)
        return float(va @ vb)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self.info.name!r}, dim={self.dim})"


def l2_normalize(x: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(x, axis=-1, keepdims=True)
    return (x / np.maximum(norms, 1e-12)).astype(np.float32, copy=False)


@dataclass(frozen=True)
class EncoderSpec:
    """A registered encoder: how to build it and how to tell, cheaply, whether it can run here."""

    name: str
    factory: Callable[..., Encoder]
    dim: int | None
    languages: str  # human summary, e.g. "~100 (XLM-R)" or "16"
    description: str
    available: Callable[[], tuple[bool, str]]  # (ok, why not / where from), must not load the model
