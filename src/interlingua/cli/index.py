"""``interlingua index create|add|delete|info|check``: manage a collection."""

from __future__ import annotations

from pathlib import Path

import typer

from .._faiss import STORAGE_FACTORIES, named_factories
from ..errors import InputError
from ..store import AddJob, IndexSpec, check_collection, open_collection
from ..store import run as run_store
from ._common import (
    AdapterOpt,
    ExecutorOpt,
    JsonOpt,
    SchedulerOpt,
    ShardDirOpt,
    ShardRowsOpt,
    adapter_values,
    print_json,
    sharded,
)
from ._jobs import JobFlags, job_command, spec_argument, spec_option

index_app = typer.Typer(
    help="Create and maintain a collection (catalog + dense + BM25 indexes) in a folder or in PostgreSQL.",
    no_args_is_help=True,
)
LockOpt = typer.Option(
    0.0, "--wait", help="Seconds to wait for another writer to finish (default: fail at once)."
)


def dense_factories(dense: str | None, storage: str | None) -> dict[str, str | None]:
    """``--dense auto|flat|hnsw|FACTORY`` and ``--storage fp32|fp16|sq8`` as factory strings."""
    if storage is not None and storage not in STORAGE_FACTORIES:
        raise InputError(
            f"The '--storage' option must be one of {', '.join(STORAGE_FACTORIES)}. Got {storage!r} instead."
        )
    if dense is None and storage is None:
        return {}
    names = named_factories(storage or "fp32")
    flat, hnsw = names["flat"], names["hnsw"]
    factory = "auto" if dense is None else names.get(dense, dense)
    return {
        "dense.factory": factory,
        "dense.small": flat if storage else None,
        "dense.large": hnsw if storage else None,
    }


@index_app.command("create")
@job_command(IndexSpec)
def create(
    path: str = spec_argument(
        IndexSpec, "uri", "Folder for the new collection, or postgresql://...?collection=NAME."
    ),
    model: str = spec_option(IndexSpec, "space.encoder", "--model", "-m"),
    dense: str = typer.Option(
        None,
        "--dense",
        help="auto (exact up to --hnsw-threshold documents, HNSW above, IVF-PQ with exact re-scoring "
        "above --ivf-threshold), flat, hnsw, or a faiss factory string such as 'HNSW32,SQ8'.",
    ),
    storage: str = typer.Option(None, "--storage", help="Vector storage: fp32, fp16 or sq8 (8-bit)."),
    hnsw_threshold: int = spec_option(IndexSpec, "dense.hnsw_threshold", "--hnsw-threshold"),
    ivf_threshold: int = spec_option(IndexSpec, "dense.ivf_threshold", "--ivf-threshold"),
    ef_search: int = spec_option(IndexSpec, "dense.ef_search", "--ef-search"),
    segmenter: str = spec_option(IndexSpec, "lexical.segmenter", "--segmenter"),
    langid: str = spec_option(IndexSpec, "langid", "--langid"),
    adapter: list[str] = AdapterOpt,
    *,
    flags: JobFlags,
) -> None:
    """Make an empty collection that records the space its vectors come from.

    With --adapter the adapters are copied into the collection: documents are transformed by
    their language, queries by their detected (or given) language."""
    done = flags.run(
        IndexSpec,
        lambda job, progress: run_store(job),
        {**dense_factories(dense, storage), **adapter_values(adapter)},
    )
    if done is not None:
        _print_info(done[1], flags.as_json)


@index_app.command("add")
@job_command(AddJob, reading="input")
def add(
    path: str = spec_argument(AddJob, "collection", "The collection folder (or URI)."),
    source: Path = spec_argument(AddJob, "source", "A .txt/.tsv/.jsonl/.parquet file of documents."),
    upsert: bool = spec_option(AddJob, "upsert", "--upsert"),
    skip_existing: bool = spec_option(AddJob, "skip_existing", "--skip-existing"),
    batch_size: int = spec_option(AddJob, "batch_size", "--batch-size"),
    passages: bool = spec_option(AddJob, "passages.enabled", "--passages"),
    budget: int = spec_option(AddJob, "passages.budget", "--budget"),
    overlap: int = spec_option(AddJob, "passages.overlap", "--overlap"),
    wait: float = spec_option(AddJob, "lock_timeout", "--wait"),
    executor: str = ExecutorOpt,
    scheduler: str = SchedulerOpt,
    workers: int = typer.Option(
        None, "--workers", "-w", help="Worker processes of --executor, one thread each (default 2)."
    ),
    shard_rows: int = ShardRowsOpt,
    shard_dir: str = ShardDirOpt,
    *,
    flags: JobFlags,
) -> None:
    """Add (or with --upsert replace) the documents of a file; every other field becomes metadata.
    With --executor (or --scheduler) shards of the file are prepared in parallel and committed in
    order: the collection ends as a one-process add leaves it."""
    done = flags.run(AddJob, sharded(executor, scheduler, shard_rows, shard_dir, workers) or run_store)
    if done is None:
        return
    report = done[1]
    if flags.as_json:
        print_json(report.to_dict())
        return
    what = f"{report.added:,} documents" + (f" ({report.passages:,} passages)" if report.passages else "")
    skipped = f", {report.skipped:,} already there skipped" if report.skipped else ""
    typer.echo(f"added {what}{skipped}; the collection holds {report.documents:,} entries")


