"""What the transfer use cases share: their dependencies, and who may see a transfer (R20)."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
from collections.abc import Callable
from dataclasses import dataclass, field

from services.kernel.auth import Principal, Role
from services.kernel.clock import Clock
from services.kernel.errors import permission_denied
from services.transfer.adapters.account_client import AccountClient
from services.transfer.adapters.region_client import RegionClient
from services.transfer.domain.errors import transfer_not_found
from services.transfer.domain.policy import TransferPolicy
from services.transfer.domain.transfer import Transfer

log = logging.getLogger("yibao.transfer")
# Batches of one kind (submissions, receipts) being worked on at once; what
# arrives meanwhile forms the next batch (group commit).
BATCHES_IN_FLIGHT = 2


@dataclass
class TransferDeps:
    uow: Callable  # () -> a unit of work with .transfers
    clock: Clock
    policy: TransferPolicy
    accounts: AccountClient
    regions: RegionClient
    # Fault injection for crash tests (never in production): "hold" kills
    # the process right after the money is held, before that is recorded.
    crash_after: str = ""
    events_written: asyncio.Event = field(default_factory=asyncio.Event)

    def crash_point(self, name: str) -> None:
        if self.crash_after == name:
            log.warning("crash point reached: killing the process", extra={"point": name})
            os.kill(os.getpid(), signal.SIGKILL)


def can_see(caller: Principal, t: Transfer | None) -> bool:
    """Payer and payee, their provinces' platforms, and services (R20: not administrators)."""
    if caller.role is Role.SERVICE:
        return True
    if t is None:
        return False
    if caller.role is Role.CITIZEN:
        return caller.person_id in (t.payer_id, t.payee_id)
    if caller.role is Role.PROVINCE:
        return caller.province in (t.payer_province, t.payee_province)
    return False


def visible(caller: Principal, t: Transfer | None, transfer_id: str) -> Transfer:
    """``t`` if the caller may see it; refused the same whether it exists or not."""
    if not can_see(caller, t):
        raise permission_denied()
    if t is None:
        raise transfer_not_found(transfer_id)
    return t


async def visible_transfer(deps: TransferDeps, caller: Principal, transfer_id: str) -> Transfer:
    async with deps.uow(read_only=True) as tx:
        return visible(caller, await tx.transfers.get(transfer_id), transfer_id)
