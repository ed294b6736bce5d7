"""The JSON envelope a provincial platform and the gateway exchange, both
ways: the payload SM4-GCM-encrypted under a key agreed from the two SM2 key
pairs, and every other member signed with the sender's SM2 key. The format is
specified in docs/gateway.md ("The envelope"); docs/gateway-test-vectors.json
is a worked example (services/gateway/vectors.py writes it).

Opening checks the signature, then decrypts. Freshness (timestamp window,
nonce reuse) is the caller's job: ``parse_timestamp`` reads the timestamp."""

from __future__ import annotations

import base64
import re
import secrets
from dataclasses import dataclass, replace
from datetime import datetime, timedelta, timezone

from services.gateway.gm import SM2PrivateKey, SM2PublicKey, kdf, sm4_decrypt, sm4_encrypt

VERSION = "1.0"
ENC_TYPE = "SM4"
SIGN_TYPE = "SM2"
FIELDS = ("appId", "timestamp", "nonce", "version", "encType", "signType", "encData", "signData")
_ATTRIBUTES = {  # member name -> Envelope attribute
    "appId": "app_id",
    "timestamp": "timestamp",
    "nonce": "nonce",
    "version": "version",
    "encType": "enc_type",
    "signType": "sign_type",
    "encData": "enc_data",
    "signData": "sign_data",
}
BEIJING = timezone(timedelta(hours=8))
_TIMESTAMP = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\+08:00")


class EnvelopeError(Exception):
    """``reason``: ENVELOPE_MALFORMED, ALGORITHM_UNSUPPORTED, SIGNATURE_INVALID
    or PAYLOAD_UNDECRYPTABLE."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(f"{reason}: {message}")
        self.reason = reason
        self.message = message


def _malformed(message: str) -> EnvelopeError:
    return EnvelopeError("ENVELOPE_MALFORMED", message)


def _canonical(members: dict[str, str]) -> bytes:
    """name=value pairs sorted by name, joined with '&', UTF-8. Values never
    contain '&' (refused on the way in), so the string has one reading."""
    return "&".join(f"{name}={members[name]}" for name in sorted(members)).encode()


def associated_data(app_id: str, timestamp: str, nonce: str, version: str) -> bytes:
    """SM4-GCM's AAD: the header members, canonicalised the same way."""
    return _canonical({"appId": app_id, "timestamp": timestamp, "nonce": nonce, "version": version})


def message_key(own: SM2PrivateKey, peer: SM2PublicKey, app_id: str, nonce: str, timestamp: str) -> bytes:
    """The SM4 key of one message; both ends compute the same shared secret."""
    return kdf(own.shared_secret(peer) + app_id.encode() + nonce.encode() + timestamp.encode(), 16)


def _b64decode(text: str) -> bytes:
    """Standard alphabet, padded; anything else (whitespace, URL-safe) raises."""
    return base64.b64decode(text.encode("ascii"), validate=True)


def _is_base64(text: str) -> bool:
    try:
        _b64decode(text)
    except ValueError:  # binascii.Error, or text beyond ASCII
        return False
    return True


