"""Encoders: any text, any language, into one vector space.

``get_encoder("e5-small")`` gives the bundled default; a local path or a Hugging Face id
the user has in their cache loads a sentence-transformers, transformers or ONNX model.
"""

from . import _builtin  # noqa: F401  (registers the built-in encoders)
from ._base import Encoder, EncoderInfo, EncodeStats, Role, TokenStates, TruncationWarning, l2_normalize
from ._builtin import DEFAULT_ENCODER
from ._corpus import EmbedReport, embed_file, encode_corpus
from ._embcache import EmbeddingCache
from ._registry import EncoderSpec, encoder_specs, get_encoder, register_encoder
from ._resolve import load_model

__all__ = [
    "DEFAULT_ENCODER",
    "EmbedReport",
    "EmbeddingCache",
    "EncodeStats",
    "Encoder",
    "EncoderInfo",
    "EncoderSpec",
    "Role",
    "TokenStates",
    "TruncationWarning",
    "embed_file",
    "encode_corpus",
    "encoder_specs",
    "get_encoder",
    "l2_normalize",
    "load_model",
    "register_encoder",
]
