"""The tests' calls of the index, and what its database holds, read
directly (that a call stored what it said, or nothing)."""

from __future__ import annotations

import uuid

from sqlalchemy import inspect, text
from yibao.index.v1 import index_pb2 as pb

from services.account.domain.identity import id_number_hash
from services.kernel.db import create_engine
from tests.cluster import ID_HASH_KEY


async def stored_rows(url: str) -> dict[str, list]:
    """Every row of every table of the index (but Alembic's), by table, in key order."""
    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            names = await conn.run_sync(lambda c: inspect(c).get_table_names())
            found = {}
            for name in sorted(set(names) - {"alembic_version"}):
                key = "id" if name == "identity_moves" else "id_hash"
                found[name] = list((await conn.execute(text(f'SELECT * FROM "{name}" ORDER BY {key}'))).all())
            return found
    finally:
        await engine.dispose()


def hash_of(number: str) -> str:
    """What the account service sends: its HMAC of the ID number."""
    return id_number_hash(number, ID_HASH_KEY.encode())


def new_person() -> str:
    return str(uuid.uuid4())


async def claim(stub, caller, id_hash, person_id, province):
    request = pb.ClaimIdentityRequest(id_hash=id_hash, person_id=person_id, province=province)
    return await stub.ClaimIdentity(request, metadata=caller)


async def find(stub, caller, id_hash):
    return (await stub.FindIdentity(pb.FindIdentityRequest(id_hash=id_hash), metadata=caller)).identity


async def locate(stub, caller, *person_ids):
    request = pb.LocatePersonsRequest(person_ids=person_ids)
    return [(p.person_id, p.province) for p in (await stub.LocatePersons(request, metadata=caller)).locations]


async def move(stub, caller, person_id, province, request_id):
    request = pb.MoveIdentityRequest(person_id=person_id, province=province, request_id=request_id)
    return (await stub.MoveIdentity(request, metadata=caller)).identity
