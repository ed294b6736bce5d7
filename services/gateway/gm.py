"""国密 primitives for the gateway: SM2 signatures and key agreement, the SM3
hash and KDF, SM4 encryption.

SM3 and SM4 come from ``cryptography`` (OpenSSL). SM4 runs in GCM: a 12-byte
random IV is prepended and the 16-byte tag appended, so a payload that was
tampered with, or opened with the wrong key, does not decrypt.

SM2 comes from snowland-smx (``pysmx``), chosen over the alternatives because
it is maintained (1.1.0, 2026), computes the Z value of GM/T 0003.2 for any
user id (``get_za``), takes the signing nonce from its caller (so ours comes
from ``secrets``; its own key generation uses ``secrets`` too) and exposes
point multiplication (``kG``), which the static ECDH of ``shared_secret``
needs. gmssl uses ``random`` for its default nonce and keeps point
multiplication private; gmssl_pyx (GmSSL) and tongsuopy (Tongsuo) expose no
ECDH on SM2 keys, and tongsuopy has had no release since 2023; Debian's
OpenSSL 3 has no Python binding here and defaults to an empty user id.
tongsuopy, an independent C implementation, is a test dependency only: the
tests check signatures and public keys against it.

pysmx is pure Python and not constant-time. Scalars are handed to it offset by
5n (same point, every value 259 bits long), so the length of its double-and-add
loop no longer reveals a nonce's leading zero bits, the leak lattice attacks
on nonces exploit; the additions still follow the bits.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass, field

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from pysmx.SM2 import Sign, Verify, get_za, kG, sm2_G, sm2_N
from pysmx.SM2._SM2 import sm2_a, sm2_b, sm2_P

DEFAULT_USER_ID = b"1234567812345678"  # GM/T 0009's default signer id

SHARED_CACHE_SIZE = 4096  # peers whose shared secret a key keeps
SM4_KEY_SIZE = 16
GCM_IV_SIZE = 12
GCM_TAG_SIZE = 16

_N: int = sm2_N
_P: int = sm2_P
_HEX = 64  # hex digits of a field element, as pysmx counts them
_OFFSET = 5 * _N  # 5n + [1, n-1] lies within [2**258, 2**259)


def _padded_scalar(k: int) -> int:
    return k + _OFFSET


_FIELD_HEX = re.compile(r"[0-9a-fA-F]{64}")


def _int_from_hex(text: str) -> int:
    if not isinstance(text, str) or not _FIELD_HEX.fullmatch(text):
        raise ValueError("expected 64 hex digits")
    return int(text, 16)


@dataclass(frozen=True)
class SM2PublicKey:
    x: int
    y: int

    def __post_init__(self) -> None:
        if not (0 <= self.x < _P and 0 <= self.y < _P):
            raise ValueError("coordinate out of the field")
        # The SM2 curve has cofactor 1: a point on it is in the signing group.
        if (self.y * self.y - (self.x**3 + sm2_a * self.x + sm2_b)) % _P != 0:
            raise ValueError("point is not on the SM2 curve")

    @classmethod
    def from_hex(cls, text: str) -> SM2PublicKey:
        """``04`` + x + y, uncompressed."""
        if not isinstance(text, str) or len(text) != 130 or text[:2] != "04":
            raise ValueError("an SM2 public key is 04 followed by 128 hex digits")
        return cls(_int_from_hex(text[2:66]), _int_from_hex(text[66:]))

    def to_hex(self) -> str:
        return "04" + self._xy()

    def _xy(self) -> str:
        return f"{self.x:064x}{self.y:064x}"

    def z_value(self, user_id: bytes = DEFAULT_USER_ID) -> bytes:
        """Z = SM3(ENTL || ID || a || b || xG || yG || x || y) of GM/T 0003.2."""
        return bytes.fromhex(get_za(user_id, self._xy(), _HEX))

    def _digest(self, message: bytes, user_id: bytes) -> int:
        """e = SM3(Z || M): what is signed."""
        return int.from_bytes(sm3(self.z_value(user_id) + message), "big")

    def verify(self, message: bytes, signature: bytes, user_id: bytes = DEFAULT_USER_ID) -> bool:
        try:
            if not isinstance(signature, bytes) or len(signature) != 64:
                return False
            r = int.from_bytes(signature[:32], "big")
            s = int.from_bytes(signature[32:], "big")
            if not (0 < r < _N and 0 < s < _N):
                return False
            e = self._digest(message, user_id)
            return bool(Verify(signature, f"{e:064x}", self._xy(), _HEX, Hexstr=1))
        except Exception:  # malformed input, or the point sum at infinity: not a signature
            return False


@dataclass(frozen=True)
class SM2PrivateKey:
    d: int = field(repr=False)
    _public: SM2PublicKey = field(init=False, repr=False, compare=False)
    # Shared secrets by peer: static, so computed once per peer key (the
    # gateway meets the same few platform keys on every request).
    _shared: dict[SM2PublicKey, bytes] = field(init=False, repr=False, compare=False, default_factory=dict)

    def __post_init__(self) -> None:
        # d = n-1 is excluded: signing needs (1 + d)^-1 mod n.
        if not isinstance(self.d, int) or not 0 < self.d < _N - 1:
            raise ValueError("private key out of range [1, n-2]")
        xy = kG(_padded_scalar(self.d), sm2_G, _HEX)
        object.__setattr__(self, "_public", SM2PublicKey(int(xy[:_HEX], 16), int(xy[_HEX:], 16)))

    @classmethod
    def generate(cls) -> SM2PrivateKey:
        return cls(secrets.randbelow(_N - 2) + 1)

    @classmethod
    def from_hex(cls, text: str) -> SM2PrivateKey:
        return cls(_int_from_hex(text))

    def to_hex(self) -> str:
        return f"{self.d:064x}"

    def public_key(self) -> SM2PublicKey:
        return self._public

    def sign(self, message: bytes, user_id: bytes = DEFAULT_USER_ID) -> bytes:
        """The 64-byte r || s, big-endian, over SM3(Z || message)."""
        while True:
            signature = self._sign_with(secrets.randbelow(_N - 1) + 1, message, user_id)
            if signature is not None:
                return signature

    def _sign_with(self, k: int, message: bytes, user_id: bytes) -> bytes | None:
        """The signature with nonce k, None when k does not give one. A fixed
        k is for the standard's known-answer test only."""
        e = f"{self._public._digest(message, user_id):064x}"
        try:
            signature = Sign(e, self.to_hex(), f"{_padded_scalar(k):x}", _HEX, Hexstr=1)
        except TypeError:  # pysmx fails this way when s == 0
            return None
        # pysmx returns None when r == 0; it sees k + 5n, so r + k == n is checked here.
        if signature is None or (int.from_bytes(signature[:32], "big") + k) % _N == 0:
            return None
        return bytes(signature)

    def shared_secret(self, peer: SM2PublicKey) -> bytes:
        """x coordinate of d * peer (static ECDH on the SM2 curve)."""
        known = self._shared.get(peer)
        if known is not None:
            return known
        point = kG(_padded_scalar(self.d), peer._xy(), _HEX)
        if point is None:
            raise ValueError("the shared point is at infinity")
        if len(self._shared) >= SHARED_CACHE_SIZE:
            self._shared.clear()
        self._shared[peer] = bytes.fromhex(point[:_HEX])
        return self._shared[peer]


