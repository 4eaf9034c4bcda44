"""Line-wise reading of text files, so that every error can name its line.

Text formats (txt, tsv, jsonl) are read in binary and decoded one line at a time: a
whole-file decode would report an invalid byte by file offset, which nobody can find in
an editor. At most one line is held in memory, and a line that is too long is counted,
not kept, so a stray multi-gigabyte line cannot exhaust memory.
"""

from __future__ import annotations

import codecs
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from ..errors import InputError

SNIFF_BYTES = 8192
_BOM = codecs.BOM_UTF8
# Bytes that plain text may hold below 0x20: tab, newline, carriage return, form feed,
# backspace, escape (terminal colours in logs).
_TEXT_CONTROLS = frozenset(b"\t\n\r\f\b\x1b")
_CONTROL_BYTES = bytes(b for b in range(32) if b not in _TEXT_CONTROLS) + b"\x7f"
_BINARY_CONTROL_SHARE = 0.10
_BINARY_INVALID_SHARE = 0.30
# Magic numbers worth naming: a message that says "gzip" saves a round of guessing.
_MAGIC = (
    (b"\x1f\x8b", "a gzip-compressed file; decompress it first (gunzip)"),
    (b"PK\x03\x04", "a zip archive; extract it first"),
    (b"PAR1", "a Parquet file; give it the .parquet extension or pass fmt='parquet'"),
    (b"\x93NUMPY", "a NumPy .npy file, not text"),
)
_UTF16_32 = (
    (codecs.BOM_UTF32_LE, "UTF-32"),
    (codecs.BOM_UTF32_BE, "UTF-32"),
    (codecs.BOM_UTF16_LE, "UTF-16"),
    (codecs.BOM_UTF16_BE, "UTF-16"),
)


def check_input_file(path: Path, *, allow_empty: bool = False) -> None:
    """Fail with one clear message if ``path`` is not a readable, non-empty regular file."""
    if not path.exists():
        raise InputError("the file does not exist", path=str(path))
    if path.is_dir():
        raise InputError("is a directory, not a file", path=str(path))
    try:
        size = path.stat().st_size
        with open(path, "rb"):
            pass
    except OSError as exc:
        raise InputError(f"cannot be read: {exc.strerror or exc}", path=str(path)) from exc
    if size == 0 and not allow_empty:
        raise InputError("the file is empty", path=str(path))


def check_text_sample(path: Path) -> None:
    """Refuse files whose first 8 KB say they are not UTF-8 text.

    Run before line-wise reading so that a binary file gets one "looks like a binary file"
    message instead of an invalid-UTF-8 error on some arbitrary line.
    """
    with open(path, "rb") as f:
        sample = f.read(SNIFF_BYTES)
    for bom, name in _UTF16_32:
        if sample.startswith(bom):
            raise InputError(
                f"is {name} text; convert it to UTF-8 (e.g. iconv -f {name} -t UTF-8)", path=str(path)
            )
    for magic, what in _MAGIC:
        if sample.startswith(magic):
            raise InputError(f"looks like a binary file, not text: {what}", path=str(path))
    if b"\x00" in sample:
        raise InputError("looks like a binary file, not text (it contains NUL bytes)", path=str(path))
    controls = len(sample) - len(sample.translate(None, _CONTROL_BYTES))
    if sample and controls / len(sample) > _BINARY_CONTROL_SHARE:
        raise InputError(
            f"looks like a binary file, not text ({controls} of its first {len(sample)} bytes "
            "are control characters)",
            path=str(path),
        )
    decoded = sample.decode("utf-8", errors="replace")
    # Text in a legacy encoding has a few undecodable bytes (reported later, by line); random
    # binary data has them everywhere.
    if decoded and decoded.count("\ufffd") / len(decoded) > _BINARY_INVALID_SHARE:
        raise InputError(
            "looks like a binary file, not text (most of its first bytes are not valid UTF-8)", path=str(path)
        )
    if b"\n" not in sample and b"\r" in sample.rstrip(b"\r"):
        raise InputError(
            "uses old Mac line endings (\\r only); convert them to \\n (e.g. with dos2unix -c mac)",
            path=str(path),
        )


def iter_lines(
    f: BinaryIO, path: Path, max_chars: int, *, first: int = 1, stop: int | None = None
) -> Iterator[tuple[int, str]]:
    """Yield ``(line_number, text)`` with the line ending (``\\n`` or ``\\r\\n``) removed.

    Line numbers start at 1 and count every physical line, so they match an editor. A UTF-8
    byte order mark at the start of the file is dropped. Raises :class:`InputError` for
    invalid UTF-8 (with the byte column) and for lines longer than ``max_chars`` characters.

    A reader that starts inside the file (a shard: ``f`` positioned at the start of line
    ``first``) stops before the line that starts at byte ``stop`` or later, so that every error
    still names the line an editor shows.
    """
    # A character takes at most 4 bytes; 2 more for "\r\n". A read that fills this limit
    # without reaching a newline is a line that is certainly too long.
    limit = 4 * max_chars + 2
    number = first - 1
    pos = f.tell() if stop is not None else 0
    while True:
        if stop is not None and pos >= stop:
            return
        raw = f.readline(limit)
        if not raw:
            return
        pos += len(raw)
        number += 1
        bom = 0
        if number == 1 and raw.startswith(_BOM):
            raw, bom = raw[len(_BOM) :], len(_BOM)
        if not raw.endswith(b"\n") and len(raw) + bom >= limit:
            length = _count_long_line(f, raw, path, number, bom)
            raise _too_long(path, number, length, max_chars)
        if raw.endswith(b"\n"):
            raw = raw[:-1]
            if raw.endswith(b"\r"):
                raw = raw[:-1]
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise _bad_utf8(path, number, exc, bom) from None
        if len(text) > max_chars:
            raise _too_long(path, number, len(text), max_chars)
        yield number, text


def _count_long_line(f: BinaryIO, head: bytes, path: Path, number: int, bom: int) -> int:
    """Count the characters of an over-long line chunk by chunk, holding one chunk at a time."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    count = 0
    offset = bom
    chunk = head
    last = b""
    while True:
        ends = chunk.endswith(b"\n")
        body = chunk[:-1] if ends else chunk
        last = body[-1:] or last
        try:
            count += len(decoder.decode(body, final=ends or not chunk))
        except UnicodeDecodeError as exc:
            raise _bad_utf8(path, number, exc, offset - len(decoder.getstate()[0])) from None
        offset += len(body)
        if ends or not chunk:
            break
        chunk = f.readline(1 << 20)
    # "\r\n" endings: the "\r" was decoded as a character of the line; it is not one.
    return count - 1 if ends and last == b"\r" else count


def _too_long(path: Path, number: int, length: int, max_chars: int) -> InputError:
    return InputError(
        f"the line is {length:,} characters long; the limit is {max_chars:,} (max_chars, --max-chars)",
        path=str(path),
        line=number,
    )


def _bad_utf8(path: Path, number: int, exc: UnicodeDecodeError, offset: int) -> InputError:
    bad = exc.object[exc.start : exc.end]
    shown = " ".join(f"0x{b:02X}" for b in bad[:4])
    return InputError(
        f"the line is not valid UTF-8: byte {shown} at byte column {offset + exc.start + 1} "
        f"({exc.reason}); save the file as UTF-8 (e.g. iconv -f latin1 -t utf-8)",
        path=str(path),
        line=number,
    )
