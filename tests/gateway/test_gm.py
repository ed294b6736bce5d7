"""The 国密 primitives against the standards' published vectors, and SM2
against an independent implementation (tongsuopy: Tongsuo, in C)."""

from __future__ import annotations

import secrets

import pytest
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature, encode_dss_signature
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from pysmx.SM3 import KDF as reference_kdf
from tongsuopy.crypto import hashes as ts_hashes
from tongsuopy.crypto.asymciphers import ec as ts_ec
from tongsuopy.crypto.exceptions import InvalidSignature

from services.gateway.gm import (
    DEFAULT_USER_ID,
    SM2PrivateKey,
    SM2PublicKey,
    kdf,
    sm3,
    sm4_decrypt,
    sm4_encrypt,
)

N = 0xFFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFF7203DF6B21C6052B53BBF40939D54123

# GB/T 32918 / GM/T 0003.5 example on the recommended curve, user id
# 1234567812345678 (snowland-smx pins the same numbers in its own tests).
STD_KEY = "3945208F7B2144B13F36E38AC6D39F95889393692860B51A42FB81EF4DF7C5B8"
STD_PUBLIC = (
    "04"
    "09F9DF311E5421A150DD7D161E4BC5C672179FAD1833FC076BB08FF356F35020"
    "CCEA490CE26775A52DC6EA718CC1AA600AED05FBF35E084A6632F6072DA9AD13"
)
STD_Z = "B2E14C5C79C6DF5B85F4FE7ED8DB7A262B9DA7E07CCB0EA9F4747B8CCDA8A4F3"
STD_K = 0x59276E27D506861A16680F3AD9C02DCCEF3CC1FA3CDBE4CE6D54B80DEAC1BC21
STD_R = "F5A03B0648D2C4630EEAC513E1BB81A15944DA3827D5B74143AC7EACEEE720B3"
STD_S = "B1B6AA29DF212FD8763182BC0D421CA1BB9038FD1F7F42D4840B69C485BBC1AA"


# --- SM3, KDF, SM4 -------------------------------------------------------


@pytest.mark.parametrize(
    ("message", "digest"),
    [
        (b"abc", "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"),
        (b"abcd" * 16, "debe9ff92275b8a138604889c18e5a4d6fdb70e5387e5765293dcba39c0c5732"),
    ],
)
def test_sm3_matches_gb_t_32905(message, digest):
    assert sm3(message).hex() == digest


def test_sm4_matches_gb_t_32907():
    key = bytes.fromhex("0123456789abcdeffedcba9876543210")
    encryptor = Cipher(algorithms.SM4(key), modes.ECB()).encryptor()
    assert (encryptor.update(key) + encryptor.finalize()).hex() == "681edf34d206965e86b3e94f536e4246"


@pytest.mark.parametrize("length", [0, 1, 16, 31, 32, 33, 64, 100])
def test_kdf_matches_an_independent_implementation(length):
    secret = secrets.token_bytes(45)
    ours = kdf(secret, length)
    assert len(ours) == length
    if length:
        assert ours.hex() == reference_kdf(secret.hex(), length)


def test_kdf_counts_from_one_big_endian():
    secret = b"\x01\x02"
    assert kdf(secret, 40) == (sm3(secret + b"\0\0\0\x01") + sm3(secret + b"\0\0\0\x02"))[:40]


def test_sm4_gcm_round_trip_and_layout():
    key, aad = secrets.token_bytes(16), b"appId=a&nonce=n"
    sealed = sm4_encrypt(key, b"payload", aad)
    assert len(sealed) == 12 + len(b"payload") + 16
    assert sm4_decrypt(key, sealed, aad) == b"payload"
    assert sm4_encrypt(key, b"payload", aad)[:12] != sealed[:12]  # a fresh IV each time


