"""The wire envelope: both directions, every refusal, and the shipped test
vectors (docs/gateway-test-vectors.json) being current."""

from __future__ import annotations

import base64
import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from tongsuopy.crypto import hashes as ts_hashes
from tongsuopy.crypto.asymciphers import ec as ts_ec

from services.gateway import vectors
from services.gateway.envelope import (
    FIELDS,
    VERSION,
    Envelope,
    EnvelopeError,
    beijing_timestamp,
    new_nonce,
    open_envelope,
    parse_timestamp,
    seal,
)
from services.gateway.gm import SM2PrivateKey, SM2PublicKey, kdf, sm4_decrypt

ROOT = Path(__file__).resolve().parents[2]
PLATFORM, SERVICE = SM2PrivateKey.generate(), SM2PrivateKey.generate()
NOW = "2026-12-03T10:00:00+08:00"
PAYLOAD = '{"person":{"name":"张三"}}'.encode()


def _request(**overrides) -> Envelope:
    arguments = {"app_id": "gx-platform-1", "own": PLATFORM, "peer": SERVICE.public_key(), "timestamp": NOW}
    return seal(PAYLOAD, **{**arguments, **overrides})


def _reason(call) -> str:
    with pytest.raises(EnvelopeError) as caught:
        call()
    return caught.value.reason


def _refusal(envelope: Envelope, peer: SM2PublicKey | None = None) -> str:
    """Why the service refuses to open ``envelope`` from the platform."""
    return _reason(lambda: open_envelope(envelope, own=SERVICE, peer=peer or PLATFORM.public_key()))


# --- round trips ------------------------------------------------------------


def test_a_request_opens_at_the_service_and_an_answer_at_the_platform():
    request = Envelope.from_json(json.loads(json.dumps(_request().to_json())))
    assert open_envelope(request, own=SERVICE, peer=PLATFORM.public_key()) == PAYLOAD
    answer = seal(
        b'{"result":{}}',
        app_id=request.app_id,
        own=SERVICE,
        peer=PLATFORM.public_key(),
        timestamp=beijing_timestamp(datetime.now(UTC)),
    )
    assert answer.nonce != request.nonce
    assert open_envelope(Envelope.from_json(answer.to_json()), own=PLATFORM, peer=SERVICE.public_key()) == (
        b'{"result":{}}'
    )


def test_the_envelope_has_the_eight_members_and_hides_the_payload():
    document = _request().to_json()
    assert tuple(document) == FIELDS
    assert document["version"] == VERSION and document["encType"] == "SM4" and document["signType"] == "SM2"
    assert "张三".encode() not in base64.b64decode(document["encData"])
    assert len(base64.b64decode(document["signData"])) == 64


def test_each_message_gets_its_own_nonce_iv_and_ciphertext():
    first, second = _request(), _request()
    assert first.nonce != second.nonce and first.enc_data != second.enc_data
    same_nonce = [_request(nonce="n1"), _request(nonce="n1")]
    assert same_nonce[0].enc_data[:16] != same_nonce[1].enc_data[:16]  # the IV still differs


def test_the_canonical_string_sorts_members_and_leaves_out_sign_data():
    envelope = _request(nonce="abc")
    assert (
        envelope.canonical()
        == (
            f"appId=gx-platform-1&encData={envelope.enc_data}&encType=SM4&nonce=abc"
            f"&signType=SM2&timestamp={NOW}&version=1.0"
        ).encode()
    )


# --- refusals: signature ----------------------------------------------------


@pytest.mark.parametrize("member", ["app_id", "timestamp", "nonce", "enc_data"])
def test_a_tampered_member_breaks_the_signature(member):
    envelope = _request()
    value = getattr(envelope, member)
    if member == "enc_data":
        raw = bytearray(base64.b64decode(value))
        raw[20] ^= 1
        tampered = base64.b64encode(raw).decode()
    elif member == "timestamp":
        tampered = "2026-12-03T10:00:01+08:00"
    else:
        tampered = value + "x"
    forged = replace(envelope, **{member: tampered})
    assert _refusal(forged) == "SIGNATURE_INVALID"


@pytest.mark.parametrize("how", ["flip", "short", "empty", "not base64", "other message"])
def test_a_tampered_signature_is_refused(how):
    envelope = _request()
    raw = bytearray(base64.b64decode(envelope.sign_data))
    raw[5] ^= 1
    sign_data = {
        "flip": base64.b64encode(raw).decode(),
        "short": base64.b64encode(raw[:63]).decode(),
        "empty": "",
        "not base64": "%%%",
        "other message": _request().sign_data,
    }[how]
    forged = replace(envelope, sign_data=sign_data)
    assert _refusal(forged) == "SIGNATURE_INVALID"


