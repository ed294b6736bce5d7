"""A transfer application (医保钱包转账申请, SPEC R13), its lifecycle as a
state machine (R15), and the gates that need no other service (R14).

The lifecycle, in one vocabulary with the account service's hold and the
ledger's entries (a two-phase transfer: hold -> receive | refund):

    ACCEPTED --hold--> PENDING --receive--> RECEIVING --> RECEIVED
        |                 `------refund---> REFUNDING --> REFUNDED
        `--(the money could not be held)--> REJECTED

RECEIVING and REFUNDING record a decision before the account service is
asked to carry it out, so a crash in between is resumed, never repeated
differently. ``TRANSITIONS`` is the only list of moves, with the time rule
of each: every state change, the 06:00 claim, a receipt and a decline
included, goes through it, so they cannot disagree about expiry.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from enum import Enum

from services.kernel.relations import RelationKind
from services.transfer.domain.errors import (
    amount_out_of_range,
    not_close_relative,
    payee_is_payer,
    relation_lapsed,
    relation_mismatch,
    transfer_expired,
    transfer_not_pending,
    window_closed,
)
from services.transfer.domain.policy import TransferPolicy


class Source(Enum):
    PERSONAL = "personal"  # 职工医保个人账户
    WALLET = "wallet"  # the payer's own wallet


class Status(Enum):
    ACCEPTED = "accepted"  # gates passed, the money being held
    PENDING = "pending"  # held, waiting for the payee (待领取)
    RECEIVING = "receiving"  # received: the payee's wallet being credited
    REFUNDING = "refunding"  # refund decided: the money going back
    RECEIVED = "received"  # final
    REFUNDED = "refunded"  # final
    REJECTED = "rejected"  # final: the money could not be held, nothing moved

    @property
    def final(self) -> bool:
        return not any(source is self for source, _ in TRANSITIONS)


class RefundReason(Enum):
    EXPIRED = "expired"
    DECLINED = "declined"
    RELATION_LAPSED = "relation_lapsed"


class When(Enum):
    """When a move may happen, against the transfer's expires_at (06:00
    Beijing the next day, R15)."""

    ANY = "any time"
    BEFORE_EXPIRY = "before expires_at"
    FROM_EXPIRY = "at or after expires_at"

    def allows(self, now: datetime, expires_at: datetime) -> bool:
        if self is When.BEFORE_EXPIRY:
            return now < expires_at
        if self is When.FROM_EXPIRY:
            return now >= expires_at
        return True


# Every move a transfer can make, and when; nothing else is ever written.
# A move into REFUNDING takes the time rule of its refund reason.
TRANSITIONS: dict[tuple[Status, Status], When] = {
    (Status.ACCEPTED, Status.PENDING): When.ANY,  # hold
    (Status.ACCEPTED, Status.REJECTED): When.ANY,  # the hold was refused
    (Status.PENDING, Status.RECEIVING): When.BEFORE_EXPIRY,  # receive
    (Status.PENDING, Status.REFUNDING): When.ANY,  # decline, expiry (06:00), relation lapsed
    (Status.RECEIVING, Status.REFUNDING): When.ANY,  # the receipt refused: the relation lapsed (R8)
    (Status.RECEIVING, Status.RECEIVED): When.ANY,
    (Status.REFUNDING, Status.REFUNDED): When.ANY,
}
REFUND_TIMING: dict[RefundReason, When] = {
    RefundReason.DECLINED: When.BEFORE_EXPIRY,  # a decline after 06:00 is the expiry's refund
    RefundReason.EXPIRED: When.FROM_EXPIRY,
    RefundReason.RELATION_LAPSED: When.ANY,
}

# Moves made only when named (``from_``): a decline or the 06:00 sweep never
# takes a transfer whose receipt is under way.
_BY_NAME_ONLY = frozenset({(Status.RECEIVING, Status.REFUNDING)})


def sources_of(to: Status, from_: Status | None = None) -> list[Status]:
    """The states a transfer may move to ``to`` from (empty: none, never);
    only ``from_`` when it is given."""
    if from_ is not None:
        return [from_] if (from_, to) in TRANSITIONS else []
    return [source for source, target in TRANSITIONS if target is to and (source, to) not in _BY_NAME_ONLY]


def moves_into(
    to: Status, from_: Status | None = None, reason: RefundReason | None = None
) -> list[tuple[Status, When]]:
    """Each state a transfer may move to ``to`` from, with its time rule."""
    rules = [(source, TRANSITIONS[source, to]) for source in sources_of(to, from_)]
    if to is Status.REFUNDING and reason is not None:
        return [(source, REFUND_TIMING[reason] if when is When.ANY else when) for source, when in rules]
    return rules


def may_move(
    t: Transfer, to: Status, now: datetime, from_: Status | None = None, reason: RefundReason | None = None
) -> bool:
    """Whether ``t`` may move to ``to`` now: the rule every store applies."""
    return any(
        t.status is source and when.allows(now, t.expires_at)
        for source, when in moves_into(to, from_, reason)
    )


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
    relation: RelationKind  # what the payee is to the payer
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


@dataclass(frozen=True)
class StoredEvent:
    """An event as the outbox keeps it: the transfer's state at that moment
    (None in events older than that record)."""

    sequence: int
    transfer_id: str
    type: EventType
    occurred_at: datetime
    status: Status | None
    refund_reason: RefundReason | None
    traceparent: str | None = None  # the trace of the change that wrote it (tracing on)

    def snapshot(self, now: Transfer) -> Transfer:
        """The transfer as it was when this event happened (R19), from the
        transfer as it is ``now``: only status, reason and times change."""
        if self.status is None:
            return now
        return replace(
            now,
            status=self.status,
            refund_reason=self.refund_reason,
            received_at=now.received_at if self.status is Status.RECEIVED else None,
            refunded_at=now.refunded_at if self.status is Status.REFUNDED else None,
        )


def check_amount(policy: TransferPolicy, amount: int) -> None:
    if not policy.min_amount_fen <= amount <= policy.max_amount_fen:
        raise amount_out_of_range(policy.min_amount_fen, policy.max_amount_fen)


def check_window(policy: TransferPolicy, now: datetime) -> None:
    if not policy.window_open(now):
        raise window_closed(
            f"{policy.window_opens:%H:%M}", f"{policy.window_closes:%H:%M}", policy.next_opening(now)
        )


def check_relation(declared: RelationKind, attested: RelationKind | None) -> None:
    if attested is None:
        raise not_close_relative()
    if attested is not declared:
        raise relation_mismatch(attested.value)


def check_not_self(payer_id: str, payee_id: str) -> None:
    if payer_id == payee_id:
        raise payee_is_payer()


def not_pending_error(transfer: Transfer, now: datetime):
    """Why a pending-only action (receive, decline) cannot happen now."""
    if transfer.status is Status.PENDING and now >= transfer.expires_at:
        return transfer_expired(transfer.id)
    if transfer.refund_reason is RefundReason.RELATION_LAPSED:
        return relation_lapsed(transfer.id)
    return transfer_not_pending(transfer.id, transfer.status.value)
