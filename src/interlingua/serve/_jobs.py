"""Routes of the jobs capability: mining and alignment as background jobs (``/jobs``).

A job takes texts, never paths: ``POST /jobs/mine`` takes both sides as JSON lists (of texts, or
``{id, text, lang}`` objects) or as two uploaded files; ``POST /jobs/align`` two documents, as
lists of sentences or as one text each. The server writes them into the job's folder, reads them
back with the library's reader (a bad line answers 422 now, naming ``src[3]``, not a failed job
later) and queues a :class:`~interlingua.mine.MineJob` / :class:`~interlingua.mine.AlignJob`
whose options are the request's, checked by the spec's own rules. The model is one the server
serves, and no option may name a file on the server's disk (adapters, calibration files).
"""

from __future__ import annotations

import asyncio
import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, BeforeValidator, Field, ValidationError, create_model
from starlette.datastructures import UploadFile

from .._atomic import storage_errors
from ..errors import InputError, InterlinguaError
from ..io import InputOptions, input_format, read_records
from ..mine import AlignJob, MineJob, MineOptions, output_lines, read_document
from ._meta import state_of
from ._runner import FINAL
from ._schemas import Strict, model_of, to_spec

router = APIRouter(prefix="/jobs", tags=["jobs"])

#: the output each job keeps (JSONL, the lossless form; converted when downloaded)
MINE_OUTPUT = "pairs.jsonl"
ALIGN_OUTPUT = "links.jsonl"
UPLOAD_FIELDS = ("src_file", "tgt_file", "options")
#: seconds between two looks at a job streaming its events
EVENT_POLL = 0.2
MEDIA = {
    "tsv": ("text/tab-separated-values; charset=utf-8", "tsv"),
    "jsonl": ("application/x-ndjson; charset=utf-8", "jsonl"),
    "vecalign": ("text/plain; charset=utf-8", "txt"),
    "pharaoh": ("text/plain; charset=utf-8", "txt"),
}


# -- request models -------------------------------------------------------------------------------
def _as_item(value: Any) -> Any:
    return {"text": value} if isinstance(value, str) else value


def _as_id(value: Any) -> Any:
    return str(value) if isinstance(value, int) and not isinstance(value, bool) else value


def _as_lines(value: Any) -> Any:
    return value.splitlines() if isinstance(value, str) else value


class TextItem(Strict):
    """One text of a side; a bare string is a text without id or language."""

    id: Annotated[str | None, BeforeValidator(_as_id)] = Field(
        None,
        min_length=1,
        description="its id (default: its position, 1-based, as the library numbers lines)",
    )
    text: str = Field(..., min_length=1)
    lang: str | None = Field(None, min_length=1, description="its language (any code people use)")


Side = Annotated[
    list[Annotated[TextItem, BeforeValidator(_as_item, json_schema_input_type=str | TextItem)]],
    Field(min_length=1, description="texts: strings or {id, text, lang} objects"),
]
Document = Annotated[
    list[str],
    BeforeValidator(_as_lines, json_schema_input_type=list[str] | str),
    Field(
        min_length=1,
        description="a document: its sentences, or one text (one sentence a line; raw text with sentences.split)",
    ),
]
MineRequest = create_model("MineRequest", __base__=model_of(MineOptions), src=(Side, ...), tgt=(Side, ...))
MineUploadOptions = create_model(
    "MineUploadOptions",
    __base__=model_of(MineOptions),
    input=(
        model_of(InputOptions),
        Field(default_factory=model_of(InputOptions), description="how the files are read"),
    ),
)
_ALIGN_PATHS = ("src", "tgt", "output", "output_format", "src_emb", "tgt_emb")
AlignRequest = create_model(
    "AlignRequest",
    __base__=model_of(AlignJob, exclude=_ALIGN_PATHS, name="AlignOptions"),
    src=(Document, ...),
    tgt=(Document, ...),
)


