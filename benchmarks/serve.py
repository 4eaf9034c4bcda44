"""The HTTP server against the library in the same run: embeddings over HTTP against in-process
encoding, search on a large collection with many concurrent clients against in-process search,
and a soak that watches the server's memory.

The server is a real ``interlingua serve`` process (one encoding thread per request, like the
library here: OMP_NUM_THREADS=1); the clients are asyncio + httpx in this process, so on a small
machine they compete with the server for the same cores, as a load balancer or an application
on the same host would.

- embed: ``--embed-texts`` Tatoeba sentences in batches of ``--batch`` through ``space.encode``
  (no cache) and through ``POST /v1/embeddings`` (base64 and float), one request at a time;
- search: ``--docs`` SIB-200 sentences (every other language, all splits) in one collection,
  queried by ``--queries`` Tatoeba sentences in 80 languages with the default options (hybrid,
  k=10): in process, one query at a time, and over HTTP from ``--clients`` concurrent clients
  (p50, p99, errors, queries/s);
- soak: ``--soak`` seconds of mixed search and embedding requests from the same clients, the
  server's RSS sampled every ``--sample`` seconds (start, end, change).

    python benchmarks/serve.py --data ../shared/data --work /tmp/serve-bench --out /tmp/serve-bench/report

The collection is built once in ``--work`` (its vectors come through the embedding cache) and
reused by later runs. Results: ``report.json`` and ``report.png`` (latency histogram, RSS).
"""

from __future__ import annotations

import os

os.environ["OMP_NUM_THREADS"] = "1"  # before numpy / faiss / onnxruntime load their thread pools

import argparse  # noqa: E402
import asyncio  # noqa: E402
import json  # noqa: E402
import random  # noqa: E402
import socket  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

COLLECTION = "sib"


def cpu_flags() -> str:
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return "unknown"
    flags = set(next((ln.split(":", 1)[1].split() for ln in text.splitlines() if ln.startswith("flags")), []))
    shown = [f for f in ("avx2", "avx512f", "avx512_vnni", "avx_vnni", "amx_tile") if f in flags]
    return ", ".join(shown) or "no AVX2"


# -- data -------------------------------------------------------------------------------------------
def sib_documents(data: Path, limit: int) -> list[dict]:
    from interlingua.evaluate.readers import read_sib200, sib200_languages

    langs = sib200_languages(data / "sib200")[::2]
    docs: list[dict] = []
    for code, splits in read_sib200(data / "sib200", langs, splits=("train", "dev", "test")).items():
        for split, rows in splits.items():
            docs += [
                {
                    "id": f"{code}-{split}-{r.index_id}",
                    "text": r.text,
                    "lang": code,
                    "meta": {"topic": r.category},
                }
                for r in rows
            ]
        if len(docs) >= limit:
            break
    return docs[:limit]


