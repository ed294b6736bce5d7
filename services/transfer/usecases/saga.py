"""The money-moving steps of a transfer, as one story (R15, R17).

Every step is the same two moves:

1. ask the account service to move the money — idempotent by transfer id,
   so the step can be repeated any number of times with the same result;
2. record the new state (with its event, in one transaction), only from the
   state the step started in (domain TRANSITIONS).

A crash between 1 and 2 leaves the transfer in the state it started in;
``finish`` (run by the worker at start and then every second) repeats the
step, and the account service answers it as before. The steps:

    hold     ACCEPTED  -> account HoldTransfers   -> PENDING   (+ CREATED)
             a definite refusal instead           -> REJECTED  (daily slot given back)
    receive  RECEIVING -> account ReceiveTransfers -> RECEIVED (+ RECEIVED)
             refused, the relation lapsed (R8)     -> REFUNDING -> refund
    refund   REFUNDING -> account RefundTransfer  -> REFUNDED  (+ REFUNDED)

How a transfer gets into RECEIVING or REFUNDING (the payee's receipt, a
decline, the 06:00 expiry, a lapsed relation) is decided in lifecycle.py,
by the same kind of conditional state change: exactly one of them wins.
Only UNAVAILABLE is retried, by the client (kernel/calls.py) and then by
the worker; a definite refusal of a hold rejects the transfer. Calls to the
account service fail as the classes of kernel/upstream.py, caught by class.
"""

from __future__ import annotations

from services.kernel.errors import DomainError, ErrorKind
from services.kernel.upstream import UpstreamError, UpstreamRefused
from services.transfer.domain.errors import transfer_not_found
from services.transfer.domain.transfer import EventType, RefundReason, Status, Transfer
from services.transfer.usecases.common import TransferDeps


def _definite(error: DomainError) -> bool:
    """A refusal that retrying will not change (as opposed to UNAVAILABLE)."""
    return error.kind in (ErrorKind.FAILED_PRECONDITION, ErrorKind.NOT_FOUND, ErrorKind.INVALID_ARGUMENT)


