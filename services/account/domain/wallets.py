"""Wallets (医保钱包, SPEC R7)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from services.account.domain.errors import wallet_already_opened


@dataclass(frozen=True)
class Wallet:
    person_id: str
    account_id: int
    place_of_use: str
    mobile: str
    opened_at: datetime
    balance: int

    def reopened(self, place_of_use: str, mobile: str) -> Wallet:
        """Opening twice with the same choices is a no-op; other choices go
        through ChangePlaceOfUse, not a second wallet."""
        if (self.place_of_use, self.mobile) != (place_of_use, mobile):
            raise wallet_already_opened()
        return self
