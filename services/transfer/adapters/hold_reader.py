"""The transfer service's reader of the account service's holds (R22): for
the reconciler, the holds in pages (ListHolds) and by transfer id
(BatchGetHolds). Failures leave as UpstreamError, as from account_client.py."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import datetime

import grpc
from yibao.account.v1 import account_pb2 as pb
from yibao.account.v1 import account_pb2_grpc

from services.kernel.calls import ServiceIdentity, call, chunks
from services.kernel.proto_enums import WireEnum
from services.kernel.proto_time import from_timestamp, to_timestamp
from services.transfer.domain.reconciliation import Hold, HoldStatus
from services.transfer.domain.transfer import Source

_SOURCES = WireEnum(Source, pb.AccountKind)
_STATUSES = WireEnum(HoldStatus, pb.HoldStatus)
MAX_ITEMS = 1000  # the account service's maximum per BatchGetHolds and page


def _hold(h: pb.HoldState) -> Hold:
    return Hold(
        h.transfer_id,
        h.payer_id,
        h.payee_id,
        _SOURCES.get(h.source),
        h.amount_fen,
        _STATUSES.get(h.status),
        from_timestamp(h.create_time),
    )


class HoldReader:
    def __init__(
        self, channel: grpc.aio.Channel, identity: ServiceIdentity, upstream: str = "account"
    ) -> None:
        self._stub = account_pb2_grpc.AccountServiceStub(channel)
        self._identity = identity
        self._upstream = upstream

    async def _call(self, method, request):
        return await call(method, request, self._identity, idempotent=True, upstream=self._upstream)

    async def pages(
        self, status: HoldStatus, changed_after: datetime | None, size: int = MAX_ITEMS
    ) -> AsyncIterator[list[Hold]]:
        """The holds in ``status`` (changed after ``changed_after`` when given), page by page."""
        token = ""
        while True:
            request = pb.ListHoldsRequest(status=_STATUSES.wire(status), page_size=size, page_token=token)
            if changed_after is not None:
                request.update_after.CopyFrom(to_timestamp(changed_after))
            response = await self._call(self._stub.ListHolds, request)
            yield [_hold(h) for h in response.holds]
            token = response.next_page_token
            if not token:
                return

    async def get_many(self, transfer_ids: list[str]) -> dict[str, Hold]:
        """The holds of these transfers that exist, by transfer id."""
        found: dict[str, Hold] = {}
        for part in chunks(sorted(set(transfer_ids)), MAX_ITEMS):
            response = await self._call(self._stub.BatchGetHolds, pb.BatchGetHoldsRequest(transfer_ids=part))
            found |= {h.transfer_id: _hold(h) for h in response.holds}
        return found


class ShardedHoldReader:
    """The holds of every account shard (R24), for the reconciler: each
    shard's pages in turn, and a look-up by id asked of every shard (a shard
    that does not answer postpones the pass, as one account service would)."""

    def __init__(self, shards: Callable[[], Awaitable[list[HoldReader]]]) -> None:
        self._shards = shards

    async def pages(
        self, status: HoldStatus, changed_after: datetime | None, size: int = MAX_ITEMS
    ) -> AsyncIterator[list[Hold]]:
        for reader in await self._shards():
            async for page in reader.pages(status, changed_after, size):
                yield page

    async def get_many(self, transfer_ids: list[str]) -> dict[str, Hold]:
        found: dict[str, Hold] = {}
        for answer in await asyncio.gather(*(r.get_many(transfer_ids) for r in await self._shards())):
            found |= answer
        return found
