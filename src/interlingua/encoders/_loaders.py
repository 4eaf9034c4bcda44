"""What the user-model loaders (sentence-transformers, transformers, ONNX) share: role prefixes,
token rows that cover the text, and the token limit a model really has."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from .._validation import check_choice, check_int

POOLINGS: tuple[str, ...] = ("mean", "cls")


@dataclass(frozen=True)
class LoaderOptions:
    """What the transformers and ONNX loaders take beside the model's files (checked once)."""

    name: str | None = None
    pooling: str = "mean"
    pooling_from: str = "as asked"
    max_tokens: int | None = None
    device: str = "cpu"
    query_prefix: str = ""
    passage_prefix: str = ""
    threads: int | None = None
    batch_size: int | None = None
    source: str = ""

    def __post_init__(self) -> None:
        check_choice(self.pooling, POOLINGS, "pooling")
        for name in ("threads", "batch_size", "max_tokens"):
            if getattr(self, name) is not None:
                check_int(getattr(self, name), name, low=1)

    def label(self, path: Any) -> str:
        return self.name or str(path)

    def prefix(self, role: str) -> str:
        return prefix_for(role, str(self.query_prefix), str(self.passage_prefix))


def prefix_for(role: str, query_prefix: str, passage_prefix: str) -> str:
    return query_prefix if role == "query" else passage_prefix


def text_rows(offsets: np.ndarray, keep: np.ndarray, prefix_len: int) -> tuple[np.ndarray, np.ndarray]:
    """Rows of a tokenized ``prefix + text`` that cover the text, and their offsets into the text.

    ``keep`` marks real (not special, not padding) tokens. Tokens wholly inside the prefix are
    dropped; a token straddling the prefix end is clipped to start at the text.
    """
    offsets = np.asarray(offsets, dtype=np.int64).reshape(-1, 2)
    keep = np.asarray(keep, dtype=bool) & (offsets[:, 1] > offsets[:, 0]) & (offsets[:, 1] > prefix_len)
    rows = np.flatnonzero(keep)
    out = offsets[rows] - prefix_len
    out[:, 0] = np.maximum(out[:, 0], 0)
    return rows, out


def model_max_length(declared: Any, config: dict[str, Any] | None, user: int | None) -> int:
    """The token limit: the tokenizer's declared one when real, else the model's positions; lowered by ``user``."""
    limits = []
    if isinstance(declared, int) and 0 < declared < 1_000_000:
        limits.append(declared)
    elif config and isinstance(config.get("max_position_embeddings"), int):
        positions = config["max_position_embeddings"]
        # RoBERTa-family models reserve padding_idx + 1 positions (514 -> 512)
        if config.get("model_type") in ("roberta", "xlm-roberta", "camembert", "longformer", "mpnet"):
            positions -= int(config.get("pad_token_id") or 1) + 1
        limits.append(positions)
    if user is not None:
        limits.append(user)
    return min(limits) if limits else 512
