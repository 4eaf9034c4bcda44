"""The store stage: collections of documents in any mix of languages, behind one backend protocol
(the embedded backend: a SQLite catalog, a faiss dense index and a tantivy BM25 index in one
folder; the postgres backend: PostgreSQL + pgvector), opened by URI.

``create_collection(IndexSpec(uri=...))`` and ``open_collection(uri)``; ``run(AddJob(...))`` adds
a file of documents. Imports only lower stages (encoders, neutral, text, io); search builds on it.
"""

from typing import Any

from .._executors import Executor
from ..errors import CollectionLockedError, DuplicateIdError, EncoderMismatchError, SpaceMismatchError
from ..progress import ProgressFn
from ._add import AddReport, add_documents
from ._add import run as run_add
from ._backend import DenseBackend, LexicalBackend
from ._backends import (
    STORE_BACKENDS,
    CollectionBackend,
    backend_for,
    check_collection,
    create_collection,
    is_collection,
    open_collection,
    remove_collection,
)
from ._catalog import Condition, Document
from ._check import CheckReport
from ._collection import Collection
from ._dense_faiss import FaissDense
from ._lexical_tantivy import TantivyLexical
from ._manifest import FORMAT_VERSION, Manifest
from ._passages import Passage, add_long_documents, split_passages
from ._pgserver import ServerStatus, server_status, start_server, stop_server
from ._postgres import PostgresCollection
from ._prepare import (
    PreparedBatch,
    batches,
    empty_batch,
    load_prepared,
    prepare_batch,
    prepared_paths,
    save_prepared,
)
from ._spec import AddJob, DenseOptions, IndexSpec, LexicalOptions, PassageOptions

DENSE_INDEXES = ("auto", "flat", "hnsw")


def run(
    job: IndexSpec | AddJob, *, progress: ProgressFn | None = None, executor: str | Executor | None = None
) -> Any:
    """The stage's one entry: an :class:`IndexSpec` creates a collection (its info is returned), an
    :class:`AddJob` adds a file of documents (an :class:`AddReport`)."""
    if isinstance(job, AddJob):
        return run_add(job, progress=progress, executor=executor)
    if isinstance(job, IndexSpec):
        with create_collection(job) as col:
            return col.info()
    raise TypeError(f"run() takes an IndexSpec or an AddJob. Got {type(job).__name__}.")


__all__ = [
    "DENSE_INDEXES",
    "FORMAT_VERSION",
    "STORE_BACKENDS",
    "AddJob",
    "AddReport",
    "CheckReport",
    "Collection",
    "CollectionBackend",
    "CollectionLockedError",
    "Condition",
    "DenseBackend",
    "DenseOptions",
    "Document",
    "DuplicateIdError",
    "EncoderMismatchError",
    "FaissDense",
    "IndexSpec",
    "LexicalBackend",
    "LexicalOptions",
    "Manifest",
    "Passage",
    "PassageOptions",
    "PostgresCollection",
    "PreparedBatch",
    "ServerStatus",
    "SpaceMismatchError",
    "TantivyLexical",
    "add_documents",
    "add_long_documents",
    "backend_for",
    "batches",
    "check_collection",
    "create_collection",
    "empty_batch",
    "is_collection",
    "load_prepared",
    "open_collection",
    "prepare_batch",
    "prepared_paths",
    "remove_collection",
    "run",
    "save_prepared",
    "server_status",
    "split_passages",
    "start_server",
    "stop_server",
]
