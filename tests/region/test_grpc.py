"""The region service through a real gRPC server and channel, on SQLite and
PostgreSQL: every RPC, its errors, and who may call it (R1–R4, R20)."""

from __future__ import annotations

import base64
import json
from datetime import timedelta

import grpc
import pytest
from google.protobuf import field_mask_pb2
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc
from yibao.region.v1 import region_pb2 as pb

from services.kernel.auth import Role
from services.kernel.proto_time import from_timestamp, to_timestamp
from tests.rpc import fails
from tests.tls import aio_channel

OK = grpc.StatusCode


@pytest.fixture
def admin(bearer):
    return bearer(Role.ADMIN, "ops-1")


async def enable(stub, admin, code, action=pb.ENABLEMENT_ACTION_ENABLE, **extra):
    request = pb.SetRegionEnablementRequest(
        code=code, action=action, reason=extra.pop("reason", "开通"), **extra
    )
    return await stub.SetRegionEnablement(request, metadata=admin)


async def statuses(stub, *codes):
    response = await stub.CheckRegions(pb.CheckRegionsRequest(codes=codes))
    return {r.code: pb.RegionStatus.Name(r.status).removeprefix("REGION_STATUS_") for r in response.results}


# --- GetRegion (R1)
async def test_r1_get_region(region_stub):
    region = (await region_stub.GetRegion(pb.GetRegionRequest(code="450100"))).region
    assert (region.code, region.name, region.parent_code, region.level) == (
        "450100",
        "南宁市",
        "450000",
        pb.REGION_LEVEL_PREFECTURE,
    )
    assert not region.enablement.enabled


async def test_r1_get_region_bad_code_is_invalid_argument_with_field(region_stub):
    failure = await fails(region_stub.GetRegion(pb.GetRegionRequest(code="4501")))
    assert failure.code is OK.INVALID_ARGUMENT
    assert (failure.reason, failure.domain, failure.fields) == (
        "REGION_CODE_INVALID",
        "region.yibao",
        ["code"],
    )


async def test_r1_get_unknown_region_is_not_found(region_stub):
    failure = await fails(region_stub.GetRegion(pb.GetRegionRequest(code="999999")))
    assert (failure.code, failure.reason, failure.metadata) == (
        OK.NOT_FOUND,
        "REGION_NOT_FOUND",
        {"code": "999999"},
    )


# --- CheckRegions (R3) and enablement (R2)
async def test_r3_check_reports_unknown_apart_from_disabled(region_stub, admin):
    await enable(region_stub, admin, "450000")
    assert await statuses(region_stub, "450102", "320100", "999999", "450102") == {
        "450102": "ENABLED",
        "320100": "DISABLED",
        "999999": "UNKNOWN",
    }
    response = await region_stub.CheckRegions(pb.CheckRegionsRequest(codes=["450102", "999999", "450102"]))
    assert [r.code for r in response.results] == ["450102", "999999", "450102"]
    assert response.results[0].decided_by == "450000" and response.results[0].name == "兴宁区"


async def test_r3_check_validates_every_code(region_stub):
    failure = await fails(region_stub.CheckRegions(pb.CheckRegionsRequest(codes=["450100", "45x100"])))
    assert (failure.code, failure.reason, failure.fields) == (
        OK.INVALID_ARGUMENT,
        "REGION_CODE_INVALID",
        ["codes[1]"],
    )
    assert (await fails(region_stub.CheckRegions(pb.CheckRegionsRequest()))).reason == "CODES_REQUIRED"
    too_many = pb.CheckRegionsRequest(codes=["450100"] * 101)
    assert (await fails(region_stub.CheckRegions(too_many))).reason == "TOO_MANY_CODES"


async def test_r2_inheritance_and_override_through_the_api(region_stub, admin):
    await enable(region_stub, admin, "450000")
    await enable(region_stub, admin, "450300", pb.ENABLEMENT_ACTION_DISABLE, reason="暂缓")
    assert await statuses(region_stub, "450000", "450100", "450300", "450303") == {
        "450000": "ENABLED",
        "450100": "ENABLED",
        "450300": "DISABLED",
        "450303": "DISABLED",
    }
    response = await enable(region_stub, admin, "450300", pb.ENABLEMENT_ACTION_INHERIT, reason="恢复")
    assert response.region.enablement.enabled and response.region.enablement.decided_by == "450000"
    assert (await statuses(region_stub, "450303"))["450303"] == "ENABLED"


