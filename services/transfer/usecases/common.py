"""What the transfer use cases share: dependencies, the steps of the saga
that move money (each recorded before and after), and who may see a transfer."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncEngine

from services.kernel.auth import Principal, Role
from services.kernel.clock import Clock
from services.kernel.errors import DomainError, ErrorKind, not_found, permission_denied
from services.kernel.region_client import RegionClient
from services.transfer.adapters.account_client import AccountClient
from services.transfer.adapters.repository import TransferRepository
from services.transfer.domain.policy import TransferPolicy
from services.transfer.domain.transfer import EventType, RefundReason, Status, Transfer

log = logging.getLogger("yibao.transfer")


@dataclass
class TransferDeps:
    engine: AsyncEngine
    clock: Clock
    policy: TransferPolicy
    accounts: AccountClient
    regions: RegionClient
    # Fault injection for crash tests (never in production): "hold" kills
    # the process right after the money is held, before that is recorded.
    crash_after: str = ""
    events_written: asyncio.Event = field(default_factory=asyncio.Event)

    def crash_point(self, name: str) -> None:
        if self.crash_after == name:
            log.warning("crash point reached: killing the process", extra={"point": name})
            os.kill(os.getpid(), signal.SIGKILL)


def _definite(error: DomainError) -> bool:
    """A refusal that retrying will not change (as opposed to UNAVAILABLE)."""
    return error.kind in (ErrorKind.FAILED_PRECONDITION, ErrorKind.NOT_FOUND, ErrorKind.INVALID_ARGUMENT)


class Saga:
    """The money-moving steps. Each asks the account service (idempotent by
    transfer id, so any step can be retried) and then records the outcome
    with its event in one transaction; a crash in between leaves the
    transfer in a state that resume() finishes."""

    def __init__(self, deps: TransferDeps) -> None:
        self._d = deps

    async def _record(self, t: Transfer, from_: Status, to: Status, event: EventType | None, **values) -> Transfer | None:
        now = self._d.clock.now()
        async with self._d.engine.begin() as conn:
            repo = TransferRepository(conn)
            if not await repo.move(t.id, [from_], to, now, **values):
                return None
            if event is not None:
                await repo.add_event(t, event, now)
            moved = await repo.get(t.id)
        if event is not None:
            self._d.events_written.set()
        return moved

    async def hold(self, t: Transfer) -> Transfer:
        try:
            await self._d.accounts.hold(t.id, t.payer_id, t.payee_id, t.source, t.amount)
        except DomainError as error:
            if _definite(error):
                await self.reject(t)
            raise
        self._d.crash_point("hold")
        return await self._record(t, Status.ACCEPTED, Status.PENDING, EventType.CREATED) or await self.reload(t)

    async def reject(self, t: Transfer) -> None:
        now = self._d.clock.now()
        async with self._d.engine.begin() as conn:
            repo = TransferRepository(conn)
            if await repo.move(t.id, [Status.ACCEPTED], Status.REJECTED, now):
                await repo.give_back_daily_slot(t.payer_id, self._d.policy.day_of(t.created_at))

    async def settle(self, t: Transfer) -> Transfer:
        await self._d.accounts.settle(t.id)
        recorded = await self._record(t, Status.RECEIVING, Status.RECEIVED, EventType.RECEIVED, received_at=self._d.clock.now())
        return recorded or await self.reload(t)

    async def refund(self, t: Transfer) -> Transfer:
        await self._d.accounts.release(t.id)
        recorded = await self._record(t, Status.REFUNDING, Status.REFUNDED, EventType.REFUNDED, refunded_at=self._d.clock.now())
        return recorded or await self.reload(t)

    async def start_refund(self, t: Transfer, reason: RefundReason) -> Transfer | None:
        """Decides a refund (only from pending); None if something else won."""
        event = EventType.DECLINED if reason is RefundReason.DECLINED else None
        return await self._record(t, Status.PENDING, Status.REFUNDING, event, refund_reason=reason.value)

    async def reload(self, t: Transfer) -> Transfer:
        async with self._d.engine.connect() as conn:
            return await TransferRepository(conn).get(t.id)

    async def finish(self, t: Transfer) -> Transfer:
        """Carries an unfinished transfer to its next resting state."""
        if t.status is Status.ACCEPTED:
            return await self.hold(t)
        if t.status is Status.RECEIVING:
            return await self.settle(t)
        if t.status is Status.REFUNDING:
            return await self.refund(t)
        return t


def can_see(caller: Principal, t: Transfer | None) -> bool:
    """Payer and payee, their provinces' platforms, services and administrators."""
    if caller.role in (Role.SERVICE, Role.ADMIN):
        return True
    if t is None:
        return False
    if caller.role is Role.CITIZEN:
        return caller.person_id in (t.payer_id, t.payee_id)
    if caller.role is Role.PROVINCE:
        return caller.province in (t.payer_province, t.payee_province)
    return False


async def visible_transfer(deps: TransferDeps, caller: Principal, transfer_id: str) -> Transfer:
    async with deps.engine.connect() as conn:
        t = await TransferRepository(conn).get(transfer_id)
    if not can_see(caller, t):
        raise permission_denied()  # the same whether it exists or not
    if t is None:
        raise not_found("TRANSFER_NOT_FOUND", "no such transfer", transfer_id=transfer_id)
    return t
