"""Reads and writes of the region database (SQLAlchemy Core, async)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import replace

from sqlalchemy import insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.orm import aliased

from services.kernel.db import first, from_row, row_values
from services.kernel.uow import SqlUnitOfWork, unit_of_work_factory
from services.region.adapters.tables import enablement_changes, institutions, regions
from services.region.domain.codes import Level, Region, RegionPath
from services.region.domain.enablement import Change
from services.region.domain.institutions import Institution, Kind


class RegionRepository:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    # --- regions
    async def paths(self, codes: Iterable[str]) -> dict[str, RegionPath]:
        """Each known code with its ancestors, in one query (the tree is at most three deep)."""
        wanted = set(codes)
        if not wanted:
            return {}
        parent, grand = aliased(regions), aliased(regions)
        query = (
            select(regions, parent, grand)
            .select_from(regions)
            .outerjoin(parent, parent.c.code == regions.c.parent_code)
            .outerjoin(grand, grand.c.code == parent.c.parent_code)
            .where(regions.c.code.in_(wanted))
        )
        result = {}
        for row in (await self._conn.execute(query)).all():
            chain = []
            for offset in (0, 4, 8):
                code, name, level, parent_code = row[offset : offset + 4]
                if code is not None:
                    chain.append(Region(code, name, Level(level), parent_code))
            result[chain[0].code] = RegionPath(tuple(chain))
        return result

    async def children(self, parent_code: str | None) -> list[Region]:
        condition = (
            regions.c.parent_code.is_(None) if parent_code is None else regions.c.parent_code == parent_code
        )
        rows = await self._conn.execute(select(regions).where(condition).order_by(regions.c.code))
        return [from_row(Region, r) for r in rows]

    # --- enablement
    async def changes_for(self, codes: Iterable[str]) -> dict[str, list[Change]]:
        wanted = set(codes)
        found: dict[str, list[Change]] = defaultdict(list)
        if wanted:
            rows = await self._conn.execute(
                select(enablement_changes).where(
                    enablement_changes.c.region_code.in_(wanted), enablement_changes.c.cancelled_at.is_(None)
                )
            )
            for row in rows:
                found[row.region_code].append(from_row(Change, row))
        return found

    async def add_change(self, change: Change, request_id: str | None, request_hash: str | None) -> Change:
        values = row_values(change, request_id=request_id, request_hash=request_hash)
        del values["id"]
        query = insert(enablement_changes).values(values).returning(enablement_changes.c.id)
        return replace(change, id=(await self._conn.execute(query)).scalar_one())

    async def change_by_request_id(self, request_id: str) -> tuple[Change, str] | None:
        row = (
            await self._conn.execute(
                select(enablement_changes).where(enablement_changes.c.request_id == request_id)
            )
        ).first()
        return (from_row(Change, row), row.request_hash) if row else None

    async def get_change(self, change_id: int, for_update: bool = False) -> Change | None:
        query = select(enablement_changes).where(enablement_changes.c.id == change_id)
        return await first(self._conn, Change, query, for_update)

    async def save_cancellation(self, change: Change) -> None:
        await self._conn.execute(
            update(enablement_changes)
            .where(enablement_changes.c.id == change.id, enablement_changes.c.cancelled_at.is_(None))
            .values(row_values(change))
        )

    async def history(self, codes: Sequence[str], before_id: int | None, limit: int) -> list[Change]:
        query = select(enablement_changes).where(enablement_changes.c.region_code.in_(codes))
        if before_id is not None:
            query = query.where(enablement_changes.c.id < before_id)
        rows = await self._conn.execute(query.order_by(enablement_changes.c.id.desc()).limit(limit))
        return [from_row(Change, r) for r in rows]

    # --- institutions
    async def add_institution(self, institution: Institution, path: RegionPath) -> None:
        prefecture = next((r.code for r in path.regions if r.level is Level.PREFECTURE), None)
        values = row_values(institution, prefecture_code=prefecture, province_code=path.regions[-1].code)
        await self._conn.execute(insert(institutions).values(values))

    async def get_institution(self, code: str, for_update: bool = False) -> Institution | None:
        query = select(institutions).where(institutions.c.code == code)
        return await first(self._conn, Institution, query, for_update)

    async def save_institution(self, institution: Institution) -> None:
        query = update(institutions).where(institutions.c.code == institution.code)
        await self._conn.execute(query.values(row_values(institution)))

    async def list_institutions(
        self,
        region_code: str,
        kind: Kind | None,
        accepts_wallet_only: bool,
        after_code: str | None,
        limit: int,
    ) -> list[Institution]:
        query = select(institutions).where(
            or_(
                institutions.c.region_code == region_code,
                institutions.c.prefecture_code == region_code,
                institutions.c.province_code == region_code,
            )
        )
        if kind is not None:
            query = query.where(institutions.c.kind == kind.value)
        if accepts_wallet_only:
            query = query.where(institutions.c.accepts_wallet.is_(True))
        if after_code is not None:
            query = query.where(institutions.c.code > after_code)
        rows = await self._conn.execute(query.order_by(institutions.c.code).limit(limit))
        return [from_row(Institution, r) for r in rows]


def region_unit_of_work(engine):
    """Units of work of the region service: ``tx.regions`` on one transaction."""
    return unit_of_work_factory(engine, lambda conn: {"regions": RegionRepository(conn)}, SqlUnitOfWork)