@dataclass(frozen=True)
class Envelope:
    app_id: str
    timestamp: str
    nonce: str
    version: str
    enc_type: str
    sign_type: str
    enc_data: str
    sign_data: str

    @classmethod
    def from_json(cls, document: object) -> Envelope:
        """An envelope from a parsed JSON value: an object with exactly the
        eight string members, the two data members base64."""
        if not isinstance(document, dict):
            raise _malformed("the envelope must be a JSON object")
        unknown = sorted(str(name) for name in document if name not in _ATTRIBUTES)
        if unknown:
            raise _malformed(f"unknown member {unknown[0]!r}")
        for name in FIELDS:
            if name not in document:
                raise _malformed(f"member {name!r} is missing")
            value = document[name]
            if not isinstance(value, str):
                raise _malformed(f"member {name!r} must be a string")
            if "&" in value:
                raise _malformed(f"member {name!r} must not contain '&'")
        for name in ("encData", "signData"):
            if not _is_base64(document[name]):
                raise _malformed(f"member {name!r} is not base64")
        envelope = cls(**{_ATTRIBUTES[name]: document[name] for name in FIELDS})
        envelope._check_algorithms()
        return envelope

    def to_json(self) -> dict:
        return {name: getattr(self, attribute) for name, attribute in _ATTRIBUTES.items()}

    def canonical(self) -> bytes:
        """What signData signs: every member but signData."""
        members = self.to_json()
        del members["signData"]
        return _canonical(members)

    def _check_algorithms(self) -> None:
        if self.version != VERSION:
            raise EnvelopeError("ALGORITHM_UNSUPPORTED", f"version must be {VERSION!r}")
        if self.enc_type != ENC_TYPE:
            raise EnvelopeError("ALGORITHM_UNSUPPORTED", f"encType must be {ENC_TYPE!r}")
        if self.sign_type != SIGN_TYPE:
            raise EnvelopeError("ALGORITHM_UNSUPPORTED", f"signType must be {SIGN_TYPE!r}")


def beijing_timestamp(moment: datetime) -> str:
    """ISO 8601 to the second in Beijing time, e.g. 2026-12-03T10:00:00+08:00."""
    if moment.tzinfo is None:
        raise ValueError("a naive datetime has no instant")
    return moment.astimezone(BEIJING).replace(microsecond=0).isoformat()


def parse_timestamp(text: str) -> datetime:
    if not isinstance(text, str) or not _TIMESTAMP.fullmatch(text):
        raise _malformed("timestamp must look like 2026-12-03T10:00:00+08:00")
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        raise _malformed("timestamp is not a valid date and time") from None


def new_nonce() -> str:
    return secrets.token_hex(16)


def seal(
    payload: bytes,
    *,
    app_id: str,
    own: SM2PrivateKey,
    peer: SM2PublicKey,
    timestamp: str,
    nonce: str | None = None,
    iv: bytes | None = None,
) -> Envelope:
    """The envelope carrying ``payload`` from ``own`` to ``peer``. ``iv`` is
    for test vectors only: leave it out."""
    nonce = new_nonce() if nonce is None else nonce
    parse_timestamp(timestamp)
    for name, value in (("appId", app_id), ("nonce", nonce)):
        if not value or "&" in value:
            raise _malformed(f"{name} must be non-empty and must not contain '&'")
    key = message_key(own, peer, app_id, nonce, timestamp)
    data = sm4_encrypt(key, payload, associated_data(app_id, timestamp, nonce, VERSION), iv=iv)
    unsigned = Envelope(
        app_id, timestamp, nonce, VERSION, ENC_TYPE, SIGN_TYPE, base64.b64encode(data).decode(), ""
    )
    signature = own.sign(unsigned.canonical())
    return replace(unsigned, sign_data=base64.b64encode(signature).decode())


def open_envelope(envelope: Envelope, *, own: SM2PrivateKey, peer: SM2PublicKey) -> bytes:
    """The payload, once the signature is ``peer``'s and the data decrypts."""
    envelope._check_algorithms()
    try:
        signature = _b64decode(envelope.sign_data)
    except ValueError:
        signature = b""
    if not peer.verify(envelope.canonical(), signature):
        raise EnvelopeError("SIGNATURE_INVALID", "signData is not the sender's signature of this envelope")
    e = envelope
    try:
        data = _b64decode(e.enc_data)
        key = message_key(own, peer, e.app_id, e.nonce, e.timestamp)
        return sm4_decrypt(key, data, associated_data(e.app_id, e.timestamp, e.nonce, e.version))
    except ValueError:  # bad base64, or the tag does not authenticate
        raise EnvelopeError("PAYLOAD_UNDECRYPTABLE", "encData does not decrypt with the agreed key") from None