async def test_r2_scheduled_enablement_takes_effect_when_due(region_stub, admin, clock):
    start = clock.now() + timedelta(days=2)
    response = await enable(region_stub, admin, "320000", effective_from=to_timestamp(start))
    assert not response.region.enablement.enabled
    assert from_timestamp(response.region.enablement.next_change.effective_from) == start
    assert (await statuses(region_stub, "320100"))["320100"] == "DISABLED"
    clock.set(start)
    assert (await statuses(region_stub, "320100"))["320100"] == "ENABLED"


async def test_r2_scheduled_change_can_be_cancelled_before_it_is_due(region_stub, admin, bearer, clock):
    start = clock.now() + timedelta(days=2)
    change = (await enable(region_stub, admin, "320000", effective_from=to_timestamp(start))).change
    cancelled = await region_stub.CancelEnablementChange(
        pb.CancelEnablementChangeRequest(change_id=change.id, reason="推迟"), metadata=admin
    )
    assert cancelled.change.cancelled_by == "ops-1" and cancelled.change.cancel_reason == "推迟"
    clock.set(start)
    assert (await statuses(region_stub, "320100"))["320100"] == "DISABLED"
    admin = bearer(Role.ADMIN, "ops-1")  # two days on, the first token has expired
    again = await fails(
        region_stub.CancelEnablementChange(
            pb.CancelEnablementChangeRequest(change_id=change.id, reason="x"), metadata=admin
        )
    )
    assert (again.code, again.reason) == (OK.FAILED_PRECONDITION, "CHANGE_ALREADY_CANCELLED")


async def test_r2_cancel_errors(region_stub, admin):
    done = (await enable(region_stub, admin, "320000")).change
    late = await fails(
        region_stub.CancelEnablementChange(
            pb.CancelEnablementChangeRequest(change_id=done.id, reason="x"), metadata=admin
        )
    )
    assert (late.code, late.reason) == (OK.FAILED_PRECONDITION, "CHANGE_ALREADY_EFFECTIVE")
    missing = await fails(
        region_stub.CancelEnablementChange(
            pb.CancelEnablementChangeRequest(change_id=99999, reason="x"), metadata=admin
        )
    )
    assert (missing.code, missing.reason) == (OK.NOT_FOUND, "CHANGE_NOT_FOUND")
    no_reason = await fails(
        region_stub.CancelEnablementChange(
            pb.CancelEnablementChangeRequest(change_id=done.id), metadata=admin
        )
    )
    assert (no_reason.code, no_reason.fields) == (OK.INVALID_ARGUMENT, ["reason"])


async def test_r2_set_enablement_validation(region_stub, admin, clock):
    cases = [
        (pb.SetRegionEnablementRequest(code="450000", reason="x"), "ACTION_REQUIRED", ["action"]),
        (
            pb.SetRegionEnablementRequest(code="450000", action=pb.ENABLEMENT_ACTION_ENABLE),
            "REASON_REQUIRED",
            ["reason"],
        ),
        (
            pb.SetRegionEnablementRequest(code="45", action=pb.ENABLEMENT_ACTION_ENABLE, reason="x"),
            "REGION_CODE_INVALID",
            ["code"],
        ),
        (
            pb.SetRegionEnablementRequest(code="450000", action=9, reason="x"),
            "ENUM_VALUE_INVALID",
            ["action"],
        ),
        (
            pb.SetRegionEnablementRequest(
                code="450000",
                action=pb.ENABLEMENT_ACTION_ENABLE,
                reason="x",
                effective_from=to_timestamp(clock.now() - timedelta(days=1)),
            ),
            "EFFECTIVE_FROM_IN_PAST",
            ["effective_from"],
        ),
    ]
    for request, reason, fields in cases:
        failure = await fails(region_stub.SetRegionEnablement(request, metadata=admin))
        assert (failure.code, failure.reason, failure.fields) == (OK.INVALID_ARGUMENT, reason, fields)
    unknown = await fails(enable(region_stub, admin, "999999"))
    assert (unknown.code, unknown.reason) == (OK.NOT_FOUND, "REGION_NOT_FOUND")
    # Nothing was recorded by any of these.
    history = await region_stub.ListEnablementChanges(
        pb.ListEnablementChangesRequest(code="450000"), metadata=admin
    )
    assert list(history.changes) == []


