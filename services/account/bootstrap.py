"""The account service's composition root: settings -> engine, unit of work,
region client, use cases, gRPC server, and the publisher of the bill events
and lapses to NATS JetStream when YIBAO_NATS_URL is set."""

from __future__ import annotations

from argon2 import PasswordHasher

from services.account.adapters.index_client import IndexClient
from services.account.adapters.jetstream import FeedJetStreamSink
from services.account.adapters.peer_shards import PeerShardClient
from services.account.adapters.region_client import RegionClient
from services.account.adapters.repository import account_unit_of_work
from services.account.entrypoints.grpc_api import (
    AccountServicer,
    account_service,
    bill_event_json,
    lapse_json,
)
from services.account.settings import AccountSettings
from services.account.usecases.common import AccountDeps
from services.account.usecases.credentials import CredentialUseCases
from services.account.usecases.credits import CreditUseCases
from services.account.usecases.hold_reads import HoldReads
from services.account.usecases.holds import HoldUseCases
from services.account.usecases.payments import PaymentUseCases
from services.account.usecases.persons import PersonUseCases
from services.account.usecases.publishing import FeedPublisher
from services.account.usecases.wallets import WalletUseCases
from services.kernel.auth import TokenAuthority
from services.kernel.calls import ServiceIdentity, channel
from services.kernel.clock import Clock
from services.kernel.db import create_engine
from services.kernel.leases import Leases
from services.kernel.metrics import ServiceMetrics
from services.kernel.server import RunningServer, start_server
from services.kernel.shard_map import ShardDirectory


async def bootstrap(settings: AccountSettings, tokens: TokenAuthority, clock: Clock) -> RunningServer:
    engine = create_engine(settings.database_url)
    replica = create_engine(settings.read_database_url) if settings.read_database_url else None
    metrics = ServiceMetrics("account")
    metrics.count_sql(engine)
    region_channel = channel(settings.region_target, settings.tls)
    # A shard of a federated deployment (R24) claims identities in the national index.
    index_channel = channel(settings.index_target, settings.tls) if settings.index_target else None
    identity = ServiceIdentity("account", tokens, clock)
    regions = RegionClient(region_channel, identity)
    index = IndexClient(index_channel, identity) if index_channel else None
    # R24: a shard asks the others about the payees and relatives they keep.
    peers = (
        PeerShardClient(
            settings.shard,
            ShardDirectory(regions.account_shards, settings.shard_map_seconds),
            index,
            identity,
            settings.tls,
        )
        if index is not None
        else None
    )
    deps = AccountDeps(
        uow=account_unit_of_work(engine, replica),
        clock=clock,
        regions=regions,
        id_hash_key=settings.id_hash_key.encode(),
        face_ticket_key=settings.face_ticket_key,
        hasher=PasswordHasher(
            time_cost=settings.password_time_cost, memory_cost=settings.password_memory_kib, parallelism=1
        ),
        max_hold=settings.transfer_max_amount_fen,
        identities=index,
        peers=peers,
    )
    credentials = CredentialUseCases(deps)
    servicer = AccountServicer(
        PersonUseCases(deps),
        WalletUseCases(deps),
        credentials,
        HoldUseCases(deps),
        PaymentUseCases(deps, credentials),
        HoldReads(deps),
        CreditUseCases(deps),
    )

    publisher = None
    if settings.events is not None:  # YIBAO_NATS_URL: the bill events and lapses on NATS JetStream too
        sink = FeedJetStreamSink(settings.events, bill_event_json, lapse_json)
        publisher = FeedPublisher(deps.uow, sink, settings.events.batch)
        publisher.start(Leases(engine, "account").hold)

    async def close() -> None:
        if publisher is not None:
            await publisher.stop()
        await region_channel.close()
        if index_channel is not None:
            await index_channel.close()
        if peers is not None:
            await peers.close()
        await engine.dispose()
        if replica is not None:
            await replica.dispose()

    definition = account_service(servicer, on_stop=[close])
    server = await start_server(
        definition, settings.listen, tokens, settings.metrics_port, metrics, settings.tls
    )
    server.components["peers"] = peers  # the tests step in between two shards' calls
    return server
