"""What the transfer use cases share: their dependencies (who may see what: access.py)."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
from dataclasses import dataclass, field

from services.kernel.clock import Clock
from services.transfer.domain.policy import TransferPolicy
from services.transfer.usecases.ports import AccountPort, RegionPort, TransferUnitsOfWork

log = logging.getLogger("yibao.transfer")
# Batches of one kind (submissions, receipts) being worked on at once; what
# arrives meanwhile forms the next batch (group commit).
BATCHES_IN_FLIGHT = 2


@dataclass
class TransferDeps:
    uow: TransferUnitsOfWork
    clock: Clock
    policy: TransferPolicy
    accounts: AccountPort
    regions: RegionPort
    # Fault injection for crash tests (never in production): "hold" kills
    # the process right after the money is held, before that is recorded.
    crash_after: str = ""
    events_written: asyncio.Event = field(default_factory=asyncio.Event)

    def crash_point(self, name: str) -> None:
        if self.crash_after == name:
            log.warning("crash point reached: killing the process", extra={"point": name})
            os.kill(os.getpid(), signal.SIGKILL)
