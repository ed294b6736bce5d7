"""The transfer service's background work, beside its gRPC server: resume
what a crash left unfinished (R17), refund what fell due at 06:00 (R15) —
including while the service was down — and follow relation lapses (R8);
number the events of the outbox (R19) and deliver the notifications they
cause (R19b); reconcile transfers with the account service's holds (R22)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from functools import partial

from services.kernel.errors import DomainError
from services.transfer.usecases.events import Events
from services.transfer.usecases.lifecycle import Lifecycle
from services.transfer.usecases.notifications import Notifications
from services.transfer.usecases.reconcile import Reconciler

log = logging.getLogger("yibao.transfer")


async def run_worker(lifecycle: Lifecycle, stop: asyncio.Event, interval: float, busy: asyncio.Lock) -> None:
    """Finishes what a crash left, then every ``interval`` seconds refunds
    what fell due and follows relation lapses, until ``stop`` is set; holds
    ``busy`` while a job runs."""
    at_start = True
    while not stop.is_set():
        for job in (partial(lifecycle.resume, at_start), lifecycle.refund_expired, lifecycle.refund_lapsed):
            try:
                async with busy:
                    await job()
            except DomainError as error:  # another service away: next round
                log.warning("background job postponed", extra={"reason": error.reason})
            except Exception:
                log.exception("background job failed")
        at_start = False
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), interval)


async def run_reconciler(
    reconciler: Reconciler, stop: asyncio.Event, interval: float, busy: asyncio.Lock
) -> None:
    """R22: a reconciliation pass at start (full) and then every ``interval``
    seconds (full hourly, else what changed), until ``stop`` is set. Between
    pages a pass waits while ``busy`` is held: the 06:00 sweep moves 100,000
    transfers, and a pass read alongside it would read each of them twice
    for nothing (measured: a sixth of the account service's CPU in the burst
    went to the reconciler's reads)."""
    while not stop.is_set():
        try:
            await reconciler.run_scheduled(busy)
        except DomainError as error:  # the account service away: next round
            log.warning("reconciliation postponed", extra={"reason": error.reason})
        except Exception:
            log.exception("reconciliation failed")
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
        reconciler: Reconciler | None = None,
        reconcile_interval: float = 60.0,
    ) -> None:
        self._stop = asyncio.Event()
        busy = asyncio.Lock()  # held by the money jobs; the reconciler yields to them
        self._tasks = [
            asyncio.create_task(run_worker(lifecycle, self._stop, interval, busy), name="transfer-worker"),
            asyncio.create_task(events.run_sequencer(self._stop), name="event-sequencer"),
            asyncio.create_task(notifications.run(self._stop), name="notifier"),
        ]
        if reconciler is not None:
            self._tasks.append(
                asyncio.create_task(
                    run_reconciler(reconciler, self._stop, reconcile_interval, busy), name="reconciler"
                )
            )

    async def stop(self) -> None:
        self._stop.set()
        await asyncio.gather(*self._tasks, return_exceptions=True)
