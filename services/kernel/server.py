"""gRPC server bootstrap shared by the services: grpc.aio with the service
interceptor, grpc.health.v1, server reflection, Prometheus metrics on a side
port and graceful shutdown on SIGTERM / SIGINT."""

from __future__ import annotations

import asyncio
import gc
import logging
import signal
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from wsgiref.simple_server import WSGIServer

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection

from services.kernel.auth import Access, TokenAuthority
from services.kernel.interceptor import ServiceInterceptor
from services.kernel.metrics import ServiceMetrics
from services.kernel.tls import TlsFiles, server_credentials

log = logging.getLogger("yibao.server")

_OPTIONS = [
    ("grpc.so_reuseport", 0),
    ("grpc.max_receive_message_length", 4 * 1024 * 1024),
    ("grpc.keepalive_permit_without_calls", 1),
]


@dataclass
class ServiceDefinition:
    """What a service contributes to a server."""

    name: str  # "region"
    full_name: str  # "yibao.region.v1.RegionService"
    error_domain: str  # "region.yibao"
    policy: Mapping[str, Access]
    register: Callable[[grpc.aio.Server], None]  # adds the servicer to a server
    on_stop: list[Callable[[], object]] = field(default_factory=list)


@dataclass
class RunningServer:
    definition: ServiceDefinition
    server: grpc.aio.Server
    health: health.aio.HealthServicer
    port: int
    address: str
    metrics_server: WSGIServer | None = None
    components: dict[str, object] = field(default_factory=dict)  # e.g. background workers, for tests

    async def stop(self, grace: float = 5.0) -> None:
        await self.health.enter_graceful_shutdown()
        await self.server.stop(grace)
        if self.metrics_server is not None:
            self.metrics_server.shutdown()
        for hook in self.definition.on_stop:
            result = hook()
            if asyncio.iscoroutine(result):
                await result


async def start_server(
    definition: ServiceDefinition,
    listen: str,
    tokens: TokenAuthority,
    metrics_port: int = 0,
    metrics: ServiceMetrics | None = None,
    tls: TlsFiles | None = None,
) -> RunningServer:
    metrics = metrics or ServiceMetrics(definition.name)
    interceptor = ServiceInterceptor(
        definition.name, definition.error_domain, definition.policy, tokens, metrics
    )
    server = grpc.aio.server(interceptors=[interceptor], options=_OPTIONS)
    definition.register(server)
    health_servicer = health.aio.HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(health_servicer, server)
    reflection.enable_server_reflection(
        (
            definition.full_name,
            health_pb2.DESCRIPTOR.services_by_name["Health"].full_name,
            reflection.SERVICE_NAME,
        ),
        server,
    )
    if tls is None:
        port = server.add_insecure_port(listen)
    else:
        port = server.add_secure_port(listen, server_credentials(tls))
    if port == 0:
        raise RuntimeError(f"cannot listen on {listen}")
    await server.start()
    for name in ("", definition.full_name):
        await health_servicer.set(name, health_pb2.HealthCheckResponse.SERVING)
    host = listen.rsplit(":", 1)[0]
    running = RunningServer(
        definition, server, health_servicer, port, f"{host}:{port}", metrics.serve(metrics_port)
    )
    log.info(
        "%s listening on %s",
        definition.name,
        running.address,
        extra={"service": definition.name, "address": running.address, "metrics_port": metrics_port},
    )
    return running


def settle_garbage_collector() -> None:
    """What start-up made (modules, protobuf descriptors, compiled SQL) lives
    as long as the process: it is moved out of the cyclic collector's reach,
    so that a full collection scans only what serving creates. Without this,
    full collections paused the money path for 60-170 ms (measured)."""
    gc.collect()
    gc.freeze()


async def run_until_signalled(servers: list[RunningServer], grace: float) -> None:
    """Blocks until SIGTERM or SIGINT, then drains and stops every server."""
    settle_garbage_collector()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    log.info("shutting down", extra={"grace_seconds": grace})
    await asyncio.gather(*(s.stop(grace) for s in servers))
