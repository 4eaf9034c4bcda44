"""Tokenizer fertility: tokens per word and the share of words split into several tokens, per
language. Words are runs of word characters (apostrophes split them), except that every Han or
kana character counts as a word; Thai / Lao / Khmer / Myanmar runs stay whole, since they need
dictionary segmentation, so their fertility reads high."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ...errors import InputError
from .._parallel import dataset_kind, parallel_texts
from .._task import TaskResult, register_task
from ..readers import read_tatoeba

_WORD = None


def _words(text: str) -> list[tuple[int, int]]:
    """Runs of word characters; each Han or kana character is a word of its own."""
    global _WORD
    if _WORD is None:
        import regex

        cjk = r"\p{Han}\p{Hiragana}\p{Katakana}"
        _WORD = regex.compile(rf"[{cjk}]|[^\W{cjk}]+")
    return [m.span() for m in _WORD.finditer(text)]


def load_tokenizer(ref, encoder=None):
    """A function ``texts -> [[(start, end), ...] token offsets]`` for an encoder (its own tokenizer),
    an encoder name, or a ``tokenizer.json`` path."""
    from tokenizers import Tokenizer

    if isinstance(ref, str) and ref.endswith(".json"):
        if not Path(ref).is_file():
            raise InputError("The tokenizer file does not exist.", path=ref)
        tok = Tokenizer.from_file(ref)
    else:
        if isinstance(ref, str):
            from ...encoders import get_encoder

            encoder = get_encoder(ref)
        tok = getattr(getattr(encoder, "encoder", encoder), "_tok", None)
        if tok is None:
            raise InputError(f"Encoder {encoder.name!r} exposes no tokenizer to measure.")
        if not isinstance(tok, Tokenizer):  # a Hugging Face fast tokenizer
            if not getattr(tok, "is_fast", False):
                raise InputError(f"Encoder {encoder.name!r} has a slow tokenizer without character offsets.")
            return lambda texts: [
                list(map(tuple, o))
                for o in tok(texts, add_special_tokens=False, return_offsets_mapping=True, verbose=False)[
                    "offset_mapping"
                ]
            ]
        tok = Tokenizer.from_str(tok.to_str())  # a copy: truncation off without touching the encoder's
    tok.no_truncation()
    return lambda texts: [e.offsets for e in tok.encode_batch(texts, add_special_tokens=False)]


def fertility_stats(texts: list[str], tokenize) -> dict[str, float]:
    words = tokens = split = 0
    for text, offs in zip(texts, tokenize(texts)):
        spans = _words(text)
        starts = np.array([s for s, e in offs if e > s], dtype=np.int64)
        ends = np.array([e for s, e in offs if e > s], dtype=np.int64)
        for ws, we in spans:
            n = int(np.sum((starts < we) & (ends > ws)))
            tokens += n
            split += n > 1
        words += len(spans)
    if not words:
        return {"tokens_per_word": float("nan"), "split_words_pct": float("nan"), "words": 0.0}
    return {"tokens_per_word": tokens / words, "split_words_pct": 100 * split / words, "words": float(words)}


@register_task(
    "fertility",
    description="Tokens per word and % of words split, per language and tokenizer.",
    default_data="sib200",
)
def fertility(
    encoder, data: Path, *, languages=None, tokenizers=None, split: str = "dev", limit: int | None = None
) -> TaskResult:
    if dataset_kind(data) == "tatoeba":
        texts = {s.code: s.source[:limit] for s in read_tatoeba(data, languages)}
    else:
        texts = {
            c: list(rows.values())
            for c, rows in parallel_texts(data, languages, split=split, limit=limit).items()
        }
    refs = [encoder] + [t for t in (tokenizers or []) if t != encoder.name]
    names = [encoder.name] + [str(t) for t in refs[1:]]
    per_language: dict[str, dict[str, float]] = {c: {} for c in texts}
    for j, (ref, name) in enumerate(zip(refs, names)):
        tokenize = load_tokenizer(ref, encoder) if j == 0 else load_tokenizer(ref)
        suffix = "" if j == 0 else f"@{name}"
        for c, ts in texts.items():
            st = fertility_stats(ts, tokenize)
            per_language[c][f"tokens_per_word{suffix}"] = st["tokens_per_word"]
            per_language[c][f"split_words_pct{suffix}"] = st["split_words_pct"]
    keys = list(next(iter(per_language.values())))
    metrics = {k: float(np.nanmean([r[k] for r in per_language.values()])) for k in keys}
    metrics["n_languages"] = float(len(per_language))
    return TaskResult(
        task="fertility",
        primary_metric="tokens_per_word",
        metrics=metrics,
        per_language=per_language,
        details={"tokenizers": names, "words": "runs of word characters; one word per Han/kana character"},
        config={"languages": list(texts), "tokenizers": names, "split": split, "limit": limit},
    )