async def test_r2_set_enablement_is_idempotent_by_request_id(region_stub, admin):
    first = await enable(region_stub, admin, "450000", request_id="req-7")
    again = await enable(region_stub, admin, "450000", request_id="req-7")
    assert again.change == first.change
    other = await fails(
        enable(region_stub, admin, "450000", pb.ENABLEMENT_ACTION_DISABLE, request_id="req-7")
    )
    assert (other.code, other.reason, other.fields) == (
        OK.INVALID_ARGUMENT,
        "REQUEST_ID_REUSED",
        ["request_id"],
    )
    history = await region_stub.ListEnablementChanges(
        pb.ListEnablementChangesRequest(code="450000"), metadata=admin
    )
    assert len(history.changes) == 1


async def test_r2_audit_history_keeps_who_when_why(region_stub, admin, bearer, clock):
    await enable(region_stub, admin, "450000", reason="全区开通")
    clock.advance(hours=1)
    await enable(
        region_stub, bearer(Role.ADMIN, "ops-2"), "450100", pb.ENABLEMENT_ACTION_DISABLE, reason="系统升级"
    )
    own = await region_stub.ListEnablementChanges(
        pb.ListEnablementChangesRequest(code="450100"), metadata=admin
    )
    assert [(c.region_code, c.actor, c.reason) for c in own.changes] == [("450100", "ops-2", "系统升级")]
    assert from_timestamp(own.changes[0].record_time) == clock.now()
    both = await region_stub.ListEnablementChanges(
        pb.ListEnablementChangesRequest(code="450100", include_ancestors=True, page_size=1), metadata=admin
    )
    assert [c.actor for c in both.changes] == ["ops-2"] and both.next_page_token
    rest = await region_stub.ListEnablementChanges(
        pb.ListEnablementChangesRequest(
            code="450100", include_ancestors=True, page_size=1, page_token=both.next_page_token
        ),
        metadata=admin,
    )
    assert [(c.actor, c.reason) for c in rest.changes] == [("ops-1", "全区开通")] and not rest.next_page_token
    service = await region_stub.ListEnablementChanges(
        pb.ListEnablementChangesRequest(code="450100"), metadata=bearer(Role.SERVICE, "transfer")
    )
    assert len(service.changes) == 1


# --- ListRegions (R1, R3)
async def test_r1_list_regions_pages_through_provinces(region_stub):
    seen, token = [], ""
    while True:
        page = await region_stub.ListRegions(pb.ListRegionsRequest(page_size=10, page_token=token))
        seen += [r.code for r in page.regions]
        token = page.next_page_token
        if not token:
            break
    assert len(seen) == 33 and seen == sorted(seen) and "450000" in seen


async def test_r3_list_regions_enabled_only(region_stub, admin):
    await enable(region_stub, admin, "450000")
    await enable(region_stub, admin, "450300", pb.ENABLEMENT_ACTION_DISABLE)
    cities = await region_stub.ListRegions(pb.ListRegionsRequest(parent_code="450000", enabled_only=True))
    codes = [r.code for r in cities.regions]
    assert len(codes) == 13 and "450300" not in codes and "450100" in codes
    assert all(r.enablement.enabled for r in cities.regions)
    provinces = await region_stub.ListRegions(pb.ListRegionsRequest(enabled_only=True))
    assert [r.code for r in provinces.regions] == ["450000"]


async def test_list_regions_errors(region_stub):
    unknown = await fails(region_stub.ListRegions(pb.ListRegionsRequest(parent_code="999900")))
    assert (unknown.code, unknown.reason) == (OK.NOT_FOUND, "REGION_NOT_FOUND")
    page = await region_stub.ListRegions(pb.ListRegionsRequest(page_size=5))
    mismatch = await fails(
        region_stub.ListRegions(
            pb.ListRegionsRequest(page_size=5, enabled_only=True, page_token=page.next_page_token)
        )
    )
    assert (mismatch.code, mismatch.reason, mismatch.fields) == (
        OK.INVALID_ARGUMENT,
        "PAGE_TOKEN_MISMATCH",
        ["page_token"],
    )
    garbage = await fails(region_stub.ListRegions(pb.ListRegionsRequest(page_token="%%%")))
    assert garbage.reason == "PAGE_TOKEN_INVALID"
    # R20a: an edited token (another position, a deep nesting, the
    # signature kept or dropped) is refused before anything in it is read.
    payload, _, signature = page.next_page_token.partition(".")
    for position in ([-1], [[[[[[[[[[[]]]]]]]]]]], ["' OR 1=1 --"], [10**30]):
        edited = (
            base64.urlsafe_b64encode(
                json.dumps(
                    {
                        "p": position,
                        "q": json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))["q"],
                    }
                ).encode()
            )
            .decode()
            .rstrip("=")
        )
        for token in (f"{edited}.{signature}", edited):
            forged = await fails(
                region_stub.ListRegions(pb.ListRegionsRequest(page_size=5, page_token=token))
            )
            assert (forged.code, forged.reason) == (OK.INVALID_ARGUMENT, "PAGE_TOKEN_INVALID")
    negative = await fails(region_stub.ListRegions(pb.ListRegionsRequest(page_size=-1)))
    assert negative.fields == ["page_size"]


