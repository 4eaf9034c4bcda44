"""One place that validates parameters, one way of saying what is wrong.

Rules are data (scikit-learn's ``Interval`` / ``StrOptions`` habit): a spec field declares its
rules once, :func:`check` applies them, and every message names the caller, the parameter, the
rule and the value: "The 'knn.k' parameter of mine() must be an int in [1, inf). Got 0 instead."

Numbers are finite unless a rule says otherwise: NaN and infinities are refused everywhere a
number is taken, since every comparison with NaN is silently false.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from .errors import InputError


class Rule:
    """One constraint on a value; ``describe()`` completes "must be ..."."""

    def ok(self, value: Any) -> bool:  # pragma: no cover - abstract
        raise NotImplementedError

    def describe(self) -> str:  # pragma: no cover - abstract
        raise NotImplementedError


@dataclass(frozen=True)
class Interval(Rule):
    """A number of ``type`` (``int`` or ``float``) between ``low`` and ``high`` (None: unbounded).

    ``closed`` is "both", "left", "right" or "neither". ``int`` also refuses ``bool``; ``float``
    takes ints too. Non-finite values are refused unless ``allow_inf``.
    """

    type: type
    low: float | None = None
    high: float | None = None
    closed: str = "both"
    allow_inf: bool = False

    def ok(self, value: Any) -> bool:
        if isinstance(value, bool):
            return False
        if self.type is int and not isinstance(value, int):
            return False
        if self.type is float and not isinstance(value, (int, float)):
            return False
        if isinstance(value, float) and (math.isnan(value) or (math.isinf(value) and not self.allow_inf)):
            return False
        lo_ok = self.low is None or (
            value >= self.low if self.closed in ("both", "left") else value > self.low
        )
        hi_ok = self.high is None or (
            value <= self.high if self.closed in ("both", "right") else value < self.high
        )
        return lo_ok and hi_ok

    def describe(self) -> str:
        kind = "an int" if self.type is int else "a finite number" if not self.allow_inf else "a number"
        if self.low is None and self.high is None:
            return kind
        left = "[" if self.closed in ("both", "left") and self.low is not None else "("
        right = "]" if self.closed in ("both", "right") and self.high is not None else ")"
        lo = "-inf" if self.low is None else _num(self.low)
        hi = "inf" if self.high is None else _num(self.high)
        return f"{kind} in {left}{lo}, {hi}{right}"


@dataclass(frozen=True)
class Options(Rule):
    """One of a fixed set of values (strings, usually)."""

    values: tuple[Any, ...]

    def ok(self, value: Any) -> bool:
        return isinstance(value, type(self.values[0])) and value in self.values if self.values else False

    def describe(self) -> str:
        return "one of " + ", ".join(repr(v) for v in self.values)


@dataclass(frozen=True)
class Named(Rule):
    """A name registered in a :class:`~interlingua._registry.Registry` (looked up when checked, so
    plug-ins registered later count). ``extra`` names are accepted too (``auto``); ``accept``
    takes other values the registry does not hold (a faiss factory string, a model path)."""

    registry: Any
    extra: tuple[str, ...] = ()
    accept: Callable[[str], bool] | None = None
    accept_hint: str = ""

    def ok(self, value: Any) -> bool:
        if not isinstance(value, str):
            return False
        if value in self.extra or value in self.registry:
            return True
        return bool(self.accept and self.accept(value))

    def describe(self) -> str:
        names = [*self.extra, *self.registry.names()]
        return (
            "one of "
            + ", ".join(repr(n) for n in names)
            + (f" ({self.accept_hint})" if self.accept_hint else "")
        )


@dataclass(frozen=True)
class Satisfies(Rule):
    """A string for which ``test`` holds (a faiss factory string), or one of ``extra``."""

    test: Callable[[str], bool]
    what: str
    extra: tuple[str, ...] = ()

    def ok(self, value: Any) -> bool:
        return isinstance(value, str) and (value in self.extra or bool(self.test(value)))

    def describe(self) -> str:
        return " or ".join([*(repr(e) for e in self.extra), self.what])


@dataclass(frozen=True)
class NoneOr(Rule):
    """None, or a value passing ``rule``."""

    rule: Rule

    def ok(self, value: Any) -> bool:
        return value is None or self.rule.ok(value)

    def describe(self) -> str:
        return f"None or {self.rule.describe()}"


@dataclass(frozen=True)
class Each(Rule):
    """A list (or tuple) whose every item passes ``rule``; ``size`` fixes its length."""

    rule: Rule
    size: int | None = None
    min_size: int = 0

    def ok(self, value: Any) -> bool:
        if isinstance(value, (str, bytes)) or not isinstance(value, (list, tuple)):
            return False
        if (self.size is not None and len(value) != self.size) or len(value) < self.min_size:
            return False
        return all(self.rule.ok(v) for v in value)

    def describe(self) -> str:
        n = f"{self.size} " if self.size is not None else ""
        least = f" (at least {self.min_size})" if self.min_size else ""
        return f"a list of {n}items{least}, each {self.rule.describe()}"


@dataclass(frozen=True)
class Text(Rule):
    """A string; ``nonempty`` refuses "" and blanks."""

    nonempty: bool = False

    def ok(self, value: Any) -> bool:
        return isinstance(value, str) and (not self.nonempty or bool(value.strip()))

    def describe(self) -> str:
        return "a non-empty string" if self.nonempty else "a string"


@dataclass(frozen=True)
class Mapping(Rule):
    def ok(self, value: Any) -> bool:
        return isinstance(value, dict) and all(isinstance(k, str) for k in value)

    def describe(self) -> str:
        return "a table of options (string keys)"


def check(value: Any, rules: Sequence[Rule] | Rule, name: str, caller: str | None = None) -> Any:
    """Return ``value`` when it passes every rule, else raise the one message of this module."""
    for rule in [rules] if isinstance(rules, Rule) else rules:
        if not rule.ok(value):
            raise InputError(message(name, rule.describe(), value, caller), field=name)
    return value


def message(name: str, rule: str, value: Any, caller: str | None = None) -> str:
    of = f" of {caller}" if caller else ""
    return f"The {name!r} parameter{of} must be {rule}. Got {_show(value)} instead."


# -- the older one-call checks, kept for the functions that take plain arguments -------------------
def check_int(
    value: Any, name: str, *, low: int | None = None, high: int | None = None, caller: str | None = None
) -> int:
    return check(value, Interval(int, low, high), name, caller)


def check_float(
    value: Any, name: str, *, low: float | None = None, high: float | None = None, caller: str | None = None
) -> float:
    return float(check(value, Interval(float, low, high), name, caller))


def check_choice(value: Any, choices: Iterable[str], name: str, caller: str | None = None) -> str:
    return check(value, Options(tuple(choices)), name, caller)


def check_texts(texts: Any, name: str = "texts", *, allow_empty_list: bool = True) -> list[str]:
    """Accept a sequence of strings; reject None, bytes, and non-string items by position."""
    if isinstance(texts, (str, bytes)) or not isinstance(texts, (Sequence, Iterable)):
        raise InputError(
            f"The {name!r} parameter must be a list of strings. Got {type(texts).__name__} instead."
        )
    items = list(texts)
    for i, t in enumerate(items):
        if not isinstance(t, str):
            raise InputError(f"Item {i} of {name!r} must be a string. Got {type(t).__name__} instead.")
    if not items and not allow_empty_list:
        raise InputError(f"The {name!r} parameter must not be empty.")
    return items


def surrogate_at(text: str) -> int | None:
    """The index of the first lone surrogate in ``text`` (no UTF-8 text can hold one), or None."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        return exc.start
    return None


def _num(x: float) -> str:
    return str(int(x)) if float(x).is_integer() and abs(x) < 1e15 else repr(x)


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 120 else text[:117] + "..."


__all__ = [
    "Each",
    "Interval",
    "Mapping",
    "Named",
    "NoneOr",
    "Options",
    "Rule",
    "Satisfies",
    "Text",
    "check",
    "check_choice",
    "check_float",
    "check_int",
    "check_texts",
    "message",
    "surrogate_at",
]
