"""The account's feeds (relation lapses, bill events) are followed by id —
by the transfer service (ListRelationLapses), by platforms (ListBillEvents)
and by the JetStream publisher. On PostgreSQL a transaction that took id n
can commit after one that took n + 1; a follower that read n + 1 in between
would move its cursor past n for good. The ids are handed out in commit
order (kernel/db.py ``append_in_commit_order``), so a follower that reads
while a writer is slow, and again after, has seen every row."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from services.account.adapters.repository import account_unit_of_work
from services.account.domain.persons import InsuranceStatus, InsuranceType, Person
from services.account.domain.relations import LapseCause
from services.kernel.db import create_engine
from services.kernel.migrations import upgrade

NOW = datetime(2026, 12, 3, 2, 0, tzinfo=UTC)


def person(n: int) -> Person:
    return Person(
        f"00000000-0000-0000-0000-00000000000{n}",
        f"hash-{n}",
        "4501**********001X",
        f"测试{n}",
        InsuranceType.EMPLOYEE,
        "450103",
        InsuranceStatus.ACTIVE,
        NOW,
        NOW,
    )


async def test_r26_a_lapse_committed_late_is_not_skipped_by_a_follower(postgres_url):
    upgrade("account", postgres_url)
    engine = create_engine(postgres_url)
    uow = account_unit_of_work(engine)
    try:
        async with uow() as tx:
            for n in (1, 2):
                await tx.accounts.add_person(person(n))
            await tx.commit()

        slow = uow()
        tx1 = await slow.__aenter__()
        await tx1.accounts.lapse_relations(
            person(1).id, LapseCause.ENDED, NOW
        )  # takes the lower id, stays open

        async def fast() -> None:
            async with uow() as tx2:
                await tx2.accounts.lapse_relations(person(2).id, LapseCause.MOVED, NOW)
                await tx2.commit()

        second = asyncio.create_task(fast())
        await asyncio.wait({second}, timeout=1.0)  # time enough for it to commit, had it not waited

        async def follow(after: int) -> list:
            async with uow(read_only=True) as tx:
                return await tx.accounts.lapses_after(after, 100)

        seen = await follow(0)  # a follower's round while the first writer is still open
        cursor = seen[-1].id if seen else 0
        await tx1.commit()
        await slow.__aexit__(None, None, None)
        await second
        seen += await follow(cursor)
        assert sorted(x.person_id for x in seen) == [person(1).id, person(2).id]
    finally:
        await engine.dispose()
