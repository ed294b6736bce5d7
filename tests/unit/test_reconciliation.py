"""R22 as a table: for every transfer status and hold state (or none), what
the reconciler decides (domain/reconciliation.py), against the table of
docs/rules.md written out here."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from services.kernel.relations import RelationKind
from services.transfer.domain.reconciliation import Action, Case, Hold, HoldStatus, judge
from services.transfer.domain.transfer import Source, Status, Transfer

NOW = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)
GRACE = timedelta(minutes=10)
T = Transfer(
    "t1", "r1", "h", "payer", "payee", "李秀英", "110101********0024", RelationKind.PARENT,
    Source.PERSONAL, 30_000, Status.PENDING, "450000", "110000", NOW, NOW + timedelta(hours=20),
)  # fmt: skip
H = Hold("t1", "payer", "payee", Source.PERSONAL, 30_000, HoldStatus.PENDING, NOW - timedelta(hours=1))
P, RCV, RFD, NONE = HoldStatus.PENDING, HoldStatus.RECEIVED, HoldStatus.REFUNDED, None
HEAL_REFUND = (Case.FINAL_TRANSFER_HOLD_PENDING, Action.REFUND)
REPORT_OUTCOMES = (Case.OUTCOMES_DIFFER, Action.REPORT)
REPORT_MISSING = (Case.HOLD_MISSING, Action.REPORT)

# transfer status -> {hold state: (case, action) or None for agreement}
TABLE = {
    Status.ACCEPTED: {NONE: None, P: None, RCV: REPORT_OUTCOMES, RFD: REPORT_OUTCOMES},
    Status.PENDING: {NONE: REPORT_MISSING, P: None, RCV: REPORT_OUTCOMES, RFD: REPORT_OUTCOMES},
    Status.RECEIVING: {NONE: REPORT_MISSING, P: None, RCV: None, RFD: REPORT_OUTCOMES},
    Status.REFUNDING: {NONE: REPORT_MISSING, P: None, RCV: REPORT_OUTCOMES, RFD: None},
    Status.RECEIVED: {
        NONE: REPORT_MISSING,
        P: (Case.RECEIVED_TRANSFER_HOLD_PENDING, Action.RECEIVE),
        RCV: None,
        RFD: REPORT_OUTCOMES,
    },
    Status.REFUNDED: {NONE: REPORT_MISSING, P: HEAL_REFUND, RCV: REPORT_OUTCOMES, RFD: None},
    Status.REJECTED: {NONE: None, P: HEAL_REFUND, RCV: REPORT_OUTCOMES, RFD: None},
}


@pytest.mark.parametrize(("status", "held"), [(s, h) for s in Status for h in (NONE, P, RCV, RFD)], ids=str)
def test_r22_every_transfer_status_against_every_hold_state(status, held):
    hold = None if held is None else replace(H, status=held)
    found = judge(replace(T, status=status), hold, NOW, GRACE)
    assert ((found.case, found.action) if found else None) == TABLE[status][held]


def test_r22_a_hold_without_a_transfer():
    assert judge(None, replace(H, created_at=NOW - timedelta(minutes=9)), NOW, GRACE) is None  # in flight
    assert judge(None, H, NOW, GRACE).action is Action.REFUND
    assert judge(None, replace(H, status=RFD), NOW, GRACE) is None  # back where it came from
    assert judge(None, replace(H, status=RCV), NOW, GRACE).case is Case.RECEIVED_HOLD_WITHOUT_TRANSFER


@pytest.mark.parametrize("field", ["payer_id", "payee_id", "source", "amount"])
def test_r22_other_terms_are_reported_whatever_the_states(field):
    other = {"payer_id": "x", "payee_id": "x", "source": Source.WALLET, "amount": 1}[field]
    for status in Status:
        found = judge(replace(T, status=status), replace(H, **{field: other}), NOW, GRACE)
        assert (found.case, found.action) == (Case.TERMS_DIFFER, Action.REPORT)
