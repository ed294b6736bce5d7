"""The region service's composition root: settings -> engine, unit of work,
use cases, gRPC server."""

from __future__ import annotations

from services.kernel.auth import TokenAuthority
from services.kernel.clock import Clock
from services.kernel.db import create_engine
from services.kernel.metrics import ServiceMetrics
from services.kernel.server import RunningServer, start_server
from services.region.adapters.repository import region_unit_of_work
from services.region.entrypoints.grpc_api import RegionServicer, region_service
from services.region.settings import RegionSettings
from services.region.usecases.institutions import InstitutionUseCases
from services.region.usecases.platforms import PlatformUseCases
from services.region.usecases.regions import RegionUseCases
from services.region.usecases.shards import ShardUseCases


async def bootstrap(settings: RegionSettings, tokens: TokenAuthority, clock: Clock) -> RunningServer:
    engine = create_engine(settings.database_url)
    metrics = ServiceMetrics("region")
    metrics.count_sql(engine)
    uow = region_unit_of_work(engine)
    servicer = RegionServicer(
        RegionUseCases(uow, clock),
        InstitutionUseCases(uow, clock),
        PlatformUseCases(uow, clock),
        ShardUseCases(uow, clock),
    )
    definition = region_service(servicer, on_stop=[engine.dispose])
    server = await start_server(
        definition, settings.listen, tokens, settings.metrics_port, metrics, settings.tls
    )
    server.components["metrics"] = metrics
    return server