def tatoeba_sentences(data: Path, n: int, *, offset: int = 0) -> list[str]:
    files = sorted((data / "tatoeba").glob("tatoeba.*-eng.*"))
    files = [f for f in files if not f.name.endswith(".eng")]
    per = max(1, n // len(files) + 1)
    out: list[str] = []
    for f in files:
        lines = f.read_text(encoding="utf-8").splitlines()
        out += [t for t in lines[offset : offset + per] if t.strip()]
    random.Random(0).shuffle(out)
    return out[:n]


def build_collection(work: Path, docs: list[dict]) -> Path:
    from interlingua.neutral import Space, encode_texts
    from interlingua.store import Collection, IndexSpec

    root = work / "collections"
    path = root / COLLECTION
    if (path / "manifest.json").is_file():
        with Collection.open(path, readonly=True) as col:
            if len(col) == len(docs):
                return root
    root.mkdir(parents=True, exist_ok=True)
    space = Space.of("e5-small")
    t = time.perf_counter()
    vectors, _ = encode_texts([d["text"] for d in docs], space, role="passage", workers=2)
    print(
        f"  vectors of {len(docs)} documents: {time.perf_counter() - t:.0f} s (embedding cache)", flush=True
    )
    import shutil

    shutil.rmtree(path, ignore_errors=True)
    t = time.perf_counter()
    with Collection.create(IndexSpec(uri=str(path))) as col:
        col.add(docs, vectors=vectors, identity=space.identity, batch_size=5000)
    print(f"  collection built: {time.perf_counter() - t:.0f} s", flush=True)
    return root


# -- the server -------------------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(root: Path, work: Path) -> tuple[subprocess.Popen, str]:
    import httpx

    port = free_port()
    env = {**os.environ, "OMP_NUM_THREADS": "1", "INTERLINGUA_MAX_BATCH": "1024"}
    exe = Path(sys.executable).with_name("interlingua")
    proc = subprocess.Popen(
        [str(exe), "serve", "--port", str(port), "-c", str(root), "--jobs-dir", str(work / "jobs")],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=open(work / "server.log", "w"),  # noqa: SIM115 - closed with the process
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while True:
        try:
            httpx.get(url + "/health", timeout=2)
            return proc, url
        except httpx.TransportError:
            if proc.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"the server did not start; see {work / 'server.log'}") from None
            time.sleep(0.2)


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


# -- phases -----------------------------------------------------------------------------------------
def bench_embed(url: str, texts: list[str], batch: int) -> dict:
    import base64

    import httpx

    from interlingua.neutral import Space

    space = Space.of("e5-small")
    batches = [texts[i : i + batch] for i in range(0, len(texts), batch)]
    space.encode(batches[0], role="query")  # warm

    def local_pass() -> tuple[list[np.ndarray], float]:
        t = time.perf_counter()
        vecs = [space.encode(b, role="query") for b in batches]
        return vecs, len(texts) / (time.perf_counter() - t)

    local, in_process = local_pass()
    out = {"texts": len(texts), "batch": batch}
    with httpx.Client(timeout=300) as http:
        http.post(url + "/v1/embeddings", json={"input": batches[0]})  # warm
        for fmt in ("base64", "float"):
            t = time.perf_counter()
            worst = 0.0
            for b, ref in zip(batches, local):
                r = http.post(url + "/v1/embeddings", json={"input": b, "encoding_format": fmt})
                r.raise_for_status()
                data = r.json()["data"]
                if fmt == "base64":
                    got = np.stack([np.frombuffer(base64.b64decode(d["embedding"]), "<f4") for d in data])
                else:
                    got = np.asarray([d["embedding"] for d in data], np.float32)
                worst = max(worst, float(np.abs(got - ref).max()))
            rate = len(texts) / (time.perf_counter() - t)
            out[f"http_{fmt}_per_s"] = rate
            out[f"http_{fmt}_max_abs_diff"] = worst
    # in process again, after: the faster of the two passes is the baseline (the conservative ratio)
    in_process = max(in_process, local_pass()[1])
    out["in_process_per_s"] = in_process
    for fmt in ("base64", "float"):
        out[f"http_{fmt}_ratio"] = out[f"http_{fmt}_per_s"] / in_process
    return out


def bench_search_in_process(root: Path, queries: list[str], mode: str = "hybrid") -> dict:
    from interlingua.search import Searcher, SearchOptions
    from interlingua.store import Collection

    with Collection.open(root / COLLECTION, readonly=True) as col:
        searcher = Searcher(col)
        options = SearchOptions(mode=mode)
        for q in queries[:20]:
            searcher.search(q, options)
        lat = []
        t = time.perf_counter()
        for q in queries:
            s = time.perf_counter()
            searcher.search(q, options)
            lat.append(time.perf_counter() - s)
        total = time.perf_counter() - t
    return {"queries": len(queries), "per_s": len(queries) / total, **_percentiles(lat)}


def _search_share(args: tuple[str, list[str]]) -> int:
    """One process of the two-process baseline: its share of the queries, one at a time."""
    from interlingua.search import Searcher, SearchOptions
    from interlingua.store import Collection

    path, queries = args
    with Collection.open(path, readonly=True) as col:
        searcher = Searcher(col)
        for q in queries:
            searcher.search(q, SearchOptions())
    return len(queries)


def bench_search_processes(root: Path, queries: list[str], processes: int) -> dict:
    """The most this machine answers in process: ``processes`` searchers, one thread each, each
    with its share of the queries (the time to open the collection and load the model left out)."""
    import multiprocessing as mp

    path = str(root / COLLECTION)
    shares = [queries[i::processes] for i in range(processes)]
    with mp.get_context("spawn").Pool(processes) as pool:
        pool.map(_search_share, [(path, s[:20]) for s in shares])  # open, load and warm each
        t = time.perf_counter()
        done = sum(pool.map(_search_share, [(path, s) for s in shares]))
        wall = time.perf_counter() - t
    return {"processes": processes, "queries": done, "per_s": done / wall}


def _summary(lat: list[float], errors: list[str], wall: float) -> dict:
    """What a load run reports: requests, errors (the first few), rate and latency percentiles."""
    return {
        "requests": len(lat),
        "errors": len(errors),
        "first_errors": errors[:3],
        "per_s": len(lat) / wall,
        **_percentiles(lat),
    }


def _percentiles(lat: list[float]) -> dict:
    a = np.asarray(lat) * 1000
    return {
        "p50_ms": float(np.percentile(a, 50)),
        "p99_ms": float(np.percentile(a, 99)),
        "max_ms": float(a.max()),
    }


async def _load(
    url: str,
    make_request,
    clients: int,
    *,
    total: int | None = None,
    seconds: float | None = None,
    on_tick=None,
):
    """``clients`` concurrent loops sending ``make_request(i)`` -> (method path, json) until
    ``total`` requests are sent or ``seconds`` pass; returns latencies (s), errors, wall time."""
    import httpx

    lat: list[float] = []
    errors: list[str] = []
    counter = 0
    start = time.perf_counter()
    stop = start + seconds if seconds else None
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=url, timeout=60, limits=limits) as http:

        async def worker() -> None:
            nonlocal counter
            while True:
                if total is not None and counter >= total:
                    return
                if stop is not None and time.perf_counter() >= stop:
                    return
                i = counter
                counter += 1
                path, body = make_request(i)
                s = time.perf_counter()
                try:
                    r = await http.post(path, json=body)
                    if r.status_code != 200:
                        errors.append(f"{r.status_code} {r.text[:200]}")
                except httpx.HTTPError as exc:  # a refused or dropped connection is an error too
                    errors.append(f"{type(exc).__name__}: {exc}")
                lat.append(time.perf_counter() - s)

        async def ticker() -> None:
            while on_tick is not None:
                await asyncio.sleep(1.0)
                on_tick()

        tick = asyncio.create_task(ticker())
        await asyncio.gather(*(worker() for _ in range(clients)))
        tick.cancel()
    return lat, errors, time.perf_counter() - start


