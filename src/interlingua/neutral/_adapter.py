"""A fitted adapter: a folder of ``adapter.json`` (what it is, what it was fit on) and
``state.npz`` (its arrays), loaded without pickle and checked before use, so an adapter handed
over by someone else is safe to open.

Vectors are transformed by their language; a language the adapter has not seen (or a text
with no language) takes the method's fallback, with one warning per adapter and language.
"""

from __future__ import annotations

import hashlib
import json
import threading
import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import AdapterLanguageWarning, InputError
from ..text import canonical_lang
from ._methods import FALLBACK, METHODS, score_moments, top_moments, transform

FORMAT = "interlingua-adapter/1"
META_FILE = "adapter.json"
STATE_FILE = "state.npz"
_MAX_META_BYTES = 16 << 20


def state_digest(state: Mapping[str, np.ndarray]) -> str:
    """A content hash of the arrays (names, shapes and bytes, in name order)."""
    h = hashlib.sha256()
    for key in sorted(state):
        a = np.ascontiguousarray(state[key], dtype=np.float32)
        h.update(key.encode())
        h.update(repr(a.shape).encode())
        h.update(a.tobytes())
    return h.hexdigest()


def adapter_identity(method: str, digest: str, input_space: str, params: Mapping[str, Any]) -> str:
    """What makes the adapter's output what it is: its method and parameters, its arrays and the
    vectors it expects."""
    blob = json.dumps(params, sort_keys=True, default=str)
    tag = hashlib.sha256(f"{digest}|{input_space}|{blob}".encode()).hexdigest()[:12]
    return f"{method}-{tag}"


class FittedAdapter:
    """An adapter loaded from its folder: ``apply(vectors, role=, langs=)`` and, for ``balance``,
    ``score_moments``. Thread-safe: the only shared state is the once-per-language warning set."""

    def __init__(self, meta: dict[str, Any], state: dict[str, np.ndarray], path: Path | None = None):
        self.meta = meta
        self.method: str = meta["method"]
        self.params: dict[str, Any] = dict(meta.get("params") or {})
        self.roles: tuple[str, ...] = tuple(meta["roles"])
        self.languages: tuple[str, ...] = tuple(meta["languages"])
        self.input_space: str = meta["space"]
        self.dim: int = int(meta["dim"])
        self.identity: str = meta["identity"]
        self.path = path
        self.state = state
        self.scores = METHODS[self.method].scores
        self.needs_langs = METHODS[self.method].needs_langs and not self.scores
        self._by_key: dict[tuple[str, str], dict[str, np.ndarray]] = {}
        for key, array in state.items():
            role, lang, name = key.split("/", 2)
            self._by_key.setdefault((role, lang), {})[name] = array
        self._resolved: dict[str | None, str] = {}
        self._warned: set[tuple[str, str]] = set()
        self._lock = threading.Lock()

    # -- which state a text gets ------------------------------------------------------------
    def _role(self, role: str) -> str:
        if role in self.roles:
            return role
        fitted = self.roles[0]
        self._warn_once(
            ("role", role),
            f"The {self.method} adapter {self.identity} was fit on {', '.join(self.roles)} vectors, not "
            f"{role!r} ones; using its {fitted!r} statistics. Fit it with --roles {role} to match.",
        )
        return fitted

    def resolve_lang(self, lang: str | None) -> str:
        """The fitted language a text's language uses: itself, the same language in the same (or
        another) script, or the fallback."""
        with self._lock:
            found = self._resolved.get(lang)
        if found is not None:
            return found
        found = self._match(lang)
        if found == FALLBACK and METHODS[self.method].needs_langs:
            what = "texts with no language" if lang is None else f"language {lang!r}"
            self._warn_once(
                ("lang", str(lang)),
                f"The {self.method} adapter {self.identity} has not seen {what}; using its fallback "
                f"({METHODS[self.method].fallback}). Fit it with that language to treat it as its own.",
            )
        with self._lock:
            self._resolved[lang] = found
        return found

    def _match(self, lang: str | None) -> str:
        if not METHODS[self.method].needs_langs or lang is None:
            return FALLBACK
        if lang in self.languages:
            return lang
        try:
            tag = canonical_lang(lang)
        except InputError:
            return FALLBACK
        if tag in self.languages:
            return tag
        from ..text import same_language

        for script in (True, False):
            for fitted in self.languages:
                if same_language(tag, fitted, script=script):
                    return fitted
        return FALLBACK

    def _warn_once(self, key: tuple[str, str], message: str) -> None:
        with self._lock:
            if key in self._warned:
                return
            self._warned.add(key)
        warnings.warn(message, AdapterLanguageWarning, stacklevel=4)

    def _state(self, role: str, lang: str) -> dict[str, np.ndarray] | None:
        """The arrays for one role and resolved language; None where the method keeps none
        (``linear``: the pivot and unseen languages are not mapped)."""
        return self._by_key.get((role, lang)) or self._by_key.get((role, FALLBACK))

    # -- applying ---------------------------------------------------------------------------
    def apply(self, vectors: np.ndarray, *, role: str, langs: Sequence[str | None] | None) -> np.ndarray:
        if self.scores:
            return vectors
        r = self._role(role)
        if not METHODS[self.method].needs_langs:
            return transform(self.method, vectors, self._by_key[(r, FALLBACK)])
        keys = (
            [self.resolve_lang(None)] * len(vectors)
            if langs is None
            else [self.resolve_lang(x) for x in langs]
        )
        out = np.array(vectors, dtype=np.float32, copy=True)
        for key in dict.fromkeys(keys):
            rows = [i for i, k in enumerate(keys) if k == key]
            state = self._state(r, key)
            if state is not None:
                out[rows] = transform(self.method, out[rows], state)
        return out

    def balance_scores(
        self,
        scores: np.ndarray,
        queries: np.ndarray,
        doc_langs: Sequence[str | None],
        *,
        role: str = "passage",
    ) -> np.ndarray:
        """Each query's scores z-normalized within each document language (``balance`` only): by
        the query's own ``top_k`` scores in the language, or (``estimate="fitted"``, or fewer
        candidates than ``top_k`` there) by the fitted mean and covariance of the language."""
        r = self._role(role)
        out = np.array(scores, dtype=np.float32, copy=True)
        q = np.asarray(queries, np.float32)
        top_k = int(self.params.get("top_k", 10))
        from_top = self.params.get("estimate") == "top"
        groups: dict[str, list[int]] = {}
        for j, lang in enumerate(doc_langs):  # group by the document's own language first
            groups.setdefault(lang, []).append(j)
        for lang, cols in groups.items():
            if from_top and len(cols) >= top_k:
                mean, std = top_moments(out[:, cols], top_k)
            else:
                mean, std = score_moments(q, self._by_key[(r, self.resolve_lang(lang))])
            out[:, cols] = (out[:, cols] - mean[:, None]) / std[:, None]
        return out

    def describe(self) -> dict[str, Any]:
        return dict(self.meta)

    def __repr__(self) -> str:
        return f"FittedAdapter({self.identity!r}, languages={len(self.languages)})"


