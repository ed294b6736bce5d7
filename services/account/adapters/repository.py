"""Reads and writes of the account database other than postings (ledger.py)."""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime

from sqlalchemy import and_, func, insert, or_, select, tuple_, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from services.account.adapters.ledger import Ledger
from services.account.adapters.tables import (
    accounts,
    bill_events,
    contribution_bills,
    contributions,
    credits,
    cursors,
    holds,
    journal_entries,
    moves,
    passwords,
    payee_misses,
    payments,
    persons,
    postings,
    relation_lapses,
    relations,
    remote_persons,
    used_face_tickets,
    wallets,
)
from services.account.domain.credentials import PasswordState
from services.account.domain.holds import Credit, Hold, HoldRecord, HoldState
from services.account.domain.ledger import AccountKind, EntryKind, StatementLine
from services.account.domain.moves import Move, MoveState
from services.account.domain.payments import (
    BillEvent,
    BillEventType,
    Contribution,
    ContributionBill,
    ContributionKind,
    Payment,
)
from services.account.domain.persons import Person
from services.account.domain.relations import Lapse, LapseCause, Relation, RelativeView
from services.account.domain.wallets import Wallet
from services.kernel.db import (
    Cursors,
    append_in_commit_order,
    first,
    from_row,
    insert_ignoring_conflicts,
    insert_new,
    row_values,
    upsert,
)
from services.kernel.uow import SqlUnitOfWork, UnitsOfWork, unit_of_work_factory


def _record(row) -> HoldRecord:
    return HoldRecord(from_row(Hold, row), row.created_at, row.updated_at)


