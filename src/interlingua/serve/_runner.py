"""The server's background jobs: mining and alignment runs in a bounded pool of threads.

``settings.max_jobs`` jobs run at once and ``settings.max_queued`` more may wait; one more is a
:class:`~interlingua.errors.BusyError` (429). Each job is a folder under ``settings.jobs_dir`` (by
default ``jobs`` in the user cache) named by its id, holding its inputs, ``job.json`` (the filled
spec, with paths relative to the folder, its state, timestamps, progress, report and error;
rewritten atomically at every change of state) and its output: JSONL with its provenance sidecar,
the lossless form, which :func:`interlingua.mine.output_lines` turns into TSV, vecalign or
Pharaoh when a client asks.

A job runs ``interlingua.mine.run(spec, progress=...)``; its progress events update the job, and
cancelling it makes the next event raise :class:`~interlingua.errors.JobCancelled`, which the
library's atomic writers let through without leaving a partial file. A server that restarts
lists the jobs it finds; those it was running (or had queued) are failed, saying the server
stopped.
"""

from __future__ import annotations

import json
import logging
import re
import shutil
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from .._atomic import atomic_folder, atomic_write_text
from .._paths import cache_dir
from .._spec import Spec
from ..errors import BusyError, InterlinguaError, JobCancelled, NotFoundError, NotReadyError
from ..progress import ProgressEvent
from ._errors import error_body
from ._metrics import Metrics
from ._settings import Settings

log = logging.getLogger("interlingua.serve")

FINAL = ("done", "failed", "cancelled")
JOB_FILE = "job.json"
RECORD_FORMAT = 1
#: notes of a job that are kept (the last ones)
NOTES_KEPT = 20
#: seconds ``DELETE`` waits for a running job to reach its next progress event and stop
CANCEL_WAIT = 10.0
#: seconds ``close()`` waits for running jobs to stop (a job stops at its next progress event:
#: embedding reports once per chunk of texts, which can take a while on one thread)
CLOSE_WAIT = 30.0
_ID = re.compile(r"[0-9a-f]{32}")
_HALF_MADE = re.compile(r"\.[0-9a-f]{32}\..+\.tmp")  # a job folder a crash left before it was whole
_TEMP_FILE = re.compile(r"\..+\.[0-9a-f]{8}\.tmp")  # an atomic writer's temporary file


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _no_progress() -> dict[str, Any]:
    return {"task": None, "done": 0, "total": None, "unit": None}


