"""Making a collection's folder, and opening its indexes: containment-checked file names from the catalog's state, the
dense index loaded (or rebuilt from the catalog when missing or damaged), and both indexes caught
up with the change log, so a writer killed at any moment loses no acknowledged batch."""

from __future__ import annotations

import re
import warnings
from pathlib import Path
from typing import Any

import numpy as np

from .._atomic import storage_errors
from .._faiss import is_factory, training_size
from ..errors import CollectionError, InputError, RepairWarning
from ..progress import note
from ._catalog import CATALOG
from ._dense_faiss import FaissDense, tombstone_path
from ._lexical_tantivy import TantivyLexical, remove_index
from ._manifest import MANIFEST, Manifest, dense_factory_for, dense_setting
from ._paths import DENSE_FILE, LEXICAL_DIR, inside


def new_folder(spec: Any, sp: Any) -> tuple[Path, Manifest]:
    """The folder of a new collection (made, and checked to hold none yet) and its manifest."""
    folder = Path(spec.uri)
    if (folder / MANIFEST).exists() or (folder / MANIFEST).is_symlink():
        raise InputError(f"{folder} already holds a collection; open it instead, or choose another folder.")
    if (folder / CATALOG).exists():
        raise InputError(
            f"{folder} holds a catalog without a manifest (an earlier create that did not finish?); "
            "refusing to overwrite it: look at it, remove the folder, then create the collection again."
        )
    if folder.exists() and not folder.is_dir():
        raise InputError(f"{folder} exists and is not a folder.")
    if folder.exists() and (folder / ADAPTERS_DIR).exists():
        raise InputError(
            f"{folder} holds an {ADAPTERS_DIR} folder that is not a collection's; choose another folder."
        )
    with storage_errors(folder):
        folder.mkdir(parents=True, exist_ok=True)
        space = _stored_space(folder, sp)

    manifest = Manifest.new(spec, sp, space=space, lexical={"engine": "tantivy", "scoring": "bm25"})
    return folder, manifest


#: where a collection keeps copies of its space's adapters (``adapters/0-center``, ...)
ADAPTERS_DIR = "adapters"
_ADAPTER_PATH = re.compile(rf"^{ADAPTERS_DIR}/[0-9]+-[a-z]+$")


def _stored_space(folder: Path, sp: Any) -> dict[str, Any]:
    """The space spec the manifest records, its adapters copied into the collection (paths
    relative to it), so the collection keeps working when the original folders move or change."""
    import shutil

    spec = sp.spec.to_dict() if sp.spec is not None else {}
    if not sp.adapters:
        return spec
    if sp.spec is None:
        raise InputError(
            "A collection's space must be rebuildable from a spec to hold adapters; give the adapters "
            "as a SpaceSpec (adapter folders), not as objects made in code."
        )
    refs = []
    for i, (ref, adapter) in enumerate(zip(sp.spec.adapters, sp.adapters)):
        rel = f"{ADAPTERS_DIR}/{i}-{ref.method}"
        shutil.copytree(Path(adapter.path), folder / rel)
        refs.append({"method": ref.method, "path": rel})
    spec["adapters"] = refs
    return spec


def resolve_space(folder: Path, space: dict[str, Any]) -> dict[str, Any]:
    """The manifest's space spec with its adapters' paths made absolute inside ``folder``
    (a path that leaves the collection is refused: a collection handed over is safe to open)."""
    adapters = space.get("adapters") if isinstance(space, dict) else None
    if not adapters:
        return space
    out = []
    for ref in adapters:
        path = ref.get("path", "") if isinstance(ref, dict) else ""
        if (
            not isinstance(path, str)
            or not _ADAPTER_PATH.match(path)
            or (folder / ADAPTERS_DIR).is_symlink()
            or (folder / path).is_symlink()
        ):
            raise CollectionError(
                f"{folder}: the manifest names an adapter at {path!r}, outside the collection; "
                "refusing to load it (the manifest was changed by hand or is not this collection's)."
            )
        out.append({**ref, "path": str(folder / path)})
    return {**space, "adapters": out}


def discard_new(folder: Path, existed: bool) -> None:
    """Remove what a failed create made: the folder when it made it, else only its own files."""
    import shutil

    if not existed:
        shutil.rmtree(folder, ignore_errors=True)
        return
    for p in folder.iterdir():
        if p.name in (CATALOG, f"{CATALOG}-wal", f"{CATALOG}-shm", "write.lock", MANIFEST, ADAPTERS_DIR) or (
            DENSE_FILE.match(p.name) or LEXICAL_DIR.match(p.name)
        ):
            if p.is_dir() and not p.is_symlink():
                shutil.rmtree(p, ignore_errors=True)
            else:
                p.unlink(missing_ok=True)


