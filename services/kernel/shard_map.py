"""The account shards' map (R24) as the services that route to the account
service read it: from the region service's ListAccountShards, cached with
a bound on staleness. Within ``ttl`` of the last read the cached map is
answered; after it, the map is read again, and a read that fails is an
error (UNAVAILABLE), never an answer older than the bound. The map only
ever gains shards and provinces (a province stays with its shard), so a
stale map can only miss a shard added within the last ``ttl`` seconds.

An empty map is the single-shard deployment: every province is kept by the
account service the caller was configured with (``YIBAO_ACCOUNT_TARGET``)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field

from yibao.region.v1 import region_pb2 as pb

from services.kernel.calls import call


@dataclass(frozen=True)
class Shard:
    name: str
    target: str  # host:port of its account service
    provinces: tuple[str, ...]


@dataclass(frozen=True)
class ShardMap:
    shards: tuple[Shard, ...] = ()
    _owners: dict[str, Shard] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def of(cls, shards: Sequence[Shard]) -> ShardMap:
        owners = {province: s for s in shards for province in s.provinces}
        return cls(tuple(shards), owners)

    @property
    def single(self) -> bool:
        """No shard registered: one account service keeps every province."""
        return not self.shards

    def shard_of(self, province: str) -> Shard | None:
        """The shard that owns ``province`` (a province code, or any region
        code of it: the first two digits decide); None when none does."""
        return self._owners.get(f"{province[:2]}0000")


class ShardDirectory:
    """The map, read through ``fetch`` (a ListAccountShards call) at most
    once per ``ttl`` seconds; concurrent readers share one read."""

    def __init__(
        self,
        fetch: Callable[[], Awaitable[Sequence[Shard]]],
        ttl: float = 5.0,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._fetch, self._ttl, self._monotonic = fetch, ttl, monotonic
        self._map: ShardMap | None = None
        self._read_at = 0.0
        self._lock = asyncio.Lock()

    async def current(self) -> ShardMap:
        if self._map is not None and self._monotonic() - self._read_at < self._ttl:
            return self._map
        async with self._lock:
            if self._map is None or self._monotonic() - self._read_at >= self._ttl:
                started = self._monotonic()
                self._map = ShardMap.of(await self._fetch())
                self._read_at = started  # the map is as old as the moment it was asked for
            return self._map


async def read_account_shards(region_stub, identity) -> list[Shard]:
    """The map as the region service answers it now (ListAccountShards)."""
    request = pb.ListAccountShardsRequest()
    response = await call(
        region_stub.ListAccountShards, request, identity, idempotent=True, upstream="region"
    )
    return [Shard(s.name, s.target, tuple(s.provinces)) for s in response.account_shards]