def bench_search_http(url: str, queries: list[str], clients: int, mode: str = "hybrid") -> dict:
    def req(i: int):
        return f"/collections/{COLLECTION}/search", {"query": queries[i % len(queries)], "mode": mode}

    asyncio.run(_load(url, req, clients, total=min(200, len(queries))))  # warm
    lat, errors, wall = asyncio.run(_load(url, req, clients, total=len(queries)))
    return {"clients": clients, **_summary(lat, errors, wall), "latencies_ms": [x * 1000 for x in lat]}


def soak(
    url: str, pid: int, queries: list[str], texts: list[str], clients: int, seconds: float, sample: float
) -> dict:
    samples: list[tuple[float, float]] = []
    start = time.perf_counter()
    last = [0.0]

    def tick() -> None:
        now = time.perf_counter() - start
        if now - last[0] >= sample:
            last[0] = now
            samples.append((now, rss_mb(pid)))
            print(f"  soak {now:5.0f} s  rss {samples[-1][1]:.0f} MB", flush=True)

    def req(i: int):
        if i % 5 == 4:
            return "/embed", {"inputs": texts[(i * 7) % (len(texts) - 8) :][:8]}
        return f"/collections/{COLLECTION}/search", {"query": queries[i % len(queries)], "k": 10 + i % 3}

    asyncio.run(_load(url, req, clients, total=300))  # warm: RSS counts from a server that has served
    start = time.perf_counter()
    samples.append((0.0, rss_mb(pid)))
    lat, errors, wall = asyncio.run(_load(url, req, clients, total=None, seconds=seconds, on_tick=tick))
    samples.append((wall, rss_mb(pid)))
    first, end = samples[0][1], samples[-1][1]
    return {
        "seconds": wall,
        **_summary(lat, errors, wall),
        "rss_start_mb": first,
        "rss_end_mb": end,
        "rss_change": end / first - 1,
        "rss_samples": samples,
    }


