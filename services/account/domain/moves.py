"""A person moving to a province kept in another shard (医保关系转移接续,
R24): their personal account and wallet go with them, with their balances.

The move is one recoverable story, each step idempotent, told in
usecases/moves.py: the shard they leave records the move and sends their
balances out (their relations lapse, as on any move: R8); the shard they
join admits them with those balances; the national index is told last. A
move cut short is finished by asking for it again."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import Enum

from services.account.domain.persons import InsuranceType


class MoveState(Enum):
    SENT = "sent"  # recorded and the balances sent out, here; not yet admitted there
    DONE = "done"  # admitted there, and the index told


@dataclass(frozen=True)
class Move:
    person_id: str
    from_province: str
    to_region: str
    insurance_type: InsuranceType
    personal: int  # fen sent out of the personal account
    wallet: int  # fen sent out of the wallet
    wallet_place_of_use: str | None  # None: no wallet was opened
    wallet_mobile: str | None
    wallet_opened_at: datetime | None
    password_hash: str | None
    state: MoveState
    moved_at: datetime

    @property
    def to_province(self) -> str:
        return f"{self.to_region[:2]}0000"
