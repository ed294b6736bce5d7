from __future__ import annotations

import pytest
from yibao.index.v1 import index_pb2_grpc

from services.index.bootstrap import bootstrap
from services.index.settings import IndexSettings
from services.kernel.auth import Role
from services.kernel.migrations import upgrade
from tests.tls import SERVICE as SERVICE_TLS
from tests.tls import aio_channel


@pytest.fixture
def index_db(database_url) -> str:
    """A migrated, empty index database (SQLite, and PostgreSQL)."""
    upgrade("index", database_url)
    return database_url


@pytest.fixture
async def index_server(index_db, tokens, clock):
    server = await bootstrap(IndexSettings(index_db, tls=SERVICE_TLS), tokens, clock)
    yield server
    await server.stop(0)


@pytest.fixture
async def index_stub(index_server):
    async with aio_channel(index_server.address) as channel:
        yield index_pb2_grpc.PersonIndexServiceStub(channel)


@pytest.fixture
def service(bearer):
    """The metadata of a routing service's call (the account service)."""
    return bearer(Role.SERVICE, "account")
