"""Provincial platforms' SM2 keys and replay nonces (R25), through a real gRPC
server and channel, on SQLite and PostgreSQL: registration, the province
binding, rotation, revocation, listing, who may call, and nonces claimed
once across concurrent callers."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import grpc
import pytest
from sqlalchemy import select
from yibao.region.v1 import region_pb2 as pb

from services.gateway.gm import SM2PrivateKey, sm3
from services.kernel.auth import Role
from services.kernel.proto_time import from_timestamp, to_timestamp
from services.region.adapters.tables import platform_nonces
from tests.rpc import fails

OK = grpc.StatusCode
GX, BJ = "gx-platform", "bj.platform_1"


@pytest.fixture
def admin(bearer):
    return bearer(Role.ADMIN, "ops-1")


@pytest.fixture
def gateway(bearer):
    return bearer(Role.SERVICE, "gateway")


def new_key() -> str:
    return SM2PrivateKey.generate().public_key().to_hex()


async def create(stub, admin, public_key, app_id=GX, province="450000"):
    request = pb.CreatePlatformKeyRequest(
        platform_key=pb.PlatformKey(app_id=app_id, province=province, public_key=public_key)
    )
    return (await stub.CreatePlatformKey(request, metadata=admin)).platform_key


async def revoke(stub, admin, key_id, app_id=GX):
    request = pb.RevokePlatformKeyRequest(app_id=app_id, key_id=key_id)
    return (await stub.RevokePlatformKey(request, metadata=admin)).platform_key


async def listed(stub, caller, **request):
    response = await stub.ListPlatformKeys(pb.ListPlatformKeysRequest(**request), metadata=caller)
    return response.platform_keys


async def claim(stub, caller, nonce, at, app_id=GX):
    request = pb.ClaimNonceRequest(app_id=app_id, nonce=nonce, timestamp=to_timestamp(at))
    return await stub.ClaimNonce(request, metadata=caller)


# --- CreatePlatformKey, ListPlatformKeys, RevokePlatformKey
async def test_r25_create_list_and_revoke_a_key(region_stub, admin, gateway, clock):
    public = new_key()
    created = await create(region_stub, admin, public.upper().replace("0X", "0x"))
    assert (created.app_id, created.province, created.public_key, created.state) == (
        GX,
        "450000",
        public,  # lowercase, whatever case it came in
        pb.PLATFORM_KEY_STATE_ACTIVE,
    )
    assert created.key_id == sm3(bytes.fromhex(public)).hex()[:16]
    assert from_timestamp(created.create_time) == clock.now() and not created.HasField("revoke_time")

    keys = await listed(region_stub, gateway, app_id=GX, active_only=True)
    assert [k.key_id for k in keys] == [created.key_id] and keys[0].province == "450000"

    clock.advance(minutes=5)
    revoked = await revoke(region_stub, admin, created.key_id)
    assert revoked.state == pb.PLATFORM_KEY_STATE_REVOKED
    assert from_timestamp(revoked.revoke_time) == clock.now()
    assert list(await listed(region_stub, gateway, app_id=GX, active_only=True)) == []
    assert [k.state for k in await listed(region_stub, admin, app_id=GX)] == [pb.PLATFORM_KEY_STATE_REVOKED]

    clock.advance(minutes=5)
    again = await revoke(region_stub, admin, created.key_id)  # idempotent: unchanged
    assert again == revoked
    refused = await fails(create(region_stub, admin, public))  # a revoked key is not registered again
    assert (refused.code, refused.reason) == (OK.FAILED_PRECONDITION, "PLATFORM_KEY_REVOKED")


async def test_r25_one_app_id_belongs_to_one_province_forever(region_stub, admin):
    first = await create(region_stub, admin, new_key(), GX, "450000")
    other = await fails(create(region_stub, admin, new_key(), GX, "110000"))
    assert (other.code, other.reason, other.metadata) == (
        OK.FAILED_PRECONDITION,
        "PLATFORM_PROVINCE_MISMATCH",
        {"app_id": GX, "province": "450000"},
    )
    await revoke(region_stub, admin, first.key_id)  # without an active key, still bound
    still = await fails(create(region_stub, admin, new_key(), GX, "110000"))
    assert still.reason == "PLATFORM_PROVINCE_MISMATCH"
    assert (await create(region_stub, admin, new_key(), BJ, "110000")).province == "110000"


async def test_r25_two_active_keys_during_a_rotation(region_stub, admin, clock):
    old = await create(region_stub, admin, new_key())
    clock.advance(minutes=1)
    new = await create(region_stub, admin, new_key())
    third_key = new_key()
    limit = await fails(create(region_stub, admin, third_key))
    assert (limit.code, limit.reason, limit.metadata) == (
        OK.FAILED_PRECONDITION,
        "PLATFORM_KEY_LIMIT",
        {"app_id": GX, "limit": "2"},
    )
    await revoke(region_stub, admin, old.key_id)
    clock.advance(minutes=1)
    third = await create(region_stub, admin, third_key)
    active = await listed(region_stub, admin, app_id=GX, active_only=True)
    assert [k.key_id for k in active] == [new.key_id, third.key_id]  # oldest first
    every = await listed(region_stub, admin, app_id=GX)
    assert [k.key_id for k in every] == [old.key_id, new.key_id, third.key_id]


async def test_r25_creating_the_same_key_again_is_idempotent(region_stub, admin, clock):
    public = new_key()
    first = await create(region_stub, admin, public)
    clock.advance(minutes=3)
    again = await create(region_stub, admin, public.upper())
    assert again == first
    assert len(await listed(region_stub, admin, app_id=GX)) == 1
    # The second slot is still free: the repeat took none.
    await create(region_stub, admin, new_key())
    elsewhere = await fails(create(region_stub, admin, public, BJ, "110000"))
    assert (elsewhere.code, elsewhere.reason, elsewhere.metadata) == (
        OK.ALREADY_EXISTS,
        "PLATFORM_KEY_ALREADY_EXISTS",
        {"key_id": first.key_id},
    )
    # The refused key did not bind BJ to a province.
    assert (await create(region_stub, admin, new_key(), BJ, "320000")).province == "320000"


def _off_curve(public: str) -> str:
    y = int(public[66:], 16)
    return public[:66] + f"{(y + 1) % 2**256:064x}"


@pytest.mark.parametrize(
    "change,reason,field",
    [
        (lambda k: {"public_key": _off_curve(k)}, "PLATFORM_PUBLIC_KEY_INVALID", "platform_key.public_key"),
        (lambda k: {"public_key": k[:-2]}, "PLATFORM_PUBLIC_KEY_INVALID", "platform_key.public_key"),
        (lambda k: {"public_key": "02" + k[2:]}, "PLATFORM_PUBLIC_KEY_INVALID", "platform_key.public_key"),
        (lambda k: {"public_key": k[:-1] + "g"}, "PLATFORM_PUBLIC_KEY_INVALID", "platform_key.public_key"),
        (lambda k: {"public_key": ""}, "PLATFORM_PUBLIC_KEY_INVALID", "platform_key.public_key"),
        (lambda k: {"app_id": "gx"}, "PLATFORM_APP_ID_INVALID", "platform_key.app_id"),
        (lambda k: {"app_id": "gx platform"}, "PLATFORM_APP_ID_INVALID", "platform_key.app_id"),
        (lambda k: {"app_id": "a" * 65}, "TEXT_INVALID", "platform_key.app_id"),
        (lambda k: {"province": "450100"}, "PLATFORM_PROVINCE_INVALID", "platform_key.province"),
        (lambda k: {"province": "45"}, "REGION_CODE_INVALID", "platform_key.province"),
        (lambda k: {"province": ""}, "REGION_CODE_INVALID", "platform_key.province"),
    ],
)
async def test_r25_create_validation(region_stub, admin, change, reason, field):
    key = new_key()
    fields = {"app_id": GX, "province": "450000", "public_key": key} | change(key)
    request = pb.CreatePlatformKeyRequest(platform_key=pb.PlatformKey(**fields))
    failure = await fails(region_stub.CreatePlatformKey(request, metadata=admin))
    assert (failure.code, failure.reason, failure.fields) == (OK.INVALID_ARGUMENT, reason, [field])
    assert list(await listed(region_stub, admin)) == []


async def test_r25_unknown_province_is_not_found(region_stub, admin):
    failure = await fails(create(region_stub, admin, new_key(), GX, "990000"))
    assert (failure.code, failure.reason, failure.metadata) == (
        OK.NOT_FOUND,
        "REGION_NOT_FOUND",
        {"code": "990000"},
    )
    assert list(await listed(region_stub, admin)) == []


async def test_r25_revoke_errors(region_stub, admin):
    key = await create(region_stub, admin, new_key())
    absent = await fails(
        region_stub.RevokePlatformKey(
            pb.RevokePlatformKeyRequest(app_id=GX, key_id="0123456789abcdef"), metadata=admin
        )
    )
    assert (absent.code, absent.reason) == (OK.NOT_FOUND, "PLATFORM_KEY_NOT_FOUND")
    other_app = await fails(
        region_stub.RevokePlatformKey(
            pb.RevokePlatformKeyRequest(app_id=BJ, key_id=key.key_id), metadata=admin
        )
    )
    assert (other_app.code, other_app.reason) == (OK.NOT_FOUND, "PLATFORM_KEY_NOT_FOUND")
    bad = await fails(
        region_stub.RevokePlatformKey(pb.RevokePlatformKeyRequest(app_id=GX, key_id="XYZ"), metadata=admin)
    )
    assert (bad.code, bad.reason, bad.fields) == (OK.INVALID_ARGUMENT, "PLATFORM_KEY_ID_INVALID", ["key_id"])
    assert [k.state for k in await listed(region_stub, admin)] == [pb.PLATFORM_KEY_STATE_ACTIVE]


async def test_r25_list_pages_across_platforms(region_stub, admin, gateway, clock):
    made = []
    for app_id, province in (("zz-last", "320000"), (GX, "450000"), (BJ, "110000"), (GX, "450000")):
        made.append(await create(region_stub, admin, new_key(), app_id, province))
        clock.advance(seconds=1)
    seen, token = [], ""
    while True:
        page = await region_stub.ListPlatformKeys(
            pb.ListPlatformKeysRequest(page_size=1, page_token=token), metadata=gateway
        )
        assert len(page.platform_keys) <= 1
        seen += [(k.app_id, k.key_id) for k in page.platform_keys]
        if not (token := page.next_page_token):
            break
    assert seen == [
        (BJ, made[2].key_id),
        (GX, made[1].key_id),
        (GX, made[3].key_id),
        ("zz-last", made[0].key_id),
    ]
    assert list(await listed(region_stub, gateway, app_id="nobody-here")) == []
    first = await region_stub.ListPlatformKeys(pb.ListPlatformKeysRequest(page_size=1), metadata=admin)
    mismatch = await fails(
        region_stub.ListPlatformKeys(
            pb.ListPlatformKeysRequest(page_size=1, active_only=True, page_token=first.next_page_token),
            metadata=admin,
        )
    )
    assert (mismatch.code, mismatch.reason) == (OK.INVALID_ARGUMENT, "PAGE_TOKEN_MISMATCH")
    bad = await fails(region_stub.ListPlatformKeys(pb.ListPlatformKeysRequest(app_id="x"), metadata=admin))
    assert (bad.reason, bad.fields) == ("PLATFORM_APP_ID_INVALID", ["app_id"])


async def test_r25_concurrent_registrations_keep_the_limit_and_the_binding(region_stub, admin):
    results = await asyncio.gather(
        *(create(region_stub, admin, new_key(), GX, "450000") for _ in range(6)), return_exceptions=True
    )
    created = [r for r in results if isinstance(r, pb.PlatformKey)]
    refused = [r for r in results if not isinstance(r, pb.PlatformKey)]
    assert len(created) == 2 and all(isinstance(r, grpc.aio.AioRpcError) for r in refused)
    assert {r.code() for r in refused} == {OK.FAILED_PRECONDITION}
    assert len(await listed(region_stub, admin, app_id=GX, active_only=True)) == 2

    provinces = ("110000", "320000", "450000", "310000")
    results = await asyncio.gather(
        *(create(region_stub, admin, new_key(), BJ, p) for p in provinces), return_exceptions=True
    )
    won = {r.province for r in results if isinstance(r, pb.PlatformKey)}
    assert len(won) == 1
    assert {k.province for k in await listed(region_stub, admin, app_id=BJ)} == won


# --- ClaimNonce
NONCE = "n0nce-0123456789abcdef"


async def test_r25_a_nonce_is_claimed_once(region_stub, gateway, clock):
    await claim(region_stub, gateway, NONCE, clock.now())
    again = await fails(claim(region_stub, gateway, NONCE, clock.now()))
    assert (again.code, again.reason, again.domain) == (OK.ALREADY_EXISTS, "NONCE_REPLAYED", "region.yibao")
    await claim(region_stub, gateway, NONCE, clock.now(), app_id=BJ)  # per platform
    clock.advance(minutes=9)
    later = await fails(claim(region_stub, gateway, NONCE, clock.now()))
    assert later.reason == "NONCE_REPLAYED"


async def test_r25_concurrent_claims_of_one_nonce_one_wins(region_stub, gateway, clock):
    results = await asyncio.gather(
        *(claim(region_stub, gateway, NONCE, clock.now()) for _ in range(10)), return_exceptions=True
    )
    won = [r for r in results if isinstance(r, pb.ClaimNonceResponse)]
    lost = [r for r in results if not isinstance(r, pb.ClaimNonceResponse)]
    assert len(won) == 1, results
    assert all(isinstance(r, grpc.aio.AioRpcError) and r.code() is OK.ALREADY_EXISTS for r in lost)


async def _nonces(engine) -> set[str]:
    async with engine.connect() as conn:
        return set((await conn.execute(select(platform_nonces.c.nonce))).scalars())


async def test_r25_old_nonces_are_purged(region_stub, gateway, clock, engine):
    a, b, c, d, e, ahead = (f"nonce-{name}-0123456789" for name in ("a", "b", "c", "d", "e", "ahead"))
    await claim(region_stub, gateway, a, clock.now())
    await claim(region_stub, gateway, ahead, clock.now() + timedelta(minutes=4))
    clock.advance(seconds=30)
    await claim(region_stub, gateway, b, clock.now())
    assert await _nonces(engine) == {a, ahead, b}
    clock.advance(minutes=9, seconds=42)  # 10:12 after a, 9:42 after b
    await claim(region_stub, gateway, c, clock.now())
    # a is past the window and gone; b is not yet; ahead is kept until 10
    # minutes after its own timestamp, 4 minutes ahead.
    assert await _nonces(engine) == {ahead, b, c}
    await claim(region_stub, gateway, a, clock.now())  # gone, so it can be claimed again
    replay = await fails(claim(region_stub, gateway, ahead, clock.now()))
    assert replay.reason == "NONCE_REPLAYED"
    clock.advance(seconds=30)  # b has expired, but the last purge was 30 s ago
    await claim(region_stub, gateway, d, clock.now())
    assert b in await _nonces(engine)
    clock.advance(seconds=30)
    await claim(region_stub, gateway, e, clock.now())
    assert await _nonces(engine) == {ahead, c, a, d, e}


@pytest.mark.parametrize(
    "app_id,nonce,offset,reason,field",
    [
        (GX, "short", 0, "NONCE_INVALID", "nonce"),
        (GX, "has a space 0123456789", 0, "NONCE_INVALID", "nonce"),
        (GX, "a.dot.0123456789abc", 0, "NONCE_INVALID", "nonce"),
        (GX, "", 0, "NONCE_INVALID", "nonce"),
        (GX, "x" * 65, 0, "TEXT_INVALID", "nonce"),
        ("g", NONCE, 0, "PLATFORM_APP_ID_INVALID", "app_id"),
        (GX, NONCE, 11, "NONCE_TIMESTAMP_OUT_OF_WINDOW", "timestamp"),
        (GX, NONCE, -11, "NONCE_TIMESTAMP_OUT_OF_WINDOW", "timestamp"),
    ],
)
async def test_r25_claim_validation(
    region_stub, gateway, clock, engine, app_id, nonce, offset, reason, field
):
    at = clock.now() + timedelta(minutes=offset)
    failure = await fails(claim(region_stub, gateway, nonce, at, app_id=app_id))
    assert (failure.code, failure.reason, failure.fields) == (OK.INVALID_ARGUMENT, reason, [field])
    assert await _nonces(engine) == set()


async def test_r25_claim_without_timestamp_is_refused(region_stub, gateway):
    request = pb.ClaimNonceRequest(app_id=GX, nonce=NONCE)
    failure = await fails(region_stub.ClaimNonce(request, metadata=gateway))
    assert (failure.code, failure.reason) == (OK.INVALID_ARGUMENT, "NONCE_TIMESTAMP_OUT_OF_WINDOW")


# --- who may call what (R20, R25)
def _calls():
    key = pb.PlatformKey(app_id=GX, province="450000", public_key="04" + "0" * 128)
    return {
        "CreatePlatformKey": pb.CreatePlatformKeyRequest(platform_key=key),
        "RevokePlatformKey": pb.RevokePlatformKeyRequest(app_id=GX, key_id="0123456789abcdef"),
        "ListPlatformKeys": pb.ListPlatformKeysRequest(),
        "ClaimNonce": pb.ClaimNonceRequest(app_id=GX, nonce=NONCE),
    }


ALLOWED = {
    "CreatePlatformKey": {Role.ADMIN},
    "RevokePlatformKey": {Role.ADMIN},
    "ListPlatformKeys": {Role.ADMIN, Role.SERVICE},
    "ClaimNonce": {Role.SERVICE},
}
SCOPES = {
    Role.CITIZEN: {"person_id": "p1"},
    Role.PROVINCE: {"province": "450000"},
    Role.INSTITUTION: {"institution": "H45010300001"},
    Role.ADMIN: {},
    Role.SERVICE: {},
}


@pytest.mark.parametrize("method", sorted(ALLOWED))
async def test_r25_roles(region_stub, bearer, method):
    request = _calls()[method]
    missing = await fails(getattr(region_stub, method)(request))
    assert (missing.code, missing.reason) == (OK.UNAUTHENTICATED, "TOKEN_MISSING")
    for role, scope in SCOPES.items():
        call = getattr(region_stub, method)(request, metadata=bearer(role, **scope))
        if role in ALLOWED[method]:
            try:
                await call
            except grpc.aio.AioRpcError as error:  # let in, then refused on its merits
                assert error.code() is not OK.PERMISSION_DENIED, (method, role)
        else:
            failure = await fails(call)
            assert failure.code is OK.PERMISSION_DENIED, (method, role)
