"""Property tests for the readers: what a writer of each format can write is read back exactly, and
any bytes at all give records or one InputError, never another exception."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from interlingua.errors import InputError
from interlingua.io import read_records

# text a file holds: no lone surrogates (not text), no control characters (a file of them is taken
# for binary), no U+FEFF (at the start of a file it is the byte-order mark the readers drop, so a
# first line of only that is empty), at least one visible character
TEXT = st.text(
    st.characters(exclude_categories=("Cs", "Cc"), exclude_characters="\ufeff"), min_size=1, max_size=40
).filter(lambda t: t.strip())
LINE_TEXT = TEXT.map(lambda t: " ".join(t.replace("\t", " ").split()) or "x")
SETTINGS = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def _read(path: Path, **options):
    with read_records(path, **options) as records:
        return [(r.id, r.text) for r in records]


@SETTINGS
@given(st.lists(TEXT, min_size=1, max_size=15))
def test_jsonl_round_trips(texts):
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "in.jsonl"
        path.write_text(
            "".join(json.dumps({"id": f"k{i}", "text": t}) + "\n" for i, t in enumerate(texts)), "utf-8"
        )
        assert _read(path) == [(f"k{i}", t) for i, t in enumerate(texts)]


@SETTINGS
@given(st.lists(LINE_TEXT, min_size=1, max_size=15))
def test_tsv_and_txt_round_trip(texts):
    with tempfile.TemporaryDirectory() as tmp:
        tsv, txt = Path(tmp) / "in.tsv", Path(tmp) / "in.txt"
        tsv.write_text("id\ttext\n" + "".join(f"r{i}\t{t}\n" for i, t in enumerate(texts)), encoding="utf-8")
        assert _read(tsv) == [(f"r{i}", t) for i, t in enumerate(texts)]
        txt.write_text("".join(t + "\n" for t in texts), encoding="utf-8")
        assert [t for _, t in _read(txt)] == texts


@SETTINGS
@given(st.lists(TEXT, min_size=1, max_size=15))
def test_parquet_round_trips(texts):
    import pyarrow as pa
    import pyarrow.parquet as pq

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "in.parquet"
        pq.write_table(pa.table({"id": [f"p{i}" for i in range(len(texts))], "text": texts}), path)
        assert _read(path) == [(f"p{i}", t) for i, t in enumerate(texts)]


@pytest.mark.parametrize("suffix", [".txt", ".tsv", ".jsonl", ".parquet"])
@settings(max_examples=80, deadline=None)
@given(data=st.binary(max_size=400))
def test_any_bytes_give_records_or_one_input_error(suffix, data):
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"in{suffix}"
        path.write_bytes(data)
        try:
            rows = _read(path)
        except InputError as exc:
            assert str(path) in str(exc)
            return
        for ident, text in rows:
            assert isinstance(ident, str) and text.strip()
            text.encode("utf-8")  # what a reader hands on is always valid text


#: any text, lone surrogates included: hypothesis leaves category Cs out of st.text() and
#: st.characters() unless asked, and merges a one_of of character strategies (drawing surrogates
#: about as rarely as their share of code points), so each character is drawn on its own
ANY_TEXT = st.lists(st.one_of(st.characters(), st.characters(categories=["Cs"])), max_size=20).map("".join)


def _has_surrogate(text: str) -> bool:
    return any(0xD800 <= ord(c) <= 0xDFFF for c in text)


@settings(max_examples=60, deadline=None)
@given(st.lists(ANY_TEXT, min_size=1, max_size=8))
@example(["\ud800", "ok"])
@example(["\ud83d\ude00"])  # a high and a low surrogate: JSON joins the two escapes into U+1F600
def test_json_strings_with_surrogates_are_errors_or_replaced(texts):
    lines = [json.dumps({"text": t + " x"}) for t in texts]
    # json.dumps writes lone surrogates as \udXXX escapes, as a broken producer would; a pair of
    # them reads back as one character, so what is broken is what json.loads gives back
    broken = [_has_surrogate(json.loads(line)["text"]) for line in lines]
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "in.jsonl"
        path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
        try:
            rows = _read(path)
        except InputError as exc:
            assert any(broken), exc
            assert "lone surrogate" in str(exc) and "column" in str(exc)
            assert f"line {broken.index(True) + 1}" in str(exc)
            rows = _read(path, on_invalid="replace")
        else:
            assert not any(broken)
        assert len(rows) == len(texts)
        for _, text in rows:
            text.encode("utf-8")
