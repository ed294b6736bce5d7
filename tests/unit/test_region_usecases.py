"""The region use cases on a fake unit of work: enablement resolved along the
path, idempotent settings, a lost race on a request id (R2, R3, R4, R16)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from services.kernel.auth import Principal, Role
from services.kernel.clock import FrozenClock
from services.kernel.errors import DomainError
from services.region.domain.codes import Level, Region
from services.region.domain.enablement import Action
from services.region.domain.institutions import Kind
from services.region.usecases.institutions import InstitutionUseCases
from services.region.usecases.regions import RegionUseCases
from tests.unit.fakes import RegionTables, region_unit_of_work

ADMIN = Principal("ops", Role.ADMIN)


@pytest.fixture
def tables() -> RegionTables:
    regions = [
        Region("450000", "广西壮族自治区", Level.PROVINCE, None),
        Region("450100", "南宁市", Level.PREFECTURE, "450000"),
        Region("450102", "兴宁区", Level.COUNTY, "450100"),
        Region("450300", "桂林市", Level.PREFECTURE, "450000"),
    ]
    return RegionTables(regions={r.code: r for r in regions})


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(datetime(2026, 3, 2, 2, 0, tzinfo=UTC))


@pytest.fixture
def cases(tables, clock) -> RegionUseCases:
    return RegionUseCases(region_unit_of_work(tables), clock)


async def test_r2_r3_a_county_inherits_its_province_and_unknown_stays_unknown(cases):
    await cases.set_enablement(ADMIN, "450000", Action.ENABLE, None, "广西开通", "r1")
    await cases.set_enablement(ADMIN, "450300", Action.DISABLE, None, "桂林暂缓", "r2")
    results = {r.code: r for r in await cases.check_regions(["450102", "450300", "999999"])}
    assert (
        results["450102"].enablement.enabled
        and results["450102"].enablement.decided_by.region_code == "450000"
    )
    assert not results["450300"].enablement.enabled
    assert not results["999999"].known


async def test_r2_a_scheduled_setting_is_announced_then_takes_effect(cases, clock):
    later = clock.now() + timedelta(days=1)
    await cases.set_enablement(ADMIN, "450100", Action.ENABLE, later, "南宁下月开通", "r1")
    view = await cases.get_region("450102")
    assert not view.enablement.enabled and view.enablement.next_change.effective_from == later
    clock.set(later)
    assert (await cases.get_region("450102")).enablement.enabled


async def test_r16_a_setting_replayed_or_raced_is_recorded_once(cases, tables):
    first, _ = await cases.set_enablement(ADMIN, "450000", Action.ENABLE, None, "开通", "same")
    again, _ = await cases.set_enablement(ADMIN, "450000", Action.ENABLE, None, "开通", "same")
    assert again == first and len(tables.changes) == 1
    with pytest.raises(DomainError) as reused:
        await cases.set_enablement(ADMIN, "450000", Action.DISABLE, None, "关闭", "same")
    assert reused.value.reason == "REQUEST_ID_REUSED"


async def test_r16_losing_the_insert_race_answers_with_the_winner(tables, clock, monkeypatch):
    """A concurrent call with the same request id inserted first: the unit
    of work reports a Conflict, and the use case reads the winner's change."""
    cases = RegionUseCases(region_unit_of_work(tables), clock)
    winner, _ = await cases.set_enablement(ADMIN, "450000", Action.ENABLE, None, "开通", "race")
    from tests.unit import fakes

    real = fakes.FakeRegionRepository.change_by_request_id
    calls = iter([None])  # the first look misses the winner, as in a race

    async def racing(self, request_id):
        return next(calls, await real(self, request_id))

    monkeypatch.setattr(fakes.FakeRegionRepository, "change_by_request_id", racing)
    again, _ = await cases.set_enablement(ADMIN, "450000", Action.ENABLE, None, "开通", "race")
    assert again == winner and len(tables.changes) == 1


async def test_r4_an_institution_is_registered_once_under_a_known_region(tables, clock):
    institutions = InstitutionUseCases(region_unit_of_work(tables), clock)
    created = await institutions.create("H45010200001", "南宁医院", None, "450102", True)
    assert created.kind is Kind.HOSPITAL
    for code, region, reason in (
        ("H45010200001", "450102", "INSTITUTION_ALREADY_EXISTS"),
        ("H99999900001", "999999", "REGION_NOT_FOUND"),
    ):
        with pytest.raises(DomainError) as refused:
            await institutions.create(code, "重复", None, region, True)
        assert refused.value.reason == reason
