"""What a service that routes calls to the account shards (R24) needs
besides the map (shard_map.py): one channel per shard, and the province of
each person from the national person index, cached. The transfer service
and the account router (services/router/) use them.

A person's province changes only when they move, so it is cached (``ttl``):
a call routed by a stale province is refused by the shard that no longer
keeps them, and ``forget`` drops the entry. A person the index does not know
is not cached: one registered a moment ago is found at the next call."""

from __future__ import annotations

import time

import grpc
from yibao.index.v1 import index_pb2, index_pb2_grpc

from services.kernel.calls import ServiceIdentity, call, channel, chunks
from services.kernel.shard_map import Shard
from services.kernel.upstream import UpstreamUnavailable

MAX_IDS = 1000  # per LocatePersons call


def no_shard_for(province: str) -> UpstreamUnavailable:
    """A call for a province no shard owns (yet: a shard added within the
    map's staleness bound): UNAVAILABLE naming ``account:<province>``."""
    return UpstreamUnavailable.of(f"account:{province}", "no account shard owns this province")


class ShardChannels:
    """One channel per account shard, opened on first use (a shard added to
    the map is reached without a restart), closed when the service stops."""

    def __init__(self, tls) -> None:
        self._tls = tls
        self._channels: dict[tuple[str, str], grpc.aio.Channel] = {}

    def channel(self, shard: Shard) -> grpc.aio.Channel:
        key = (shard.name, shard.target)  # a shard's new target: a new channel
        if key not in self._channels:
            self._channels[key] = channel(shard.target, self._tls)
        return self._channels[key]

    async def close(self) -> None:
        for open_channel in self._channels.values():
            await open_channel.close()


class PersonLocator:
    """The national person index's LocatePersons, cached for ``ttl`` seconds."""

    def __init__(self, channel: grpc.aio.Channel, identity: ServiceIdentity, ttl: float = 60.0) -> None:
        self._stub = index_pb2_grpc.PersonIndexServiceStub(channel)
        self._identity = identity
        self._ttl = ttl
        self._known: dict[str, tuple[str, float]] = {}  # person id -> (province, read at)

    async def locate(self, person_ids: list[str]) -> dict[str, str]:
        """The province of each person the index knows, by person id."""
        now = time.monotonic()
        found = {p: hit[0] for p in person_ids if (hit := self._known.get(p)) and now - hit[1] < self._ttl}
        missing = sorted(set(person_ids) - set(found))
        for part in chunks(missing, MAX_IDS):
            request = index_pb2.LocatePersonsRequest(person_ids=part)
            answer = await call(
                self._stub.LocatePersons, request, self._identity, idempotent=True, upstream="index"
            )
            for x in answer.locations:
                found[x.person_id] = x.province
                self._known[x.person_id] = (x.province, now)
        return found

    def forget(self, person_id: str) -> None:
        self._known.pop(person_id, None)
