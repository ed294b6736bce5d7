"""The transfer service's composition root: settings -> engine, unit of
work, clients of the account and region services, use cases, gRPC server and
the background worker."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta

from services.kernel.auth import TokenAuthority
from services.kernel.calls import ServiceIdentity, channel
from services.kernel.clock import Clock
from services.kernel.db import create_engine
from services.kernel.leases import Leases
from services.kernel.metrics import ServiceMetrics
from services.kernel.server import RunningServer, start_server
from services.kernel.shard_clients import PersonLocator
from services.kernel.shard_map import ShardDirectory
from services.transfer.adapters.account_client import AccountClient
from services.transfer.adapters.hold_reader import HoldReader, ShardedHoldReader
from services.transfer.adapters.jetstream import JetStreamNotifier, JetStreamSink
from services.transfer.adapters.region_client import RegionClient
from services.transfer.adapters.repository import transfer_unit_of_work
from services.transfer.adapters.sharded_accounts import ShardChannels, ShardedAccounts
from services.transfer.entrypoints.grpc_api import (
    TransferServicer,
    event_json,
    notification_json,
    transfer_service,
)
from services.transfer.entrypoints.worker import Worker
from services.transfer.settings import TransferSettings
from services.transfer.usecases import publishing
from services.transfer.usecases.common import TransferDeps
from services.transfer.usecases.events import Events
from services.transfer.usecases.lifecycle import Lifecycle
from services.transfer.usecases.monitoring import FOLLOWERS, SagaGauges
from services.transfer.usecases.notifications import NotificationProvider, Notifications, RecordOnlyProvider
from services.transfer.usecases.ports import AccountPort
from services.transfer.usecases.publishing import EventPublisher
from services.transfer.usecases.queries import TransferQueries
from services.transfer.usecases.reconcile import Reconciler
from services.transfer.usecases.saga import Saga
from services.transfer.usecases.submit import SubmitTransferUseCase


def account_ports(
    settings: TransferSettings, identity: ServiceIdentity, regions: RegionClient
) -> tuple[AccountPort, HoldReader | ShardedHoldReader, Callable[[], Awaitable[None]]]:
    """The account service as the transfer service calls it, and the holds as
    its reconciler reads them: one service (YIBAO_ACCOUNT_TARGET), or the
    shards of the region service's map (R24); and what closes their channels."""
    account_channel = channel(settings.account_target, settings.tls)
    single = AccountClient(account_channel, identity)
    if not settings.index_target:
        return single, HoldReader(account_channel, identity), account_channel.close
    shards, index_channel = (
        ShardChannels(settings.tls, identity),
        channel(settings.index_target, settings.tls),
    )
    directory = ShardDirectory(regions.account_shards, settings.shard_map_seconds)
    accounts = ShardedAccounts(
        directory, single, shards.client, PersonLocator(index_channel, identity).locate
    )

    async def readers() -> list[HoldReader]:
        return [shards.reader(s) for s in (await directory.current()).shards]

    async def close() -> None:
        await account_channel.close()
        await shards.close()
        await index_channel.close()

    return accounts, ShardedHoldReader(readers), close


async def bootstrap(
    settings: TransferSettings,
    tokens: TokenAuthority,
    clock: Clock,
    notification_provider: NotificationProvider | None = None,
) -> RunningServer:
    engine = create_engine(settings.database_url)
    replica = create_engine(settings.read_database_url) if settings.read_database_url else None
    metrics = ServiceMetrics("transfer")
    metrics.count_sql(engine)
    identity = ServiceIdentity("transfer", tokens, clock)
    region_channel = channel(settings.region_target, settings.tls)
    regions = RegionClient(region_channel, identity, clock, timedelta(seconds=settings.region_cache_seconds))
    accounts, holds, close_accounts = account_ports(settings, identity, regions)
    deps = TransferDeps(
        uow=transfer_unit_of_work(engine, replica),
        clock=clock,
        policy=settings.policy,
        accounts=accounts,
        regions=regions,
        crash_after=settings.crash_after,
    )
    saga = Saga(deps)
    lifecycle, events = Lifecycle(deps, saga), Events(deps)
    notifier = JetStreamNotifier(settings.notify, notification_json) if settings.notify is not None else None
    notifications = Notifications(deps, notification_provider or notifier or RecordOnlyProvider())
    submit = SubmitTransferUseCase(deps, saga, settings.batch_window)
    metrics.watch_batcher("submit", submit.batcher)
    metrics.watch_batcher("receive", lifecycle.batcher)
    servicer = TransferServicer(
        submit,
        lifecycle,
        TransferQueries(deps),
        events,
        notifications,
    )
    reconciler = Reconciler(deps, holds, metrics.registry)
    # Read by the worker, off the request path; the JetStream publisher's lag too when it runs.
    followers = FOLLOWERS | ({"jetstream": publishing.CURSOR} if settings.events is not None else {})
    gauges = SagaGauges(deps, metrics.registry, followers)
    worker = Worker(
        lifecycle,
        events,
        notifications,
        settings.worker_interval,
        Leases(engine, "transfer"),
        reconciler if settings.reconcile_interval > 0 else None,  # 0: only `yibao reconcile`
        settings.reconcile_interval,
        gauges,
    )

    publisher = None
    if settings.events is not None:  # YIBAO_NATS_URL: the events on NATS JetStream too
        publisher = EventPublisher(deps, JetStreamSink(settings.events, event_json), settings.events.batch)
        publisher.start(Leases(engine, "transfer").hold)

    async def close() -> None:
        await worker.stop()
        if publisher is not None:
            await publisher.stop()
        if notifier is not None:
            await notifier.close()
        await close_accounts()
        await region_channel.close()
        await engine.dispose()
        if replica is not None:
            await replica.dispose()

    definition = transfer_service(servicer, on_stop=[close])
    server = await start_server(
        definition, settings.listen, tokens, settings.metrics_port, metrics, settings.tls
    )
    server.components.update(
        lifecycle=lifecycle, events=events, reconciler=reconciler, metrics=metrics, gauges=gauges
    )
    return server
