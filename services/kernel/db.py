"""Database bootstrap: SQLAlchemy 2 async engines on PostgreSQL (psycopg 3)
or the embedded SQLite default (aiosqlite). Built on demand, never at import."""

from __future__ import annotations

import dataclasses
import functools
import typing
from datetime import UTC, datetime
from enum import Enum
from pathlib import Path

from sqlalchemy import BigInteger, DateTime, Integer, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.types import TypeDecorator

# Integer primary keys that autoincrement on both backends.
BigId = BigInteger().with_variant(Integer(), "sqlite")


class UtcDateTime(TypeDecorator):
    """Timestamps stored in UTC and always read back timezone-aware."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the database")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _multi_host(url: str) -> str:
    """libpq's multi-host URI (``postgresql://u:p@h1:5432,h2:5432/db?…``,
    what Patroni's documentation and every PostgreSQL client use) in the
    form SQLAlchemy parses: one ``host=h:port`` query parameter per host.
    psycopg then tries the hosts in order, skipping those that do not
    answer or (with ``target_session_attrs=read-write``) are standbys."""
    head, sep, rest = url.partition("://")
    authority, slash, tail = rest.partition("/")
    credentials, at, hosts = authority.rpartition("@")
    if not sep or "," not in hosts:
        return url
    path, question, query = tail.partition("?")
    host_params = "&".join(f"host={host}" for host in hosts.split(","))
    return f"{head}://{credentials}{at}/{path}?{host_params}" + (f"&{query}" if query else "")


def _url(url: str, async_driver: bool) -> URL:
    parsed = make_url(_multi_host(url))
    backend = parsed.get_backend_name()
    if backend == "postgresql":
        return parsed.set(drivername="postgresql+psycopg")
    if backend == "sqlite":
        return parsed.set(drivername="sqlite+aiosqlite" if async_driver else "sqlite+pysqlite")
    raise ValueError(f"unsupported database {backend!r}: use postgresql:// or sqlite:///")


def sync_url(url: str) -> URL:
    """The URL for synchronous tools (Alembic, seeding)."""
    return _url(url, async_driver=False)


def ensure_sqlite_dir(url: str) -> None:
    parsed = make_url(_multi_host(url))
    if parsed.get_backend_name() == "sqlite" and parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    # Let SQLAlchemy's "begin" event issue BEGIN IMMEDIATE (below) instead of
    # the driver's deferred BEGIN, so writers queue instead of failing.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


def create_engine(url: str, pool_size: int = 10) -> AsyncEngine:
    parsed = _url(url, async_driver=True)
    if parsed.get_backend_name() == "sqlite":
        ensure_sqlite_dir(url)
        engine = create_async_engine(parsed)
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        event.listen(engine.sync_engine, "begin", lambda conn: conn.exec_driver_sql("BEGIN IMMEDIATE"))
        return engine
    # No pre-ping: it would cost a round trip per unit of work. After a
    # database restart or a failover the first statement on a stale
    # connection fails, and SQLAlchemy then discards every pooled connection
    # opened before it; the next ones go to whichever host is the primary.
    engine = create_async_engine(parsed, pool_size=pool_size, max_overflow=pool_size, pool_recycle=3600)
    event.listen(engine.sync_engine, "handle_error", _demoted_is_disconnect)
    return engine


# A connection to a server that is (now) a standby, or is shutting down for
# a failover, is as good as lost: treat it as a disconnect so the pool
# drops it and every connection opened before it.
_LOST_PRIMARY = {
    "25006",  # read_only_sql_transaction: the server was demoted
    "57P01",  # admin_shutdown
    "57P02",  # crash_shutdown
    "57P03",  # cannot_connect_now: starting up or in recovery
}


def _demoted_is_disconnect(context) -> None:
    if getattr(context.original_exception, "sqlstate", None) in _LOST_PRIMARY:
        context.is_disconnect = True


def is_database_unavailable(error: BaseException) -> bool:
    """Whether a database error means the server (not the request) failed:
    lost connection, shutdown, demotion, deadlock, lock timeout. The outcome
    of a COMMIT that died with its connection is unknown: the caller repeats
    the request under its idempotency key and the database decides."""
    from sqlalchemy.exc import DBAPIError, OperationalError

    if isinstance(error, OperationalError):
        return True
    if isinstance(error, DBAPIError):
        return error.connection_invalidated or getattr(error.orig, "sqlstate", None) in _LOST_PRIMARY
    return False


def is_unique_violation(error: Exception) -> bool:
    """Whether a DBAPI IntegrityError is a unique-key conflict, on either backend."""
    orig = getattr(error, "orig", error)
    sqlstate = getattr(orig, "sqlstate", None)
    if sqlstate is not None:
        return sqlstate == "23505"
    return "UNIQUE constraint failed" in str(orig)


def upsert(conn, table):
    """The backend's INSERT, which has on_conflict_do_nothing / _do_update."""
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as postgresql_insert

        return postgresql_insert(table)
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    return sqlite_insert(table)


