"""Transfer events for provincial platforms (R19): a resumable stream by
sequence number. Events are written with the state change they report (an
outbox); the sequencer numbers them in commit order, so a follower that
resumes after the last number it saw misses nothing and sees nothing twice."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime

from services.kernel.auth import Principal
from services.kernel.region_codes import province_of, validate_code
from services.transfer.domain.errors import cursor_invalid, province_code_invalid
from services.transfer.domain.transfer import EventType, Transfer
from services.transfer.usecases.access import require_platform_of
from services.transfer.usecases.common import TransferDeps

log = logging.getLogger("yibao.transfer")

BATCH = 500
POLL_SECONDS = 0.5  # also picks up events other processes wrote


@dataclass(frozen=True)
class Event:
    sequence: int
    type: EventType
    transfer: Transfer
    occurred_at: datetime
    traceparent: str | None = None  # of the request (or batch) that wrote it, with tracing on


class Events:
    def __init__(self, deps: TransferDeps) -> None:
        self._d = deps
        self._numbered = asyncio.Condition()

    async def sequence(self) -> int:
        async with self._d.uow() as tx:
            numbered = await tx.transfers.sequence_events(BATCH)
            await tx.commit()
        if numbered:
            async with self._numbered:
                self._numbered.notify_all()
        return numbered

    async def run_sequencer(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                await asyncio.wait_for(self._d.events_written.wait(), POLL_SECONDS)
            except TimeoutError:
                pass
            self._d.events_written.clear()
            try:
                while await self.sequence() == BATCH:
                    pass
            except Exception:  # the database away (a failover): the next round numbers them
                log.warning("event numbering postponed", exc_info=True)

    async def follow(self, caller: Principal, province: str, after: int) -> AsyncIterator[Event]:
        validate_code(province, "province")
        if province != province_of(province):
            raise province_code_invalid()
        if after < 0:
            raise cursor_invalid()
        require_platform_of(caller, province)
        while True:
            async with self._d.uow(read_only=True, stale_ok=True) as tx:  # may read a standby
                batch = await tx.transfers.events_after(province, after, BATCH)
                transfers = await tx.transfers.get_many(list({e.transfer_id for e in batch}))
            for stored in batch:
                yield Event(
                    stored.sequence,
                    stored.type,
                    stored.snapshot(transfers[stored.transfer_id]),
                    stored.occurred_at,
                )
                after = stored.sequence
            if len(batch) < BATCH:
                async with self._numbered:
                    try:
                        await asyncio.wait_for(self._numbered.wait(), POLL_SECONDS)
                    except TimeoutError:
                        pass
