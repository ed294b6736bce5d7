"""The national person index (R24, R5), through a real gRPC server and
channel, on SQLite and PostgreSQL: claiming an identity once across every
province (also when claims race), finding it, locating persons, moving a
person's insurance (idempotent by request id), and what it refuses."""

from __future__ import annotations

import asyncio
import uuid

import grpc
from yibao.index.v1 import index_pb2 as pb

from services.kernel.proto_time import from_timestamp
from tests.cluster import id_number
from tests.index.support import claim, find, hash_of, locate, move, new_person, stored_rows
from tests.rpc import fails

OK = grpc.StatusCode


def fields(identity: pb.Identity) -> tuple:
    return (identity.id_hash, identity.person_id, identity.province)


# --- claiming and finding
async def test_r24_a_claim_records_the_identity_and_find_answers_it(index_stub, service, clock):
    h, p = hash_of(id_number("450102")), new_person()
    claimed = await claim(index_stub, service, h, p, "450000")
    assert claimed.claimed and fields(claimed.identity) == (h, p, "450000")
    assert from_timestamp(claimed.identity.create_time) == clock.now()
    assert from_timestamp(claimed.identity.update_time) == clock.now()
    assert await find(index_stub, service, h) == claimed.identity


async def test_r5_one_person_one_identity_across_provinces(index_stub, index_db, service, clock):
    """A second registration of the same ID number, in another province,
    gets the first one's person and province, unchanged."""
    h, first, second = hash_of(id_number("450102")), new_person(), new_person()
    original = (await claim(index_stub, service, h, first, "450000")).identity
    clock.advance(minutes=5)
    again = await claim(index_stub, service, h, second, "110000")
    assert not again.claimed and again.identity == original
    # A repeat of the claim that succeeded (its answer lost): the caller's own person.
    repeat = await claim(index_stub, service, h, first, "450000")
    assert not repeat.claimed and repeat.identity == original
    assert await locate(index_stub, service, second) == []
    assert [(r.person_id, r.province) for r in (await stored_rows(index_db))["identities"]] == [
        (first, "450000")
    ]


async def test_r24_concurrent_claims_of_one_hash_exactly_one_wins(index_stub, index_db, service):
    h = hash_of(id_number("440106"))
    asked = [(new_person(), province) for province in ("440000", "110000", "450000", "320000") * 3]
    answers = await asyncio.gather(*(claim(index_stub, service, h, p, prov) for p, prov in asked))
    winners = [a for a in answers if a.claimed]
    assert len(winners) == 1
    assert {fields(a.identity) for a in answers} == {fields(winners[0].identity)}
    assert (winners[0].identity.person_id, winners[0].identity.province) in asked
    assert len((await stored_rows(index_db))["identities"]) == 1


async def test_r5_a_person_bound_to_another_hash_is_refused(index_stub, index_db, service):
    p, h1, h2 = new_person(), hash_of(id_number("450102")), hash_of(id_number("450102"))
    await claim(index_stub, service, h1, p, "450000")
    refused = await fails(claim(index_stub, service, h2, p, "450000"))
    assert (refused.code, refused.reason, refused.domain, refused.metadata) == (
        OK.ALREADY_EXISTS,
        "PERSON_ALREADY_INDEXED",
        "index.yibao",
        {"person_id": p},
    )
    assert (await fails(find(index_stub, service, h2))).reason == "IDENTITY_NOT_FOUND"
    assert len((await stored_rows(index_db))["identities"]) == 1


async def test_r5_one_person_racing_under_several_hashes_is_indexed_once(index_stub, index_db, service):
    p = new_person()
    hashes = [hash_of(id_number("450102")) for _ in range(8)]

    async def attempt(h):
        try:
            return (await claim(index_stub, service, h, p, "450000")).claimed
        except grpc.aio.AioRpcError as error:
            return error.code()

    answers = await asyncio.gather(*(attempt(h) for h in hashes))
    assert answers.count(True) == 1 and set(answers) - {True} == {OK.ALREADY_EXISTS}
    assert len((await stored_rows(index_db))["identities"]) == 1