# --- institutions (R4)
def institution(code="H45010300001", name="广西医科大学第一附属医院", region="450103", accepts=True, kind=0):
    return pb.Institution(code=code, name=name, region_code=region, accepts_wallet=accepts, kind=kind)


async def test_r4_create_get_list_update_institutions(region_stub, admin):
    created = await region_stub.CreateInstitution(
        pb.CreateInstitutionRequest(institution=institution()), metadata=admin
    )
    assert created.institution.kind == pb.INSTITUTION_KIND_HOSPITAL
    await region_stub.CreateInstitution(
        pb.CreateInstitutionRequest(institution=institution("P45010200001", "社区药店", "450102", False)),
        metadata=admin,
    )
    await region_stub.CreateInstitution(
        pb.CreateInstitutionRequest(institution=institution("H11010100001", "北京协和医院", "110101")),
        metadata=admin,
    )

    got = await region_stub.GetInstitution(pb.GetInstitutionRequest(code="P45010200001"))
    assert (got.institution.name, got.institution.kind, got.institution.accepts_wallet) == (
        "社区药店",
        pb.INSTITUTION_KIND_RETAIL_PHARMACY,
        False,
    )

    async def listed(**kw):
        return [
            i.code
            for i in (await region_stub.ListInstitutions(pb.ListInstitutionsRequest(**kw))).institutions
        ]

    assert await listed(region_code="450100") == ["H45010300001", "P45010200001"]
    assert await listed(region_code="450100", accepts_wallet_only=True) == ["H45010300001"]
    assert await listed(region_code="450000", kind=pb.INSTITUTION_KIND_RETAIL_PHARMACY) == ["P45010200001"]
    assert await listed(region_code="110000") == ["H11010100001"]
    first = await region_stub.ListInstitutions(pb.ListInstitutionsRequest(region_code="450000", page_size=1))
    second = await region_stub.ListInstitutions(
        pb.ListInstitutionsRequest(region_code="450000", page_size=1, page_token=first.next_page_token)
    )
    assert [i.code for i in [*first.institutions, *second.institutions]] == ["H45010300001", "P45010200001"]
    assert not second.next_page_token

    request = pb.UpdateInstitutionRequest(
        institution=pb.Institution(code="P45010200001", accepts_wallet=True, name="ignored")
    )
    request.update_mask.CopyFrom(field_mask_pb2.FieldMask(paths=["accepts_wallet"]))
    updated = (await region_stub.UpdateInstitution(request, metadata=admin)).institution
    assert updated.accepts_wallet and updated.name == "社区药店"
    assert await listed(region_code="450100", accepts_wallet_only=True) == ["H45010300001", "P45010200001"]


async def test_r4_institution_errors(region_stub, admin):
    async def create(inst):
        return await fails(
            region_stub.CreateInstitution(pb.CreateInstitutionRequest(institution=inst), metadata=admin)
        )

    assert (await create(institution(code="Z123"))).fields == ["institution.code"]
    assert (await create(institution(name=""))).reason == "NAME_REQUIRED"
    assert (
        await create(institution(kind=pb.INSTITUTION_KIND_RETAIL_PHARMACY))
    ).reason == "INSTITUTION_KIND_MISMATCH"
    assert (await create(institution(region="4501"))).fields == ["institution.region_code"]
    missing_region = await create(institution(region="999999"))
    assert (missing_region.code, missing_region.reason) == (OK.NOT_FOUND, "REGION_NOT_FOUND")
    await region_stub.CreateInstitution(
        pb.CreateInstitutionRequest(institution=institution()), metadata=admin
    )
    duplicate = await create(institution())
    assert (duplicate.code, duplicate.reason) == (OK.ALREADY_EXISTS, "INSTITUTION_ALREADY_EXISTS")
    absent = await fails(region_stub.GetInstitution(pb.GetInstitutionRequest(code="H45010300009")))
    assert (absent.code, absent.reason) == (OK.NOT_FOUND, "INSTITUTION_NOT_FOUND")
    bad_mask = pb.UpdateInstitutionRequest(
        institution=institution(), update_mask=field_mask_pb2.FieldMask(paths=["region_code"])
    )
    assert (
        await fails(region_stub.UpdateInstitution(bad_mask, metadata=admin))
    ).reason == "UPDATE_MASK_INVALID"
    update_absent = pb.UpdateInstitutionRequest(institution=institution(code="H45010300009"))
    assert (await fails(region_stub.UpdateInstitution(update_absent, metadata=admin))).code is OK.NOT_FOUND
    wrong_kind_filter = await fails(
        region_stub.ListInstitutions(pb.ListInstitutionsRequest(region_code="450000", kind=7))
    )
    assert wrong_kind_filter.fields == ["kind"]


