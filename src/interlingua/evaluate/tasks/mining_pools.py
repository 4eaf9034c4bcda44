"""Mining pools: per language, true pairs hidden among distractors; F1 at the best threshold and at
the shipped default. Two constructions, chosen by the data folder:

**SIB-200** (``data`` is a SIB-200 folder; the held-out set the shipped defaults are checked on):
per language X, the sentences of one split (``split``, ``test`` by default; the defaults are fit
on ``train``) paired with English by ``index_id`` make a pool as ``interlingua mine calibrate``
makes one (:func:`interlingua.mine.pool_from_pairs`: a third as pairs, a third as X sentences
without their English, a third as English sentences without their X; seed 0). Every distractor is
a FLORES sentence like the pairs, and none has a translation on the other side: precision is
exact. Mining as ``mine`` does it (role ``query``, exact k-NN, k = 4, mode ``max``, the default
filters; :func:`interlingua.mine.score_pool`); per margin (ratio ``margin``, ``distance``, plain
cosine ``cosine``): F1 at the pool's best threshold, at the shipped default, and at the one
threshold that is best on average over the languages (``shared_best_f1``).

**Tatoeba** (``data`` is the Tatoeba folder): 500 true pairs among 10,000 distractors a side.

Construction (per language X of ``languages``; data root: the Tatoeba folder,
``tatoeba.xxx-eng.{xxx,eng}``; and a SIB-200 folder, by default ``sib200`` beside it):

- true pairs: lines ``0 .. pairs-1`` of ``tatoeba.X-eng.X`` and ``.eng``;
- source side: the true X sentences, then X sentences that have no translation on the target
  side: the rest of the X Tatoeba file and every SIB-200 (FLORES) sentence of X. Tatoeba and
  SIB-200 hold about 1,500 such sentences a language, so the side is topped up to
  ``distractors`` with SIB-200 sentences of the languages outside the evaluated ones and English
  (a fixed shuffled sample, the same for every X). Foreign sentences are still distractors for an
  embedding miner, and FLORES's English is not on the target side. (Topping up with other
  languages' Tatoeba sentences was tried first and leaked: Tatoeba's English sentences recur
  across language files as near-paraphrases, "I'm learning Basque." / "I'm learning the Basque
  language.", so the top-up brought hundreds of unlabelled true pairs: precision fell by half.)
- target side: the true English sentences plus ``distractors`` English Tatoeba sentences drawn
  (fixed seed) from the files of languages outside the evaluated ones, without any text equal to
  an English sentence of an evaluated language's file or to another chosen sentence (compared on
  letters and digits only, case folded).

So the only translations present are the gold pairs, up to paraphrases of the X distractors'
English that Tatoeba holds under other wording: precision is a lower bound.
Mining: role ``query``, exact k-NN, k = 4, ratio margin, mode ``max``; F1 at the best threshold
(as in BUCC) and at the encoder's calibrated default threshold, and plain cosine for comparison.
The distractor sets are shared across languages, so the embedding cache encodes them once.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from ...errors import InputError
from ...mine import DEFAULT_THRESHOLDS, KnnOptions, MineOptions, neighbours, select_pairs
from .._task import TaskResult, register_task
from ._mining_common import best_f1, encode_texts

LANGUAGES = ("deu", "fra", "por", "rus", "ara", "heb", "tur", "cmn", "jpn", "kor")
#: margin kind -> the name its metrics carry
SCORINGS = {"ratio": "margin", "distance": "distance", "absolute": "cosine"}
SIB_CODES = {
    "deu": "deu_Latn",
    "fra": "fra_Latn",
    "por": "por_Latn",
    "rus": "rus_Cyrl",
    "ara": "arb_Arab",
    "heb": "heb_Hebr",
    "tur": "tur_Latn",
    "cmn": "zho_Hans",
    "jpn": "jpn_Jpan",
    "kor": "kor_Hang",
    "ukr": "ukr_Cyrl",
    "spa": "spa_Latn",
    "ita": "ita_Latn",
}


def _lines(path: Path) -> list[str]:
    if not path.is_file():
        raise InputError(f"Tatoeba file not found: {path}")
    with open(path, encoding="utf-8") as f:
        return [line.rstrip("\n") for line in f]


def _norm(text: str) -> str:
    """Letters and digits only, case folded: "Who's there?" and "who's there" are one sentence."""
    return "".join(c for c in text.casefold() if c.isalnum())


def _sib_sentences(sib: Path, code: str) -> list[str]:
    out = []
    for split in ("train", "dev", "test"):
        path = sib / "data" / "annotated" / code / f"{split}.tsv"
        if path.is_file():
            out += [line.split("\t", 2)[2] for line in _lines(path)[1:] if line.count("\t") >= 2]
    return out


def build_pools(
    data: Path,
    languages=LANGUAGES,
    *,
    pairs: int = 500,
    distractors: int = 10_000,
    sib200: Path | None = None,
    seed: int = 0,
) -> dict[str, dict[str, Any]]:
    """Per language: ``src`` and ``tgt`` text lists and ``gold`` (src row, tgt row) pairs."""
    files = sorted(p.name.split(".")[1].split("-")[0] for p in data.glob("tatoeba.*-eng.eng"))
    missing = [x for x in languages if x not in files]
    if missing:
        raise InputError(f"No Tatoeba file for {', '.join(missing)} in {data}")
    sib = sib200 if sib200 is not None else data.parent / "sib200"
    if not (sib / "data" / "annotated").is_dir():
        raise InputError(
            f"SIB-200 not found at {sib} (expected data/annotated/<lang>/*.tsv); pass sib200=PATH"
        )
    unknown = [x for x in languages if x not in SIB_CODES]
    if unknown:
        raise InputError(
            f"No SIB-200 code known for {', '.join(unknown)}; known: {', '.join(sorted(SIB_CODES))}"
        )
    rng = np.random.default_rng(seed)
    sides = {
        x: (_lines(data / f"tatoeba.{x}-eng.{x}"), _lines(data / f"tatoeba.{x}-eng.eng")) for x in languages
    }
    evaluated_eng = {_norm(e) for _, es in sides.values() for e in es}
    skip = {SIB_CODES[x].split("_")[0] for x in languages} | {"eng", "zho", "arb"}
    topup = [
        t
        for code in sorted(p.name for p in (sib / "data" / "annotated").iterdir())
        if code.split("_")[0] not in skip
        for t in _sib_sentences(sib, code)
    ]
    topup = [topup[i] for i in rng.permutation(len(topup))[:distractors]]
    pool_eng = [e for x in files if x not in languages for e in _lines(data / f"tatoeba.{x}-eng.eng")]
    chosen, seen = [], set()
    for i in rng.permutation(len(pool_eng)):
        key = _norm(pool_eng[i])
        if key not in evaluated_eng and key not in seen:
            seen.add(key)
            chosen.append(pool_eng[i])
            if len(chosen) == distractors:
                break
    if len(chosen) < distractors:
        raise InputError(
            f"Only {len(chosen)} English distractors available in {data}; asked for {distractors}"
        )
    pools = {}
    for x, (xs, es) in sides.items():
        n = min(pairs, len(xs) // 2)
        own = xs[n:] + _sib_sentences(sib, SIB_CODES[x])
        src = xs[:n] + own[:distractors] + topup[: max(0, distractors - len(own))]
        tgt = es[:n] + chosen
        pools[x] = {
            "src": src,
            "tgt": tgt,
            "gold": {(i, i) for i in range(n)},
            "own_distractors": min(len(own), distractors),
        }
    return pools


def build_sib_pools(
    sib: Path,
    languages=LANGUAGES,
    *,
    split: str = "test",
    pivot: str = "eng_Latn",
    true_share: float = 1 / 3,
    seed: int = 0,
) -> dict[str, Any]:
    """Per language: a :class:`interlingua.mine.Pool` from the split's sentences paired with ``pivot``."""
    from ...mine import pool_from_pairs
    from .._parallel import parallel_texts

    codes = [SIB_CODES.get(x, x) for x in languages]
    texts = parallel_texts(sib, codes, split=split, extra=[pivot])
    piv = texts.pop(pivot) if pivot in texts else None
    if piv is None:
        raise InputError(f"No {pivot} sentences in the {split!r} split of SIB-200", path=str(sib))
    pools = {}
    for code, rows in texts.items():
        ids = [i for i in rows if i in piv]
        pools[code] = pool_from_pairs(
            [rows[i] for i in ids], [piv[i] for i in ids], true_share=true_share, seed=seed
        )
    return pools


