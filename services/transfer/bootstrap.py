"""Builds a running transfer service: engine, clients, use cases, server and
the background worker (resume at start, 06:00 refunds, lapses, event numbering)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from functools import partial

from services.kernel.auth import TokenAuthority
from services.kernel.calls import ServiceIdentity, channel
from services.kernel.clock import Clock, SystemClock
from services.kernel.db import create_engine
from services.kernel.errors import DomainError
from services.kernel.region_client import RegionClient
from services.kernel.server import RunningServer, start_server
from services.transfer.adapters.account_client import AccountClient
from services.transfer.domain.policy import TransferPolicy
from services.transfer.entrypoints.grpc_api import TransferServicer, transfer_service
from services.transfer.usecases.common import Saga, TransferDeps
from services.transfer.usecases.events import Events
from services.transfer.usecases.lifecycle import Lifecycle
from services.transfer.usecases.queries import TransferQueries
from services.transfer.usecases.submit import SubmitTransferUseCase

log = logging.getLogger("yibao.transfer")


def policy_from(settings) -> TransferPolicy:  # settings: kernel.config.Settings
    return TransferPolicy(
        settings.transfer_min_amount_fen, settings.transfer_max_amount_fen, settings.transfer_per_day,
        settings.transfer_window_opens, settings.transfer_window_closes, settings.transfer_refund_at,
    )


async def run_worker(lifecycle: Lifecycle, stop: asyncio.Event, interval: float) -> None:
    """Finishes what a crash left, then every ``interval`` refunds what fell
    due (including while the service was down) and follows relation lapses."""
    at_start = True
    while not stop.is_set():
        for job in (partial(lifecycle.resume, at_start), lifecycle.refund_expired, lifecycle.refund_lapsed):
            try:
                await job()
            except DomainError as error:  # another service away: next round
                log.warning("background job postponed", extra={"reason": error.reason})
            except Exception:
                log.exception("background job failed")
        at_start = False
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), interval)


async def start_transfer(
    database_url: str,
    listen: str,
    tokens: TokenAuthority,
    account_target: str,
    region_target: str,
    clock: Clock | None = None,
    policy: TransferPolicy | None = None,
    metrics_port: int = 0,
    worker_interval: float = 1.0,
    crash_after: str = "",
) -> RunningServer:
    clock = clock or SystemClock()
    engine = create_engine(database_url)
    identity = ServiceIdentity("transfer", tokens, clock)
    account_channel, region_channel = channel(account_target), channel(region_target)
    deps = TransferDeps(
        engine, clock, policy or TransferPolicy(), AccountClient(account_channel, identity), RegionClient(region_channel, identity),
        crash_after=crash_after,
    )
    saga = Saga(deps)
    lifecycle, events = Lifecycle(deps, saga), Events(deps)
    servicer = TransferServicer(SubmitTransferUseCase(deps, saga), lifecycle, TransferQueries(deps), events)

    stop = asyncio.Event()
    tasks = [
        asyncio.create_task(run_worker(lifecycle, stop, worker_interval), name="transfer-worker"),
        asyncio.create_task(events.run_sequencer(stop), name="event-sequencer"),
    ]

    async def close() -> None:
        stop.set()
        await asyncio.gather(*tasks, return_exceptions=True)
        await account_channel.close()
        await region_channel.close()
        await engine.dispose()

    server = await start_server(transfer_service(servicer, on_stop=[close]), listen, tokens, metrics_port)
    server.components.update(lifecycle=lifecycle, events=events)
    return server
