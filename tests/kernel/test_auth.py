"""Bearer tokens and role checks (R20), without a server."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import jwt
import pytest

from services.kernel.auth import Access, Principal, Role, TokenAuthority
from services.kernel.config import DEV_JWT_KEY, Settings
from services.kernel.errors import DomainError, ErrorKind
from tests.conftest import TEST_KEY


def test_r20_token_round_trip_keeps_role_and_scope(tokens, clock):
    principal = Principal("gx-platform", Role.PROVINCE, province="450000")
    assert tokens.verify(tokens.mint(principal, clock.now())) == principal


@pytest.mark.parametrize(
    "claims,reason",
    [
        ({"aud": "someone-else"}, "TOKEN_INVALID"),
        ({"iss": "not-us"}, "TOKEN_INVALID"),
        ({"role": "superuser"}, "TOKEN_INVALID"),
        ({"role": "institution"}, "TOKEN_INVALID"),  # no institution code
        ({"iat": None}, "TOKEN_INVALID"),  # iat is required
        ({"exp": None}, "TOKEN_INVALID"),  # exp too
        ({"exp": 4102444800}, "TOKEN_INVALID"),  # a lifetime of decades
        ({"iat": 4102444800 - 600, "exp": 4102444800}, "TOKEN_INVALID"),  # issued in the future
    ],
)
def test_r20_foreign_or_incomplete_tokens_are_refused(tokens, clock, claims, reason):
    base = {
        "sub": "x",
        "role": "admin",
        "iss": "yibao",
        "aud": "yibao-wallet",
        "iat": int(clock.now().timestamp()),
        "exp": int(clock.now().timestamp()) + 60,
    }
    token = jwt.encode(
        {k: v for k, v in {**base, **claims}.items() if v is not None}, TEST_KEY, algorithm="HS256"
    )
    with pytest.raises(DomainError) as raised:
        tokens.verify(token)
    assert (raised.value.kind, raised.value.reason) == (ErrorKind.UNAUTHENTICATED, reason)


def test_r20_expiry_follows_the_injected_clock(tokens, clock):
    token = tokens.mint(Principal("x", Role.ADMIN), clock.now(), ttl=timedelta(minutes=5))
    clock.advance(minutes=5, seconds=29)  # within the leeway
    assert tokens.verify(token).role is Role.ADMIN
    clock.advance(seconds=2)
    with pytest.raises(DomainError) as raised:
        tokens.verify(token)
    assert raised.value.reason == "TOKEN_EXPIRED"


def test_r20_unsigned_tokens_are_refused(tokens, clock):
    token = jwt.encode(
        {"sub": "x", "role": "admin", "aud": "yibao-wallet", "iss": "yibao", "exp": 4102444800},
        None,
        algorithm="none",
    )
    with pytest.raises(DomainError):
        tokens.verify(token)


def test_r20_authenticate_by_access(tokens, clock):
    admin_only = Access.only(Role.ADMIN)
    header = "Bearer " + tokens.mint(Principal("c", Role.CITIZEN, person_id="p1"), clock.now())
    assert tokens.authenticate(None, Access.anyone()) is None
    assert tokens.authenticate(header, Access.anyone()).person_id == "p1"
    with pytest.raises(DomainError) as missing:
        tokens.authenticate(None, admin_only)
    assert missing.value.reason == "TOKEN_MISSING"
    with pytest.raises(DomainError) as denied:
        tokens.authenticate(header, admin_only)
    assert denied.value.kind is ErrorKind.PERMISSION_DENIED
    # A method nobody declared is closed to everyone.
    with pytest.raises(DomainError):
        tokens.authenticate("Bearer " + tokens.mint(Principal("a", Role.ADMIN), clock.now()), Access.only())


def test_settings_from_environment(monkeypatch):
    monkeypatch.setenv("YIBAO_REGION_DATABASE_URL", "postgresql://u:p@db/region")
    monkeypatch.setenv("YIBAO_REGION_LISTEN", "0.0.0.0:6000")
    service = Settings().service("region")
    assert (service.database_url, service.listen) == ("postgresql://u:p@db/region", "0.0.0.0:6000")
    with pytest.raises(ValueError):
        Settings().service("billing")


KEYS = ("JWT_SIGNING_KEY", "ACCOUNT_ID_HASH_KEY", "FACE_TICKET_KEY", "PAGE_TOKEN_KEY")


@pytest.mark.parametrize("missing", KEYS)
def test_production_refuses_every_development_key(monkeypatch, missing):
    monkeypatch.setenv("YIBAO_ENVIRONMENT", "production")
    for name in KEYS:
        if name != missing:
            monkeypatch.setenv(f"YIBAO_{name}", f"real-secret-{name.lower()}-from-the-vault")
    with pytest.raises(ValueError, match=f"YIBAO_{missing}"):
        Settings()


def test_production_with_real_keys(monkeypatch):
    monkeypatch.setenv("YIBAO_ENVIRONMENT", "production")
    for name in KEYS:
        monkeypatch.setenv(f"YIBAO_{name}", f"real-secret-{name.lower()}-from-the-vault")
    settings = Settings()
    assert settings.jwt_signing_key.get_secret_value() != DEV_JWT_KEY
    authority = TokenAuthority.from_settings(settings)
    assert authority.verify(authority.mint(Principal("a", Role.ADMIN), datetime.now(UTC))).subject == "a"
