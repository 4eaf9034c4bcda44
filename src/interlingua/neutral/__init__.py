"""The neutral stage: the :class:`Space` every vector is made in (an encoder plus adapters), and
corpus encoding through it (cache, worker processes, progress).

Adapters that make the space language-neutral (``center``, ``lir``, ``lsar``, ``linear``) land
in :data:`ADAPTERS`; until then every space is its encoder.
"""

from ._corpus import Batching, Chunk, CorpusStats, encode_corpus, encode_texts, open_cache
from ._provenance import check_provenance, provenance
from ._space import ADAPTERS, Adapter, AdapterRef, Encoding, Space, SpaceSpec, cached_space

__all__ = [
    "ADAPTERS",
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
