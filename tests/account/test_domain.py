"""Account domain rules, no database: ID numbers (R5), mobile numbers (R7),
relations (R8), password lockout and face tickets (R9), ledger flows (R10)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from services.account.domain.credentials import (
    PasswordState,
    Purpose,
    mint_face_ticket,
    next_beijing_midnight,
    read_face_ticket,
    validate_new_password,
)
from services.account.domain.identity import (
    check_digit,
    mask_id_number,
    mask_mobile,
    validate_id_number,
    validate_mobile,
)
from services.account.domain.ledger import AccountKind, EntryKind, Movement
from services.account.domain.persons import InsuranceStatus, InsuranceType, Person
from services.account.domain.relations import RelationKind
from services.kernel.errors import DomainError
from services.kernel.region_codes import pooling_region, validate_code
from services.region.domain.institutions import validate_institution_code

KEY = "face-key-0123456789abcdef0123456789abcdef"


# --- R5
def test_r5_check_digit_matches_the_standard_examples():
    # GB 11643-1999 annex example and a number whose check digit is X.
    assert check_digit("11010519491231002") == "X"
    assert validate_id_number("11010519491231002x") == "11010519491231002X"
    assert check_digit("44052418800101001") == "4"


@pytest.mark.parametrize(
    "number,reason",
    [
        ("11010519491231002", "ID_NUMBER_INVALID"),  # 17 characters
        ("1101051949123100XX", "ID_NUMBER_INVALID"),
        ("110105194913310027", "ID_NUMBER_INVALID"),  # month 13
        ("110105194912310021", "ID_NUMBER_CHECK_DIGIT"),
    ],
)
def test_r5_bad_id_numbers(number, reason):
    with pytest.raises(DomainError) as raised:
        validate_id_number(number)
    assert raised.value.reason == reason and raised.value.violations[0].field == "id_number"


def test_r5_masking():
    assert mask_id_number("45010219900307123X") == "450102********123X"
    assert mask_mobile("13800138000") == "138****8000"


@pytest.mark.parametrize(
    "mobile,ok",
    [
        ("13800138000", True),
        ("19912345678", True),
        ("12800138000", False),
        ("1380013800", False),
        ("+8613800138000", False),
    ],
)
def test_r7_mobile_numbers(mobile, ok):
    if ok:
        assert validate_mobile(mobile) == mobile
    else:
        with pytest.raises(DomainError):
            validate_mobile(mobile)


# --- R8
def test_r8_every_kind_has_its_inverse():
    pairs = {(kind.value, kind.inverse.value) for kind in RelationKind}
    assert pairs == {
        ("spouse", "spouse"),
        ("parent", "child"),
        ("child", "parent"),
        ("sibling", "sibling"),
    } | {
        ("grandparent", "grandchild"),
        ("grandchild", "grandparent"),
    }


def test_r8_moving_or_ending_insurance_lapses_relations():
    now = datetime(2026, 3, 2, tzinfo=UTC)
    person = Person("p", "h", "m", "张三", InsuranceType.EMPLOYEE, "450102", InsuranceStatus.ACTIVE, now, now)
    assert person.change_insurance(now, None, "450103", None)[1]  # another insured region
    assert person.change_insurance(now, InsuranceStatus.ENDED, None, None)[1]
    unchanged, lapses = person.change_insurance(now, InsuranceStatus.ACTIVE, "450102", None)
    assert unchanged is person and not lapses
    assert not person.change_insurance(now, None, None, InsuranceType.RESIDENT)[1]


def test_pooling_regions():
    assert pooling_region("450102") == "450100"
    assert pooling_region("110105") == "110000"  # municipality
    assert pooling_region("419001") == "419001"  # 济源, directly under 河南


# --- R9
@pytest.mark.parametrize("password", ["111111", "123456", "654321", "12345", "12345a"])
def test_r9_weak_or_malformed_passwords(password):
    with pytest.raises(DomainError):
        validate_new_password(password)


@pytest.mark.parametrize(
    "utc_now,unlock_utc",
    [
        (datetime(2026, 3, 2, 2, 0, tzinfo=UTC), datetime(2026, 3, 2, 16, 0, tzinfo=UTC)),  # 10:00 Beijing
        (datetime(2026, 3, 2, 15, 59, tzinfo=UTC), datetime(2026, 3, 2, 16, 0, tzinfo=UTC)),  # 23:59 Beijing
        (
            datetime(2026, 3, 2, 16, 30, tzinfo=UTC),
            datetime(2026, 3, 3, 16, 0, tzinfo=UTC),
        ),  # 00:30 Beijing, next day in Beijing
        (
            datetime(2026, 12, 31, 17, 0, tzinfo=UTC),
            datetime(2027, 1, 1, 16, 0, tzinfo=UTC),
        ),  # across the year
    ],
)
def test_r9_lock_lasts_until_the_next_beijing_midnight(utc_now, unlock_utc):
    assert next_beijing_midnight(utc_now) == unlock_utc
    state = PasswordState("hash")
    for _ in range(5):
        state = state.after_attempt(False, utc_now)
    assert (
        state.locked_until == unlock_utc
        and state.locked_at(unlock_utc - timedelta(seconds=1))
        and not state.locked_at(unlock_utc)
    )


def test_r9_a_right_password_resets_the_count_and_an_expired_lock_starts_afresh():
    now = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)
    state = PasswordState("hash")
    for _ in range(4):
        state = state.after_attempt(False, now)
    assert state.attempts_left == 1 and not state.locked_at(now)
    assert state.after_attempt(True, now).attempts_left == 5
    locked = state.after_attempt(False, now)
    after_lock = locked.after_attempt(False, locked.locked_until)
    assert after_lock.failures == 1 and after_lock.locked_until is None


def test_r9_wrong_attempts_count_per_beijing_day():
    evening = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)  # 23:00 Beijing
    state = PasswordState("hash")
    for _ in range(4):
        state = state.after_attempt(False, evening)
    assert state.attempts_left == 1
    next_morning = evening + timedelta(hours=2)  # 01:00 Beijing, the next day
    state = state.after_attempt(False, next_morning)
    assert (state.failures, state.attempts_left, state.locked_at(next_morning)) == (1, 4, False)
    same_day = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)  # 09:00 Beijing: four, then one more that day
    state = PasswordState("hash")
    for hour in range(5):
        state = state.after_attempt(False, same_day + timedelta(hours=hour))
    assert state.locked_at(same_day + timedelta(hours=5))


def test_r9_face_ticket_expiry():
    now = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)
    token = mint_face_ticket(KEY, "p1", Purpose.TRANSFER, "t1", now, ttl=timedelta(minutes=2))
    ticket = read_face_ticket(token, KEY, "p1", Purpose.TRANSFER, now + timedelta(seconds=119))
    assert (ticket.ticket_id, ticket.expires_at) == ("t1", now + timedelta(minutes=2))
    with pytest.raises(DomainError) as raised:
        read_face_ticket(token, KEY, "p1", Purpose.TRANSFER, now + timedelta(minutes=2))
    assert raised.value.metadata["cause"] == "TICKET_EXPIRED"


# --- R10
def test_r10_wallet_money_never_flows_back_to_a_personal_account():
    with pytest.raises(ValueError):
        Movement(EntryKind.TRANSFER_REFUND, 1, AccountKind.WALLET, 2, AccountKind.PERSONAL, 100)
    with pytest.raises(ValueError):
        Movement(EntryKind.TRANSFER_RECEIVE, 1, AccountKind.RESERVED, 2, AccountKind.PERSONAL, 100)
    movement = Movement(EntryKind.TRANSFER_HOLD, 1, AccountKind.WALLET, 2, AccountKind.RESERVED, 100)
    assert sum(amount for _, amount in movement.postings()) == 0


def test_r15_a_hold_ends_once_in_one_of_two_ways():
    from services.account.domain.holds import Hold, HoldState

    pending = Hold("t1", "payer", "payee", AccountKind.PERSONAL, 100)
    received, entry = pending.end(HoldState.RECEIVED)
    assert (received.state, entry) == (HoldState.RECEIVED, EntryKind.TRANSFER_RECEIVE)
    assert received.end(HoldState.RECEIVED) == (received, None)  # a retry posts nothing
    with pytest.raises(DomainError) as refused:
        received.end(HoldState.REFUNDED)
    assert refused.value.reason == "HOLD_ALREADY_RECEIVED"
    refunded, entry = pending.end(HoldState.REFUNDED)
    assert entry is EntryKind.TRANSFER_REFUND
    with pytest.raises(DomainError):
        refunded.end(HoldState.RECEIVED)


FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")


@pytest.mark.parametrize(
    "check, value",
    [
        (validate_id_number, "11010519491231002X".translate(FULL_WIDTH)),  # a look-alike person
        (validate_id_number, "١١٠١٠٥١٩٤٩١٢٣١٠٠٢X"),  # Arabic-Indic digits
        (validate_mobile, "13800138000".translate(FULL_WIDTH)),
        (validate_new_password, "258036".translate(FULL_WIDTH)),
        (validate_new_password, "258036\n"),
        (validate_code, "450102".translate(FULL_WIDTH)),
        (validate_code, "450102\n"),
        (validate_institution_code, "H45010300001\n"),
        (validate_institution_code, "H4501030000１"),
    ],
)
def test_r20a_digits_are_ascii_digits_and_nothing_trails(check, value):
    """R20a: a full-width or other script's digit is not the same number, and
    a trailing newline is not part of a valid value."""
    with pytest.raises(DomainError) as refused:
        check(value)
    assert refused.value.kind.value == "INVALID_ARGUMENT"