def draw(report: dict, out: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(12, 4.2))
    s = report.get("search_http")
    if s:
        axes[0].hist(s["latencies_ms"], bins=60, color="#3b6ea8")
        for key, style in (("p50_ms", "--"), ("p99_ms", ":")):
            axes[0].axvline(s[key], color="k", linestyle=style, label=f"{key[:3]} {s[key]:.0f} ms")
        axes[0].set(
            xlabel="latency (ms)",
            ylabel="requests",
            title=f"search over HTTP, {s['clients']} clients, {report['docs']:,} documents",
        )
        axes[0].legend()
    k = report.get("soak")
    if k:
        t, rss = zip(*k["rss_samples"])
        axes[1].plot(np.asarray(t) / 60, rss, marker="o")
        axes[1].set(xlabel="minutes", ylabel="server RSS (MB)", title=f"soak: RSS {k['rss_change']:+.1%}")
        axes[1].set_ylim(0, max(rss) * 1.15)
    fig.suptitle(f"interlingua serve (CPU: {report['cpu']})")
    fig.tight_layout()
    fig.savefig(out / "report.png", dpi=110)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", type=Path, default=Path("../shared/data"))
    ap.add_argument("--work", type=Path, default=Path("/tmp/interlingua-serve-bench"))
    ap.add_argument("--out", type=Path, default=None)
    ap.add_argument("--docs", type=int, default=100_000)
    ap.add_argument("--queries", type=int, default=2000)
    ap.add_argument("--clients", type=int, default=32)
    ap.add_argument("--embed-texts", type=int, default=2000)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--soak", type=float, default=600.0, help="seconds (0: no soak)")
    ap.add_argument("--sample", type=float, default=30.0, help="seconds between RSS samples")
    ap.add_argument("--phases", default="embed,search,soak")
    args = ap.parse_args()
    phases = set(args.phases.split(","))
    out = args.out or args.work / "report"
    out.mkdir(parents=True, exist_ok=True)
    args.work.mkdir(parents=True, exist_ok=True)

    print(f"CPU flags: {cpu_flags()}; one thread per process", flush=True)
    docs = sib_documents(args.data, args.docs)
    root = build_collection(args.work, docs)
    queries = tatoeba_sentences(args.data, args.queries)
    texts = tatoeba_sentences(args.data, args.embed_texts, offset=100)
    report: dict = {"cpu": cpu_flags(), "docs": len(docs), "collection": str(root / COLLECTION)}
    proc, url = start_server(root, args.work)
    try:
        report["rss_after_start_mb"] = rss_mb(proc.pid)
        if "embed" in phases:
            e = report["embed"] = bench_embed(url, texts, args.batch)
            print(
                f"embed ({e['texts']} texts, batches of {e['batch']}): in process {e['in_process_per_s']:.0f}/s; "
                f"HTTP base64 {e['http_base64_per_s']:.0f}/s ({e['http_base64_ratio']:.1%}), "
                f"float {e['http_float_per_s']:.0f}/s ({e['http_float_ratio']:.1%}); "
                f"max |diff| {max(e['http_base64_max_abs_diff'], e['http_float_max_abs_diff']):.1e}",
                flush=True,
            )
        if "search" in phases:
            s0 = report["search_in_process"] = bench_search_in_process(root, queries)
            s2 = report["search_processes"] = bench_search_processes(root, queries, 2)
            s1 = report["search_http"] = bench_search_http(url, queries, args.clients)
            print(
                f"search ({len(docs):,} documents, {s0['queries']} queries, hybrid k=10): in process, one at a "
                f"time: {s0['per_s']:.0f} q/s, p50 {s0['p50_ms']:.1f} ms, p99 {s0['p99_ms']:.1f} ms",
                flush=True,
            )
            floor = args.clients / s2["per_s"] * 1000
            report["latency_floor_ms"] = floor
            print(
                f"  in process, {s2['processes']} processes (every core, no HTTP): {s2['per_s']:.0f} q/s; "
                f"{args.clients} clients at that rate wait at least {floor:.0f} ms each (Little's law)",
                flush=True,
            )
            print(
                f"  HTTP, {s1['clients']} clients: {s1['per_s']:.0f} q/s ({s1['per_s'] / s0['per_s']:.2f}x one "
                f"process, {s1['per_s'] / s2['per_s']:.2f}x {s2['processes']} processes), p50 {s1['p50_ms']:.0f} ms, "
                f"p99 {s1['p99_ms']:.0f} ms, errors {s1['errors']}",
                flush=True,
            )
            # the server's own cost, with no query to encode: lexical (BM25) search
            l0 = report["lexical_in_process"] = bench_search_in_process(root, queries, "lexical")
            l1 = report["lexical_http"] = bench_search_http(url, queries, args.clients, "lexical")
            l1.pop("latencies_ms")
            print(
                f"  lexical (no encoding): in process {l0['per_s']:.0f} q/s; HTTP, {l1['clients']} clients, "
                f"{l1['per_s']:.0f} q/s, p50 {l1['p50_ms']:.0f} ms, p99 {l1['p99_ms']:.0f} ms, errors {l1['errors']}",
                flush=True,
            )
        if "soak" in phases and args.soak > 0:
            k = report["soak"] = soak(url, proc.pid, queries, texts, args.clients, args.soak, args.sample)
            print(
                f"soak {k['seconds']:.0f} s: {k['requests']} requests ({k['per_s']:.0f}/s), errors {k['errors']}, "
                f"p99 {k['p99_ms']:.0f} ms; RSS {k['rss_start_mb']:.0f} -> {k['rss_end_mb']:.0f} MB "
                f"({k['rss_change']:+.1%})",
                flush=True,
            )
    finally:
        proc.terminate()
        proc.wait(timeout=60)
    slim = json.loads(json.dumps(report))
    if "search_http" in slim:
        slim["search_http"].pop("latencies_ms")
    (out / "report.json").write_text(json.dumps(slim, indent=2))
    draw(report, out)
    print(f"report: {out / 'report.json'}, {out / 'report.png'}")


if __name__ == "__main__":
    main()
