"""The account's feeds on NATS JetStream (docs/operations.md, *Events on
NATS JetStream*): the contribution-bill events that platforms follow with
ListBillEvents, and the relation lapses that the transfer service follows
with ListRelationLapses. A follower of each, from its cursor in
``cursors`` (``jetstream-bills``, ``jetstream-lapses``): it reads the rows
in id order, publishes each once, under the province of the person
concerned — a bill's under the province that issued it, a lapse's under
the province the person is insured in now (after a move, the new one) —
one message at a time, each awaited until JetStream has stored it; only
then does it move that feed's cursor. A crash between a publish and the
cursor publishes those rows again, and JetStream drops them by their
message id within its duplicate window. So: at least once, and in id order
within each province's subjects. One replica publishes at a time (the lease
``jetstream`` of the account service); the loop is services/kernel/jetstream.py."""

from __future__ import annotations

import logging
from typing import Protocol

from services.account.domain.payments import BillEvent
from services.account.domain.relations import Lapse
from services.account.usecases.ports import AccountUnitsOfWork
from services.kernel.jetstream import Follower

log = logging.getLogger("yibao.account")
BATCH = 500
BILLS_CURSOR = "jetstream-bills"
LAPSES_CURSOR = "jetstream-lapses"
LEASE = "jetstream"


class FeedSink(Protocol):
    async def open(self) -> None:
        """Ready to publish (connected, the stream there); raises
        SinkUnavailable if not."""

    async def publish_bill(self, event: BillEvent) -> bool:
        """Returns once stored (True) or found stored already (False, a
        duplicate); raises (SinkUnavailable) to have it offered again."""
        ...

    async def publish_lapse(self, province: str, lapse: Lapse) -> bool:
        """As publish_bill, for a lapse of a person insured in ``province``."""
        ...

    async def close(self) -> None: ...


class FeedPublisher(Follower):
    lease_name = LEASE

    def __init__(self, uow: AccountUnitsOfWork, sink: FeedSink, batch: int = BATCH) -> None:
        super().__init__(sink, batch, log)
        self._uow = uow
        self._feeds = sink

    async def publish_bills(self) -> int:
        """One round of the bill events: those after the cursor, published in
        order and acknowledged, then the cursor moved. Returns the events read."""
        async with self._uow(read_only=True) as tx:
            after = await tx.accounts.cursor(BILLS_CURSOR)
            events = await tx.accounts.bill_events_after(None, after, self._batch)
        for event in events:
            await self._feeds.publish_bill(event)
        if events:
            await self._move(BILLS_CURSOR, events[-1].id)
        return len(events)

    async def publish_lapses(self) -> int:
        """One round of the relation lapses, as publish_bills."""
        async with self._uow(read_only=True) as tx:
            after = await tx.accounts.cursor(LAPSES_CURSOR)
            lapses = await tx.accounts.lapses_after(after, self._batch)
            provinces = await tx.accounts.provinces_of({x.person_id for x in lapses}) if lapses else {}
        for lapse in lapses:
            await self._feeds.publish_lapse(provinces[lapse.person_id], lapse)
        if lapses:
            await self._move(LAPSES_CURSOR, lapses[-1].id)
        return len(lapses)

    async def _move(self, cursor: str, position: int) -> None:
        async with self._uow() as tx:
            await tx.accounts.set_cursor(cursor, position)
            await tx.commit()

    async def round(self) -> bool:
        bills, lapses = await self.publish_bills(), await self.publish_lapses()
        return self._batch in (bills, lapses)
