"""Dense indexes from one faiss factory string, shared by collections and mining k-NN.

A factory string (``"Flat"``, ``"HNSW32,Flat"``, ``"HNSW32,SQ8"``, ``"SQfp16"``,
``"IVF4096,Flat"``) says exactly what is built; the manifest of a collection and the report of a
mining run record it, and :func:`make_index` rebuilds it. ``IVFauto`` picks the number of cells
from the data (about 4 sqrt(n), at least 39 training points a cell). Every index uses the inner
product metric: vectors are L2-normalized, so it is cosine.
"""

from __future__ import annotations

import math
import re
from functools import lru_cache
from typing import Any

import numpy as np

from .errors import InputError, MissingDependencyError

_IVF_AUTO = re.compile(r"IVFauto")
#: HNSW build breadth for collections and for mining (faiss' default is 40)
EF_CONSTRUCTION = 100


#: vector storage by name (``--storage``; a version-1 manifest's ``storage``) -> faiss factory string
STORAGE_FACTORIES = {"fp32": "Flat", "fp16": "SQfp16", "sq8": "SQ8"}


def named_factories(storage: str, hnsw_m: int = 32) -> dict[str, str]:
    """The factory strings that the index names "auto", "flat" and "hnsw" stand for with ``storage``
    (a key of :data:`STORAGE_FACTORIES`); "hnsw" links ``hnsw_m`` neighbours a node."""
    flat = STORAGE_FACTORIES[storage]
    return {"auto": "auto", "flat": flat, "hnsw": f"HNSW{hnsw_m},{flat}"}


def faiss_module():
    try:
        import faiss
    except ImportError as exc:  # pragma: no cover - a core dependency
        raise MissingDependencyError("faiss indexes", None) from exc
    return faiss


