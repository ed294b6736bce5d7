"""In-memory units of work and clients of other services, so use cases run
without a database or a network. A unit of work sees the committed state;
leaving it without commit() throws its changes away, like a rollback, and a
unique key taken twice raises Conflict, as the SQL adapters do."""

from __future__ import annotations

import copy
import itertools
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Generic, Self, TypeVar

from services.kernel.errors import Conflict, DomainError, ErrorKind
from services.kernel.region_codes import RegionStatus
from services.kernel.relations import RelationKind
from services.transfer.domain.parties import Parties, Party
from services.transfer.domain.settlement import ClearingStatements
from services.transfer.domain.transfer import EventType, RefundReason, Status, Transfer, may_move
from services.transfer.usecases.ports import InFlight, Outbox


class _Transaction:
    def __init__(self, factory: FakeUnitOfWork) -> None:
        self._factory = factory

    async def __aenter__(self) -> Self:
        if self._factory.pause is not None:  # the simulator lets others run here
            await self._factory.pause("uow")
        self._working = copy.deepcopy(self._factory._store)
        for name, build in self._factory._repositories.items():
            setattr(self, name, build(self._working))
        return self

    async def commit(self) -> None:
        self._factory._store.__dict__.update(self._working.__dict__)
        self._factory.commits += 1

    async def __aexit__(self, *exc: object) -> None:
        return None


Tx = TypeVar("Tx", bound=_Transaction)


class FakeUnitOfWork(Generic[Tx]):
    """``store`` is the committed state: an object whose attributes are the
    repositories' tables. Each unit of work works on a copy of it, taken on
    entering its block; ``pause``, if set, is awaited just before (the
    simulator's scheduling point; nothing yields inside a transaction)."""

    def __init__(self, store, repositories, transaction: type[Tx]) -> None:
        self._store, self._repositories, self._transaction = store, repositories, transaction
        self.commits = 0
        self.pause: Callable[[str], Awaitable[None]] | None = None

    def __call__(self, read_only: bool = False, single_statement: bool = False, stale_ok: bool = False) -> Tx:
        return self._transaction(self)


# --- the transfer service's database
@dataclass
class TransferTables:
    transfers: dict[str, Transfer] = field(default_factory=dict)
    daily: dict[tuple[str, date], int] = field(default_factory=dict)
    events: list[list] = field(default_factory=list)  # [sequence | None, transfer id, type, at]
    cursors: dict[str, int] = field(default_factory=dict)


