"""Transfer events on NATS JetStream (docs/operations.md): a follower of the
event outbox, like the notifier (notifications.py). From its cursor in
``cursors`` it reads the numbered events in sequence order and publishes
each once for every province it concerns — the payer's, and the payee's
when that is another: the provinces whose platforms see it in
StreamTransferEvents — one message at a time, each awaited until JetStream
has stored it; only then does it move its cursor. A crash between a
publish and the cursor publishes those events again, and JetStream drops
them by their message id within its duplicate window. So: at least once,
and in sequence order within each province's subjects. One replica
publishes at a time (the lease ``jetstream``)."""

from __future__ import annotations

import logging
from typing import Protocol

from services.kernel.jetstream import Follower, SinkUnavailable
from services.transfer.domain.transfer import Transfer
from services.transfer.usecases.common import TransferDeps
from services.transfer.usecases.events import Event

__all__ = ["CURSOR", "LEASE", "EventPublisher", "EventSink", "SinkUnavailable", "provinces_of"]

log = logging.getLogger("yibao.transfer")
BATCH = 500
CURSOR = "jetstream"
LEASE = "jetstream"
CRASH_POINT = "jetstream"  # test hook: killed after a round's publishes, before its cursor


class EventSink(Protocol):
    async def open(self) -> None:
        """Ready to publish (connected, the stream there); raises
        SinkUnavailable if not."""

    async def publish(self, province: str, event: Event) -> bool:
        """Returns once stored (True) or found stored already (False, a
        duplicate); raises (SinkUnavailable) to have it offered again."""
        ...

    async def close(self) -> None: ...


def provinces_of(t: Transfer) -> tuple[str, ...]:
    """The provinces an event of this transfer concerns, payer's first."""
    if t.payee_province == t.payer_province:
        return (t.payer_province,)
    return (t.payer_province, t.payee_province)


class EventPublisher(Follower):
    """Rounds, the loop and the lease: services/kernel/jetstream.py."""

    lease_name = LEASE

    def __init__(self, deps: TransferDeps, sink: EventSink, batch: int = BATCH) -> None:
        super().__init__(sink, batch, log)
        self._d = deps
        self._events = sink

    async def publish(self) -> int:
        """One round: the events numbered since the cursor, published in
        order and acknowledged, then the cursor moved. Returns the events read."""
        async with self._d.uow(read_only=True) as tx:
            after = await tx.transfers.cursor(CURSOR)
            stored = await tx.transfers.events_after(None, after, self._batch)
            transfers = await tx.transfers.get_many(list({e.transfer_id for e in stored}))
        for s in stored:
            event = Event(
                s.sequence, s.type, s.snapshot(transfers[s.transfer_id]), s.occurred_at, s.traceparent
            )
            for province in provinces_of(event.transfer):
                await self._events.publish(province, event)
        if stored:
            self._d.crash_point(CRASH_POINT)
            async with self._d.uow() as tx:
                await tx.transfers.set_cursor(CURSOR, stored[-1].sequence)
                await tx.commit()
        return len(stored)

    async def round(self) -> bool:
        return await self.publish() == self._batch
