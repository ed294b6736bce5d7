"""R22: what the transfer service's record and the account service's hold of
one transfer may disagree on, and what is done about each disagreement.

The money of a transfer is recorded twice: the transfer's status here, the
hold's state in the account service. ``judge`` compares one pair and names
the disagreement with its action: heal it through the same idempotent hold
step the saga would have taken (refund or receive the hold), or report it.
Nothing is guessed: where the two records tell different stories about
where the money went, a person decides (docs/rules.md, R22).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum

from services.transfer.domain.transfer import Source, Status, Transfer


class HoldStatus(Enum):
    PENDING = "pending"  # in the payer's reserved account
    RECEIVED = "received"  # in the payee's wallet
    REFUNDED = "refunded"  # back in its source


@dataclass(frozen=True)
class Hold:
    """The account service's hold of a transfer, as the reconciler reads it."""

    transfer_id: str
    payer_id: str
    payee_id: str
    source: Source | None
    amount: int
    status: HoldStatus | None  # None: a state this side does not know
    created_at: datetime


class Case(Enum):
    # healed
    FINAL_TRANSFER_HOLD_PENDING = "final_transfer_hold_pending"  # refunded or rejected, the hold pending
    RECEIVED_TRANSFER_HOLD_PENDING = "received_transfer_hold_pending"
    HOLD_WITHOUT_TRANSFER = "hold_without_transfer"  # pending, older than the grace period
    # reported
    OUTCOMES_DIFFER = "outcomes_differ"  # the two records name different outcomes
    HOLD_MISSING = "hold_missing"  # a transfer past its hold, without one
    TERMS_DIFFER = "terms_differ"  # amount, payer, payee or source differ
    RECEIVED_HOLD_WITHOUT_TRANSFER = "received_hold_without_transfer"


class Action(Enum):
    REFUND = "refund"  # heal: refund the hold (reserved -> its source)
    RECEIVE = "receive"  # heal: receive the hold (reserved -> the payee's wallet)
    REPORT = "report"  # log at ERROR with the ids and count; a person decides


@dataclass(frozen=True)
class Disagreement:
    transfer_id: str
    case: Case
    action: Action
    transfer_status: Status | None
    hold_status: HoldStatus | None

    @property
    def detail(self) -> str:
        transfer = self.transfer_status.value if self.transfer_status else "none"
        hold = self.hold_status.value if self.hold_status else "none"
        return f"transfer {transfer}, hold {hold}"


# The hold states that agree with each transfer status. An unfinished
# transfer (accepted, receiving, refunding) whose hold is among these is
# resume()'s to finish (lifecycle.py), not the reconciler's.
AGREEING: dict[Status, frozenset[HoldStatus | None]] = {
    Status.ACCEPTED: frozenset({None, HoldStatus.PENDING}),
    Status.PENDING: frozenset({HoldStatus.PENDING}),
    Status.RECEIVING: frozenset({HoldStatus.PENDING, HoldStatus.RECEIVED}),
    Status.REFUNDING: frozenset({HoldStatus.PENDING, HoldStatus.REFUNDED}),
    Status.RECEIVED: frozenset({HoldStatus.RECEIVED}),
    Status.REFUNDED: frozenset({HoldStatus.REFUNDED}),
    Status.REJECTED: frozenset({None, HoldStatus.REFUNDED}),
}

# A hold left pending under a final transfer: the step the saga would have taken.
HEALS: dict[Status, tuple[Case, Action]] = {
    Status.REFUNDED: (Case.FINAL_TRANSFER_HOLD_PENDING, Action.REFUND),
    Status.REJECTED: (Case.FINAL_TRANSFER_HOLD_PENDING, Action.REFUND),
    Status.RECEIVED: (Case.RECEIVED_TRANSFER_HOLD_PENDING, Action.RECEIVE),
}


def _same_terms(t: Transfer, h: Hold) -> bool:
    return (t.payer_id, t.payee_id, t.source, t.amount) == (h.payer_id, h.payee_id, h.source, h.amount)


def judge(t: Transfer | None, h: Hold | None, now: datetime, grace: timedelta) -> Disagreement | None:
    """The disagreement between a transfer and its hold (either may be
    missing), or None when they agree or a step in progress explains them."""
    if t is None:
        if h is None:
            raise ValueError("nothing to judge: neither a transfer nor a hold")
        return _without_transfer(h, now, grace)
    transfer_id, status, held = t.id, t.status, (h.status if h else None)

    def found(case: Case, action: Action) -> Disagreement:
        return Disagreement(transfer_id, case, action, status, held)

    if h is not None and not _same_terms(t, h):
        return found(Case.TERMS_DIFFER, Action.REPORT)
    if held in AGREEING[status]:
        return None
    if held is None:
        return found(Case.HOLD_MISSING, Action.REPORT)
    if held is HoldStatus.PENDING and status in HEALS:
        return found(*HEALS[status])
    return found(Case.OUTCOMES_DIFFER, Action.REPORT)


def _without_transfer(h: Hold, now: datetime, grace: timedelta) -> Disagreement | None:
    """judge() for a hold whose transfer is missing."""
    if h.status is HoldStatus.PENDING:
        # A submission holds only after recording its transfer; the grace
        # period keeps any step still in flight out of the reconciler's way.
        if now - h.created_at < grace:
            return None
        return Disagreement(h.transfer_id, Case.HOLD_WITHOUT_TRANSFER, Action.REFUND, None, h.status)
    if h.status is HoldStatus.RECEIVED:
        return Disagreement(h.transfer_id, Case.RECEIVED_HOLD_WITHOUT_TRANSFER, Action.REPORT, None, h.status)
    return None  # refunded: the money is back where it came from
