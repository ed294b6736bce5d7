"""Writes docs/gateway-test-vectors.json, a sealed request with every
intermediate value, for developers of platform clients in other languages:
``python -m services.gateway.vectors [path]``.

Everything is fixed, the SM4 IV included, except the SM2 signature, which is
randomised: a signData already in the file is kept while it still verifies, so
regenerating an up-to-date file changes nothing."""

from __future__ import annotations

import base64
import json
import sys
from dataclasses import replace
from pathlib import Path

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from services.gateway.envelope import associated_data, message_key, seal
from services.gateway.gm import DEFAULT_USER_ID, SM2PrivateKey, sm3

PATH = Path(__file__).resolve().parents[2] / "docs" / "gateway-test-vectors.json"

APP_ID = "gx-platform-1"
TIMESTAMP = "2026-12-03T10:00:00+08:00"
NONCE = "9f2b6c1d4e8a47b0a3c5d7e9f1026b48"
IV = bytes.fromhex("a1b2c3d4e5f60718293a4b5c")
PAYLOAD = {  # a RegisterPerson request, as POST /api/v1/RegisterPerson carries it
    "idNumber": "450102199001011231",
    "name": "张三",
    "insuranceType": "INSURANCE_TYPE_EMPLOYEE",
    "insuredRegion": "450102",
}

# GB/T 32918 / GM/T 0003 example on the recommended curve, id 1234567812345678.
SM2_KEY = "3945208f7b2144b13f36e38ac6d39f95889393692860b51a42fb81ef4df7c5b8"
SM2_K = "59276e27d506861a16680f3ad9c02dccef3cc1fa3cdbe4ce6d54b80deac1bc21"
SM2_MESSAGE = "message digest"


def test_key(label: str) -> SM2PrivateKey:
    """A key anyone can re-derive: the SM3 hash of a label."""
    return SM2PrivateKey.from_hex(sm3(label.encode()).hex())


PLATFORM = test_key("yibao-wallet gateway test vector: platform key")
SERVICE = test_key("yibao-wallet gateway test vector: service key")


def payload_bytes() -> bytes:
    return json.dumps(PAYLOAD, ensure_ascii=False, separators=(",", ":")).encode()


def _standard() -> dict:
    key = bytes.fromhex("0123456789abcdeffedcba9876543210")
    encryptor = Cipher(algorithms.SM4(key), modes.ECB()).encryptor()
    signer = SM2PrivateKey.from_hex(SM2_KEY)
    signature = signer._sign_with(int(SM2_K, 16), SM2_MESSAGE.encode(), DEFAULT_USER_ID)
    assert signature is not None
    return {
        "sm3": [
            {"message": "abc", "digest": sm3(b"abc").hex()},
            {"message": "abcd" * 16, "digest": sm3(b"abcd" * 16).hex()},
        ],
        "sm4": {
            "mode": "ECB, one block",
            "key": key.hex(),
            "plaintext": key.hex(),
            "ciphertext": (encryptor.update(key) + encryptor.finalize()).hex(),
        },
        "sm2": {
            "privateKey": SM2_KEY,
            "publicKey": signer.public_key().to_hex(),
            "userId": DEFAULT_USER_ID.decode(),
            "message": SM2_MESSAGE,
            "z": signer.public_key().z_value().hex(),
            "e": sm3(signer.public_key().z_value() + SM2_MESSAGE.encode()).hex(),
            "k": SM2_K,
            "r": signature[:32].hex(),
            "s": signature[32:].hex(),
        },
    }


def _previous_signature(previous: dict | None) -> str | None:
    try:
        text = previous["request"]["envelope"]["signData"]  # type: ignore[index]
        base64.b64decode(text, validate=True)
        return str(text)
    except (TypeError, KeyError, ValueError):
        return None


def build(previous: dict | None = None) -> dict:
    """The vectors; ``previous`` (the file as it was) lends its signData."""
    payload = payload_bytes()
    envelope = seal(
        payload,
        app_id=APP_ID,
        own=PLATFORM,
        peer=SERVICE.public_key(),
        timestamp=TIMESTAMP,
        nonce=NONCE,
        iv=IV,
    )
    kept = _previous_signature(previous)
    if kept and PLATFORM.public_key().verify(envelope.canonical(), base64.b64decode(kept)):
        envelope = replace(envelope, sign_data=kept)
    shared = PLATFORM.shared_secret(SERVICE.public_key())
    data = base64.b64decode(envelope.enc_data)
    return {
        "about": "yibao-wallet gateway envelope test vectors; docs/gateway.md explains each step",
        "curve": "SM2 recommended curve (GB/T 32918.5)",
        "userId": DEFAULT_USER_ID.decode(),
        "platform": {"privateKey": PLATFORM.to_hex(), "publicKey": PLATFORM.public_key().to_hex()},
        "service": {"privateKey": SERVICE.to_hex(), "publicKey": SERVICE.public_key().to_hex()},
        "request": {
            "sender": "platform",
            "receiver": "service",
            "payload": payload.decode(),
            "payloadHex": payload.hex(),
            "appId": APP_ID,
            "timestamp": TIMESTAMP,
            "nonce": NONCE,
            "sharedSecret": shared.hex(),
            "kdfInputHex": (shared + APP_ID.encode() + NONCE.encode() + TIMESTAMP.encode()).hex(),
            "sm4Key": message_key(PLATFORM, SERVICE.public_key(), APP_ID, NONCE, TIMESTAMP).hex(),
            "iv": IV.hex(),
            "aad": associated_data(APP_ID, TIMESTAMP, NONCE, envelope.version).decode(),
            "ciphertextHex": data[len(IV) : -16].hex(),
            "tag": data[-16:].hex(),
            "canonical": envelope.canonical().decode(),
            "signerZ": PLATFORM.public_key().z_value().hex(),
            "envelope": envelope.to_json(),
        },
        "standard": _standard(),
    }


def render(vectors: dict) -> str:
    return json.dumps(vectors, ensure_ascii=False, indent=2) + "\n"


def main(argv: list[str]) -> None:
    path = Path(argv[0]) if argv else PATH
    previous = json.loads(path.read_text(encoding="utf-8")) if path.exists() else None
    path.write_text(render(build(previous)), encoding="utf-8")
    print(f"wrote {path}")


if __name__ == "__main__":
    main(sys.argv[1:])