def remove_folder(folder: Path, lock_timeout: float = 0.0) -> None:
    """Delete the collection in ``folder`` for good: only a collection's folder (it has a
    manifest; a link is refused), and only once no other writer holds it (its writer lock is
    taken first, waiting up to ``lock_timeout`` seconds, else :class:`CollectionLockedError`)."""
    import shutil

    from ._lock import WriterLock

    if folder.is_symlink() or not folder.is_dir() or not (folder / MANIFEST).is_file():
        raise InputError(f"No collection at {folder} to delete (no folder with a {MANIFEST}).")
    lock = WriterLock(folder, timeout=lock_timeout)
    try:
        with storage_errors(folder):
            shutil.rmtree(folder)
    finally:
        lock.release()


def open_indexes(col: Any) -> None:
    """Load (or rebuild) both indexes and catch them up with the catalog's change log."""
    state = col.catalog.state()
    last = col.catalog.last_seq()
    cfg = col.manifest.dense
    source = f"{col.path / CATALOG} (state)"
    col._dense_file = state.get("dense_file")
    col._dense_seq = _int_state(state, "dense_seq", source)
    col.dense = None
    if col._dense_file:
        dense_path = inside(col.path, col._dense_file, pattern=DENSE_FILE, source=source, field="dense_file")
        kind = state.get("dense_kind", "Flat")
        kind = {"flat": dense_setting(cfg, "small"), "hnsw": dense_setting(cfg, "large")}.get(kind, kind)
        if not isinstance(kind, str) or not is_factory(kind, col.manifest.dim):
            raise CollectionError(
                f"{source}: the field 'dense_kind' holds {kind!r}, not a faiss factory string; "
                "the collection is damaged or crafted"
            )
        try:
            col.dense = FaissDense.load(dense_path, col.manifest.dim, factory=kind, **search_settings(cfg))
        except (InputError, OSError) as exc:  # missing, truncated, or replaced by a writer's save
            warnings.warn(
                f"{exc}; the dense index is rebuilt from the catalog (run `interlingua index check` "
                "once to save it).",
                RepairWarning,
                stacklevel=3,
            )
    if col.dense is None or col._dense_seq > last:  # an auto IVF index keeps the cells it had
        current = state.get("dense_kind") if isinstance(state.get("dense_kind"), str) else None
        col.dense, col._dense_seq = (
            build_dense(col, dense_factory_for(cfg, col.catalog.count(), col.manifest.dim, current)),
            last,
        )
        col._dense_file = None
    else:
        replay_dense(col, col._dense_seq)
    col._lexical_dir = state.get("lexical_dir", "lexical-0")
    lex_path = inside(col.path, col._lexical_dir, pattern=LEXICAL_DIR, source=source, field="lexical_dir")
    lex_seq = _int_state(state, "lexical_seq", source)
    fresh = not (lex_path / "meta.json").exists()
    if col.readonly and fresh and col.catalog.count():
        raise CollectionError(
            f"The collection {col.path} has lost its lexical index; open it for writing once "
            "(e.g. `interlingua index check`) to rebuild it from the catalog."
        )
    try:
        col.lexical = TantivyLexical(lex_path, writable=not col.readonly)
    except InputError as exc:
        if col.readonly:
            raise CollectionError(
                f"{exc}; run `interlingua index check` once to rebuild it from the catalog"
            ) from None
        # a writer rebuilds it from the catalog, in a new folder (the damaged one is left as it is)
        warnings.warn(f"{exc}; the lexical index is rebuilt from the catalog", RepairWarning, stacklevel=3)
        col._lexical_dir = _next_lexical_dir(col._lexical_dir)
        lex_path = inside(col.path, col._lexical_dir, pattern=LEXICAL_DIR, source=source, field="lexical_dir")
        remove_index(lex_path)
        col.lexical = TantivyLexical(lex_path, writable=True)
        fresh, lex_seq = True, 0
    if not col.readonly and fresh and col.catalog.count():  # lost or never built: index everything
        lexical_apply(col, col.catalog.select_keys(), np.zeros(0, np.int64))
        col.catalog.set_state({"lexical_seq": last, "lexical_dir": col._lexical_dir})
        lex_seq = last
    if not col.readonly and lex_seq < last:
        live, gone = col.catalog.changed_since(lex_seq)
        lexical_apply(col, live, gone)
        col.catalog.set_state({"lexical_seq": last, "lexical_dir": col._lexical_dir})
    col.lexical_lag = last - lex_seq if col.readonly and lex_seq < last else 0
    col._pending = 0


def build_dense(col: Any, factory: str) -> FaissDense:
    """A dense index of ``factory`` holding every vector of the catalog."""
    cfg = col.manifest.dense
    dense = FaissDense(
        col.manifest.dim,
        factory=factory,
        ef_construction=dense_setting(cfg, "ef_construction"),
        n=col.catalog.count(),
        **search_settings(cfg),
    )
    if dense.needs_training and col.catalog.count():  # train the quantizer on a sample of all vectors
        keys = col.catalog.select_keys()
        size = training_size(dense.index, len(keys))
        sample = np.random.default_rng(0).choice(keys, size=size, replace=False)
        dense.train(col.catalog.vectors(sample))
    for keys, _, vecs in col.catalog.iter_rows():
        dense.add(keys, vecs)
    return dense


