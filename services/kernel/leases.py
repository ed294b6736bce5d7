"""One replica at a time: a background job that every replica of a service
runs (resume, lapse refunds, notifications, reconciliation) is done in a
round by whichever replica takes its lease first; the others skip that
round. The lease is a PostgreSQL session advisory lock on a connection of
its own, held while the job runs: released when the job ends, or when the
replica dies (its connection with it). A failover drops it too, so for a
moment two replicas may run one job: every step of a job is idempotent,
so that costs repeated calls, never a repeated effect. On SQLite (one
process) the lease is always granted."""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import AsyncIterator

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine


def lock_key(name: str) -> int:
    """A stable signed 64-bit advisory lock key for a job's name."""
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)


class Leases:
    def __init__(self, engine: AsyncEngine, service: str) -> None:
        self._engine, self._service = engine, service

    @contextlib.asynccontextmanager
    async def hold(self, job: str | None) -> AsyncIterator[bool]:
        """``async with leases.hold("resume") as mine: if mine: …``; a job
        named None is one every replica runs (always granted)."""
        if job is None or self._engine.dialect.name != "postgresql":
            yield True
            return
        key = {"key": lock_key(f"{self._service}:{job}")}
        async with self._engine.connect() as conn:
            await conn.execution_options(isolation_level="AUTOCOMMIT")
            mine = bool((await conn.execute(text("SELECT pg_try_advisory_lock(:key)"), key)).scalar())
            try:
                yield mine
            finally:
                if mine:
                    try:
                        await conn.execute(text("SELECT pg_advisory_unlock(:key)"), key)
                    except Exception:
                        await conn.invalidate()  # never back to the pool still holding the lock
