"""e5-static against e5-small-int8 (speed) and e5-small (Tatoeba accuracy), in one run.

Builds five students from the same cached teacher pass: model2vec's recipe through our ONNX
graph without whitening (``e5-static-plain``), the default (the same, with the sentence space
whitened on the tokenizer's unigram statistics: no data; ``e5-static``), the default tuned
contrastively on SIB-200 TRAIN pairs ``xx<TAB>English`` (``e5-static-pairs``: no teacher pass,
~2 minutes), the default refined on SIB-200 train, every language's sentences as plain lines,
each fitted to its own teacher vector (``e5-static-sib``), and that one tuned on the pairs as well
(``e5-static-sib-pairs``); never Tatoeba, which is what is reported. Then:

- sentences/s on one thread of e5-static and e5-small-int8 on the 2,000 Tatoeba sentences of
  benchmarks/encode.py, and their ratio (the goal: >= 100x), with the CPU flags (best of
  ``--repeat``: after the first run every word is in the student's word cache);
- a one-pass stream over the other ~58k Tatoeba sentences with the word cache emptied first
  (what a corpus job sees: each new word tokenized once), against the same student tokenizing
  whole texts as it did before the cache;
- many-to-English top-1 accuracy on SIB-200 dev (held out from the refinement: a check, not a
  report);
- Tatoeba margin accuracy over the 80 languages through the evaluation harness, beside
  e5-small's (a record of `interlingua eval tatoeba`) and the anchors potion-multilingual-128M
  (38%) and static-similarity-mrl-multilingual (55%), both from MTEB.

    python benchmarks/static.py --data ../shared/data --out /tmp/static
"""

from __future__ import annotations

import os

os.environ["OMP_NUM_THREADS"] = "1"  # before numpy / onnxruntime start their thread pools
os.environ["TOKENIZERS_PARALLELISM"] = "false"

import argparse  # noqa: E402
import csv  # noqa: E402
import json  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from encode import load_sentences  # noqa: E402
from scale import cpu_flags  # noqa: E402

ANCHORS = {"potion-multilingual-128M": 38.0, "static-similarity-mrl-multilingual": 55.0}
PIVOT = "eng_Latn"


def read_sib(folder: Path, split: str) -> dict[str, dict[str, str]]:
    """language -> index_id -> text, for every language folder of SIB-200's annotated data."""
    out: dict[str, dict[str, str]] = {}
    for lang_dir in sorted((folder / "data" / "annotated").iterdir()):
        path = lang_dir / f"{split}.tsv"
        if path.is_file():
            with path.open(encoding="utf-8", newline="") as fh:
                rows = csv.DictReader(fh, delimiter="\t", quoting=csv.QUOTE_NONE)
                out[lang_dir.name] = {r["index_id"]: " ".join(r["text"].split()) for r in rows if r["text"]}
    if PIVOT not in out:
        sys.exit(f"error: {folder} has no {PIVOT}/{split}.tsv (expected SIB-200's data/annotated layout)")
    return out


def write_pairs(sib: dict[str, dict[str, str]], path: Path) -> int:
    """``xx<TAB>English`` for every other language's sentences: the contrastive fit's pairs."""
    eng = sib[PIVOT]
    lines = [
        f"{text}\t{eng[i]}\n"
        for lang, rows in sib.items()
        if lang != PIVOT
        for i, text in rows.items()
        if i in eng
    ]
    path.write_text("".join(lines), encoding="utf-8")
    return len(lines)


def write_sentences(sib: dict[str, dict[str, str]], path: Path) -> int:
    """Every language's sentences, one a line: each is its own refinement target."""
    lines = [f"{text}\n" for rows in sib.values() for text in rows.values()]
    path.write_text("".join(lines), encoding="utf-8")
    return len(lines)


def udhr_sentences(folder: Path) -> list[str]:
    """UDHR articles of every language, one a line (plain: their own targets)."""
    from interlingua.evaluate.readers import read_udhr

    return [
        f"{' '.join(t.split())}\n"
        for articles in read_udhr(folder).values()
        for t in articles.values()
        if t.strip()
    ]


def sib_dev_accuracy(encoder, sib_dev: dict[str, dict[str, str]]) -> float:
    """Mean over languages of xx->en top-1 accuracy (cosine) among the dev sentences."""
    ids = sorted(sib_dev[PIVOT])
    eng = encoder.encode([sib_dev[PIVOT][i] for i in ids])
    accs = []
    for lang, rows in sib_dev.items():
        if lang == PIVOT or not all(i in rows for i in ids):
            continue
        v = encoder.encode([rows[i] for i in ids])
        accs.append(float(np.mean(np.argmax(v @ eng.T, axis=1) == np.arange(len(ids)))))
    return 100 * float(np.mean(accs))


