"""Injectable clocks. Time rules use Beijing time; storage uses UTC."""

from __future__ import annotations

import os
import re
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
    """The time written in a file, for services run as separate processes
    (tests, and a developer trying transfers at night). The file holds
    either one ISO 8601 time — the clock stands there until the file
    changes — or ``<time> running since <real time>``: the clock then runs
    from ``<time>`` at the real clock's pace (``yibao run --at``). While
    the file is absent, the system time."""

    def __init__(self, path: str) -> None:
        self._path = path
        self._read: tuple[int, datetime, datetime | None] | None = None  # (mtime, time, running since)

    def now(self) -> datetime:
        try:
            changed = os.stat(self._path).st_mtime_ns
            if self._read is None or self._read[0] != changed:
                with open(self._path, encoding="utf-8") as f:
                    self._read = (changed, *parse_clock(f.read()))
        except FileNotFoundError:
            return datetime.now(UTC)
        _, at, since = self._read
        return at if since is None else at + (datetime.now(UTC) - since)


RUNNING = " running since "


def parse_clock(text: str) -> tuple[datetime, datetime | None]:
    """A clock file's time, and the real time it started running (None: standing)."""
    at, _, since = text.strip().partition(RUNNING)
    return as_utc(datetime.fromisoformat(at)), as_utc(datetime.fromisoformat(since)) if since else None


def write_running_clock(path: str, at: datetime) -> None:
    """Sets the clock file at ``path`` to run from ``at`` as of now."""
    with open(path, "w", encoding="utf-8") as f:
        f.write(f"{as_utc(at).isoformat()}{RUNNING}{datetime.now(UTC).isoformat()}\n")


def as_utc(at: datetime) -> datetime:
    if at.tzinfo is None:
        raise ValueError("naive datetime: give a timezone")
    return at.astimezone(UTC)


def beijing(at: datetime) -> datetime:
    return at.astimezone(BEIJING)


def beijing_month(at: datetime) -> str:
    """The Beijing calendar month of ``at``, "YYYY-MM"."""
    return beijing(at).strftime("%Y-%m")


_MONTH = re.compile(r"2[0-9]{3}-(0[1-9]|1[0-2])")


def beijing_month_bounds(month: str) -> tuple[datetime, datetime] | None:
    """[start, end) of a Beijing calendar month "YYYY-MM" (years 2000 to
    2999); None when ``month`` is not one."""
    if not _MONTH.fullmatch(month or ""):
        return None
    start = datetime.strptime(month, "%Y-%m").replace(tzinfo=BEIJING)
    end = (
        start.replace(year=start.year + 1, month=1)
        if start.month == 12
        else start.replace(month=start.month + 1)
    )
    return start, end
