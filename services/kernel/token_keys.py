"""Asymmetric token keys (R20): each issuer signs with its own ES256 key, and
the services verify with the published public keys — a JWKS file whose keys
also say which roles they may sign for. A service holds only its own key, so
it cannot mint a province's or an administrator's token. The file is read
again when it changes: a new key is added beside the old one (both valid),
and the old one removed once its tokens have expired — rotation without a
restart.

``write_dev_keys`` makes a development set (one key per issuer) for
``make run`` and ``make up``."""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from jwt.algorithms import ECAlgorithm

ROLES_MEMBER = "yibao_roles"  # the roles a key may sign for, a member of its JWK
PROVINCE_MEMBER = "yibao_province"  # a platform's key: the one province its tokens may name
RELOAD_SECONDS = 1.0  # how often the JWKS file is checked for a change
# The development issuers: each signs the role of its name (kid "<issuer>-1"),
# but the gateway, which signs for the platforms it verified and for itself.
DEV_ISSUERS = ("admin", "province", "institution", "citizen", "service", "gateway")
DEV_ROLES = {"gateway": ("province", "service")}


@dataclass(frozen=True)
class PublishedKey:
    kid: str
    public_key: object  # cryptography's EllipticCurvePublicKey
    roles: frozenset[str]
    province: str = ""  # when set, the only province its tokens may name


class KeySet:
    """The JWKS file's keys by kid, re-read when the file changes."""

    def __init__(self, path: str) -> None:
        self._path = path
        self._keys: dict[str, PublishedKey] = {}
        self._mtime: int | None = None
        self._checked = 0.0
        self.version = 0  # moves whenever the keys were read again
        self._refresh()  # a missing or unreadable file stops the process at start, not a call later

    def current_version(self) -> int:
        self._refresh()
        return self.version

    def get(self, kid: str) -> PublishedKey | None:
        self._refresh()
        return self._keys.get(kid)

    def kids_for(self, role: str) -> list[str]:
        self._refresh()
        return sorted(k.kid for k in self._keys.values() if role in k.roles)

    def _refresh(self) -> None:
        now = time.monotonic()
        if self._mtime is not None and now - self._checked < RELOAD_SECONDS:
            return
        self._checked = now
        mtime = os.stat(self._path).st_mtime_ns
        if mtime == self._mtime:
            return
        document = json.loads(Path(self._path).read_text(encoding="utf-8"))
        self._keys = {
            jwk["kid"]: PublishedKey(
                jwk["kid"],
                ECAlgorithm.from_jwk(jwk),
                frozenset(jwk.get(ROLES_MEMBER, ())),
                jwk.get(PROVINCE_MEMBER, ""),
            )
            for jwk in document["keys"]
        }
        self._mtime, self.version = mtime, self.version + 1


def private_keys(directory: str) -> dict[str, bytes]:
    """The PEM private keys of a directory, by kid (the file name without .pem)."""
    return {p.stem: p.read_bytes() for p in sorted(Path(directory).glob("*.pem"))}


def jwk_of(private_pem: bytes, kid: str, roles: tuple[str, ...], province: str = "") -> dict:
    """The public JWK of a private key, with its kid, the roles it may sign
    for and, for a platform's key, its province."""
    key = serialization.load_pem_private_key(private_pem, password=None)
    jwk = json.loads(ECAlgorithm.to_jwk(key.public_key()))  # type: ignore[arg-type]
    jwk |= {"kid": kid, "use": "sig", "alg": "ES256", ROLES_MEMBER: list(roles)}
    return jwk | ({PROVINCE_MEMBER: province} if province else {})


def new_private_key() -> bytes:
    return ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def write_dev_keys(directory: Path) -> Path:
    """A development key set in ``directory`` — ``<issuer>-1.pem`` for each
    issuer and ``jwks.json`` publishing them — kept when already there.
    Returns the JWKS file; an issuer missing from a set made before is added."""
    jwks = directory / "jwks.json"
    if jwks.exists() and all((directory / f"{issuer}-1.pem").exists() for issuer in DEV_ISSUERS):
        return jwks
    directory.mkdir(parents=True, exist_ok=True)
    keys = json.loads(jwks.read_text(encoding="utf-8"))["keys"] if jwks.exists() else []
    for issuer in DEV_ISSUERS:
        if (directory / f"{issuer}-1.pem").exists():
            continue
        pem = new_private_key()
        (directory / f"{issuer}-1.pem").write_bytes(pem)
        keys.append(jwk_of(pem, f"{issuer}-1", DEV_ROLES.get(issuer, (issuer,))))
    jwks.write_text(json.dumps({"keys": keys}, indent=2) + "\n", encoding="utf-8")
    return jwks
