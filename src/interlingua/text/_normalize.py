"""Unicode clean-up of text before it is split, identified or encoded, and strict UTF-8 decoding.

Text from the web and from files carries characters that a reader never sees but a tokenizer
does: byte order marks, zero-width spaces, soft hyphens, bidirectional marks, stray control
characters. They split words into different pieces and so move vectors apart for no reason.
:func:`normalize_text` removes them, maps every kind of whitespace to one space and applies a
Unicode normalization form, so that the same visible text always gives the same string.

Zero-width joiner (U+200D) and non-joiner (U+200C) are *kept between letters, marks or emoji*:
they change meaning or spelling there. Persian writes ``می‌خواهم`` with a ZWNJ (without it the
letters join into another shape), Indic scripts use ZWJ/ZWNJ after a virama to choose
conjunct forms, and emoji sequences such as 👩‍💻 are glued by ZWJ. Anywhere else (next to a
space, at the edge of the text) they carry nothing and are removed.
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache

from .._validation import check_choice
from ..errors import InputError

FORMS = ("NFC", "NFKC", "NFD", "NFKD")

# Invisible format characters removed everywhere: soft hyphen, zero-width space, word joiner,
# BOM / zero-width no-break space, and the bidirectional marks and embeddings, which steer
# display only. Tag characters (emoji flags of regions), variation selectors and the
# Mongolian vowel separator are kept: they belong to the characters around them.
_INVISIBLE = (
    "\u00ad\u200b\u2060\ufeff\u200e\u200f\u061c\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
)
_LINE_BREAKS = "\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029"


@lru_cache(maxsize=2)
def _translation(keep_newlines: bool) -> dict[int, str | None]:
    """Controls -> removed; whitespace controls and line breaks -> a space (or a newline)."""
    table: dict[int, str | None] = {}
    for cp in [*range(0x20), *range(0x7F, 0xA0)]:
        table[cp] = " " if chr(cp).isspace() else None
    for ch in _LINE_BREAKS:
        table[ord(ch)] = "\n" if keep_newlines else " "
    for ch in _INVISIBLE:
        table[ord(ch)] = None
    return table


@lru_cache(maxsize=1)
def _patterns():
    import regex

    joinable = r"[\p{L}\p{M}\p{Extended_Pictographic}\p{Emoji_Modifier}]"
    return (
        # ZWNJ/ZWJ unless a joinable character sits on both sides
        regex.compile(rf"(?<!{joinable})[\u200c\u200d]|[\u200c\u200d](?!{joinable})"),
        regex.compile(r"\s+"),
        regex.compile(r"[^\S\n]+"),
        regex.compile(r" ?\n[\s]*"),
    )


def normalize_text(text: str, form: str = "NFC", *, keep_newlines: bool = False) -> str:
    """Return ``text`` cleaned for splitting, language ID and encoding.

    Steps, in order: control characters are removed (tabs, line breaks and other whitespace
    controls become spaces); the invisible characters listed in the module notes are removed;
    the Unicode normalization ``form`` is applied ("NFC" keeps what the writer typed, "NFKC"
    also folds compatibility forms such as full-width Latin and ligatures); ZWJ/ZWNJ are kept
    only between letters, marks or emoji; every run of whitespace becomes one space; the ends
    are stripped.

    With ``keep_newlines=True`` line breaks survive as ``"\\n"`` (a run holding a blank line as
    ``"\\n\\n"``), for callers that split paragraphs or lines afterwards; spaces around them go.
    """
    if not isinstance(text, str):
        raise InputError(f"normalize_text() needs a str. Got {type(text).__name__} instead.")
    check_choice(form, FORMS, "form")
    zw, spaces, horizontal, breaks = _patterns()
    text = text.replace("\r\n", "\n").translate(_translation(bool(keep_newlines)))
    text = unicodedata.normalize(form, text)
    if "\u200c" in text or "\u200d" in text:
        text = zw.sub("", text)
    if not keep_newlines:
        return spaces.sub(" ", text).strip()
    text = horizontal.sub(" ", text)
    text = breaks.sub(lambda m: "\n\n" if m.group().count("\n") > 1 else "\n", text)
    return text.strip()


def decode_utf8(data: bytes, *, path: str | None = None, line: int | None = None) -> str:
    """Decode ``data`` as strict UTF-8, or say exactly where it is not UTF-8.

    Guessing another encoding or replacing bad bytes would hide a broken file and feed
    mojibake to the encoder, so the error names the file, the line, the byte offset (0-based,
    within ``data``) and the character column (1-based) of the first bad byte, with the
    bytes themselves.
    """
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise InputError(f"decode_utf8() needs bytes. Got {type(data).__name__} instead.")
    data = bytes(data)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        column = len(data[: exc.start].decode("utf-8", errors="replace")) + 1
        bad = data[exc.start : exc.end]
        raise InputError(
            f"invalid UTF-8 at byte offset {exc.start} (column {column}): {bad!r} ({exc.reason}). "
            "Convert the file to UTF-8, e.g. with iconv -f <encoding> -t UTF-8.",
            path=path,
            line=line,
        ) from exc
