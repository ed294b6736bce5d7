from __future__ import annotations

import pytest
from yibao.region.v1 import region_pb2_grpc

from services.kernel.db import create_engine
from services.kernel.migrations import upgrade
from services.region.adapters.seed import load_divisions
from services.region.bootstrap import bootstrap
from services.region.settings import RegionSettings
from tests.tls import SERVICE as SERVICE_TLS
from tests.tls import aio_channel


@pytest.fixture
def region_db(database_url) -> str:
    """A migrated region database (no regions loaded)."""
    upgrade("region", database_url)
    return database_url


@pytest.fixture
async def engine(region_db):
    engine = create_engine(region_db)
    await load_divisions(engine)
    yield engine
    await engine.dispose()


@pytest.fixture
async def region_server(engine, region_db, tokens, clock):
    server = await bootstrap(RegionSettings(region_db, tls=SERVICE_TLS), tokens, clock)
    yield server
    await server.stop(0)


@pytest.fixture
async def region_stub(region_server):
    async with aio_channel(region_server.address) as channel:
        yield region_pb2_grpc.RegionServiceStub(channel)
