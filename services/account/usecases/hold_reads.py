"""Reading holds for the transfer service's reconciler (R22): every hold in
pages, oldest change first, and the holds of given transfers. Nothing here
changes a hold; the reconciler heals through the idempotent hold steps."""

from __future__ import annotations

import builtins
from datetime import datetime

from services.account.domain.errors import too_many_ids
from services.account.domain.holds import HoldRecord, HoldState
from services.account.usecases.common import AccountDeps
from services.account.usecases.holds import MAX_BATCH
from services.kernel.errors import required_key
from services.kernel.pagination import Page, page_request


class HoldReads:
    def __init__(self, deps: AccountDeps) -> None:
        self._d = deps

    async def list(
        self, state: HoldState | None, changed_after: datetime | None, size: int, token: str
    ) -> Page[HoldRecord]:
        query = {"state": state.value if state else None, "changed_after": changed_after}
        request = page_request(size, token, query)
        after = (datetime.fromisoformat(request.after[0]), request.after[1]) if request.after else None
        async with self._d.uow(read_only=True) as tx:
            records = await tx.accounts.list_holds(state, changed_after, after, request.limit)
        return request.page(records, key=lambda r: [r.updated_at.isoformat(), r.hold.transfer_id])

    # builtins.list: in this class, ``list`` is the method above
    async def batch_get(self, transfer_ids: builtins.list[str]) -> builtins.list[HoldRecord]:
        if len(transfer_ids) > MAX_BATCH:
            raise too_many_ids(MAX_BATCH)
        ids = sorted({required_key(t, "transfer_ids", "TRANSFER_ID") for t in transfer_ids})
        async with self._d.uow(read_only=True) as tx:
            return await tx.accounts.find_holds(ids)