@index_app.command("delete")
def delete(
    path: str = typer.Argument(..., help="The collection folder (or URI)."),
    ids: list[str] = typer.Argument(None, help="Document ids to delete."),
    ids_file: Path = typer.Option(None, "--ids-file", help="A file with one id a line."),
    wait: float = LockOpt,
    as_json: bool = JsonOpt,
) -> None:
    """Delete documents by id (ids not in the collection are reported, not an error)."""
    from ..io import read_records

    wanted = list(ids or [])
    if ids_file is not None:
        with read_records(ids_file, format="txt", skip_empty=True) as lines:
            wanted += [r.text.strip() for r in lines]
    if not wanted:
        raise InputError("Give the ids to delete, or --ids-file.")
    with open_collection(path, lock_timeout=wait) as col:
        n = col.delete(wanted)
        total = len(col)
    if as_json:
        print_json({"deleted": n, "not_found": len(wanted) - n, "documents": total})
    else:
        typer.echo(f"deleted {n} of {len(wanted)} ids; the collection holds {total}")


@index_app.command("info")
def info(
    path: str = typer.Argument(..., help="The collection folder (or URI)."), as_json: bool = JsonOpt
) -> None:
    """Documents, languages, metadata fields, index kinds and the manifest."""
    with open_collection(path, readonly=True) as col:
        _print_info(col.info(), as_json)


@index_app.command("check")
def check(
    path: str = typer.Argument(..., help="The collection folder (or URI)."),
    rebuild: bool = typer.Option(False, "--rebuild", help="Rebuild both indexes from the catalog first."),
    force: bool = typer.Option(
        False, "--force", help="With --rebuild: even when an index holds documents the catalog lacks."
    ),
    wait: float = LockOpt,
    as_json: bool = JsonOpt,
) -> None:
    """Check the catalog and that both indexes hold exactly its documents (exit 1 if not)."""
    if rebuild:
        with open_collection(path, lock_timeout=wait) as col:
            col.rebuild(force=force)
    report = check_collection(path, lock_timeout=wait)
    if as_json:
        print_json(report.to_dict())
    elif report.ok:
        typer.echo(f"{report.path}: {report.documents} documents: ok")
    if not report.ok:
        typer.echo(
            f"error: {report.path}: {report.documents} documents, damaged: "
            + "; ".join(report.problems)
            + "; the catalog is the source of truth: restore it from a backup, or rebuild the indexes from it with "
            "`interlingua index check --rebuild`",
            err=True,
        )
        raise typer.Exit(1)


def _print_info(info: dict, as_json: bool) -> None:
    if as_json:
        print_json(info)
        return
    m = info["manifest"]
    langs = ", ".join(f"{k} {v}" for k, v in list(info["languages"].items())[:12]) or "-"
    langid = m.get("langid") or {}
    typer.echo(
        f"collection   {info['path']}\ndocuments    {info['documents']}\nlanguages    {langs}\n"
        f"fields       {', '.join(info['metadata_fields']) or '-'}\nspace        {m['encoder']} (dim {m['dim']})\n"
        f"dense        {info['dense_kind']} ({m['dense'].get('factory', 'auto')}), {info['dense_vectors']} vectors\n"
        f"lexical      {info.get('lexical_engine', 'tantivy BM25')}, {info['lexical_documents']} documents, "
        f"segmenter {m['lexical']['segmenter']}\n"
        f"language ID  {langid.get('backend', '-')} {langid.get('model', '')}".rstrip()
    )


def register(app: typer.Typer) -> None:
    app.add_typer(index_app, name="index")