class FakeTransferRepository:
    def __init__(self, tables: TransferTables) -> None:
        self._t = tables

    async def get(self, transfer_id):
        return self._t.transfers.get(transfer_id)

    async def by_requests(self, keys):
        return {
            (t.payer_id, t.request_id): t
            for t in self._t.transfers.values()
            if (t.payer_id, t.request_id) in set(keys)
        }

    async def count_today(self, payer_id, day):
        return self._t.daily.get((payer_id, day), 0)

    async def take_daily_slots(self, payer_ids, day, limit):
        assert len(set(payer_ids)) == len(payer_ids), "a payer at most once per statement"
        counted = {p for p in payer_ids if self._t.daily.get((p, day), 0) < limit}
        for p in counted:
            self._t.daily[(p, day)] = self._t.daily.get((p, day), 0) + 1
        return counted

    async def give_back_daily_slot(self, payer_id, day):
        self._t.daily[(payer_id, day)] = max(self._t.daily.get((payer_id, day), 0) - 1, 0)

    async def _open_to(self, payer_id, payee_id):
        return any(
            (t.payer_id, t.payee_id) == (payer_id, payee_id) and not t.status.final
            for t in self._t.transfers.values()
        )

    async def add_new(self, new):
        added = set()
        for t in new:
            if not (
                await self.by_requests([(t.payer_id, t.request_id)])
                or await self._open_to(t.payer_id, t.payee_id)
            ):
                self._t.transfers[t.id] = t
                added.add(t.id)
        return added

    async def remove(self, ids):
        for i in ids:
            del self._t.transfers[i]

    async def move(self, transfer_id, to, now, from_=None, **values):
        t = self._t.transfers.get(transfer_id)
        if "refund_reason" in values:
            values["refund_reason"] = RefundReason(values["refund_reason"])
        if t is None or not may_move(t, to, now, from_, values.get("refund_reason")):
            return None
        self._t.transfers[transfer_id] = replace(t, status=to, **values)
        return self._t.transfers[transfer_id]

    async def move_many(self, ids, to, now, from_=None, **values):
        moved = [i for i in ids if await self.move(i, to, now, from_, **values)]
        return [self._t.transfers[i] for i in moved]

    async def add_events(self, moved, kind, now):
        for t in moved:
            await self.add_event(t, kind, now)

    async def get_many(self, ids):
        return {i: self._t.transfers[i] for i in ids if i in self._t.transfers}

    async def claim_due(self, now, limit):
        due = [t for t in self._t.transfers.values() if t.status is Status.PENDING and t.expires_at <= now][
            :limit
        ]
        for t in due:
            await self.move(t.id, Status.REFUNDING, now, refund_reason=RefundReason.EXPIRED.value)
        return [self._t.transfers[t.id] for t in due]

    async def in_states(self, states, older_than, limit, after=None):
        found = sorted(
            (t for t in self._t.transfers.values() if t.status in states), key=lambda t: (t.created_at, t.id)
        )
        if after is not None:
            found = [t for t in found if (t.created_at, t.id) > after]
        return found[:limit]

    async def open_involving(self, person_id):
        return [
            t
            for t in self._t.transfers.values()
            if person_id in (t.payer_id, t.payee_id) and t.status in (Status.ACCEPTED, Status.PENDING)
        ]

    async def add_event(self, t, kind: EventType, now):
        self._t.events.append([None, t.id, kind, now])

    async def sequence_events(self, limit):
        top = max((e[0] for e in self._t.events if e[0] is not None), default=0)
        fresh = [e for e in self._t.events if e[0] is None][:limit]
        for offset, event in enumerate(fresh, start=1):
            event[0] = top + offset
        return len(fresh)

    async def finished_since(self, since):
        """As the SQL adapter's; created_at stands for the time of last change here too."""
        found: dict[Status, int] = {}
        for t in self._t.transfers.values():
            if t.status.final and t.created_at >= since:
                found[t.status] = found.get(t.status, 0) + 1
        return found

    async def in_flight(self, now):
        """As the SQL adapter's, but the fake keeps no time of last change:
        a transfer's created_at stands for it."""
        by_state: dict[Status, list[Transfer]] = {}
        for t in self._t.transfers.values():
            if not t.status.final:
                by_state.setdefault(t.status, []).append(t)
        return [
            InFlight(
                state,
                len(ts),
                min(t.created_at for t in ts),
                sum(1 for t in ts if t.expires_at <= now),
            )
            for state, ts in by_state.items()
        ]

    async def outbox(self, cursor_names):
        numbers = [e[0] for e in self._t.events if e[0] is not None]
        return Outbox(
            sum(1 for e in self._t.events if e[0] is None),
            max(numbers, default=0),
            {name: self._t.cursors.get(name, 0) for name in cursor_names},
        )

    async def cursor(self, name):
        return self._t.cursors.get(name, 0)

    async def set_cursor(self, name, position):
        self._t.cursors[name] = position


class FakeTransferTx(_Transaction):
    transfers: FakeTransferRepository


def transfer_unit_of_work(tables: TransferTables | None = None) -> FakeUnitOfWork[FakeTransferTx]:
    return FakeUnitOfWork(tables or TransferTables(), {"transfers": FakeTransferRepository}, FakeTransferTx)


# --- the other services, as the transfer service sees them
@dataclass
class FakeAccounts:
    """The account service: parties, credentials and the holds it keeps."""

    parties_by_number: dict[str, Parties] = field(default_factory=dict)
    holds: dict[str, str] = field(default_factory=dict)  # transfer id -> pending / received / refunded
    refuse_hold: DomainError | None = None
    calls: list[tuple[str, str]] = field(default_factory=list)
    provinces: dict[str, str] = field(default_factory=dict)  # person id -> insured province
    clearing: ClearingStatements | None = None  # the account shards' clearing statements

    async def parties(self, asks):
        answers: list[Parties | DomainError] = []
        for payer_id, payee_id_number, _name, password, _ticket in asks:
            self.calls.append(("verify", payer_id))  # the credential first, then the payee
            if password != "258036":
                answers.append(
                    DomainError(ErrorKind.FAILED_PRECONDITION, "VERIFICATION_FAILED", "wrong password")
                )
            else:
                answers.append(self.parties_by_number[payee_id_number])
        return answers

    async def hold(self, transfers):
        refusals = []
        for t in transfers:
            self.calls.append(("hold", t.id))
            if self.refuse_hold is None:
                self.holds.setdefault(t.id, "pending")
            refusals.append(self.refuse_hold)
        return refusals

    async def _end(self, transfer_id, outcome):
        self.calls.append((outcome, transfer_id))
        if self.holds[transfer_id] not in ("pending", outcome):
            raise DomainError(ErrorKind.FAILED_PRECONDITION, "HOLD_ALREADY_ENDED", "the other outcome won")
        self.holds[transfer_id] = outcome

    async def refund(self, t):
        await self._end(t.id, "refunded")

    async def _end_many(self, transfer_ids, outcome):
        """The ids whose hold has ``outcome`` after the call."""
        ended = set()
        for transfer_id in transfer_ids:
            if self.holds.get(transfer_id) in ("pending", outcome):
                self.calls.append((outcome, transfer_id))
                self.holds[transfer_id] = outcome
                ended.add(transfer_id)
        return ended

    async def receive_many(self, transfers):
        return await self._end_many([t.id for t in transfers], "received"), set()

    async def refund_many(self, transfer_ids, payer_provinces=None):
        return await self._end_many(transfer_ids, "refunded")

    async def lapse_feeds(self):
        return [""]

    async def spread_lapse(self, feed, person_id):
        return None

    async def lapses(self, after_id, limit=500, feed=""):
        return []

    async def insured_province(self, person_id):
        return self.provinces.get(person_id)

    async def clearing_statements(self, month):
        """The shards' clearing statements (R24) set by the test; None: one account service."""
        return self.clearing


