"""Reads and writes of the index database (SQLAlchemy Core, async)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from services.index.adapters.tables import identities, identity_moves
from services.index.domain.identities import Identity, Move
from services.kernel.db import first, from_row, insert_new, row_values
from services.kernel.uow import SqlUnitOfWork, UnitsOfWork, unit_of_work_factory


class IndexRepository:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def claim(self, identity: Identity) -> bool:
        """Records the identity unless its hash or its person is there (from
        before, or from a concurrent claim: the database's unique keys
        decide); True when this call recorded it."""
        return await insert_new(self._conn, identities, row_values(identity))

    async def identity(self, id_hash: str) -> Identity | None:
        return await first(self._conn, Identity, select(identities).where(identities.c.id_hash == id_hash))

    async def identity_of_person(self, person_id: str, for_update: bool = False) -> Identity | None:
        """The person's identity; ``for_update`` locks it, so that the moves
        of one person happen one at a time."""
        query = select(identities).where(identities.c.person_id == person_id)
        return await first(self._conn, Identity, query, for_update)

    async def provinces_of(self, person_ids: Sequence[str]) -> dict[str, str]:
        """The province of each known person among ``person_ids``, in one query."""
        query = select(identities.c.person_id, identities.c.province).where(
            identities.c.person_id.in_(list(person_ids))
        )
        return {person_id: province for person_id, province in await self._conn.execute(query)}

    async def move(self, identity: Identity, move: Move, request_id: str, request_hash: str) -> None:
        """Sets the identity's province and records the move (a request id
        recorded before, or concurrently, leaves as a Conflict)."""
        await self._conn.execute(
            update(identities)
            .where(identities.c.person_id == identity.person_id)
            .values(province=identity.province, updated_at=identity.updated_at)
        )
        values = row_values(move, request_id=request_id, request_hash=request_hash)
        await self._conn.execute(insert(identity_moves).values(values))

    async def move_by_request_id(self, request_id: str) -> tuple[Move, str] | None:
        """The move recorded under ``request_id``, with the hash of what was asked."""
        query = select(identity_moves).where(identity_moves.c.request_id == request_id)
        row = (await self._conn.execute(query)).first()
        return (from_row(Move, row), row.request_hash) if row else None


class IndexSqlUnitOfWork(SqlUnitOfWork):
    index: IndexRepository  # set on entering the block


def index_unit_of_work(engine) -> UnitsOfWork[IndexSqlUnitOfWork]:
    """Units of work of the index: ``tx.index`` on one transaction."""
    return unit_of_work_factory(engine, lambda conn: {"index": IndexRepository(conn)}, IndexSqlUnitOfWork)
