"""Files in and out: stream texts from txt, TSV, JSONL and Parquet; write embeddings atomically.

A low stage: it depends on numpy and pyarrow only, never on encoders or the CLI. Every
problem with an input file is one :class:`~interlingua.errors.InputError` that names the
file and the line.
"""

from __future__ import annotations

from ._demo import demo_path
from ._embeddings import read_embeddings
from ._formats import INPUT_EXTENSIONS, OUTPUT_EXTENSIONS
from ._reader import RecordReader, count_records, read_records
from ._records import ReadStats, Record
from ._writer import EmbeddingWriter, check_output_path

__all__ = [
    "INPUT_EXTENSIONS",
    "OUTPUT_EXTENSIONS",
    "EmbeddingWriter",
    "ReadStats",
    "Record",
    "RecordReader",
    "check_output_path",
    "count_records",
    "demo_path",
    "read_embeddings",
    "read_records",
]
