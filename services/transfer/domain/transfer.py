"""A transfer application (医保钱包转账申请, SPEC R13) and the gates that need
no other service (R14)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import Enum

from services.kernel.errors import DomainError, ErrorKind, FieldViolation, failed_precondition
from services.transfer.domain.policy import TransferPolicy


class Source(Enum):
    PERSONAL = "personal"  # 职工医保个人账户
    WALLET = "wallet"  # the payer's own wallet


class Relation(Enum):
    """What the payee is to the payer (same names as the account service's)."""

    SPOUSE = "spouse"
    PARENT = "parent"
    CHILD = "child"
    SIBLING = "sibling"
    GRANDPARENT = "grandparent"
    GRANDCHILD = "grandchild"


class Status(Enum):
    ACCEPTED = "accepted"  # gates passed, the hold is being made
    PENDING = "pending"  # held, waiting for the payee (待领取)
    RECEIVING = "receiving"  # receipt decided, the payee's wallet being credited
    REFUNDING = "refunding"  # refund decided, the money going back
    RECEIVED = "received"  # final
    REFUNDED = "refunded"  # final
    REJECTED = "rejected"  # the money could not be held: final, nothing moved

    @property
    def final(self) -> bool:
        return self in (Status.RECEIVED, Status.REFUNDED, Status.REJECTED)


class RefundReason(Enum):
    EXPIRED = "expired"
    DECLINED = "declined"
    RELATION_LAPSED = "relation_lapsed"


class EventType(Enum):
    CREATED = "created"
    RECEIVED = "received"
    DECLINED = "declined"
    REFUNDED = "refunded"


@dataclass(frozen=True)
class Transfer:
    id: str
    request_id: str
    request_hash: str
    payer_id: str
    payee_id: str
    payee_name: str
    payee_masked_id_number: str
    relation: Relation
    source: Source
    amount: int
    status: Status
    payer_province: str
    payee_province: str
    created_at: datetime
    expires_at: datetime
    refund_reason: RefundReason | None = None
    received_at: datetime | None = None
    refunded_at: datetime | None = None


def gate(reason: str, message: str, kind: ErrorKind = ErrorKind.FAILED_PRECONDITION, **metadata: str) -> DomainError:
    """A failed gate: nothing moved, and the reason says which gate."""
    return DomainError(kind, reason, message, metadata)


def check_amount(policy: TransferPolicy, amount: int) -> None:
    if not policy.min_amount_fen <= amount <= policy.max_amount_fen:
        message = f"a transfer is {policy.min_amount_fen} to {policy.max_amount_fen} fen"
        raise DomainError(
            ErrorKind.INVALID_ARGUMENT, "AMOUNT_OUT_OF_RANGE", message,
            {"min_fen": str(policy.min_amount_fen), "max_fen": str(policy.max_amount_fen)}, [FieldViolation("amount_fen", message)],
        )


def check_window(policy: TransferPolicy, now: datetime) -> None:
    if not policy.window_open(now):
        raise gate(
            "TRANSFER_WINDOW_CLOSED",
            f"transfers are accepted from {policy.window_opens:%H:%M} to {policy.window_closes:%H:%M} Beijing time",
            next_open_time=policy.next_opening(now).isoformat(),
        )


def check_relation(declared: Relation, attested: Relation | None) -> None:
    if attested is None:
        raise gate("NOT_CLOSE_RELATIVE", "the payee is not an attested close relative of the payer")
    if attested is not declared:
        raise gate("RELATION_MISMATCH", "the declared relation is not the attested one", attested=attested.value)


def check_not_self(payer_id: str, payee_id: str) -> None:
    if payer_id == payee_id:
        raise gate("PAYEE_IS_PAYER", "a transfer goes to someone else", ErrorKind.INVALID_ARGUMENT)


def refund_gate_error(transfer: Transfer, now: datetime) -> DomainError:
    """Why a pending-only action (receive, decline) cannot happen now."""
    if transfer.status is Status.PENDING and now >= transfer.expires_at:
        return failed_precondition("TRANSFER_EXPIRED", "the transfer expired and is being refunded", transfer_id=transfer.id)
    return failed_precondition(
        "TRANSFER_NOT_PENDING", f"the transfer is {transfer.status.value}", transfer_id=transfer.id, status=transfer.status.value
    )
