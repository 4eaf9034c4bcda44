"""Package namespaces that load their modules on first use (PEP 562).

A stage package names everything a user imports from it, but importing the package (as the CLI
does for every command, ``--help`` included) should cost only its options, not its whole
implementation. ``lazy_exports`` gives a package a ``__getattr__`` and ``__dir__`` that import a
name's module the first time the name is asked for, and keep the value.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping
from importlib import import_module
from typing import Any


def lazy_exports(
    package: str, exports: Mapping[str, str]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """``(__getattr__, __dir__)`` for ``package``: ``exports`` maps a public name to the module
    that defines it (``"._module"``, or ``"._module:attr"`` when the name differs)."""

    def __getattr__(name: str) -> Any:
        target = exports.get(name)
        if target is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        module, _, attr = target.partition(":")
        value = getattr(import_module(module, package), attr or name)
        setattr(sys.modules[package], name, value)
        return value

    def __dir__() -> list[str]:
        return sorted({*vars(sys.modules[package]), *exports})

    return __getattr__, __dir__
