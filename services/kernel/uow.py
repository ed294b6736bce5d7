"""The unit of work: one database transaction, with the repositories of one
service bound to it. Use cases see only the repositories and ``commit()``;
leaving the block without a commit rolls back. A unique-key violation, on
either backend, leaves the block as a domain ``Conflict``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol, Self, TypeVar

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from services.kernel.db import is_unique_violation
from services.kernel.errors import Conflict

U = TypeVar("U", bound="SqlUnitOfWork")
U_co = TypeVar("U_co", covariant=True)


class UnitsOfWork(Protocol[U_co]):
    """What use cases are given (each service's ports name ``U_co``): ``uow()`` opens one."""

    def __call__(
        self, read_only: bool = False, single_statement: bool = False, stale_ok: bool = False
    ) -> U_co: ...


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

    async def __aenter__(self) -> Self:
        # The transaction begins with the first statement (SQLAlchemy's
        # autobegin) and closing the connection rolls back what was not
        # committed: no extra round trips for reads.
        self._conn = await self._engine.connect()
        for name, repository in self._repositories(self._conn).items():
            setattr(self, name, repository)
        return self

    async def commit(self) -> None:
        assert self._conn is not None, "commit() outside the unit of work's block"
        await self._conn.commit()

    async def __aexit__(self, exc_type, exc, tb) -> None:
        assert self._conn is not None
        await self._conn.close()
        if isinstance(exc, IntegrityError) and is_unique_violation(exc):
            raise Conflict(str(exc.orig)) from exc


def unit_of_work_factory(
    engine: AsyncEngine,
    repositories: Callable[[AsyncConnection], dict[str, Any]],
    unit: type[U],
    replica: AsyncEngine | None = None,
) -> UnitsOfWork[U]:
    """What use cases are given: ``uow()`` opens a unit of work. One that only
    reads (``read_only=True``), or writes with one statement
    (``single_statement=True``), runs on PostgreSQL in autocommit: no BEGIN
    and COMMIT/ROLLBACK round trips; a read sees committed data, a single
    statement is atomic on its own. A read that may lag a little
    (``stale_ok=True``: statements, events, settlement) goes to ``replica``,
    a standby, when there is one."""

    def autocommit(e: AsyncEngine) -> AsyncEngine:
        return e.execution_options(isolation_level="AUTOCOMMIT") if e.dialect.name == "postgresql" else e

    primary_reads, replica_reads = autocommit(engine), autocommit(replica or engine)

    def uow(read_only: bool = False, single_statement: bool = False, stale_ok: bool = False) -> U:
        if stale_ok:
            return unit(replica_reads, repositories)
        return unit(primary_reads if read_only or single_statement else engine, repositories)

    return uow
