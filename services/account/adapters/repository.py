"""Reads and writes of the account database other than postings (ledger.py)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import and_, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from services.account.adapters.ledger import Ledger
from services.account.adapters.tables import (
    accounts,
    contributions,
    holds,
    journal_entries,
    passwords,
    payments,
    persons,
    postings,
    relation_lapses,
    relations,
    used_face_tickets,
    wallets,
)
from services.account.domain.credentials import PasswordState
from services.account.domain.holds import Hold, HoldState
from services.account.domain.ledger import AccountKind, EntryKind, StatementLine
from services.account.domain.payments import ContributionKind, Payment
from services.account.domain.persons import InsuranceStatus, InsuranceType, Person
from services.account.domain.relations import Relation, RelationKind, RelativeView
from services.account.domain.wallets import Wallet
from services.kernel.db import insert_ignoring_conflicts
from services.kernel.uow import unit_of_work_factory


def _person(row) -> Person:
    return Person(
        row.id,
        row.id_hash,
        row.masked_id_number,
        row.name,
        InsuranceType(row.insurance_type),
        row.insured_region,
        InsuranceStatus(row.status),
        row.created_at,
        row.updated_at,
    )


def _person_values(p: Person) -> dict:
    return {
        "id": p.id,
        "id_hash": p.id_hash,
        "masked_id_number": p.masked_id_number,
        "name": p.name,
        "insurance_type": p.insurance_type.value,
        "insured_region": p.insured_region,
        "province": p.province,
        "status": p.status.value,
        "created_at": p.created_at,
        "updated_at": p.updated_at,
    }


class AccountRepository:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def _one(self, query):
        return (await self._conn.execute(query)).first()

    # --- persons
    async def add_person(self, person: Person) -> bool:
        """False when a person with that ID number exists already."""
        result = await self._conn.execute(
            insert_ignoring_conflicts(self._conn, persons)
            .values(_person_values(person))
            .returning(persons.c.id)
        )
        return result.scalar_one_or_none() is not None

    async def person(self, person_id: str, for_update: bool = False) -> Person | None:
        query = select(persons).where(persons.c.id == person_id)
        row = await self._one(query.with_for_update() if for_update else query)
        return _person(row) if row else None

    async def person_by_hash(self, id_hash: str) -> Person | None:
        row = await self._one(select(persons).where(persons.c.id_hash == id_hash))
        return _person(row) if row else None

    async def save_person(self, person: Person) -> None:
        values = _person_values(person)
        del values["id"], values["created_at"]
        await self._conn.execute(update(persons).where(persons.c.id == person.id).values(values))

    # --- wallets
    async def wallet(self, person_id: str, for_update: bool = False) -> Wallet | None:
        query = (
            select(wallets, accounts.c.balance)
            .join(accounts, accounts.c.id == wallets.c.account_id)
            .where(wallets.c.person_id == person_id)
        )
        row = await self._one(query.with_for_update(of=wallets) if for_update else query)
        if row is None:
            return None
        return Wallet(row.person_id, row.account_id, row.place_of_use, row.mobile, row.opened_at, row.balance)

    async def add_wallet(
        self, person_id: str, account_id: int, place_of_use: str, mobile: str, now: datetime
    ) -> bool:
        result = await self._conn.execute(
            insert_ignoring_conflicts(self._conn, wallets)
            .values(
                person_id=person_id,
                account_id=account_id,
                place_of_use=place_of_use,
                mobile=mobile,
                opened_at=now,
                updated_at=now,
            )
            .returning(wallets.c.person_id)
        )
        return result.scalar_one_or_none() is not None

    async def set_place_of_use(self, person_id: str, place_of_use: str, now: datetime) -> None:
        await self._conn.execute(
            update(wallets)
            .where(wallets.c.person_id == person_id)
            .values(place_of_use=place_of_use, updated_at=now)
        )

    async def balances(self, person_id: str) -> dict[AccountKind, int]:
        rows = await self._conn.execute(
            select(accounts.c.kind, accounts.c.balance).where(accounts.c.person_id == person_id)
        )
        return {AccountKind(kind): balance for kind, balance in rows}

    # --- relations
    async def relation(self, person_id: str, relative_id: str) -> Relation | None:
        row = await self._one(
            select(relations).where(
                relations.c.person_id == person_id,
                relations.c.relative_id == relative_id,
                relations.c.lapsed_at.is_(None),
            )
        )
        return (
            Relation(row.person_id, row.relative_id, RelationKind(row.kind), row.attested_at) if row else None
        )

    async def put_relation(self, relation: Relation) -> None:
        """Adds the link, or renews a lapsed one (a relation is re-attested after a move)."""
        key = and_(
            relations.c.person_id == relation.person_id, relations.c.relative_id == relation.relative_id
        )
        renewed = await self._conn.execute(
            update(relations)
            .where(key)
            .values(kind=relation.kind.value, attested_at=relation.attested_at, lapsed_at=None)
        )
        if renewed.rowcount == 0:
            await self._conn.execute(
                insert(relations).values(
                    person_id=relation.person_id,
                    relative_id=relation.relative_id,
                    kind=relation.kind.value,
                    attested_at=relation.attested_at,
                )
            )

    async def relatives(self, person_id: str) -> list[RelativeView]:
        rows = await self._conn.execute(
            select(relations, persons)
            .join(persons, persons.c.id == relations.c.relative_id)
            .where(relations.c.person_id == person_id, relations.c.lapsed_at.is_(None))
            .order_by(relations.c.attested_at, relations.c.relative_id)
        )
        views = []
        for row in rows:
            m = row._mapping
            relation = Relation(
                m[relations.c.person_id],
                m[relations.c.relative_id],
                RelationKind(m[relations.c.kind]),
                m[relations.c.attested_at],
            )
            relative = Person(
                m[persons.c.id],
                m[persons.c.id_hash],
                m[persons.c.masked_id_number],
                m[persons.c.name],
                InsuranceType(m[persons.c.insurance_type]),
                m[persons.c.insured_region],
                InsuranceStatus(m[persons.c.status]),
                m[persons.c.created_at],
                m[persons.c.updated_at],
            )
            views.append(RelativeView(relation, relative))
        return views

    async def lapse_relations(self, person_id: str, cause: str, now: datetime) -> int:
        result = await self._conn.execute(
            update(relations)
            .where(
                or_(relations.c.person_id == person_id, relations.c.relative_id == person_id),
                relations.c.lapsed_at.is_(None),
            )
            .values(lapsed_at=now)
        )
        await self._conn.execute(
            insert(relation_lapses).values(person_id=person_id, cause=cause, lapsed_at=now)
        )
        # Each link is stored both ways.
        return result.rowcount // 2

    async def lapses_after(self, after_id: int, limit: int) -> list[tuple[int, str, str, datetime]]:
        rows = await self._conn.execute(
            select(relation_lapses)
            .where(relation_lapses.c.id > after_id)
            .order_by(relation_lapses.c.id)
            .limit(limit)
        )
        return [(r.id, r.person_id, r.cause, r.lapsed_at) for r in rows]

    # --- credentials
    async def password(self, person_id: str, for_update: bool = False) -> PasswordState | None:
        query = select(passwords).where(passwords.c.person_id == person_id)
        row = await self._one(query.with_for_update() if for_update else query)
        return PasswordState(row.password_hash, row.failures, row.locked_until) if row else None

    async def save_password(self, person_id: str, state: PasswordState, now: datetime) -> None:
        values = {
            "password_hash": state.password_hash,
            "failures": state.failures,
            "locked_until": state.locked_until,
            "updated_at": now,
        }
        changed = await self._conn.execute(
            update(passwords).where(passwords.c.person_id == person_id).values(values)
        )
        if changed.rowcount == 0:
            await self._conn.execute(insert(passwords).values(person_id=person_id, **values))

    async def use_face_ticket(self, ticket_id: str, person_id: str, expires_at: datetime) -> bool:
        """False when the ticket was used before."""
        result = await self._conn.execute(
            insert_ignoring_conflicts(self._conn, used_face_tickets)
            .values(ticket_id=ticket_id, person_id=person_id, expires_at=expires_at)
            .returning(used_face_tickets.c.ticket_id)
        )
        return result.scalar_one_or_none() is not None

    # --- holds
    async def get_hold(self, transfer_id: str, for_update: bool = False) -> Hold | None:
        query = select(holds).where(holds.c.transfer_id == transfer_id)
        row = await self._one(query.with_for_update() if for_update else query)
        if row is None:
            return None
        return Hold(
            row.transfer_id,
            row.payer_id,
            row.payee_id,
            AccountKind(row.source),
            row.amount,
            HoldState(row.state),
        )

    async def add_hold(self, hold: Hold, now: datetime) -> bool:
        result = await self._conn.execute(
            insert_ignoring_conflicts(self._conn, holds)
            .values(
                transfer_id=hold.transfer_id,
                payer_id=hold.payer_id,
                payee_id=hold.payee_id,
                source=hold.source.value,
                amount=hold.amount,
                state=hold.state.value,
                created_at=now,
                updated_at=now,
            )
            .returning(holds.c.transfer_id)
        )
        return result.scalar_one_or_none() is not None

    async def save_hold(self, hold: Hold, now: datetime) -> None:
        await self._conn.execute(
            update(holds)
            .where(holds.c.transfer_id == hold.transfer_id)
            .values(state=hold.state.value, updated_at=now)
        )

    # --- payments
    async def payment(
        self, institution_code: str, order_number: str, for_update: bool = False
    ) -> Payment | None:
        query = select(payments).where(
            payments.c.institution_code == institution_code, payments.c.order_number == order_number
        )
        row = await self._one(query.with_for_update() if for_update else query)
        return (
            Payment(
                row.institution_code, row.order_number, row.person_id, row.amount, row.refunded, row.paid_at
            )
            if row
            else None
        )

    async def add_payment(self, payment: Payment) -> None:
        await self._conn.execute(insert(payments).values(**payment.__dict__))

    async def add_refund(self, institution_code: str, order_number: str, amount: int) -> None:
        await self._conn.execute(
            update(payments)
            .where(payments.c.institution_code == institution_code, payments.c.order_number == order_number)
            .values(refunded=payments.c.refunded + amount)
        )

    # --- contributions
    async def add_contribution(
        self,
        beneficiary_id: str,
        kind: ContributionKind,
        year: int,
        payer_id: str,
        amount: int,
        entry_id: int,
    ) -> None:
        await self._conn.execute(
            insert(contributions).values(
                beneficiary_id=beneficiary_id,
                kind=kind.value,
                year=year,
                payer_id=payer_id,
                amount=amount,
                entry_id=entry_id,
            )
        )

    # --- statements
    async def statement(
        self,
        person_id: str,
        kinds: list[EntryKind],
        start: datetime | None,
        end: datetime | None,
        before_id: int | None,
        limit: int,
    ) -> list[StatementLine]:
        query = (
            select(
                postings.c.id,
                postings.c.entry_id,
                postings.c.amount,
                postings.c.balance_after,
                accounts.c.kind.label("account_kind"),
                journal_entries.c.kind,
                journal_entries.c.reference,
                journal_entries.c.description,
                journal_entries.c.posted_at,
            )
            .join(accounts, accounts.c.id == postings.c.account_id)
            .join(journal_entries, journal_entries.c.id == postings.c.entry_id)
            .where(
                accounts.c.person_id == person_id,
                accounts.c.kind.in_([AccountKind.PERSONAL.value, AccountKind.WALLET.value]),
            )
        )
        if kinds:
            query = query.where(journal_entries.c.kind.in_([k.value for k in kinds]))
        if start is not None:
            query = query.where(journal_entries.c.posted_at >= start)
        if end is not None:
            query = query.where(journal_entries.c.posted_at < end)
        if before_id is not None:
            query = query.where(postings.c.id < before_id)
        rows = await self._conn.execute(query.order_by(postings.c.id.desc()).limit(limit))
        return [
            StatementLine(
                r.id,
                r.entry_id,
                EntryKind(r.kind),
                AccountKind(r.account_kind),
                r.amount,
                r.balance_after,
                r.reference,
                r.description,
                r.posted_at,
            )
            for r in rows
        ]


def account_unit_of_work(engine):
    """Units of work of the account service: ``tx.accounts`` (persons,
    wallets, relations, credentials, holds, payments) and ``tx.ledger``."""
    return unit_of_work_factory(
        engine, lambda conn: {"accounts": AccountRepository(conn), "ledger": Ledger(conn)}
    )
