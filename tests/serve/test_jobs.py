"""Mining and alignment as background jobs over HTTP: the same pairs and links as the library on
the same inputs, every download format, progress and report, the queue bound, cancelling a queued
and a running job, the errors (404, 409, 422 naming the field) and a restart over the same jobs
folder. Real e5 model, real files, small inputs."""

from __future__ import annotations

import json
import shutil
import time
import uuid
from pathlib import Path

import pytest

from interlingua.mine import AlignJob, MineJob, run


def _rows(demo_passages: Path) -> list[dict]:
    return [json.loads(line) for line in demo_passages.read_text(encoding="utf-8").splitlines()]


def _side(demo_passages: Path, lang: str, groups: list[str]) -> list[dict]:
    by_group = {r["group"]: r for r in _rows(demo_passages) if r["lang"] == lang}
    return [{"id": by_group[g]["id"], "text": by_group[g]["text"]} for g in groups]


GROUPS = [
    "computers",
    "cooking",
    "finance",
    "football",
    "health",
    "music",
    "nature",
    "space",
    "trains",
    "weather",
]


@pytest.fixture
def sides(demo_passages):
    """German passages vs English ones, mixed with distractors: 6 of the 10 + 2 have a translation."""
    src = _side(demo_passages, "de", GROUPS[:8]) + [
        {"id": "de-x1", "text": "Der Zug nach Berlin hat zwanzig Minuten Verspätung."}
    ]
    tgt = [r["text"] for r in _side(demo_passages, "en", GROUPS[2:])] + [
        "The cat sleeps on the warm windowsill."
    ]
    return src, tgt


def _wait(client, job_id: str, states=("done", "failed", "cancelled"), timeout: float = 120) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        job = client.get(f"/jobs/{job_id}").json()
        if job["state"] in states:
            return job
        assert time.monotonic() < deadline, job
        time.sleep(0.05)


def _tsv_rows(text: str) -> list[list[str]]:
    lines = text.splitlines()
    assert lines[0].startswith("# interlingua {")
    assert lines[1] == "score\tsrc_id\ttgt_id\tsrc_text\ttgt_text\tcosine"
    return [line.split("\t") for line in lines[2:]]