def _sib_run(encoder: Any, data: Path, languages, *, split: str, true_share: float, k: int) -> TaskResult:
    from ...mine import f1_at, score_pool, sweep

    pools = build_sib_pools(data, tuple(languages), split=split, true_share=true_share)
    options = MineOptions(knn=KnnOptions(k=k, backend="exact"))
    enc = encoder
    per: dict[str, dict[str, float]] = {}
    scored_all = []
    for code, pool in pools.items():
        enc, src = encode_texts(enc, pool.src)
        _, tgt = encode_texts(enc, pool.tgt)
        scored, _ = score_pool(src, tgt, pool.src, pool.tgt, pool.gold, options)
        scored_all.append(scored)
        row: dict[str, float] = {"gold_pairs": float(len(pool.gold)), "src_rows": float(len(pool.src))}
        for kind, name in SCORINGS.items():
            sc = scored[kind]
            curve = sweep(sc.found, sc.score, sc.n_gold)
            best = int(np.argmax(curve.f1)) if len(curve) else None
            if best is not None:
                r = curve.row(best)
                row.update({f"{name}_{m}": r[m] for m in ("f1", "precision", "recall", "threshold")})
            default = DEFAULT_THRESHOLDS.get((enc.identity, "query"), {}).get(kind)
            if default is not None:
                p, r_, f = (float(v[0]) for v in f1_at(sc.found, sc.score, sc.n_gold, np.array([default])))
                row.update(
                    {f"{name}_default_precision": p, f"{name}_default_recall": r_, f"{name}_default_f1": f}
                )
        per[code] = row
    metrics: dict[str, float] = {}
    for kind, name in SCORINGS.items():
        prefix = "" if name == "margin" else f"{name}_"
        metrics[f"{prefix}f1"] = float(np.mean([r.get(f"{name}_f1", 0.0) for r in per.values()]))
        grid = np.unique(np.concatenate([sc[kind].score for sc in scored_all]))
        mean_f1 = np.mean(
            [f1_at(sc[kind].found, sc[kind].score, sc[kind].n_gold, grid)[2] for sc in scored_all], axis=0
        )
        if len(grid):
            metrics[f"{prefix}shared_best_f1"] = float(mean_f1.max())
            metrics[f"{prefix}shared_best_threshold"] = float(grid[int(np.argmax(mean_f1))])
        if all(f"{name}_default_f1" in r for r in per.values()):
            metrics[f"{prefix}default_threshold_f1"] = float(
                np.mean([r[f"{name}_default_f1"] for r in per.values()])
            )
            metrics[f"{prefix}default_threshold_precision"] = float(
                np.mean([r[f"{name}_default_precision"] for r in per.values()])
            )
    return TaskResult(
        task="mining_pools",
        primary_metric="f1",
        metrics=metrics,
        per_language=per,
        details={"construction": "sib200", "split": split, "true_share": true_share},
        config={
            "encoder": enc.name,
            "k": k,
            "mode": "max",
            "knn": "exact",
            "role": "query",
            "filters": list(options.filters.enabled),
            "languages": list(pools),
        },
    )