def test_sm4_gcm_is_standard_gcm_with_the_iv_in_front():
    key, iv, aad = secrets.token_bytes(16), secrets.token_bytes(12), b"header"
    sealed = sm4_encrypt(key, b"x" * 40, aad, iv=iv)
    decryptor = Cipher(algorithms.SM4(key), modes.GCM(iv, sealed[-16:])).decryptor()
    decryptor.authenticate_additional_data(aad)
    assert decryptor.update(sealed[12:-16]) + decryptor.finalize() == b"x" * 40


@pytest.mark.parametrize("where", ["iv", "body", "tag", "aad", "key", "short"])
def test_sm4_gcm_refuses_what_does_not_authenticate(where):
    key, aad = secrets.token_bytes(16), b"header"
    sealed = bytearray(sm4_encrypt(key, b"payload", aad))
    position = {"iv": 0, "body": 13, "tag": len(sealed) - 1}
    if where in position:
        sealed[position[where]] ^= 1
    elif where == "aad":
        aad = b"headex"
    elif where == "key":
        key = secrets.token_bytes(16)
    else:
        sealed = sealed[:27]
    with pytest.raises(ValueError):
        sm4_decrypt(key, bytes(sealed), aad)


# --- SM2: the standard's example ------------------------------------------


def test_sm2_public_key_and_z_value_of_the_standard_example():
    public = SM2PrivateKey.from_hex(STD_KEY).public_key()
    assert public.to_hex() == STD_PUBLIC.lower()
    assert public.z_value(DEFAULT_USER_ID).hex() == STD_Z.lower()


def test_sm2_signature_of_the_standard_example():
    signature = SM2PrivateKey.from_hex(STD_KEY)._sign_with(STD_K, b"message digest", DEFAULT_USER_ID)
    assert signature == bytes.fromhex(STD_R + STD_S)


def test_sm2_verifies_the_standard_example():
    public = SM2PublicKey.from_hex(STD_PUBLIC)
    signature = bytes.fromhex(STD_R + STD_S)
    assert public.verify(b"message digest", signature)
    assert not public.verify(b"message digesT", signature)
    assert not public.verify(b"message digest", signature, user_id=b"ALICE123@YAHOO.COM")


# --- SM2: keys, signatures, ECDH ------------------------------------------


def test_sm2_sign_is_randomised_and_verifies():
    key = SM2PrivateKey.generate()
    first, second = key.sign(b"m"), key.sign(b"m")
    assert len(first) == 64 and first != second
    assert key.public_key().verify(b"m", first) and key.public_key().verify(b"m", second)


def test_sm2_a_signature_is_bound_to_key_message_and_user_id():
    key = SM2PrivateKey.generate()
    signature = key.sign(b"m", user_id=b"platform-7")
    assert key.public_key().verify(b"m", signature, user_id=b"platform-7")
    assert not key.public_key().verify(b"m", signature)
    assert not key.public_key().verify(b"n", signature, user_id=b"platform-7")
    assert not SM2PrivateKey.generate().public_key().verify(b"m", signature, user_id=b"platform-7")


@pytest.mark.parametrize(
    "signature",
    [
        b"",
        b"\0" * 64,
        b"\xff" * 64,
        (N).to_bytes(32, "big") + (1).to_bytes(32, "big"),
        (1).to_bytes(32, "big") + (N).to_bytes(32, "big"),
        bytes.fromhex(STD_R + STD_S) + b"\0",
        bytes.fromhex(STD_R + STD_S)[:63],
        "not bytes",
    ],
)
def test_sm2_verify_says_false_to_garbage(signature):
    assert SM2PublicKey.from_hex(STD_PUBLIC).verify(b"message digest", signature) is False


def test_sm2_keys_round_trip_through_hex():
    key = SM2PrivateKey.generate()
    assert SM2PrivateKey.from_hex(key.to_hex()) == key
    assert SM2PublicKey.from_hex(key.public_key().to_hex()) == key.public_key()
    assert key.to_hex() not in repr(key)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "00" * 32,
        f"{N - 1:064x}",
        f"{N:064x}",
        "ff" * 32,
        "0" * 63,
        "0" * 65,
        " " + "1" * 63,
        "1" * 62 + "_1",
        "g" * 64,
    ],
)
def test_sm2_private_key_out_of_range_is_refused(text):
    with pytest.raises(ValueError):
        SM2PrivateKey.from_hex(text)