def _write_jsonl(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return path


def _library_pairs(tmp_path: Path, src: list[dict], tgt: list[str], **options) -> list[list[str]]:
    """The library's pairs on the same inputs: src as JSONL with ids, tgt as plain lines."""
    s = _write_jsonl(tmp_path / "lib_src.jsonl", src)
    t = tmp_path / "lib_tgt.txt"
    t.write_text("".join(x + "\n" for x in tgt), encoding="utf-8")
    out = tmp_path / "lib_pairs.tsv"
    job = MineJob(src=str(s), tgt=str(t), output=str(out))
    run(job.with_values(options) if options else job)
    return _tsv_rows(out.read_text(encoding="utf-8"))


def _same_pairs(got: list, want: list) -> None:
    assert [(r[1], r[2]) for r in got] == [(r[1], r[2]) for r in want]
    for g, w in zip(got, want):
        assert abs(float(g[0]) - float(w[0])) <= 1e-6 and abs(float(g[5]) - float(w[5])) <= 1e-6
        assert (g[3], g[4]) == (w[3], w[4])


# -- mining ---------------------------------------------------------------------------------------
def test_mine_job_gives_the_library_pairs_in_tsv_and_jsonl(make_client, sides, tmp_path):
    client = make_client()
    src, tgt = sides
    r = client.post("/jobs/mine", json={"src": src, "tgt": tgt})
    assert r.status_code == 202, r.text
    job = r.json()
    assert job["kind"] == "mine" and job["state"] in ("queued", "running") and len(job["id"]) == 32
    assert job["inputs"] == {"src": 9, "tgt": 9}
    done = _wait(client, job["id"])
    assert done["state"] == "done", done
    assert done["error"] is None and done["started"] and done["finished"] >= done["started"]
    report = done["report"]
    assert (report["src_rows"], report["tgt_rows"]) == (9, 9) and report["pairs"] >= 4
    assert report["output"] == "pairs.jsonl" and str(tmp_path) not in json.dumps(done)
    p = done["progress"]
    assert p["task"] and p["total"] and p["done"] == p["total"]
    assert any("embedded with role" in n for n in done["notes"])
    assert set(done["result"]) == {"tsv", "jsonl"}

    r = client.get(done["result"]["tsv"])
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/tab-separated-values")
    assert r.headers["content-disposition"] == f'attachment; filename="mine-{job["id"]}.tsv"'
    got = _tsv_rows(r.text)
    want = _library_pairs(tmp_path, src, tgt)
    _same_pairs(got, want)
    assert len(got) == report["pairs"]
    # the German passage of a topic pairs with the English one of that topic (ids of tgt: line numbers)
    en_ids = {str(n): g for n, g in enumerate(GROUPS[2:], 1)}
    assert sum(en_ids.get(t) == s.split("-")[0] for _, s, t, *_ in got) >= 4

    r = client.get(f"/jobs/{job['id']}/result?format=jsonl")
    assert r.status_code == 200 and r.headers["content-disposition"].endswith('.jsonl"')
    records = [json.loads(line) for line in r.text.splitlines()]
    as_rows = [
        [str(x["score"]), x["src_id"], x["tgt_id"], x["src_text"], x["tgt_text"], str(x["cosine"])]
        for x in records
    ]
    _same_pairs(as_rows, want)
    assert client.get("/jobs").json()["jobs"][0]["id"] == job["id"]
    metrics = client.get("/metrics").text
    assert 'interlingua_jobs_total{kind="mine",state="done"} 1.0' in metrics


def test_mine_job_from_uploaded_files(make_client, sides, tmp_path):
    client = make_client()
    src, tgt = sides
    s = _write_jsonl(tmp_path / "de.jsonl", src)
    files = {
        "src_file": ("de.jsonl", s.read_bytes(), "application/x-ndjson"),
        "tgt_file": ("en.txt", "".join(x + "\n" for x in tgt).encode(), "text/plain"),
    }
    r = client.post("/jobs/mine", files=files, data={"options": json.dumps({"knn": {"k": 3}})})
    assert r.status_code == 202, r.text
    done = _wait(client, r.json()["id"])
    assert done["state"] == "done", done
    assert done["spec"]["src"] == "src.jsonl" and done["spec"]["tgt"] == "tgt.txt"
    assert done["report"]["k"] == 3
    got = _tsv_rows(client.get(done["result"]["tsv"]).text)
    _same_pairs(got, _library_pairs(tmp_path, src, tgt, **{"knn.k": 3}))

    bad = client.post("/jobs/mine", files=files, data={"options": '{"knn": {"k": 0}}'})
    assert bad.status_code == 422 and bad.json()["field"] == "options.knn.k"
    one = client.post("/jobs/mine", files={"src_file": files["src_file"]})
    assert one.status_code == 422 and one.json()["field"] == "tgt_file"
    csv = client.post("/jobs/mine", files={**files, "src_file": ("de.csv", b"a,b\n", "text/csv")})
    assert csv.status_code == 422 and csv.json()["field"] == "src_file"
    empty = client.post("/jobs/mine", files={**files, "tgt_file": ("en.txt", b"\n\n", "text/plain")})
    assert empty.status_code == 422 and empty.json()["field"] == "tgt_file"


@pytest.mark.parametrize(
    "change, field",
    [
        ({"knn": {"k": 0}}, "knn.k"),
        ({"margin": {"mode": "sideways"}}, "margin.mode"),
        ({"margin": {"threshold": 1.0, "calibration": "shipped"}}, "margin.calibration"),
        ({"margin": {"calibration": "/etc/passwd"}}, "margin.calibration"),
        ({"space": {"encoder": "/srv/models/secret"}}, "space.encoder"),
        ({"space": {"adapters": [{"method": "center", "path": "/etc"}]}}, "space.adapters"),
        ({"output": "/tmp/pairs.tsv"}, "output"),
        ({"src": []}, "src"),
        ({"tgt": ["fine", ""]}, "tgt[1].text"),
        ({"src": [{"id": "a", "text": "x"}, {"id": "a", "text": "y"}]}, "src[1]"),
        ({"src": [{"text": "x", "lang": "not a language"}]}, "src[0]"),
    ],
)
def test_mine_job_refuses_bad_requests_naming_the_field(make_client, sides, change, field):
    client = make_client()
    src, tgt = sides
    r = client.post("/jobs/mine", json={"src": src, "tgt": tgt, **change})
    assert r.status_code == 422, r.text
    body = r.json()
    assert body["field"] == field and body["error"] == "invalid_input", body
    assert client.get("/jobs").json()["jobs"] == []


# -- alignment ------------------------------------------------------------------------------------
def _library_links(tmp_path: Path, src: str, tgt: str, **options) -> list[dict]:
    s, t, out = tmp_path / "lib_src.txt", tmp_path / "lib_tgt.txt", tmp_path / "lib_links.jsonl"
    s.write_text(src, encoding="utf-8")
    t.write_text(tgt, encoding="utf-8")
    run(AlignJob(src=str(s), tgt=str(t), output=str(out), output_format="jsonl").with_values(options))
    return [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]


def test_align_jobs_give_the_library_links(make_client, demo_passages, tmp_path):
    client = make_client()
    en = [r["text"] for r in _side(demo_passages, "en", GROUPS[:6])]
    de = [r["text"] for r in _side(demo_passages, "de", GROUPS[:6])]
    de = de[:2] + [de[2] + " " + de[3]] + de[4:]  # one 1-2 link
    jobs = {
        "lists": ({"src": en, "tgt": de, "with_text": True}, {"with_text": True}),
        "texts": (
            {"src": " ".join(en), "tgt": " ".join(de), "sentences": {"split": True}, "src_lang": "en"},
            {"sentences.split": True, "src_lang": "en"},
        ),
    }
    ids = {}
    for name, (body, _) in jobs.items():
        r = client.post("/jobs/align", json=body)
        assert r.status_code == 202, r.text
        ids[name] = r.json()["id"]
    for name, (_, options) in jobs.items():
        done = _wait(client, ids[name])
        assert done["state"] == "done" and done["kind"] == "align", done
        assert set(done["result"]) == {"tsv", "jsonl", "vecalign"}
        src = "\n".join(en) + "\n" if name == "lists" else " ".join(en)
        tgt = "\n".join(de) + "\n" if name == "lists" else " ".join(de)
        want = _library_links(tmp_path, src, tgt, **options)
        got = [json.loads(line) for line in client.get(done["result"]["jsonl"]).text.splitlines()]
        assert [(g["src"], g["tgt"]) for g in got] == [(w["src"], w["tgt"]) for w in want]
        assert all(abs(g["score"] - w["score"]) <= 1e-6 for g, w in zip(got, want))
        assert done["report"]["links"] == len(want)
        tsv = client.get(done["result"]["tsv"]).text.splitlines()
        assert tsv[0].startswith("# interlingua ") and len(tsv) == len(want) + 1
        assert tsv[1].split("\t")[:3] == [str(want[0]["src"]), str(want[0]["tgt"]), f"{want[0]['score']:.6f}"]
    lists = [json.loads(x) for x in client.get(f"/jobs/{ids['lists']}/result?format=jsonl").text.splitlines()]
    assert ([2, 3], [2]) in [(x["src"], x["tgt"]) for x in lists]  # the merged German sentence
    assert lists[0]["src_text"] == en[0] and lists[0]["tgt_text"] == de[0]


def test_word_alignment_job_gives_pharaoh_lines(make_client, tmp_path):
    client = make_client()
    en = ["The cat sleeps on the warm windowsill.", "Trains leave every ten minutes."]
    de = ["Die Katze schläft auf der warmen Fensterbank.", "Züge fahren alle zehn Minuten ab."]
    r = client.post("/jobs/align", json={"src": en, "tgt": de, "mode": "words"})
    assert r.status_code == 202, r.text
    done = _wait(client, r.json()["id"])
    assert done["state"] == "done" and set(done["result"]) == {"pharaoh", "jsonl"}, done
    got = client.get(done["result"]["pharaoh"]).text.splitlines()
    want = _library_links(tmp_path, "\n".join(en) + "\n", "\n".join(de) + "\n", mode="words")
    assert got == [" ".join(f"{i}-{j}" for i, j in w["links"]) for w in want] and got[0]
    assert client.get(f"/jobs/{done['id']}/result?format=tsv").json()["field"] == "format"

    # an error of the library while the job runs: the job fails, keeping it (no server paths in it)
    r = client.post("/jobs/align", json={"src": en, "tgt": [*de, "Noch einer."], "mode": "words"})
    failed = _wait(client, r.json()["id"])
    assert failed["state"] == "failed" and failed["result"] is None, failed
    error = failed["error"]
    assert error["error"] == "invalid_input" and "src.txt has 2" in error["message"], error
    assert str(tmp_path) not in error["message"]
    assert client.get(f"/jobs/{failed['id']}/result").status_code == 409


def test_align_job_refuses_empty_documents(make_client):
    client = make_client()
    assert client.post("/jobs/align", json={"src": [], "tgt": ["x."]}).json()["field"] == "src"
    assert client.post("/jobs/align", json={"src": "One.", "tgt": ""}).json()["field"] == "tgt"
    blank = client.post("/jobs/align", json={"src": ["", " "], "tgt": ["x."]})
    assert blank.status_code == 422 and blank.json()["field"] == "src"
    assert client.post("/jobs/align", json={"src": ["a."], "tgt": ["b."], "src_emb": "/x"}).json()[
        "field"
    ] == ("src_emb")


# -- queue, cancel, errors, restart -----------------------------------------------------------------
def test_queue_bound_cancel_queued_and_running_jobs(make_client, demo_passages, tmp_path):
    client = make_client(max_jobs=1, max_queued=1)
    texts = [r["text"] for r in _rows(demo_passages)]
    # a job stops at its next progress event; embedding a side is one event: this one takes a while
    big = [f"{texts[i % len(texts)]} ({i})" for i in range(200)]
    slow = client.post("/jobs/mine", json={"src": big, "tgt": big[::-1], "cache": False})
    small = client.post("/jobs/mine", json={"src": big[:5], "tgt": big[5:10]})
    assert (slow.status_code, small.status_code) == (202, 202), small.text
    full = client.post("/jobs/mine", json={"src": big[:5], "tgt": big[5:10]})
    assert full.status_code == 429 and full.json()["error"] == "too_many_requests"
    assert "max_jobs 1" in full.json()["message"] and "max_queued 1" in full.json()["message"]

    queued = small.json()["id"]
    early = client.get(f"/jobs/{queued}/result")
    assert early.status_code == 409 and early.json()["error"] == "conflict"
    r = client.delete(f"/jobs/{queued}")
    assert r.status_code == 200 and r.json()["state"] == "cancelled"
    assert client.get(f"/jobs/{queued}").json()["state"] == "cancelled"

    running = slow.json()["id"]
    _wait(client, running, states=("running",))
    r = client.delete(f"/jobs/{running}")
    assert r.status_code == 200 and r.json()["state"] == "cancelled", r.json()
    assert r.json()["error"] is None and r.json()["result"] is None
    folder = tmp_path / "jobs" / running
    assert sorted(p.name for p in folder.iterdir()) == ["job.json", "src.jsonl", "tgt.jsonl"]
    assert json.loads((folder / "job.json").read_text())["state"] == "cancelled"
    assert client.get(f"/jobs/{running}/result").status_code == 409
    metrics = client.get("/metrics").text
    assert 'interlingua_jobs_total{kind="mine",state="cancelled"} 2.0' in metrics

    # a finished job's DELETE removes it and its folder
    assert client.delete(f"/jobs/{running}").json()["removed"] is True
    assert not folder.exists()
    assert client.get(f"/jobs/{running}").status_code == 404
    ok = client.post("/jobs/mine", json={"src": big[:5], "tgt": big[5:10]})
    assert ok.status_code == 202  # the queue has room again


def test_unknown_job_is_404(make_client):
    client = make_client()
    for r in (
        client.get("/jobs/nope"),
        client.delete("/jobs/nope"),
        client.get("/jobs/nope/result"),
        client.get("/jobs/../../etc/passwd/result"),
    ):
        assert r.status_code == 404 and r.json()["error"] == "not_found"


def test_restart_lists_finished_jobs_and_fails_the_interrupted(make_client, sides, demo_passages, tmp_path):
    first = make_client()
    src, tgt = sides
    job_id = first.post("/jobs/mine", json={"src": src, "tgt": tgt}).json()["id"]
    assert _wait(first, job_id)["state"] == "done"
    tsv = first.get(f"/jobs/{job_id}/result").text
    texts = [f"{r['text']} ({i})" for i, r in enumerate(_rows(demo_passages))]
    stopped = first.post("/jobs/mine", json={"src": texts, "tgt": texts[::-1], "cache": False}).json()["id"]
    _wait(first, stopped, states=("running",))
    first.__exit__(None, None, None)  # the server stops while that job runs: it fails, saying so
    record = json.loads((tmp_path / "jobs" / stopped / "job.json").read_text())
    assert record["state"] == "failed" and "server stopped" in record["error"]["message"], record

    jobs = tmp_path / "jobs"  # a job the stopped server was running: its record says so
    lost = uuid.uuid4().hex
    shutil.copytree(jobs / job_id, jobs / lost)
    (jobs / lost / "pairs.jsonl").unlink()
    (jobs / lost / ".pairs.jsonl.0123abcd.tmp").write_text("half")
    record = json.loads((jobs / lost / "job.json").read_text())
    (jobs / lost / "job.json").write_text(
        json.dumps({**record, "id": lost, "state": "running", "finished": None})
    )
    (jobs / f".{uuid.uuid4().hex}.x1y2.tmp").mkdir()  # a folder a crash left half-made

    second = make_client()
    listed = {j["id"]: j for j in second.get("/jobs").json()["jobs"]}
    assert set(listed) == {job_id, lost, stopped} and listed[stopped]["state"] == "failed"
    assert listed[job_id]["state"] == "done" and listed[job_id]["report"]["pairs"] >= 4
    assert second.get(f"/jobs/{job_id}/result").text == tsv
    assert listed[lost]["state"] == "failed"
    assert "server stopped" in listed[lost]["error"]["message"]
    assert sorted(p.name for p in (jobs / lost).iterdir()) == ["job.json", "src.jsonl", "tgt.jsonl"]
    assert sorted(p.name for p in jobs.iterdir()) == sorted([job_id, lost, stopped])


def _events(lines) -> list[tuple[str, dict]]:
    """Server-Sent Events as (event, data) pairs; comments (keep-alives) left out."""
    out, event = [], None
    for line in lines:
        if line.startswith("event: "):
            event = line[len("event: ") :]
        elif line.startswith("data: "):
            out.append((event, json.loads(line[len("data: ") :])))
    return out


def test_job_events_stream_progress_until_the_end(make_client, sides):
    client = make_client()
    src, tgt = sides
    job_id = client.post("/jobs/mine", json={"src": src, "tgt": tgt}).json()["id"]
    with client.stream("GET", f"/jobs/{job_id}/events") as r:
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/event-stream")
        events = _events(r.iter_lines())
    kinds = [e for e, _ in events]
    assert kinds[-1] == "end" and set(kinds[:-1]) == {"job"}, kinds
    assert events[-1][1] == {"id": job_id, "state": "done"}
    views = [d for e, d in events if e == "job"]
    assert views[-1] == client.get(f"/jobs/{job_id}").json()  # the last change is the final view
    assert len({json.dumps(v, sort_keys=True) for v in views}) == len(views)  # one event per change
    order = ["queued", "running", "done"]
    states = [order.index(v["state"]) for v in views]
    assert states == sorted(states), states  # never back; a fast job may skip a state between looks
    assert views[-1]["progress"]["task"] and views[-1]["report"]["pairs"] >= 4
    # a finished job: its final view, then the end, at once
    with client.stream("GET", f"/jobs/{job_id}/events") as r:
        again = _events(r.iter_lines())
    assert [e for e, _ in again] == ["job", "end"]
    assert client.get("/jobs/nope/events").status_code == 404
