"""The account service's client of the region service: whether the wallet is
enabled in a region (R7) and what an institution is (R11). Failures leave
as UpstreamError (kernel/upstream.py)."""

from __future__ import annotations

from dataclasses import dataclass

import grpc
from yibao.region.v1 import region_pb2 as pb
from yibao.region.v1 import region_pb2_grpc

from services.kernel.calls import ServiceIdentity, call
from services.kernel.errors import ErrorKind
from services.kernel.proto_enums import WireEnum
from services.kernel.region_codes import RegionStatus
from services.kernel.shard_map import Shard, read_account_shards
from services.kernel.upstream import UpstreamBroken, UpstreamRefused

_STATUSES = WireEnum(RegionStatus, pb.RegionStatus)


@dataclass(frozen=True)
class InstitutionInfo:
    code: str
    region_code: str
    accepts_wallet: bool


class RegionClient:
    def __init__(self, channel: grpc.aio.Channel, identity: ServiceIdentity) -> None:
        self._stub = region_pb2_grpc.RegionServiceStub(channel)
        self._identity = identity

    async def status(self, code: str) -> RegionStatus:
        request = pb.CheckRegionsRequest(codes=[code])
        response = await call(
            self._stub.CheckRegions, request, self._identity, idempotent=True, upstream="region"
        )
        if len(response.results) != 1:
            raise UpstreamBroken.of("region", f"{len(response.results)} answers for 1 code")
        return (
            _STATUSES.get(response.results[0].status) or RegionStatus.DISABLED
        )  # one we do not know: not enabled

    async def institution(self, code: str) -> InstitutionInfo | None:
        request = pb.GetInstitutionRequest(code=code)
        try:
            response = await call(
                self._stub.GetInstitution, request, self._identity, idempotent=True, upstream="region"
            )
        except UpstreamRefused as refusal:
            if refusal.kind in (ErrorKind.NOT_FOUND, ErrorKind.INVALID_ARGUMENT):
                return None
            raise
        i = response.institution
        return InstitutionInfo(i.code, i.region_code, i.accepts_wallet)

    async def account_shards(self) -> list[Shard]:
        """The account shards' map (R24), read now (ShardDirectory caches it)."""
        return await read_account_shards(self._stub, self._identity)
