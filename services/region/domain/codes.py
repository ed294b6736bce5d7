"""Region codes: 6-digit administrative division codes (GB/T 2260)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

from services.kernel.region_codes import province_of, validate_code

__all__ = ["Level", "Region", "RegionPath", "province_of", "validate_code"]


class Level(IntEnum):
    PROVINCE = 1
    PREFECTURE = 2
    COUNTY = 3


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
