"""Posting journal entries: balances and postings change in the caller's
transaction, with conditional updates so that no balance the ledger forbids
to go negative ever does, and an idempotency key per entry."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import case, func, insert, or_, select, text, update
from sqlalchemy.ext.asyncio import AsyncConnection

from services.account.adapters.tables import accounts, journal_entries, postings
from services.account.domain.errors import insufficient_funds
from services.account.domain.ledger import (
    AccountKind,
    ClearingLine,
    KeyReused,
    Movement,
    Posted,
    clearing_pair,
)
from services.kernel.db import insert_ignoring_conflicts


class Ledger:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def account(self, person_id: str, kind: AccountKind) -> int | None:
        query = select(accounts.c.id).where(accounts.c.person_id == person_id, accounts.c.kind == kind.value)
        return (await self._conn.execute(query)).scalar_one_or_none()

    async def open_person_account(self, person_id: str, kind: AccountKind) -> int:
        return (await self.open_person_accounts({(person_id, kind)}))[(person_id, kind)]

    async def open_person_accounts(
        self, wanted: set[tuple[str, AccountKind]]
    ) -> dict[tuple[str, AccountKind], int]:
        """Opens the persons' accounts that do not exist yet (one statement)
        and returns the ids of all of them, by (person, kind)."""
        rows = [
            {"kind": kind.value, "person_id": person_id, "balance": 0, "may_go_negative": False}
            for person_id, kind in sorted(wanted, key=lambda key: (key[0], key[1].value))
        ]
        await self._conn.execute(insert_ignoring_conflicts(self._conn, accounts), rows)
        return await self.accounts_of(wanted)

    async def system_account(self, key: str, kind: AccountKind) -> int:
        """The shared account of a province fund, an institution or a
        clearing account, created on first use."""
        await self._conn.execute(
            insert_ignoring_conflicts(self._conn, accounts).values(
                kind=kind.value,
                system_key=key,
                balance=0,
                may_go_negative=kind
                in (AccountKind.FUND, AccountKind.CLEARING_FROM, AccountKind.MOVED_IN, AccountKind.DUES_IN),
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

    async def clearing_lines(self, start: datetime, end: datetime) -> list[ClearingLine]:
        """Per clearing account (R24), by direction, own province, then the
        other: what was booked in [start, end) (positive both ways: credited
        to clearing-to, debited from clearing-from), in how many entries,
        and the balance now."""
        kinds = (AccountKind.CLEARING_TO.value, AccountKind.CLEARING_FROM.value)
        found = (
            await self._conn.execute(
                select(accounts.c.id, accounts.c.kind, accounts.c.system_key, accounts.c.balance).where(
                    accounts.c.kind.in_(kinds)
                )
            )
        ).all()
        if not found:
            return []
        booked = select(postings.c.account_id, func.sum(postings.c.amount), func.count()).join(
            journal_entries, journal_entries.c.id == postings.c.entry_id
        )
        booked = booked.where(
            postings.c.account_id.in_([row.id for row in found]),
            journal_entries.c.posted_at >= start,
            journal_entries.c.posted_at < end,
        ).group_by(postings.c.account_id)
        sums = {account: (int(total), int(n)) for account, total, n in await self._conn.execute(booked)}
        lines = [
            ClearingLine(
                *clearing_pair(row.system_key),
                owed_to_province=row.kind == AccountKind.CLEARING_TO.value,
                month_fen=abs(sums.get(row.id, (0, 0))[0]),
                month_count=sums.get(row.id, (0, 0))[1],
                balance_fen=int(row.balance),
            )
            for row in found
        ]
        return sorted(lines, key=lambda x: (not x.owed_to_province, x.own_province, x.province))

    async def accounts_of(self, wanted: set[tuple[str, AccountKind]]) -> dict[tuple[str, AccountKind], int]:
        """The ids of persons' accounts, by (person, kind), in one query."""
        people = {person for person, _ in wanted}
        query = select(accounts.c.id, accounts.c.person_id, accounts.c.kind).where(
            accounts.c.person_id.in_(people)
        )
        found = {(row.person_id, AccountKind(row.kind)): row.id for row in await self._conn.execute(query)}
        return {key: found[key] for key in wanted if key in found}

    async def post_many(
        self, entries: list[tuple[Movement, str, str]], request_hash: str, now: datetime, description: str
    ):
        """Many new journal entries, each (movement, key, reference), set-based:
        one INSERT of the entries, one conditional UPDATE of the balances, one
        INSERT of the postings. Every key must be new (KeyReused otherwise),
        and no balance the ledger forbids to go negative may (the whole batch
        is refused then)."""
        rows = [
            {
                "kind": m.kind.value,
                "idempotency_key": key,
                "request_hash": request_hash,
                "reference": ref,
                "description": description,
                "posted_at": now,
            }
            for m, key, ref in entries
        ]
        inserted = await self._conn.execute(
            insert_ignoring_conflicts(self._conn, journal_entries).returning(
                journal_entries.c.id, journal_entries.c.idempotency_key
            ),
            rows,
        )
        entry_ids = {row.idempotency_key: row.id for row in inserted}
        if len(entry_ids) != len(entries):
            raise KeyReused(next(key for _, key, _ in entries if key not in entry_ids))
        deltas: dict[int, int] = {}
        kinds: dict[int, AccountKind] = {}
        for movement, _, _ in entries:
            kinds |= {
                movement.debit_account: movement.debit_kind,
                movement.credit_account: movement.credit_kind,
            }
            for account_id, amount in movement.postings():
                deltas[account_id] = deltas.get(account_id, 0) + amount
        balances = await self._apply(deltas)
        if len(balances) != len(deltas):
            raise insufficient_funds(kinds[next(a for a in deltas if a not in balances)].value)
        # Each posting's balance_after, walking back from the final balances.
        lines = [
            (entry_ids[key], account_id, amount)
            for movement, key, _ in entries
            for account_id, amount in movement.postings()
        ]
        after = dict(balances)
        values = []
        for entry_id, account_id, amount in reversed(lines):
            values.append(
                {
                    "entry_id": entry_id,
                    "account_id": account_id,
                    "amount": amount,
                    "balance_after": after[account_id],
                }
            )
            after[account_id] -= amount
        await self._conn.execute(insert(postings), values[::-1])
        return entry_ids

    async def _apply(self, deltas: dict[int, int]) -> dict[int, int]:
        """Adds each delta to its account's balance unless that would take a
        balance the ledger forbids to go negative below zero: one statement;
        the balances of the accounts changed. On PostgreSQL with array
        parameters, so the statement's text is the same whatever the batch
        (parsed and planned once), the ids in order (rows locked in order)."""
        ids = sorted(deltas)
        if self._conn.dialect.name == "postgresql":
            changed = await self._conn.execute(
                _APPLY_POSTGRES, {"ids": ids, "deltas": [deltas[i] for i in ids]}
            )
            return dict(changed.all())
        delta = case(deltas, value=accounts.c.id)
        changed = await self._conn.execute(
            update(accounts)
            .where(accounts.c.id.in_(ids), or_(accounts.c.may_go_negative, accounts.c.balance + delta >= 0))
            .values(balance=accounts.c.balance + delta)
            .returning(accounts.c.id, accounts.c.balance)
        )
        return dict(changed.all())


_APPLY_POSTGRES = text(
    """
    UPDATE accounts SET balance = accounts.balance + d.delta
    FROM unnest(CAST(:ids AS bigint[]), CAST(:deltas AS bigint[])) AS d(id, delta)
    WHERE accounts.id = d.id AND (accounts.may_go_negative OR accounts.balance + d.delta >= 0)
    RETURNING accounts.id, accounts.balance
    """
)


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
