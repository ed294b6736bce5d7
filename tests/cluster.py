"""The services as a cluster in this process: region, account and transfer,
real servers on real channels, each with its own database on the backend of
the test (SQLite or PostgreSQL). Loaded as a pytest plugin by conftest.py."""

from __future__ import annotations

import contextlib
import itertools

import pytest
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from yibao.account.v1 import account_pb2 as pb
from yibao.account.v1 import account_pb2_grpc

from services.account.bootstrap import bootstrap as start_account
from services.account.domain.identity import check_digit
from services.account.settings import AccountSettings
from services.kernel import tracing
from services.kernel.auth import Role
from services.kernel.migrations import upgrade
from services.region.adapters.seed import seed_region
from services.region.bootstrap import bootstrap as start_region
from services.region.settings import RegionSettings
from services.transfer.bootstrap import bootstrap as start_transfer
from services.transfer.settings import TransferSettings
from tests import tls
from tests.tls import aio_channel

ID_HASH_KEY = "test-id-hash-key-0123456789abcdef"
FACE_KEY = "test-face-ticket-key-0123456789abcdef"
_serial = itertools.count(1)


def id_number(region: str = "450102", birth: str = "19900307") -> str:
    """A valid, unique 18-character ID number."""
    first17 = f"{region}{birth}{next(_serial) % 1000:03d}"
    return first17 + check_digit(first17)


@pytest.fixture
async def region_server(new_database, tokens, clock):
    url = new_database()
    upgrade("region", url)
    await seed_region(url, clock, demo=True)  # 广西, 北京, 广东 enabled; 桂林 (450300) not
    server = await start_region(RegionSettings(url, tls=tls.SERVICE), tokens, clock)
    server.database_url = url
    yield server
    await server.stop(0)


@pytest.fixture
def region_target(region_server) -> str:
    return region_server.address


@contextlib.asynccontextmanager
async def serve_account(url: str, region_target: str, tokens, clock, **settings):
    """The account service on the database at ``url`` (migrated here), stopped at the end."""
    upgrade("account", url)
    server = await start_account(
        AccountSettings(
            url,
            region_target,
            ID_HASH_KEY,
            FACE_KEY,
            password_time_cost=1,
            password_memory_kib=8192,
            tls=tls.SERVICE,
            **settings,
        ),
        tokens,
        clock,
    )
    server.database_url = url
    try:
        yield server
    finally:
        await server.stop(0)


@contextlib.asynccontextmanager
async def serve_index(url: str, tokens, clock):
    """The national person index (R24) on the database at ``url`` (migrated here), stopped at the end."""
    from services.index.bootstrap import bootstrap as start_index
    from services.index.settings import IndexSettings

    upgrade("index", url)
    server = await start_index(IndexSettings(url, tls=tls.SERVICE), tokens, clock)
    try:
        yield server
    finally:
        await server.stop(0)


@pytest.fixture
async def account_server(new_database, region_target, tokens, clock):
    async with serve_account(new_database(), region_target, tokens, clock) as server:
        yield server


@pytest.fixture
async def account(account_server):
    async with aio_channel(account_server.address) as channel:
        yield account_pb2_grpc.AccountServiceStub(channel)


@pytest.fixture
def as_province(bearer):
    return lambda province="450000": bearer(Role.PROVINCE, f"platform-{province}", province=province)


@pytest.fixture
def as_citizen(bearer):
    return lambda person_id: bearer(Role.CITIZEN, person_id, person_id=person_id)


@pytest.fixture
def as_service(bearer):
    return bearer(Role.SERVICE, "transfer")


@pytest.fixture
def as_institution(bearer):
    return lambda code="H45010300001": bearer(Role.INSTITUTION, code, institution=code)


@pytest.fixture
def register(account, as_province):
    """register(name, region, kind) -> Person, registered by its province."""

    async def make(name="张三", region="450102", kind=pb.INSURANCE_TYPE_EMPLOYEE, number=None):
        request = pb.RegisterPersonRequest(
            id_number=number or id_number(region), name=name, insurance_type=kind, insured_region=region
        )
        return (await account.RegisterPerson(request, metadata=as_province(region[:2] + "0000"))).person

    return make


@pytest.fixture
def with_wallet(account, as_citizen):
    async def make(person, place="450102", mobile="13800138000"):
        request = pb.OpenWalletRequest(person_id=person.id, place_of_use=place, mobile=mobile)
        return (await account.OpenWallet(request, metadata=as_citizen(person.id))).wallet

    return make


@pytest.fixture
async def transfer_server(new_database, account_server, region_target, tokens, clock):
    url = new_database()
    upgrade("transfer", url)
    # No reconciler passes of the worker's own: the R22 tests run theirs when the fault is in place.
    settings = TransferSettings(
        url,
        account_server.address,
        region_target,
        worker_interval=0.05,
        reconcile_interval=0,
        tls=tls.SERVICE,
    )
    server = await start_transfer(settings, tokens, clock)
    server.database_url = url
    yield server
    await server.stop(0)


@pytest.fixture
async def transfers(transfer_server):
    from yibao.transfer.v1 import transfer_pb2_grpc

    async with aio_channel(transfer_server.address) as channel:
        yield transfer_pb2_grpc.TransferServiceStub(channel)


@pytest.fixture
def spans():
    """Tracing on (OpenTelemetry, spans kept in memory) for what the test starts
    after it: ask for it before the servers and channels are made."""
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracing.instrument(provider)
    yield exporter
    tracing.shutdown()
