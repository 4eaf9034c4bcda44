"""``kill -9`` in the middle of adding 100k documents: the collection opens, passes the check and
holds every batch that was acknowledged. A real subprocess is killed, at several points (between
batches, during a dense-index save). Precomputed vectors keep the model out of it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap

import pytest

from interlingua.store import Collection, check_collection

N, BATCH = 100_000, 1000

WRITER = textwrap.dedent(
    """
    import sys
    import numpy as np
    from interlingua.store import Collection

    path, n, batch, flush_every = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    rng = np.random.default_rng(0)
    vecs = rng.standard_normal((n, 384), dtype=np.float32)
    vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
    docs = ({"id": f"d{i}", "text": f"document {i} w{i}", "lang": "en", "meta": {"i": i}} for i in range(n))

    def ack(size, done):
        print(f"ACK {done}", flush=True)

    col = Collection.open(path, flush_every=flush_every)
    print("READY", flush=True)
    col.add(docs, vectors=vecs, batch_size=batch, on_batch=ack)
    col.close()
    print("DONE", flush=True)
    """
)


def _run_and_kill(path, kill_after: int, flush_every: int) -> int:
    proc = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(path), str(N), str(BATCH), str(flush_every)],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "OMP_NUM_THREADS": "1"},
    )
    acked = 0
    try:
        for line in proc.stdout:
            if line.startswith("ACK "):
                acked = int(line.split()[1])
                if acked >= kill_after:
                    os.kill(proc.pid, signal.SIGKILL)
                    break
    finally:
        proc.wait(timeout=60)
    assert proc.returncode == -signal.SIGKILL, "the writer finished before it could be killed"
    return acked


@pytest.mark.parametrize(
    "kill_after,flush_every",
    [(3000, 100_000), (7000, 2000), (12_000, 3000)],
    ids=["before-any-save", "around-saves", "later"],
)
@pytest.mark.slow
def test_kill_9_loses_no_acknowledged_batch(tmp_path, kill_after, flush_every):
    path = tmp_path / "c"
    Collection.create(path, encoder="e5-small").close()
    acked = _run_and_kill(path, kill_after, flush_every)
    report = check_collection(path)
    assert report.ok, report.problems
    with Collection.open(path, readonly=True) as col:
        n = len(col)
        assert acked <= n <= acked + BATCH  # every acknowledged batch; at most the one in flight
        assert n % BATCH == 0  # a batch is all or nothing
        assert len(col.get([f"d{i}" for i in range(0, acked, 997)])) == len(range(0, acked, 997))
        assert len(col.dense) == n and len(col.lexical) == n
        assert col.lexical_search([f"w{acked - 1}"], 1)[1].size == 1
    with Collection.open(path) as col:  # and it takes writes again
        col.add([{"id": "after", "text": "after the crash", "lang": "en"}], vectors=[[1.0] + [0.0] * 383])
    assert check_collection(path).ok


@pytest.mark.slow
def test_two_writer_processes_one_is_refused_or_they_serialize(tmp_path):
    from interlingua.store import CollectionLockedError

    path = tmp_path / "c"
    Collection.create(path, encoder="e5-small").close()
    proc = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(path), "12000", "300", "3000"],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "OMP_NUM_THREADS": "1"},
    )
    try:
        for line in proc.stdout:
            if line.startswith("ACK "):
                break
        with pytest.raises(CollectionLockedError, match="locked by another writer \\(process \\d+\\)"):
            Collection.open(path)
        with Collection.open(path, lock_timeout=120) as col:  # waits for the first writer, then writes
            assert len(col) == 12_000  # all of the first writer's documents, nothing half-written
            col.add(
                [{"id": "second", "text": "the second writer", "lang": "en"}], vectors=[[0.0] * 383 + [1.0]]
            )
        proc.stdout.read()
    finally:
        proc.wait(timeout=120)
    assert proc.returncode == 0
    report = check_collection(path)
    assert report.ok and report.documents == 12_001
