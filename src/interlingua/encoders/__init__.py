"""Encoders: any text, any language, into vectors.

``get_encoder("e5-small")`` gives the bundled default; a local path or a Hugging Face id the
user has in their cache loads a sentence-transformers, transformers or ONNX model. Vectors are
made through a :class:`~interlingua.neutral.Space` (an encoder plus adapters) everywhere else.
"""

from ..errors import TruncationWarning
from ._base import (
    ROLES,
    Encoder,
    EncoderInfo,
    EncoderSpec,
    EncodeStats,
    Role,
    Token,
    TokenStates,
    l2_normalize,
)
from ._builtin import DEFAULT_ENCODER
from ._embcache import EmbeddingCache, text_key
from ._registry import ENCODERS, encoder_specs, get_encoder, register_encoder
from ._resolve import load_model, looks_like_model_reference
from ._static import StaticEncoder
from ._static_build import build_static
from ._static_spec import StaticSpec

__all__ = [
    "DEFAULT_ENCODER",
    "ENCODERS",
    "ROLES",
    "EmbeddingCache",
    "EncodeStats",
    "Encoder",
    "EncoderInfo",
    "EncoderSpec",
    "Role",
    "StaticEncoder",
    "StaticSpec",
    "Token",
    "TokenStates",
    "TruncationWarning",
    "encoder_specs",
    "get_encoder",
    "build_static",
    "l2_normalize",
    "load_model",
    "looks_like_model_reference",
    "register_encoder",
    "text_key",
]
