"""The double-entry ledger (SPEC R10).

Every change of money is one journal entry whose postings sum to zero: a
posting of +n credits an account, -n debits it. Person accounts (personal
account, wallet, reserved) never go below zero; only the provincial funds,
where money enters the system, may. Wallet money never flows back into a
personal account: the allowed flows are listed here, once.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from enum import Enum

from services.account.domain.errors import (
    amount_not_positive,
    amount_too_large,
    period_invalid,
    province_invalid,
)
from services.kernel.clock import beijing_month


class AccountKind(Enum):
    PERSONAL = "personal"  # 职工医保个人账户
    WALLET = "wallet"  # 医保钱包
    RESERVED = "reserved"  # a payer's money held for pending transfers (共济额度)
    FUND = "fund"  # a province's fund: the source of personal-account funding
    INSTITUTION = "institution"  # what a designated institution was paid
    CONTRIBUTIONS = "contributions"  # contributions collected, per province
    # Money between provinces kept in different shards (R24, docs/sharding.md),
    # one account per other province: what this province owes it
    # (``clearing-to:<province>``, never negative) and what it owes this one
    # (``clearing-from:<province>``, goes negative as its money arrives).
    CLEARING_TO = "clearing_to"
    CLEARING_FROM = "clearing_from"


class EntryKind(Enum):
    FUNDING = "funding"
    TRANSFER_HOLD = "transfer_hold"  # source -> reserved (domain/holds.py)
    TRANSFER_RECEIVE = "transfer_receive"  # reserved -> payee wallet
    TRANSFER_REFUND = "transfer_refund"  # reserved -> source
    PAYMENT = "payment"
    PAYMENT_REFUND = "payment_refund"
    CONTRIBUTION = "contribution"


# (entry kind) -> allowed (debited kind, credited kind)
FLOWS: dict[EntryKind, set[tuple[AccountKind, AccountKind]]] = {
    EntryKind.FUNDING: {(AccountKind.FUND, AccountKind.PERSONAL)},
    EntryKind.TRANSFER_HOLD: {
        (AccountKind.PERSONAL, AccountKind.RESERVED),
        (AccountKind.WALLET, AccountKind.RESERVED),
    },
    # Within a shard, reserved -> the payee's wallet; across shards two legs:
    # reserved -> clearing-to in the payer's, clearing-from -> wallet in the payee's.
    EntryKind.TRANSFER_RECEIVE: {
        (AccountKind.RESERVED, AccountKind.WALLET),
        (AccountKind.RESERVED, AccountKind.CLEARING_TO),
        (AccountKind.CLEARING_FROM, AccountKind.WALLET),
    },
    EntryKind.TRANSFER_REFUND: {
        (AccountKind.RESERVED, AccountKind.PERSONAL),
        (AccountKind.RESERVED, AccountKind.WALLET),
    },
    EntryKind.PAYMENT: {(AccountKind.WALLET, AccountKind.INSTITUTION)},
    EntryKind.PAYMENT_REFUND: {(AccountKind.INSTITUTION, AccountKind.WALLET)},
    EntryKind.CONTRIBUTION: {(AccountKind.WALLET, AccountKind.CONTRIBUTIONS)},
}

MAX_AMOUNT = 10**12  # fen; far above any real amount, well inside int64
# Ceilings of each money RPC (R20a), far above real amounts: ¥100,000 funded
# at once, ¥100,000 self-paid on one bill, ¥10,000 for one year's contribution.
MAX_FUNDING = 10_000_000
MAX_PAYMENT = 10_000_000
MAX_CONTRIBUTION = 1_000_000


def validate_amount(amount: int, ceiling: int = MAX_AMOUNT, field_path: str = "amount_fen") -> int:
    if amount <= 0:
        raise amount_not_positive(field_path)
    if amount > ceiling:
        raise amount_too_large(field_path, ceiling)
    return amount


_PERIOD = re.compile(r"2[0-9]{3}-(0[1-9]|1[0-2])")


def validate_period(period: str, now: datetime) -> str:
    """The month a funding is for (R6): "YYYY-MM", not after this Beijing month."""
    if not _PERIOD.fullmatch(period or "") or period > beijing_month(now):
        raise period_invalid()
    return period


@dataclass(frozen=True)
class Movement:
    """One journal entry moving ``amount`` from one account to another."""

    kind: EntryKind
    debit_account: int
    debit_kind: AccountKind
    credit_account: int
    credit_kind: AccountKind
    amount: int

    def __post_init__(self) -> None:
        if (self.debit_kind, self.credit_kind) not in FLOWS[self.kind]:
            raise ValueError(
                f"{self.kind.value} cannot move money from {self.debit_kind.value} to {self.credit_kind.value}"
            )
        if self.amount <= 0:
            raise ValueError("a movement moves a positive amount")

    def postings(self) -> list[tuple[int, int]]:
        """(account, signed amount) pairs; they sum to zero."""
        return [(self.debit_account, -self.amount), (self.credit_account, self.amount)]


@dataclass(frozen=True)
class Posted:
    entry_id: int
    replayed: bool  # the same request was posted before: nothing moved now


class KeyReused(Exception):
    """An entry was posted under this idempotency key for another request."""


@dataclass(frozen=True)
class StatementLine:
    posting_id: int
    entry_id: int
    kind: EntryKind
    account: AccountKind
    amount: int
    balance_after: int
    reference: str
    description: str
    posted_at: datetime


def clearing_key(kind: AccountKind, province: str) -> str:
    """The system key of a clearing account with another province."""
    return f"{'clearing-to' if kind is AccountKind.CLEARING_TO else 'clearing-from'}:{province}"


def validate_province(code: str, field_path: str) -> str:
    """The other province of a clearing account: 6 digits ending 0000."""
    if not (len(code) == 6 and code.isdigit() and code.endswith("0000")):
        raise province_invalid(field_path)
    return code
