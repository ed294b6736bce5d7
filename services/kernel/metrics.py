"""Prometheus metrics, served on a side HTTP port."""

from __future__ import annotations

from prometheus_client import Counter, Histogram, start_http_server

RPCS = Counter("yibao_grpc_requests", "gRPC calls handled", ["service", "method", "code"])
LATENCY = Histogram(
    "yibao_grpc_request_seconds",
    "gRPC call latency",
    ["service", "method"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5),
)


def serve_metrics(port: int, host: str = "0.0.0.0"):
    """Starts the exposition server; returns an object with shutdown(), or None when port is 0."""
    if not port:
        return None
    server, _thread = start_http_server(port, addr=host)
    return server
