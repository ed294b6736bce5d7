"""Notifications (R19b), delivered from the event outbox: the events are
written in the transaction of the state change they report (events.py), and
this follower hands the notifications they cause to a provider (an SMS
gateway, the app's push), then records them and moves its cursor, in one
transaction. A crash before that record sends the batch again: delivery is
at least once, and a provider de-duplicates by (event sequence, person);
the record itself is never written twice."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Sequence
from contextlib import AbstractAsyncContextManager
from typing import Protocol

from services.kernel.auth import Principal
from services.kernel.pagination import Page, page_request
from services.transfer.domain.notifications import Notification, notification_for
from services.transfer.usecases.access import require_reader_of_person
from services.transfer.usecases.common import TransferDeps

log = logging.getLogger("yibao.transfer")
BATCH = 500
POLL_SECONDS = 0.5
CURSOR = "notifications"


class NotificationProvider(Protocol):
    async def send(self, notifications: Sequence[Notification]) -> None:
        """Delivers the notifications, or raises to have them offered again.
        Idempotent by (event_sequence, person_id): a batch may come twice."""


class RecordOnlyProvider:
    """The default provider: sends nothing anywhere; the service's record
    of what it would have sent (ListNotifications) is all there is."""

    async def send(self, notifications: Sequence[Notification]) -> None:
        return None


class Notifications:
    def __init__(self, deps: TransferDeps, provider: NotificationProvider) -> None:
        self._d = deps
        self._provider = provider

    async def deliver(self) -> int:
        """One round: the notifications of the events numbered since the
        cursor, sent, recorded, the cursor moved. Returns the events read."""
        async with self._d.uow(read_only=True) as tx:
            after = await tx.transfers.cursor(CURSOR)
            events = await tx.transfers.events_after(None, after, BATCH)
            transfers = await tx.transfers.get_many(list({e.transfer_id for e in events}))
        notes = [
            note
            for e in events
            if (note := notification_for(e, e.snapshot(transfers[e.transfer_id]))) is not None
        ]
        if notes:
            await self._provider.send(notes)
        if events:
            async with self._d.uow() as tx:
                await tx.transfers.record_notifications(notes, self._d.clock.now())
                await tx.transfers.set_cursor(CURSOR, events[-1].sequence)
                await tx.commit()
        return len(events)

    async def run(
        self, stop: asyncio.Event, lease: Callable[[str], AbstractAsyncContextManager[bool]]
    ) -> None:
        """Delivers until ``stop`` is set; a round only while holding
        ``lease("notify")``, so that of several replicas one sends each note."""
        while not stop.is_set():
            try:
                async with lease("notify") as mine:
                    while mine and await self.deliver() == BATCH:
                        pass
            except Exception:  # the provider or the database away: next round
                log.exception("notifications postponed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), POLL_SECONDS)

    async def of_person(self, caller: Principal, person_id: str, size: int, token: str) -> Page[Notification]:
        """What was sent to a person, newest first (the person, their province's platform, or a service)."""
        await require_reader_of_person(self._d, caller, person_id)
        request = page_request(size, token, {"person": person_id})
        before = request.after[0] if request.after else None
        async with self._d.uow(read_only=True) as tx:
            found = await tx.transfers.notifications_of(person_id, before, request.limit)
        return request.page(found, key=lambda n: [n.event_sequence])
