"""One place that validates parameters, one way of saying what is wrong.

Messages name the parameter, the rule and the value, in the manner of scikit-learn:
"The 'k' parameter must be an int in [1, inf). Got 0 instead."
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from .errors import InputError


def check_int(value: Any, name: str, *, low: int | None = None, high: int | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InputError(f"The {name!r} parameter must be an int{_range(low, high)}. Got {value!r} instead.")
    if (low is not None and value < low) or (high is not None and value > high):
        raise InputError(f"The {name!r} parameter must be an int{_range(low, high)}. Got {value!r} instead.")
    return value


def check_float(value: Any, name: str, *, low: float | None = None, high: float | None = None) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise InputError(f"The {name!r} parameter must be a number{_range(low, high)}. Got {value!r} instead.")
    if (low is not None and value < low) or (high is not None and value > high):
        raise InputError(f"The {name!r} parameter must be a number{_range(low, high)}. Got {value!r} instead.")
    return float(value)


def check_choice(value: Any, choices: Iterable[str], name: str) -> str:
    choices = list(choices)
    if value not in choices:
        raise InputError(f"The {name!r} parameter must be one of {', '.join(map(repr, choices))}. Got {value!r} instead.")
    return value


def check_texts(texts: Any, name: str = "texts", *, allow_empty_list: bool = True) -> list[str]:
    """Accept a sequence of strings; reject None, bytes, and non-string items by position."""
    if isinstance(texts, (str, bytes)) or not isinstance(texts, (Sequence, Iterable)):
        raise InputError(f"The {name!r} parameter must be a list of strings. Got {type(texts).__name__} instead.")
    items = list(texts)
    for i, t in enumerate(items):
        if not isinstance(t, str):
            raise InputError(f"Item {i} of {name!r} must be a string. Got {type(t).__name__} instead.")
    if not items and not allow_empty_list:
        raise InputError(f"The {name!r} parameter must not be empty.")
    return items


def _range(low: float | None, high: float | None) -> str:
    if low is None and high is None:
        return ""
    lo = "-inf" if low is None else low
    hi = "inf" if high is None else high
    return f" in [{lo}, {hi}{')' if high is None else ']'}"