def ivf_lists(n: int) -> int:
    """Number of k-means cells for ``n`` vectors: ~4 sqrt(n), at least 39 training points each."""
    return int(max(1, min(4 * np.sqrt(n), n // 39)))


#: auto's index for the largest collections (``DenseOptions.huge`` "auto"): the search
#: benchmark's best at 1M (benchmarks/search.py). IVF cells found by an HNSW graph over the
#: centroids, 4-bit fast-scan PQ of each vector's residual (two dimensions a code), and exact
#: re-scoring of IVF_K_FACTOR * k candidates from a float copy; searched IVF_NPROBE cells wide.
_AUTO_IVF = re.compile(r"^IVF(\d+)_HNSW32,PQ\d+x4fsr,RFlat$")
IVF_NPROBE = 128
IVF_K_FACTOR = 40


def ivf_cells(n: int, current: int | None = None) -> int:
    """Cells of auto's IVF index for ``n`` vectors: the power of two at or above 16 sqrt(n)
    (16,384 from 262k to 1.05M vectors; at the same nprobe more cells scan fewer vectors for the
    same recall), at most n / 20 (each cell trains on 20). ``current`` cells are kept until
    16 sqrt(n) passes 1.41x them (the collection has about quadrupled since they were trained:
    one training at 800k lasts to 2.1M) or they exceed n / 20 or 4 x 16 sqrt(n). Rounding up
    matters: a collection grown to 1M keeps what it trained at the switch, and 8,192 cells at 1M
    gave only 2.2x HNSW on faiss's AVX2 kernels against 3.4x for 16,384 (benchmarks/search.py)."""
    target = max(1.0, min(16 * np.sqrt(n), n / 20))
    cap = max(1, n // 20)
    if current and target / np.sqrt(2) <= current <= 4 * target and current <= cap:
        return current
    cells = 2 ** int(np.ceil(np.log2(target) - 1e-9))
    while cells > 1 and cells > cap:
        cells //= 2
    return cells


def auto_ivf_factory(dim: int, n: int, current: str | None = None) -> str:
    """The factory string of auto's IVF index for ``n`` vectors of ``dim`` dimensions (an odd
    dimension gets one dimension a code); ``current``, the index built before, keeps its cells
    as :func:`ivf_cells` says."""
    m = _AUTO_IVF.match(current or "")
    cells = ivf_cells(n, int(m.group(1)) if m else None)
    return f"IVF{cells}_HNSW32,PQ{dim // 2 if dim % 2 == 0 else dim}x4fsr,RFlat"


def is_auto_ivf(factory: str) -> bool:
    """Whether ``factory`` has the form :func:`auto_ivf_factory` makes."""
    return bool(_AUTO_IVF.match(factory))


def training_size(index: Any, n: int) -> int:
    """Vectors to train ``index`` on out of ``n``: 100k, or 20 a cell for an IVF of more than 5,000
    cells (k-means on 6 a cell routes queries worse; 20 a cell took 163 s for 16,384 cells on 2
    threads, and the IVF16384 index in benchmarks/search.py was measured trained so)."""
    ivf = _ivf_of(index)
    return min(n, max(100_000, 20 * ivf.nlist if ivf is not None else 0))


def concrete(factory: str, n: int | None) -> str:
    """``factory`` with ``IVFauto`` replaced by a cell count for ``n`` vectors."""
    if _IVF_AUTO.search(factory):
        if not n:
            raise InputError(f"The factory string {factory!r} needs the number of vectors to size its cells.")
        return _IVF_AUTO.sub(f"IVF{ivf_lists(n)}", factory)
    return factory


@lru_cache(maxsize=256)
def is_factory(factory: str, dim: int | None = None) -> bool:
    """Whether faiss can build ``factory`` for ``dim`` dimensions, or for some dimension when None
    (a small one, divisible by every PQ code count it names). Nothing is trained."""
    if not isinstance(factory, str) or not factory or "IDMap" in factory:
        return False
    if dim is None:
        dim = math.lcm(8, *(int(m) for m in re.findall(r"PQ(\d+)", factory)))
        if dim > 65_536:
            return False
    faiss = faiss_module()
    try:
        faiss.index_factory(int(dim), _IVF_AUTO.sub("IVF4", factory), faiss.METRIC_INNER_PRODUCT)
    except Exception:  # faiss raises RuntimeError with a C++ message for a bad string
        return False
    return True


def check_factory(factory: str, what: str = "dense index") -> str:
    if not is_factory(factory):
        raise InputError(
            f"{factory!r} is not a faiss factory string faiss can build for the {what}; examples: 'Flat', "
            "'HNSW32,Flat', 'HNSW32,SQ8', 'SQfp16', 'IVF4096,Flat' (see faiss' index_factory)."
        )
    return factory


def make_index(
    factory: str, dim: int, *, n: int | None = None, ef_construction: int = EF_CONSTRUCTION
) -> Any:
    """A new, empty faiss index (inner product) for ``factory``; HNSW gets ``ef_construction``,
    and an index of auto's IVF form probes IVF_NPROBE cells and re-scores IVF_K_FACTOR * k
    candidates unless a search says otherwise, so a manifest that leaves ``nprobe`` and
    ``k_factor`` null, and bare faiss on the saved file, search it as it was built to."""
    faiss = faiss_module()
    index = faiss.index_factory(int(dim), concrete(factory, n), faiss.METRIC_INNER_PRODUCT)
    hnsw = _hnsw_of(_unrefined(index))
    if hnsw is not None:
        hnsw.efConstruction = ef_construction
    ivf = _ivf_of(index)
    if ivf is not None:
        ivf.cp.niter = 10  # k-means iterations: cells only route queries, 10 is plenty
        ivf.cp.min_points_per_centroid = 20  # what training_size gives (faiss warns below 39)
        coarse = _hnsw_of(ivf.quantizer)
        if coarse is not None:
            coarse.efConstruction = ef_construction
    if _AUTO_IVF.match(factory):  # auto's IVF form carries its search defaults (saved in the file)
        ivf.nprobe = min(ivf.nlist, IVF_NPROBE)
        faiss.downcast_index(index).k_factor = float(IVF_K_FACTOR)
    return index


def removable(factory: str) -> bool:
    """Whether vectors can be removed in place (HNSW graphs cannot, nor a refine stage's two
    copies: removals are tombstones)."""
    return "HNSW" not in factory and not is_refined(factory)


def is_refined(factory: str) -> bool:
    """Whether ``factory`` ends in a refine stage (``...,RFlat``): its base index finds
    ``k_factor * k`` candidates, re-scored exactly from a float copy of the vectors."""
    return factory.replace(" ", "").endswith(",RFlat")


def is_ivf(factory: str) -> bool:
    """Whether ``factory``'s search knob is IVF's nprobe (else HNSW's efSearch, or none)."""
    return factory.lstrip().startswith("IVF") or ",IVF" in factory


def index_params(
    index: Any,
    *,
    k: int,
    ef_search: int | None = None,
    nprobe: int | None = None,
    k_factor: int | None = 1,
    sel: Any = None,
):
    """faiss SearchParameters for one search of any index :func:`make_index` builds, in an ID map
    or not: HNSW breadth (at least ``k * k_factor``), IVF cells, the refine stage's ``k_factor``
    (None: the refine stage's own), and an ID selector in the ID map's keys. A refine stage
    passes only its base's parameters down, so under one the selector is translated to the
    base's positions here (the ID map translates only the selector at the top)."""
    faiss = faiss_module()
    index = faiss.downcast_index(index)
    id_map = getattr(index, "id_map", None)
    inner = faiss.downcast_index(index.index) if id_map is not None else index
    refine = isinstance(inner, faiss.IndexRefine)
    base = faiss.downcast_index(inner.base_index) if refine else inner
    keep = []
    if refine and k_factor is None:
        k_factor = int(inner.k_factor)
    wanted = k * max(1, k_factor) if refine else k
    if _hnsw_of(base) is not None and ef_search is not None:
        params = faiss.SearchParametersHNSW(efSearch=max(ef_search, wanted))
    elif _ivf_of(base) is not None:
        params = ivf_params(_ivf_of(base), nprobe)
    elif sel is None and not refine:
        return None
    else:
        params = faiss.SearchParameters()
    if sel is not None:
        if refine and id_map is not None:
            sel = faiss.IDSelectorTranslated(index.id_map, sel)
            keep.append(sel)
        params.sel = sel
    if refine:
        keep.append(params)
        params = faiss.IndexRefineSearchParameters(k_factor=float(max(1, k_factor)), base_index_params=params)
    # the C++ side holds raw pointers: keep the Python objects alive
    params.referenced_objects = keep + list(getattr(params, "referenced_objects", None) or [])
    return params


def ivf_params(ivf: Any, nprobe: int | None):
    """IVF search parameters for ``nprobe`` cells. An HNSW coarse quantizer (``IVF16384_HNSW32``)
    searches at least ``nprobe`` wide: faiss otherwise keeps the quantizer's own efSearch, and a
    quantizer that returns the wrong cells caps recall whatever ``nprobe`` is (at 1M,
    IVF16384_HNSW32,RaBitQfs2,RFlat stayed at 0.84 from nprobe 96 to 256 with efSearch 16)."""
    faiss = faiss_module()
    probe = min(ivf.nlist, nprobe or ivf.nprobe)
    params = faiss.SearchParametersIVF(nprobe=probe)
    hnsw = _hnsw_of(ivf.quantizer)
    if hnsw is not None:
        inner = faiss.SearchParametersHNSW(efSearch=max(probe, hnsw.efSearch))
        params.quantizer_params = inner
        params.referenced_objects = [inner]  # the C++ side holds a raw pointer
    return params


def _unrefined(index: Any) -> Any:
    faiss = faiss_module()
    index = faiss.downcast_index(index)
    return faiss.downcast_index(index.base_index) if isinstance(index, faiss.IndexRefine) else index


def search_params(
    index: Any, *, k: int, ef_search: int | None = None, nprobe: int | None = None, sel: Any = None
):
    """faiss SearchParameters for one search: HNSW breadth (at least ``k``), IVF cells, ID selector."""
    faiss = faiss_module()
    base = faiss.downcast_index(index.index) if hasattr(index, "id_map") else index
    if _hnsw_of(base) is not None and ef_search is not None:
        params = faiss.SearchParametersHNSW(efSearch=max(ef_search, k))
    elif _ivf_of(base) is not None:
        params = ivf_params(_ivf_of(base), nprobe)
    elif sel is None:
        return None
    else:
        params = faiss.SearchParameters()
    if sel is not None:
        params.sel = sel
    return params


def _hnsw_of(index: Any) -> Any:
    faiss = faiss_module()
    index = faiss.downcast_index(index)
    return getattr(index, "hnsw", None)


def _ivf_of(index: Any) -> Any:
    faiss = faiss_module()
    try:
        return faiss.extract_index_ivf(index)
    except RuntimeError:
        return None


__all__ = [
    "EF_CONSTRUCTION",
    "IVF_K_FACTOR",
    "IVF_NPROBE",
    "STORAGE_FACTORIES",
    "auto_ivf_factory",
    "check_factory",
    "concrete",
    "faiss_module",
    "index_params",
    "is_auto_ivf",
    "is_factory",
    "is_ivf",
    "is_refined",
    "ivf_cells",
    "ivf_lists",
    "ivf_params",
    "make_index",
    "named_factories",
    "removable",
    "search_params",
    "training_size",
]
