"""The platforms the gateway answers, as the region service registers them
(R25): each platform's active SM2 public keys and its province, kept here a
few seconds; and its nonces, claimed in the region database so that every
gateway replica refuses a replay alike."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime

import grpc
from google.protobuf import timestamp_pb2
from yibao.region.v1 import region_pb2, region_pb2_grpc

from services.gateway.errors import GatewayError, Reason
from services.gateway.gm import SM2PublicKey
from services.kernel.calls import ServiceIdentity, timeout_left
from services.kernel.grpc_errors import domain_error_from


@dataclass(frozen=True)
class Platform:
    app_id: str
    province: str
    keys: tuple[SM2PublicKey, ...]  # one, or two during a rotation


class Platforms:
    def __init__(self, channel: grpc.aio.Channel, identity: ServiceIdentity, cache_seconds: float) -> None:
        self._region = region_pb2_grpc.RegionServiceStub(channel)
        self._identity = identity
        self._cache_seconds = cache_seconds
        self._cache: dict[str, tuple[Platform | None, float]] = {}

    async def get(self, app_id: str) -> Platform:
        """The platform of ``app_id`` with its active keys; APP_UNKNOWN if none.
        A revoked key stops working within the cache's few seconds."""
        cached = self._cache.get(app_id)
        if cached is None or time.monotonic() >= cached[1]:
            cached = await self._fetch(app_id), time.monotonic() + self._cache_seconds
            self._cache[app_id] = cached
            if len(self._cache) > 10_000:  # unknown app ids are cached too: keep it bounded
                self._cache.pop(next(iter(self._cache)))
        if cached[0] is None:
            raise GatewayError("UNAUTHENTICATED", Reason.APP_UNKNOWN, f"no active key for appId {app_id!r}")
        return cached[0]

    async def _fetch(self, app_id: str) -> Platform | None:
        request = region_pb2.ListPlatformKeysRequest(app_id=app_id, active_only=True, page_size=10)
        answer = await self._call(self._region.ListPlatformKeys, request)
        keys = [k for k in answer.platform_keys if k.app_id == app_id]
        if not keys:
            return None
        return Platform(app_id, keys[0].province, tuple(SM2PublicKey.from_hex(k.public_key) for k in keys))

    async def claim_nonce(self, app_id: str, nonce: str, at: datetime) -> None:
        """Records the nonce; a nonce seen before is refused (ALREADY_EXISTS NONCE_REPLAYED)."""
        stamp = timestamp_pb2.Timestamp()
        stamp.FromDatetime(at)
        await self._call(
            self._region.ClaimNonce, region_pb2.ClaimNonceRequest(app_id=app_id, nonce=nonce, timestamp=stamp)
        )

    async def _call(self, method, request):
        try:
            return await method(request, timeout=timeout_left(), metadata=self._identity.metadata())
        except grpc.aio.AioRpcError as error:
            refusal = domain_error_from(error)
            if refusal is not None and error.code() is not grpc.StatusCode.UNAVAILABLE:
                raise GatewayError(
                    refusal.kind.value, refusal.reason, refusal.message, refusal.metadata
                ) from None
            raise GatewayError(
                "UNAVAILABLE", Reason.UPSTREAM_UNAVAILABLE, "the region service did not answer; try again"
            ) from None