def _inline(schema: dict[str, Any]) -> dict[str, Any]:
    """A JSON schema with its ``$defs`` put in place (for a hand-declared OpenAPI request body)."""
    defs = schema.pop("$defs", {})

    def walk(node: Any) -> Any:
        if isinstance(node, dict):
            if "$ref" in node:
                rest = {k: v for k, v in node.items() if k != "$ref"}
                return {**walk(defs[node["$ref"].rsplit("/", 1)[-1]]), **walk(rest)}
            return {k: walk(v) for k, v in node.items()}
        return [walk(v) for v in node] if isinstance(node, list) else node

    return walk(schema)


_MINE_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {"schema": _inline(MineRequest.model_json_schema())},
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["src_file", "tgt_file"],
                    "properties": {
                        "src_file": {"type": "string", "format": "binary", "description": "source texts"},
                        "tgt_file": {"type": "string", "format": "binary", "description": "target texts"},
                        "options": {
                            "type": "string",
                            "description": "a JSON object: the mining options of the JSON body, plus "
                            "`input` (how the files are read: format, text_field, id_field, lang_field, ...)",
                        },
                    },
                }
            },
        },
    }
}


# -- routes ---------------------------------------------------------------------------------------
@router.post(
    "/mine",
    status_code=202,
    summary="Mine translation pairs from two sides (texts, or two uploaded files) as a background job",
    openapi_extra=_MINE_BODY,
)
async def submit_mine(request: Request) -> dict[str, Any]:
    st = state_of(request)
    if request.headers.get("content-type", "").startswith("multipart/form-data"):
        form = await request.form(max_files=2, max_fields=len(UPLOAD_FIELDS))
        try:
            return await run_in_threadpool(_mine_upload, st, form)
        finally:
            await form.close()
    raw = await request.body()
    return await run_in_threadpool(lambda: _mine_texts(st, _parsed(MineRequest, raw)))


@router.post(
    "/align", status_code=202, summary="Align two documents (sentences or words) as a background job"
)
def submit_align(body: AlignRequest, request: Request) -> dict[str, Any]:  # type: ignore[valid-type]
    st = state_of(request)
    b: Any = body
    spec = to_spec(
        b.model_dump(exclude_unset=True, exclude={"src", "tgt"}),
        AlignJob,
        src="src.txt",
        tgt="tgt.txt",
        output=ALIGN_OUTPUT,
        output_format="jsonl",
    )
    _check_space(st, spec)

    def write(folder: Path) -> dict[str, Any]:
        counts = {}
        for side, lines, lang in (("src", b.src, spec.src_lang), ("tgt", b.tgt, spec.tgt_lang)):
            path = folder / f"{side}.txt"
            with storage_errors(path), open(path, "w", encoding="utf-8", newline="\n") as f:
                f.writelines(" ".join(line.splitlines()) + "\n" for line in lines)
            counts[side] = _document_size(path, spec, side, lang, len(lines))
        return counts

    return st.jobs.submit("align", spec, ALIGN_OUTPUT, write)


@router.get("", summary="The jobs of this server, oldest first")
def list_jobs(request: Request) -> dict[str, Any]:
    return {"jobs": state_of(request).jobs.jobs()}


@router.get("/{job_id}", summary="A job: its state, progress, notes, report or error, and result links")
def get_job(job_id: str, request: Request) -> dict[str, Any]:
    return state_of(request).jobs.get(job_id)


@router.get(
    "/{job_id}/events",
    summary="The job's progress as Server-Sent Events: a 'job' event at each change, 'end' when it is over",
    response_class=StreamingResponse,
)
async def job_events(job_id: str, request: Request) -> StreamingResponse:
    """Progress pushed, for clients that would rather not poll: each change of the job's state,
    progress or notes is one ``event: job`` with the job as ``GET /jobs/{id}`` shows it; a
    finished job ends the stream with ``event: end``. A comment every 15 s keeps proxies from
    closing an idle stream. Reading the job is a dictionary lookup, so this runs on the event
    loop and holds none of the threads that compute."""
    runner = state_of(request).jobs
    first = runner.get(job_id)  # 404 before the stream starts

    async def stream():
        last, quiet, view = None, 0.0, first
        while True:
            text = json.dumps(view, sort_keys=True, default=str)
            if text != last:
                last, quiet = text, 0.0
                yield f"event: job\ndata: {text}\n\n"
            if view["state"] in FINAL:
                yield f"event: end\ndata: {json.dumps({'id': job_id, 'state': view['state']})}\n\n"
                return
            if quiet >= 15.0:
                quiet = 0.0
                yield ": keep-alive\n\n"
            if await request.is_disconnected():
                return
            await asyncio.sleep(EVENT_POLL)
            quiet += EVENT_POLL
            view = runner.get(job_id)

    return StreamingResponse(
        stream(),
        media_type="text/event-stream",
        headers={"cache-control": "no-cache", "x-accel-buffering": "no"},
    )


