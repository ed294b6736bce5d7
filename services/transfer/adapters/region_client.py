"""The transfer service's client of the region service: every region a
transfer involves, checked in one batched call (R14), and cached.

A cached answer is used until the region service's next scheduled change of
it (``next_change_time``) and for at most ``max_staleness`` of this
service's clock: a change an administrator makes *now* reaches new
submissions within that bound (1 s by default,
YIBAO_TRANSFER_REGION_CACHE_SECONDS), a scheduled one exactly on time."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import grpc
from yibao.region.v1 import region_pb2 as pb
from yibao.region.v1 import region_pb2_grpc

from services.kernel.calls import ServiceIdentity, call, chunks
from services.kernel.clock import Clock
from services.kernel.proto_enums import WireEnum
from services.kernel.proto_time import from_timestamp
from services.kernel.region_codes import RegionStatus
from services.kernel.shard_map import Shard, read_account_shards

_STATUSES = WireEnum(RegionStatus, pb.RegionStatus)
MAX_CODES = 100  # the region service's maximum per CheckRegions call


@dataclass(frozen=True)
class _Answer:
    status: RegionStatus
    valid_until: datetime


class RegionClient:
    def __init__(
        self, channel: grpc.aio.Channel, identity: ServiceIdentity, clock: Clock, max_staleness: timedelta
    ) -> None:
        self._stub = region_pb2_grpc.RegionServiceStub(channel)
        self._identity = identity
        self._clock = clock
        self._max_staleness = max_staleness
        self._answers: dict[str, _Answer] = {}

    async def statuses(self, codes: list[str]) -> dict[str, RegionStatus]:
        now = self._clock.now()
        cached = {code: self._answers.get(code) for code in codes}
        found = {
            code: answer.status for code, answer in cached.items() if answer and now < answer.valid_until
        }
        missing = [code for code in codes if code not in found]
        for part in chunks(missing, MAX_CODES):
            request = pb.CheckRegionsRequest(codes=part)
            response = await call(
                self._stub.CheckRegions, request, self._identity, idempotent=True, upstream="region"
            )
            for r in response.results:
                valid_until = now + self._max_staleness
                if r.HasField("next_change_time"):
                    valid_until = min(valid_until, from_timestamp(r.next_change_time))
                status = _STATUSES.get(r.status) or RegionStatus.DISABLED  # one we do not know: not enabled
                self._answers[r.code] = _Answer(status, valid_until)
                found[r.code] = status
        return found

    async def account_shards(self) -> list[Shard]:
        """The account shards' map (R24), read now (ShardDirectory caches it)."""
        return await read_account_shards(self._stub, self._identity)