def insert_ignoring_conflicts(conn, table):
    """INSERT … ON CONFLICT DO NOTHING on either backend: with RETURNING, no
    row back means the key was already there (or a concurrent insert won)."""
    return upsert(conn, table).on_conflict_do_nothing()


async def append_in_commit_order(conn, feed: str) -> None:
    """Called before appending a row to a feed that readers follow by its
    auto-increment id: on PostgreSQL, a lock held until this transaction
    ends, so the ids of that feed are handed out in commit order and a
    reader that sees id n has seen every committed id below it (otherwise a
    slow transaction could commit id 5 after a reader moved past id 6).
    SQLite has one writer at a time: nothing to do."""
    if conn.dialect.name == "postgresql":
        from sqlalchemy import text

        from services.kernel.leases import lock_key

        await conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": lock_key(f"feed:{feed}")})


def cursors_table(metadata):
    """``cursors(name, position)``: where each follower of a feed (the
    notifier, the JetStream publishers) has got to, in its service's database."""
    from sqlalchemy import Column, String, Table

    return Table(
        "cursors",
        metadata,
        Column("name", String(40), primary_key=True),
        Column("position", BigInteger, nullable=False),
    )


class Cursors:
    """A repository's cursor reads and writes (``_conn`` and ``cursors``, the table above)."""

    _conn: typing.Any
    cursors: typing.Any

    async def cursor(self, name: str) -> int:
        from sqlalchemy import select

        found = await self._conn.execute(select(self.cursors.c.position).where(self.cursors.c.name == name))
        return found.scalar_one_or_none() or 0

    async def set_cursor(self, name: str, position: int) -> None:
        from sqlalchemy import update

        table = self.cursors
        await self._conn.execute(insert_ignoring_conflicts(self._conn, table).values(name=name, position=0))
        await self._conn.execute(update(table).where(table.c.name == name).values(position=position))


@functools.cache
def _enum_fields(cls) -> dict[str, type[Enum]]:
    """The fields of a dataclass whose type is an Enum (or an optional one)."""
    found = {}
    for name, hint in typing.get_type_hints(cls).items():
        for candidate in typing.get_args(hint) or (hint,):
            if isinstance(candidate, type) and issubclass(candidate, Enum):
                found[name] = candidate
    return found


def from_row(cls, row, **overrides):
    """A domain record (a dataclass) from a row whose columns are named like
    its fields; stored enum values become members. ``overrides`` set fields
    the row does not hold as such."""
    mapping, enums = row._mapping, _enum_fields(cls)
    values = {}
    for f in dataclasses.fields(cls):
        if f.name in overrides:
            values[f.name] = overrides[f.name]
        elif f.name in mapping:
            value = mapping[f.name]
            values[f.name] = enums[f.name](value) if f.name in enums and value is not None else value
    return cls(**values)


def row_values(record, **extra) -> dict:
    """A domain record as column values (enum members stored by value), plus ``extra`` columns."""
    values = {f.name: getattr(record, f.name) for f in dataclasses.fields(record)}
    values = {name: value.value if isinstance(value, Enum) else value for name, value in values.items()}
    return values | extra


async def first(conn, cls, query, for_update: bool = False):
    """The record of the first row ``query`` finds (row-locked with
    ``for_update``), or None."""
    row = (await conn.execute(query.with_for_update() if for_update else query)).first()
    return from_row(cls, row) if row else None


async def insert_new(conn, table, values: dict) -> bool:
    """Inserts the row unless its key is taken (by an earlier or a
    concurrent insert): False then, and nothing changes."""
    key = next(iter(table.primary_key.columns))
    query = insert_ignoring_conflicts(conn, table).values(values).returning(key)
    return (await conn.execute(query)).scalar_one_or_none() is not None
