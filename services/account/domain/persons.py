"""Insured persons (参保人, SPEC R5, R6, R8)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from enum import Enum

from services.account.domain.errors import insurance_ended
from services.kernel.errors import required_text
from services.kernel.region_codes import province_of

MAX_NAME_LENGTH = 50


class InsuranceType(Enum):
    EMPLOYEE = "employee"  # 职工医保: has a personal account
    RESIDENT = "resident"  # 居民医保


class InsuranceStatus(Enum):
    ACTIVE = "active"
    ENDED = "ended"


@dataclass(frozen=True)
class Person:
    id: str
    id_hash: str
    masked_id_number: str
    name: str
    insurance_type: InsuranceType
    insured_region: str
    status: InsuranceStatus
    created_at: datetime
    updated_at: datetime

    @property
    def province(self) -> str:
        return province_of(self.insured_region)

    def require_active(self) -> None:
        if self.status is not InsuranceStatus.ACTIVE:
            raise insurance_ended(self.id)

    def change_insurance(
        self, now: datetime, status: InsuranceStatus | None, region: str | None, kind: InsuranceType | None
    ) -> tuple[Person, bool]:
        """The changed person, and whether the change lapses their relations
        (insurance ended, or moved to another insured region: R8)."""
        changed = replace(
            self,
            status=status or self.status,
            insured_region=region or self.insured_region,
            insurance_type=kind or self.insurance_type,
        )
        if changed == self:
            return self, False
        ended = self.status is InsuranceStatus.ACTIVE and changed.status is InsuranceStatus.ENDED
        lapses = ended or changed.insured_region != self.insured_region
        return replace(changed, updated_at=now), lapses


def validate_person_name(name: str, field_path: str = "name") -> str:
    return required_text(name, field_path, MAX_NAME_LENGTH)
