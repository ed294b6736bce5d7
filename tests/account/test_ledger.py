"""The ledger adapter on SQLite and PostgreSQL (R10): balanced entries,
idempotent keys, and a refused posting leaves nothing behind."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import func, insert, select

from services.account.adapters.ledger import Ledger, ledger_totals
from services.account.adapters.tables import journal_entries, persons
from services.account.domain.ledger import AccountKind, EntryKind, KeyReused, Movement
from services.kernel.db import create_engine
from services.kernel.errors import DomainError
from services.kernel.migrations import upgrade

NOW = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)


@pytest.fixture
async def engine(database_url):
    upgrade("account", database_url)
    engine = create_engine(database_url)
    async with engine.begin() as conn:
        await conn.execute(
            insert(persons).values(
                id="p1",
                id_hash="h",
                masked_id_number="m",
                name="张三",
                insurance_type="employee",
                insured_region="450102",
                province="450000",
                status="active",
                created_at=NOW,
                updated_at=NOW,
            )
        )
    yield engine
    await engine.dispose()


async def test_r10_postings_balance_and_keys_are_idempotent(engine):
    async with engine.begin() as conn:
        ledger = Ledger(conn)
        fund = await ledger.system_account("fund:450000", AccountKind.FUND)
        personal = await ledger.open_person_account("p1", AccountKind.PERSONAL)
        funding = Movement(EntryKind.FUNDING, fund, AccountKind.FUND, personal, AccountKind.PERSONAL, 5_000)
        first = await ledger.post(funding, "fund:450000:r1", "hash-a", "r1", NOW)
        again = await ledger.post(funding, "fund:450000:r1", "hash-a", "r1", NOW)
        assert (again.entry_id, again.replayed, first.replayed) == (first.entry_id, True, False)
        with pytest.raises(KeyReused):
            await ledger.post(funding, "fund:450000:r1", "hash-b", "r1", NOW)
        assert (await ledger.balance(personal), await ledger.balance(fund)) == (
            5_000,
            -5_000,
        )  # funds may go negative
        assert await ledger_totals(conn) == (5_000, 5_000, 0)


async def test_r10_an_overdraft_is_refused_and_rolled_back_whole(engine):
    async with engine.begin() as conn:
        ledger = Ledger(conn)
        fund = await ledger.system_account("fund:450000", AccountKind.FUND)
        personal = await ledger.open_person_account("p1", AccountKind.PERSONAL)
        await ledger.post(
            Movement(EntryKind.FUNDING, fund, AccountKind.FUND, personal, AccountKind.PERSONAL, 100),
            "k1",
            "h",
            "r",
            NOW,
        )
    with pytest.raises(DomainError) as refused:
        async with engine.begin() as conn:
            ledger = Ledger(conn)
            reserved = await ledger.open_person_account("p1", AccountKind.RESERVED)
            await ledger.post(
                Movement(
                    EntryKind.TRANSFER_HOLD,
                    personal,
                    AccountKind.PERSONAL,
                    reserved,
                    AccountKind.RESERVED,
                    101,
                ),
                "k2",
                "h",
                "t",
                NOW,
            )
    assert refused.value.reason == "INSUFFICIENT_FUNDS"
    async with engine.connect() as conn:
        assert await Ledger(conn).balance(personal) == 100
        assert (await conn.execute(select(func.count()).select_from(journal_entries))).scalar_one() == 1
        assert await Ledger(conn).account("p1", AccountKind.RESERVED) is None  # the whole transaction went
        assert await ledger_totals(conn) == (100, 100, 0)