def sm3(data: bytes) -> bytes:
    return hashlib.new("sm3", data).digest()


def kdf(secret: bytes, length: int) -> bytes:
    """The SM3 key derivation function of GM/T 0003.4: SM3(secret || ct) for
    ct = 1, 2, … as 32-bit big-endian, concatenated and cut to length."""
    if length < 0:
        raise ValueError("length must not be negative")
    blocks = (length + 31) // 32
    return b"".join(sm3(secret + ct.to_bytes(4, "big")) for ct in range(1, blocks + 1))[:length]


def sm4_encrypt(key: bytes, plaintext: bytes, aad: bytes, iv: bytes | None = None) -> bytes:
    """SM4-GCM: IV (12 bytes) || ciphertext || tag (16 bytes). ``iv`` is for
    test vectors only; leave it out so each message gets a random one."""
    if iv is None:
        iv = secrets.token_bytes(GCM_IV_SIZE)
    if len(key) != SM4_KEY_SIZE or len(iv) != GCM_IV_SIZE:
        raise ValueError("SM4-GCM takes a 16-byte key and a 12-byte IV")
    encryptor = Cipher(algorithms.SM4(key), modes.GCM(iv)).encryptor()
    encryptor.authenticate_additional_data(aad)
    body = encryptor.update(plaintext) + encryptor.finalize()
    return iv + body + encryptor.tag


def sm4_decrypt(key: bytes, data: bytes, aad: bytes) -> bytes:
    if len(key) != SM4_KEY_SIZE:
        raise ValueError("SM4 takes a 16-byte key")
    if len(data) < GCM_IV_SIZE + GCM_TAG_SIZE:
        raise ValueError("too short for SM4-GCM")
    iv, body, tag = data[:GCM_IV_SIZE], data[GCM_IV_SIZE:-GCM_TAG_SIZE], data[-GCM_TAG_SIZE:]
    decryptor = Cipher(algorithms.SM4(key), modes.GCM(iv, tag)).decryptor()
    decryptor.authenticate_additional_data(aad)
    try:
        return decryptor.update(body) + decryptor.finalize()
    except InvalidTag:
        raise ValueError("SM4-GCM: the data does not authenticate") from None
