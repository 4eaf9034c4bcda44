"""How to read an input file: the ``input`` option group every job that reads texts shares."""

from __future__ import annotations

from dataclasses import dataclass

from .._spec import Spec, param
from .._validation import Each, Interval, Named, NoneOr, Options, Text
from ._formats import INPUT_FORMATS

#: ``id_field`` value for "number the records by line (row)", even when a field named ``id`` exists
LINE_IDS = "@line"
#: ``lang_field`` value for "no language field: detect", even when a field named ``lang`` exists
DETECT_LANG = "@detect"
#: the field names taken without being asked, in order (DESIGN.md conventions)
AUTO_ID_FIELDS = ("id",)
AUTO_LANG_FIELDS = ("lang", "language")
ON_INVALID = ("error", "replace")


@dataclass(frozen=True)
class InputOptions(Spec):
    """Which fields hold what, and what to do with imperfect lines."""

    caller = "read_records()"
    format: str | None = param(
        None,
        NoneOr(Named(INPUT_FORMATS)),
        help="txt, tsv, jsonl or parquet, when the extension does not tell (vecalign's overlaps.de)",
    )
    text_field: str = param("text", Text(nonempty=True), help="field / column holding the text")
    id_field: str | None = param(
        None,
        NoneOr(Text(nonempty=True)),
        help=f"field holding the id (default: 'id' when the input has one, else line numbers; {LINE_IDS!r}: line numbers)",
    )
    lang_field: str | None = param(
        None,
        NoneOr(Text(nonempty=True)),
        help=f"field holding the language (default: 'lang' or 'language' when present; {DETECT_LANG!r}: detect)",
    )
    columns: tuple[str, ...] = param(
        (), Each(Text(nonempty=True)), help="TSV without a header: the column names in order, e.g. id,text"
    )
    skip_empty: bool = param(False, help="skip lines without text instead of failing")
    max_chars: int = param(100_000, Interval(int, 1, None), help="refuse texts longer than this")
    on_invalid: str = param(
        "error",
        Options(ON_INVALID),
        help="text that cannot be encoded (lone surrogates): 'error' names file, line and column; 'replace' "
        "puts U+FFFD and counts it",
    )

    def check_fields(self, caller: str, prefix: str) -> None:
        if self.columns and self.format not in (None, "tsv"):
            raise self.fail("columns", "applies to TSV input only", caller, prefix)
        if len(set(self.columns)) != len(self.columns):
            raise self.fail("columns", "must not name a column twice", caller, prefix)


__all__ = ["AUTO_ID_FIELDS", "AUTO_LANG_FIELDS", "DETECT_LANG", "LINE_IDS", "ON_INVALID", "InputOptions"]
