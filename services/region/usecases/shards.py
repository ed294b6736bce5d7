"""The account shards' map (R24): kept by the administrator, read by the
services that route to the account service (domain/shards.py)."""

from __future__ import annotations

from collections.abc import Callable

from services.kernel.clock import Clock
from services.region.domain.errors import province_owned_by_shard, region_not_found, shard_provinces_required
from services.region.domain.shards import AccountShard


class ShardUseCases:
    def __init__(self, uow: Callable, clock: Clock) -> None:
        self._uow = uow
        self._clock = clock

    async def put(self, name: str, target: str, provinces: list[str]) -> AccountShard:
        asked = AccountShard.asked(name, target, provinces, self._clock.now())
        async with self._uow() as tx:
            known = await tx.regions.paths(asked.provinces)
            for code in asked.provinces:
                if code not in known:
                    raise region_not_found(code)
            new = await tx.regions.put_account_shard(asked.name, asked.target, asked.updated_at)
            if new and not asked.provinces:
                raise shard_provinces_required(asked.name)
            owners = await tx.regions.bind_provinces(asked.name, asked.provinces, asked.updated_at)
            for code in asked.provinces:
                if owners[code] != asked.name:
                    raise province_owned_by_shard(code, owners[code])
            [shard] = await tx.regions.account_shards(asked.name)
            await tx.commit()
        return shard

    async def all(self) -> list[AccountShard]:
        async with self._uow(read_only=True) as tx:
            return await tx.regions.account_shards()
