"""Pydantic models made from the job specs, so the HTTP schema is the spec, declared once.

``model_of(SearchOptions)`` is a pydantic model with the spec's fields, types, defaults and help
(as descriptions; ranges and choices as JSON-schema constraints where a rule says so); unknown
fields are refused. ``to_spec(body, SearchOptions)`` turns a parsed body back into the spec
through ``Spec.from_dict`` and ``validate``: the spec's rules stay the one place that decides,
and their ``SpecError`` (naming the dotted field) answers 422.
"""

from __future__ import annotations

import dataclasses
import typing
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, create_model

from .._spec import Spec, strip_none
from .._validation import Interval, NoneOr, Options

S = TypeVar("S", bound=Spec)
_MODELS: dict[tuple, type[BaseModel]] = {}


class Strict(BaseModel):
    """Base of every request model: unknown fields are an error, not silently dropped."""

    model_config = ConfigDict(extra="forbid")


def model_of(spec: type[Spec], *, exclude: tuple[str, ...] = (), name: str | None = None) -> type[BaseModel]:
    """The request model of ``spec`` (without the fields in ``exclude``; nested groups too)."""
    key = (spec, exclude, name)
    if key in _MODELS:
        return _MODELS[key]
    hints = typing.get_type_hints(spec)
    fields: dict[str, Any] = {}
    for f in dataclasses.fields(spec):  # type: ignore[arg-type]
        if f.name in exclude or f.metadata.get("transient"):
            continue
        hint = _hint(hints[f.name])
        help_ = f.metadata.get("help", "") or None
        extra = _constraints(f.metadata.get("rules", ()))
        if f.default is not dataclasses.MISSING:
            default = list(f.default) if isinstance(f.default, tuple) else f.default
            fields[f.name] = (hint, Field(default, description=help_, **extra))
        elif f.default_factory is not dataclasses.MISSING:
            base = strip_none(hints[f.name])
            if isinstance(base, type) and issubclass(base, Spec):
                sub = model_of(base)
                fields[f.name] = (sub, Field(default_factory=sub, description=help_))
            else:
                made = f.default_factory()
                value = list(made) if isinstance(made, tuple) else made
                fields[f.name] = (hint, Field(default_factory=lambda v=value: v, description=help_, **extra))
        else:
            fields[f.name] = (hint, Field(..., description=help_, **extra))
    model = create_model(name or spec.__name__, __base__=Strict, __doc__=_doc(spec), **fields)
    _MODELS[key] = model
    return model


def to_spec(body: BaseModel | dict[str, Any] | None, spec: type[S], **fixed: Any) -> S:
    """The spec from a parsed body (only the fields the client sent; the spec's defaults for the
    rest) plus ``fixed`` values the server sets, checked by the spec's rules."""
    data = body.model_dump(exclude_unset=True) if isinstance(body, BaseModel) else dict(body or {})
    data.update(fixed)
    return spec.from_dict(data).validate()


def _doc(spec: type) -> str:
    doc = (spec.__doc__ or "").strip()
    return doc.split("\n\n")[0] if doc else spec.__name__


def _hint(hint: Any) -> Any:
    """The spec's type as a request type: tuples as lists, groups as their models."""
    base = strip_none(hint)
    optional = base is not hint
    if isinstance(base, type) and issubclass(base, Spec):
        out: Any = model_of(base)
    elif typing.get_origin(base) is tuple:
        args = [a for a in typing.get_args(base) if a is not Ellipsis]
        item = _hint(args[0]) if args else Any
        out = list[item]  # type: ignore[valid-type]
    elif typing.get_origin(base) is dict:
        out = dict[str, Any]
    else:
        out = base
    return out | None if optional else out


def _constraints(rules: tuple) -> dict[str, Any]:
    """JSON-schema hints from the rules a client can read (the rules still decide)."""
    out: dict[str, Any] = {}
    for rule in rules:
        inner = rule.rule if isinstance(rule, NoneOr) else rule
        if isinstance(inner, Interval) and inner.type in (int, float):
            if inner.low is not None:
                out["ge" if inner.closed in ("both", "left") else "gt"] = inner.low
            if inner.high is not None:
                out["le" if inner.closed in ("both", "right") else "lt"] = inner.high
        elif isinstance(inner, Options) and inner.values and all(isinstance(v, str) for v in inner.values):
            out["json_schema_extra"] = {"enum": list(inner.values)}
    return out


def literal(values: tuple[str, ...]) -> Any:
    """``Literal[...]`` of a spec's choices, for hand-written models (roles, formats)."""
    return Literal[tuple(values)]  # type: ignore[valid-type]


__all__ = ["Strict", "literal", "model_of", "to_spec"]