def test_an_envelope_signed_by_another_key_is_refused():
    envelope = _request()
    stranger = SM2PrivateKey.generate().public_key()
    assert _refusal(envelope, stranger) == "SIGNATURE_INVALID"
    forged = _request(own=SM2PrivateKey.generate())
    assert _refusal(forged) == "SIGNATURE_INVALID"


# --- refusals: payload --------------------------------------------------------


def test_a_payload_for_someone_else_does_not_decrypt():
    # Signed correctly by the platform, but sealed for another service.
    envelope = _request(peer=SM2PrivateKey.generate().public_key())
    assert _refusal(envelope) == "PAYLOAD_UNDECRYPTABLE"


@pytest.mark.parametrize("enc_data", ["%%%", "", base64.b64encode(b"short").decode()])
def test_enc_data_that_is_not_sm4_gcm_is_undecryptable(enc_data):
    unsigned = replace(_request(), enc_data=enc_data, sign_data="")
    signed = replace(unsigned, sign_data=base64.b64encode(PLATFORM.sign(unsigned.canonical())).decode())
    assert _refusal(signed) == "PAYLOAD_UNDECRYPTABLE"


# --- refusals: the document -------------------------------------------------


def _document(**changes) -> dict:
    document = _request().to_json()
    for name, value in changes.items():
        if value is None:
            del document[name]
        else:
            document[name] = value
    return document


@pytest.mark.parametrize(
    ("document", "named"),
    [
        ([], None),
        ("envelope", None),
        (None, None),
        (_document(appId=None), "appId"),
        (_document(signData=None), "signData"),
        (_document(extra="1"), "extra"),
        (_document(nonce=1), "nonce"),
        (_document(timestamp=None, extra=1), "extra"),
        (_document(version=1.0), "version"),
        (_document(encData={"a": 1}), "encData"),
        (_document(appId="gx&nonce=1"), "appId"),
        (_document(encData="not base64!"), "encData"),
        (_document(encData="YWJj"[:3]), "encData"),
        (_document(signData="YWJj\n"), "signData"),
        (_document(signData="YW-j"), "signData"),
    ],
)
def test_a_malformed_document_is_refused_naming_the_member(document, named):
    with pytest.raises(EnvelopeError) as caught:
        Envelope.from_json(document)
    assert caught.value.reason == "ENVELOPE_MALFORMED"
    if named:
        assert repr(named) in caught.value.message


@pytest.mark.parametrize(("member", "value"), [("encType", "AES"), ("signType", "RSA"), ("version", "2.0")])
def test_another_algorithm_or_version_is_unsupported(member, value):
    document = _document(**{member: value})
    assert _reason(lambda: Envelope.from_json(document)) == "ALGORITHM_UNSUPPORTED"
    attribute = {"encType": "enc_type", "signType": "sign_type"}.get(member, member)
    assert _refusal(replace(_request(), **{attribute: value})) == "ALGORITHM_UNSUPPORTED"


def test_seal_refuses_an_app_id_or_nonce_with_an_ampersand():
    assert _reason(lambda: _request(app_id="a&b")) == "ENVELOPE_MALFORMED"
    assert _reason(lambda: _request(nonce="a&b")) == "ENVELOPE_MALFORMED"
    assert _reason(lambda: _request(timestamp="2026-12-03T02:00:00Z")) == "ENVELOPE_MALFORMED"


# --- timestamps and nonces --------------------------------------------------


def test_beijing_timestamp():
    assert beijing_timestamp(datetime(2026, 12, 3, 2, 0, 0, 999_999, tzinfo=UTC)) == NOW
    assert beijing_timestamp(datetime(2026, 12, 3, 10, 0, tzinfo=timezone(timedelta(hours=8)))) == NOW
    with pytest.raises(ValueError):
        beijing_timestamp(datetime(2026, 12, 3, 10, 0))


def test_parse_timestamp_reads_the_instant():
    assert parse_timestamp(NOW) == datetime(2026, 12, 3, 2, 0, tzinfo=UTC)
    assert parse_timestamp(NOW).utcoffset() == timedelta(hours=8)