@dataclass(eq=False)
class Job:
    """One job, as the runner holds it; ``record()`` is its ``job.json``, ``view()`` its API form."""

    id: str
    kind: str
    folder: Path
    spec: dict[str, Any]
    output: str
    inputs: dict[str, Any]
    state: str = "queued"
    created: str = ""
    started: str | None = None
    finished: str | None = None
    progress: dict[str, Any] = field(default_factory=_no_progress)
    notes: deque[str] = field(default_factory=lambda: deque(maxlen=NOTES_KEPT))
    report: dict[str, Any] | None = None
    error: dict[str, Any] | None = None
    formats: tuple[str, ...] = ()
    #: why it was asked to stop while running: "cancel" (DELETE) or "shutdown"
    stop: str | None = None
    ended: threading.Event = field(default_factory=threading.Event)

    def record(self) -> dict[str, Any]:
        return {
            "format": RECORD_FORMAT,
            "id": self.id,
            "kind": self.kind,
            "state": self.state,
            "created": self.created,
            "started": self.started,
            "finished": self.finished,
            "spec": self.spec,
            "output": self.output,
            "inputs": self.inputs,
            "progress": self.progress,
            "notes": list(self.notes),
            "report": self.report,
            "error": self.error,
            "formats": list(self.formats),
        }

    @classmethod
    def from_record(cls, data: dict[str, Any], folder: Path) -> Job:
        if data.get("format") != RECORD_FORMAT or data.get("id") != folder.name:
            raise ValueError(f"not a job record of format {RECORD_FORMAT} for {folder.name}")
        job = cls(
            id=data["id"],
            kind=data["kind"],
            folder=folder,
            spec=dict(data["spec"]),
            output=str(data["output"]),
            inputs=dict(data.get("inputs") or {}),
            state=str(data["state"]),
            created=str(data.get("created") or ""),
            started=data.get("started"),
            finished=data.get("finished"),
            progress=dict(data.get("progress") or _no_progress()),
            report=data.get("report"),
            error=data.get("error"),
            formats=tuple(data.get("formats") or ()),
        )
        job.notes.extend(data.get("notes") or [])
        if job.state in FINAL:
            job.ended.set()
        return job

    def view(self) -> dict[str, Any]:
        out = {k: v for k, v in self.record().items() if k not in ("format", "output", "formats")}
        out["result"] = (
            {fmt: f"/jobs/{self.id}/result?format={fmt}" for fmt in self.formats}
            if self.state == "done"
            else None
        )
        out["cancel_requested"] = self.state == "running" and self.stop is not None
        return out

    def scrub(self, value: Any) -> Any:
        """``value`` with the job's folder taken out of its strings (clients see file names only)."""
        if isinstance(value, str):
            return value.replace(str(self.folder) + "/", "").replace(str(self.folder), ".")
        if isinstance(value, dict):
            return {k: self.scrub(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [self.scrub(v) for v in value]
        return value


class JobRunner:
    """A bounded pool of job threads over a folder of jobs (see the module docstring)."""

    def __init__(self, settings: Settings, metrics: Metrics):
        self.settings, self.metrics = settings, metrics
        self.root = Path(settings.jobs_dir).expanduser() if settings.jobs_dir else cache_dir("jobs")
        self.root.mkdir(parents=True, exist_ok=True)
        self._cond = threading.Condition()
        self._jobs: dict[str, Job] = {}
        self._queue: deque[Job] = deque()
        self._running = 0
        self._reserved = 0  # submissions writing their inputs: they hold a place in the queue
        self._closing = False
        self._load()
        self._threads = [
            threading.Thread(target=self._work, name=f"interlingua-job-{i}", daemon=True)
            for i in range(settings.max_jobs)
        ]
        for t in self._threads:
            t.start()

    # -- what the gauges read -------------------------------------------------------------------
    def queued(self) -> int:
        return len(self._queue)

    def running(self) -> int:
        return self._running

    # -- the routes' calls ----------------------------------------------------------------------
    def submit(
        self, kind: str, spec: Spec, output: str, write_inputs: Callable[[Path], dict[str, Any]]
    ) -> dict:
        """Queue a job of ``spec`` (its paths named relative to the job's folder). The folder is
        made whole before the job is listed: ``write_inputs(folder)`` writes the input files there,
        checks them (raising the error a client should see) and returns what the job tells of them."""
        with self._cond:
            self._check_room()
            self._reserved += 1
        try:
            job_id = uuid.uuid4().hex
            job = Job(job_id, kind, self.root / job_id, spec.to_dict(), output, {}, created=now())
            with atomic_folder(job.folder) as temp:
                job.inputs = write_inputs(temp)
                atomic_write_text(temp / JOB_FILE, _dumps(job.record()))
            with self._cond:
                self._jobs[job_id] = job
                if self._closing:
                    self._end(job, "failed", error_body(503, "The server is stopping; submit the job again."))
                else:
                    self._queue.append(job)
                    self._cond.notify()
                log.info("job %s (%s) queued", job_id, kind)
                return job.view()
        finally:
            with self._cond:
                self._reserved -= 1

    def jobs(self) -> list[dict[str, Any]]:
        with self._cond:
            return [j.view() for j in sorted(self._jobs.values(), key=lambda j: j.created)]

    def get(self, job_id: str) -> dict[str, Any]:
        with self._cond:
            return self._find(job_id).view()

    def cancel(self, job_id: str) -> dict[str, Any]:
        """Cancel a queued job (dropped) or a running one (it stops at its next progress event;
        this waits up to ``CANCEL_WAIT`` seconds for that); remove a finished one and its folder."""
        with self._cond:
            job = self._find(job_id)
            if job.state == "queued":
                self._queue.remove(job)
                self._end(job, "cancelled")
            elif job.state == "running":
                job.stop = job.stop or "cancel"
            else:
                del self._jobs[job_id]
                shutil.rmtree(job.folder, ignore_errors=True)
                log.info("job %s removed", job_id)
                return {**job.view(), "removed": True}
        job.ended.wait(CANCEL_WAIT)
        with self._cond:
            return job.view()

    def result(self, job_id: str) -> Path:
        """The output file of a done job (JSONL, with its provenance sidecar)."""
        with self._cond:
            job = self._find(job_id)
            if job.state != "done":
                why = {"failed": "has no result; its error says why", "cancelled": "has no result"}.get(
                    job.state, "has no result yet"
                )
                raise NotReadyError(f"Job {job_id} is {job.state} and {why} (GET /jobs/{job_id}).")
            path = job.folder / job.output
        if not path.is_file():
            raise NotFoundError(f"The result file of job {job_id} is gone from the server's jobs folder.")
        return path

    def close(self) -> None:
        """Stop: queued jobs fail (the server stopped), running ones are asked to stop at their next
        event, and this waits up to ``CLOSE_WAIT`` seconds for them."""
        with self._cond:
            if self._closing:
                return
            self._closing = True
            while self._queue:
                self._end(self._queue.popleft(), "failed", _stopped("queued"))
            for job in self._jobs.values():
                if job.state == "running":
                    job.stop = "shutdown"
            self._cond.notify_all()
        deadline = time.monotonic() + CLOSE_WAIT
        for t in self._threads:
            t.join(max(0.0, deadline - time.monotonic()))

    # -- inside -----------------------------------------------------------------------------------
    def _find(self, job_id: str) -> Job:
        job = self._jobs.get(job_id)
        if job is None:
            raise NotFoundError(f"No job {job_id!r} on this server; GET /jobs lists them.")
        return job

    def _check_room(self) -> None:
        s = self.settings
        waiting = len(self._queue) + self._reserved
        if self._running + waiting >= s.max_jobs + s.max_queued:
            raise BusyError(
                f"The job queue is full: {self._running} job(s) running (max_jobs {s.max_jobs}) and {waiting} "
                f"waiting (max_queued {s.max_queued}); try again when one has finished, or raise "
                "INTERLINGUA_MAX_JOBS / INTERLINGUA_MAX_QUEUED."
            )

    def _end(self, job: Job, state: str, error: dict[str, Any] | None = None) -> None:
        """Record a job's final state (the lock is held)."""
        job.state, job.error, job.finished = state, error, now()
        self._save(job)
        self.metrics.jobs.labels(job.kind, state).inc()
        job.ended.set()
        log.info("job %s (%s) %s", job.id, job.kind, state)

    def _save(self, job: Job) -> None:
        try:
            atomic_write_text(job.folder / JOB_FILE, _dumps(job.record()))
        except InterlinguaError as exc:  # a full disk must not stop the runner: the job is in memory
            log.error("job %s: %s", job.id, exc)

    def _work(self) -> None:
        while True:
            with self._cond:
                while not self._queue and not self._closing:
                    self._cond.wait()
                if self._closing:
                    return
                job = self._queue.popleft()
                job.state, job.started = "running", now()
                self._running += 1
                self._save(job)
            try:
                self._execute(job)
            finally:
                with self._cond:
                    self._running -= 1

    def _execute(self, job: Job) -> None:
        from ..mine import AlignJob, MineJob, output_formats, run

        spec_class = {"mine": MineJob, "align": AlignJob}[job.kind]
        paths = {k: str(job.folder / job.spec[k]) for k in ("src", "tgt")}
        output = job.folder / job.output
        try:
            spec = spec_class.from_dict({**job.spec, **paths, "output": str(output)})
            report = run(spec, progress=self._progress_of(job))
            if job.stop is not None:  # no event came after the request: it is honoured all the same
                raise JobCancelled(job.id)
            formats = output_formats(output)
        except JobCancelled:
            self._finish(job, "failed" if job.stop == "shutdown" else "cancelled", _stopped("running"))
        except InterlinguaError as exc:
            self._finish(job, "failed", error_body(exc.http_status, job.scrub(str(exc)), exc.field))
        except Exception:
            log.exception("job %s (%s) failed", job.id, job.kind)
            self._finish(job, "failed", error_body(500, "Internal error; the server log has the details."))
        else:
            with self._cond:
                job.report = job.scrub(json.loads(_dumps(report.to_dict())))
                job.formats = tuple(formats)
                self._end(job, "done")

    def _finish(self, job: Job, state: str, error: dict[str, Any]) -> None:
        for name in (job.output, job.output + ".meta.json"):  # none, as the writers are atomic
            (job.folder / name).unlink(missing_ok=True)
        with self._cond:
            self._end(job, state, None if state == "cancelled" else error)

    def _progress_of(self, job: Job) -> Callable[[ProgressEvent], None]:
        def progress(event: ProgressEvent) -> None:
            if job.stop is not None:
                raise JobCancelled(job.id)
            with self._cond:
                p = job.progress
                if event.kind == "start":
                    job.progress = {"task": event.task, "done": 0, "total": event.total, "unit": event.unit}
                elif event.kind == "advance":
                    p["done"] += event.n
                elif event.kind == "end" and p.get("total") is not None:
                    p["done"] = p["total"]
                elif event.kind == "note" and event.message:
                    job.notes.append(job.scrub(event.message))

        return progress

    def _load(self) -> None:
        """List the jobs a previous run left; the unfinished ones failed when it stopped."""
        for folder in sorted(self.root.iterdir()):
            if _HALF_MADE.fullmatch(folder.name) and folder.is_dir():
                shutil.rmtree(folder, ignore_errors=True)
                continue
            if not (_ID.fullmatch(folder.name) and folder.is_dir()):
                continue
            try:
                job = Job.from_record(json.loads((folder / JOB_FILE).read_text(encoding="utf-8")), folder)
            except (OSError, ValueError, KeyError, TypeError) as exc:
                log.warning("jobs: skipping %s (%s)", folder, exc)
                continue
            for temp in folder.iterdir():
                if _TEMP_FILE.fullmatch(temp.name) and temp.is_file():
                    temp.unlink(missing_ok=True)
            if job.state not in FINAL:
                for name in (job.output, job.output + ".meta.json"):
                    (folder / name).unlink(missing_ok=True)
                job.error, job.finished = _stopped(job.state), now()
                job.state = "failed"
                job.ended.set()
                self._save(job)
            self._jobs[job.id] = job


def _stopped(was: str) -> dict[str, Any]:
    return error_body(503, f"The server stopped while the job was {was}; submit it again.")


def _dumps(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False, indent=1, default=str) + "\n"


__all__ = ["FINAL", "Job", "JobRunner"]
