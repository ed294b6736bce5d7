"""R22: money is never stranded. The reconciler compares the account
service's holds with this service's transfers and heals each disagreement
through the same idempotent hold step the saga takes (refund or receive the
hold), or reports it (logged at ERROR with the ids, counted in
``yibao_reconcile_disagreements_total``). The cases and their actions are
one table, domain/reconciliation.py; docs/rules.md writes it out.

A full pass reads:

1. every pending hold, each with its transfer — where all the cases that
   heal live;
2. the holds that ended since the last pass, with their transfers;
3. the transfers that should have a hold — every open one, and those that
   ended since the last pass — whose hold was not read above, with their
   holds by id.

The worker's first pass (at start) is full, and then one pass in
``FULL_EVERY``; so is an operator's ``yibao reconcile``. The passes in between read only
what changed: every change of a transfer or a hold moves its last-change
time, so a disagreement shows among the changes since the last pass, and a
pending hold without a transfer among the holds made since the last pass
less the grace period. At 06:00, when up to 100,000 holds are pending and
being refunded, a pass then costs what changed, not what exists.

"Since the last pass" is the start of the previous pass less an overlap;
the first pass of a process looks back ``LOOKBACK``. A disagreement is read
again (the transfer first, then its hold: the order in which the saga
records them) before anything is done, so a step that completed meanwhile
is not taken for one.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from prometheus_client import CollectorRegistry, Counter

from services.transfer.adapters.hold_reader import HoldReader, ShardedHoldReader
from services.transfer.domain.reconciliation import Action, Case, Disagreement, Hold, HoldStatus, judge
from services.transfer.domain.transfer import Status, Transfer
from services.transfer.usecases.common import TransferDeps

log = logging.getLogger("yibao.transfer.reconcile")

HOLD_GRACE = timedelta(minutes=10)  # a pending hold without a transfer is refunded only after this
LOOKBACK = timedelta(days=2)  # how far back the first pass of a process reads ended holds and transfers
OVERLAP = timedelta(minutes=10)  # later passes read from the previous start less this
FULL_EVERY = 3600.0  # seconds (monotonic) between full passes
PAGE = 500
_OPEN = (Status.PENDING, Status.RECEIVING, Status.REFUNDING)
_ENDED = (Status.RECEIVED, Status.REFUNDED, Status.REJECTED)


@dataclass
class Finding:
    """A disagreement and what became of it: healed, or reported."""

    disagreement: Disagreement
    healed: bool


@dataclass
class PassReport:
    since: datetime
    holds_read: int = 0
    transfers_read: int = 0
    findings: list[Finding] = field(default_factory=list)


class Reconciler:
    def __init__(
        self,
        deps: TransferDeps,
        holds: HoldReader | ShardedHoldReader,
        registry: CollectorRegistry | None = None,
        grace: timedelta = HOLD_GRACE,
    ) -> None:
        self._d, self._holds, self._grace = deps, holds, grace
        self._since: datetime | None = None
        self._full_due: float | None = None
        self._counted = Counter(
            "yibao_reconcile_disagreements",
            "Disagreements between transfers and holds found by the reconciler (R22)",
            ["case", "action"],
            registry=registry or CollectorRegistry(),
        )
        # Every series from 0 at start, so that the first finding of a process
        # is an increase an alert sees (deploy/prometheus/alerts.yml).
        for case in Case:
            for action in ("healed", "reported"):
                self._counted.labels(case.value, action)

    async def run_scheduled(self, yields_to: asyncio.Lock | None = None) -> PassReport:
        """The worker's pass: full when one is due (module docstring), else
        what changed; before each page it waits while ``yields_to`` is held."""
        full = self._full_due is None or time.monotonic() >= self._full_due
        return await self.run_once(full=full, yields_to=yields_to)

    async def run_once(
        self, since: datetime | None = None, full: bool = True, yields_to: asyncio.Lock | None = None
    ) -> PassReport:
        """One pass: every disagreement found, healed or reported."""
        started = self._d.clock.now()
        since = since or self._since or started - LOOKBACK
        if full:
            self._full_due = time.monotonic() + FULL_EVERY
        report = PassReport(since)
        seen: set[str] = set()
        suspects: dict[str, Disagreement] = {}

        async def turn() -> None:
            if yields_to is not None:
                async with yields_to:
                    pass

        async def holds_with_transfers(page: list[Hold]) -> None:
            await turn()
            page = [h for h in page if h.transfer_id not in seen]
            seen.update(h.transfer_id for h in page)
            report.holds_read += len(page)
            async with self._d.uow(read_only=True) as tx:
                found = await tx.transfers.get_many([h.transfer_id for h in page])
            self._note(suspects, [(found.get(h.transfer_id), h) for h in page], started)

        async for page in self._holds.pages(HoldStatus.PENDING, None if full else since - self._grace, PAGE):
            await holds_with_transfers(page)
        for status in (HoldStatus.RECEIVED, HoldStatus.REFUNDED):
            async for page in self._holds.pages(status, since, PAGE):
                await holds_with_transfers(page)
        for state, changed in [(s, None if full else since) for s in _OPEN] + [(s, since) for s in _ENDED]:
            async for read in self._transfers(state, changed):
                await turn()
                report.transfers_read += len(read)
                unseen = [t for t in read if t.id not in seen]
                seen.update(t.id for t in unseen)
                held = await self._holds.get_many([t.id for t in unseen]) if unseen else {}
                self._note(suspects, [(t, held.get(t.id)) for t in unseen], started)

        report.findings = await self._settle(await self._confirm(suspects))
        self._since = started - OVERLAP
        return report

    def _note(self, suspects: dict, pairs: list[tuple[Transfer | None, Hold | None]], now) -> None:
        for t, h in pairs:
            if (found := judge(t, h, now, self._grace)) is not None:
                suspects[found.transfer_id] = found

    async def _transfers(self, status: Status, since: datetime | None) -> AsyncIterator[list[Transfer]]:
        after = None
        while True:
            async with self._d.uow(read_only=True) as tx:
                rows = await tx.transfers.in_state_changed(status, since, after, PAGE)
            if rows:
                yield [t for t, _ in rows]
            if len(rows) < PAGE:
                return
            after = (rows[-1][1], rows[-1][0].id)

    async def _confirm(self, suspects: dict[str, Disagreement]) -> list[Disagreement]:
        """The suspects that still disagree the same way when read again,
        the transfer first and then its hold."""
        if not suspects:
            return []
        ids = sorted(suspects)
        async with self._d.uow(read_only=True) as tx:
            transfers = await tx.transfers.get_many(ids)
        holds = await self._holds.get_many(ids)
        now = self._d.clock.now()
        again = {i: judge(transfers.get(i), holds.get(i), now, self._grace) for i in ids}
        return [suspects[i] for i in ids if (d := again[i]) is not None and d.case is suspects[i].case]

    async def _settle(self, disagreements: list[Disagreement]) -> list[Finding]:
        """Heals what heals, with one account call per step; reports the rest
        (and what a heal could not settle: e.g. a receipt refused because the
        relation lapsed)."""
        done: set[str] = set()
        refund = [d.transfer_id for d in disagreements if d.action is Action.REFUND]
        receive = [d.transfer_id for d in disagreements if d.action is Action.RECEIVE]
        async with self._d.uow(read_only=True) as tx:  # where each is: its payer's province (R24)
            known = await tx.transfers.get_many(refund + receive)
        if refund:
            provinces = {i: known[i].payer_province for i in refund if i in known}
            done |= await self._d.accounts.refund_many(refund, provinces)
        if receive:
            done |= (await self._d.accounts.receive_many([known[i] for i in receive if i in known]))[0]
        findings = []
        for d in disagreements:
            healed = d.action is not Action.REPORT and d.transfer_id in done
            findings.append(Finding(d, healed))
            self._counted.labels(d.case.value, "healed" if healed else "reported").inc()
            extra = {
                "transfer_id": d.transfer_id,
                "case": d.case.value,
                "transfer_status": d.transfer_status.value if d.transfer_status else None,
                "hold_status": d.hold_status.value if d.hold_status else None,
            }
            if healed:
                log.warning("reconciler healed a disagreement: %s", d.action.value, extra=extra)
            else:
                log.error("reconciler reports a disagreement: %s", d.detail, extra=extra)
        return findings