# --- who may call what (R20)
ADMIN_CALLS = [
    (
        "SetRegionEnablement",
        pb.SetRegionEnablementRequest(code="450000", action=pb.ENABLEMENT_ACTION_ENABLE, reason="x"),
    ),
    ("CancelEnablementChange", pb.CancelEnablementChangeRequest(change_id=1, reason="x")),
    ("ListEnablementChanges", pb.ListEnablementChangesRequest(code="450000")),
    (
        "CreateInstitution",
        pb.CreateInstitutionRequest(
            institution=pb.Institution(code="H45010300001", name="x", region_code="450103")
        ),
    ),
    ("UpdateInstitution", pb.UpdateInstitutionRequest(institution=pb.Institution(code="H45010300001"))),
]


@pytest.mark.parametrize("method,request_", ADMIN_CALLS, ids=[m for m, _ in ADMIN_CALLS])
async def test_r20_admin_methods_need_a_token(region_stub, method, request_):
    failure = await fails(getattr(region_stub, method)(request_))
    assert (failure.code, failure.reason) == (OK.UNAUTHENTICATED, "TOKEN_MISSING")


@pytest.mark.parametrize("method,request_", ADMIN_CALLS, ids=[m for m, _ in ADMIN_CALLS])
@pytest.mark.parametrize(
    "role,scope",
    [
        (Role.CITIZEN, {"person_id": "p1"}),
        (Role.PROVINCE, {"province": "450000"}),
        (Role.INSTITUTION, {"institution": "H45010300001"}),
    ],
)
async def test_r20_other_roles_are_refused(region_stub, bearer, method, request_, role, scope):
    failure = await fails(getattr(region_stub, method)(request_, metadata=bearer(role, **scope)))
    assert failure.code is OK.PERMISSION_DENIED
    assert "region" not in failure.message.lower()  # says nothing about the target


async def test_r20_bad_tokens_are_unauthenticated_even_on_public_methods(region_stub, tokens, clock):
    from services.kernel.auth import Principal, TokenAuthority

    cases = {
        "Bearer not-a-jwt": "TOKEN_INVALID",
        "Basic abc": "TOKEN_INVALID",
        "Bearer "
        + TokenAuthority("HS256", "another-key-" * 4, "x").mint(
            Principal("x", Role.ADMIN), clock.now()
        ): "TOKEN_INVALID",
        "Bearer "
        + tokens.mint(Principal("x", Role.ADMIN), clock.now() - timedelta(hours=3)): "TOKEN_EXPIRED",
        "Bearer "
        + tokens.mint(
            Principal("x", Role.CITIZEN), clock.now()
        ): "TOKEN_INVALID",  # citizen without person_id
    }
    for header, reason in cases.items():
        failure = await fails(
            region_stub.GetRegion(pb.GetRegionRequest(code="450100"), metadata=[("authorization", header)])
        )
        assert (failure.code, failure.reason) == (OK.UNAUTHENTICATED, reason), header


# --- standard services
async def test_health_and_reflection(region_server):
    async with aio_channel(region_server.address) as channel:
        health = health_pb2_grpc.HealthStub(channel)
        for name in ("", "yibao.region.v1.RegionService"):
            response = await health.Check(health_pb2.HealthCheckRequest(service=name))
            assert response.status == health_pb2.HealthCheckResponse.SERVING
        reflection = reflection_pb2_grpc.ServerReflectionStub(channel)
        responses = reflection.ServerReflectionInfo(
            iter([reflection_pb2.ServerReflectionRequest(list_services="")])
        )
        async for response in responses:
            names = {s.name for s in response.list_services_response.service}
            break
    assert {"yibao.region.v1.RegionService", "grpc.health.v1.Health"} <= names
