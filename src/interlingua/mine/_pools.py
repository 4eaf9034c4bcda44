"""Mining pools from a parallel sample: translation pairs hidden among sentences that have none.

A threshold is only meaningful on data where most candidates are wrong, as in real mining. From
a sample of ``n`` translation pairs (row ``i`` of one side translates row ``i`` of the other):

- pairs whose source or target text occurs twice (letters and digits, case folded) are dropped,
  since a repeated sentence would make a second, unlabelled true pair;
- the rest is shuffled (seeded); the first ``true_share`` of it stays as pairs (the gold); of
  what remains, one half gives sources without their targets, the other half targets without
  their sources. Every distractor is a sentence of the same kind as the pairs, so the pool is
  as hard as the user's data, and none has a translation on the other side;
- with distractor corpora given instead, every pair of the sample is gold and the distractors
  are added to their side (they must hold no translation of the other side: that is the
  caller's promise).

Each side is shuffled on its own, so that a pair's rows differ on the two sides.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ..errors import InputError

#: fewer gold pairs than this give a threshold too noisy to be worth storing
MIN_GOLD = 10


@dataclass(frozen=True)
class Pool:
    """Two sides of texts and the gold ``(src row, tgt row)`` pairs; ``dropped`` counts the sample
    pairs left out as repeated."""

    src: list[str]
    tgt: list[str]
    gold: frozenset[tuple[int, int]]
    dropped: int = 0

    def describe(self) -> dict[str, int]:
        return {
            "gold_pairs": len(self.gold),
            "src_rows": len(self.src),
            "tgt_rows": len(self.tgt),
            "dropped_repeats": self.dropped,
        }


def norm_text(text: str) -> str:
    """Letters and digits only, case folded: "Who's there?" and "who's there" are one sentence."""
    return "".join(c for c in text.casefold() if c.isalnum())


def pool_from_pairs(
    src_texts: Sequence[str],
    tgt_texts: Sequence[str],
    *,
    true_share: float = 1 / 3,
    seed: int = 0,
    src_distractors: Sequence[str] | None = None,
    tgt_distractors: Sequence[str] | None = None,
) -> Pool:
    """A :class:`Pool` from a line-aligned parallel sample (see the module docstring)."""
    if len(src_texts) != len(tgt_texts):
        raise InputError(
            f"A parallel sample needs one target a source: got {len(src_texts):,} sources and "
            f"{len(tgt_texts):,} targets."
        )
    if not 0.0 < true_share <= 1.0:
        raise InputError(f"The 'true_share' parameter must be in (0, 1]. Got {true_share!r} instead.")
    s_keys = [norm_text(t) for t in src_texts]
    t_keys = [norm_text(t) for t in tgt_texts]
    s_count: dict[str, int] = {}
    t_count: dict[str, int] = {}
    for a, b in zip(s_keys, t_keys):
        s_count[a] = s_count.get(a, 0) + 1
        t_count[b] = t_count.get(b, 0) + 1
    rows = [
        i for i, (a, b) in enumerate(zip(s_keys, t_keys)) if a and b and s_count[a] == 1 and t_count[b] == 1
    ]
    dropped = len(src_texts) - len(rows)
    rng = np.random.default_rng(seed)
    order = [rows[i] for i in rng.permutation(len(rows))]
    given = src_distractors is not None or tgt_distractors is not None
    if given:
        gold_rows, src_only, tgt_only = order, [], []
    else:
        n_true = int(round(len(order) * true_share))
        rest = order[n_true:]
        gold_rows, src_only, tgt_only = order[:n_true], rest[: len(rest) // 2], rest[len(rest) // 2 :]
    if len(gold_rows) < MIN_GOLD:
        raise InputError(
            f"The parallel sample gives {len(gold_rows)} gold pairs ({len(src_texts):,} lines, {dropped} left out as "
            f"repeated); at least {MIN_GOLD} are needed, a few hundred for a stable threshold."
        )
    src = [src_texts[i] for i in gold_rows + src_only]
    tgt = [tgt_texts[i] for i in gold_rows + tgt_only]
    if given:
        used_s, used_t = set(s_keys), set(t_keys)
        src += [t for t in (src_distractors or ()) if norm_text(t) not in used_s]
        tgt += [t for t in (tgt_distractors or ()) if norm_text(t) not in used_t]
    s_perm, t_perm = rng.permutation(len(src)), rng.permutation(len(tgt))
    s_pos, t_pos = np.argsort(s_perm), np.argsort(t_perm)
    gold = frozenset((int(s_pos[i]), int(t_pos[i])) for i in range(len(gold_rows)))
    return Pool([src[i] for i in s_perm], [tgt[i] for i in t_perm], gold, dropped)


__all__ = ["MIN_GOLD", "Pool", "norm_text", "pool_from_pairs"]