async def test_r24_an_unclaimed_hash_is_not_found(index_stub, service):
    missing = hash_of(id_number("110101"))
    refused = await fails(find(index_stub, service, missing))
    assert (refused.code, refused.reason, refused.domain) == (
        OK.NOT_FOUND,
        "IDENTITY_NOT_FOUND",
        "index.yibao",
    )
    assert missing not in refused.message and refused.metadata == {}


# --- locating persons
async def test_r24_persons_are_located_in_the_order_asked_unknown_ones_left_out(index_stub, service):
    gx, bj, gd = new_person(), new_person(), new_person()
    for p, province in ((gx, "450000"), (bj, "110000"), (gd, "440000")):
        await claim(index_stub, service, hash_of(id_number()), p, province)
    assert await locate(index_stub, service, gd, new_person(), gx, gd, bj) == [
        (gd, "440000"),
        (gx, "450000"),
        (bj, "110000"),
    ]
    assert await locate(index_stub, service) == []


async def test_r24_a_thousand_persons_are_located_in_as_many_statements_as_one(
    index_server, index_stub, service
):
    known = [new_person() for _ in range(3)]
    for p in known:
        await claim(index_stub, service, hash_of(id_number()), p, "450000")
    metrics = index_server.components["metrics"].registry

    async def statements_of(*person_ids) -> tuple[float, list]:
        before = metrics.get_sample_value("yibao_sql_statements_total", {"service": "index"})
        located = await locate(index_stub, service, *person_ids)
        return metrics.get_sample_value("yibao_sql_statements_total", {"service": "index"}) - before, located

    one, _ = await statements_of(known[0])
    many, located = await statements_of(*[new_person() for _ in range(997)], *reversed(known))
    assert located == [(p, "450000") for p in reversed(known)]
    assert many == one


# --- moves (医保关系转移接续)
async def test_r24_a_move_changes_the_province_and_is_recorded(index_stub, index_db, service, clock):
    h, p = hash_of(id_number("450102")), new_person()
    claimed = (await claim(index_stub, service, h, p, "450000")).identity
    clock.advance(minutes=30)
    r1 = str(uuid.uuid4())
    moved = await move(index_stub, service, p, "110000", r1)
    assert fields(moved) == (h, p, "110000")
    assert moved.create_time == claimed.create_time and from_timestamp(moved.update_time) == clock.now()
    assert await find(index_stub, service, h) == moved
    assert await locate(index_stub, service, p) == [(p, "110000")]
    [recorded] = (await stored_rows(index_db))["identity_moves"]
    assert (recorded.person_id, recorded.from_province, recorded.to_province, recorded.request_id) == (
        p,
        "450000",
        "110000",
        r1,
    )


async def test_r16_a_repeated_move_is_answered_as_the_first_time(index_stub, index_db, service, clock):
    """AIP-155: the same request id with the same content gets the first
    answer, even after later moves, and changes nothing; with other content
    it is refused."""
    h, p = hash_of(id_number("450102")), new_person()
    await claim(index_stub, service, h, p, "450000")
    r1, r2 = str(uuid.uuid4()), str(uuid.uuid4())
    first = await move(index_stub, service, p, "110000", r1)
    clock.advance(minutes=1)
    assert await move(index_stub, service, p, "110000", r1) == first
    clock.advance(minutes=1)
    later = await move(index_stub, service, p, "320000", r2)
    assert await move(index_stub, service, p, "110000", r1) == first  # a late repeat: answered, not applied
    assert await find(index_stub, service, h) == later

    reused = await fails(move(index_stub, service, p, "440000", r1))
    assert (reused.code, reused.reason, reused.fields) == (
        OK.INVALID_ARGUMENT,
        "REQUEST_ID_REUSED",
        ["request_id"],
    )
    other_person = new_person()
    await claim(index_stub, service, hash_of(id_number()), other_person, "450000")
    assert (await fails(move(index_stub, service, other_person, "110000", r1))).reason == "REQUEST_ID_REUSED"
    assert await find(index_stub, service, h) == later
    assert [m.to_province for m in (await stored_rows(index_db))["identity_moves"]] == ["110000", "320000"]


