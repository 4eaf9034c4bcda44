"""The texts an adapter is fit on, by language: from a FLORES / SIB-200 folder (parallel rows,
one split), from any file with a language field (monolingual), or from a file of translation
pairs (TSV or JSONL, the mined-pairs files of ``interlingua mine`` included).

Every source gives ``language -> texts``; parallel sources also keep row i of every language
the translation of row i of the others, which ``linear`` needs.
"""

from __future__ import annotations

import csv
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from ..errors import InputError
from ..io import InputOptions, read_records
from ..text import canonical_lang

KINDS = ("auto", "folder", "monolingual", "parallel")
SPLITS = ("train", "dev", "devtest", "test")
#: field names of the two sides of a pair, in the order they are looked for
_PAIR_FIELDS = (("src_text", "tgt_text"), ("src", "tgt"), ("source", "target"))


@dataclass(frozen=True)
class FitTexts:
    """Texts by canonical language; ``parallel``: row i is the same sentence in every language."""

    texts: dict[str, list[str]]
    parallel: bool
    kind: str

    def digest(self) -> str:
        h = hashlib.sha256()
        for lang in sorted(self.texts):
            h.update(lang.encode() + b"\0")
            for t in self.texts[lang]:
                h.update(t.encode("utf-8", "surrogatepass") + b"\n")
        return h.hexdigest()


def load_fit_texts(
    paths: tuple[str, ...],
    *,
    kind: str = "auto",
    split: str = "train",
    langs: tuple[str, ...] = (),
    limit: int = 1000,
    input: InputOptions | None = None,
) -> FitTexts:
    """Read ``paths`` as ``kind`` (auto: a folder is FLORES / SIB-200, a file with two
    languages given and pair fields is parallel, any other file monolingual)."""
    wanted = [canonical_lang(x) for x in langs]
    found: list[FitTexts] = []
    for raw in paths:
        path = Path(raw)
        if not path.exists():
            raise InputError("does not exist; give a FLORES / SIB-200 folder or a file of texts", path=raw)
        k = kind if kind != "auto" else _guess_kind(path, wanted)
        if k == "folder":
            found.append(_folder(path, split, wanted, limit))
        elif k == "parallel":
            found.append(_pairs(path, wanted, limit))
        else:
            found.append(_monolingual(path, wanted, limit, input or InputOptions()))
    return _merge(found, limit)


def _guess_kind(path: Path, wanted: list[str]) -> str:
    if path.is_dir():
        return "folder"
    return "parallel" if len(wanted) == 2 and _pair_fields(path) is not None else "monolingual"


def _merge(parts: list[FitTexts], limit: int) -> FitTexts:
    if len(parts) == 1:
        return parts[0]
    texts: dict[str, list[str]] = {}
    for p in parts:
        for lang, items in p.texts.items():
            texts.setdefault(lang, []).extend(items)
    return FitTexts({k: v[:limit] for k, v in texts.items()}, False, "+".join(p.kind for p in parts))


# -- FLORES / SIB-200 folders ---------------------------------------------------------------------
def _folder(path: Path, split: str, wanted: list[str], limit: int) -> FitTexts:
    if split not in SPLITS:
        raise InputError(
            f"The split must be one of {', '.join(SPLITS)}. Got {split!r} instead.", field="split"
        )
    files = _sib_files(path, split) or _flores_files(path, split)
    if not files:
        raise InputError(
            f"holds no {split} split: expected <lang>/{split}.tsv (SIB-200, or its data/annotated folder) "
            f"or {split}/<lang>.{split} (FLORES-200)",
            path=str(path),
        )
    by_lang: dict[str, tuple[str, Path]] = {}
    for code, file in files:
        try:
            tag = canonical_lang(code)
        except InputError:
            continue
        by_lang.setdefault(tag, (code, file))
    chosen = wanted or sorted(by_lang)
    missing = [x for x in chosen if x not in by_lang]
    if missing:
        raise InputError(
            f"has no {split} texts in {', '.join(missing)}; it has {len(by_lang)} languages "
            f"({', '.join(sorted(by_lang)[:12])}{', ...' if len(by_lang) > 12 else ''})",
            path=str(path),
        )
    rows = {lang: _read_split(by_lang[lang][1]) for lang in chosen}
    common = set.intersection(*(set(r) for r in rows.values()))
    order = [key for key in next(iter(rows.values())) if key in common][:limit]
    return FitTexts({lang: [rows[lang][key] for key in order] for lang in chosen}, True, "folder")


def _sib_files(path: Path, split: str) -> list[tuple[str, Path]]:
    for root in (path / "data" / "annotated", path / "annotated", path):
        files = (
            [(d.name, d / f"{split}.tsv") for d in sorted(root.iterdir()) if (d / f"{split}.tsv").is_file()]
            if root.is_dir()
            else []
        )
        if files:
            return files
    return []


def _flores_files(path: Path, split: str) -> list[tuple[str, Path]]:
    root = path / split if (path / split).is_dir() else path
    return [(f.name[: -len(split) - 1], f) for f in sorted(root.glob(f"*.{split}")) if f.is_file()]


