"""A client of the region service for the other services (R7, R11, R14)."""

from __future__ import annotations

from dataclasses import dataclass

import grpc
from yibao.region.v1 import region_pb2 as pb
from yibao.region.v1 import region_pb2_grpc

from services.kernel.calls import ServiceIdentity, call


@dataclass(frozen=True)
class InstitutionInfo:
    code: str
    region_code: str
    accepts_wallet: bool


class RegionClient:
    def __init__(self, channel: grpc.aio.Channel, identity: ServiceIdentity) -> None:
        self._stub = region_pb2_grpc.RegionServiceStub(channel)
        self._identity = identity

    async def statuses(self, codes: list[str]) -> dict[str, str]:
        """code -> "enabled" | "disabled" | "unknown", in one batched call."""
        response = await call(self._stub.CheckRegions, pb.CheckRegionsRequest(codes=codes), self._identity, idempotent=True, upstream="region")
        return {r.code: pb.RegionStatus.Name(r.status).removeprefix("REGION_STATUS_").lower() for r in response.results}

    async def institution(self, code: str) -> InstitutionInfo | None:
        try:
            response = await call(
                self._stub.GetInstitution, pb.GetInstitutionRequest(code=code), self._identity, idempotent=True, upstream="region"
            )
        except grpc.aio.AioRpcError as error:
            if error.code() in (grpc.StatusCode.NOT_FOUND, grpc.StatusCode.INVALID_ARGUMENT):
                return None
            raise
        i = response.institution
        return InstitutionInfo(i.code, i.region_code, i.accepts_wallet)
