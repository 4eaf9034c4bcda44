"""Named registry of encoders (the project's one :class:`~interlingua._registry.Registry` class).

Built-in encoders register here; third parties plug in through the ``interlingua.encoders``
entry-point group (the entry point names an :class:`EncoderSpec`, or a callable
``factory(**options) -> Encoder``). Anything not registered is resolved as a model the user
has: a local path or a Hugging Face cache entry (see ``_resolve``).
"""

from __future__ import annotations

from typing import Any

from .._registry import Registry
from ..errors import UnknownNameError
from ._base import Encoder, EncoderSpec

ENTRY_POINT_GROUP = "interlingua.encoders"


def _load_builtins() -> None:
    from ._builtin import BUILTIN

    for spec in BUILTIN:
        ENCODERS.register(spec.name, spec, description=spec.description)


ENCODERS: Registry[Any] = Registry("encoders", kind="encoder", loader=_load_builtins)


def register_encoder(spec: EncoderSpec, *, overwrite: bool = False) -> EncoderSpec:
    ENCODERS.register(spec.name, spec, description=spec.description, overwrite=overwrite)
    return spec


def _as_spec(name: str, obj: Any) -> EncoderSpec:
    if isinstance(obj, EncoderSpec):
        return obj
    return EncoderSpec(name, obj, None, "?", f"plugin {name}", lambda: (True, "plugin"))


def encoder_specs() -> list[EncoderSpec]:
    """All registered encoders, built-ins first."""
    return [_as_spec(e.name, e.obj) for e in ENCODERS.entries()]


def get_encoder(name: str, **options: Any) -> Encoder:
    """Build an encoder by registered name, or from a model the user has.

    Resolution order, fixed and reported when it fails: registered name, then
    ``st:``/``hf:``/``onnx:`` prefixed references and plain paths or Hugging Face ids
    (see :func:`interlingua.encoders.load_model`).
    """
    if name in ENCODERS:
        return _remember(_as_spec(name, ENCODERS.get(name)).factory(**options), name, options)
    from ._resolve import load_model, looks_like_model_reference

    if looks_like_model_reference(name):
        return _remember(load_model(name, **options), name, options)
    raise UnknownNameError(
        "encoder",
        str(name),
        ENCODERS.names(),
        hint="Or give a model folder, a .onnx file or an org/name in the local Hugging Face cache.",
    )


def _remember(encoder: Encoder, name: str, options: dict[str, Any]) -> Encoder:
    """Record how the encoder was made, so a worker process can make the same one."""
    encoder.origin = (name, dict(options))
    return encoder
