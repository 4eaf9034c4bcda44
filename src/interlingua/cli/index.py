"""``interlingua index create|add|delete|info|check``: manage a collection on disk."""

from __future__ import annotations

from pathlib import Path

import typer

from ..errors import InputError
from ._common import JsonOpt, ModelOpt, QuietOpt, print_json

index_app = typer.Typer(help="Create and maintain a collection (catalog + dense + BM25 indexes) in a folder.",
                        no_args_is_help=True)
LockOpt = typer.Option(0.0, "--wait", help="Seconds to wait for another writer to finish (default: fail at once).")


@index_app.command("create")
def create(
    path: Path = typer.Argument(..., help="Folder for the new collection."),
    model: str = ModelOpt,
    dense: str = typer.Option("auto", "--dense", help="auto (exact up to --hnsw-threshold documents, HNSW above), flat or hnsw."),
    storage: str = typer.Option("fp32", "--storage", help="Vector storage: fp32, fp16 or sq8 (8-bit)."),
    hnsw_threshold: int = typer.Option(50_000, "--hnsw-threshold", help="Documents above which 'auto' uses HNSW."),
    ef_search: int = typer.Option(512, "--ef-search", help="HNSW search breadth (512: recall@10 0.95 at 1M vectors in benchmarks/search.py)."),
    segmenter: str = typer.Option("bigram", "--segmenter", help="Word segmentation for CJK/Thai: bigram (built in) or icu."),
    as_json: bool = JsonOpt,
) -> None:
    """Make an empty collection that records the encoder its vectors come from."""
    from ..store import Collection

    with Collection.create(path, encoder=model, dense_index=dense, storage=storage, hnsw_threshold=hnsw_threshold,
                           ef_search=ef_search, segmenter=segmenter) as col:
        info = col.info()
    _print_info(info, as_json)


@index_app.command("add")
def add(
    path: Path = typer.Argument(..., help="The collection folder."),
    input: Path = typer.Argument(..., help="A .txt/.tsv/.jsonl/.parquet file of documents."),
    text_field: str = typer.Option("text", "--text-field", help="Column holding the text."),
    id_field: str = typer.Option(None, "--id-field", help="Column holding the document id (default: <file stem>:<line number>)."),
    lang_field: str = typer.Option(None, "--lang-field", help="Column holding the language (default: detected)."),
    upsert: bool = typer.Option(False, "--upsert", help="Replace documents whose id is already there."),
    batch_size: int = typer.Option(1000, "--batch-size", help="Documents per committed batch."),
    passages: bool = typer.Option(False, "--passages", help="Long documents: store sentence-packed passages plus a document vector."),
    budget: int = typer.Option(200, "--budget", help="With --passages: tokens per passage."),
    overlap: int = typer.Option(1, "--overlap", help="With --passages: sentences shared by consecutive passages."),
    wait: float = LockOpt,
    quiet: bool = QuietOpt,
    as_json: bool = JsonOpt,
) -> None:
    """Add (or with --upsert replace) the documents of a file; every other field becomes metadata."""
    from ..io import read_records
    from ..store import Collection

    with Collection.open(path, lock_timeout=wait) as col, read_records(
            input, text_field=text_field, id_field=id_field, lang_field=lang_field) as records:
        prefix = f"{input.stem}:" if id_field is None else ""
        docs = ({"id": prefix + str(r.id), "text": r.text, "lang": r.lang, "meta": r.meta} for r in records)
        report = (lambda n, total: None) if quiet or as_json else (lambda n, total: typer.echo(f"committed {total}", err=True))
        if passages:
            from ..search import add_long_documents

            n = add_long_documents(col, docs, budget=budget, overlap=overlap, upsert=upsert)
        else:
            n = col.add(docs, upsert=upsert, batch_size=batch_size, on_batch=report)
        total = len(col)
    if as_json:
        print_json({"added": n, "documents": total})
    else:
        typer.echo(f"added {n} {'passages' if passages else 'documents'}; the collection holds {total} entries")


@index_app.command("delete")
def delete(
    path: Path = typer.Argument(..., help="The collection folder."),
    ids: list[str] = typer.Argument(None, help="Document ids to delete."),
    ids_file: Path = typer.Option(None, "--ids-file", help="A file with one id a line."),
    wait: float = LockOpt,
    as_json: bool = JsonOpt,
) -> None:
    """Delete documents by id (ids not in the collection are reported, not an error)."""
    from ..store import Collection

    wanted = list(ids or [])
    if ids_file is not None:
        wanted += [line.strip() for line in ids_file.read_text(encoding="utf-8").splitlines() if line.strip()]
    if not wanted:
        raise InputError("Give the ids to delete, or --ids-file.")
    with Collection.open(path, lock_timeout=wait) as col:
        n = col.delete(wanted)
        total = len(col)
    if as_json:
        print_json({"deleted": n, "not_found": len(wanted) - n, "documents": total})
    else:
        typer.echo(f"deleted {n} of {len(wanted)} ids; the collection holds {total}")


@index_app.command("info")
def info(path: Path = typer.Argument(..., help="The collection folder."), as_json: bool = JsonOpt) -> None:
    """Documents, languages, metadata fields, index kinds and the manifest."""
    from ..store import Collection

    with Collection.open(path, readonly=True) as col:
        _print_info(col.info(), as_json)


@index_app.command("check")
def check(
    path: Path = typer.Argument(..., help="The collection folder."),
    rebuild: bool = typer.Option(False, "--rebuild", help="Rebuild both indexes from the catalog first."),
    wait: float = LockOpt,
    as_json: bool = JsonOpt,
) -> None:
    """Check the catalog and that both indexes hold exactly its documents (exit 1 if not)."""
    from ..store import Collection, check_collection

    if rebuild:
        with Collection.open(path, lock_timeout=wait) as col:
            col.rebuild()
    report = check_collection(path, lock_timeout=wait)
    if as_json:
        print_json({"path": report.path, "documents": report.documents, "ok": report.ok, "problems": report.problems})
    else:
        typer.echo(f"{report.path}: {report.documents} documents: " + ("ok" if report.ok else "; ".join(report.problems)))
    if not report.ok:
        raise typer.Exit(1)


def _print_info(info: dict, as_json: bool) -> None:
    if as_json:
        print_json(info)
        return
    m = info["manifest"]
    langs = ", ".join(f"{k} {v}" for k, v in list(info["languages"].items())[:12]) or "-"
    typer.echo(f"collection   {info['path']}\ndocuments    {info['documents']}\nlanguages    {langs}\n"
               f"fields       {', '.join(info['metadata_fields']) or '-'}\nencoder      {m['encoder']} (dim {m['dim']})\n"
               f"dense        {info['dense_kind']} {m['dense']['storage']}, {info['dense_vectors']} vectors\n"
               f"lexical      tantivy BM25, {info['lexical_documents']} documents, segmenter {m['lexical']['segmenter']}")


def register(app: typer.Typer) -> None:
    app.add_typer(index_app, name="index")
