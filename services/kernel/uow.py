"""The unit of work: one database transaction, with the repositories of one
service bound to it. Use cases see only the repositories and ``commit()``;
leaving the block without a commit rolls back. A unique-key violation, on
either backend, leaves the block as a domain ``Conflict``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from services.kernel.db import is_unique_violation
from services.kernel.errors import Conflict


class SqlUnitOfWork:
    """``async with uow() as tx: …; await tx.commit()``. ``repositories``
    builds the service's repositories on the transaction's connection; they
    become attributes of the unit of work."""

    def __init__(
        self, engine: AsyncEngine, repositories: Callable[[AsyncConnection], dict[str, Any]]
    ) -> None:
        self._engine = engine  # for reads only, one in autocommit (see unit_of_work_factory)
        self._repositories = repositories
        self._conn: AsyncConnection | None = None

    async def __aenter__(self):
        # The transaction begins with the first statement (SQLAlchemy's
        # autobegin) and closing the connection rolls back what was not
        # committed: no extra round trips for reads.
        self._conn = await self._engine.connect()
        for name, repository in self._repositories(self._conn).items():
            setattr(self, name, repository)
        return self

    async def commit(self) -> None:
        await self._conn.commit()

    async def __aexit__(self, exc_type, exc, tb) -> None:
        await self._conn.close()
        if isinstance(exc, IntegrityError) and is_unique_violation(exc):
            raise Conflict(str(exc.orig)) from exc


def unit_of_work_factory(engine: AsyncEngine, repositories: Callable[[AsyncConnection], dict[str, Any]]):
    """What use cases are given: ``uow()`` opens a unit of work; ``uow(read_only=True)``
    one that only reads, which on PostgreSQL runs each statement on its own
    (autocommit: no BEGIN and ROLLBACK round trips; each read sees committed
    data, which is all a read-only use case needs)."""
    readers = (
        engine.execution_options(isolation_level="AUTOCOMMIT")
        if engine.dialect.name == "postgresql"
        else engine
    )

    def uow(read_only: bool = False) -> SqlUnitOfWork:
        return SqlUnitOfWork(readers if read_only else engine, repositories)

    return uow
