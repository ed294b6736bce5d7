"""Posting journal entries: balances and postings change in the caller's
transaction, with conditional updates so that no balance the ledger forbids
to go negative ever does, and an idempotency key per entry."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from services.account.adapters.tables import accounts, journal_entries, postings
from services.account.domain.errors import insufficient_funds
from services.account.domain.ledger import AccountKind, KeyReused, Movement, Posted
from services.kernel.db import insert_ignoring_conflicts


class Ledger:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def account(self, person_id: str, kind: AccountKind) -> int | None:
        query = select(accounts.c.id).where(accounts.c.person_id == person_id, accounts.c.kind == kind.value)
        return (await self._conn.execute(query)).scalar_one_or_none()

    async def open_person_account(self, person_id: str, kind: AccountKind) -> int:
        await self._conn.execute(
            insert_ignoring_conflicts(self._conn, accounts).values(
                kind=kind.value, person_id=person_id, balance=0, may_go_negative=False
            )
        )
        return await self.account(person_id, kind)

    async def system_account(self, key: str, kind: AccountKind) -> int:
        """The shared account of a province fund or an institution, created on first use."""
        await self._conn.execute(
            insert_ignoring_conflicts(self._conn, accounts).values(
                kind=kind.value, system_key=key, balance=0, may_go_negative=kind is AccountKind.FUND
            )
        )
        return (
            await self._conn.execute(select(accounts.c.id).where(accounts.c.system_key == key))
        ).scalar_one()

    async def balance(self, account_id: int) -> int:
        return (
            await self._conn.execute(select(accounts.c.balance).where(accounts.c.id == account_id))
        ).scalar_one()

    async def previous_request(self, key: str) -> str | None:
        """The request hash of the entry posted under ``key``, if any."""
        query = select(journal_entries.c.request_hash).where(journal_entries.c.idempotency_key == key)
        return (await self._conn.execute(query)).scalar_one_or_none()

    async def post(
        self,
        movement: Movement,
        key: str,
        request_hash: str,
        reference: str,
        now: datetime,
        description: str = "",
    ) -> Posted:
        entry_id = (
            await self._conn.execute(
                insert_ignoring_conflicts(self._conn, journal_entries)
                .values(
                    kind=movement.kind.value,
                    idempotency_key=key,
                    request_hash=request_hash,
                    reference=reference,
                    description=description,
                    posted_at=now,
                )
                .returning(journal_entries.c.id)
            )
        ).scalar_one_or_none()
        if entry_id is None:
            earlier = (
                await self._conn.execute(
                    select(journal_entries.c.id, journal_entries.c.request_hash).where(
                        journal_entries.c.idempotency_key == key
                    )
                )
            ).one()
            if earlier.request_hash != request_hash:
                raise KeyReused(key)
            return Posted(earlier.id, replayed=True)
        kinds = {movement.debit_account: movement.debit_kind, movement.credit_account: movement.credit_kind}
        # Fixed lock order (by account id) so that concurrent entries cannot deadlock.
        for account_id, amount in sorted(movement.postings()):
            balance_after = (
                await self._conn.execute(
                    update(accounts)
                    .where(
                        accounts.c.id == account_id,
                        or_(accounts.c.may_go_negative, accounts.c.balance + amount >= 0),
                    )
                    .values(balance=accounts.c.balance + amount)
                    .returning(accounts.c.balance)
                )
            ).scalar_one_or_none()
            if balance_after is None:
                raise insufficient_funds(kinds[account_id].value)
            await self._conn.execute(
                insert(postings).values(
                    entry_id=entry_id, account_id=account_id, amount=amount, balance_after=balance_after
                )
            )
        return Posted(entry_id, replayed=False)


async def ledger_totals(conn: AsyncConnection) -> tuple[int, int, int]:
    """(sum of debits, sum of credits, sum of balances): a sound ledger has
    debits == credits and balances summing to zero."""
    debits = (
        await conn.execute(
            select(func.coalesce(func.sum(-postings.c.amount), 0)).where(postings.c.amount < 0)
        )
    ).scalar_one()
    credits = (
        await conn.execute(select(func.coalesce(func.sum(postings.c.amount), 0)).where(postings.c.amount > 0))
    ).scalar_one()
    balances = (await conn.execute(select(func.coalesce(func.sum(accounts.c.balance), 0)))).scalar_one()
    return int(debits), int(credits), int(balances)
