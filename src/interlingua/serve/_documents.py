"""``/collections/{name}/documents``: add documents (a JSON body, or an uploaded file), read one,
delete some. The collection opens as a writer only for the request (``Library``), so another
process (``interlingua index add``) can write between requests."""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from pydantic import Field, ValidationError

from ..errors import InputError, NotFoundError
from ..store import AddJob
from ._limits import check_count, check_length, too_large
from ._meta import state_of
from ._schemas import Strict, model_of, to_spec

router = APIRouter(tags=["collections"])
ONE = "/collections/{name}"


class DocumentIn(Strict):
    id: str | int | None = Field(None, description="the document's id (default: from a hash of its text)")
    text: str = Field(..., description="the text, in any language")
    lang: str | None = Field(None, description="its language, any common code (default: detected)")
    meta: dict[str, Any] = Field(default_factory=dict, description="metadata, for filters and display")


class AddDocumentsRequest(Strict):
    """Documents to add, at most max_batch a request."""

    documents: list[DocumentIn] = Field(..., description="the documents")
    upsert: bool = Field(False, description="replace documents whose id is already there")
    skip_existing: bool = Field(False, description="leave documents whose id is already there as they are")


#: the options of an uploaded file's add (the multipart field ``options``, a JSON object)
_AddOptions = model_of(AddJob, exclude=("collection", "source"), name="AddFileOptions")


def _inline_schema(model: Any) -> dict[str, Any]:
    """A model's JSON schema with its definitions inlined (for a body FastAPI does not parse itself)."""
    schema = model.model_json_schema()
    defs = schema.pop("$defs", {})

    def inline(node: Any) -> Any:
        if isinstance(node, dict):
            ref = node.get("$ref", "")
            if ref.startswith("#/$defs/"):
                return inline(defs[ref.rsplit("/", 1)[-1]])
            return {k: inline(v) for k, v in node.items()}
        return [inline(v) for v in node] if isinstance(node, list) else node

    return inline(schema)


_UPLOAD_SCHEMA = {
    "type": "object",
    "required": ["file"],
    "properties": {
        "file": {"type": "string", "format": "binary", "description": "a .txt/.tsv/.jsonl/.parquet file"},
        "upsert": {"type": "boolean"},
        "skip_existing": {"type": "boolean"},
        "options": {
            "type": "string",
            "description": "a JSON object of AddJob fields (input, id_prefix, ...)",
        },
    },
}


class DeleteDocumentsRequest(Strict):
    ids: list[str] = Field(..., min_length=1, description="ids of the documents to delete")


# -- documents ------------------------------------------------------------------------------
@router.post(
    ONE + "/documents",
    summary="Add documents: JSON {documents: [{id?, text, lang?, meta?}]}, or a multipart upload `file`",
    openapi_extra={
        "requestBody": {
            "content": {
                "application/json": {"schema": _inline_schema(AddDocumentsRequest)},
                "multipart/form-data": {"schema": _UPLOAD_SCHEMA},
            }
        }
    },
)
async def add_documents(name: str, request: Request) -> dict[str, Any]:
    st = state_of(request)
    served = st.collections.get(name)
    if request.headers.get("content-type", "").startswith("multipart/form-data"):
        async with request.form() as form:
            return await run_in_threadpool(_add_upload, st, served, form)
    raw = await request.body()
    try:
        body = AddDocumentsRequest.model_validate_json(raw or b"{}")
    except ValidationError as exc:
        raise RequestValidationError(exc.errors()) from None
    return await run_in_threadpool(_add_json, st, served, body)


def _add_json(st: Any, served: Any, body: AddDocumentsRequest) -> dict[str, Any]:
    check_count(len(body.documents), st.settings.max_batch, "documents", "documents")
    for i, d in enumerate(body.documents):
        check_length(d.text, f"documents[{i}].text", st.settings.max_input_chars)
    docs = [d.model_dump() for d in body.documents]
    report = served.add(docs, upsert=body.upsert, skip_existing=body.skip_existing)
    st.metrics.count_encoded(served.model, ONE + "/documents", report.added)
    return {**report.to_dict(), "collection": served.name}