class AccountRepository(Cursors):
    cursors = cursors  # of the account's own followers (usecases/publishing.py)

    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    # --- persons
    async def add_person(self, person: Person) -> bool:
        """False when a person with that ID number exists already."""
        return await insert_new(self._conn, persons, row_values(person, province=person.province))

    async def person(self, person_id: str, for_update: bool = False) -> Person | None:
        return await first(self._conn, Person, select(persons).where(persons.c.id == person_id), for_update)

    async def persons_by_ids_and_hashes(
        self, person_ids: set[str], id_hashes: set[str]
    ) -> tuple[dict[str, Person], dict[str, Person]]:
        """Persons by id and by ID-number hash, in one query: (by id, by hash)."""
        query = select(persons).where(or_(persons.c.id.in_(person_ids), persons.c.id_hash.in_(id_hashes)))
        found = [from_row(Person, row) for row in await self._conn.execute(query)]
        return {p.id: p for p in found if p.id in person_ids}, {p.id_hash: p for p in found}

    async def person_by_hash(self, id_hash: str) -> Person | None:
        return await first(self._conn, Person, select(persons).where(persons.c.id_hash == id_hash))

    async def save_person(self, person: Person) -> None:
        values = row_values(person, province=person.province)
        del values["id"], values["created_at"]
        await self._conn.execute(update(persons).where(persons.c.id == person.id).values(values))

    # --- wallets
    async def wallet(self, person_id: str) -> Wallet | None:
        query = (
            select(wallets, accounts.c.balance)
            .join(accounts, accounts.c.id == wallets.c.account_id)
            .where(wallets.c.person_id == person_id)
        )
        return await first(self._conn, Wallet, query)

    async def wallets(self, person_ids: list[str]) -> dict[str, Wallet]:
        query = (
            select(wallets, accounts.c.balance)
            .join(accounts, accounts.c.id == wallets.c.account_id)
            .where(wallets.c.person_id.in_(person_ids))
        )
        return {row.person_id: from_row(Wallet, row) for row in await self._conn.execute(query)}

    async def add_wallet(self, wallet: Wallet) -> bool:
        values = row_values(wallet, updated_at=wallet.opened_at)
        del values["balance"]  # the wallet account's, not the wallet row's
        return await insert_new(self._conn, wallets, values)

    async def set_place_of_use(self, person_id: str, place_of_use: str, now: datetime) -> None:
        await self._conn.execute(
            update(wallets)
            .where(wallets.c.person_id == person_id)
            .values(place_of_use=place_of_use, updated_at=now)
        )

    async def set_mobile(self, person_id: str, mobile: str, now: datetime) -> None:
        await self._conn.execute(
            update(wallets).where(wallets.c.person_id == person_id).values(mobile=mobile, updated_at=now)
        )

    async def balances(self, person_id: str) -> dict[AccountKind, int]:
        rows = await self._conn.execute(
            select(accounts.c.kind, accounts.c.balance).where(accounts.c.person_id == person_id)
        )
        return {AccountKind(kind): balance for kind, balance in rows}

    # --- relations
    async def relation(self, person_id: str, relative_id: str) -> Relation | None:
        query = select(relations).where(
            relations.c.person_id == person_id,
            relations.c.relative_id == relative_id,
            relations.c.lapsed_at.is_(None),
        )
        return await first(self._conn, Relation, query)

    async def relations_between(self, pairs: set[tuple[str, str]]) -> dict[tuple[str, str], Relation]:
        """The live relations of these (person, relative) pairs, in one query."""
        if not pairs:
            return {}
        query = select(relations).where(
            tuple_(relations.c.person_id, relations.c.relative_id).in_(sorted(pairs)),
            relations.c.lapsed_at.is_(None),
        )
        found = [from_row(Relation, row) for row in await self._conn.execute(query)]
        return {(r.person_id, r.relative_id): r for r in found}

    async def lapsed_between(self, pairs: set[tuple[str, str]]) -> set[tuple[str, str]]:
        """The (person, relative) pairs among ``pairs`` whose relation has lapsed."""
        if not pairs:
            return set()
        query = select(relations.c.person_id, relations.c.relative_id).where(
            tuple_(relations.c.person_id, relations.c.relative_id).in_(sorted(pairs)),
            relations.c.lapsed_at.is_not(None),
        )
        return {(row.person_id, row.relative_id) for row in await self._conn.execute(query)}

    async def add_link(self, relation: Relation) -> bool:
        """Stores the link both ways, new or renewing a lapsed one (a relation
        is re-attested after a move), unless a live one is there, written
        before or by a concurrent attestation: False then, and the caller
        must not commit. Rows in key order, so that attestations of either
        direction, racing, cannot deadlock."""
        written = 0
        for link in sorted((relation, relation.inverse()), key=lambda r: (r.person_id, r.relative_id)):
            lapsed = and_(
                relations.c.person_id == link.person_id,
                relations.c.relative_id == link.relative_id,
                relations.c.lapsed_at.is_not(None),
            )
            renewed = await self._conn.execute(
                update(relations)
                .where(lapsed)
                .values(kind=link.kind.value, attested_at=link.attested_at, lapsed_at=None)
            )
            if renewed.rowcount or await insert_new(self._conn, relations, row_values(link)):
                written += 1
        return written == 2

    async def relatives(self, person_id: str) -> list[RelativeView]:
        """The live relations, each with its relative: kept here, or kept in
        another shard and remembered (R24)."""
        views = []
        for table, hashed in ((persons, {}), (remote_persons, {"id_hash": ""})):
            rows = await self._conn.execute(
                select(relations, table)
                .join(table, table.c.id == relations.c.relative_id)
                .where(relations.c.person_id == person_id, relations.c.lapsed_at.is_(None))
            )
            views += [RelativeView(from_row(Relation, row), from_row(Person, row, **hashed)) for row in rows]
        return sorted(views, key=lambda v: (v.relation.attested_at, v.relation.relative_id))

    async def move(self, person_id: str) -> Move | None:
        return await first(self._conn, Move, select(moves).where(moves.c.person_id == person_id))

    async def add_move(self, move: Move) -> None:
        await self._conn.execute(insert(moves).values(row_values(move)))

    async def finish_move(self, person_id: str) -> None:
        await self._conn.execute(
            update(moves).where(moves.c.person_id == person_id).values(state=MoveState.DONE.value)
        )

    async def holds_pending_from(self, person_id: str) -> int:
        """How many of the person's own transfers are held here, pending."""
        query = select(func.count()).where(
            holds.c.payer_id == person_id, holds.c.state == HoldState.PENDING.value
        )
        return int((await self._conn.execute(query)).scalar_one())

    async def remember_person(self, person: Person) -> None:
        """A relative kept in another shard (R24), as that shard tells of them now."""
        values = row_values(person, province=person.province)
        del values["id_hash"]
        if not await insert_new(self._conn, remote_persons, values):
            del values["id"], values["created_at"]
            await self._conn.execute(
                update(remote_persons).where(remote_persons.c.id == person.id).values(values)
            )

    async def remote_relative_provinces(self, person_id: str) -> set[str]:
        """The provinces of the person's relatives kept in other shards (R24)."""
        query = (
            select(remote_persons.c.province)
            .join(relations, relations.c.relative_id == remote_persons.c.id)
            .where(relations.c.person_id == person_id)
            .distinct()
        )
        return set((await self._conn.execute(query)).scalars())

    async def remote_person(self, person_id: str) -> Person | None:
        row = (
            await self._conn.execute(select(remote_persons).where(remote_persons.c.id == person_id))
        ).first()
        return from_row(Person, row, id_hash="") if row else None

    async def lapse_remote_relations(self, person_id: str, now: datetime) -> int:
        """The person's links lapse, and no more: for one kept in another
        shard, lapsed there (R24), this shard's own feed, which carries its
        own persons only, is not written. Each link is stored both ways."""
        result = await self._conn.execute(
            update(relations)
            .where(
                or_(relations.c.person_id == person_id, relations.c.relative_id == person_id),
                relations.c.lapsed_at.is_(None),
            )
            .values(lapsed_at=now)
        )
        return result.rowcount // 2

    async def lapse_relations(self, person_id: str, cause: LapseCause, now: datetime) -> int:
        """The person's relations lapse, and the lapse goes into the feed."""
        lapsed = await self.lapse_remote_relations(person_id, now)
        await append_in_commit_order(self._conn, "relation_lapses")
        await self._conn.execute(
            insert(relation_lapses).values(person_id=person_id, cause=cause.value, lapsed_at=now)
        )
        return lapsed

    async def lapses_after(self, after_id: int, limit: int) -> list[Lapse]:
        rows = await self._conn.execute(
            select(relation_lapses)
            .where(relation_lapses.c.id > after_id)
            .order_by(relation_lapses.c.id)
            .limit(limit)
        )
        return [from_row(Lapse, r) for r in rows]

    async def provinces_of(self, person_ids: set[str]) -> dict[str, str]:
        """The province each of these persons is insured in now."""
        query = select(persons.c.id, persons.c.province).where(persons.c.id.in_(person_ids))
        return {row.id: row.province for row in await self._conn.execute(query)}

    # --- credentials
    async def password(self, person_id: str, for_update: bool = False) -> PasswordState | None:
        query = select(passwords).where(passwords.c.person_id == person_id)
        return await first(self._conn, PasswordState, query, for_update)

    async def add_password(self, person_id: str, state: PasswordState, now: datetime) -> bool:
        """False when the person has a password already (set before or concurrently)."""
        return await insert_new(self._conn, passwords, row_values(state, person_id=person_id, updated_at=now))

    async def save_password(
        self, person_id: str, state: PasswordState, now: datetime, replacing: str | None = None
    ) -> bool:
        """Writes the state of the person's password; with ``replacing``, only
        over that hash: False when it was changed meanwhile."""
        query = update(passwords).where(passwords.c.person_id == person_id)
        if replacing is not None:
            query = query.where(passwords.c.password_hash == replacing)
        changed = await self._conn.execute(query.values(row_values(state, updated_at=now)))
        return changed.rowcount > 0

    async def payee_misses(self, person_ids: set[str], day: date) -> dict[str, int]:
        """How many payees did not match for each of these payers on ``day``."""
        query = select(payee_misses.c.person_id, payee_misses.c.count).where(
            payee_misses.c.person_id.in_(person_ids), payee_misses.c.day == day
        )
        return {person_id: count for person_id, count in await self._conn.execute(query)}

    async def count_payee_misses(self, misses: Counter[str], day: date) -> None:
        """Adds the payers' failed payee matches of ``day``, one statement."""
        if not misses:
            return
        rows = [{"person_id": p, "day": day, "count": n} for p, n in misses.items()]
        query = upsert(self._conn, payee_misses)
        counted = query.on_conflict_do_update(
            index_elements=[payee_misses.c.person_id, payee_misses.c.day],
            set_={"count": payee_misses.c.count + query.excluded.count},
        )
        await self._conn.execute(counted, rows)

    async def use_face_tickets(self, tickets: list[tuple[str, str, datetime]]) -> set[str]:
        """Marks (ticket id, person id, expires at) used, in one statement;
        returns the ids that were not used before."""
        if not tickets:
            return set()
        rows = [{"ticket_id": t, "person_id": p, "expires_at": e} for t, p, e in tickets]
        query = insert_ignoring_conflicts(self._conn, used_face_tickets).returning(
            used_face_tickets.c.ticket_id
        )
        return {row.ticket_id for row in await self._conn.execute(query, rows)}

    # --- holds
    async def get_hold(self, transfer_id: str, for_update: bool = False) -> Hold | None:
        query = select(holds).where(holds.c.transfer_id == transfer_id)
        return await first(self._conn, Hold, query, for_update)

    async def add_holds(self, wanted: list[Hold], now: datetime) -> set[str]:
        """Inserts the holds whose transfer id is new; returns those ids."""
        if not wanted:
            return set()
        rows = [row_values(hold, created_at=now, updated_at=now) for hold in wanted]
        query = insert_ignoring_conflicts(self._conn, holds).returning(holds.c.transfer_id)
        return {row.transfer_id for row in await self._conn.execute(query, rows)}

    async def get_holds(self, transfer_ids: list[str]) -> list[Hold]:
        """The holds of these transfers that exist, row-locked."""
        query = select(holds).where(holds.c.transfer_id.in_(transfer_ids)).order_by(holds.c.transfer_id)
        return [from_row(Hold, row) for row in await self._conn.execute(query.with_for_update())]

    async def save_hold_states(self, ended: list[Hold], now: datetime) -> None:
        """Records the new state of holds that all moved to the same one."""
        if ended:
            ids = [hold.transfer_id for hold in ended]
            query = update(holds).where(holds.c.transfer_id.in_(ids))
            await self._conn.execute(query.values(state=ended[0].state.value, updated_at=now))

    async def list_holds(
        self,
        state: HoldState | None,
        changed_after: datetime | None,
        after: tuple[datetime, str] | None,
        limit: int,
    ) -> list[HoldRecord]:
        """Holds, oldest change first (updated_at, then transfer id), from the
        position ``after``; only in ``state`` and changed after ``changed_after``
        when given (R22, ix_holds_state_updated_at)."""
        query = select(holds)
        if state is not None:
            query = query.where(holds.c.state == state.value)
        if changed_after is not None:
            query = query.where(holds.c.updated_at > changed_after)
        if after is not None:
            at, transfer_id = after
            query = query.where(
                or_(
                    holds.c.updated_at > at, and_(holds.c.updated_at == at, holds.c.transfer_id > transfer_id)
                )
            )
        query = query.order_by(holds.c.updated_at, holds.c.transfer_id).limit(limit)
        return [_record(row) for row in await self._conn.execute(query)]

    async def find_holds(self, transfer_ids: list[str]) -> list[HoldRecord]:
        """The holds of these transfers that exist, by transfer id, unlocked."""
        if not transfer_ids:
            return []
        query = select(holds).where(holds.c.transfer_id.in_(transfer_ids)).order_by(holds.c.transfer_id)
        return [_record(row) for row in await self._conn.execute(query)]

    async def add_hold(self, hold: Hold, now: datetime) -> bool:
        values = row_values(hold, created_at=now, updated_at=now)
        return await insert_new(self._conn, holds, values)

    async def save_hold(self, hold: Hold, now: datetime) -> None:
        await self._conn.execute(
            update(holds)
            .where(holds.c.transfer_id == hold.transfer_id)
            .values(state=hold.state.value, updated_at=now)
        )

    # --- credits: the payee's side of a transfer received across shards (R24)
    async def add_credits(self, wanted: list[Credit], now: datetime) -> set[str]:
        """Inserts the credits whose transfer id is new; returns those ids."""
        if not wanted:
            return set()
        rows = [row_values(c, created_at=now) for c in wanted]
        query = insert_ignoring_conflicts(self._conn, credits).returning(credits.c.transfer_id)
        return {row.transfer_id for row in await self._conn.execute(query, rows)}

    async def get_credits(self, transfer_ids: list[str]) -> dict[str, Credit]:
        if not transfer_ids:
            return {}
        query = select(credits).where(credits.c.transfer_id.in_(transfer_ids))
        return {r.transfer_id: from_row(Credit, r) for r in await self._conn.execute(query)}

    # --- payments
    async def payment(
        self, institution_code: str, order_number: str, for_update: bool = False
    ) -> Payment | None:
        query = select(payments).where(
            payments.c.institution_code == institution_code, payments.c.order_number == order_number
        )
        return await first(self._conn, Payment, query, for_update)

    async def add_payment(self, payment: Payment) -> None:
        await self._conn.execute(insert(payments).values(row_values(payment)))

    async def add_refund(self, institution_code: str, order_number: str, amount: int) -> None:
        await self._conn.execute(
            update(payments)
            .where(payments.c.institution_code == institution_code, payments.c.order_number == order_number)
            .values(refunded=payments.c.refunded + amount)
        )

    # --- contributions and their bills (R12a)
    async def add_contribution(self, contribution: Contribution) -> None:
        await self._conn.execute(insert(contributions).values(row_values(contribution)))

    def _bill_key(self, person_id: str, kind: ContributionKind, year: int):
        c = contribution_bills.c
        return and_(c.person_id == person_id, c.kind == kind.value, c.year == year)

    async def bill(
        self, person_id: str, kind: ContributionKind, year: int, for_update: bool = False
    ) -> ContributionBill | None:
        query = select(contribution_bills).where(self._bill_key(person_id, kind, year))
        return await first(self._conn, ContributionBill, query, for_update)

    async def add_bill(self, bill: ContributionBill) -> bool:
        """False when the bill was issued before (it is left as it was)."""
        return await insert_new(self._conn, contribution_bills, row_values(bill))

    async def bills_of(self, person_id: str) -> list[ContributionBill]:
        c = contribution_bills.c
        query = select(contribution_bills).where(c.person_id == person_id).order_by(c.year.desc(), c.kind)
        return [from_row(ContributionBill, row) for row in await self._conn.execute(query)]

    async def mark_bill_paid(self, bill: ContributionBill, payer_id: str, now: datetime) -> None:
        key = self._bill_key(bill.person_id, bill.kind, bill.year)
        await self._conn.execute(update(contribution_bills).where(key).values(paid_by=payer_id, paid_at=now))

    async def add_bill_event(self, kind: BillEventType, bill: ContributionBill, now: datetime) -> None:
        values = {"person_id": bill.person_id, "kind": bill.kind.value, "year": bill.year}
        await append_in_commit_order(self._conn, "bill_events")
        await self._conn.execute(
            insert(bill_events).values(type=kind.value, province=bill.province, occurred_at=now, **values)
        )

    async def bill_events_after(self, province: str | None, after_id: int, limit: int) -> list[BillEvent]:
        """The province's bill events after ``after_id`` (None: every
        province's), each with its bill as it is now."""
        e, c = bill_events.c, contribution_bills.c
        query = (
            select(e.id, e.type, e.occurred_at, contribution_bills)
            .join(contribution_bills, and_(c.person_id == e.person_id, c.kind == e.kind, c.year == e.year))
            .where(e.id > after_id)
            .order_by(e.id)
            .limit(limit)
        )
        if province is not None:
            query = query.where(e.province == province)
        return [
            BillEvent(row.id, BillEventType(row.type), from_row(ContributionBill, row), row.occurred_at)
            for row in await self._conn.execute(query)
        ]

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
                postings.c.id.label("posting_id"),
                postings.c.entry_id,
                postings.c.amount,
                postings.c.balance_after,
                accounts.c.kind.label("account"),
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
        return [from_row(StatementLine, r) for r in rows]


class AccountSqlUnitOfWork(SqlUnitOfWork):
    accounts: AccountRepository  # set on entering the block
    ledger: Ledger


def account_unit_of_work(
    engine: AsyncEngine, replica: AsyncEngine | None = None
) -> UnitsOfWork[AccountSqlUnitOfWork]:
    """Units of work of the account service: ``tx.accounts`` (persons,
    wallets, relations, credentials, holds, payments) and ``tx.ledger``."""
    return unit_of_work_factory(
        engine,
        lambda conn: {"accounts": AccountRepository(conn), "ledger": Ledger(conn)},
        AccountSqlUnitOfWork,
        replica,
    )
