"""Injectable clocks. Time rules use Beijing time; storage uses UTC."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

BEIJING = ZoneInfo("Asia/Shanghai")


class Clock(Protocol):
    def now(self) -> datetime:
        """The current instant, timezone-aware, in UTC."""
        ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class FrozenClock:
    """A clock that moves only when told: for tests and demos."""

    def __init__(self, at: datetime) -> None:
        self._at = as_utc(at)

    def now(self) -> datetime:
        return self._at

    def set(self, at: datetime) -> None:
        self._at = as_utc(at)

    def advance(self, **delta: float) -> datetime:
        self._at += timedelta(**delta)
        return self._at


class FileClock:
    """The time written in a file (ISO 8601), for services run as separate
    processes in tests; the system time while the file is absent."""

    def __init__(self, path: str) -> None:
        self._path = path
        self._read: tuple[int, datetime] | None = None  # (the file's mtime, its time)

    def now(self) -> datetime:
        try:
            changed = os.stat(self._path).st_mtime_ns
            if self._read is None or self._read[0] != changed:
                with open(self._path, encoding="utf-8") as f:
                    self._read = (changed, as_utc(datetime.fromisoformat(f.read().strip())))
            return self._read[1]
        except FileNotFoundError:
            return datetime.now(UTC)


def as_utc(at: datetime) -> datetime:
    if at.tzinfo is None:
        raise ValueError("naive datetime: give a timezone")
    return at.astimezone(UTC)


def beijing(at: datetime) -> datetime:
    return at.astimezone(BEIJING)


def beijing_month(at: datetime) -> str:
    """The Beijing calendar month of ``at``, "YYYY-MM"."""
    return beijing(at).strftime("%Y-%m")