async def test_r16_concurrent_copies_of_one_move_make_one_move(index_stub, index_db, service):
    p = new_person()
    await claim(index_stub, service, hash_of(id_number()), p, "450000")
    r1 = str(uuid.uuid4())
    answers = await asyncio.gather(*(move(index_stub, service, p, "110000", r1) for _ in range(8)))
    assert all(a == answers[0] for a in answers) and answers[0].province == "110000"
    assert len((await stored_rows(index_db))["identity_moves"]) == 1


async def test_r24_concurrent_moves_of_one_person_are_all_recorded_in_turn(index_stub, index_db, service):
    p = new_person()
    await claim(index_stub, service, hash_of(id_number()), p, "450000")
    provinces = ["110000", "320000", "440000", "510000", "120000", "310000"]
    await asyncio.gather(*(move(index_stub, service, p, prov, str(uuid.uuid4())) for prov in provinces))
    moves = (await stored_rows(index_db))["identity_moves"]
    # Each move starts where the one before it ended: none was lost to a race.
    chain = sorted(moves, key=lambda m: m.id)
    assert [m.from_province for m in chain] == ["450000"] + [m.to_province for m in chain[:-1]]
    assert sorted(m.to_province for m in chain) == sorted(provinces)
    assert await locate(index_stub, service, p) == [(p, chain[-1].to_province)]


async def test_r24_a_move_to_the_province_it_is_in_is_recorded_and_changes_nothing_else(
    index_stub, index_db, service
):
    h, p = hash_of(id_number()), new_person()
    await claim(index_stub, service, h, p, "450000")
    stayed = await move(index_stub, service, p, "450000", str(uuid.uuid4()))
    assert fields(stayed) == (h, p, "450000")
    [recorded] = (await stored_rows(index_db))["identity_moves"]
    assert (recorded.from_province, recorded.to_province) == ("450000", "450000")


async def test_r24_moving_an_unknown_person_is_not_found_and_records_nothing(index_stub, index_db, service):
    stranger = new_person()
    refused = await fails(move(index_stub, service, stranger, "110000", str(uuid.uuid4())))
    assert (refused.code, refused.reason, refused.metadata) == (
        OK.NOT_FOUND,
        "IDENTITY_NOT_FOUND",
        {"person_id": stranger},
    )
    assert (await stored_rows(index_db))["identity_moves"] == []