@pytest.mark.parametrize(
    "text",
    [
        "2026-12-03T10:00:00",
        "2026-12-03T02:00:00Z",
        "2026-12-03T02:00:00+00:00",
        "2026-12-03T10:00:00.5+08:00",
        "2026-12-03 10:00:00+08:00",
        "2026-12-03T10:00+08:00",
        "2026-13-03T10:00:00+08:00",
        "２０２６-12-03T10:00:00+08:00",
        "20261203T100000+0800",
        "",
    ],
)
def test_parse_timestamp_refuses_any_other_form(text):
    assert _reason(lambda: parse_timestamp(text)) == "ENVELOPE_MALFORMED"


def test_new_nonce_is_32_lowercase_hex_and_fresh():
    nonces = {new_nonce() for _ in range(100)}
    assert len(nonces) == 100
    assert all(len(n) == 32 and n == n.lower() and int(n, 16) >= 0 for n in nonces)


# --- the shipped vectors ------------------------------------------------------


@pytest.fixture(scope="module")
def shipped() -> dict:
    return json.loads((ROOT / "docs" / "gateway-test-vectors.json").read_text(encoding="utf-8"))


def test_the_shipped_vectors_are_current(shipped):
    assert vectors.render(vectors.build(shipped)) == vectors.render(shipped), (
        "docs/gateway-test-vectors.json is stale: run python -m services.gateway.vectors"
    )


def test_the_shipped_vectors_rederive_step_by_step(shipped):
    request = shipped["request"]
    platform = SM2PrivateKey.from_hex(shipped["platform"]["privateKey"])
    service = SM2PrivateKey.from_hex(shipped["service"]["privateKey"])
    assert platform.public_key().to_hex() == shipped["platform"]["publicKey"]
    assert service.public_key().to_hex() == shipped["service"]["publicKey"]
    shared = bytes.fromhex(request["sharedSecret"])
    assert platform.shared_secret(service.public_key()) == shared
    assert service.shared_secret(platform.public_key()) == shared
    key_input = shared + (request["appId"] + request["nonce"] + request["timestamp"]).encode()
    assert kdf(key_input, 16).hex() == request["sm4Key"]
    envelope = Envelope.from_json(request["envelope"])
    assert envelope.canonical().decode() == request["canonical"]
    data = base64.b64decode(envelope.enc_data)
    assert data.hex() == request["iv"] + request["ciphertextHex"] + request["tag"]
    payload = sm4_decrypt(bytes.fromhex(request["sm4Key"]), data, request["aad"].encode())
    assert payload == request["payload"].encode() == bytes.fromhex(request["payloadHex"])
    assert open_envelope(envelope, own=service, peer=platform.public_key()) == payload


def test_the_shipped_signature_verifies_with_both_implementations(shipped):
    request = shipped["request"]
    signature = base64.b64decode(request["envelope"]["signData"])
    public = SM2PublicKey.from_hex(shipped["platform"]["publicKey"])
    assert public.verify(request["canonical"].encode(), signature)
    x, y = int(public.to_hex()[2:66], 16), int(public.to_hex()[66:], 16)
    tongsuo = ts_ec.EllipticCurvePublicNumbers(x, y, ts_ec.SM2()).public_key()
    der = encode_dss_signature(int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big"))
    tongsuo.verify(der, request["canonical"].encode(), ts_ec.ECDSA(ts_hashes.SM3()))


def test_the_shipped_standard_vectors(shipped):
    standard = shipped["standard"]
    assert [vector["digest"][:8] for vector in standard["sm3"]] == ["66c7f0f4", "debe9ff9"]
    assert standard["sm4"]["ciphertext"] == "681edf34d206965e86b3e94f536e4246"
    assert (standard["sm2"]["r"] + standard["sm2"]["s"]).upper() == (
        "F5A03B0648D2C4630EEAC513E1BB81A15944DA3827D5B74143AC7EACEEE720B3"
        "B1B6AA29DF212FD8763182BC0D421CA1BB9038FD1F7F42D4840B69C485BBC1AA"
    )


def test_the_worked_example_in_the_docs_shows_the_shipped_values(shipped):
    text = (ROOT / "docs" / "gateway.md").read_text(encoding="utf-8")
    request = shipped["request"]
    for value in (
        shipped["platform"]["privateKey"],
        shipped["service"]["publicKey"],
        request["sharedSecret"],
        request["sm4Key"],
        request["aad"],
        request["canonical"],
        request["envelope"]["signData"],
    ):
        assert value in text, f"docs/gateway.md does not show {value[:40]}…"
