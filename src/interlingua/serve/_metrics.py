"""Prometheus metrics of one app: requests and latency per route, encoded texts, the job queue.

Each app has its own registry (two apps in one process, as in tests, count apart). Routes are
counted by their template (``/collections/{name}/search``), never by the raw path, so a client
cannot grow the label set.
"""

from __future__ import annotations

from collections.abc import Callable

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

#: latency buckets (seconds): a query takes milliseconds, a batch of documents seconds
BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)


class Metrics:
    content_type = CONTENT_TYPE_LATEST

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.requests = Counter(
            "interlingua_requests", "HTTP requests answered", ["route", "method", "status"], registry=r
        )
        self.latency = Histogram(
            "interlingua_request_duration_seconds",
            "time to answer a request",
            ["route", "method"],
            buckets=BUCKETS,
            registry=r,
        )
        self.in_flight = Gauge("interlingua_requests_in_flight", "requests being answered", registry=r)
        self.encoded = Counter(
            "interlingua_encoded_texts", "texts encoded for requests", ["model", "route"], registry=r
        )
        self.tokens = Counter(
            "interlingua_encoded_tokens", "tokens encoded for requests", ["model"], registry=r
        )
        self.truncated = Counter(
            "interlingua_truncated_texts", "texts cut at the model's token limit", ["model"], registry=r
        )
        self.queue_depth = Gauge("interlingua_jobs_queued", "jobs waiting for a slot", registry=r)
        self.jobs_running = Gauge("interlingua_jobs_running", "jobs running", registry=r)
        self.jobs = Counter("interlingua_jobs", "jobs finished", ["kind", "state"], registry=r)

    def observe(self, route: str, method: str, status: int, seconds: float) -> None:
        self.requests.labels(route, method, str(status)).inc()
        self.latency.labels(route, method).observe(seconds)

    def count_encoded(self, model: str, route: str, texts: int, tokens: int = 0, truncated: int = 0) -> None:
        self.encoded.labels(model, route).inc(texts)
        if tokens:
            self.tokens.labels(model).inc(tokens)
        if truncated:
            self.truncated.labels(model).inc(truncated)

    def watch_queue(self, queued: Callable[[], int], running: Callable[[], int]) -> None:
        """Read the job queue when scraped (a gauge that is never stale)."""
        self.queue_depth.set_function(queued)
        self.jobs_running.set_function(running)

    def render(self) -> bytes:
        return generate_latest(self.registry)


__all__ = ["BUCKETS", "Metrics"]
