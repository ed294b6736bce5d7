"""Reads and writes of the transfer database."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from sqlalchemy import and_, case, delete, false, func, insert, or_, select, text, tuple_, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from services.kernel import tracing
from services.kernel.db import Cursors, first, from_row, insert_ignoring_conflicts, row_values, upsert
from services.kernel.uow import SqlUnitOfWork, UnitsOfWork, unit_of_work_factory
from services.transfer.adapters.tables import cursors, daily_counts, notifications, transfer_events, transfers
from services.transfer.domain.notifications import Notification
from services.transfer.domain.transfer import (
    EventType,
    RefundReason,
    Status,
    StoredEvent,
    Transfer,
    When,
    moves_into,
    sources_of,
)
from services.transfer.usecases.ports import InFlight, Outbox

SEQUENCER_LOCK = 7_100_001  # PostgreSQL advisory lock key of the event sequencer
# The next ``limit`` unnumbered events, in id order, numbered after the highest number: one statement.
_SEQUENCE = text(
    """
    UPDATE transfer_events SET sequence = n.top + n.rn
    FROM (
        SELECT e.id, row_number() OVER (ORDER BY e.id) AS rn, t.top
        FROM transfer_events e, (SELECT coalesce(max(sequence), 0) AS top FROM transfer_events) t
        WHERE e.sequence IS NULL ORDER BY e.id LIMIT :limit
    ) AS n
    WHERE transfer_events.id = n.id
    """
)


class TransferRepository(Cursors):
    cursors = cursors  # of the notifier and the JetStream publisher

    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def get(self, transfer_id: str) -> Transfer | None:
        return await first(self._conn, Transfer, select(transfers).where(transfers.c.id == transfer_id))

    async def by_requests(self, keys: Sequence[tuple[str, str]]) -> dict[tuple[str, str], Transfer]:
        """The transfers made by these (payer id, request id) pairs, in one query."""
        if not keys:
            return {}
        query = select(transfers).where(
            tuple_(transfers.c.payer_id, transfers.c.request_id).in_(sorted(set(keys)))
        )
        found = [from_row(Transfer, row) for row in await self._conn.execute(query)]
        return {(t.payer_id, t.request_id): t for t in found}

    async def count_today(self, payer_id: str, day: date) -> int:
        query = select(daily_counts.c.count).where(
            daily_counts.c.payer_id == payer_id, daily_counts.c.day == day
        )
        return (await self._conn.execute(query)).scalar_one_or_none() or 0

    async def take_daily_slots(self, payer_ids: Sequence[str], day: date, limit: int) -> set[str]:
        """Counts one more transfer today for each payer (each at most once
        here), unless ``limit`` are counted already; returns the payers
        counted. One statement."""
        if not payer_ids:
            return set()
        rows = [{"payer_id": payer_id, "day": day, "count": 1} for payer_id in sorted(payer_ids)]
        counted = upsert(self._conn, daily_counts).on_conflict_do_update(
            index_elements=[daily_counts.c.payer_id, daily_counts.c.day],
            set_={"count": daily_counts.c.count + 1},
            where=daily_counts.c.count < limit,
        )
        # Many rows as one statement (SQLAlchemy's insertmanyvalues).
        return {
            row.payer_id for row in await self._conn.execute(counted.returning(daily_counts.c.payer_id), rows)
        }

    async def give_back_daily_slot(self, payer_id: str, day: date) -> None:
        await self._conn.execute(
            update(daily_counts)
            .where(daily_counts.c.payer_id == payer_id, daily_counts.c.day == day, daily_counts.c.count > 0)
            .values(count=daily_counts.c.count - 1)
        )

    async def add_new(self, new: Sequence[Transfer]) -> set[str]:
        """Inserts the transfers, one statement; returns the ids inserted. One
        is left out when its request id was used before or its payee already
        has an open transfer from its payer (unique keys)."""
        if not new:
            return set()
        # In key order, so that concurrent batches wait for each other rather than deadlock.
        rows = [
            row_values(t, updated_at=t.created_at, open_pair=f"{t.payer_id}:{t.payee_id}")
            for t in sorted(new, key=lambda t: (t.payer_id, t.request_id))
        ]
        added = insert_ignoring_conflicts(self._conn, transfers).returning(transfers.c.id)
        return {row.id for row in await self._conn.execute(added, rows)}

    async def remove(self, ids: Sequence[str]) -> None:
        """Deletes transfers inserted in this unit of work (never committed ones only)."""
        if ids:
            await self._conn.execute(delete(transfers).where(transfers.c.id.in_(ids)))

    def _moving(self, to: Status, now: datetime, from_: Status | None = None, **values):
        """UPDATE of transfers into ``to``, only from a state the domain's
        TRANSITIONS allow (only ``from_`` when given) and only when its time
        rule holds (before or from expires_at): an illegal move cannot be
        written, and a receipt, a decline and the sweep see one expiry."""
        if to.final:
            values["open_pair"] = None
        reason = values.get("refund_reason")
        allowed = [
            and_(transfers.c.status == source.value, *_time_rule(when, now))
            for source, when in moves_into(to, from_, reason and RefundReason(reason))
        ]
        return (
            update(transfers).where(or_(false(), *allowed)).values(status=to.value, updated_at=now, **values)
        )

    async def move(self, transfer_id: str, to: Status, now: datetime, **values) -> Transfer | None:
        """The state change that arbitrates every race (receive against
        refund, two sweepers): the transfer as moved, or None when it was not
        in a state that may move to ``to``."""
        moved = self._moving(to, now, **values).where(transfers.c.id == transfer_id).returning(transfers)
        row = (await self._conn.execute(moved)).first()
        return from_row(Transfer, row) if row else None

    async def get_many(self, ids: Sequence[str]) -> dict[str, Transfer]:
        if not ids:
            return {}
        return {
            row.id: from_row(Transfer, row)
            for row in await self._conn.execute(select(transfers).where(transfers.c.id.in_(ids)))
        }

    async def claim_due(self, now: datetime, limit: int) -> list[Transfer]:
        """Moves up to ``limit`` pending transfers whose expires_at has passed
        to refunding (reason: expired), and returns them so. Concurrent
        claimers (other processes) skip each other's rows. Two statements
        rather than one UPDATE … WHERE id IN (SELECT … FOR UPDATE SKIP LOCKED):
        a plan of that one cached while the table was small rechecked the
        subquery for every row once it held 100,000 (measured: minutes)."""
        waiting = [s.value for s in sources_of(Status.REFUNDING)]
        due = (
            select(transfers.c.id)
            .where(transfers.c.status.in_(waiting), transfers.c.expires_at <= now)
            .limit(limit)
        )
        if self._conn.dialect.name == "postgresql":
            due = due.with_for_update(skip_locked=True)
        ids = [row.id for row in await self._conn.execute(due)]
        return await self.move_many(ids, Status.REFUNDING, now, refund_reason=RefundReason.EXPIRED.value)

    async def move_many(
        self, ids: Sequence[str], to: Status, now: datetime, from_: Status | None = None, **values
    ) -> list[Transfer]:
        """move() for many transfers in one statement; returns those that moved."""
        if not ids:
            return []
        rows = await self._conn.execute(
            self._moving(to, now, from_, **values).where(transfers.c.id.in_(ids)).returning(transfers)
        )
        return [from_row(Transfer, row) for row in rows]

    async def in_states(
        self,
        states: Sequence[Status],
        older_than: datetime | None,
        limit: int,
        after: tuple[datetime, str] | None = None,
    ) -> list[Transfer]:
        """Up to ``limit`` transfers in ``states``, oldest first, from just
        after ``after`` (created_at, id): a walk over all of them."""
        query = select(transfers).where(transfers.c.status.in_([s.value for s in states]))
        if older_than is not None:
            query = query.where(transfers.c.updated_at <= older_than)
        if after is not None:
            query = query.where(tuple_(transfers.c.created_at, transfers.c.id) > tuple_(*after))
        query = query.order_by(transfers.c.created_at, transfers.c.id).limit(limit)
        return [from_row(Transfer, r) for r in await self._conn.execute(query)]

    async def in_state_changed(
        self, status: Status, since: datetime | None, after: tuple[datetime, str] | None, limit: int
    ) -> list[tuple[Transfer, datetime]]:
        """Transfers in ``status`` (changed after ``since`` when given), oldest
        change first, from the position ``after``; each with its last change
        (R22, ix_transfers_status_updated_at)."""
        query = select(transfers).where(transfers.c.status == status.value)
        if since is not None:
            query = query.where(transfers.c.updated_at > since)
        if after is not None:
            at, transfer_id = after
            query = query.where(
                or_(
                    transfers.c.updated_at > at,
                    and_(transfers.c.updated_at == at, transfers.c.id > transfer_id),
                )
            )
        query = query.order_by(transfers.c.updated_at, transfers.c.id).limit(limit)
        return [(from_row(Transfer, row), row.updated_at) for row in await self._conn.execute(query)]

    async def open_involving(self, person_id: str) -> list[Transfer]:
        query = select(transfers).where(
            or_(transfers.c.payer_id == person_id, transfers.c.payee_id == person_id),
            transfers.c.status.in_([Status.ACCEPTED.value, Status.PENDING.value]),
        )
        return [from_row(Transfer, r) for r in await self._conn.execute(query)]

    async def of_person(
        self,
        person_id: str,
        statuses: Sequence[Status],
        outgoing: bool,
        incoming: bool,
        before: tuple[datetime, str] | None,
        limit: int,
    ) -> list[Transfer]:
        sides = []
        if outgoing:
            sides.append(transfers.c.payer_id == person_id)
        if incoming:
            sides.append(transfers.c.payee_id == person_id)
        query = select(transfers).where(or_(*sides))
        if statuses:
            query = query.where(transfers.c.status.in_([s.value for s in statuses]))
        if before is not None:
            at, last_id = before
            query = query.where(
                or_(transfers.c.created_at < at, and_(transfers.c.created_at == at, transfers.c.id < last_id))
            )
        rows = await self._conn.execute(
            query.order_by(transfers.c.created_at.desc(), transfers.c.id.desc()).limit(limit)
        )
        return [from_row(Transfer, r) for r in rows]

    async def received_across_provinces(
        self, start: datetime, end: datetime
    ) -> list[tuple[str, str, int, int]]:
        """(payer province, payee province, count, sum) of transfers received
        in [start, end) whose payer and payee are in different provinces."""
        query = (
            select(
                transfers.c.payer_province,
                transfers.c.payee_province,
                func.count(),
                func.sum(transfers.c.amount),
            )
            .where(
                transfers.c.status == Status.RECEIVED.value,
                transfers.c.payer_province != transfers.c.payee_province,
                transfers.c.received_at >= start,
                transfers.c.received_at < end,
            )
            .group_by(transfers.c.payer_province, transfers.c.payee_province)
            .order_by(transfers.c.payer_province, transfers.c.payee_province)
        )
        return [(a, b, int(n), int(total)) for a, b, n, total in await self._conn.execute(query)]

    async def in_flight(self, now: datetime) -> list[InFlight]:
        """Per state that is not final: how many, the earliest last change,
        and how many are at or past expires_at. One grouped query over the
        open transfers only (ix_transfers_status_updated_at), never over the
        final ones, which grow without end."""
        query = (
            select(
                transfers.c.status,
                func.count(),
                func.min(transfers.c.updated_at),
                func.sum(case((transfers.c.expires_at <= now, 1), else_=0)),
            )
            .where(transfers.c.status.in_([s.value for s in Status if not s.final]))
            .group_by(transfers.c.status)
        )
        return [
            InFlight(Status(status), int(n), oldest, int(expired or 0))
            for status, n, oldest, expired in await self._conn.execute(query)
        ]

    async def finished_since(self, since: datetime) -> dict[Status, int]:
        """Per final state: the transfers that reached it at or after
        ``since`` (a range of ix_transfers_status_updated_at per state, so a
        day's volume is read, not the whole history)."""
        query = (
            select(transfers.c.status, func.count())
            .where(
                transfers.c.status.in_([s.value for s in Status if s.final]), transfers.c.updated_at >= since
            )
            .group_by(transfers.c.status)
        )
        return {Status(status): int(n) for status, n in await self._conn.execute(query)}

    async def outbox(self, cursor_names: Sequence[str]) -> Outbox:
        """The events not yet numbered, the highest number, and the followers' cursors."""
        unnumbered = (
            select(func.count()).select_from(transfer_events).where(transfer_events.c.sequence.is_(None))
        )
        top = select(func.coalesce(func.max(transfer_events.c.sequence), 0))
        row = (await self._conn.execute(select(unnumbered.scalar_subquery(), top.scalar_subquery()))).one()
        positions: dict[str, int] = {}
        if cursor_names:
            query = select(cursors.c.name, cursors.c.position).where(cursors.c.name.in_(list(cursor_names)))
            positions = {name: int(position) for name, position in await self._conn.execute(query)}
        return Outbox(int(row[0]), int(row[1]), {n: positions.get(n, 0) for n in cursor_names})

    # --- events
    async def add_event(self, t: Transfer, kind: EventType, now: datetime) -> None:
        await self.add_events([t], kind, now)

    async def add_events(self, moved: Sequence[Transfer], kind: EventType, now: datetime) -> None:
        """Outbox rows, unnumbered: the sequencer numbers them once committed;
        each with the trace of the request (or batch) that wrote it."""
        trace = tracing.traceparent()
        rows = [
            {
                "transfer_id": t.id,
                "type": kind.value,
                "status": t.status.value,
                "refund_reason": t.refund_reason.value if t.refund_reason else None,
                "payer_province": t.payer_province,
                "payee_province": t.payee_province,
                "occurred_at": now,
                "traceparent": trace,
            }
            for t in moved
        ]
        if rows:
            await self._conn.execute(insert(transfer_events), rows)

    async def sequence_events(self, limit: int = 1000) -> int:
        """Numbers unnumbered events after the highest number, under a lock,
        so numbers appear in commit order; returns how many were numbered."""
        if self._conn.dialect.name == "postgresql":
            await self._conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": SEQUENCER_LOCK})
        numbered = await self._conn.execute(_SEQUENCE, {"limit": limit})
        return numbered.rowcount

    async def events_after(self, province: str | None, after: int, limit: int) -> list[StoredEvent]:
        """Numbered events after ``after``: of one province (payer's or
        payee's side), or of all with None."""
        query = (
            select(
                transfer_events.c.sequence,
                transfer_events.c.transfer_id,
                transfer_events.c.type,
                transfer_events.c.occurred_at,
                transfer_events.c.status,
                transfer_events.c.refund_reason,
                transfer_events.c.traceparent,
            )
            .where(transfer_events.c.sequence > after)
            .order_by(transfer_events.c.sequence)
            .limit(limit)
        )
        if province is not None:
            query = query.where(
                or_(
                    transfer_events.c.payer_province == province, transfer_events.c.payee_province == province
                )
            )
        return [
            StoredEvent(
                r.sequence,
                r.transfer_id,
                EventType(r.type),
                r.occurred_at,
                Status(r.status) if r.status else None,
                RefundReason(r.refund_reason) if r.refund_reason else None,
                r.traceparent,
            )
            for r in await self._conn.execute(query)
        ]

    # --- notifications (R19b)
    async def record_notifications(self, sent: Sequence[Notification], now: datetime) -> None:
        if sent:
            rows = [row_values(n, sent_at=now) for n in sent]
            await self._conn.execute(insert_ignoring_conflicts(self._conn, notifications), rows)

    async def notifications_of(self, person_id: str, before: int | None, limit: int) -> list[Notification]:
        query = select(notifications).where(notifications.c.person_id == person_id)
        if before is not None:
            query = query.where(notifications.c.event_sequence < before)
        rows = await self._conn.execute(query.order_by(notifications.c.event_sequence.desc()).limit(limit))
        return [from_row(Notification, r) for r in rows]


def _time_rule(when: When, now: datetime) -> list:
    if when is When.BEFORE_EXPIRY:
        return [transfers.c.expires_at > now]
    if when is When.FROM_EXPIRY:
        return [transfers.c.expires_at <= now]
    return []


class TransferSqlUnitOfWork(SqlUnitOfWork):
    transfers: TransferRepository  # set on entering the block


def transfer_unit_of_work(
    engine: AsyncEngine, replica: AsyncEngine | None = None
) -> UnitsOfWork[TransferSqlUnitOfWork]:
    """Units of work of the transfer service: ``tx.transfers`` on one transaction."""
    return unit_of_work_factory(
        engine, lambda conn: {"transfers": TransferRepository(conn)}, TransferSqlUnitOfWork, replica
    )
