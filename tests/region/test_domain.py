"""Region domain rules, no database: codes (R1), enablement inheritance and
scheduling (R2), institutions (R4)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from services.kernel.errors import DomainError, ErrorKind
from services.region.domain.codes import validate_code
from services.region.domain.enablement import (
    Action,
    Change,
    resolve,
    validate_effective_from,
    validate_reason,
)
from services.region.domain.institutions import Institution, Kind

NOW = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)
PATH = ("450102", "450100", "450000")  # 兴宁区 < 南宁市 < 广西


def change(id_, code, action, at=NOW - timedelta(days=1), cancelled=False):
    return Change(id_, code, action, at, "ops", "why", NOW - timedelta(days=2), NOW if cancelled else None)


def by_region(*changes):
    found = {}
    for c in changes:
        found.setdefault(c.region_code, []).append(c)
    return found


@pytest.mark.parametrize("code", ["450100", "110101", "659001"])
def test_r1_valid_codes(code):
    assert validate_code(code) == code


@pytest.mark.parametrize("code", ["", "45010", "4501000", "45010a", "045010", " 450100"])
def test_r1_malformed_codes_are_invalid_argument_naming_the_field(code):
    with pytest.raises(DomainError) as raised:
        validate_code(code, "codes[3]")
    assert raised.value.kind is ErrorKind.INVALID_ARGUMENT
    assert raised.value.reason == "REGION_CODE_INVALID"
    assert raised.value.violations[0].field == "codes[3]"


def test_r2_nothing_on_the_path_means_disabled():
    result = resolve(PATH, {}, NOW)
    assert not result.enabled and result.decided_by is None


def test_r2_province_setting_is_inherited_by_city_and_county():
    province = change(1, "450000", Action.ENABLE)
    result = resolve(PATH, by_region(province), NOW)
    assert result.enabled and result.decided_by == province


def test_r2_nearest_explicit_setting_wins():
    changes = by_region(change(1, "450000", Action.ENABLE), change(2, "450100", Action.DISABLE))
    assert not resolve(PATH, changes, NOW).enabled
    assert resolve(("450000",), changes, NOW).enabled
    assert not resolve(("450100", "450000"), changes, NOW).enabled
    # A county override beats its disabled city.
    changes["450102"] = [change(3, "450102", Action.ENABLE)]
    assert resolve(PATH, changes, NOW).decided_by.region_code == "450102"


def test_r2_inherit_removes_the_regions_own_setting():
    changes = by_region(
        change(1, "450000", Action.ENABLE),
        change(2, "450100", Action.DISABLE, NOW - timedelta(hours=5)),
        change(3, "450100", Action.INHERIT, NOW - timedelta(hours=1)),
    )
    result = resolve(PATH, changes, NOW)
    assert result.enabled and result.decided_by.region_code == "450000"


def test_r2_latest_setting_in_effect_wins_then_by_record_order():
    same_time = NOW - timedelta(hours=1)
    changes = by_region(
        change(1, "450000", Action.ENABLE, same_time), change(2, "450000", Action.DISABLE, same_time)
    )
    assert not resolve(PATH, changes, NOW).enabled


def test_r2_scheduled_setting_applies_only_from_its_time_and_is_announced():
    start = NOW + timedelta(days=3)
    scheduled = change(1, "450000", Action.ENABLE, start)
    changes = by_region(scheduled)
    before = resolve(PATH, changes, NOW)
    assert not before.enabled and before.next_change == scheduled
    assert not resolve(PATH, changes, start - timedelta(microseconds=1)).enabled
    after = resolve(PATH, changes, start)
    assert after.enabled and after.next_change is None


def test_r2_scheduled_withdrawal():
    changes = by_region(
        change(1, "450000", Action.ENABLE), change(2, "450000", Action.DISABLE, NOW + timedelta(days=1))
    )
    result = resolve(PATH, changes, NOW)
    assert result.enabled and result.next_change.id == 2
    assert not resolve(PATH, changes, NOW + timedelta(days=1)).enabled


def test_r2_next_change_skips_settings_that_do_not_flip_the_answer():
    changes = by_region(
        change(1, "450000", Action.ENABLE),
        change(2, "450100", Action.ENABLE, NOW + timedelta(days=1)),  # already enabled: no flip
        change(3, "450000", Action.DISABLE, NOW + timedelta(days=2)),  # city's own setting keeps it on
        change(4, "450100", Action.INHERIT, NOW + timedelta(days=3)),  # now follows the disabled province
    )
    assert resolve(PATH, changes, NOW).next_change.id == 4


def test_r2_cancelled_setting_is_ignored():
    changes = by_region(change(1, "450000", Action.ENABLE, cancelled=True))
    assert not resolve(PATH, changes, NOW).enabled


def test_r2_cancel_only_before_it_takes_effect():
    future = change(1, "450000", Action.ENABLE, NOW + timedelta(hours=1))
    cancelled = future.cancel("ops2", "plan changed", NOW)
    assert (
        cancelled.cancelled and cancelled.cancelled_by == "ops2" and cancelled.cancel_reason == "plan changed"
    )
    with pytest.raises(DomainError) as again:
        cancelled.cancel("ops2", "again", NOW)
    assert again.value.reason == "CHANGE_ALREADY_CANCELLED"
    with pytest.raises(DomainError) as effective:
        change(2, "450000", Action.ENABLE, NOW).cancel("ops2", "late", NOW)
    assert effective.value.reason == "CHANGE_ALREADY_EFFECTIVE"


def test_r2_effective_from_cannot_be_backdated():
    assert validate_effective_from(None, NOW) == NOW
    assert validate_effective_from(NOW - timedelta(seconds=30), NOW) == NOW  # clock skew tolerated
    with pytest.raises(DomainError) as raised:
        validate_effective_from(NOW - timedelta(hours=1), NOW)
    assert raised.value.reason == "EFFECTIVE_FROM_IN_PAST"


@pytest.mark.parametrize(
    "reason,expected", [("", "REASON_REQUIRED"), ("   ", "REASON_REQUIRED"), ("x" * 501, "REASON_TOO_LONG")]
)
def test_r2_every_change_says_why(reason, expected):
    with pytest.raises(DomainError) as raised:
        validate_reason(reason)
    assert raised.value.reason == expected


def test_r4_institution_kind_follows_the_code_letter():
    hospital = Institution.register("H45010300001", "医院", None, "450103", True, NOW)
    assert hospital.kind is Kind.HOSPITAL
    assert (
        Institution.register("P45010300001", "药店", None, "450103", False, NOW).kind is Kind.RETAIL_PHARMACY
    )
    with pytest.raises(DomainError) as raised:
        Institution.register("P45010300001", "药店", Kind.HOSPITAL, "450103", False, NOW)
    assert raised.value.reason == "INSTITUTION_KIND_MISMATCH"


@pytest.mark.parametrize("code", ["X45010300001", "H4501030000", "H450103000011", "h45010300001"])
def test_r4_malformed_institution_codes(code):
    with pytest.raises(DomainError) as raised:
        Institution.register(code, "名称", None, "450103", True, NOW)
    assert raised.value.reason == "INSTITUTION_CODE_INVALID"


def test_r4_update_changes_only_what_is_given():
    original = Institution.register("H45010300001", "医院", None, "450103", False, NOW)
    later = NOW + timedelta(hours=1)
    updated = original.update(later, accepts_wallet=True)
    assert updated.accepts_wallet and updated.name == "医院" and updated.updated_at == later
    assert original.update(later, accepts_wallet=False) is original
