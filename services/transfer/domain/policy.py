"""The transfer policy (SPEC R14, R15, §7): limits an operator sets by
configuration. Every time rule is in Beijing time."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from services.kernel.clock import BEIJING, beijing


@dataclass(frozen=True)
class TransferPolicy:
    min_amount_fen: int = 1  # 0.01 yuan
    max_amount_fen: int = 200_000  # 2,000.00 yuan
    per_day: int = 3
    window_opens: time = time(6, 0)  # transfers allowed from 06:00 …
    window_closes: time = time(22, 0)  # … until 22:00 (exclusive)
    refund_at: time = time(6, 0)  # unreceived transfers go back at the next 06:00

    def window_open(self, at: datetime) -> bool:
        local = beijing(at).time()
        return self.window_opens <= local < self.window_closes

    def next_opening(self, at: datetime) -> datetime:
        """``at`` itself when the window is open, else when it opens next."""
        if self.window_open(at):
            return at
        local = beijing(at)
        day = local.date() if local.time() < self.window_opens else local.date() + timedelta(days=1)
        return datetime.combine(day, self.window_opens, tzinfo=BEIJING).astimezone(at.tzinfo)

    def expires_at(self, submitted: datetime) -> datetime:
        """The first refund_at (06:00 Beijing) strictly after submission."""
        local = beijing(submitted)
        today = datetime.combine(local.date(), self.refund_at, tzinfo=BEIJING)
        deadline = today if local < today else today + timedelta(days=1)
        return deadline.astimezone(submitted.tzinfo)

    @staticmethod
    def day_of(at: datetime) -> date:
        """The Beijing calendar day the daily limit counts in."""
        return beijing(at).date()
