"""Files in and out: stream texts from txt, TSV, JSONL and Parquet; write embeddings atomically,
with the provenance (space, role, job) that readers check.

A low stage: it depends on numpy, pyarrow and the text stage (language codes) only, never on
encoders or the CLI. Every problem with an input file is one
:class:`~interlingua.errors.InputError` that names the file and the line.
"""

from __future__ import annotations

from ._demo import demo_path
from ._embeddings import read_embedding_texts, read_embeddings, read_provenance
from ._formats import (
    INPUT_FORMATS,
    OUTPUT_FORMATS,
    input_extensions,
    input_format,
    output_extensions,
    output_format,
)
from ._options import DETECT_LANG, LINE_IDS, InputOptions
from ._reader import RecordReader, count_records, input_options, read_records
from ._records import ReadStats, Record, Span
from ._writer import EmbeddingWriter, check_output_path, output_files

__all__ = [
    "DETECT_LANG",
    "INPUT_FORMATS",
    "LINE_IDS",
    "OUTPUT_FORMATS",
    "EmbeddingWriter",
    "InputOptions",
    "ReadStats",
    "Record",
    "RecordReader",
    "Span",
    "check_output_path",
    "count_records",
    "demo_path",
    "input_extensions",
    "input_format",
    "input_options",
    "output_extensions",
    "output_files",
    "output_format",
    "read_embedding_texts",
    "read_embeddings",
    "read_provenance",
    "read_records",
]
