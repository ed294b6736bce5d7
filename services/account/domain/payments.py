"""Wallet payments at designated institutions (R11) and contributions paid
from the wallet (R12a)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import Enum

from services.account.domain.errors import bill_already_issued, order_already_paid, refund_exceeds_payment

FIRST_LONG_TERM_CARE_YEAR = 2026


class ContributionKind(Enum):
    RESIDENT_INSURANCE = "resident_insurance"  # 居民医保个人缴费, the owner's own
    LONG_TERM_CARE = "long_term_care"  # 长期护理保险个人缴费, a relative's, from 2026


@dataclass(frozen=True)
class Payment:
    institution_code: str
    order_number: str
    person_id: str
    amount: int
    refunded: int
    paid_at: datetime

    def same_charge(self, person_id: str, amount: int) -> Payment:
        """A retried charge of this order: the same payment, or ORDER_ALREADY_PAID."""
        if (self.person_id, self.amount) != (person_id, amount):
            raise order_already_paid()
        return self

    def check_refund(self, amount: int) -> None:
        if amount > self.amount - self.refunded:
            raise refund_exceeds_payment(self.amount - self.refunded)


class BillEventType(Enum):
    ISSUED = "issued"
    PAID = "paid"


@dataclass(frozen=True)
class ContributionBill:
    """What the beneficiary's provincial platform bills for one kind and year
    (R12a): the wallet pays exactly this amount, once."""

    person_id: str
    kind: ContributionKind
    year: int
    amount: int
    province: str
    issued_at: datetime
    paid_by: str | None = None
    paid_at: datetime | None = None

    def reissued(self, amount: int) -> ContributionBill:
        """Issuing the same bill again is a no-op; another amount is refused."""
        if amount != self.amount:
            raise bill_already_issued(self.amount)
        return self


@dataclass(frozen=True)
class BillEvent:
    """A bill issued or paid, for the platform that issued it to follow."""

    id: int
    type: BillEventType
    bill: ContributionBill
    occurred_at: datetime


@dataclass(frozen=True)
class Contribution:
    """A contribution paid from a wallet: once per beneficiary, kind and year."""

    beneficiary_id: str
    kind: ContributionKind
    year: int
    payer_id: str
    amount: int
    entry_id: int