@dataclass
class FakeRegions:
    statuses_by_code: dict[str, RegionStatus] = field(default_factory=dict)
    calls: int = 0

    async def statuses(self, codes):
        self.calls += 1
        return {code: self.statuses_by_code.get(code, RegionStatus.UNKNOWN) for code in codes}


_ids = itertools.count(1)


def party(region: str, place: str | None = None, employee: bool = True, name: str = "张伟") -> Party:
    return Party(f"person-{next(_ids)}", name, f"{region}********0001", region, employee, place or region)


def family(payee_region: str = "110101", relation: RelationKind | None = RelationKind.PARENT) -> Parties:
    return Parties(party("450102"), party(payee_region, name="李秀英", employee=False), relation)


def at(text: str) -> datetime:
    """A Beijing wall-clock time as an aware datetime."""
    from services.kernel.clock import BEIJING

    return datetime.fromisoformat(text).replace(tzinfo=BEIJING)


# --- the region service's database
@dataclass
class RegionTables:
    regions: dict = field(default_factory=dict)  # code -> Region
    changes: list = field(default_factory=list)  # [Change, request id, request hash]
    institutions: dict = field(default_factory=dict)  # code -> Institution


class FakeRegionRepository:
    def __init__(self, tables: RegionTables) -> None:
        self._t = tables

    async def paths(self, codes):
        from services.region.domain.codes import RegionPath

        found = {}
        for code in codes:
            chain, current = [], self._t.regions.get(code)
            while current is not None:
                chain.append(current)
                current = self._t.regions.get(current.parent_code)
            if chain:
                found[code] = RegionPath(tuple(chain))
        return found

    async def children(self, parent_code):
        return sorted(
            (r for r in self._t.regions.values() if r.parent_code == parent_code), key=lambda r: r.code
        )

    async def changes_for(self, codes):
        wanted, found = set(codes), dict[str, list]()
        for change, _, _ in self._t.changes:
            if change.region_code in wanted and not change.cancelled:
                found.setdefault(change.region_code, []).append(change)
        return found

    async def add_change(self, change, request_id, request_hash):
        if request_id is not None and any(rid == request_id for _, rid, _ in self._t.changes):
            raise Conflict("request id")
        stored = replace(change, id=len(self._t.changes) + 1)
        self._t.changes.append([stored, request_id, request_hash])
        return stored

    async def change_by_request_id(self, request_id):
        return next(((c, h) for c, rid, h in self._t.changes if rid == request_id), None)

    async def get_institution(self, code, for_update=False):
        return self._t.institutions.get(code)

    async def add_institution(self, institution, path):
        self._t.institutions[institution.code] = institution


def region_unit_of_work(tables: RegionTables) -> FakeUnitOfWork[_Transaction]:
    return FakeUnitOfWork(tables, {"regions": FakeRegionRepository}, _Transaction)


# --- the account service's database, as far as holds go
@dataclass
class AccountTables:
    persons: set = field(default_factory=set)
    wallets: set = field(default_factory=set)
    holds: dict = field(default_factory=dict)  # transfer id -> Hold
    balances: dict = field(default_factory=dict)  # (person, AccountKind) -> fen
    entries: dict = field(default_factory=dict)  # idempotency key -> (EntryKind, request hash)
    lapsed: set = field(default_factory=set)  # (person, relative) pairs no longer related
    moves: list = field(default_factory=list)  # (when, debited, credited, fen) of every entry posted