def test_sm2_public_key_off_the_curve_is_refused():
    good = SM2PrivateKey.generate().public_key().to_hex()
    off = good[:-1] + ("0" if good[-1] != "0" else "1")
    field_p = "fffffffeffffffffffffffffffffffffffffffff00000000ffffffffffffffff"
    for text in [off, "02" + good[2:], good[:-2], good + "00", "04" + "00" * 64, "04" + field_p + good[66:]]:
        with pytest.raises(ValueError):
            SM2PublicKey.from_hex(text)


def test_ecdh_agrees_both_ways():
    a, b = SM2PrivateKey.generate(), SM2PrivateKey.generate()
    secret = a.shared_secret(b.public_key())
    assert len(secret) == 32
    assert secret == b.shared_secret(a.public_key())
    assert secret != a.shared_secret(SM2PrivateKey.generate().public_key())


# --- SM2 against Tongsuo ---------------------------------------------------


def _tongsuo_private(key: SM2PrivateKey) -> ts_ec.EllipticCurvePrivateKey:
    return ts_ec.derive_private_key(int(key.to_hex(), 16), ts_ec.SM2())


def _der(signature: bytes) -> bytes:
    return encode_dss_signature(int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big"))


def _tongsuo_public_hex(key: ts_ec.EllipticCurvePrivateKey) -> str:
    numbers = key.public_key().public_numbers()
    return f"04{numbers.x:064x}{numbers.y:064x}"


@pytest.mark.parametrize("size", [0, 1, 33, 1000])
def test_our_signatures_verify_with_tongsuo(size):
    for _ in range(3):
        key, message = SM2PrivateKey.generate(), secrets.token_bytes(size)
        signature = key.sign(message)
        der = _der(signature)
        _tongsuo_private(key).public_key().verify(der, message, ts_ec.ECDSA(ts_hashes.SM3()))
        with pytest.raises(InvalidSignature):
            _tongsuo_private(key).public_key().verify(der, message + b"!", ts_ec.ECDSA(ts_hashes.SM3()))


@pytest.mark.parametrize("size", [0, 1, 33, 1000])
def test_tongsuo_signatures_verify_with_ours(size):
    for _ in range(3):
        theirs = ts_ec.generate_private_key(ts_ec.SM2())
        message = secrets.token_bytes(size)
        r, s = decode_dss_signature(theirs.sign(message, ts_ec.ECDSA(ts_hashes.SM3())))
        public = SM2PublicKey.from_hex(_tongsuo_public_hex(theirs))
        assert public.verify(message, r.to_bytes(32, "big") + s.to_bytes(32, "big"))
        assert not public.verify(message + b"!", r.to_bytes(32, "big") + s.to_bytes(32, "big"))


def test_public_keys_agree_with_tongsuo():
    for _ in range(5):
        key = SM2PrivateKey.generate()
        assert key.public_key().to_hex() == _tongsuo_public_hex(_tongsuo_private(key))


def test_ecdh_agrees_with_tongsuo():
    # Tongsuo does no ECDH on SM2 keys, but x(a·bG) = x((ab mod n)·G) is a
    # product it can compute independently.
    for _ in range(5):
        a, b = SM2PrivateKey.generate(), SM2PrivateKey.generate()
        product = int(a.to_hex(), 16) * int(b.to_hex(), 16) % N
        expected = _tongsuo_public_hex(ts_ec.derive_private_key(product, ts_ec.SM2()))[2:66]
        assert a.shared_secret(b.public_key()).hex() == expected
        assert b.shared_secret(a.public_key()).hex() == expected
