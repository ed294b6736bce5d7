"""Loads the national division list (R1) and, on request, demo settings."""

from __future__ import annotations

import csv
from datetime import timedelta
from importlib import resources

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from services.kernel.auth import Principal, Role
from services.kernel.clock import Clock, beijing
from services.region.adapters.repository import region_unit_of_work
from services.region.adapters.tables import regions
from services.region.domain.enablement import Action
from services.region.domain.institutions import Kind
from services.region.usecases.institutions import InstitutionUseCases
from services.region.usecases.regions import RegionUseCases

DATA_FILE = "divisions.tsv"


def read_divisions() -> list[dict]:
    text = resources.files("services.region").joinpath("data", DATA_FILE).read_text(encoding="utf-8")
    lines = [line for line in text.splitlines() if line and not line.startswith("#")]
    return [
        {
            "code": row["code"],
            "name": row["name"],
            "level": int(row["level"]),
            "parent_code": row["parent"] or None,
        }
        for row in csv.DictReader(lines, delimiter="\t")
    ]


async def load_divisions(engine: AsyncEngine) -> tuple[int, int]:
    """Inserts missing regions and renames changed ones; returns (added, renamed)."""
    rows = read_divisions()
    async with engine.begin() as conn:
        existing = dict((await conn.execute(select(regions.c.code, regions.c.name))).all())
        # Parents first, so the self-referencing foreign key holds row by row.
        new = sorted((r for r in rows if r["code"] not in existing), key=lambda r: r["level"])
        for level in (1, 2, 3):
            batch = [r for r in new if r["level"] == level]
            if batch:
                await conn.execute(insert(regions), batch)
        renamed = [r for r in rows if r["code"] in existing and existing[r["code"]] != r["name"]]
        for r in renamed:
            await conn.execute(update(regions).where(regions.c.code == r["code"]).values(name=r["name"]))
    return len(new), len(renamed)


# Demo: the wallet on in Guangxi, Beijing and Guangdong, off in one Guangxi
# city, scheduled for Jiangsu; a few designated institutions.
DEMO_SETTINGS = [
    ("450000", Action.ENABLE, None, "广西壮族自治区开通医保钱包"),
    ("110000", Action.ENABLE, None, "北京市开通医保钱包"),
    ("440000", Action.ENABLE, None, "广东省开通医保钱包"),
    ("450300", Action.DISABLE, None, "桂林市暂缓开通"),
    ("320000", Action.ENABLE, timedelta(days=30), "江苏省计划开通"),
]
DEMO_INSTITUTIONS = [
    ("H45010300001", "广西医科大学第一附属医院", Kind.HOSPITAL, "450103", True),
    ("P45010300001", "南宁市青秀区大药房", Kind.RETAIL_PHARMACY, "450103", True),
    ("P45010200001", "南宁市兴宁区社区药店", Kind.RETAIL_PHARMACY, "450102", False),
    ("H11010100001", "北京协和医院", Kind.HOSPITAL, "110101", True),
    ("H44010400001", "中山大学附属第一医院", Kind.HOSPITAL, "440104", True),
]


async def load_demo(engine: AsyncEngine, clock: Clock) -> None:
    """Idempotent: request ids make re-runs no-ops."""
    uow = region_unit_of_work(engine)
    regions_, institutions = RegionUseCases(uow, clock), InstitutionUseCases(uow, clock)
    seeder = Principal("seed", Role.ADMIN)
    for code, action, delay, reason in DEMO_SETTINGS:
        at = None
        if delay:
            # A scheduled one is dated from the first run: a re-run on a later
            # day finds the region's settings there and leaves them.
            async with uow(read_only=True) as tx:
                if await tx.regions.history([code], None, 1):
                    continue
            at = beijing(clock.now() + delay).replace(hour=0, minute=0, second=0, microsecond=0)
        request_id = f"demo-enablement-{code}" + (f"-{at:%Y%m%d}" if at else "")
        await regions_.set_enablement(seeder, code, action, at, reason, request_id)
    for code, name, kind, region, accepts in DEMO_INSTITUTIONS:
        async with uow() as tx:
            known = await tx.regions.get_institution(code) is not None
        if not known:
            await institutions.create(code, name, kind, region, accepts)


async def seed_region(database_url: str, clock: Clock, demo: bool = False) -> tuple[int, int]:
    """The division list (and, with ``demo``, the demo settings) into a
    migrated region database; returns (added, renamed)."""
    from services.kernel.db import create_engine

    engine = create_engine(database_url)
    try:
        counts = await load_divisions(engine)
        if demo:
            await load_demo(engine, clock)
        return counts
    finally:
        await engine.dispose()
