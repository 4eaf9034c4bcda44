"""Collection specs: ``IndexSpec`` (what ``index create`` makes) and ``AddJob`` (``index add``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .._faiss import EF_CONSTRUCTION, IVF_K_FACTOR, IVF_NPROBE, is_factory
from .._spec import REQUIRED, Spec, group, param
from .._validation import Interval, Named, NoneOr, Satisfies, Text
from ..io import InputOptions
from ..neutral import SpaceSpec
from ..text import DEFAULT_LANGID, LANGID_BACKENDS, SEGMENTERS

_FACTORY = "a faiss factory string such as 'HNSW32,SQ8'"
#: documents above which "auto" switches from HNSW to IVF (benchmarks/search.py, faiss's AVX2
#: kernels): at 800k HNSW32 at efSearch 512 has recall@10 0.964 and the IVF at nprobe 128 0.949
#: at 3.4x its queries/s one per call; at 500k HNSW had 0.985 and the IVF only 2.6x
IVF_THRESHOLD = 800_000


@dataclass(frozen=True, kw_only=True)
class DenseOptions(Spec):
    factory: str = param(
        "auto",
        Satisfies(is_factory, _FACTORY, extra=("auto",)),
        help="faiss factory string of the dense index, or auto: `small` up to hnsw_threshold documents, "
        "`large` above, `huge` above ivf_threshold",
    )
    small: str = param(
        "Flat", Satisfies(is_factory, _FACTORY), help="auto's index for small collections (exact)"
    )
    large: str = param(
        "HNSW32,Flat", Satisfies(is_factory, _FACTORY), help="auto's index above hnsw_threshold"
    )
    hnsw_threshold: int = param(
        50_000, Interval(int, 0, None), help="documents above which auto uses `large`"
    )
    huge: str = param(
        "auto",
        Satisfies(is_factory, _FACTORY, extra=("auto",)),
        help="auto's index above ivf_threshold; auto: IVF<cells>_HNSW32,PQ<dim/2>x4fsr,RFlat, its cells "
        "sized to the collection (16 sqrt(n) rounded up to a power of two) and retrained when it has "
        "about quadrupled",
    )
    ivf_threshold: int = param(
        IVF_THRESHOLD,
        Interval(int, 0, None),
        help="documents above which auto uses `huge` (to stay on HNSW at any size, give huge the factory of large)",
    )
    ef_search: int = param(
        512, Interval(int, 1, None), help="HNSW search breadth (512: recall@10 0.95 at 1M vectors)"
    )
    ef_construction: int = param(EF_CONSTRUCTION, Interval(int, 1, None), help="HNSW build breadth")
    k_factor: int | None = param(
        None,
        NoneOr(Interval(int, 1, None)),
        help="a refine stage (factory ending ',RFlat') re-scores k_factor * k candidates "
        f"(default: the index's own: {IVF_K_FACTOR} for auto's `huge`, else 1)",
    )
    nprobe: int | None = param(
        None,
        NoneOr(Interval(int, 1, None)),
        help=f"IVF cells searched per query (default: the index's own: {IVF_NPROBE} for auto's `huge`)",
    )


@dataclass(frozen=True, kw_only=True)
class LexicalOptions(Spec):
    segmenter: str = param(
        "bigram", Named(SEGMENTERS), help="word segmentation for CJK and Thai: bigram or icu"
    )


@dataclass(frozen=True, kw_only=True)
class IndexSpec(Spec):
    """A new collection: where, which space makes its vectors, how they are indexed."""

    caller = "index create"
    uri: str = param(REQUIRED, Text(nonempty=True), help="collection folder (or a backend URI)")
    space: SpaceSpec = group(SpaceSpec, help="the model (and adapters) that make the collection's vectors")
    dense: DenseOptions = group(DenseOptions)
    lexical: LexicalOptions = group(LexicalOptions)
    langid: str = param(
        DEFAULT_LANGID, Named(LANGID_BACKENDS), help="language ID for documents without a language"
    )


@dataclass(frozen=True, kw_only=True)
class PassageOptions(Spec):
    enabled: bool = param(False, help="long documents: store sentence-packed passages plus a document vector")
    budget: int = param(200, Interval(int, 8, None), help="tokens per passage")
    overlap: int = param(1, Interval(int, 0, None), help="sentences shared by consecutive passages")


@dataclass(frozen=True, kw_only=True)
class AddJob(Spec):
    """Add the documents of a file to a collection (every field besides id, text, lang is metadata)."""

    caller = "index add"
    collection: str = param(REQUIRED, Text(nonempty=True), help="the collection folder (or URI)")
    source: str = param(REQUIRED, Text(nonempty=True), help="a .txt/.tsv/.jsonl/.parquet file of documents")
    input: InputOptions = group(InputOptions, help="how the file is read")
    id_prefix: str | None = param(
        None,
        NoneOr(Text()),
        help="prefix of ids made from line numbers (default '<file stem>:'; unused with an id field)",
    )
    upsert: bool = param(False, help="replace documents whose id is already there")
    skip_existing: bool = param(
        False, help="leave documents whose id is already there as they are (resume an add)"
    )
    batch_size: int = param(1000, Interval(int, 1, None), help="documents per committed batch")
    passages: PassageOptions = group(PassageOptions)
    lock_timeout: float = param(
        0.0, Interval(float, 0.0, None), transient=True, help="seconds to wait for another writer"
    )

    def check_fields(self, caller: str, prefix: str) -> None:
        if self.upsert and self.skip_existing:
            raise self.fail(
                "skip_existing", "cannot be combined with upsert (replace or keep, not both)", caller, prefix
            )


def creation_spec(
    path: Any, options: dict[str, Any], *, dense_index: str | None = None, given: Any = None
) -> tuple[IndexSpec, Any]:
    """The checked IndexSpec of ``Collection.create(path, **options)``, and the space object given
    in code (None when the spec names it): ``path`` a folder or an IndexSpec, ``options`` its
    fields by name, ``dense_index`` the old name of ``dense.factory`` ("flat" / "hnsw" / "auto"),
    ``given`` an encoder or space (a name goes into ``space.encoder``)."""
    if isinstance(path, IndexSpec):
        spec = path.with_flat(options) if options else path
    else:
        spec = IndexSpec(uri=str(path)).with_flat(options)
    if dense_index is not None:
        factory = {"flat": spec.dense.small, "hnsw": spec.dense.large}.get(dense_index, dense_index)
        spec = spec.with_values({"dense.factory": factory})
    if isinstance(given, str):
        spec, given = spec.with_values({"space.encoder": given}), None
    return spec.validate(), given


__all__ = ["AddJob", "DenseOptions", "IndexSpec", "LexicalOptions", "PassageOptions", "creation_spec"]
