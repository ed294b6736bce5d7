"""R5 in the index's schema: no column can hold a clear ID number. The
identity is its hash alone; every text column has a fixed length and
alphabet, which the database itself enforces; and after real traffic not
one stored value holds any of the numbers that were hashed."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
from sqlalchemy import String, insert, inspect
from sqlalchemy.exc import DataError, IntegrityError

from services.index.adapters.tables import identities, identity_moves, metadata
from services.kernel.db import create_engine
from tests.cluster import id_number
from tests.index.support import claim, hash_of, move, stored_rows

NOW = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)
# Every column the index has, and what it holds. A new column fails here
# until someone has said what it holds, and that it is not an ID number.
COLUMNS = {
    "identities": {
        "id_hash": "HMAC-SHA256 of the ID number, 64 hex (the account service's key)",
        "person_id": "the account service's person id, a UUID",
        "province": "6-digit province code",
        "created_at": "timestamp",
        "updated_at": "timestamp",
    },
    "identity_moves": {
        "id": "integer",
        "person_id": "a UUID",
        "from_province": "6-digit province code",
        "to_province": "6-digit province code",
        "moved_at": "timestamp",
        "request_id": "the caller's idempotency key, a UUID",
        "request_hash": "SHA-256 of what the request asked, 64 hex",
    },
}
# A clear ID number as each column would get it: as it is (with X, and all
# digits), and padded to the column's length (then its X is what is refused).
CLEAR = {
    "with X": lambda length: "11010519491231002X",
    "all digits": lambda length: "110105194912310023",
    "padded": lambda length: "11010519491231002X".rjust(length, "0"),
}


async def _columns(url: str) -> dict[str, dict[str, object]]:
    engine = create_engine(url)
    try:
        async with engine.connect() as conn:

            def read(c):
                found = inspect(c)
                return {
                    t: {col["name"]: col["type"] for col in found.get_columns(t)}
                    for t in found.get_table_names()
                    if t != "alembic_version"
                }

            return await conn.run_sync(read)
    finally:
        await engine.dispose()


async def test_r5_the_index_has_only_the_columns_it_declares(index_db):
    columns = await _columns(index_db)
    assert {t: set(c) for t, c in columns.items()} == {t: set(c) for t, c in COLUMNS.items()}
    # The migration and the tables the repository uses agree.
    assert {t.name: {c.name for c in t.columns} for t in metadata.sorted_tables} == {
        t: set(c) for t, c in COLUMNS.items()
    }
    # The identity is its hash: nothing named like an ID number, a name or a mask.
    names = {c for cols in columns.values() for c in cols}
    assert not {n for n in names if any(w in n for w in ("number", "name", "mask", "birth"))}


def _valid_rows(person_id: str) -> dict[str, dict]:
    return {
        "identities": {
            "id_hash": "a" * 64,
            "person_id": person_id,
            "province": "450000",
            "created_at": NOW,
            "updated_at": NOW,
        },
        "identity_moves": {
            "person_id": person_id,
            "from_province": "450000",
            "to_province": "110000",
            "moved_at": NOW,
            "request_id": str(uuid.uuid4()),
            "request_hash": "b" * 64,
        },
    }


TEXT_COLUMNS = [
    (table.name, column.name)
    for table in (identities, identity_moves)
    for column in table.columns
    if isinstance(column.type, String)
]


@pytest.mark.parametrize("form", CLEAR)
async def test_r5_the_database_refuses_a_clear_id_number_in_every_text_column(index_db, form):
    engine = create_engine(index_db)
    refused = []
    try:
        for table_name, column in TEXT_COLUMNS:
            person_id = str(uuid.uuid4())
            rows = _valid_rows(person_id)
            table = identities if table_name == "identities" else identity_moves
            rows[table_name][column] = CLEAR[form](table.c[column].type.length)
            async with engine.connect() as conn:
                try:
                    if table_name == "identity_moves":
                        await conn.execute(insert(identities).values(_valid_rows(person_id)["identities"]))
                    await conn.execute(insert(table).values(rows[table_name]))
                except (IntegrityError, DataError) as error:  # a CHECK, or (PostgreSQL) the length
                    if any(why in str(error.orig).lower() for why in ("check constraint", "too long")):
                        refused.append((table_name, column))
                await conn.rollback()
        # The valid rows themselves are accepted: the refusals are the clear number's.
        async with engine.connect() as conn:
            rows = _valid_rows(str(uuid.uuid4()))
            await conn.execute(insert(identities).values(rows["identities"]))
            await conn.execute(insert(identity_moves).values(rows["identity_moves"]))
            await conn.rollback()
    finally:
        await engine.dispose()
    assert refused == TEXT_COLUMNS
    assert len(TEXT_COLUMNS) == 8


async def test_r5_no_stored_value_holds_an_id_number_that_was_hashed(index_stub, index_db, service):
    numbers = [id_number(region) for region in ("450102", "110101", "440106")]
    persons = [str(uuid.uuid4()) for _ in numbers]
    for number, person, province in zip(numbers, persons, ("450000", "110000", "440000"), strict=True):
        await claim(index_stub, service, hash_of(number), person, province)
    await move(index_stub, service, persons[0], "320000", str(uuid.uuid4()))
    dump = repr(await stored_rows(index_db))
    assert all(hash_of(n) in dump for n in numbers)  # the hashes are there ...
    for number in numbers:  # ... and nothing of the numbers: neither whole nor their first 17 digits
        assert number not in dump and number[:17] not in dump and number[:6] + number[-4:] not in dump