def search_settings(cfg: dict[str, Any]) -> dict[str, Any]:
    """The dense index's search-time settings from a manifest's ``dense`` table (a manifest made
    before ``k_factor`` and ``nprobe`` existed gets what it was searched with then)."""
    return {name: dense_setting(cfg, name) for name in ("ef_search", "nprobe", "k_factor")}


def replay_dense(col: Any, since: int) -> None:
    live, gone = col.catalog.changed_since(since)
    col.dense.remove(np.concatenate([live, gone]))
    for keys, _, vecs in col.catalog.iter_rows(keys=live):
        col.dense.add(keys, vecs)
    col._dense_seq = col.catalog.last_seq()


def lexical_apply(col: Any, live: np.ndarray, gone: np.ndarray) -> None:
    col.lexical.remove(gone)
    for keys, texts, _ in col.catalog.iter_rows(keys=live):
        col.lexical.add(keys, [col.segment(t) for t in texts])
    col.lexical.commit()


def save_dense(col: Any) -> None:
    """Save the dense index as ``dense-<last change>.faiss`` (switching to the manifest's
    ``large`` or ``huge`` factory when "auto" has grown past a threshold, or auto's IVF cells
    when it has grown 4x since they were trained), record it in the catalog's state
    with the lexical index's position, trim the change log up to it and drop the previous file.
    Nothing to do when the saved file already holds the last change."""
    last = col.catalog.last_seq()
    factory = dense_factory_for(col.manifest.dense, col.catalog.count(), col.manifest.dim, col.dense.kind)
    if factory != col.dense.kind:
        note(
            col.progress,
            f"{col.catalog.count():,} documents: the dense index is rebuilt as {factory} (was {col.dense.kind})",
            "index",
        )
        col.dense = build_dense(col, factory)
    elif col._dense_file == f"dense-{last}.faiss":
        col._pending = 0
        return
    col.lexical.commit()
    name = f"dense-{last}.faiss"
    col.dense.save(col.path / name)
    previous = col._dense_file
    col.catalog.set_state(
        {
            "dense_file": name,
            "dense_seq": last,
            "dense_kind": col.dense.kind,
            "lexical_seq": last,
            "lexical_dir": col._lexical_dir,
        },
        trim_upto=last,
    )
    col._dense_file, col._dense_seq, col._pending = name, last, 0
    if previous and previous != name:
        for p in (col.path / previous, tombstone_path(col.path / previous)):
            p.unlink(missing_ok=True)


def rebuild_indexes(col: Any, *, force: bool = False) -> None:
    """Rebuild both indexes from the catalog (compacts HNSW tombstones, re-segments text).

    Refused when the catalog fails its integrity check (it is the source of the rebuild), and an
    index that holds documents the catalog lacks is not thrown away without ``force``: the
    catalog may be the damaged part (restored from an old backup, say)."""
    damage = col.catalog.integrity()
    if damage:
        raise CollectionError(
            f"{col.path}: refusing to rebuild the indexes from a damaged catalog ({'; '.join(damage)}); restore "
            "catalog.sqlite from a backup first"
        )
    if not force:
        catalog = np.sort(col.catalog.select_keys())
        for name, held in (("dense", col.dense.keys()), ("lexical", col.lexical.keys())):
            extra = np.setdiff1d(held, catalog)
            if len(extra):
                raise CollectionError(
                    f"The {name} index of {col.path} holds {len(extra):,} document(s) the catalog lacks; rebuilding "
                    "from the catalog would drop them. Check that catalog.sqlite is the one you want, then pass "
                    "--force (force=True) to rebuild anyway."
                )
    n, dim = col.catalog.count(), col.manifest.dim
    col.dense = build_dense(col, dense_factory_for(col.manifest.dense, n, dim, col.dense.kind))
    old_dir = col._lexical_dir
    new_dir = _next_lexical_dir(old_dir)
    new_path = inside(col.path, new_dir, pattern=LEXICAL_DIR, source=str(col.path), field="lexical_dir")
    remove_index(new_path)
    col.lexical.close()
    col.lexical = TantivyLexical(new_path, writable=True)
    col._lexical_dir = new_dir
    lexical_apply(col, col.catalog.select_keys(), np.zeros(0, np.int64))
    col._dense_file = None
    col.flush()
    remove_index(inside(col.path, old_dir, pattern=LEXICAL_DIR, source=str(col.path), field="lexical_dir"))


def _next_lexical_dir(name: str) -> str:
    """The folder after ``lexical-<n>``: ``lexical-<n+1>``."""
    return f"lexical-{int(name.rsplit('-', 1)[-1]) + 1}"


def _int_state(state: dict[str, Any], name: str, source: str) -> int:
    value = state.get(name, 0)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise CollectionError(
            f"{source}: the field {name!r} holds {value!r}, not a change number; the collection "
            "is damaged or crafted"
        )
    return value


__all__ = [
    "discard_new",
    "build_dense",
    "lexical_apply",
    "new_folder",
    "open_indexes",
    "rebuild_indexes",
    "remove_folder",
    "replay_dense",
    "search_settings",
]
