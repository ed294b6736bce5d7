"""Transfer rules with a frozen clock, no services (R14, R15)."""

from __future__ import annotations

from datetime import UTC, datetime, time

import pytest

from services.kernel.clock import BEIJING
from services.kernel.errors import DomainError
from services.kernel.relations import RelationKind as Relation
from services.transfer.domain.policy import TransferPolicy
from services.transfer.domain.transfer import check_amount, check_relation, check_window

POLICY = TransferPolicy()


def bj(day: int, hh: int, mm: int, ss: int = 0) -> datetime:
    return datetime(2026, 3, day, hh, mm, ss, tzinfo=BEIJING).astimezone(UTC)


@pytest.mark.parametrize(
    "at,open_",
    [
        (bj(2, 21, 59, 59), True),
        (bj(2, 22, 0, 0), False),
        (bj(3, 5, 59, 59), False),
        (bj(3, 6, 0, 0), True),
        (bj(3, 0, 0, 0), False),
        (bj(3, 12, 0, 0), True),
    ],
)
def test_r14_window_22_to_06_beijing(at, open_):
    assert POLICY.window_open(at) is open_
    if open_:
        check_window(POLICY, at)
    else:
        with pytest.raises(DomainError) as raised:
            check_window(POLICY, at)
        assert raised.value.reason == "TRANSFER_WINDOW_CLOSED"


@pytest.mark.parametrize(
    "at,opens",
    [
        (bj(2, 22, 0), bj(3, 6, 0)),
        (bj(3, 0, 30), bj(3, 6, 0)),
        (bj(3, 5, 59), bj(3, 6, 0)),
        (bj(3, 10, 0), bj(3, 10, 0)),
    ],
)
def test_r18_next_opening(at, opens):
    assert POLICY.next_opening(at) == opens


@pytest.mark.parametrize(
    "submitted,expires",
    [
        (bj(3, 0, 30), bj(3, 6, 0)),  # after midnight: the same morning
        (bj(3, 5, 59), bj(3, 6, 0)),
        (bj(2, 21, 59), bj(3, 6, 0)),  # evening: the next morning
        (bj(2, 6, 0), bj(3, 6, 0)),  # exactly 06:00: the next day's 06:00
        (
            datetime(2026, 12, 31, 13, 0, tzinfo=UTC),
            datetime(2026, 12, 31, 22, 0, tzinfo=UTC),
        ),  # 21:00 BJ on 12-31 -> 01-01 06:00 BJ
    ],
)
def test_r15_expiry_is_the_next_0600_beijing(submitted, expires):
    assert POLICY.expires_at(submitted) == expires


def test_r14_daily_count_resets_at_beijing_midnight_not_utc():
    # 23:59 and 00:00 Beijing are different days, although both are 15:xx / 16:00 UTC on one UTC day.
    before, after = bj(2, 23, 59), bj(3, 0, 0)
    assert before.astimezone(UTC).date() == after.astimezone(UTC).date()
    assert POLICY.day_of(before) != POLICY.day_of(after)
    # 07:59 Beijing is the day before in UTC, yet the same Beijing day as 09:00.
    assert POLICY.day_of(bj(3, 7, 59)) == POLICY.day_of(bj(3, 9, 0))
    assert bj(3, 7, 59).date() != bj(3, 9, 0).date()


@pytest.mark.parametrize("amount,ok", [(0, False), (1, True), (200_000, True), (200_001, False), (-5, False)])
def test_r14_amount_range(amount, ok):
    if ok:
        check_amount(POLICY, amount)
    else:
        with pytest.raises(DomainError) as raised:
            check_amount(POLICY, amount)
        assert (raised.value.reason, raised.value.violations[0].field) == (
            "AMOUNT_OUT_OF_RANGE",
            "amount_fen",
        )


def test_policy_is_configuration():
    strict = TransferPolicy(max_amount_fen=50_000, per_day=1, window_opens=time(8), window_closes=time(20))
    assert not strict.window_open(bj(2, 7, 30)) and strict.window_open(bj(2, 8, 0))
    with pytest.raises(DomainError):
        check_amount(strict, 50_001)


def test_r14_relation_must_be_attested_and_as_declared():
    check_relation(Relation.PARENT, Relation.PARENT)
    with pytest.raises(DomainError) as none:
        check_relation(Relation.PARENT, None)
    assert none.value.reason == "NOT_CLOSE_RELATIVE"
    with pytest.raises(DomainError) as other:
        check_relation(Relation.SPOUSE, Relation.PARENT)
    assert other.value.reason == "RELATION_MISMATCH"


def test_r15_the_lifecycle_has_exactly_these_moves():
    """hold -> receive | refund: each state is reached by default from one
    state only, and final states are left by none (the 06:00 claim uses the
    same table). A receipt under way turns into a refund only when named:
    the account service refused it because the relation lapsed (R8)."""
    from services.transfer.domain.transfer import TRANSITIONS, Status, sources_of

    assert {(a.name, b.name) for a, b in TRANSITIONS} == {
        ("ACCEPTED", "PENDING"),
        ("ACCEPTED", "REJECTED"),
        ("PENDING", "RECEIVING"),
        ("PENDING", "REFUNDING"),
        ("RECEIVING", "REFUNDING"),
        ("RECEIVING", "RECEIVED"),
        ("REFUNDING", "REFUNDED"),
    }
    assert {s for s in Status if s.final} == {Status.RECEIVED, Status.REFUNDED, Status.REJECTED}
    assert sources_of(Status.REFUNDING) == [Status.PENDING]  # no decline or expiry of a receipt under way
    assert sources_of(Status.REFUNDING, Status.RECEIVING) == [Status.RECEIVING]
    assert sources_of(Status.RECEIVED, Status.PENDING) == []
    assert sources_of(Status.ACCEPTED) == []  # nothing ever moves back to the start
