"""Region codes: 6-digit administrative division codes (GB/T 2260)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import IntEnum

from services.kernel.errors import invalid_argument

_CODE = re.compile(r"^[1-9]\d{5}$")


class Level(IntEnum):
    PROVINCE = 1
    PREFECTURE = 2
    COUNTY = 3


def validate_code(code: str, field_path: str = "code") -> str:
    """The code itself, or INVALID_ARGUMENT naming the field."""
    if not _CODE.match(code or ""):
        raise invalid_argument(
            "REGION_CODE_INVALID", field_path, f"{code!r} is not a 6-digit administrative division code"
        )
    return code


def province_of(code: str) -> str:
    return code[:2] + "0000"


@dataclass(frozen=True)
class Region:
    code: str
    name: str
    level: Level
    parent_code: str | None

    @property
    def province_code(self) -> str:
        return province_of(self.code)


@dataclass(frozen=True)
class RegionPath:
    """A region and its ancestors, nearest first: county, city, province."""

    regions: tuple[Region, ...]

    @property
    def region(self) -> Region:
        return self.regions[0]

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(r.code for r in self.regions)
