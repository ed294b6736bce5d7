"""The account shards' map (R24), through a real gRPC server and channel, on
SQLite and PostgreSQL: binding provinces, changing a target, a province
staying with its shard (also when two administrators race for it), who may
call, and the cached map the routing services read, with its staleness bound."""

from __future__ import annotations

import asyncio

import grpc
import pytest
from yibao.region.v1 import region_pb2 as pb

from services.kernel.auth import Role
from services.kernel.proto_time import from_timestamp
from services.kernel.shard_map import Shard, ShardDirectory
from tests.rpc import fails

OK = grpc.StatusCode


@pytest.fixture
def admin(bearer):
    return bearer(Role.ADMIN, "ops-1")


async def put(stub, admin, name, target, *provinces):
    shard = pb.AccountShard(name=name, target=target, provinces=provinces)
    return (
        await stub.PutAccountShard(pb.PutAccountShardRequest(account_shard=shard), metadata=admin)
    ).account_shard


async def listed(stub, caller):
    return (await stub.ListAccountShards(pb.ListAccountShardsRequest(), metadata=caller)).account_shards


async def test_r24_shards_own_provinces_and_their_targets_can_change(region_stub, admin, bearer, clock):
    assert list(await listed(region_stub, admin)) == []  # one account service keeps every province
    gx = await put(region_stub, admin, "gx", "account-gx:50052", "450000")
    assert (gx.name, gx.target, list(gx.provinces)) == ("gx", "account-gx:50052", ["450000"])
    assert from_timestamp(gx.update_time) == clock.now()
    await put(region_stub, admin, "north", "account-north:50052", "130000", "110000", "110000")

    clock.advance(minutes=1)
    moved = await put(region_stub, admin, "gx", "10.0.0.7:50052", "460000")  # a new target, a province more
    assert (moved.target, list(moved.provinces)) == ("10.0.0.7:50052", ["450000", "460000"])
    assert from_timestamp(moved.update_time) == clock.now()

    shards = await listed(region_stub, bearer(Role.SERVICE, "transfer"))
    assert [(s.name, s.target, list(s.provinces)) for s in shards] == [
        ("gx", "10.0.0.7:50052", ["450000", "460000"]),
        ("north", "account-north:50052", ["110000", "130000"]),
    ]


async def test_r24_a_province_stays_with_its_shard(region_stub, admin):
    await put(region_stub, admin, "gx", "account-gx:50052", "450000")
    taken = await fails(put(region_stub, admin, "other", "account-other:50052", "320000", "450000"))
    assert (taken.code, taken.reason, taken.metadata) == (
        OK.FAILED_PRECONDITION,
        "PROVINCE_OWNED_BY_SHARD",
        {"province": "450000", "shard": "gx"},
    )
    # Nothing of the refused call stayed: neither the shard nor its other province.
    assert [s.name for s in await listed(region_stub, admin)] == ["gx"]
    assert list((await put(region_stub, admin, "js", "account-js:50052", "320000")).provinces) == ["320000"]


async def test_r24_two_shards_racing_for_a_province_one_gets_it(region_stub, admin):
    async def attempt(name):
        try:
            return (await put(region_stub, admin, name, f"account-{name}:50052", "440000")).name
        except grpc.aio.AioRpcError as error:
            return error.code()

    answers = await asyncio.gather(*(attempt(f"gd{i}") for i in range(6)))
    winners = [a for a in answers if isinstance(a, str)]
    assert len(winners) == 1 and set(answers) - set(winners) == {OK.FAILED_PRECONDITION}
    assert [(s.name, list(s.provinces)) for s in await listed(region_stub, admin)] == [
        (winners[0], ["440000"])
    ]


@pytest.mark.parametrize(
    ("name", "target", "provinces", "reason"),
    [
        ("GX", "a:1", ["450000"], "SHARD_NAME_INVALID"),
        ("", "a:1", ["450000"], "SHARD_NAME_INVALID"),
        ("9gx", "a:1", ["450000"], "SHARD_NAME_INVALID"),
        ("gx", "no-port", ["450000"], "SHARD_TARGET_INVALID"),
        ("gx", "a:70000", ["450000"], "SHARD_TARGET_INVALID"),
        ("gx", "a b:1", ["450000"], "SHARD_TARGET_INVALID"),
        ("gx", "a:1", ["450100"], "SHARD_PROVINCE_INVALID"),
        ("gx", "a:1", ["45000"], "REGION_CODE_INVALID"),
        ("gx", "a:1", [], "SHARD_PROVINCES_REQUIRED"),
    ],
)
async def test_r24_a_malformed_shard_is_refused(region_stub, admin, name, target, provinces, reason):
    refused = await fails(put(region_stub, admin, name, target, *provinces))
    assert (refused.code, refused.reason) == (OK.INVALID_ARGUMENT, reason)
    assert list(await listed(region_stub, admin)) == []


async def test_r24_an_unknown_province_is_not_found(region_stub, admin):
    refused = await fails(put(region_stub, admin, "xx", "a:1", "990000"))
    assert (refused.code, refused.reason) == (OK.NOT_FOUND, "REGION_NOT_FOUND")


async def test_r20_only_the_administrator_keeps_the_map_and_services_read_it(region_stub, admin, bearer):
    citizen = bearer(Role.CITIZEN, "p-1", person_id="p-1")
    for role, caller in (
        (Role.SERVICE, bearer(Role.SERVICE, "x")),
        (Role.PROVINCE, bearer(Role.PROVINCE, "x", province="450000")),
        (Role.CITIZEN, citizen),
    ):
        denied = await fails(put(region_stub, caller, "gx", "a:1", "450000"))
        assert denied.code is OK.PERMISSION_DENIED, role
    for role, caller in (
        (Role.PROVINCE, bearer(Role.PROVINCE, "x", province="450000")),
        (Role.CITIZEN, citizen),
    ):
        assert (await fails(listed(region_stub, caller))).code is OK.PERMISSION_DENIED, role
    assert (
        await fails(region_stub.ListAccountShards(pb.ListAccountShardsRequest()))
    ).code is OK.UNAUTHENTICATED


# --- the cached map the routing services read
async def test_r24_the_cached_map_is_never_older_than_its_bound(region_stub, admin, bearer):
    service = bearer(Role.SERVICE, "transfer")
    reads, now = [], [0.0]

    async def fetch():
        reads.append(now[0])
        return [Shard(s.name, s.target, tuple(s.provinces)) for s in await listed(region_stub, service)]

    directory = ShardDirectory(fetch, ttl=5.0, monotonic=lambda: now[0])
    assert (await directory.current()).single
    await put(region_stub, admin, "gx", "account-gx:50052", "450000")
    now[0] = 4.9
    assert (await directory.current()).single  # within the bound: the cached answer
    now[0] = 5.0
    current = await directory.current()
    assert current.shard_of("450102").name == "gx" and current.shard_of("110000") is None
    assert reads == [0.0, 5.0]

    now[0] = 10.0
    concurrent = await asyncio.gather(*(directory.current() for _ in range(10)))
    assert reads == [0.0, 5.0, 10.0] and all(m is concurrent[0] for m in concurrent)  # one read shared