def _add_upload(st: Any, served: Any, form: Any) -> dict[str, Any]:
    """A multipart upload: ``file`` (its name tells the format), ``upsert``, ``skip_existing`` and
    ``options`` (a JSON object of the AddJob fields: ``input``, ``id_prefix``, ``passages``, ...)."""
    upload = form.get("file")
    if upload is None or isinstance(upload, str):
        raise InputError("The 'file' field must be an uploaded file (multipart/form-data).", field="file")
    unknown = sorted(set(form.keys()) - {"file", "upsert", "skip_existing", "options"})
    if unknown:
        raise InputError(f"The {unknown[0]!r} field is not a known field of an upload.", field=unknown[0])
    try:
        raw = json.loads(form.get("options") or "{}")
        options = _AddOptions.model_validate(raw)
    except (ValueError, TypeError) as exc:
        if isinstance(exc, ValidationError):
            errors = [{**e, "loc": ("options", *e["loc"])} for e in exc.errors()]
            raise RequestValidationError(errors) from None
        raise InputError(f"The 'options' field must be a JSON object: {exc}.", field="options") from None
    fields = options.model_dump(exclude_unset=True)
    for flag in ("upsert", "skip_existing"):
        if form.get(flag) is not None:
            fields[flag] = _flag(form.get(flag), flag)
    limit = st.settings.max_input_chars
    given = (fields.get("input") or {}).get("max_chars")
    if given is not None and given > limit:
        raise too_large(
            f"input.max_chars {given:,} is over the server's limit of {limit:,} characters in one text; raise "
            "INTERLINGUA_MAX_INPUT_CHARS (max_input_chars) to allow more.",
            "options.input.max_chars",
        )
    fields["input"] = {**(fields.get("input") or {}), "max_chars": given or limit}
    with st.collections.staged(upload.filename, upload.file) as path:
        job = to_spec(fields, AddJob, collection=served.uri, source=str(path))
        try:
            report = served.add_file(job)
        except InputError as exc:  # name the client's file, not the server's copy
            if exc.path != str(path):
                raise
            raise InputError(
                exc.message, path=path.name, line=exc.line, column=exc.column, field="file"
            ) from None
    st.metrics.count_encoded(served.model, ONE + "/documents", report.added)
    return {**report.to_dict(), "collection": served.name, "file": path.name}


def _flag(value: str, field: str) -> bool:
    text = str(value).strip().lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off", ""):
        return False
    raise InputError(
        f"The {field!r} field must be true or false. Got {str(value)[:40]!r} instead.", field=field
    )


@router.get(ONE + "/documents/{doc_id:path}", summary="One document: id, text, language, metadata")
def get_document(name: str, doc_id: str, request: Request) -> dict[str, Any]:
    with state_of(request).collections.get(name).reading() as searcher:
        docs = searcher.collection.get([doc_id])
    if not docs:
        err = NotFoundError(f"The collection {name!r} holds no document {doc_id[:200]!r}.")
        err.field = "id"
        raise err
    d = docs[0]
    return {"id": d.id, "text": d.text, "lang": d.lang, "meta": d.meta}


@router.delete(ONE + "/documents", summary="Delete documents by id (unknown ids are counted, not an error)")
def delete_documents(name: str, body: DeleteDocumentsRequest, request: Request) -> dict[str, Any]:
    with state_of(request).collections.get(name).writing() as col:
        n = col.delete(body.ids)
        total = len(col)
    return {"deleted": n, "not_found": len(set(body.ids)) - n, "documents": total}


router.add_api_route(
    ONE + "/documents/delete",
    delete_documents,
    methods=["POST"],
    summary="Delete documents by id (for clients that send no body with DELETE)",
)
