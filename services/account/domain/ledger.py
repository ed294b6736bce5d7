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
    # one account per ordered pair of one of this shard's provinces and a
    # province kept elsewhere: what the own province owes the other
    # (``clearing-to:<own>:<other>``, never negative) and what the other owes
    # it (``clearing-from:<own>:<other>``, goes negative as its money arrives).
    CLEARING_TO = "clearing_to"
    CLEARING_FROM = "clearing_from"
    # A person's balances moving with them to a province kept in another
    # shard (医保关系转移接续, R24): what the province they left sent
    # (``moved-out:<own>:<other>``) and what the province they joined took
    # in (``moved-in:<own>:<other>``, negative). Kept apart from the
    # transfers' clearing accounts: they are not transfers to settle (R19a).
    MOVED_OUT = "moved_out"
    MOVED_IN = "moved_in"
    # A contribution a wallet pays for a relative kept in another shard
    # (R12a, R24): sent out by the payer's province (``dues-out:<own>:<other>``)
    # and collected by the beneficiary's (``dues-in:<own>:<other>``, negative).
    DUES_OUT = "dues_out"
    DUES_IN = "dues_in"


class EntryKind(Enum):
    FUNDING = "funding"
    TRANSFER_HOLD = "transfer_hold"  # source -> reserved (domain/holds.py)
    TRANSFER_RECEIVE = "transfer_receive"  # reserved -> payee wallet
    TRANSFER_REFUND = "transfer_refund"  # reserved -> source
    PAYMENT = "payment"
    PAYMENT_REFUND = "payment_refund"
    CONTRIBUTION = "contribution"
    MOVE_OUT = "move_out"  # a person's balance leaving with them (R24)
    MOVE_IN = "move_in"  # and arriving in their new province's shard
    # A contribution for a relative kept in another shard, given back when
    # that shard found the bill paid by someone else meanwhile (R24).
    CONTRIBUTION_RETURN = "contribution_return"


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
    EntryKind.CONTRIBUTION: {
        (AccountKind.WALLET, AccountKind.CONTRIBUTIONS),
        (AccountKind.WALLET, AccountKind.DUES_OUT),
        (AccountKind.DUES_IN, AccountKind.CONTRIBUTIONS),
    },
    EntryKind.CONTRIBUTION_RETURN: {(AccountKind.DUES_OUT, AccountKind.WALLET)},
    EntryKind.MOVE_OUT: {
        (AccountKind.PERSONAL, AccountKind.MOVED_OUT),
        (AccountKind.WALLET, AccountKind.MOVED_OUT),
    },
    EntryKind.MOVE_IN: {
        (AccountKind.MOVED_IN, AccountKind.PERSONAL),
        (AccountKind.MOVED_IN, AccountKind.WALLET),
    },
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


def clearing_key(kind: AccountKind, own: str, other: str) -> str:
    """The system key of the clearing (or moved-) account between ``own``,
    the province of this shard's person (the payer for clearing-to, the
    payee for clearing-from, the one who leaves for moved-out), and
    ``other``, the province kept in another shard:
    ``clearing-to:450000:110000`` (27 characters at most)."""
    return f"{kind.value.replace('_', '-')}:{own}:{other}"


def clearing_pair(key: str) -> tuple[str, str]:
    """(own province, other province) of a clearing account's key. A key of
    the unreleased first format (``clearing-to:<other>``) has no own
    province: ("", other)."""
    parts = key.split(":")
    return (parts[1], parts[2]) if len(parts) == 3 else ("", parts[-1])


@dataclass(frozen=True)
class ClearingLine:
    """One clearing account of a shard, for a month (R19a reads them)."""

    own_province: str  # this shard's side: the payer's (clearing-to) or the payee's (clearing-from)
    province: str  # the other province, kept in another shard
    owed_to_province: bool  # clearing-to: the own province owes the other
    month_fen: int  # booked in the month, positive both ways
    month_count: int  # entries booked in the month: one per transfer's leg
    balance_fen: int  # now


def validate_province(code: str, field_path: str) -> str:
    """The other province of a clearing account: 6 digits ending 0000."""
    if not (len(code) == 6 and code.isdigit() and code.endswith("0000")):
        raise province_invalid(field_path)
    return code
