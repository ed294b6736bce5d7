"""The region database on SQLite and PostgreSQL: migrations, the national
list (R1), paths, enablement history and institution queries."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from services.kernel.db import create_engine
from services.kernel.migrations import downgrade, upgrade
from services.region.adapters.repository import RegionRepository
from services.region.adapters.seed import load_divisions, read_divisions
from services.region.adapters.tables import regions
from services.region.domain.codes import Level
from services.region.domain.enablement import Action, Change
from services.region.domain.institutions import Institution, Kind


def test_r1_data_file_holds_the_national_list():
    rows = read_divisions()
    levels = [r["level"] for r in rows]
    assert (levels.count(1), levels.count(2), levels.count(3)) == (33, 333, 2845)
    by_code = {r["code"]: r for r in rows}
    assert by_code["450100"] == {"code": "450100", "name": "南宁市", "level": 2, "parent_code": "450000"}
    assert by_code["450000"]["name"] == "广西壮族自治区"
    # Every parent is in the list.
    assert all(r["parent_code"] in by_code for r in rows if r["parent_code"])


async def test_r1_seed_loads_everything_once(engine):
    async with engine.connect() as conn:
        counts = dict(
            (await conn.execute(select(regions.c.level, func.count()).group_by(regions.c.level))).all()
        )
    assert counts == {1: 33, 2: 333, 3: 2845}
    assert await load_divisions(engine) == (0, 0)


async def test_paths_walk_up_to_the_province(engine):
    async with engine.connect() as conn:
        paths = await RegionRepository(conn).paths(["450102", "450100", "110101", "450000", "999999"])
    assert paths["450102"].codes == ("450102", "450100", "450000")
    assert paths["450100"].codes == ("450100", "450000")
    # Municipal districts hang directly under the municipality.
    assert paths["110101"].codes == ("110101", "110000")
    assert paths["450000"].region.level is Level.PROVINCE
    assert "999999" not in paths


async def test_changes_are_kept_and_listed_newest_first(engine, clock):
    now = clock.now()
    async with engine.begin() as conn:
        repo = RegionRepository(conn)
        first = await repo.add_change(Change(0, "450000", Action.ENABLE, now, "a", "r1", now), "req-1", "h1")
        second = await repo.add_change(
            Change(0, "450100", Action.DISABLE, now + timedelta(days=1), "b", "r2", now), None, None
        )
    assert second.id > first.id
    async with engine.connect() as conn:
        repo = RegionRepository(conn)
        history = await repo.history(["450100", "450000"], None, 10)
        assert [c.id for c in history] == [second.id, first.id]
        assert history[0].effective_from == now + timedelta(days=1)  # aware UTC round trip
        assert (await repo.history(["450100", "450000"], second.id, 10))[0].id == first.id
        assert (await repo.change_by_request_id("req-1"))[1] == "h1"
        assert set(await repo.changes_for(["450000", "450100", "450102"])) == {"450000", "450100"}


async def test_institutions_are_listed_from_any_level_above(engine, clock):
    now = clock.now()
    async with engine.begin() as conn:
        repo = RegionRepository(conn)
        paths = await repo.paths(["450103", "450102", "110101"])
        for code, region, accepts in [
            ("H45010300001", "450103", True),
            ("P45010200001", "450102", False),
            ("H11010100001", "110101", True),
        ]:
            await repo.add_institution(
                Institution.register(code, "机构", None, region, accepts, now), paths[region]
            )
    async with engine.connect() as conn:
        repo = RegionRepository(conn)

        async def codes(region, kind=None, wallet=False, after=None, limit=10):
            return [i.code for i in await repo.list_institutions(region, kind, wallet, after, limit)]

        assert await codes("450000") == ["H45010300001", "P45010200001"]
        assert await codes("450100") == ["H45010300001", "P45010200001"]
        assert await codes("450102") == ["P45010200001"]
        assert await codes("110000") == ["H11010100001"]
        assert await codes("450000", wallet=True) == ["H45010300001"]
        assert await codes("450000", kind=Kind.RETAIL_PHARMACY) == ["P45010200001"]
        assert await codes("450000", after="H45010300001") == ["P45010200001"]


@pytest.mark.postgres
async def test_migrations_downgrade_and_upgrade_again(postgres_url):
    upgrade("region", postgres_url)
    downgrade("region", postgres_url, "base")
    upgrade("region", postgres_url)
    engine = create_engine(postgres_url)
    try:
        assert await load_divisions(engine) == (3211, 0)
    finally:
        await engine.dispose()
