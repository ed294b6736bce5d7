"""R25 through the real gateway: HTTPS, SM2-signed and SM4-encrypted
envelopes, the services behind it as a gRPC caller would reach them."""

from __future__ import annotations

import asyncio
import base64
import json
from datetime import timedelta

import pytest
from yibao.account.v1 import account_pb2 as apb
from yibao.region.v1 import region_pb2

from services.gateway.client import GatewayCallError
from services.gateway.envelope import Envelope, EnvelopeError, open_envelope
from services.gateway.gm import SM2PrivateKey
from services.gateway.routes import PREFIX
from tests.cluster import id_number
from tests.gateway.conftest import BJ, GX


def _person(region: str = "450102", name: str = "韦小宝") -> dict:
    return {
        "idNumber": id_number(region),
        "name": name,
        "insuranceType": "INSURANCE_TYPE_EMPLOYEE",
        "insuredRegion": region,
    }


async def test_r25_a_platform_registers_funds_and_looks_up_its_person(platform, clock, balances):
    gx = await platform(GX, "450000")
    wanted = _person()
    person = (await gx.acall("RegisterPerson", wanted, clock.now()))["person"]
    assert (person["name"], person["insuredRegion"]) == ("韦小宝", "450102")
    funding = {
        "personId": person["id"],
        "amountFen": "120000",
        "reference": "gx-2026-03-001",
        "period": "2026-03",
    }
    first = await gx.acall("FundPersonalAccount", funding, clock.now())
    again = await gx.acall("FundPersonalAccount", funding, clock.now())  # its reference: once
    assert first == again
    found = await gx.acall("LookupPerson", {"idNumber": wanted["idNumber"], "name": "韦小宝"}, clock.now())
    assert found["person"]["id"] == person["id"]
    assert (await gx.acall("GetPerson", {"personId": person["id"]}, clock.now()))["person"]["id"] == person[
        "id"
    ]
    await _settle_balance(balances, person, 120_000)  # funded once, read over gRPC


async def test_r25_a_platform_issues_a_bill_and_follows_its_bill_events(platform, clock):
    bj = await platform(BJ, "110000")
    person = (
        await bj.acall(
            "RegisterPerson",
            _person("110101", "李秀英") | {"insuranceType": "INSURANCE_TYPE_RESIDENT"},
            clock.now(),
        )
    )["person"]
    bill = {
        "personId": person["id"],
        "kind": "CONTRIBUTION_KIND_RESIDENT_INSURANCE",
        "year": 2026,
        "amountFen": "38000",
    }
    issued = await bj.acall("IssueContributionBill", bill, clock.now())
    assert (issued["bill"]["amountFen"], issued["bill"]["province"]) == ("38000", "110000")
    bills = await bj.acall("ListContributionBills", {"personId": person["id"]}, clock.now())
    assert [b["year"] for b in bills["bills"]] == [2026]
    events = await bj.acall("ListBillEvents", {"province": "110000"}, clock.now())
    assert [e["bill"]["personId"] for e in events["events"]] == [person["id"]]


async def test_r25_a_platform_receives_for_its_payee_follows_events_and_reads_its_settlement(
    platform, family, submit, clock
):
    payer, payee = family  # 南宁 -> 北京
    bj = await platform(BJ, "110000")
    t = await submit(payer, payee, amount=30_000)
    received = await bj.acall("ReceiveTransfer", {"id": t.id}, clock.now())
    assert received["transfer"]["status"] == "TRANSFER_STATUS_RECEIVED"
    page = await bj.acall("StreamTransferEvents", {"province": "110000"}, clock.now())
    assert [(e["event"]["type"], e["event"]["transfer"]["id"]) for e in page["items"]] == [
        ("TRANSFER_EVENT_TYPE_CREATED", t.id),
        ("TRANSFER_EVENT_TYPE_RECEIVED", t.id),
    ]
    last = page["items"][-1]["event"]["sequence"]
    assert (
        await bj.acall("StreamTransferEvents", {"province": "110000", "afterSequence": last}, clock.now())
    ) == {"items": []}
    settlement = await bj.acall("GetSettlementStatement", {"month": "2026-03"}, clock.now())
    assert settlement["positions"] == [{"province": "110000", "netFen": "30000"}]
    # What the payee was told, read by her province's platform (not by another's).
    for _ in range(100):
        told = await bj.acall("ListNotifications", {"personId": payee.id}, clock.now())
        if told.get("notifications"):
            break
        await asyncio.sleep(0.05)
    assert [n["kind"] for n in told["notifications"]] == ["NOTIFICATION_KIND_TRANSFER_WAITING"]
    gx = await platform(GX, "450000")
    with pytest.raises(GatewayCallError) as refused:
        await gx.acall("ListNotifications", {"personId": payee.id}, clock.now())
    assert refused.value.status == "PERMISSION_DENIED"


