"""Callers and their roles (SPEC R20): bearer JWTs minted and verified here.

A token names a role and the scope the role acts within: a citizen's person
id, a provincial platform's province code, an institution's code, a
service's name. Which roles may call which RPC is declared by each service
(``Access``); whether a caller may touch a given record is a use-case rule.
"""

from __future__ import annotations

import contextvars
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum
from pathlib import Path

import jwt

from services.kernel.clock import Clock, SystemClock
from services.kernel.errors import DomainError, Reason, permission_denied, unauthenticated
from services.kernel.token_keys import KeySet, private_keys

LEEWAY_SECONDS = 30  # clock skew between the minting and the verifying host
MAX_LIFETIME = timedelta(hours=24)  # exp - iat of a bearer token, unless configured otherwise
VERIFIED_CACHE_SIZE = 10_000  # tokens whose signature was checked, kept for their lifetime


class Role(Enum):
    CITIZEN = "citizen"
    PROVINCE = "province"
    INSTITUTION = "institution"
    ADMIN = "admin"
    SERVICE = "service"


@dataclass(frozen=True)
class Principal:
    subject: str
    role: Role
    # Scope: the one that the role needs is set.
    person_id: str = ""
    province: str = ""
    institution: str = ""


ANONYMOUS = None  # a call without a token, allowed only on public methods


@dataclass(frozen=True)
class Access:
    """Who may call a method: anyone (public) or the listed roles."""

    roles: frozenset[Role]
    public: bool = False

    @classmethod
    def anyone(cls) -> Access:
        return cls(frozenset(Role), public=True)

    @classmethod
    def only(cls, *roles: Role) -> Access:
        return cls(frozenset(roles))


_current: contextvars.ContextVar[Principal | None] = contextvars.ContextVar("principal", default=None)


def current_principal() -> Principal:
    """The caller of the RPC being handled, as the interceptor authenticated
    it; none for an anonymous call (public methods), which may not use this."""
    principal = _current.get()
    if principal is None:  # outside an authenticated call: nobody to act for
        raise unauthenticated(Reason.TOKEN_MISSING, "this method needs a bearer token")
    return principal


def set_current_principal(principal: Principal | None) -> contextvars.Token:
    return _current.set(principal)


def reset_current_principal(token: contextvars.Token) -> None:
    _current.reset(token)


_SCOPE_CLAIM = {Role.CITIZEN: "person_id", Role.PROVINCE: "province", Role.INSTITUTION: "institution"}


