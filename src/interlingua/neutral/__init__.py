"""The neutral stage: the :class:`Space` every vector is made in (an encoder plus adapters), the
adapters that make it fair across languages (``center``, ``lir``, ``lsar``, ``linear`` and the
score-level ``balance``: fit with :func:`fit`, stored as folders of ``.npz`` + JSON), and corpus
encoding through a space (cache, worker processes, progress).
"""

from ._adapter import FittedAdapter, load_adapter, read_meta
from ._corpus import Batching, Chunk, CorpusStats, encode_corpus, encode_texts, open_cache
from ._fit import FitJob, FitReport, adapter_refs, run
from ._fit import run as fit
from ._methods import METHODS
from ._provenance import check_provenance, provenance
from ._space import ADAPTERS, Adapter, AdapterRef, Encoding, Space, SpaceSpec, cached_space

__all__ = [
    "ADAPTERS",
    "METHODS",
    "FitJob",
    "FitReport",
    "FittedAdapter",
    "adapter_refs",
    "fit",
    "load_adapter",
    "read_meta",
    "run",
    "Batching",
    "Adapter",
    "AdapterRef",
    "Chunk",
    "CorpusStats",
    "Encoding",
    "Space",
    "SpaceSpec",
    "cached_space",
    "check_provenance",
    "provenance",
    "encode_corpus",
    "encode_texts",
    "open_cache",
]