# -- reading a folder -----------------------------------------------------------------------------
def read_meta(path: str | Path) -> dict[str, Any]:
    """The ``adapter.json`` of an adapter folder, checked for the fields every adapter has."""
    folder = Path(path)
    meta_path = folder / META_FILE
    if not folder.is_dir():
        raise InputError(
            "is not an adapter folder (fit one with `interlingua neutral fit METHOD ... -o FOLDER`)",
            path=str(folder),
        )
    if not meta_path.is_file():
        raise InputError(
            f"has no {META_FILE}; it is not an adapter folder (or it was not written completely)",
            path=str(folder),
        )
    if meta_path.stat().st_size > _MAX_META_BYTES:
        raise InputError("is too large to be an adapter description", path=str(meta_path))
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"is not valid JSON ({exc})", path=str(meta_path)) from None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise InputError(
            f"is not an interlingua adapter description (format {FORMAT!r} expected)", path=str(meta_path)
        )
    for key, kind in (
        ("method", str),
        ("identity", str),
        ("space", str),
        ("dim", int),
        ("roles", list),
        ("languages", list),
    ):
        if not isinstance(meta.get(key), kind):
            raise InputError(f"field {key!r} is missing or not a {kind.__name__}", path=str(meta_path))
    if meta["method"] not in METHODS:
        raise InputError(
            f"names the unknown method {meta['method']!r}; known: {', '.join(METHODS)}", path=str(meta_path)
        )
    return meta


def load_adapter(path: str | Path, expected_method: str | None = None) -> FittedAdapter:
    """Load and check an adapter folder: its description, then its arrays against their hash."""
    folder = Path(path)
    meta = read_meta(folder)
    if expected_method is not None and meta["method"] != expected_method:
        raise InputError(
            f"holds a {meta['method']!r} adapter, but the space names it as {expected_method!r}",
            path=str(folder),
        )
    state_path = folder / STATE_FILE
    if not state_path.is_file():
        raise InputError(f"has no {STATE_FILE}; the adapter was not written completely", path=str(folder))
    try:
        with np.load(state_path, allow_pickle=False) as npz:
            state = {key: np.asarray(npz[key], dtype=np.float32) for key in npz.files}
    except (OSError, ValueError, EOFError) as exc:
        raise InputError(f"cannot be read as the adapter's arrays ({exc})", path=str(state_path)) from None
    if state_digest(state) != meta.get("state_sha256"):
        raise InputError(
            "does not match the checksum in adapter.json: the file was changed or damaged; fit the adapter again",
            path=str(state_path),
        )
    for key, array in state.items():
        parts = key.split("/")
        if len(parts) != 3 or (
            array.ndim and array.shape[-1] not in (meta["dim"], 1) and parts[2] != "eigvals"
        ):
            raise InputError(
                f"holds an array {key!r} of shape {array.shape} that does not fit dimension {meta['dim']}",
                path=str(state_path),
            )
    return FittedAdapter(meta, state, folder)


__all__ = [
    "FORMAT",
    "META_FILE",
    "STATE_FILE",
    "FittedAdapter",
    "adapter_identity",
    "load_adapter",
    "read_meta",
    "state_digest",
]