@register_task(
    "mining_pools",
    description="Mining pools with distractors (SIB-200 or Tatoeba): F1 at the best and the default threshold",
    default_data="tatoeba",
)
def run(
    encoder: Any,
    data: Path,
    *,
    languages=LANGUAGES,
    pairs: int = 500,
    distractors: int = 10_000,
    sib200: Path | None = None,
    k: int = 4,
    split: str = "test",
    true_share: float = 1 / 3,
) -> TaskResult:
    """``data``: a SIB-200 folder (pools of one ``split``, see the module docstring) or the Tatoeba folder."""
    if (Path(data) / "data" / "annotated").is_dir():
        return _sib_run(encoder, Path(data), languages, split=split, true_share=true_share, k=k)
    pools = build_pools(Path(data), tuple(languages), pairs=pairs, distractors=distractors, sib200=sib200)
    enc = encoder
    per: dict[str, dict[str, float]] = {}
    for x, pool in pools.items():
        enc, src = encode_texts(enc, pool["src"])
        _, tgt = encode_texts(enc, pool["tgt"])
        fwd, bwd, _, _ = neighbours(src, tgt, k, knn="exact")
        row: dict[str, float] = {"own_language_distractors": float(pool["own_distractors"])}
        for kind, name in (("ratio", "margin"), ("absolute", "cosine")):
            c = select_pairs(fwd, bwd, margin=kind, mode="max")
            found = np.array([(s, t) in pool["gold"] for s, t in zip(c.src.tolist(), c.tgt.tolist())])
            p, r, f, thr = best_f1(found, c.score, len(pool["gold"]))
            row.update(
                {f"{name}_f1": f, f"{name}_precision": p, f"{name}_recall": r, f"{name}_threshold": thr}
            )
            default = DEFAULT_THRESHOLDS.get((enc.identity, "query"), {}).get(kind)
            if default is not None:
                kept = c.score >= default
                tp = int(found[kept].sum())
                pd, rd = tp / max(int(kept.sum()), 1), tp / len(pool["gold"])
                row.update(
                    {
                        f"{name}_default_precision": pd,
                        f"{name}_default_recall": rd,
                        f"{name}_default_f1": 2 * pd * rd / (pd + rd) if tp else 0.0,
                    }
                )
        per[x] = row
    metrics = {
        "f1": float(np.mean([r["margin_f1"] for r in per.values()])),
        "cosine_f1": float(np.mean([r["cosine_f1"] for r in per.values()])),
    }
    if all("margin_default_f1" in r for r in per.values()):
        metrics["default_threshold_f1"] = float(np.mean([r["margin_default_f1"] for r in per.values()]))
        metrics["default_threshold_precision"] = float(
            np.mean([r["margin_default_precision"] for r in per.values()])
        )
    return TaskResult(
        task="mining_pools",
        primary_metric="f1",
        metrics=metrics,
        per_language=per,
        details={"pairs": pairs, "distractors": distractors},
        config={
            "encoder": enc.name,
            "k": k,
            "mode": "max",
            "knn": "exact",
            "role": "query",
            "languages": list(languages),
        },
    )