@router.delete("/{job_id}", summary="Cancel a queued or running job; remove a finished one (and its files)")
def delete_job(job_id: str, request: Request) -> dict[str, Any]:
    return state_of(request).jobs.cancel(job_id)


@router.get("/{job_id}/result", summary="Download a done job's pairs (mine) or links (align)")
def job_result(
    job_id: str,
    request: Request,
    format: str | None = Query(
        None,
        description="mine: tsv (default) or jsonl; align: tsv (default), jsonl or vecalign for sentences, "
        "pharaoh (default) or jsonl for words",
    ),
) -> StreamingResponse:
    from ..mine import output_formats

    jobs = state_of(request).jobs
    path = jobs.result(job_id)
    fmt = format or output_formats(path)[0]
    lines = output_lines(path, fmt)  # a format the output does not take: 422 naming 'format'
    media, ext = MEDIA[fmt]
    name = f"{jobs.get(job_id)['kind']}-{job_id}.{ext}"
    return StreamingResponse(
        (line.encode("utf-8") for line in lines),
        media_type=media,
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


# -- mining inputs --------------------------------------------------------------------------------
def _mine_texts(st: Any, body: Any) -> dict[str, Any]:
    options = body.model_dump(exclude_unset=True, exclude={"src", "tgt"})
    spec = to_spec(
        options, MineJob, src="src.jsonl", tgt="tgt.jsonl", output=MINE_OUTPUT, output_format="jsonl"
    )
    _check_mine(st, spec)

    def write(folder: Path) -> dict[str, Any]:
        counts = {}
        for side, items in (("src", body.src), ("tgt", body.tgt)):
            path = folder / f"{side}.jsonl"
            _write_items(path, items)
            counts[side] = _records_in(path, spec.input, lambda e, s=side: _item_error(e, s))
        return counts

    return st.jobs.submit("mine", spec, MINE_OUTPUT, write)


def _mine_upload(st: Any, form: Any) -> dict[str, Any]:
    for name in form.keys():
        if name not in UPLOAD_FIELDS:
            raise InputError(
                f"The {name!r} form field is not known; send src_file, tgt_file and options.", field=name
            )
    raw = form.get("options")
    raw = raw.file.read() if isinstance(raw, UploadFile) else (raw or "{}")
    opts = _parsed(MineUploadOptions, raw, ("options",))
    uploads: dict[str, tuple[UploadFile, str]] = {}
    fmt_given = opts.model_dump(exclude_unset=True).get("input", {}).get("format")
    for side in ("src", "tgt"):
        upload, field = form.get(f"{side}_file"), f"{side}_file"
        if not isinstance(upload, UploadFile):
            raise InputError(f"The {field!r} form field (a file upload) is required.", field=field)
        try:
            fmt = input_format(Path(upload.filename or "upload"), fmt_given)
        except InputError as exc:
            raise InputError(f"{field}: {exc.message} (options.input.format)", field=field) from None
        uploads[side] = (upload, f"{side}.{fmt}")
    try:
        spec = to_spec(
            opts.model_dump(exclude_unset=True),
            MineJob,
            src=uploads["src"][1],
            tgt=uploads["tgt"][1],
            output=MINE_OUTPUT,
            output_format="jsonl",
        )
        _check_mine(st, spec)
    except InterlinguaError as exc:
        exc.field = f"options.{exc.field}" if exc.field else "options"
        raise

    def write(folder: Path) -> dict[str, Any]:
        counts = {}
        for side, (upload, name) in uploads.items():
            path = folder / name
            upload.file.seek(0)
            with storage_errors(path), open(path, "wb") as f:
                shutil.copyfileobj(upload.file, f, 1 << 20)
            field, filename = f"{side}_file", upload.filename or name
            counts[side] = _records_in(path, spec.input, lambda e, f=field, n=filename: _file_error(e, f, n))
        return counts

    return st.jobs.submit("mine", spec, MINE_OUTPUT, write)


def _write_items(path: Path, items: list[TextItem]) -> None:
    """Texts as the JSONL the library reads: an id on every line (the position when not given)."""
    with_lang = any(it.lang is not None for it in items)
    with storage_errors(path), open(path, "w", encoding="utf-8", newline="\n") as f:
        for n, it in enumerate(items, 1):
            row: dict[str, Any] = {"id": it.id if it.id is not None else str(n), "text": it.text}
            if with_lang:
                row["lang"] = it.lang
            f.write(json.dumps(row, ensure_ascii=False) + "\n")


def _records_in(path: Path, options: InputOptions, error: Callable[[InputError], InputError]) -> int:
    """Read the file as the job will (every line checked) and count its texts; none is an error."""
    try:
        with read_records(path, options) as records:
            n = sum(1 for _ in records)
        if n == 0:
            raise InputError("holds no texts")
    except InputError as exc:
        raise error(exc) from None
    return n


def _item_error(exc: InputError, side: str) -> InputError:
    if exc.line is not None:
        return InputError(f"{side}[{exc.line - 1}]: {exc.message}", field=f"{side}[{exc.line - 1}]")
    return InputError(f"{side}: {exc.message}", field=side)


def _file_error(exc: InputError, field: str, filename: str) -> InputError:
    where = f", line {exc.line}" if exc.line is not None else ""
    return InputError(f"{field} ({filename}){where}: {exc.message}", field=field)


def _document_size(path: Path, spec: AlignJob, side: str, lang: str | None, lines: int) -> int:
    """Sentences of a document as the job will read them (words mode: its lines)."""
    if spec.mode == "words":
        return lines
    o = spec.sentences
    try:
        sents, _ = read_document(str(path), split=o.split, lang=lang, blank_lines=o.blank_lines)
    except InputError as exc:
        raise InputError(f"{side}: {exc.message}", field=side) from None
    return len(sents)


# -- checks ---------------------------------------------------------------------------------------
def _check_space(st: Any, spec: MineJob | AlignJob) -> None:
    """The space must be one the server serves, as it serves it (adapters are server paths)."""
    space = spec.space
    if space.adapters:
        raise InputError(
            "The 'space.adapters' field names folders on the server's disk; jobs use the models the "
            "server serves as they are.",
            field="space.adapters",
        )
    if space.options:
        raise InputError(
            "The 'space.options' field is not taken: jobs use the server's models with the options "
            "it was started with.",
            field="space.options",
        )
    st.space(space.encoder, field="space.encoder")  # one of the served models (422 lists them)


def _check_mine(st: Any, spec: MineJob) -> None:
    _check_space(st, spec)
    if spec.margin.calibration not in (None, "shipped"):
        raise InputError(
            "The 'margin.calibration' field names a file on the server's disk; over HTTP it takes "
            "'shipped' or nothing (the server's calibration of the space, else the shipped default).",
            field="margin.calibration",
        )


def _parsed(model: type[BaseModel], raw: bytes | str, where: tuple[str, ...] = ()) -> Any:
    """``raw`` JSON checked by ``model``; errors answer 422 as a declared body's do (dotted field)."""
    loc = ("body", *where)
    try:
        data = json.loads(raw) if raw else None
    except ValueError as exc:
        error = {"type": "json_invalid", "loc": loc, "msg": "JSON decode error"}
        raise RequestValidationError([{**error, "ctx": {"error": getattr(exc, "msg", str(exc))}}]) from None
    if data is None and not where:
        raise RequestValidationError([{"type": "missing", "loc": loc, "msg": "Field required"}])
    try:
        return model.model_validate(data if data is not None else {})
    except ValidationError as exc:
        raise RequestValidationError([{**e, "loc": (*loc, *e["loc"])} for e in exc.errors()]) from None


__all__ = ["AlignRequest", "MineRequest", "router"]
