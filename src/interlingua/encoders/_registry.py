"""Named registry of encoders, in the manner of spaCy's catalogue.

Built-in encoders register here; third parties plug in through the
``interlingua.encoders`` entry-point group (the entry point must name a callable
``factory(**options) -> Encoder``). Anything not registered is resolved as a model the user
has: a local path or a Hugging Face cache entry (see ``_resolve``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from importlib.metadata import entry_points
from typing import Any

from ..errors import UnknownNameError
from ._base import Encoder

ENTRY_POINT_GROUP = "interlingua.encoders"


@dataclass(frozen=True)
class EncoderSpec:
    """A registered encoder: how to build it and how to tell, cheaply, whether it can run here."""

    name: str
    factory: Callable[..., Encoder]
    dim: int | None
    languages: str  # human summary, e.g. "~100 (XLM-R)" or "16"
    description: str
    available: Callable[[], tuple[bool, str]]  # (ok, why not / where from), must not load the model


_REGISTRY: dict[str, EncoderSpec] = {}
_entry_points_loaded = False


def register_encoder(spec: EncoderSpec, *, overwrite: bool = False) -> EncoderSpec:
    if spec.name in _REGISTRY and not overwrite:
        raise ValueError(f"An encoder named {spec.name!r} is already registered.")
    _REGISTRY[spec.name] = spec
    return spec


def _load_entry_points() -> None:
    global _entry_points_loaded
    if _entry_points_loaded:
        return
    _entry_points_loaded = True
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        if ep.name in _REGISTRY:
            continue
        factory = ep.load()
        register_encoder(
            EncoderSpec(ep.name, factory, None, "?", f"plugin from {ep.value}", lambda: (True, "plugin"))
        )


def encoder_specs() -> list[EncoderSpec]:
    """All registered encoders, built-ins first."""
    _load_entry_points()
    return list(_REGISTRY.values())


def get_encoder(name: str, **options: Any) -> Encoder:
    """Build an encoder by registered name, or from a model the user has.

    Resolution order, fixed and reported when it fails: registered name, then
    ``st:``/``hf:``/``onnx:`` prefixed references and plain paths or Hugging Face ids
    (see :func:`interlingua.encoders.load_model`).
    """
    _load_entry_points()
    if name in _REGISTRY:
        return _REGISTRY[name].factory(**options)
    from ._resolve import load_model, looks_like_model_reference

    if looks_like_model_reference(name):
        return load_model(name, **options)
    raise UnknownNameError("encoder", name, list(_REGISTRY))
