"""A stand-in OTLP/gRPC collector (opentelemetry-proto's TraceService):
what `make bench` with BENCH_TRACING=on exports its spans to, and what the
tracing tests read the spans of `yibao run` from. No Jaeger or collector is
installable here; this receives and counts, as one would."""

from __future__ import annotations

import threading
from concurrent import futures

import grpc
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2, trace_service_pb2_grpc

DEFAULT_OTLP_PORT = 4317


class Collector(trace_service_pb2_grpc.TraceServiceServicer):
    def __init__(self) -> None:
        self.spans: list = []  # (service.name, span)
        self._lock = threading.Lock()

    def Export(self, request, context):  # noqa: N802  (the service's method)
        with self._lock:
            for resource in request.resource_spans:
                name = next(
                    (a.value.string_value for a in resource.resource.attributes if a.key == "service.name"),
                    "",
                )
                for scope in resource.scope_spans:
                    self.spans += [(name, span) for span in scope.spans]
        return trace_service_pb2.ExportTraceServiceResponse()

    def rpc_services(self) -> set[str]:
        with self._lock:
            return {
                a.value.string_value
                for _, span in self.spans
                for a in span.attributes
                if a.key == "rpc.service"
            }


def start_collector(port: int = 0, host: str = "127.0.0.1") -> tuple[grpc.Server, Collector, int]:
    collector = Collector()
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
    trace_service_pb2_grpc.add_TraceServiceServicer_to_server(collector, server)
    port = server.add_insecure_port(f"{host}:{port}")
    server.start()
    return server, collector, port
