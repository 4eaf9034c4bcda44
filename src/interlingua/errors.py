"""One exception hierarchy for every user-facing error.

The CLI turns any :class:`InterlinguaError` into one line on stderr and a non-zero exit
code; the HTTP API into a 4xx JSON body. Anything else is a bug and keeps its traceback.
"""

from __future__ import annotations


class InterlinguaError(Exception):
    """Root of all errors the user can act on."""

    exit_code = 1


class InputError(InterlinguaError, ValueError):
    """Bad input: a file, a line, a field or a parameter value.

    ``path`` and ``line`` locate the problem when it comes from a file, so that the message
    always says where to look.
    """

    exit_code = 2

    def __init__(self, message: str, *, path: str | None = None, line: int | None = None):
        self.path = path
        self.line = line
        where = ""
        if path is not None:
            where = f"{path}"
            if line is not None:
                where += f", line {line}"
            where += ": "
        super().__init__(where + message)


class UnknownNameError(InterlinguaError, KeyError):
    """A registry lookup for a name that is not registered; lists the known names."""

    exit_code = 2

    def __init__(self, kind: str, name: str, known: list[str]):
        self.kind, self.name, self.known = kind, name, known
        super().__init__(name)

    def __str__(self) -> str:  # KeyError would quote the message otherwise
        known = ", ".join(sorted(self.known)) or "(none registered)"
        return f"Unknown {self.kind} {self.name!r}. Known {self.kind}s: {known}."


class LanguageCodeError(InputError):
    """A language code that cannot be mapped to a BCP 47 tag."""


class ModelNotFoundError(InterlinguaError):
    """A model that is not on this machine; the message says what was tried and how to get it."""

    exit_code = 3


class MissingDependencyError(InterlinguaError, ImportError):
    """An optional part is not installed; the message gives the exact pip command."""

    exit_code = 3

    def __init__(self, what: str, extra: str):
        self.extra = extra
        super().__init__(f"{what} needs an optional dependency: pip install 'interlingua[{extra}]'")


__all__ = [
    "InterlinguaError",
    "InputError",
    "UnknownNameError",
    "LanguageCodeError",
    "ModelNotFoundError",
    "MissingDependencyError",
]
