"""R5 across provinces kept in different account shards (R24): each shard
claims a new person's identity in the national person index before keeping
the person, so one ID number is one person in every province — on SQLite and
PostgreSQL, two account shards and the index each on a database of its own,
through their gRPC servers."""

from __future__ import annotations

import asyncio

import grpc
import pytest
from yibao.account.v1 import account_pb2 as pb
from yibao.account.v1 import account_pb2_grpc

from tests.cluster import id_number, serve_account, serve_index
from tests.rpc import fails
from tests.tls import aio_channel

C = grpc.StatusCode


@pytest.fixture
async def federation(new_database, region_target, tokens, clock):
    """The index, and two shards that claim in it: 广西's and 北京's."""
    async with (
        serve_index(new_database(), tokens, clock) as index,
        serve_account(new_database(), region_target, tokens, clock, index_target=index.address) as gx,
        serve_account(new_database(), region_target, tokens, clock, index_target=index.address) as bj,
        aio_channel(gx.address) as gx_channel,
        aio_channel(bj.address) as bj_channel,
    ):
        yield (
            index,
            account_pb2_grpc.AccountServiceStub(gx_channel),
            account_pb2_grpc.AccountServiceStub(bj_channel),
            gx,
        )


def registration(number, region, name="张伟"):
    return pb.RegisterPersonRequest(
        id_number=number, name=name, insurance_type=pb.INSURANCE_TYPE_EMPLOYEE, insured_region=region
    )


async def test_r5_one_id_number_is_one_person_across_the_shards(federation, as_province):
    _, gx, bj, _ = federation
    number = id_number("450102")
    first = await gx.RegisterPerson(registration(number, "450102"), metadata=as_province("450000"))
    assert first.created
    again = await gx.RegisterPerson(registration(number, "450102"), metadata=as_province("450000"))
    assert (again.person.id, again.created) == (first.person.id, False)  # a repeat, as before shards
    elsewhere = await fails(bj.RegisterPerson(registration(number, "110101"), metadata=as_province("110000")))
    assert (elsewhere.code, elsewhere.reason) == (C.ALREADY_EXISTS, "PERSON_ALREADY_REGISTERED")
    assert elsewhere.metadata.get("province") is None  # nothing of the other province is told


async def test_r5_concurrent_registrations_in_two_shards_one_wins(federation, as_province):
    _, gx, bj, _ = federation
    number = id_number("450102")

    async def attempt(stub, region, province):
        try:
            return (
                await stub.RegisterPerson(registration(number, region), metadata=as_province(province))
            ).person.id
        except grpc.aio.AioRpcError as error:
            return error.code()

    answers = await asyncio.gather(
        *(attempt(gx, "450102", "450000") for _ in range(4)),
        *(attempt(bj, "110101", "110000") for _ in range(4)),
    )
    ids = {a for a in answers if isinstance(a, str)}
    assert len(ids) == 1, answers  # every winner names the same person, in one shard
    assert set(answers) - ids == {C.ALREADY_EXISTS}
    winners = [i for i, a in enumerate(answers) if isinstance(a, str)]
    assert winners in ([0, 1, 2, 3], [4, 5, 6, 7])  # all in one shard


async def test_r5_a_registration_cut_short_after_the_claim_keeps_the_claimed_person_id(
    federation, as_province, bearer
):
    """A shard that claimed the identity and fell before keeping the person:
    the repeated registration keeps the person under the id in the index."""
    from yibao.index.v1 import index_pb2, index_pb2_grpc

    from services.account.domain.identity import id_number_hash
    from services.kernel.auth import Role
    from tests.cluster import ID_HASH_KEY

    index, gx, _, _ = federation
    number = id_number("450102")
    claimed_id = "0b6f4c2e-2f44-4c0e-9a0e-3f1d6c9b1a11"
    async with aio_channel(index.address) as channel:
        claim = index_pb2.ClaimIdentityRequest(
            id_hash=id_number_hash(number, ID_HASH_KEY.encode()), person_id=claimed_id, province="450000"
        )
        await index_pb2_grpc.PersonIndexServiceStub(channel).ClaimIdentity(
            claim, metadata=bearer(Role.SERVICE, "account")
        )
    kept = await gx.RegisterPerson(registration(number, "450102"), metadata=as_province("450000"))
    assert (kept.person.id, kept.created) == (claimed_id, True)