# --- bad input (R20a): refused with a reason and the field, nothing stored
GOOD_HASH = "a" * 64
PERSON = "0b4d1f0e-8f5c-4f57-9d38-4b4f3ec3c9a1"  # claimed before each case
GOOD_REQUEST = "5f0b6a49-2c33-4f44-8d3b-0f6a7f1e2d10"
CLEAR_ID_NUMBER = "11010519491231002X"
BAD_INPUT = [
    # ClaimIdentity: the hash
    ("claim", {"id_hash": ""}, "ID_HASH_INVALID", "id_hash"),
    ("claim", {"id_hash": CLEAR_ID_NUMBER}, "ID_HASH_INVALID", "id_hash"),
    ("claim", {"id_hash": "A" * 64}, "ID_HASH_INVALID", "id_hash"),
    ("claim", {"id_hash": "a" * 63}, "ID_HASH_INVALID", "id_hash"),
    ("claim", {"id_hash": "g" * 64}, "ID_HASH_INVALID", "id_hash"),
    ("claim", {"id_hash": "a" * 65}, "TEXT_INVALID", "id_hash"),  # past the proto's bound
    # ... the person id
    ("claim", {"person_id": ""}, "PERSON_ID_INVALID", "person_id"),
    ("claim", {"person_id": PERSON.upper()}, "PERSON_ID_INVALID", "person_id"),
    ("claim", {"person_id": PERSON.replace("-", "")}, "PERSON_ID_INVALID", "person_id"),
    ("claim", {"person_id": CLEAR_ID_NUMBER}, "PERSON_ID_INVALID", "person_id"),
    # ... the province
    ("claim", {"province": ""}, "PROVINCE_INVALID", "province"),
    ("claim", {"province": "450100"}, "PROVINCE_INVALID", "province"),  # a city
    ("claim", {"province": "45000"}, "PROVINCE_INVALID", "province"),
    ("claim", {"province": "050000"}, "PROVINCE_INVALID", "province"),
    ("claim", {"province": "４５００００"}, "PROVINCE_INVALID", "province"),  # full-width digits
    ("claim", {"province": "4500000"}, "TEXT_INVALID", "province"),
    ("claim", {"province": "450000\n"}, "TEXT_INVALID", "province"),
    # FindIdentity
    ("find", {"id_hash": CLEAR_ID_NUMBER}, "ID_HASH_INVALID", "id_hash"),
    ("find", {"id_hash": ""}, "ID_HASH_INVALID", "id_hash"),
    # LocatePersons
    ("locate", {"person_ids": [PERSON] * 1001}, "TOO_MANY_PERSON_IDS", "person_ids"),
    ("locate", {"person_ids": [PERSON, "p-1"]}, "PERSON_ID_INVALID", "person_ids[1]"),
    # MoveIdentity
    ("move", {"person_id": "p-1"}, "PERSON_ID_INVALID", "person_id"),
    ("move", {"province": "110100"}, "PROVINCE_INVALID", "province"),
    ("move", {"request_id": ""}, "REQUEST_ID_REQUIRED", "request_id"),
    ("move", {"request_id": "move-1"}, "REQUEST_ID_INVALID", "request_id"),
    ("move", {"request_id": GOOD_REQUEST.upper()}, "REQUEST_ID_INVALID", "request_id"),
    ("move", {"request_id": CLEAR_ID_NUMBER}, "REQUEST_ID_INVALID", "request_id"),
    ("move", {"request_id": GOOD_REQUEST + "0"}, "TEXT_INVALID", "request_id"),
]


def _request(rpc: str, changes: dict):
    if rpc == "claim":
        base = {"id_hash": GOOD_HASH, "person_id": new_person(), "province": "450000"}
        return "ClaimIdentity", pb.ClaimIdentityRequest(**(base | changes))
    if rpc == "find":
        return "FindIdentity", pb.FindIdentityRequest(**changes)
    if rpc == "locate":
        return "LocatePersons", pb.LocatePersonsRequest(**changes)
    base = {"person_id": PERSON, "province": "110000", "request_id": GOOD_REQUEST}
    return "MoveIdentity", pb.MoveIdentityRequest(**(base | changes))


async def test_r20a_bad_input_is_refused_with_its_reason_and_nothing_is_stored(index_stub, index_db, service):
    """The whole table against one server (a database per case would cost
    seconds): each case refused as it says, with the field, nothing stored."""
    await claim(index_stub, service, hash_of(id_number()), PERSON, "450000")
    before, mismatches = await stored_rows(index_db), []
    for rpc, changes, reason, field in BAD_INPUT:
        method, request = _request(rpc, changes)
        refused = await fails(getattr(index_stub, method)(request, metadata=service))
        if (refused.code, refused.reason, refused.fields) != (OK.INVALID_ARGUMENT, reason, [field]):
            mismatches.append(
                f"{method} {str(changes)[:80]}: {refused.code.name} {refused.reason} {refused.fields}"
            )
        assert CLEAR_ID_NUMBER not in refused.message  # what was sent is never echoed
    assert not mismatches, "\n".join(mismatches)
    assert await stored_rows(index_db) == before