class Saga:
    def __init__(self, deps: TransferDeps) -> None:
        self._d = deps

    async def _record_many(
        self,
        moving: list[Transfer],
        to: Status,
        event: EventType | None,
        from_: Status | None = None,
        **values,
    ) -> dict[str, Transfer]:
        """Moves the transfers to ``to``, each with its event, in one
        transaction; returns those moved (the others were not in a state that
        may: another step got there first), by id."""
        if not moving:
            return {}
        now = self._d.clock.now()
        async with self._d.uow() as tx:
            moved = await tx.transfers.move_many(sorted(t.id for t in moving), to, now, from_, **values)
            if event is not None:
                await tx.transfers.add_events(moved, event, now)
            await tx.commit()
        if moved and event is not None:
            self._d.events_written.set()
        return {t.id: t for t in moved}

    async def _record(self, t: Transfer, to: Status, event: EventType | None, **values) -> Transfer | None:
        return (await self._record_many([t], to, event, **values)).get(t.id)

    async def hold(self, accepted: list[Transfer]) -> list[Transfer | DomainError]:
        """Holds the money of accepted transfers with one account call, then
        records those held as pending (with their CREATED events) in one
        transaction; a transfer definitely refused is rejected. Answers in
        order: the transfer as recorded, or its refusal. A call refused as a
        whole is split until each refusal is its own; a call whose outcome is
        unknown (the account service away) answers each with that error and
        leaves the transfers accepted, for resume() to finish."""
        if not accepted:
            return []
        try:
            refusals: list[DomainError | None] = await self._d.accounts.hold(accepted)
        except UpstreamRefused as whole:
            if len(accepted) > 1:  # refused as a whole, so nothing held: halves, until it is one's own
                half = len(accepted) // 2
                return await self.hold(accepted[:half]) + await self.hold(accepted[half:])
            refusals = [whole]
        except UpstreamError as unknown:  # outcome unknown: they stay accepted, for resume() to finish
            return [unknown] * len(accepted)
        self._d.crash_point("hold")
        held = [t for t, refusal in zip(accepted, refusals, strict=True) if refusal is None]
        recorded = await self._record_many(held, Status.PENDING, EventType.CREATED)
        answers: list[Transfer | DomainError] = []
        for t, refusal in zip(accepted, refusals, strict=True):
            if refusal is not None and _definite(refusal):
                await self.reject(t)
            answers.append(refusal or recorded.get(t.id) or await self.reload(t))
        return answers

    async def hold_one(self, t: Transfer) -> Transfer:
        (answer,) = await self.hold([t])
        if isinstance(answer, DomainError):
            raise answer
        return answer

    async def reject(self, t: Transfer) -> None:
        async with self._d.uow() as tx:
            if await tx.transfers.move(t.id, Status.REJECTED, self._d.clock.now()):
                await tx.transfers.give_back_daily_slot(t.payer_id, self._d.policy.day_of(t.created_at))
                await tx.commit()

    async def receive(self, t: Transfer) -> Transfer:
        return (await self.receive_many([t]))[t.id]

    async def receive_many(self, receiving: list[Transfer]) -> dict[str, Transfer]:
        """receive() for many transfers: one call to the account service, one
        transaction here; each transfer as it is afterwards, by id."""
        received, lapsed = await self._d.accounts.receive_many(receiving)
        now = self._d.clock.now()
        recorded = await self._record_many(
            [t for t in receiving if t.id in received], Status.RECEIVED, EventType.RECEIVED, received_at=now
        )
        if lapsed:  # R8: the relation lapsed before the receipt: refunded instead
            refunding = await self._record_many(
                [t for t in receiving if t.id in lapsed],
                Status.REFUNDING,
                None,
                Status.RECEIVING,
                refund_reason=RefundReason.RELATION_LAPSED.value,
            )
            await self.refund_many(list(refunding.values()))
        if rest := [t.id for t in receiving if t.id not in recorded]:
            async with self._d.uow(read_only=True) as tx:
                recorded |= await tx.transfers.get_many(rest)
        return recorded

    async def refund(self, t: Transfer) -> Transfer:
        await self._d.accounts.refund(t)
        recorded = await self._record(t, Status.REFUNDED, EventType.REFUNDED, refunded_at=self._d.clock.now())
        return recorded or await self.reload(t)

    async def refund_many(self, refunding: list[Transfer]) -> int:
        """refund() for a batch (the 06:00 sweep, resuming): one call to the
        account service, one transaction here; returns how many were refunded."""
        provinces = {t.id: t.payer_province for t in refunding}
        refunded = set(await self._d.accounts.refund_many([t.id for t in refunding], provinces))
        now = self._d.clock.now()
        moved = await self._record_many(
            [t for t in refunding if t.id in refunded], Status.REFUNDED, EventType.REFUNDED, refunded_at=now
        )
        return len(moved)

    async def start_refund(self, t: Transfer, reason: RefundReason) -> Transfer | None:
        """Decides a refund (only from pending); None if something else won."""
        event = EventType.DECLINED if reason is RefundReason.DECLINED else None
        return await self._record(t, Status.REFUNDING, event, refund_reason=reason.value)

    async def reload(self, t: Transfer) -> Transfer:
        async with self._d.uow(read_only=True) as tx:
            found = await tx.transfers.get(t.id)
        if found is None:  # transfers are never deleted; a missing one is not ours to answer for
            raise transfer_not_found(t.id)
        return found

    async def finish(self, t: Transfer) -> Transfer:
        """Carries an unfinished transfer to its next resting state."""
        step = {
            Status.ACCEPTED: self.hold_one,
            Status.RECEIVING: self.receive,
            Status.REFUNDING: self.refund,
        }.get(t.status)
        return await step(t) if step else t
