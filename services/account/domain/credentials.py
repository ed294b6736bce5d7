"""Payment credentials (SPEC R9): the 6-digit 医保码 password with its
lockout, and face-verification tickets from an external provider."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import datetime, time, timedelta
from enum import Enum

import jwt

from services.account.domain.errors import (
    Cause,
    password_format,
    password_too_weak,
    verification_failed,
    verification_locked,
)
from services.kernel.clock import BEIJING, beijing

MAX_FAILURES = 5
MAX_PAYEE_MISSES = 5  # payees that did not match, per payer and Beijing day (R14)
MAX_TICKET_LIFETIME = timedelta(minutes=5)
_PASSWORD = re.compile(r"[0-9]{6}")


class Purpose(Enum):
    TRANSFER = "transfer"
    PAYMENT = "payment"
    SETTINGS = "settings"  # changing the wallet's settings, e.g. the bound mobile (R7)


def validate_new_password(password: str, field_path: str = "new_password") -> str:
    if not _PASSWORD.fullmatch(password or ""):
        raise password_format(field_path)
    digits = [int(d) for d in password]
    steps = {b - a for a, b in zip(digits, digits[1:], strict=False)}
    if len(set(digits)) == 1 or steps in ({1}, {-1}):
        raise password_too_weak(field_path)
    return password


def next_beijing_midnight(at: datetime) -> datetime:
    local = beijing(at)
    return datetime.combine(local.date() + timedelta(days=1), time(0), tzinfo=BEIJING).astimezone(at.tzinfo)


@dataclass(frozen=True)
class PasswordState:
    """A person's password hash and its lockout counter; ``updated_at`` is
    when the counter last changed."""

    password_hash: str
    failures: int = 0
    locked_until: datetime | None = None
    updated_at: datetime | None = None

    def locked_at(self, now: datetime) -> bool:
        return self.locked_until is not None and now < self.locked_until

    def require_unlocked(self, now: datetime) -> None:
        if self.locked_until is not None and now < self.locked_until:  # locked_at(now), narrowed
            raise verification_locked(beijing(self.locked_until).isoformat())

    def after_attempt(self, correct: bool, now: datetime) -> PasswordState:
        """Five wrong attempts in one Beijing day lock the password until
        00:00 Beijing the next day; a right one starts afresh, and mistakes of
        an earlier day never count (R9)."""
        if correct:
            return replace(self, failures=0, locked_until=None, updated_at=now)
        failures = (self.failures if same_beijing_day(self.updated_at, now) else 0) + 1
        locked_until = next_beijing_midnight(now) if failures >= MAX_FAILURES else None
        return replace(self, failures=failures, locked_until=locked_until, updated_at=now)

    @property
    def attempts_left(self) -> int:
        return max(MAX_FAILURES - self.failures, 0)


def same_beijing_day(earlier: datetime | None, now: datetime) -> bool:
    return earlier is not None and beijing(earlier).date() == beijing(now).date()


def payee_matches_locked(misses_today: int) -> bool:
    """Failed payee matches count per payer and Beijing day like wrong
    passwords (R14): after MAX_PAYEE_MISSES the payer is locked until 00:00."""
    return misses_today >= MAX_PAYEE_MISSES


@dataclass(frozen=True)
class FaceTicket:
    ticket_id: str
    person_id: str
    purpose: Purpose
    expires_at: datetime


TICKET_LEEWAY_SECONDS = 30  # clock skew between the face provider and this service


def read_face_ticket(token: str, key: str, person_id: str, purpose: Purpose, now: datetime) -> FaceTicket:
    """Checks signature, person, purpose and expiry; single use is the caller's
    to enforce with the returned ticket id."""
    try:
        claims = jwt.decode(
            token,
            key,
            algorithms=["HS256"],
            audience="yibao-face",
            options={
                "require": ["exp", "iat", "sub", "jti", "purpose"],
                "verify_exp": False,
                "verify_iat": False,
            },
        )
    except jwt.InvalidTokenError:
        raise verification_failed(Cause.TICKET_INVALID, "the face ticket is not valid") from None
    if claims["sub"] != person_id:
        raise verification_failed(Cause.TICKET_OTHER_PERSON, "the face ticket was issued for someone else")
    if claims["purpose"] != purpose.value:
        raise verification_failed(
            Cause.TICKET_OTHER_PURPOSE, "the face ticket was issued for another purpose"
        )
    issued, expires = claims["iat"], claims["exp"]
    if issued > now.timestamp() + TICKET_LEEWAY_SECONDS:  # else it could live until its far exp
        raise verification_failed(Cause.TICKET_INVALID, "the face ticket is issued in the future")
    if expires - issued > MAX_TICKET_LIFETIME.total_seconds():
        raise verification_failed(Cause.TICKET_TOO_LONG_LIVED, "a face ticket may live at most 5 minutes")
    if now.timestamp() >= expires:
        raise verification_failed(Cause.TICKET_EXPIRED, "the face ticket has expired")
    return FaceTicket(str(claims["jti"]), person_id, purpose, datetime.fromtimestamp(expires, now.tzinfo))


def mint_face_ticket(
    key: str,
    person_id: str,
    purpose: Purpose,
    ticket_id: str,
    now: datetime,
    ttl: timedelta = timedelta(minutes=2),
) -> str:
    """What the face provider does: for local use and tests."""
    claims = {
        "sub": person_id,
        "purpose": purpose.value,
        "jti": ticket_id,
        "aud": "yibao-face",
        "iat": int(now.timestamp()),
        "exp": int((now + ttl).timestamp()),
    }
    return jwt.encode(claims, key, algorithm="HS256")