async def test_r25_a_platform_acts_only_on_its_own_provinces_persons(platform, clock):
    gx, bj = await platform(GX, "450000"), await platform(BJ, "110000")
    theirs = (await bj.acall("RegisterPerson", _person("110101", "王五"), clock.now()))["person"]
    with pytest.raises(GatewayCallError) as refused:
        await gx.acall(
            "FundPersonalAccount",
            {"personId": theirs["id"], "amountFen": "100", "reference": "x-1", "period": "2026-03"},
            clock.now(),
        )
    assert (refused.value.http_status, refused.value.status, refused.value.sealed) == (
        403,
        "PERMISSION_DENIED",
        True,
    )
    # Whatever the payload says: a 广西 platform registering a 北京 person is refused too.
    with pytest.raises(GatewayCallError) as refused:
        await gx.acall("RegisterPerson", _person("110101"), clock.now())
    assert refused.value.status == "PERMISSION_DENIED"


async def test_r25_the_answer_is_sealed_for_the_platform_and_signed_by_the_gateway(
    platform, gateway, http, clock
):
    gx = await platform(GX, "450000")
    response = await http.post(PREFIX + "RegisterPerson", json=gx.envelope(_person(), clock.now()))
    answer = Envelope.from_json(response.json())
    assert answer.app_id == GX and answer.enc_type == "SM4" and answer.sign_type == "SM2"
    inner = json.loads(open_envelope(answer, own=gx.key, peer=gx.gateway_key))
    assert inner["result"]["person"]["name"] == "韦小宝"
    with pytest.raises(EnvelopeError, match="PAYLOAD_UNDECRYPTABLE"):  # signed, but sealed for gx alone
        open_envelope(answer, own=SM2PrivateKey.generate(), peer=gx.gateway_key)


async def test_r25_two_keys_are_active_during_a_rotation_and_a_revoked_key_stops(
    platform, admin_region, clock
):
    old = await platform(GX, "450000")
    new = await platform(GX, "450000")
    await old.acall("RegisterPerson", _person(), clock.now())
    await new.acall("RegisterPerson", _person(), clock.now())
    keys = await admin_region("ListPlatformKeys", region_pb2.ListPlatformKeysRequest(app_id=GX))
    first = next(k for k in keys.platform_keys if k.public_key == old.key.public_key().to_hex())
    await admin_region(
        "RevokePlatformKey", region_pb2.RevokePlatformKeyRequest(app_id=GX, key_id=first.key_id)
    )
    with pytest.raises(GatewayCallError) as refused:
        await old.acall("RegisterPerson", _person(), clock.now())
    assert (refused.value.http_status, refused.value.reason) == (401, "SIGNATURE_INVALID")
    await new.acall("RegisterPerson", _person(), clock.now())