class FakeHoldsRepository:
    def __init__(self, tables: AccountTables) -> None:
        self._t = tables

    async def person(self, person_id, for_update=False):
        return person_id if person_id in self._t.persons else None

    async def wallet(self, person_id):
        return person_id if person_id in self._t.wallets else None

    async def add_hold(self, hold, now):
        if hold.transfer_id in self._t.holds:
            return False
        self._t.holds[hold.transfer_id] = hold
        return True

    async def get_hold(self, transfer_id, for_update=False):
        return self._t.holds.get(transfer_id)

    async def save_hold(self, hold, now):
        self._t.holds[hold.transfer_id] = hold

    async def add_holds(self, wanted, now):
        made = {h.transfer_id for h in wanted if h.transfer_id not in self._t.holds}
        self._t.holds |= {h.transfer_id: h for h in wanted if h.transfer_id in made}
        return made

    async def lapsed_between(self, pairs):
        return set(pairs) & self._t.lapsed

    async def get_holds(self, transfer_ids):
        return [self._t.holds[t] for t in sorted(transfer_ids) if t in self._t.holds]

    async def save_hold_states(self, ended, now):
        for hold in ended:
            self._t.holds[hold.transfer_id] = hold


class FakeLedger:
    """Accounts are (person, kind) pairs; an entry moves money once per key."""

    def __init__(self, tables: AccountTables) -> None:
        self._t = tables

    async def account(self, person_id, kind):
        return (person_id, kind) if (person_id, kind) in self._t.balances else None

    async def open_person_account(self, person_id, kind):
        return (await self.open_person_accounts({(person_id, kind)}))[(person_id, kind)]

    async def open_person_accounts(self, wanted):
        for key in wanted:
            self._t.balances.setdefault(key, 0)
        return {key: key for key in wanted}

    async def accounts_of(self, wanted):
        return {key: key for key in wanted if key in self._t.balances}

    async def system_account(self, key, kind):
        return await self.open_person_account(key, kind)

    async def balance(self, account_id):
        return self._t.balances[account_id]

    async def previous_request(self, key):
        return self._t.entries[key][1] if key in self._t.entries else None

    async def post_many(self, entries, request_hash, now, description):
        for movement, key, reference in entries:
            await self.post(movement, key, request_hash, reference, now, description)

    async def post(self, movement, key, request_hash, reference, now, description=""):
        from services.account.domain.errors import insufficient_funds
        from services.account.domain.ledger import KeyReused, Posted

        if key in self._t.entries:
            if self._t.entries[key][1] != request_hash:
                raise KeyReused(key)
            return Posted(0, replayed=True)
        if self._t.balances[movement.debit_account] < movement.amount:
            raise insufficient_funds(movement.debit_kind.value)
        self._t.balances[movement.debit_account] -= movement.amount
        self._t.balances[movement.credit_account] += movement.amount
        self._t.entries[key] = (movement.kind, request_hash)
        self._t.moves.append((now, movement.debit_account, movement.credit_account, movement.amount))
        return Posted(len(self._t.entries), replayed=False)

    async def clearing_lines(self, start, end):
        """As the SQL adapter's: per clearing account (its key names the
        direction and the two provinces), booked in [start, end), in how
        many entries, and the balance."""
        from services.account.domain.ledger import AccountKind, ClearingLine, clearing_pair

        clearing = (AccountKind.CLEARING_TO, AccountKind.CLEARING_FROM)
        lines = []
        for account, balance in self._t.balances.items():
            if account[1] in clearing:
                booked = [
                    fen
                    for when, debited, credited, fen in self._t.moves
                    if start <= when < end and account in (debited, credited)
                ]
                lines.append(
                    ClearingLine(
                        *clearing_pair(account[0]),
                        owed_to_province=account[1] is AccountKind.CLEARING_TO,
                        month_fen=sum(booked),
                        month_count=len(booked),
                        balance_fen=balance,
                    )
                )
        return sorted(lines, key=lambda x: (not x.owed_to_province, x.own_province, x.province))


class FakeAccountTx(_Transaction):
    accounts: FakeHoldsRepository
    ledger: FakeLedger


def account_unit_of_work(tables: AccountTables) -> FakeUnitOfWork[FakeAccountTx]:
    return FakeUnitOfWork(tables, {"accounts": FakeHoldsRepository, "ledger": FakeLedger}, FakeAccountTx)
