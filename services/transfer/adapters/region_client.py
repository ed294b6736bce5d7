"""The transfer service's client of the region service: every region a
transfer involves, checked in one batched call (R14)."""

from __future__ import annotations

import grpc
from yibao.region.v1 import region_pb2 as pb
from yibao.region.v1 import region_pb2_grpc

from services.kernel.calls import ServiceIdentity, call
from services.kernel.proto_enums import WireEnum
from services.kernel.region_codes import RegionStatus

_STATUSES = WireEnum(RegionStatus, pb.RegionStatus)


class RegionClient:
    def __init__(self, channel: grpc.aio.Channel, identity: ServiceIdentity) -> None:
        self._stub = region_pb2_grpc.RegionServiceStub(channel)
        self._identity = identity

    async def statuses(self, codes: list[str]) -> dict[str, RegionStatus]:
        request = pb.CheckRegionsRequest(codes=codes)
        response = await call(
            self._stub.CheckRegions, request, self._identity, idempotent=True, upstream="region"
        )
        return {r.code: _STATUSES.get(r.status) for r in response.results}
