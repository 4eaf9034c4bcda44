"""Every exception and warning interlingua raises, in one place.

Each error carries an ``exit_code`` (the CLI exits with it after printing one line) and an
``http_status`` (the HTTP API answers with it and a JSON body ``{error, message, field}``).
Anything that is not an :class:`InterlinguaError` is a bug and keeps its traceback.
"""

from __future__ import annotations


class InterlinguaError(Exception):
    """Root of all errors the user can act on."""

    exit_code = 1
    http_status = 400
    #: the parameter or input field the error is about, when there is one (``knn.k``, ``text``)
    field: str | None = None


class InputError(InterlinguaError, ValueError):
    """Bad input: a file, a line, a field or a parameter value.

    ``path`` and ``line`` (and ``column``) locate the problem when it comes from a file, so that
    the message always says where to look.
    """

    exit_code = 2
    http_status = 422

    def __init__(
        self,
        message: str,
        *,
        path: str | None = None,
        line: int | None = None,
        column: int | None = None,
        field: str | None = None,
    ):
        self.path, self.line, self.column, self.message = path, line, column, message
        if field is not None:
            self.field = field
        where = ""
        if path is not None:
            where = f"{path}"
            if line is not None:
                where += f", line {line}"
                if column is not None:
                    where += f", column {column}"
            where += ": "
        super().__init__(where + message)


class SpecError(InputError):
    """A job spec (from flags, a config file or ``--set``) that breaks one of its declared rules."""


class UnknownNameError(InterlinguaError, KeyError):
    """A registry lookup for a name that is not registered; lists the known names."""

    exit_code = 2
    http_status = 422

    def __init__(self, kind: str, name: str, known: list[str], *, hint: str = ""):
        self.kind, self.name, self.known, self.hint = kind, name, known, hint
        super().__init__(name)

    def __str__(self) -> str:  # KeyError would quote the message otherwise
        known = ", ".join(sorted(self.known)) or "(none registered)"
        return f"Unknown {self.kind} {self.name!r}; known: {known}.{' ' + self.hint if self.hint else ''}"


class LanguageCodeError(InputError):
    """A language code that cannot be mapped to a BCP 47 tag."""


class ModelNotFoundError(InterlinguaError):
    """A model that is not on this machine; the message says what was tried and how to get it."""

    exit_code = 3
    http_status = 404


class MissingDependencyError(InterlinguaError, ImportError):
    """An optional part is not installed; the message gives the exact pip command."""

    exit_code = 3
    http_status = 501

    def __init__(self, what: str, extra: str | None):
        self.extra = extra
        if extra is None:  # a core dependency is missing: the install is broken
            super().__init__(
                f"{what} needs a dependency that every install has; reinstall: pip install --force-reinstall interlingua"
            )
        else:
            super().__init__(f"{what} needs an optional dependency: pip install 'interlingua[{extra}]'")


class StorageError(InterlinguaError, OSError):
    """The file system refused a write (disk full, read-only, no permission); nothing partial is left."""

    exit_code = 5
    http_status = 507


class CollectionError(InterlinguaError):
    """A collection that cannot be used as it is: damaged, hostile or missing files; says how to recover."""

    exit_code = 6
    http_status = 409


class CollectionLockedError(InterlinguaError):
    """Another process is writing to the collection."""

    exit_code = 4
    http_status = 423


class DatabaseError(InterlinguaError):
    """The database server cannot be reached or refused what a collection needs (no pgvector, too
    old a version, no permission); the message names the server and the fix."""

    exit_code = 7
    http_status = 503


class ClusterError(InterlinguaError):
    """The cluster (a Dask scheduler) cannot be reached, or its workers cannot run the job (no
    interlingua installed there, or no shared file system with the client)."""

    exit_code = 7
    http_status = 503


class DuplicateIdError(InputError):
    """A document id that is already in the collection (and upsert was not asked for)."""

    http_status = 409