def _flip(text: str) -> str:
    raw = bytearray(base64.b64decode(text))
    raw[len(raw) // 2] ^= 0x01
    return base64.b64encode(bytes(raw)).decode()


# Each hostile request: how it is made from a good envelope, and what it must get.
HOSTILE = {
    "tampered encData": (lambda e, c: e | {"encData": _flip(e["encData"])}, 401, "SIGNATURE_INVALID"),
    "tampered signData": (lambda e, c: e | {"signData": _flip(e["signData"])}, 401, "SIGNATURE_INVALID"),
    "another appId": (lambda e, c: e | {"appId": "nobody"}, 401, "APP_UNKNOWN"),
    "stale timestamp": ("stale", 401, "TIMESTAMP_OUT_OF_WINDOW"),
    "replayed nonce": ("replay", 409, "NONCE_REPLAYED"),
    "missing member": (lambda e, c: {k: v for k, v in e.items() if k != "nonce"}, 400, "ENVELOPE_MALFORMED"),
    "SM4 said otherwise": (lambda e, c: e | {"encType": "AES"}, 400, "ALGORITHM_UNSUPPORTED"),
}


@pytest.mark.parametrize("case", sorted(HOSTILE))
async def test_r25_each_hostile_request_gets_its_own_refusal_and_changes_nothing(
    case, platform, http, account, as_province, clock, balances
):
    gx = await platform(GX, "450000")
    person = (await gx.acall("RegisterPerson", _person(), clock.now()))["person"]
    funding = {
        "personId": person["id"],
        "amountFen": "5000",
        "reference": f"hostile-{case}",
        "period": "2026-03",
    }
    make, status, reason = HOSTILE[case]
    if make == "stale":
        envelope = gx.envelope(funding, clock.now() - timedelta(minutes=6))
    elif make == "replay":
        envelope = gx.envelope(funding | {"reference": "first"}, clock.now())
        assert (await http.post(PREFIX + "FundPersonalAccount", json=envelope)).status_code == 200
        await _settle_balance(balances, person, 5000)
        envelope = envelope  # the very same envelope again
    else:
        envelope = make(gx.envelope(funding, clock.now()), clock)
    response = await http.post(PREFIX + "FundPersonalAccount", json=envelope)
    with pytest.raises(GatewayCallError) as refused:
        gx.answer(response.status_code, response.content)
    assert (refused.value.http_status, refused.value.reason) == (status, reason)
    assert refused.value.message  # a sentence for a person, beside the reason
    await _settle_balance(balances, person, 5000 if make == "replay" else 0)


async def _settle_balance(balances, person, expected: int) -> None:
    class P:
        id = person["id"]

    assert (await balances(P))[0] == expected


@pytest.mark.parametrize(
    ("body", "status", "reason"),
    [
        (b"{not json", 400, "ENVELOPE_MALFORMED"),
        (b"[]", 400, "ENVELOPE_MALFORMED"),
        (b"\xff\xfe", 400, "ENVELOPE_MALFORMED"),
        (b"{" + b" " * 70_000 + b"}", 400, "BODY_TOO_LARGE"),
    ],
    ids=["malformed JSON", "not an object", "not UTF-8", "oversized body"],
)
async def test_r25_a_body_that_is_no_envelope_is_refused_in_plain_json(http, body, status, reason):
    response = await http.post(
        PREFIX + "RegisterPerson", content=body, headers={"content-type": "application/json"}
    )
    error = response.json()["error"]
    assert (response.status_code, error["code"], error["details"][0]["reason"]) == (status, status, reason)


async def test_r25_a_payload_that_is_not_the_rpcs_request_is_refused_sealed(platform, clock):
    gx = await platform(GX, "450000")
    with pytest.raises(GatewayCallError) as refused:
        await gx.acall("RegisterPerson", {"idNumber": 7, "colour": "blue"}, clock.now())
    assert (refused.value.http_status, refused.value.reason, refused.value.sealed) == (
        400,
        "PAYLOAD_INVALID",
        True,
    )
    with pytest.raises(GatewayCallError) as refused:
        await gx.acall(
            "RegisterPerson", {"idNumber": "1", "name": "x", "insuredRegion": "450102"}, clock.now()
        )
    assert (refused.value.http_status, refused.value.status) == (
        400,
        "INVALID_ARGUMENT",
    )  # the service's own check


async def test_r25_an_unknown_method_is_not_found(platform, clock):
    gx = await platform(GX, "450000")
    with pytest.raises(GatewayCallError) as refused:
        await gx.acall("SubmitTransfer", {}, clock.now())  # a citizen's RPC, not offered to platforms
    assert (refused.value.http_status, refused.value.reason) == (404, "METHOD_UNKNOWN")


async def test_the_gateway_serves_its_openapi_and_health(http, gateway):
    document = (await http.get("/openapi.json")).json()
    assert document["openapi"] == "3.1.0"
    assert PREFIX + "RegisterPerson" in document["paths"]
    health = (await http.get("/healthz")).json()
    assert health == {"status": "SERVING", "publicKey": gateway.public_key}


def test_grpc_register_request_matches_the_gateway_payload_names():
    """The payloads above use protobuf's JSON names: a renamed field fails here first."""
    fields = {f.json_name for f in apb.RegisterPersonRequest.DESCRIPTOR.fields}
    assert set(_person()) <= fields


async def test_r25_other_verbs_and_paths_get_the_same_json_errors(http):
    wrong_verb = await http.get(PREFIX + "RegisterPerson")
    nowhere = await http.post("/v2/RegisterPerson", json={})
    assert (wrong_verb.status_code, wrong_verb.json()["error"]["details"][0]["reason"]) == (
        405,
        "METHOD_UNKNOWN",
    )
    assert (nowhere.status_code, nowhere.json()["error"]["status"]) == (404, "NOT_FOUND")


async def test_r26_a_platforms_https_request_is_one_trace_through_the_services(spans, platform, clock):
    gx = await platform(GX, "450000")
    await gx.acall("RegisterPerson", _person(), clock.now())
    finished = spans.get_finished_spans()
    request = next(s for s in finished if s.name == "POST /api/v1/RegisterPerson")
    in_trace = {s.name for s in finished if s.context.trace_id == request.context.trace_id}
    assert {  # the platform's keys and nonce (region), then the RPC itself (account)
        "/yibao.region.v1.RegionService/ClaimNonce",
        "/yibao.account.v1.AccountService/RegisterPerson",
    } <= in_trace
