"""Reading transfers (R18) and the monthly settlement statement (R19a)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from services.kernel.auth import Principal
from services.kernel.clock import beijing_month_bounds
from services.kernel.pagination import Page, page_request
from services.transfer.domain.errors import direction_invalid, month_invalid
from services.transfer.domain.settlement import Flow, settlement_flows
from services.transfer.domain.transfer import Status, Transfer
from services.transfer.usecases.access import require_own, settlement_seen_by, visible_transfer
from services.transfer.usecases.common import TransferDeps


@dataclass(frozen=True)
class Quota:
    """A person's quota today (R18), named as on the wire."""

    transfers_left_today: int
    transfers_per_day: int
    max_amount_fen: int
    min_amount_fen: int
    window_open: bool
    next_open: datetime


@dataclass(frozen=True)
class Settlement:
    month: str
    flows: list[Flow]
    positions: dict[str, int]  # province -> received minus paid out
    total_fen: int


def month_bounds(month: str) -> tuple[datetime, datetime]:
    """[start, end) of a Beijing calendar month "YYYY-MM", years 2000 to 2999."""
    bounds = beijing_month_bounds(month)
    if bounds is None:
        raise month_invalid()
    return bounds


class TransferQueries:
    def __init__(self, deps: TransferDeps) -> None:
        self._d = deps

    async def get(self, caller: Principal, transfer_id: str) -> Transfer:
        return await visible_transfer(self._d, caller, transfer_id)

    async def list(
        self,
        caller: Principal,
        person_id: str,
        statuses: list[Status],
        outgoing_only: bool,
        incoming_only: bool,
        size: int,
        token: str,
    ) -> Page[Transfer]:
        require_own(caller, person_id)
        if outgoing_only and incoming_only:
            raise direction_invalid()
        query = {
            "person": person_id,
            "statuses": sorted(s.value for s in statuses),
            "out": outgoing_only,
            "in": incoming_only,
        }
        request = page_request(size, token, query)
        before = (datetime.fromisoformat(request.after[0]), request.after[1]) if request.after else None
        async with self._d.uow(read_only=True) as tx:
            found = await tx.transfers.of_person(
                person_id, statuses, not incoming_only, not outgoing_only, before, request.limit
            )
        return request.page(found, key=lambda t: [t.created_at.isoformat(), t.id])

    async def quota(self, caller: Principal, person_id: str) -> Quota:
        require_own(caller, person_id)
        policy, now = self._d.policy, self._d.clock.now()
        async with self._d.uow(read_only=True) as tx:
            used = await tx.transfers.count_today(person_id, policy.day_of(now))
        return Quota(
            max(policy.per_day - used, 0),
            policy.per_day,
            policy.max_amount_fen,
            policy.min_amount_fen,
            policy.window_open(now),
            policy.next_opening(now),
        )

    async def settlement(self, caller: Principal, month: str) -> Settlement:
        """R19a: money received across provinces in a Beijing month, per
        ordered pair and net per province. The national administrator (and
        services) see all of it; a provincial platform the rows that involve
        its province, and its own position. With the account service kept
        in shards (R24), what crossed between two shards is read from their
        clearing accounts, every shard's or none (domain/settlement.py); the
        positions and the total count what is owed, the payer side."""
        start, end = month_bounds(month)
        async with self._d.uow(read_only=True, stale_ok=True) as tx:  # may read a standby
            received = await tx.transfers.received_across_provinces(start, end)
        flows = settlement_flows(received, await self._d.accounts.clearing_statements(month))
        positions: dict[str, int] = {}
        for f in flows:
            positions[f.from_province] = positions.get(f.from_province, 0) - f.amount_fen
            positions[f.to_province] = positions.get(f.to_province, 0) + f.amount_fen
        flows, positions = settlement_seen_by(caller, flows, positions)
        return Settlement(month, flows, dict(sorted(positions.items())), sum(f.amount_fen for f in flows))