class SpaceMismatchError(InputError):
    """Vectors from another space (encoder, adapters) or role than the one expected."""

    http_status = 409


#: the old name: a collection refusing vectors from another encoder
EncoderMismatchError = SpaceMismatchError


class PartialWriteError(InterlinguaError):
    """A write that stopped part-way: what was committed is kept, and the message says how to resume."""

    exit_code = 7
    http_status = 500

    def __init__(self, message: str, *, committed: int, cause: BaseException | None = None):
        self.committed = committed
        detail = f": {cause}" if cause is not None else ""
        super().__init__(f"{message}{detail}")


class RequestTooLargeError(InterlinguaError):
    """A request over one of the server's limits (body bytes, texts per batch, characters per text);
    the message names the limit and the setting that raises it."""

    exit_code = 2
    http_status = 413


class NotFoundError(InterlinguaError):
    """A named thing that is not there (a served collection, a job, a document id)."""

    exit_code = 2
    http_status = 404


class BusyError(InterlinguaError):
    """Every slot of a bounded queue is taken (the server's jobs); try again later."""

    exit_code = 4
    http_status = 429


class NotReadyError(InterlinguaError):
    """Something asked for before it exists: a job's result while the job is queued or running,
    or after it failed or was cancelled."""

    exit_code = 4
    http_status = 409


class JobCancelled(BaseException):
    """A job was cancelled while it ran (the server's ``DELETE /jobs/{id}``, or its shutdown): its
    progress callback raises this at the job's next event. A ``BaseException``, like
    ``KeyboardInterrupt``, so that no ``except Exception`` on the way turns it into another error,
    while every writer's cleanup (``except BaseException``) still runs and leaves nothing partial."""

    exit_code = 130
    http_status = 409


# -- warnings ---------------------------------------------------------------------------------
class InterlinguaWarning(UserWarning):
    """Root of the warnings interlingua emits (the CLI prints each as one ``warning:`` line)."""


class DatabaseWarning(InterlinguaWarning):
    """The database works, but less well than it could (e.g. pgvector < 0.8: filtered searches
    over-fetch instead of scanning the index iteratively)."""


class TruncationWarning(InterlinguaWarning):
    """Texts were cut at the model's token limit."""


class UnsupportedLanguageWarning(InterlinguaWarning):
    """Text in a language the encoder was not trained on."""


class SameLanguageWarning(InterlinguaWarning):
    """Both sides of a mining job look like one language: margins find paraphrases, not translations."""


class ProvenanceWarning(InterlinguaWarning):
    """Input vectors without provenance: interlingua cannot check which space or role made them."""


class RepairWarning(InterlinguaWarning):
    """A collection file was damaged or lost and is rebuilt from the catalog (or read as it is)."""


class DataWarning(InterlinguaWarning):
    """Something in the input that is not an error but changes what the job does (invalid text replaced)."""


class AdapterLanguageWarning(InterlinguaWarning):
    """An adapter met a language (or a role) it was not fit on and used its documented fallback."""


__all__ = [
    "ClusterError",
    "CollectionError",
    "DatabaseError",
    "DatabaseWarning",
    "CollectionLockedError",
    "AdapterLanguageWarning",
    "DataWarning",
    "DuplicateIdError",
    "EncoderMismatchError",
    "InputError",
    "InterlinguaError",
    "InterlinguaWarning",
    "LanguageCodeError",
    "MissingDependencyError",
    "ModelNotFoundError",
    "PartialWriteError",
    "RequestTooLargeError",
    "BusyError",
    "JobCancelled",
    "NotReadyError",
    "NotFoundError",
    "ProvenanceWarning",
    "RepairWarning",
    "SameLanguageWarning",
    "SpaceMismatchError",
    "SpecError",
    "StorageError",
    "TruncationWarning",
    "UnknownNameError",
    "UnsupportedLanguageWarning",
]
