"""The transfer service's client of the national person index (R24): the
province a person is insured in, so that a call about them reaches their
account shard. Cached: a person's province changes only when they move, and
a call routed by a stale province is refused by the shard that no longer
keeps them, which forgets the entry (``forget``)."""

from __future__ import annotations

import time

import grpc
from yibao.index.v1 import index_pb2 as pb
from yibao.index.v1 import index_pb2_grpc

from services.kernel.calls import ServiceIdentity, call, chunks

MAX_IDS = 1000  # per LocatePersons call


class IndexClient:
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
            request = pb.LocatePersonsRequest(person_ids=part)
            answer = await call(
                self._stub.LocatePersons, request, self._identity, idempotent=True, upstream="index"
            )
            for x in answer.locations:
                found[x.person_id] = x.province
                self._known[x.person_id] = (x.province, now)
        return found

    def forget(self, person_id: str) -> None:
        self._known.pop(person_id, None)
