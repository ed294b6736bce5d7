"""Prometheus metrics: one registry per service, served on that service's
side HTTP port, so services sharing a process (``yibao run``) keep their
figures apart. The alert rules that read them are deploy/prometheus/alerts.yml
(docs/operations.md, *Alerts*)."""

from __future__ import annotations

from typing import TYPE_CHECKING
from wsgiref.simple_server import WSGIServer

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, start_http_server

if TYPE_CHECKING:
    from services.kernel.batching import MicroBatcher

# Call latency. A submission or a receipt waits up to 2 ms for others (group
# commit, kernel/batching.py) and then takes a few calls and transactions:
# the low end is fine enough to tell the window from the work after it.
_BUCKETS = (
    0.0005,
    0.001,
    0.002,
    0.003,
    0.004,
    0.005,
    0.0075,
    0.01,
    0.015,
    0.025,
    0.05,
    0.1,
    0.25,
    0.5,
    1,
    2.5,
    5,
)
# Requests per batch: MicroBatcher's max_items is 64 by default.
_BATCH_BUCKETS = (1, 2, 4, 8, 16, 32, 64, 128)


class _BatchFigures:
    """A MicroBatcher's observer: the size of each batch that leaves, and refusals."""

    def __init__(self, sizes: Histogram, refusals: Counter) -> None:
        self._sizes, self._refusals = sizes, refusals

    def sent(self, size: int) -> None:
        self._sizes.observe(size)

    def refused(self) -> None:
        self._refusals.inc()


class ServiceMetrics:
    def __init__(self, service: str) -> None:
        self.service = service
        self.registry = CollectorRegistry()
        self._calls = Counter(
            "yibao_grpc_requests", "gRPC calls handled", ["service", "method", "code"], registry=self.registry
        )
        self._latency = Histogram(
            "yibao_grpc_request_seconds",
            "gRPC call latency",
            ["service", "method"],
            buckets=_BUCKETS,
            registry=self.registry,
        )
        self._batches: tuple[Histogram, Counter, Gauge] | None = None

    def watch_batcher(self, name: str, batcher: MicroBatcher) -> None:
        """Group commit's figures for ``batcher``: the size of each batch
        (``yibao_batch_size``), the requests waiting to leave, read at scrape
        time (``yibao_batch_waiting``), and those refused because the queue
        was full (``yibao_batch_refusals_total``, RESOURCE_EXHAUSTED)."""
        if self._batches is None:
            labels = ["service", "batcher"]
            self._batches = (
                Histogram(
                    "yibao_batch_size",
                    "Requests per batch sent (group commit)",
                    labels,
                    buckets=_BATCH_BUCKETS,
                    registry=self.registry,
                ),
                Counter(
                    "yibao_batch_refusals",
                    "Requests refused because the batch queue was full (RESOURCE_EXHAUSTED)",
                    labels,
                    registry=self.registry,
                ),
                Gauge(
                    "yibao_batch_waiting",
                    "Requests waiting for a batch to leave",
                    labels,
                    registry=self.registry,
                ),
            )
        sizes, refusals, waiting = self._batches
        waiting.labels(self.service, name).set_function(lambda: batcher.waiting)
        batcher.observer = _BatchFigures(
            sizes.labels(self.service, name), refusals.labels(self.service, name)
        )

    def count_sql(self, engine) -> None:
        """Counts the statements and transactions ``engine`` runs (the cost
        model of docs/performance.md, read by the benchmark)."""
        from sqlalchemy import event

        statements = Counter(
            "yibao_sql_statements", "SQL statements executed", ["service"], registry=self.registry
        )
        transactions = Counter(
            "yibao_sql_transactions", "SQL transactions begun", ["service"], registry=self.registry
        )
        on_statement, on_commit = statements.labels(self.service), transactions.labels(self.service)
        event.listen(engine.sync_engine, "before_cursor_execute", lambda *_: on_statement.inc())
        event.listen(engine.sync_engine, "commit", lambda *_: on_commit.inc())

    def observe(self, method: str, code: str, seconds: float) -> None:
        self._calls.labels(self.service, method, code).inc()
        self._latency.labels(self.service, method).observe(seconds)

    def serve(self, port: int, host: str = "0.0.0.0") -> WSGIServer | None:
        """Starts the exposition server; returns an object with shutdown(), or None when port is 0."""
        if not port:
            return None
        server, _thread = start_http_server(port, addr=host, registry=self.registry)
        return server
