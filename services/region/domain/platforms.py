"""Provincial platforms' SM2 public keys and replay nonces (SPEC R25).

A platform (its ``app_id``) calls the HTTPS gateway with envelopes signed
with SM2. The administrator registers its public keys here: the first key
binds the app_id to its province for good, and at most two keys are active
at once (the old and the new one during a rotation). A key is named by its
fingerprint. The gateway claims each nonce it accepts here, so that every
gateway replica refuses a replay alike; a nonce is kept for the replay
window, twice the gateway's ±5 minutes, then purged."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import Enum

from services.gateway.gm import SM2PublicKey, sm3
from services.region.domain.codes import validate_code
from services.region.domain.errors import (
    nonce_invalid,
    nonce_timestamp_out_of_window,
    platform_app_id_invalid,
    platform_key_id_invalid,
    platform_province_invalid,
    platform_public_key_invalid,
)

MAX_ACTIVE_KEYS = 2  # the current key and its successor, during a rotation
# A nonce older than this can never be replayed: the gateway refuses
# timestamps more than 5 minutes from its clock.
NONCE_WINDOW = timedelta(minutes=10)

_APP_ID = re.compile(r"[A-Za-z0-9._-]{3,64}")
_KEY_ID = re.compile(r"[0-9a-f]{16}")
_NONCE = re.compile(r"[A-Za-z0-9_-]{16,64}")


class KeyState(Enum):
    ACTIVE = "active"
    REVOKED = "revoked"


def validate_app_id(app_id: str, field_path: str = "app_id") -> str:
    if not _APP_ID.fullmatch(app_id or ""):
        raise platform_app_id_invalid(field_path)
    return app_id


def validate_key_id(key_id: str, field_path: str = "key_id") -> str:
    if not _KEY_ID.fullmatch(key_id or ""):
        raise platform_key_id_invalid(field_path)
    return key_id


def validate_province(code: str, field_path: str) -> str:
    validate_code(code, field_path)
    if not code.endswith("0000"):
        raise platform_province_invalid(field_path)
    return code


def public_key_hex(text: str, field_path: str) -> str:
    """The key in its canonical form (lowercase ``04`` + x + y), checked to
    be a point of the SM2 curve."""
    try:
        return SM2PublicKey.from_hex(text).to_hex()
    except ValueError as error:
        raise platform_public_key_invalid(field_path, str(error)) from None


def fingerprint(public_hex: str) -> str:
    """The key id: the first 16 hex digits of SM3 over the uncompressed point's 65 bytes."""
    return sm3(bytes.fromhex(public_hex)).hex()[:16]


@dataclass(frozen=True)
class PlatformKey:
    app_id: str
    key_id: str
    province: str
    public_key: str
    state: KeyState
    created_at: datetime
    revoked_at: datetime | None = None

    @classmethod
    def register(cls, app_id: str, province: str, public_key: str, now: datetime) -> PlatformKey:
        validate_app_id(app_id, "platform_key.app_id")
        validate_province(province, "platform_key.province")
        key = public_key_hex(public_key, "platform_key.public_key")
        return cls(app_id, fingerprint(key), province, key, KeyState.ACTIVE, now)

    @property
    def active(self) -> bool:
        return self.state is KeyState.ACTIVE

    def revoke(self, now: datetime) -> PlatformKey:
        """Revoked from now; a revoked key stays as it is."""
        return replace(self, state=KeyState.REVOKED, revoked_at=now) if self.active else self


@dataclass(frozen=True)
class Nonce:
    """A nonce the gateway accepted, kept until ``expires_at``."""

    app_id: str
    nonce: str
    stamped_at: datetime  # the envelope's timestamp
    claimed_at: datetime
    expires_at: datetime

    @classmethod
    def claim(cls, app_id: str, nonce: str, stamped_at: datetime, now: datetime) -> Nonce:
        validate_app_id(app_id)
        if not _NONCE.fullmatch(nonce or ""):
            raise nonce_invalid()
        # The gateway accepts ±5 minutes of its clock; ±10 here leaves room
        # for the two clocks to differ, and bounds how long a row is kept.
        if abs(stamped_at - now) > NONCE_WINDOW:
            raise nonce_timestamp_out_of_window(int(NONCE_WINDOW.total_seconds() // 60))
        # Kept until neither the claim nor the envelope's own time is within
        # the window: no gateway replica can accept the nonce again by then.
        return cls(app_id, nonce, stamped_at, now, max(now, stamped_at) + NONCE_WINDOW)
