"""The national person index's composition root: settings -> engine, unit of
work, use cases, gRPC server."""

from __future__ import annotations

from services.index.adapters.repository import index_unit_of_work
from services.index.entrypoints.grpc_api import PersonIndexServicer, index_service
from services.index.settings import IndexSettings
from services.index.usecases.identities import IdentityUseCases
from services.kernel.auth import TokenAuthority
from services.kernel.clock import Clock
from services.kernel.db import create_engine
from services.kernel.metrics import ServiceMetrics
from services.kernel.server import RunningServer, start_server


async def bootstrap(settings: IndexSettings, tokens: TokenAuthority, clock: Clock) -> RunningServer:
    engine = create_engine(settings.database_url)
    metrics = ServiceMetrics("index")
    metrics.count_sql(engine)
    servicer = PersonIndexServicer(IdentityUseCases(index_unit_of_work(engine), clock))
    definition = index_service(servicer, on_stop=[engine.dispose])
    server = await start_server(
        definition, settings.listen, tokens, settings.metrics_port, metrics, settings.tls
    )
    server.components["metrics"] = metrics
    return server