def speed(encoder, sentences: list[str], repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        t = time.perf_counter()
        encoder.encode(sentences)
        best = min(best, time.perf_counter() - t)
    return len(sentences) / best


def stream(encoder, folder: Path, seen: set[str], batch: int = 4096) -> dict:
    """One pass over every Tatoeba sentence not in the timed 2,000, as a corpus job sees text:
    each word new to the word cache goes through the tokenizer once. The baseline is the same
    student tokenizing whole texts (what it did before the cache), on the same batches."""
    texts = [
        s
        for p in sorted(folder.glob("tatoeba.*-eng.*"))
        if not p.name.endswith(".eng")
        for s in (line.strip() for line in p.read_text(encoding="utf-8").splitlines())
        if s and s not in seen
    ]
    batches = [texts[i : i + batch] for i in range(0, len(texts), batch)]
    t = time.perf_counter()
    for b in batches:  # the student's pooling on the tokenizer's pieces of each whole text
        encs = encoder._tok.encode_batch_fast(b, add_special_tokens=False)
        ids = [e.ids for e in encs]
        encoder._pool(np.fromiter((i for x in ids for i in x), np.int64), np.array([len(x) for x in ids]))
    whole = time.perf_counter() - t
    encoder._pieces.clear()
    t = time.perf_counter()
    for b in batches:
        encoder.encode(b)
    cached = time.perf_counter() - t
    return {
        "sentences": len(texts),
        "tokenizer": round(len(texts) / whole, 1),
        "word_cache": round(len(texts) / cached, 1),
        "ratio": round(whole / cached, 2),
        "words_cached": len(encoder._pieces),
    }


def tatoeba(encoder, data: Path, out: Path) -> dict:
    from interlingua.evaluate import EvalRun, run, save_run

    job = EvalRun.from_dict({"task": "tatoeba", "data": str(data), "scoring": "both", "cache": False})
    record = run(job, space=encoder)
    save_run(record, out)
    return record["result"]["metrics"]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, default=Path("../shared/data"))
    ap.add_argument(
        "--out", type=Path, default=Path("/tmp/static-benchmark"), help="folder for JSON, PNG, runs"
    )
    ap.add_argument("--workers", type=int, default=1, help="teacher processes for the build")
    ap.add_argument("--dim", type=int, default=384)
    ap.add_argument("--ridge", type=float, default=1.0)
    ap.add_argument("--iterations", type=int, default=20)
    ap.add_argument("--pooling", default="mean")
    ap.add_argument("--repeat", type=int, default=3, help="best of N timed runs (int8: 1)")
    ap.add_argument("--e5-record", type=Path, default=Path("/tmp/m13/tatoeba-e5-small.json"))
    ap.add_argument("--skip-tatoeba", action="store_true")
    ap.add_argument("--udhr", action="store_true", help="also refine on UDHR articles")
    ap.add_argument(
        "--skip-refined",
        action="store_true",
        help="no refined student (its teacher pass over ~143k sentences takes ~30-45 min on 2 workers)",
    )
    args = ap.parse_args()

    from interlingua.encoders import StaticEncoder, StaticSpec, build_static, get_encoder

    args.out.mkdir(parents=True, exist_ok=True)
    results: dict = {
        "cpu": cpu_flags(),
        "load": os.getloadavg()[0],
        "args": {k: str(v) for k, v in vars(args).items()},
    }
    base = StaticSpec(dim=args.dim, pooling=args.pooling, workers=args.workers)

    t = time.perf_counter()
    pure_dir = build_static(base)
    results["build_pure_s"] = round(time.perf_counter() - t, 1)
    results["build_pure_meta_s"] = json.loads((pure_dir / "meta.json").read_text())["seconds"]
    plain_dir = build_static(base.replace(whiten=False))
    students = {"e5-static-plain": StaticEncoder(plain_dir), "e5-static": StaticEncoder(pure_dir)}
    sib_train = read_sib(args.data / "sib200", "train")
    parallel = args.out / "sib200-train-pairs.tsv"
    results["pair_lines"] = write_pairs(sib_train, parallel)
    t = time.perf_counter()
    pairs_dir = build_static(base.replace(parallel=str(parallel)))
    results["build_pairs_s"] = round(time.perf_counter() - t, 1)
    results["contrast"] = json.loads((pairs_dir / "meta.json").read_text())["contrast"]
    students["e5-static-pairs"] = StaticEncoder(pairs_dir)
    if not args.skip_refined:
        pairs = args.out / "sib200-train-sentences.txt"
        results["refine_lines"] = write_sentences(sib_train, pairs)
        if args.udhr:
            extra = udhr_sentences(args.data / "udhr")
            with pairs.open("a", encoding="utf-8") as fh:
                fh.writelines(extra)
            results["refine_lines_udhr"] = len(extra)
        t = time.perf_counter()
        refined = base.replace(refine=str(pairs), ridge=args.ridge, iterations=args.iterations)
        refined_dir = build_static(refined)
        results["build_refined_s"] = round(time.perf_counter() - t, 1)
        results["refinement"] = json.loads((refined_dir / "meta.json").read_text())["refinement"]
        students["e5-static-sib"] = StaticEncoder(refined_dir)
        both_dir = build_static(refined.replace(parallel=str(parallel)))  # the teacher pass is cached
        students["e5-static-sib-pairs"] = StaticEncoder(both_dir)
    print(
        f"built {pure_dir} ({results['build_pure_meta_s']} s); on pairs: {results['build_pairs_s']} s; "
        f"refined: {results.get('build_refined_s', '-')} s"
    )

    sentences = load_sentences(args.data / "tatoeba", 2000)
    int8 = get_encoder("e5-small-int8")
    speeds = {name: speed(enc, sentences, args.repeat) for name, enc in students.items()}
    speeds["e5-small-int8"] = speed(int8, sentences, 1)
    results["sentences_per_s"] = {k: round(v, 1) for k, v in speeds.items()}
    results["ratio_vs_int8"] = round(speeds["e5-static"] / speeds["e5-small-int8"], 1)
    print(f"cpu: {results['cpu']}, load {results['load']:.1f}")
    for name, v in speeds.items():
        print(f"  {name:16s} {v:10,.0f} sentences/s (one thread)")
    print(f"  e5-static / e5-small-int8 = {results['ratio_vs_int8']}x")
    results["stream"] = stream(students["e5-static"], args.data / "tatoeba", set(sentences))
    s = results["stream"]
    s["ratio_vs_int8"] = round(s["word_cache"] / speeds["e5-small-int8"], 1)
    print(
        f"  stream of {s['sentences']:,} other Tatoeba sentences, one pass, word cache empty at the start: "
        f"{s['word_cache']:,.0f}/s against {s['tokenizer']:,.0f}/s tokenizing whole texts "
        f"({s['ratio']}x; {s['ratio_vs_int8']}x int8)"
    )

    sib_dev = read_sib(args.data / "sib200", "dev")
    results["sib_dev_acc"] = {
        name: round(sib_dev_accuracy(enc, sib_dev), 2) for name, enc in students.items()
    }
    print(f"SIB-200 dev xx->en top-1 (held out): {results['sib_dev_acc']}")

    if not args.skip_tatoeba:
        tat = {}
        for name, enc in students.items():
            m = tatoeba(enc, args.data / "tatoeba", args.out / f"tatoeba-{name}.json")
            tat[name] = {"acc_margin": round(m["acc_margin"], 2), "acc_cosine": round(m["acc_cosine"], 2)}
        if args.e5_record.is_file():
            m = json.loads(args.e5_record.read_text())["result"]["metrics"]
            tat["e5-small"] = {
                "acc_margin": round(m["acc_margin"], 2),
                "acc_cosine": round(m["acc_cosine"], 2),
            }
        results["tatoeba"] = tat
        print("Tatoeba, 80 languages, margin accuracy (cosine):")
        for name, m in tat.items():
            print(f"  {name:36s} {m['acc_margin']:6.2f}  ({m['acc_cosine']:.2f})")
        for name, acc in ANCHORS.items():
            print(f"  {name:36s} {acc:6.2f}  (MTEB)")
        plot(tat, args.out / "static.png", results["cpu"])

    (args.out / "static.json").write_text(json.dumps(results, indent=2))
    print(f"wrote {args.out / 'static.json'}")


def plot(tat: dict, path: Path, cpu: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = [*tat, *ANCHORS]
    values = [*(m["acc_margin"] for m in tat.values()), *ANCHORS.values()]
    fig, ax = plt.subplots(figsize=(8, 4))
    ax.barh(names, values, color=["tab:blue"] * len(tat) + ["tab:gray"] * len(ANCHORS))
    for i, v in enumerate(values):
        ax.text(v + 0.5, i, f"{v:.1f}", va="center")
    ax.set_xlabel("Tatoeba margin accuracy, 80 languages (%)")
    ax.set_title(f"benchmarks/static.py on {cpu}", fontsize=9)
    ax.invert_yaxis()
    fig.tight_layout()
    fig.savefig(path, dpi=120)


if __name__ == "__main__":
    main()
