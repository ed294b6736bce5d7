"""Designated institutions (定点医药机构, SPEC R4)."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import datetime
from enum import Enum

from services.kernel.errors import required_text
from services.region.domain.errors import institution_code_invalid, institution_kind_mismatch

# National medical-insurance codes: H (定点医疗机构) or P (定点零售药店),
# the 6-digit region code, then a 5-digit serial.
_CODE = re.compile(r"([HP])([0-9]{6})([0-9]{5})")
MAX_NAME_LENGTH = 200


class Kind(Enum):
    HOSPITAL = "hospital"
    RETAIL_PHARMACY = "retail_pharmacy"


_KIND_LETTER = {"H": Kind.HOSPITAL, "P": Kind.RETAIL_PHARMACY}


def validate_institution_code(code: str, field_path: str = "code") -> str:
    if not _CODE.fullmatch(code or ""):
        raise institution_code_invalid(field_path)
    return code


def validate_name(name: str, field_path: str) -> str:
    return required_text(name, field_path, MAX_NAME_LENGTH)


@dataclass(frozen=True)
class Institution:
    code: str
    name: str
    kind: Kind
    region_code: str
    accepts_wallet: bool
    created_at: datetime
    updated_at: datetime

    @classmethod
    def register(
        cls, code: str, name: str, kind: Kind | None, region_code: str, accepts_wallet: bool, now: datetime
    ) -> Institution:
        validate_institution_code(code, "institution.code")
        expected = _KIND_LETTER[code[0]]
        if kind is None:
            kind = expected
        elif kind is not expected:
            raise institution_kind_mismatch(code[0], expected.value)
        return cls(code, validate_name(name, "institution.name"), kind, region_code, accepts_wallet, now, now)

    def update(
        self, now: datetime, name: str | None = None, accepts_wallet: bool | None = None
    ) -> Institution:
        changed = self
        if name is not None:
            changed = replace(changed, name=validate_name(name, "institution.name"))
        if accepts_wallet is not None:
            changed = replace(changed, accepts_wallet=accepts_wallet)
        return replace(changed, updated_at=now) if changed != self else self
