"""Builds a running region service from settings: engine, use cases, server."""

from __future__ import annotations

from services.kernel.auth import TokenAuthority
from services.kernel.clock import Clock, SystemClock
from services.kernel.db import create_engine
from services.kernel.server import RunningServer, start_server
from services.region.entrypoints.grpc_api import region_service
from services.region.service import RegionUseCases


async def start_region(
    database_url: str, listen: str, tokens: TokenAuthority, clock: Clock | None = None, metrics_port: int = 0
) -> RunningServer:
    engine = create_engine(database_url)
    cases = RegionUseCases(engine, clock or SystemClock())
    return await start_server(region_service(cases, on_stop=[engine.dispose]), listen, tokens, metrics_port)
