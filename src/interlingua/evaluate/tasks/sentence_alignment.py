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
(``1-2``; the same as splitting a target sentence in two), half each; with ``p_merge3`` (0 by
default) three units into one sentence (``3-1`` or ``1-3``); with ``p_split`` (0 by default)
cut one side's sentence in two at a random word (``2-1`` / ``1-2`` with uneven pieces, as two
segmenters disagree on a real document); otherwise keep the
unit as ``1-1``. Merged sentences are the two sentences joined by a space. With ``p_block``
(0 by default), a unit may also start a run of ``block_len`` units whose target (or source)
side is missing, as an untranslated passage of a real document is (vecalign's de-fr dev
gold: one run of 36 French sentences and 4 single ones among 554).

**Metric**: strict precision, recall and F1 over links, as in vecalign's scoring: a predicted
link counts only when its source and target index tuples both equal a gold link's.
Deletions are links too (``f1``); ``f1_nonnull`` leaves 1-0 and 0-1 links out of both sides.
Per pair the scores are micro-averaged over the ``docs`` documents; ``f1`` in ``metrics`` is
the mean over pairs. :func:`vecalign_scores` gives vecalign's strict and lax precision, recall
and F1 (its ``score.py``, after Véronis & Langlais's ARCADE measures) for gold files in its
``[0, 1]:[2]`` format (:func:`read_vecalign_links`).

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


def vecalign_scores(gold: Sequence[Sequence[Any]], pred: Sequence[Sequence[Any]]) -> dict[str, float]:
    """Strict and lax precision, recall and F1 over several documents, as vecalign's ``score.py``.

    ``gold[d]`` and ``pred[d]`` are the links of document ``d`` (``Alignment`` objects or
    ``(src, tgt)`` index tuples). Precision counts predicted links: strict when equal to a gold
    link, lax when a source sentence of it is linked in the gold to one of its target sentences
    (an unaligned prediction is lax-correct only when strictly correct). Recall is the same
    count with the roles swapped and 1-0 / 0-1 links left out of both sides.
    """
    p = [0, 0, 0, 0]
    r = [0, 0, 0, 0]
    for g, t in zip(gold, pred):
        gk, tk = [_key(a) for a in g], [_key(a) for a in t]
        p = [a + b for a, b in zip(p, _hits(gk, tk))]
        r = [
            a + b
            for a, b in zip(r, _hits([x for x in tk if x[0] and x[1]], [x for x in gk if x[0] and x[1]]))
        ]
    out = {}
    for kind, (i, j) in (("strict", (0, 1)), ("lax", (2, 3))):
        prec = p[i] / (p[i] + p[j]) if p[i] + p[j] else 0.0
        rec = r[i] / (r[i] + r[j]) if r[i] + r[j] else 0.0
        out[f"precision_{kind}"], out[f"recall_{kind}"] = prec, rec
        out[f"f1_{kind}"] = 2 * prec * rec / (prec + rec) if prec + rec else 0.0
    return out


def _hits(gold: Sequence[Link], pred: Sequence[Link]) -> tuple[int, int, int, int]:
    """``(strict hits, strict misses, lax hits, lax misses)`` of ``pred`` against ``gold``."""
    g = {x for x in gold if x[0] or x[1]}
    linked: dict[int, set[int]] = {}
    for s, t in g:
        for i in s:
            linked.setdefault(i, set()).update(t)
    counts = [0, 0, 0, 0]
    for s, t in {x for x in pred if x[0] or x[1]}:
        if (s, t) in g:
            counts[0] += 1
            counts[2] += 1
            continue
        counts[1] += 1
        if set(t) & {j for i in s for j in linked.get(i, ())}:
            counts[2] += 1
        else:
            counts[3] += 1
    return counts[0], counts[1], counts[2], counts[3]


def read_vecalign_links(path: str | Path) -> list[Link]:
    """A gold file in vecalign's format: one ``[0, 1]:[2]`` link a line (``[]`` for none)."""
    import ast

    links: list[Link] = []
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                a, b = line.strip().split(":")
                links.append((tuple(ast.literal_eval(a)), tuple(ast.literal_eval(b))))
            except (ValueError, SyntaxError):
                raise InputError("a link is [i, ...]:[j, ...]", path=str(path), line=n) from None
    return links


def unaligned(links: Sequence[Any]) -> int:
    """How many sentences the links leave unaligned (the sentences of 1-0 and 0-1 links)."""
    return sum(len(s) + len(t) for s, t in map(_key, links) if not s or not t)


def perturb(
    units: Sequence[tuple[str, str]],
    *,
    p_delete: float = 0.1,
    p_merge: float = 0.1,
    seed: int = 0,
    p_block: float = 0.0,
    block_len: int = 10,
    p_merge3: float = 0.0,
    p_split: float = 0.0,
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
        elif r < p_delete + p_merge + p_merge3 and i + 2 < len(units):
            three = units[i : i + 3]
            if r < p_delete + p_merge + p_merge3 / 2:  # 3-1: three source sentences, one target
                gold.append((tuple(range(len(src), len(src) + 3)), (len(tgt),)))
                src += [u[0] for u in three]
                tgt.append(" ".join(u[1] for u in three))
            else:
                gold.append(((len(src),), tuple(range(len(tgt), len(tgt) + 3))))
                src.append(" ".join(u[0] for u in three))
                tgt += [u[1] for u in three]
            i += 3
        elif p_delete + p_merge + p_merge3 + p_block <= r < p_delete + p_merge + p_merge3 + p_block + p_split:
            on_src = rng.random() < 0.5  # this side's segmenter cut the sentence where the other did not
            a, b = _cut(s if on_src else t, rng)
            if on_src:
                gold.append(((len(src), len(src) + 1), (len(tgt),)))
                src += [a, b]
                tgt.append(t)
            else:
                gold.append(((len(src),), (len(tgt), len(tgt) + 1)))
                src.append(s)
                tgt += [a, b]
            i += 1
        elif p_delete + p_merge + p_merge3 <= r < p_delete + p_merge + p_merge3 + p_block:
            on_src = rng.random() < 0.5  # the passage exists on this side only
            for s_, t_ in units[i : i + block_len]:
                if on_src:
                    gold.append(((len(src),), ()))
                    src.append(s_)
                else:
                    gold.append(((), (len(tgt),)))
                    tgt.append(t_)
            i += block_len
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
    p_block: float = 0.0,
    block_len: int = 10,
    p_merge3: float = 0.0,
    p_split: float = 0.0,
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
    p_block = check_float(p_block, "p_block", low=0.0, high=0.2)
    p_merge3 = check_float(p_merge3, "p_merge3", low=0.0, high=0.5)
    p_split = check_float(p_split, "p_split", low=0.0, high=0.5)
    block_len = check_int(block_len, "block_len", low=1)
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
        counts = {"all": [0, 0, 0], "nonnull": [0, 0, 0], "unaligned": [0, 0]}
        for d in range(docs):
            src, tgt, gold = perturb(
                units,
                p_delete=p_delete,
                p_merge=p_merge,
                seed=seed + d,
                p_block=p_block,
                block_len=block_len,
                p_merge3=p_merge3,
                p_split=p_split,
            )
            pred = align_window_embeddings(
                embed_windows(src, max_size=max_size, encode=encode),
                embed_windows(tgt, max_size=max_size, encode=encode),
                **align_opts,
            )
            for key, nonnull in (("all", False), ("nonnull", True)):
                counts[key] = [a + b for a, b in zip(counts[key], alignment_f1(pred, gold, nonnull=nonnull))]
            counts["unaligned"] = [
                counts["unaligned"][0] + unaligned(pred),
                counts["unaligned"][1] + unaligned(gold),
            ]
        tp, n_pred, n_gold = counts["all"]
        per_pair[f"{source}-{lang}"] = {
            "f1": _f1(tp, n_pred, n_gold),
            "precision": tp / n_pred if n_pred else 0.0,
            "recall": tp / n_gold if n_gold else 0.0,
            "f1_nonnull": _f1(*counts["nonnull"]),
            "gold_links": float(n_gold),
            "unaligned": float(counts["unaligned"][0]),
            "gold_unaligned": float(counts["unaligned"][1]),
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
        "p_block": p_block,
        "block_len": block_len,
        "p_merge3": p_merge3,
        "p_split": p_split,
        "max_size": max_size,
        **align_opts,
    }
    return TaskResult("sentence_alignment", "f1", metrics, per_pair, details=details, config=config)


def _cut(text: str, rng: random.Random) -> tuple[str, str]:
    """Two pieces of ``text`` cut at a random word (or, without spaces, character) boundary."""
    words = text.split()
    if len(words) >= 2:
        k = rng.randint(1, len(words) - 1)
        return " ".join(words[:k]), " ".join(words[k:])
    k = rng.randint(1, max(1, len(text) - 1))
    return text[:k], text[k:]


def _f1(tp: int, n_pred: int, n_gold: int) -> float:
    return 2 * tp / (n_pred + n_gold) if n_pred + n_gold else 0.0


def _key(a: Any) -> Link:
    if hasattr(a, "src"):
        return tuple(a.src), tuple(a.tgt)
    return tuple(a[0]), tuple(a[1])


def parallel_units(data: str | Path, source: str, lang: str, split: str = "test") -> list[tuple[str, str]]:
    """The (source, target) sentence pairs of one SIB-200 split in ``index_id`` order."""
    return _units("sib200", Path(data), source, lang, split)[0]


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
