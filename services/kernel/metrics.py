"""Prometheus metrics: one registry per service, served on that service's
side HTTP port, so services sharing a process (``yibao run``) keep their
figures apart."""

from __future__ import annotations

from wsgiref.simple_server import WSGIServer

from prometheus_client import CollectorRegistry, Counter, Histogram, start_http_server

_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5)


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
