"""R20 inside the use cases, where the matrix (tests/hostile) cannot see:
there the interceptor's role gate answers first, so these check the access
modules' own guards, and that a refusal says nothing about who exists."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from services.account.domain.persons import InsuranceStatus, InsuranceType, Person
from services.account.usecases import access as account_access
from services.kernel.auth import Principal, Role
from services.kernel.clock import FrozenClock
from services.kernel.errors import DomainError, ErrorKind
from services.region.domain.codes import Level, Region
from services.region.domain.enablement import Action
from services.region.usecases.regions import RegionUseCases
from tests.unit.fakes import RegionTables, region_unit_of_work

NOW = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)
NOT_ADMINS = [
    Principal("transfer", Role.SERVICE),
    Principal("gx", Role.PROVINCE, province="450000"),
    Principal("p1", Role.CITIZEN, person_id="p1"),
]


@pytest.mark.parametrize("caller", NOT_ADMINS, ids=lambda c: c.role.value)
async def test_r20_only_the_administrator_changes_enablement_even_past_the_interceptor(caller):
    tables = RegionTables(regions={"450000": Region("450000", "广西壮族自治区", Level.PROVINCE, None)})
    cases = RegionUseCases(region_unit_of_work(tables), FrozenClock(NOW))
    with pytest.raises(DomainError) as refused:
        await cases.set_enablement(caller, "450000", Action.ENABLE, None, "开通", "r1")
    assert refused.value.kind is ErrorKind.PERMISSION_DENIED
    with pytest.raises(DomainError) as refused:
        await cases.cancel_change(caller, 1, "撤销")
    assert refused.value.kind is ErrorKind.PERMISSION_DENIED
    assert tables.changes == []
    await cases.set_enablement(Principal("ops", Role.ADMIN), "450000", Action.ENABLE, None, "开通", "r1")
    assert len(tables.changes) == 1


class _Persons:
    """The one read person_for makes, with a record of what was asked."""

    def __init__(self, *persons: Person) -> None:
        self._by_id = {p.id: p for p in persons}
        self.asked: list[str] = []

    async def person(self, person_id: str, for_update: bool = False) -> Person | None:
        self.asked.append(person_id)
        return self._by_id.get(person_id)


def _person(person_id: str, region: str) -> Person:
    return Person(
        person_id, "h", "4501**", "张伟", InsuranceType.EMPLOYEE, region, InsuranceStatus.ACTIVE, NOW, NOW
    )


async def _answer(caller: Principal, persons: _Persons, person_id: str, roles) -> tuple[ErrorKind, str]:
    with pytest.raises(DomainError) as refused:
        await account_access.person_for(caller, persons, person_id, roles)
    return refused.value.kind, refused.value.reason


async def test_r20_a_platform_is_refused_alike_for_nobody_and_for_another_provinces_person():
    persons = _Persons(_person("gx-1", "450102"))
    guangdong = Principal("gd", Role.PROVINCE, province="440000")
    readers = account_access.PERSON_READERS
    assert await _answer(guangdong, persons, "gx-1", readers) == await _answer(
        guangdong, persons, "nobody", readers
    )
    assert (await _answer(guangdong, persons, "nobody", readers))[0] is ErrorKind.PERMISSION_DENIED
    # A service may know that a person does not exist.
    service = Principal("transfer", Role.SERVICE)
    assert (await _answer(service, persons, "nobody", readers))[0] is ErrorKind.NOT_FOUND
    guangxi = Principal("gx", Role.PROVINCE, province="450000")
    assert (await account_access.person_for(guangxi, persons, "gx-1", readers)).id == "gx-1"


async def test_r20_a_citizen_or_an_unlisted_role_is_refused_before_anything_is_read():
    persons = _Persons(_person("p1", "450102"), _person("p2", "450102"))
    citizen = Principal("p1", Role.CITIZEN, person_id="p1")
    assert (await _answer(citizen, persons, "p2", account_access.PERSON_READERS))[0] is (
        ErrorKind.PERMISSION_DENIED
    )
    service = Principal("transfer", Role.SERVICE)
    assert (await _answer(service, persons, "p1", account_access.OWNER))[0] is ErrorKind.PERMISSION_DENIED
    assert persons.asked == []
    assert (await account_access.person_for(citizen, persons, "p1", account_access.OWNER)).id == "p1"