class TokenAuthority:
    """Mints and verifies bearer tokens: with the published keys of each
    issuer (a JWKS, ``keys``; services/kernel/token_keys.py) and the private
    keys this process holds (``signing_keys``, by kid), or, without a JWKS,
    with one configured key (HS256 shared, or one RS256/ES256 pair)."""

    def __init__(
        self,
        algorithm: str,
        signing_key: str | None,
        verify_key: str,
        issuer: str = "yibao",
        audience: str = "yibao-wallet",
        clock: Clock | None = None,
        max_lifetime: timedelta = MAX_LIFETIME,
        keys: KeySet | None = None,
        signing_keys: dict[str, bytes] | None = None,
    ) -> None:
        self._keys, self._signing_keys, self._keys_version = keys, signing_keys or {}, 0
        self._clock = clock or SystemClock()
        self._max_lifetime = max_lifetime.total_seconds()
        self._algorithm = algorithm
        self._signing_key = signing_key
        self._verify_key = verify_key
        self._issuer = issuer
        self._audience = audience
        self._verified: dict[str, tuple[Principal, float]] = {}

    @classmethod
    def from_settings(
        cls, settings, clock: Clock | None = None
    ) -> TokenAuthority:  # settings: kernel.config.Settings
        signing = settings.jwt_signing_key.get_secret_value()
        verify = settings.jwt_verify_key.get_secret_value() if settings.jwt_verify_key else signing
        held = private_keys(settings.jwt_keys_dir) if settings.jwt_keys_dir else {}
        if settings.jwt_signing_key_file:
            held[Path(settings.jwt_signing_key_file).stem] = Path(settings.jwt_signing_key_file).read_bytes()
        return cls(
            settings.jwt_algorithm,
            signing,
            verify,
            settings.jwt_issuer,
            settings.jwt_audience,
            clock,
            timedelta(seconds=settings.jwt_max_lifetime_seconds),
            KeySet(settings.jwt_jwks_file) if settings.jwt_jwks_file else None,
            held,
        )

    def mint(self, principal: Principal, now: datetime, ttl: timedelta = timedelta(hours=1)) -> str:
        if not self._signing_key and self._keys is None:
            raise RuntimeError("no signing key configured")
        claims: dict[str, object] = {
            "sub": principal.subject,
            "role": principal.role.value,
            "iss": self._issuer,
            "aud": self._audience,
            "iat": int(now.timestamp()),
            "exp": int((now + ttl).timestamp()),
        }
        for claim in ("person_id", "province", "institution"):
            if value := getattr(principal, claim):
                claims[claim] = value
        if self._keys is not None:  # with this process's key for the role, the newest if two
            kids = [k for k in self._keys.kids_for(principal.role.value) if k in self._signing_keys]
            if not kids:
                raise RuntimeError(f"no key held here may sign {principal.role.value} tokens")
            key = self._signing_keys[kids[-1]]
            return jwt.encode(claims, key, algorithm="ES256", headers={"kid": kids[-1]})
        return jwt.encode(claims, self._signing_key or "", algorithm=self._algorithm)

    def verify(self, token: str) -> Principal:
        """The token's principal; its signature is checked once (then cached,
        boundedly), its expiry on every call."""
        if self._keys is not None and self._keys.current_version() != self._keys_version:
            self._verified.clear()  # keys were added or removed: check every token again
            self._keys_version = self._keys.current_version()
        known = self._verified.get(token)
        if known is None:
            known = self._verified[token] = self._decode(token)
            if len(self._verified) > VERIFIED_CACHE_SIZE:
                self._verified.pop(next(iter(self._verified)))
        principal, expires = known
        if expires + LEEWAY_SECONDS <= self._clock.now().timestamp():
            raise unauthenticated(Reason.TOKEN_EXPIRED, "the bearer token has expired")
        return principal

    def _decode(self, token: str) -> tuple[Principal, float]:
        key: object = self._verify_key
        algorithms, published = [self._algorithm], None
        if self._keys is not None:
            try:
                kid = jwt.get_unverified_header(token).get("kid")
            except jwt.InvalidTokenError:
                raise unauthenticated(Reason.TOKEN_INVALID, "the bearer token is not valid") from None
            if not isinstance(kid, str) or (published := self._keys.get(kid)) is None:
                raise unauthenticated(Reason.TOKEN_INVALID, "the bearer token's key is not published")
            key, algorithms = published.public_key, ["ES256"]
        try:
            claims = jwt.decode(
                token,
                key,  # type: ignore[arg-type]  # a str or a published public key
                algorithms=algorithms,
                audience=self._audience,
                issuer=self._issuer,
                # Expiry is checked below against the injected clock.
                options={"require": ["exp", "iat", "sub", "role"], "verify_exp": False, "verify_iat": False},
            )
        except jwt.InvalidTokenError:
            raise unauthenticated(Reason.TOKEN_INVALID, "the bearer token is not valid") from None
        issued, expires = claims["iat"], claims["exp"]
        if not isinstance(expires, int | float) or not isinstance(issued, int | float):
            raise unauthenticated(Reason.TOKEN_INVALID, "the bearer token's iat and exp must be times")
        # R20: a bounded lifetime, and not issued in the future.
        if issued > self._clock.now().timestamp() + LEEWAY_SECONDS:
            raise unauthenticated(Reason.TOKEN_INVALID, "the bearer token is issued in the future")
        if expires - issued > self._max_lifetime:
            raise unauthenticated(Reason.TOKEN_INVALID, "the bearer token lives longer than allowed")
        try:
            role = Role(claims["role"])
        except ValueError:
            raise unauthenticated(Reason.TOKEN_INVALID, "the bearer token names no known role") from None
        principal = Principal(
            subject=str(claims["sub"]),
            role=role,
            person_id=str(claims.get("person_id", "")),
            province=str(claims.get("province", "")),
            institution=str(claims.get("institution", "")),
        )
        if published is not None and role.value not in published.roles:
            raise unauthenticated(
                Reason.TOKEN_INVALID, f"key {published.kid} may not sign {role.value} tokens"
            )
        if published is not None and published.province and claims.get("province") != published.province:
            raise unauthenticated(
                Reason.TOKEN_INVALID, f"key {published.kid} signs for province {published.province} only"
            )
        scope = _SCOPE_CLAIM.get(role)
        if scope and not getattr(principal, scope):
            raise unauthenticated(Reason.TOKEN_INVALID, f"a {role.value} token must carry {scope}")
        return principal, float(claims["exp"])

    def authenticate(self, authorization: str | None, access: Access) -> Principal | None:
        """The caller of a method, from its `authorization` metadata value."""
        if not authorization:
            if access.public:
                return ANONYMOUS
            raise unauthenticated(Reason.TOKEN_MISSING, "this method needs a bearer token")
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token:
            raise unauthenticated(Reason.TOKEN_INVALID, "authorization must be 'Bearer <token>'")
        principal = self.verify(token.strip())
        if not access.public and principal.role not in access.roles:
            raise not_for_role(principal, access.roles)
        return principal


def not_for_role(caller: Principal, roles) -> DomainError:
    """PERMISSION_DENIED naming the roles that may call, and the caller's."""
    allowed = ",".join(sorted(r.value for r in roles))
    return permission_denied(
        f"this is for the role(s) {allowed}, not {caller.role.value}",
        roles=allowed,
        caller_role=caller.role.value,
    )
