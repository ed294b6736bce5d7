"""The saga's gauges: whether money is stuck. Read from the database by the
worker every ``GAUGE_SECONDS`` (entrypoints/worker.py), off the request
path: a submission, a receipt or a refund never runs a statement for them.
Every replica reads and exports the same figures (alert on max(), not sum()).
The alert rules are deploy/prometheus/alerts.yml; what each means and what
to do, docs/operations.md (*Alerts*).

- ``yibao_transfers{state}``: transfers in each state that is not final
  (accepted, pending, receiving, refunding). The final ones are not counted:
  they grow without end, and counting them would read the whole table.
- ``yibao_transfers_finished_today{state}``: transfers that reached a final
  state (received, refunded, rejected) since 00:00 Beijing today: a day's
  range of the status index, never the whole history.
- ``yibao_transfers_oldest_seconds{state}``: how long the transfer that has
  waited longest in that state has been there (since its last change); 0
  when none is. Pending lasts until the next 06:00 (R15); the others
  normally last milliseconds, and the worker finishes what a crash left
  within ``ACCEPTED_GRACE`` and a round (R17).
- ``yibao_transfers_expired{state}``: transfers in that state at or past
  their expires_at (06:00 Beijing). Pending or refunding ones are money the
  06:00 refund has not yet returned (R15).
- ``yibao_follower_lag_events{follower}``: for ``sequencer``, the events
  written but not yet numbered (R19); for ``notifications``, the numbered
  events the notifier has not yet taken (R19b); for ``jetstream`` (when the
  events are published to NATS, publishing.py), those not yet published.
- ``yibao_saga_gauges_refreshed_timestamp_seconds``: when the figures above
  were last read (Unix time): stale figures show as an old value here.
"""

from __future__ import annotations

import time

from prometheus_client import CollectorRegistry, Gauge

from services.kernel.clock import as_utc, beijing
from services.transfer.domain.transfer import Status
from services.transfer.usecases import notifications
from services.transfer.usecases.common import TransferDeps

GAUGE_SECONDS = 5.0  # between two reads of the figures
IN_FLIGHT = [s for s in Status if not s.final]
FINISHED = [s for s in Status if s.final]
SEQUENCER = "sequencer"
# follower label -> its cursor in the cursors table (bootstrap adds the optional ones)
FOLLOWERS = {"notifications": notifications.CURSOR}


class SagaGauges:
    def __init__(
        self,
        deps: TransferDeps,
        registry: CollectorRegistry | None = None,
        followers: dict[str, str] | None = None,
    ) -> None:
        self._d = deps
        self._followers = FOLLOWERS if followers is None else followers
        registry = registry or CollectorRegistry()
        self._count = Gauge(
            "yibao_transfers", "Transfers in each state that is not final", ["state"], registry=registry
        )
        self._finished = Gauge(
            "yibao_transfers_finished_today",
            "Transfers that reached each final state since 00:00 Beijing today",
            ["state"],
            registry=registry,
        )
        self._oldest = Gauge(
            "yibao_transfers_oldest_seconds",
            "Seconds the longest-waiting transfer in each state that is not final has been in it (0: none)",
            ["state"],
            registry=registry,
        )
        self._expired = Gauge(
            "yibao_transfers_expired",
            "Transfers in each state that is not final at or past their expiry (06:00 Beijing)",
            ["state"],
            registry=registry,
        )
        self._lag = Gauge(
            "yibao_follower_lag_events",
            "Events of the outbox a follower has not yet taken (sequencer: not yet numbered)",
            ["follower"],
            registry=registry,
        )
        self._refreshed = Gauge(
            "yibao_saga_gauges_refreshed_timestamp_seconds",
            "When the saga's gauges were last read from the database (Unix time)",
            registry=registry,
        )

    async def refresh(self) -> None:
        """Reads the figures (one read-only transaction: the grouped queries of
        the open transfers and of today's finished ones, the outbox's counts,
        the cursors) and sets every
        gauge, zero for a state without transfers."""
        now = self._d.clock.now()
        async with self._d.uow(read_only=True) as tx:
            in_flight = {f.status: f for f in await tx.transfers.in_flight(now)}
            outbox = await tx.transfers.outbox(list(self._followers.values()))
            midnight = as_utc(beijing(now).replace(hour=0, minute=0, second=0, microsecond=0))
            finished = await tx.transfers.finished_since(midnight)
        for state in FINISHED:
            self._finished.labels(state.value).set(finished.get(state, 0))
        for state in IN_FLIGHT:
            found = in_flight.get(state)
            self._count.labels(state.value).set(found.count if found else 0)
            self._expired.labels(state.value).set(found.expired if found else 0)
            age = (now - found.oldest_change).total_seconds() if found else 0.0
            self._oldest.labels(state.value).set(max(age, 0.0))
        self._lag.labels(SEQUENCER).set(outbox.unnumbered)
        for follower, cursor in self._followers.items():
            self._lag.labels(follower).set(max(outbox.last_sequence - outbox.cursors.get(cursor, 0), 0))
        self._refreshed.set(time.time())
