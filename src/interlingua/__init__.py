"""interlingua: one semantic space for text in 100+ languages, offline.

The stages live in subpackages (``text``, ``io``, ``encoders``); the most used names are
importable from here, loaded on first access so that ``import interlingua`` stays light.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

from .errors import (
    InputError,
    InterlinguaError,
    LanguageCodeError,
    MissingDependencyError,
    ModelNotFoundError,
    UnknownNameError,
)

__version__ = "0.1.0"

_LAZY = {
    "get_encoder": "interlingua.encoders",
    "Encoder": "interlingua.encoders",
    "encoder_specs": "interlingua.encoders",
    "detect_language": "interlingua.text",
    "split_sentences": "interlingua.text",
    "canonical_lang": "interlingua.text",
    "read_records": "interlingua.io",
    "embed_file": "interlingua.encoders",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'interlingua' has no attribute {name!r}")


__all__ = [
    "InputError",
    "InterlinguaError",
    "LanguageCodeError",
    "MissingDependencyError",
    "ModelNotFoundError",
    "UnknownNameError",
    "__version__",
    *_LAZY,
]
