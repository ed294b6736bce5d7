"""R20 with asymmetric keys: each issuer signs with its own key, the services
verify with the published ones, a key signs only the roles it is published
for, and keys rotate without a restart."""

from __future__ import annotations

import json
import os
from datetime import timedelta
from pathlib import Path

import jwt
import pytest

from services.kernel import token_keys
from services.kernel.auth import Principal, Role, TokenAuthority
from services.kernel.errors import DomainError

ADMIN = Principal("ops-1", Role.ADMIN)
SERVICE = Principal("transfer", Role.SERVICE)


def authority(jwks: Path, clock, *held: Path) -> TokenAuthority:
    keys = {p.stem: p.read_bytes() for p in held}
    return TokenAuthority(
        "ES256", None, "", clock=clock, keys=token_keys.KeySet(str(jwks)), signing_keys=keys
    )


def publish(jwks: Path, *keys: tuple) -> None:
    """Writes the JWKS — (kid, private key, roles[, province]) each — and moves
    its modification time on so a reader sees the change at once."""
    jwks.write_text(json.dumps({"keys": [token_keys.jwk_of(pem, kid, *rest) for kid, pem, *rest in keys]}))
    stat = jwks.stat()
    os.utime(jwks, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))


def refused(authority: TokenAuthority, token: str) -> str:
    with pytest.raises(DomainError) as raised:
        authority.verify(token)
    assert raised.value.reason == "TOKEN_INVALID"
    return raised.value.message


@pytest.fixture(autouse=True)
def no_reload_delay(monkeypatch):
    monkeypatch.setattr(token_keys, "RELOAD_SECONDS", 0.0)


def test_a_service_holding_only_its_key_cannot_mint_an_administrator_token(tmp_path, clock):
    jwks = token_keys.write_dev_keys(tmp_path)
    service = authority(jwks, clock, tmp_path / "service-1.pem")
    assert service.verify(service.mint(SERVICE, clock.now())).role is Role.SERVICE
    with pytest.raises(RuntimeError, match="no key held here may sign admin tokens"):
        service.mint(ADMIN, clock.now())
    # Signed by hand with the service key and the admin role: refused by every verifier.
    forged = jwt.encode(
        {
            "sub": "x",
            "role": "admin",
            "iss": "yibao",
            "aud": "yibao-wallet",
            "iat": int(clock.now().timestamp()),
            "exp": int((clock.now() + timedelta(minutes=5)).timestamp()),
        },
        (tmp_path / "service-1.pem").read_bytes(),
        algorithm="ES256",
        headers={"kid": "service-1"},
    )
    assert "may not sign admin tokens" in refused(service, forged)
    admin = authority(jwks, clock, tmp_path / "admin-1.pem")
    assert service.verify(admin.mint(ADMIN, clock.now())).role is Role.ADMIN


def test_keys_rotate_without_a_restart(tmp_path, clock):
    old, new = token_keys.new_private_key(), token_keys.new_private_key()
    (tmp_path / "admin-1.pem").write_bytes(old)
    (tmp_path / "admin-2.pem").write_bytes(new)
    jwks = tmp_path / "jwks.json"
    publish(jwks, ("admin-1", old, ("admin",)))
    verifier = authority(jwks, clock)
    signed_old = authority(jwks, clock, tmp_path / "admin-1.pem").mint(ADMIN, clock.now())
    assert verifier.verify(signed_old).role is Role.ADMIN

    publish(jwks, ("admin-1", old, ("admin",)), ("admin-2", new, ("admin",)))  # both valid
    minter = authority(jwks, clock, tmp_path / "admin-1.pem", tmp_path / "admin-2.pem")
    signed_new = minter.mint(ADMIN, clock.now())
    assert jwt.get_unverified_header(signed_new)["kid"] == "admin-2"  # the newest signs
    assert verifier.verify(signed_new).role is Role.ADMIN and verifier.verify(signed_old).role is Role.ADMIN

    publish(jwks, ("admin-2", new, ("admin",)))  # the old key withdrawn: its tokens go with it
    assert "not published" in refused(verifier, signed_old)
    assert verifier.verify(signed_new).role is Role.ADMIN


def test_a_token_of_an_unknown_key_or_without_one_is_refused(tmp_path, clock):
    jwks = token_keys.write_dev_keys(tmp_path / "ours")
    stranger = token_keys.write_dev_keys(tmp_path / "theirs")
    verifier = authority(jwks, clock)
    theirs = authority(stranger, clock, tmp_path / "theirs" / "admin-1.pem").mint(ADMIN, clock.now())
    assert refused(verifier, theirs)  # same kid, another key: the signature fails
    hs256 = TokenAuthority("HS256", "k" * 40, "k" * 40, clock=clock).mint(ADMIN, clock.now())
    assert "not published" in refused(verifier, hs256)


def test_a_platforms_key_signs_for_its_own_province_only(tmp_path, clock):
    gx = token_keys.new_private_key()
    (tmp_path / "province-450000.pem").write_bytes(gx)
    jwks = tmp_path / "jwks.json"
    publish(jwks, ("province-450000", gx, ("province",), "450000"))
    platform = authority(jwks, clock, tmp_path / "province-450000.pem")
    own = platform.mint(Principal("gx", Role.PROVINCE, province="450000"), clock.now())
    assert platform.verify(own).province == "450000"
    other = platform.mint(Principal("gx", Role.PROVINCE, province="110000"), clock.now())
    assert "signs for province 450000 only" in refused(platform, other)
