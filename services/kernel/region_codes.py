"""Administrative division codes (GB/T 2260), shared by every service: a
6-digit code XXYYZZ names a province (XX0000), a prefecture (XXYY00) or a
county (XXYYZZ)."""

from __future__ import annotations

import re
from enum import Enum

from services.kernel.errors import Reason, invalid_argument

_CODE = re.compile(r"[1-9][0-9]{5}")
# Municipalities directly under the central government pool at province level.
_MUNICIPALITIES = {"11", "12", "31", "50"}


class RegionStatus(Enum):
    """Whether the wallet is enabled in a region, as other services learn it (R2, R3)."""

    ENABLED = "enabled"
    DISABLED = "disabled"
    UNKNOWN = "unknown"  # no such region


def validate_code(code: str, field_path: str = "code") -> str:
    """The code itself, or INVALID_ARGUMENT naming the field."""
    if not _CODE.fullmatch(code or ""):
        raise invalid_argument(
            # The caller's text is not echoed: it may be anything, an ID number too.
            Reason.REGION_CODE_INVALID,
            field_path,
            "not a 6-digit administrative division code",
        )
    return code


def province_of(code: str) -> str:
    return code[:2] + "0000"


def pooling_region(code: str) -> str:
    """The 统筹地区 a region belongs to: its prefecture-level city, the
    province for municipalities, itself for county-level divisions directly
    under a province (codes XX90XX)."""
    if code[:2] in _MUNICIPALITIES:
        return province_of(code)
    if code[2:4] == "90":
        return code
    return code[:4] + "00"
