"""XQuAD: SQuAD v1.1 JSON files ``xquad.<lang>.json``, the same paragraphs and questions in
every language (aligned by position; question ids are shared).

For retrieval a question's relevant passage is its own paragraph, in whatever language the
pool holds. Paragraph ids are ``p<article>_<paragraph>`` and shared across languages. Each
question's first answer is kept as ``(answer_start, text)``: the character offset into its own
language's paragraph (what XQuAD-R uses to find the sentence holding the answer).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from ...errors import InputError
from ._common import layout_error, require_path, select_languages

EXPECTED = "files xquad.<lang>.json (SQuAD v1.1 JSON, e.g. xquad.en.json)"
_NAME = re.compile(r"^xquad\.([A-Za-z-]+)\.json$")


@dataclass(frozen=True)
class QASet:
    code: str
    passages: dict[str, str]  # passage id -> text
    questions: dict[str, tuple[str, str]]  # question id -> (text, gold passage id)
    #: question id -> (answer_start, answer text) of its first answer (questions with one)
    answers: dict[str, tuple[int, str]] = field(default_factory=dict)


def xquad_languages(path: str | Path) -> list[str]:
    p = require_path(path, "XQuAD", EXPECTED)
    codes = sorted(m.group(1) for f in p.iterdir() if (m := _NAME.match(f.name)))
    if not codes:
        raise layout_error(p, "XQuAD", EXPECTED)
    return codes


def read_xquad(path: str | Path, languages=None) -> dict[str, QASet]:
    p = Path(path)
    codes = select_languages(xquad_languages(p), languages, "XQuAD", path=p)
    return {code: _read_one(p / f"xquad.{code}.json", code) for code in codes}


def _read_one(file: Path, code: str) -> QASet:
    try:
        doc = json.loads(file.read_text(encoding="utf-8"))
        passages, questions, answers = {}, {}, {}
        for a, article in enumerate(doc["data"]):
            for j, para in enumerate(article["paragraphs"]):
                pid = f"p{a}_{j}"
                passages[pid] = para["context"]
                for qa in para["qas"]:
                    qid = str(qa["id"])
                    questions[qid] = (qa["question"], pid)
                    first = (qa.get("answers") or [None])[0]
                    if first is not None:
                        start = first["answer_start"]
                        if not isinstance(start, int) or isinstance(start, bool) or start < 0:
                            raise InputError(
                                f"question {qid!r}: answer_start must be an int >= 0. Got {start!r} instead.",
                                path=str(file),
                            )
                        answers[qid] = (start, str(first["text"]))
    except (json.JSONDecodeError, KeyError, TypeError, IndexError) as exc:
        raise InputError(f"not SQuAD v1.1 JSON (data/paragraphs/context/qas): {exc}", path=str(file)) from exc
    return QASet(code, passages, questions, answers)
