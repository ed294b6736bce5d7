"""The services as a cluster in this process: region, account and transfer,
real servers on real channels, each with its own database on the backend of
the test (SQLite or PostgreSQL). Loaded as a pytest plugin by conftest.py."""

from __future__ import annotations

import contextlib
import itertools
import os
from collections.abc import Callable
from dataclasses import dataclass, field

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
    settings = AccountSettings(
        url,
        region_target,
        ID_HASH_KEY,
        FACE_KEY,
        password_time_cost=1,
        password_memory_kib=8192,
        tls=tls.SERVICE,
        **settings,
    )
    server = await start_account(settings, tokens, clock)
    server.database_url = url
    server.settings = settings  # to start it again on its database (dataclasses.replace)
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


# R24: YIBAO_TEST_ACCOUNT_SHARDS=2 runs the tests that use the account
# service through `account_server` on the federated topology instead: the
# national index, two shards with the provinces dealt out between them (北京
# in s1, 广西 in s2), and the account router in front (make test-shards).
ACCOUNT_SHARDS = int(os.environ.get("YIBAO_TEST_ACCOUNT_SHARDS", "1"))


@dataclass
class FederatedAccount:
    """The account service as shards behind the router: ``address`` is the
    router's, ``database_urls`` the shards'; each of ``shards`` is a running
    account service with its ``shard`` name, ``address`` and ``database_url``,
    and ``provinces`` gives the one that owns a province."""

    address: str
    database_urls: list[str]
    index_address: str
    shards: list
    stop: Callable
    provinces: dict[str, object] = field(default_factory=dict)
    region_database_url: str = ""  # where the shard map is (point_shard_at)


@contextlib.asynccontextmanager
async def serve_federated_account(new_database, region_server, tokens, clock, count: int = 2):
    from services.federation import put_shard_map, shard_names
    from services.router.bootstrap import bootstrap as start_router
    from services.router.settings import RouterSettings

    region_target = region_server.address
    async with contextlib.AsyncExitStack() as stack:
        index = await stack.enter_async_context(serve_index(new_database(), tokens, clock))
        shards = {}
        for name in shard_names(count):
            shards[name] = await stack.enter_async_context(
                serve_account(
                    new_database(), region_target, tokens, clock, index_target=index.address, shard=name
                )
            )
            shards[name].shard = name
        targets = {n: s.address for n, s in shards.items()}
        dealt = await put_shard_map(region_server.database_url, clock, targets)
        settings = RouterSettings(region_target, index.address, shards["s1"].address, tls=tls.SERVICE)
        router = await start_router(settings, tokens, clock)
        stack.push_async_callback(router.stop, 0)
        yield FederatedAccount(
            router.address,
            [s.database_url for s in shards.values()],
            index.address,
            list(shards.values()),
            router.stop,
            {province: shards[name] for name, provinces in dealt.items() for province in provinces},
            region_server.database_url,
        )


def account_urls(server) -> list[str]:
    """The account databases behind ``account_server``: one, or a shard's each."""
    return getattr(server, "database_urls", None) or [server.database_url]


def account_keeper(server, person):
    """The running account service behind ``account_server`` that keeps
    ``person`` (a Member, or a region code): under R24 the shard that owns
    their province, else the one account service. Its ``address`` and
    ``database_url`` are that service's own, not the router's."""
    region = person if isinstance(person, str) else person.region
    if isinstance(server, FederatedAccount):
        return server.provinces[f"{region[:2]}0000"]
    return server


def payee_province_of_hold(server, payer, payee) -> str:
    """What a HoldTransferRequest asked of the payer's account service
    directly carries as ``payee_province``: the payee's province when another
    shard keeps them (R24), else "" (the payee is there)."""
    if account_keeper(server, payer) is account_keeper(server, payee):
        return ""
    return f"{payee.region[:2]}0000"


async def point_shard_at(account_server: FederatedAccount, shard, target: str, clock) -> None:
    """The shard map names ``target`` for ``shard`` (one of ``account_server.shards``):
    whatever routes by the map (the transfer service, the router, the other
    shards) reaches the shard there once it reads the map again (a service
    started now, at once; the others within their staleness bound)."""
    from services.kernel.db import create_engine
    from services.region.adapters.repository import region_unit_of_work
    from services.region.usecases.shards import ShardUseCases

    engine = create_engine(account_server.region_database_url)
    try:
        await ShardUseCases(region_unit_of_work(engine), clock).put(shard.shard, target, [])
    finally:
        await engine.dispose()


class AccountShards:
    """A stub of each account service behind ``account_server`` (the
    ``account_shards`` fixture): under R24 its shards, else the one account
    service. For the calls the account router does not pass on (holds,
    receipts and refunds of transfers, ListHolds: METHOD_NOT_ROUTED), made
    where the transfer service itself makes them."""

    def __init__(self, server) -> None:
        self.server = server
        self._channels: dict[str, object] = {}

    def _stub(self, address: str) -> account_pb2_grpc.AccountServiceStub:
        if address not in self._channels:
            self._channels[address] = aio_channel(address)
        return account_pb2_grpc.AccountServiceStub(self._channels[address])

    def keeper(self, person):
        """The running account service that keeps ``person`` (account_keeper)."""
        return account_keeper(self.server, person)

    def of(self, person) -> account_pb2_grpc.AccountServiceStub:
        """A stub of the account service that keeps ``person``: a transfer's
        hold is in its payer's."""
        return self._stub(self.keeper(person).address)

    def every(self) -> list[account_pb2_grpc.AccountServiceStub]:
        """A stub of each account service, in the map's order."""
        return [self._stub(s.address) for s in getattr(self.server, "shards", None) or [self.server]]

    async def close(self) -> None:
        for channel in self._channels.values():
            await channel.close()


def transfer_settings(database_url: str, account_server, region_target: str, **settings) -> TransferSettings:
    """The transfer service's settings on this cluster: its database, the
    account service of ``account_server`` (under R24 routed by the shard map,
    the persons found in the index) and TLS, with ``settings`` (worker_interval,
    batch_window, a proxy's ``account_target`` …) as given."""
    settings.setdefault("account_target", account_server.address)
    settings.setdefault("tls", tls.SERVICE)
    settings.setdefault("index_target", getattr(account_server, "index_address", ""))
    return TransferSettings(database_url, region_target=region_target, **settings)


def transfer_env(account_server) -> dict[str, str]:
    """The same for a transfer service (or `yibao` command) in a process of
    its own: the YIBAO_* variables that name the account service, and under
    R24 the index and routing by the shard map."""
    env = {"YIBAO_ACCOUNT_TARGET": account_server.address}
    if index := getattr(account_server, "index_address", ""):
        env |= {"YIBAO_INDEX_TARGET": index, "YIBAO_ACCOUNT_SHARDED": "true"}
    return env


@pytest.fixture
async def account_server(new_database, region_server, tokens, clock):
    if ACCOUNT_SHARDS > 1:
        async with serve_federated_account(
            new_database, region_server, tokens, clock, ACCOUNT_SHARDS
        ) as front:
            yield front
        return
    async with serve_account(new_database(), region_server.address, tokens, clock) as server:
        yield server


@pytest.fixture
async def account(account_server):
    async with aio_channel(account_server.address) as channel:
        yield account_pb2_grpc.AccountServiceStub(channel)


@pytest.fixture
async def account_shards(account_server):
    shards = AccountShards(account_server)
    yield shards
    await shards.close()


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
    settings = transfer_settings(
        url, account_server, region_target, worker_interval=0.05, reconcile_interval=0
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
