"""The transfer service's background work, beside its gRPC server: resume
what a crash left unfinished (R17), refund what fell due at 06:00 (R15) —
including while the service was down — and follow relation lapses (R8);
number the events of the outbox (R19) and deliver the notifications they
cause (R19b); reconcile transfers with the account service's holds (R22);
read the saga's gauges (usecases/monitoring.py)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from functools import partial

from services.kernel.db import is_database_unavailable
from services.kernel.errors import DomainError
from services.kernel.leases import Leases
from services.transfer.usecases.events import Events
from services.transfer.usecases.lifecycle import Lifecycle
from services.transfer.usecases.monitoring import GAUGE_SECONDS, SagaGauges
from services.transfer.usecases.notifications import Notifications
from services.transfer.usecases.reconcile import Reconciler

log = logging.getLogger("yibao.transfer")


async def run_worker(
    lifecycle: Lifecycle, stop: asyncio.Event, interval: float, busy: asyncio.Lock, leases: Leases
) -> None:
    """Finishes what a crash left, then every ``interval`` seconds refunds
    what fell due and follows relation lapses, until ``stop`` is set; holds
    ``busy`` while a job runs. With several replicas, every one sweeps (each
    claims its own batches: SKIP LOCKED), while resume and the lapses are
    done by one replica a round (a lease)."""
    at_start = True
    while not stop.is_set():
        jobs = (
            ("resume", partial(lifecycle.resume, at_start)),
            (None, lifecycle.refund_expired),
            ("lapses", lifecycle.refund_lapsed),
        )
        for lease, job in jobs:
            try:
                async with busy, leases.hold(lease) as mine:
                    if mine:
                        await job()
            except DomainError as error:  # another service away: next round
                log.warning("background job postponed", extra={"reason": error.reason})
            except Exception as error:
                if is_database_unavailable(error):  # a failover: the next round finds the new primary
                    log.warning("background job postponed", extra={"reason": "DATABASE_UNAVAILABLE"})
                else:
                    log.exception("background job failed")
        at_start = False
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), interval)


async def run_reconciler(
    reconciler: Reconciler, stop: asyncio.Event, interval: float, busy: asyncio.Lock, leases: Leases
) -> None:
    """R22: a reconciliation pass at start (full) and then every ``interval``
    seconds (full hourly, else what changed), until ``stop`` is set. Between
    pages a pass waits while ``busy`` is held: the 06:00 sweep moves 100,000
    transfers, and a pass read alongside it would read each of them twice
    for nothing (measured: a sixth of the account service's CPU in the burst
    went to the reconciler's reads). One replica a round (a lease)."""
    while not stop.is_set():
        try:
            async with leases.hold("reconcile") as mine:
                if mine:
                    await reconciler.run_scheduled(busy)
        except DomainError as error:  # the account service away: next round
            log.warning("reconciliation postponed", extra={"reason": error.reason})
        except Exception:
            log.exception("reconciliation failed")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), interval)


async def run_gauges(gauges: SagaGauges, stop: asyncio.Event, interval: float) -> None:
    """Reads the saga's gauges at start and then every ``interval`` seconds,
    until ``stop`` is set; on every replica (reads only). A failed read
    leaves the last figures, whose refresh time then grows old."""
    while not stop.is_set():
        try:
            await gauges.refresh()
        except Exception as error:
            if is_database_unavailable(error):
                log.warning("saga gauges not refreshed", extra={"reason": "DATABASE_UNAVAILABLE"})
            else:
                log.exception("saga gauges not refreshed")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), interval)


class Worker:
    """The background tasks of one transfer service process."""

    def __init__(
        self,
        lifecycle: Lifecycle,
        events: Events,
        notifications: Notifications,
        interval: float,
        leases: Leases,
        reconciler: Reconciler | None = None,
        reconcile_interval: float = 60.0,
        gauges: SagaGauges | None = None,
        gauge_interval: float = GAUGE_SECONDS,
    ) -> None:
        self._stop = asyncio.Event()
        busy = asyncio.Lock()  # held by the money jobs; the reconciler yields to them
        self._tasks = [
            asyncio.create_task(
                run_worker(lifecycle, self._stop, interval, busy, leases), name="transfer-worker"
            ),
            # Numbers events under a transaction lock: safe on every replica at once.
            asyncio.create_task(events.run_sequencer(self._stop), name="event-sequencer"),
            asyncio.create_task(notifications.run(self._stop, leases.hold), name="notifier"),
        ]
        if reconciler is not None:
            self._tasks.append(
                asyncio.create_task(
                    run_reconciler(reconciler, self._stop, reconcile_interval, busy, leases),
                    name="reconciler",
                )
            )
        if gauges is not None:
            self._tasks.append(
                asyncio.create_task(run_gauges(gauges, self._stop, gauge_interval), name="saga-gauges")
            )

    async def stop(self) -> None:
        self._stop.set()
        await asyncio.gather(*self._tasks, return_exceptions=True)
