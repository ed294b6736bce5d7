"""After the hold (R15, R17, R8): receive, decline, the 06:00 refund, lapsed
relations, and resuming whatever a crash left unfinished."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

from services.kernel.auth import Principal
from services.kernel.batching import MicroBatcher
from services.kernel.errors import DomainError
from services.transfer.domain.transfer import RefundReason, Status, Transfer, not_pending_error
from services.transfer.usecases.access import require_payee_side, require_visible, visible_transfer
from services.transfer.usecases.common import BATCHES_IN_FLIGHT, TransferDeps
from services.transfer.usecases.saga import Saga

log = logging.getLogger("yibao.transfer")

SWEEP_BATCH = 500  # transfers per claim and per RefundTransfers call
SWEEP_IN_FLIGHT = 3  # batches being refunded at once
CONCURRENT_STEPS = 32
RESUME_PAGE = 500  # unfinished transfers read at a time by resume()
# An ACCEPTED transfer younger than this is still in its submit call.
ACCEPTED_GRACE = timedelta(seconds=30)
LAPSES_CURSOR = "account-relation-lapses"


class Lifecycle:
    def __init__(self, deps: TransferDeps, saga: Saga) -> None:
        self._d = deps
        self._saga = saga
        self._receipts: MicroBatcher[tuple[Principal, str], Transfer] = MicroBatcher(
            self._receive_together, max_in_flight=BATCHES_IN_FLIGHT
        )

    @property
    def batcher(self) -> MicroBatcher[tuple[Principal, str], Transfer]:
        """The receipts' group commit (its figures: kernel/metrics.py)."""
        return self._receipts

    async def receive(self, caller: Principal, transfer_id: str) -> Transfer:
        """The payee's receipt; concurrent receipts travel together (group commit)."""
        return await self._receipts.submit((caller, transfer_id))

    async def _receive_together(self, asked: list[tuple[Principal, str]]) -> list[Transfer | DomainError]:
        """Receipts answered each as if alone: one read, one state change to
        receiving, one account call and one transaction to record them."""
        async with self._d.uow(read_only=True) as tx:
            found = await tx.transfers.get_many(sorted({transfer_id for _, transfer_id in asked}))
        answers: list = [None] * len(asked)
        for i, (caller, transfer_id) in enumerate(asked):
            try:
                require_payee_side(caller, require_visible(caller, found.get(transfer_id), transfer_id))
            except DomainError as error:
                answers[i] = error
        wanted = sorted({transfer_id for i, (_, transfer_id) in enumerate(asked) if answers[i] is None})
        now = self._d.clock.now()
        async with self._d.uow() as tx:
            # The receipt wins only while pending and before expires_at (the
            # time rule of TRANSITIONS): the expiry sweep moves pending ->
            # refunding from expires_at on, so exactly one of them happens.
            current = {t.id: t for t in await tx.transfers.move_many(wanted, Status.RECEIVING, now)}
            await tx.commit()
            if rest := [tid for tid in wanted if tid not in current]:
                current |= await tx.transfers.get_many(rest)
        receiving = [t for t in current.values() if t.status is Status.RECEIVING]
        if receiving:
            current |= await self._saga.receive_many(receiving)
        for i, (_, transfer_id) in enumerate(asked):
            if answers[i] is None:
                t = current[transfer_id]
                # Received, now or before: the same answer.
                answers[i] = t if t.status is Status.RECEIVED else not_pending_error(t, now)
        return answers

    async def decline(self, caller: Principal, transfer_id: str) -> Transfer:
        t = await visible_transfer(self._d, caller, transfer_id)
        require_payee_side(caller, t)
        refunding = await self._saga.start_refund(t, RefundReason.DECLINED)
        current = refunding or await self._saga.reload(t)
        if current.status is Status.REFUNDING and current.refund_reason is RefundReason.DECLINED:
            return await self._saga.refund(current)
        if current.status is Status.REFUNDED and current.refund_reason is RefundReason.DECLINED:
            return current
        raise not_pending_error(current, self._d.clock.now())

    async def _each(self, transfers: list[Transfer], step) -> int:
        """Runs a step over many transfers, a bounded number at a time; a
        failure (the account service away) leaves that one for the next round."""
        gate = asyncio.Semaphore(CONCURRENT_STEPS)
        done = 0

        async def one(t: Transfer) -> None:
            nonlocal done
            async with gate:
                try:
                    await step(t)
                    done += 1
                except DomainError as error:
                    log.warning("step left for later", extra={"transfer_id": t.id, "reason": error.reason})

        await asyncio.gather(*(one(t) for t in transfers))
        return done

    async def _refund_batch(self, refunding: list[Transfer]) -> int:
        """One batch of refunds; if the account service is away the batch
        stays refunding, and resume() carries it out later."""
        try:
            return await self._saga.refund_many(refunding)
        except DomainError as error:
            log.warning(
                "refund batch left for later", extra={"transfers": len(refunding), "reason": error.reason}
            )
            return 0

    async def refund_expired(self) -> int:
        """R15: refunds every pending transfer whose expires_at has passed:
        claimed in batches (one statement each), each batch refunded with one
        call to the account service, a few batches in flight at once."""
        total, in_flight = 0, set()
        while True:
            async with self._d.uow() as tx:
                claimed = await tx.transfers.claim_due(self._d.clock.now(), SWEEP_BATCH)
                await tx.commit()
            if claimed:
                in_flight.add(asyncio.create_task(self._refund_batch(claimed)))
            if in_flight and (not claimed or len(in_flight) >= SWEEP_IN_FLIGHT):
                done, in_flight = await asyncio.wait(in_flight, return_when=asyncio.FIRST_COMPLETED)
                total += sum(task.result() for task in done)
            if not claimed and not in_flight:
                return total

    async def resume(self, at_start: bool = False) -> int:
        """R17: finishes what was left between two steps, walking every
        unfinished transfer oldest first, a page at a time (a page that
        cannot be finished now does not keep the next from its turn). At
        start all of them; later only those idle long enough that no call of
        this or another process is still working on them."""
        older_than = None if at_start else self._d.clock.now() - ACCEPTED_GRACE
        unfinished = [Status.ACCEPTED, Status.RECEIVING, Status.REFUNDING]
        done, after = 0, None
        while True:
            async with self._d.uow(read_only=True) as tx:
                stuck = await tx.transfers.in_states(unfinished, older_than, RESUME_PAGE, after)
            if not stuck:
                return done
            after = (stuck[-1].created_at, stuck[-1].id)
            refunding = [t for t in stuck if t.status is Status.REFUNDING]
            others = [t for t in stuck if t.status is not Status.REFUNDING]
            done += await self._refund_batch(refunding) if refunding else 0
            done += await self._each(others, self._saga.finish)

    async def refund_lapsed(self) -> int:
        """R8: refunds transfers pending to or from persons whose relations lapsed."""
        total = 0
        for feed in await self._d.accounts.lapse_feeds():
            total += await self._refund_lapsed_in(feed)
        return total

    async def _refund_lapsed_in(self, feed: str) -> int:
        """One feed of lapses (the account service's, or one shard's: R24),
        from its own cursor."""
        total, cursor_name = 0, f"lapses:{feed}" if feed else LAPSES_CURSOR  # 40 characters at most
        async with self._d.uow(read_only=True) as tx:
            cursor = await tx.transfers.cursor(cursor_name)
        for lapse_id, person_id in await self._d.accounts.lapses(cursor, feed=feed):
            await self._d.accounts.spread_lapse(feed, person_id)  # R24: to the other shards first
            async with self._d.uow(read_only=True) as tx:
                affected = await tx.transfers.open_involving(person_id)
            for t in affected:
                if t.status is Status.ACCEPTED:
                    t = await self._saga.hold_one(t)
                if (refunding := await self._saga.start_refund(t, RefundReason.RELATION_LAPSED)) is not None:
                    await self._saga.refund(refunding)
                    total += 1
            async with self._d.uow() as tx:
                await tx.transfers.set_cursor(cursor_name, lapse_id)
                await tx.commit()
        return total
