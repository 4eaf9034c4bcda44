"""Sentence alignment: strict F1 of the links found in document pairs with a planted alignment.

**Documents.** Parallel units in their order: SIB-200 (``data`` is the ``sib200`` folder;
the sentences of one split, ``test`` by default, ordered by ``index_id``, paired by
``index_id``) or UDHR (``data`` is the ``udhr`` folder; the paragraphs of the preamble and of
each article, paired by article number and position, in articles whose paragraph counts
agree in both languages; other articles are left out and counted in ``details``).

**Perturbation** (seeded by ``seed + doc``): walk the units; with probability ``p_delete`` drop
the target side of a unit (gold ``1-0``) or the source side (``0-1``), half each; with
probability ``p_merge`` join this unit and the next into one sentence on the target side
(gold ``2-1``: two source sentences against one target sentence) or on the source side
(``1-2``; the same as splitting a target sentence in two), half each; otherwise keep the
unit as ``1-1``. Merged sentences are the two sentences joined by a space.

**Metric**: strict precision, recall and F1 over links, as in vecalign's scoring: a predicted
link counts only when its source and target index tuples both equal a gold link's.
Deletions are links too (``f1``); ``f1_nonnull`` leaves 1-0 and 0-1 links out of both sides.
Per pair the scores are micro-averaged over the ``docs`` documents; ``f1`` in ``metrics`` is
the mean over pairs.

Reproduce: ``run(get_encoder("e5-small"), Path("../shared/data/sib200"))`` or through the
project's evaluation command with task ``sentence_alignment``.
"""

from __future__ import annotations

import random
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ..._validation import check_float, check_int
from ...errors import InputError
from .._task import TaskResult, register_task

SIB_LANGS = ("deu_Latn", "fra_Latn", "zho_Hans", "arb_Arab", "hin_Deva", "swh_Latn")
UDHR_LANGS = ("deu_1996", "fra", "cmn_hans", "arb", "hin", "swh")
Link = tuple[tuple[int, ...], tuple[int, ...]]


def alignment_f1(pred: Sequence[Any], gold: Sequence[Any], *, nonnull: bool = False) -> tuple[int, int, int]:
    """``(true positives, predicted, gold)`` counts of strict link matches.

    Links are ``Alignment`` objects or ``(src_indices, tgt_indices)`` pairs.
    """
    p, g = {_key(a) for a in pred}, {_key(a) for a in gold}
    if nonnull:
        p = {x for x in p if x[0] and x[1]}
        g = {x for x in g if x[0] and x[1]}
    return len(p & g), len(p), len(g)


def perturb(
    units: Sequence[tuple[str, str]], *, p_delete: float = 0.1, p_merge: float = 0.1, seed: int = 0
) -> tuple[list[str], list[str], list[Link]]:
    """Source sentences, target sentences and gold links (see the module docstring)."""
    rng = random.Random(seed)
    src: list[str] = []
    tgt: list[str] = []
    gold: list[Link] = []
    i = 0
    while i < len(units):
        r = rng.random()
        s, t = units[i]
        if r < p_delete:
            if r < p_delete / 2:
                gold.append(((len(src),), ()))
                src.append(s)
            else:
                gold.append(((), (len(tgt),)))
                tgt.append(t)
            i += 1
        elif r < p_delete + p_merge and i + 1 < len(units):
            s2, t2 = units[i + 1]
            if r < p_delete + p_merge / 2:
                gold.append(((len(src), len(src) + 1), (len(tgt),)))
                src += [s, s2]
                tgt.append(f"{t} {t2}")
            else:
                gold.append(((len(src),), (len(tgt), len(tgt) + 1)))
                src.append(f"{s} {s2}")
                tgt += [t, t2]
            i += 2
        else:
            gold.append(((len(src),), (len(tgt),)))
            src.append(s)
            tgt.append(t)
            i += 1
    return src, tgt, gold


