"""The store stage: a ``Collection`` of documents in any mix of languages, on disk (the embedded
backend: a SQLite catalog, a faiss dense index and a tantivy BM25 index in one folder).

Imports only lower stages (encoders, text, io); search builds on it.
"""

from ._backend import DenseBackend, LexicalBackend
from ._catalog import Condition, Document, DuplicateIdError
from ._check import CheckReport, check_collection
from ._collection import DENSE_INDEXES, Collection, EncoderMismatchError
from ._dense_faiss import FaissDense
from ._lexical_tantivy import TantivyLexical
from ._lock import CollectionLockedError
from ._manifest import FORMAT_VERSION, Manifest

__all__ = [
    "DENSE_INDEXES",
    "FORMAT_VERSION",
    "CheckReport",
    "Collection",
    "CollectionLockedError",
    "Condition",
    "DenseBackend",
    "Document",
    "DuplicateIdError",
    "EncoderMismatchError",
    "FaissDense",
    "LexicalBackend",
    "Manifest",
    "TantivyLexical",
    "check_collection",
]
