"""Reads and writes of the region database (SQLAlchemy Core, async)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import datetime

from sqlalchemy import and_, delete, func, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.orm import aliased

from services.kernel.db import first, from_row, insert_ignoring_conflicts, insert_new, row_values
from services.kernel.uow import SqlUnitOfWork, unit_of_work_factory
from services.region.adapters.tables import (
    account_shards,
    enablement_changes,
    institutions,
    platform_keys,
    platform_nonces,
    platforms,
    regions,
    shard_provinces,
)
from services.region.domain.codes import Level, Region, RegionPath
from services.region.domain.enablement import Change
from services.region.domain.institutions import Institution, Kind
from services.region.domain.platforms import KeyState, Nonce, PlatformKey
from services.region.domain.shards import AccountShard

# A platform key with its platform's province.
_KEYS = select(platform_keys, platforms.c.province).join(
    platforms, platforms.c.app_id == platform_keys.c.app_id
)


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

    # --- platforms, their keys and nonces (R25)
    async def add_platform(self, app_id: str, province: str, now: datetime) -> None:
        """Records the platform unless it is there (its province is then the one it had)."""
        query = insert_ignoring_conflicts(self._conn, platforms)
        await self._conn.execute(query.values(app_id=app_id, province=province, created_at=now))

    async def platform_province(self, app_id: str, for_update: bool = False) -> str | None:
        """The platform's province; ``for_update`` locks its row, so that the
        changes of one platform's keys happen one at a time."""
        query = select(platforms.c.province).where(platforms.c.app_id == app_id)
        return (await self._conn.execute(query.with_for_update() if for_update else query)).scalar()

    async def platform_key(self, key_id: str, for_update: bool = False) -> PlatformKey | None:
        query = _KEYS.where(platform_keys.c.key_id == key_id)
        return await first(self._conn, PlatformKey, query, for_update)

    async def platform_key_by_public_key(self, public_key: str) -> PlatformKey | None:
        return await first(self._conn, PlatformKey, _KEYS.where(platform_keys.c.public_key == public_key))

    async def active_key_count(self, app_id: str) -> int:
        query = select(func.count()).where(
            platform_keys.c.app_id == app_id, platform_keys.c.state == KeyState.ACTIVE.value
        )
        return (await self._conn.execute(query)).scalar_one()

    async def add_platform_key(self, key: PlatformKey) -> None:
        values = row_values(key)
        del values["province"]  # the platform's
        await self._conn.execute(insert(platform_keys).values(values))

    async def save_platform_key(self, key: PlatformKey) -> None:
        values = row_values(key)
        del values["province"]
        await self._conn.execute(
            update(platform_keys).where(platform_keys.c.key_id == key.key_id).values(values)
        )

    async def list_platform_keys(
        self, app_id: str | None, active_only: bool, after: list | None, limit: int
    ) -> list[PlatformKey]:
        """By app_id, then age; ``after`` is the (app_id, created_at, key_id) of the last one seen."""
        query = _KEYS
        if app_id is not None:
            query = query.where(platform_keys.c.app_id == app_id)
        if active_only:
            query = query.where(platform_keys.c.state == KeyState.ACTIVE.value)
        if after is not None:
            last_app, last_created, last_key = after[0], datetime.fromisoformat(after[1]), after[2]
            c = platform_keys.c
            query = query.where(
                or_(
                    c.app_id > last_app,
                    and_(c.app_id == last_app, c.created_at > last_created),
                    and_(c.app_id == last_app, c.created_at == last_created, c.key_id > last_key),
                )
            )
        order = (platform_keys.c.app_id, platform_keys.c.created_at, platform_keys.c.key_id)
        rows = await self._conn.execute(query.order_by(*order).limit(limit))
        return [from_row(PlatformKey, r) for r in rows]

    async def claim_nonce(self, nonce: Nonce) -> bool:
        """Records the nonce; False when it was there (claimed before, or concurrently)."""
        return await insert_new(self._conn, platform_nonces, row_values(nonce))

    async def purge_nonces(self, now: datetime, limit: int) -> int:
        """Deletes at most ``limit`` expired nonces; how many it deleted."""
        expired = select(platform_nonces.c.id).where(platform_nonces.c.expires_at <= now).limit(limit)
        result = await self._conn.execute(delete(platform_nonces).where(platform_nonces.c.id.in_(expired)))
        return result.rowcount

    # --- account shards (R24)
    async def account_shards(self, name: str | None = None) -> list[AccountShard]:
        """Every shard (or the one named), by name, with its provinces ascending."""
        query = select(account_shards, shard_provinces.c.province).outerjoin(
            shard_provinces, shard_provinces.c.shard == account_shards.c.name
        )
        if name is not None:
            query = query.where(account_shards.c.name == name)
        found: dict[str, AccountShard] = {}
        for r in await self._conn.execute(query.order_by(account_shards.c.name, shard_provinces.c.province)):
            shard = found.get(r.name) or AccountShard(r.name, r.target, (), r.updated_at)
            found[r.name] = replace(shard, provinces=shard.provinces + ((r.province,) if r.province else ()))
        return list(found.values())

    async def put_account_shard(self, name: str, target: str, now: datetime) -> bool:
        """Records the shard, or sets its target; True when it was new. Locks
        its row: changes of one shard happen one at a time."""
        new = await insert_new(
            self._conn, account_shards, {"name": name, "target": target, "updated_at": now}
        )
        if not new:
            query = select(account_shards.c.name).where(account_shards.c.name == name).with_for_update()
            await self._conn.execute(query)
            await self._conn.execute(
                update(account_shards)
                .where(account_shards.c.name == name)
                .values(target=target, updated_at=now)
            )
        return new

    async def bind_provinces(self, shard: str, provinces: Sequence[str], now: datetime) -> dict[str, str]:
        """Binds the provinces no shard owns to ``shard``; returns the owner
        of each province asked (``shard``, or the one that owned it)."""
        if not provinces:
            return {}
        rows = [{"province": p, "shard": shard, "bound_at": now} for p in provinces]
        await self._conn.execute(insert_ignoring_conflicts(self._conn, shard_provinces), rows)
        query = select(shard_provinces.c.province, shard_provinces.c.shard).where(
            shard_provinces.c.province.in_(list(provinces))
        )
        return {p: s for p, s in await self._conn.execute(query)}


def region_unit_of_work(engine):
    """Units of work of the region service: ``tx.regions`` on one transaction."""
    return unit_of_work_factory(engine, lambda conn: {"regions": RegionRepository(conn)}, SqlUnitOfWork)