@register_task(
    "sentence_alignment",
    description="Strict F1 of sentence alignment on SIB-200 or UDHR documents with planted deletions and merges",
    default_data="sib200",
)
def run(
    encoder: Any,
    data: Path,
    *,
    languages: Sequence[str] | None = None,
    source: str | None = None,
    split: str = "test",
    docs: int = 3,
    seed: int = 0,
    p_delete: float = 0.1,
    p_merge: float = 0.1,
    max_size: int = 3,
    del_factor: float | None = None,
    del_penalty: float | None = None,
    search: str = "auto",
) -> TaskResult:
    """``languages``: target codes as the corpus names them (SIB-200 ``deu_Latn``, UDHR ``deu_1996``),
    each aligned with ``source`` (``eng_Latn`` / ``eng``)."""
    from ...mine import align_window_embeddings, embed_windows
    from .._embed import embed_texts

    data = Path(data)
    corpus = "udhr" if (data / "data" / "udhr").is_dir() or (data / "index.xml").is_file() else "sib200"
    source = source or ("eng_Latn" if corpus == "sib200" else "eng")
    langs = tuple(languages or (SIB_LANGS if corpus == "sib200" else UDHR_LANGS))
    docs = check_int(docs, "docs", low=1)
    seed = check_int(seed, "seed", low=0)
    p_delete = check_float(p_delete, "p_delete", low=0.0, high=0.5)
    p_merge = check_float(p_merge, "p_merge", low=0.0, high=0.5)
    max_size = check_int(max_size, "max_size", low=1, high=8)
    align_opts: dict[str, Any] = {"search": search}
    if del_factor is not None:
        align_opts["del_factor"] = del_factor
    if del_penalty is not None:
        align_opts["del_penalty"] = del_penalty

    def encode(texts: list[str]):
        return embed_texts(encoder, texts, "query", desc="align")

    per_pair: dict[str, dict[str, float]] = {}
    details: dict[str, Any] = {"corpus": corpus, "units": {}, "skipped_articles": {}}
    for lang in langs:
        units, skipped = _units(corpus, data, source, lang, split)
        details["units"][f"{source}-{lang}"] = len(units)
        if corpus == "udhr":
            details["skipped_articles"][f"{source}-{lang}"] = skipped
        counts = {"all": [0, 0, 0], "nonnull": [0, 0, 0]}
        for d in range(docs):
            src, tgt, gold = perturb(units, p_delete=p_delete, p_merge=p_merge, seed=seed + d)
            pred = align_window_embeddings(
                embed_windows(src, max_size=max_size, encode=encode),
                embed_windows(tgt, max_size=max_size, encode=encode),
                **align_opts,
            )
            for key, nonnull in (("all", False), ("nonnull", True)):
                counts[key] = [a + b for a, b in zip(counts[key], alignment_f1(pred, gold, nonnull=nonnull))]
        tp, n_pred, n_gold = counts["all"]
        per_pair[f"{source}-{lang}"] = {
            "f1": _f1(tp, n_pred, n_gold),
            "precision": tp / n_pred if n_pred else 0.0,
            "recall": tp / n_gold if n_gold else 0.0,
            "f1_nonnull": _f1(*counts["nonnull"]),
            "gold_links": float(n_gold),
        }
    metrics = {
        "f1": sum(v["f1"] for v in per_pair.values()) / len(per_pair),
        "f1_nonnull": sum(v["f1_nonnull"] for v in per_pair.values()) / len(per_pair),
    }
    config = {
        "corpus": corpus,
        "source": source,
        "langs": list(langs),
        "split": split,
        "docs": docs,
        "seed": seed,
        "p_delete": p_delete,
        "p_merge": p_merge,
        "max_size": max_size,
        **align_opts,
    }
    return TaskResult("sentence_alignment", "f1", metrics, per_pair, details=details, config=config)


def _f1(tp: int, n_pred: int, n_gold: int) -> float:
    return 2 * tp / (n_pred + n_gold) if n_pred + n_gold else 0.0


def _key(a: Any) -> Link:
    if hasattr(a, "src"):
        return tuple(a.src), tuple(a.tgt)
    return tuple(a[0]), tuple(a[1])


def _units(corpus: str, data: Path, source: str, lang: str, split: str) -> tuple[list[tuple[str, str]], int]:
    if corpus == "sib200":
        a, b = _sib(data, source, split), _sib(data, lang, split)
        ids = sorted((k for k in a if k in b), key=lambda k: (len(k), k))
        return [(a[k], b[k]) for k in ids], 0
    folder = data / "data" / "udhr" if (data / "data" / "udhr").is_dir() else data
    a, b = _udhr(folder, source), _udhr(folder, lang)
    units: list[tuple[str, str]] = []
    skipped = 0
    for key, paras in a.items():
        other = b.get(key)
        if other is None or len(other) != len(paras):
            skipped += 1
            continue
        units += list(zip(paras, other))
    return units, skipped


def _sib(data: Path, code: str, split: str) -> dict[str, str]:
    path = data / "data" / "annotated" / code / f"{split}.tsv"
    if not path.is_file():
        raise InputError(f"no SIB-200 file for language {code!r} and split {split!r}", path=str(path))
    out: dict[str, str] = {}
    with open(path, encoding="utf-8") as f:
        next(f, None)
        for line in f:
            parts = line.rstrip("\n").split("\t")
            if len(parts) >= 3 and parts[2].strip():
                out[parts[0]] = parts[2].strip()
    return out


def _udhr(folder: Path, code: str) -> dict[str, list[str]]:
    """Paragraphs of the preamble (key ``"preamble"``) and of each article (key: its number)."""
    path = folder / f"udhr_{code}.xml"
    if not path.is_file():
        raise InputError(f"no UDHR text for {code!r}", path=str(path))
    root = ET.parse(path).getroot()
    ns = root.tag.split("}")[0] + "}" if root.tag.startswith("{") else ""
    out: dict[str, list[str]] = {}
    for part in root:
        tag = part.tag[len(ns) :]
        if tag not in ("preamble", "article"):
            continue
        key = "preamble" if tag == "preamble" else part.get("number", "")
        paras = [" ".join("".join(p.itertext()).split()) for p in part.iter(f"{ns}para")]
        out[key] = [p for p in paras if p]
    return out