def _read_split(file: Path) -> dict[str, str]:
    """Row key -> text: SIB-200's ``index_id`` column, or FLORES's line number."""
    try:
        with open(file, encoding="utf-8", newline="") as f:
            if file.suffix == ".tsv":
                reader = csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE)
                if not reader.fieldnames or "text" not in reader.fieldnames:
                    raise InputError(
                        "has no 'text' column (SIB-200 files have index_id, category, text)", path=str(file)
                    )
                return {
                    (row.get("index_id") or str(n)): row["text"]
                    for n, row in enumerate(reader, 1)
                    if row.get("text")
                }
            return {str(n): line.rstrip("\n") for n, line in enumerate(f, 1) if line.strip()}
    except UnicodeDecodeError as exc:
        raise InputError(f"is not UTF-8 text ({exc.reason} at byte {exc.start})", path=str(file)) from None


# -- monolingual files with a language field ---------------------------------------------------------
def _monolingual(path: Path, wanted: list[str], limit: int, opts: InputOptions) -> FitTexts:
    texts: dict[str, list[str]] = {}
    for rec in read_records(path, opts):
        if rec.lang is None:
            raise InputError(
                "has no language for its texts: give a file with a 'lang' field (or --set "
                "input.lang_field=FIELD, or input.lang_field=@detect to detect it)",
                path=str(path),
                line=rec.line,
            )
        if wanted and rec.lang not in wanted:
            continue
        bucket = texts.setdefault(rec.lang, [])
        if len(bucket) < limit:
            bucket.append(rec.text)
    missing = [x for x in wanted if x not in texts]
    if missing:
        raise InputError(f"has no texts in {', '.join(missing)}", path=str(path))
    if not texts:
        raise InputError("has no texts to fit on", path=str(path))
    return FitTexts(texts, False, "monolingual")


# -- translation pairs -----------------------------------------------------------------------------
def _pair_fields(path: Path) -> tuple[str, str] | None:
    """The two text fields of a pairs file (TSV header or JSONL keys), None when it has none."""
    try:
        with open(path, encoding="utf-8") as f:
            for line in f:
                if line.startswith("#") or not line.strip():
                    continue
                names = list(json.loads(line)) if path.suffix == ".jsonl" else line.rstrip("\n").split("\t")
                for a, b in _PAIR_FIELDS:
                    if a in names and b in names:
                        return a, b
                return None
    except (UnicodeDecodeError, json.JSONDecodeError, TypeError):
        return None
    return None


def _pair_of(
    line: str, path: Path, number: int, fields: tuple[str, str] | None, header: list[str] | None
) -> tuple[str, str]:
    """The two sides of one line of a pairs file (JSONL by ``fields``, TSV by ``header`` or by
    position), each a non-empty string."""
    if path.suffix == ".jsonl":
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            raise InputError(f"is not valid JSON ({exc.msg})", path=str(path), line=number) from None
        if not isinstance(obj, dict) or fields is None:
            raise InputError(
                'each line must be an object with "src" and "tgt" texts', path=str(path), line=number
            )
        pair = (obj.get(fields[0]), obj.get(fields[1]))
    else:
        cells = line.rstrip("\n").split("\t")
        if header is None and len(cells) != 2:
            raise InputError(
                f"has {len(cells)} columns; a pairs file without a header has two (source, target)",
                path=str(path),
                line=number,
            )
        if header is not None and len(cells) != len(header):
            raise InputError(
                f"has {len(cells)} columns where the header has {len(header)}", path=str(path), line=number
            )
        pair = (
            (cells[header.index(fields[0])], cells[header.index(fields[1])])
            if header and fields
            else (cells[0], cells[1])
        )
    if not all(isinstance(t, str) and t.strip() for t in pair):
        raise InputError("has a pair with an empty side", path=str(path), line=number)
    return pair[0], pair[1]


def _pairs(path: Path, wanted: list[str], limit: int) -> FitTexts:
    if len(wanted) != 2:
        raise InputError(
            "is a file of pairs: give its two languages, source first (--langs de,en)",
            path=str(path),
            field="langs",
        )
    fields = _pair_fields(path)
    src: list[str] = []
    tgt: list[str] = []
    header: list[str] | None = None
    number = 0
    with open(path, encoding="utf-8", errors="strict") as f:
        try:
            for number, line in enumerate(f, 1):
                if line.startswith("#") or not line.strip():
                    continue
                if path.suffix != ".jsonl" and fields is not None and header is None:
                    header = line.rstrip("\n").split("\t")
                    continue
                a, b = _pair_of(line, path, number, fields, header)
                src.append(a)
                tgt.append(b)
                if len(src) >= limit:
                    break
        except UnicodeDecodeError as exc:
            raise InputError(f"is not UTF-8 text ({exc.reason})", path=str(path), line=number + 1) from None
    if not src:
        raise InputError("has no pairs", path=str(path))
    return FitTexts({wanted[0]: src, wanted[1]: tgt}, True, "parallel")


__all__ = ["KINDS", "SPLITS", "FitTexts", "load_fit_texts"]
