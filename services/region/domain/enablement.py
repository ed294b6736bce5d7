"""Wallet enablement (SPEC R2): explicit settings inherited downwards.

A region is enabled when the nearest region on its path (itself, its city,
its province) whose explicit setting is in effect says enabled. A setting is
in effect from its ``effective_from``; the latest one in effect wins, and an
INHERIT setting removes the region's own opinion. Nothing on the path: the
region is disabled. Settings are never edited: the list of them, with who,
when and why, is the audit history; a scheduled one can be cancelled before
it takes effect.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import Enum

from services.kernel.errors import required_text
from services.region.domain.errors import (
    change_already_cancelled,
    change_already_effective,
    effective_from_in_past,
)

# How far in the past effective_from may lie (clock skew of the caller).
BACKDATE_TOLERANCE = timedelta(minutes=1)
MAX_REASON_LENGTH = 500


class Action(Enum):
    ENABLE = "enable"
    DISABLE = "disable"
    INHERIT = "inherit"


@dataclass(frozen=True)
class Change:
    id: int
    region_code: str
    action: Action
    effective_from: datetime
    actor: str
    reason: str
    recorded_at: datetime
    cancelled_at: datetime | None = None
    cancelled_by: str = ""
    cancel_reason: str = ""

    @property
    def cancelled(self) -> bool:
        return self.cancelled_at is not None

    def in_effect_at(self, at: datetime) -> bool:
        return not self.cancelled and self.effective_from <= at

    def cancel(self, by: str, reason: str, now: datetime) -> Change:
        if self.cancelled:
            raise change_already_cancelled(self.id)
        if self.effective_from <= now:
            raise change_already_effective(self.id)
        return replace(self, cancelled_at=now, cancelled_by=by, cancel_reason=validate_reason(reason))


@dataclass(frozen=True)
class Enablement:
    enabled: bool
    decided_by: Change | None  # the setting that decided; None: nothing on the path
    next_change: Change | None = None  # the next scheduled setting that flips the answer


def validate_reason(reason: str, field_path: str = "reason") -> str:
    return required_text(reason, field_path, MAX_REASON_LENGTH, "REASON")


def validate_effective_from(effective_from: datetime | None, now: datetime) -> datetime:
    if effective_from is None:
        return now
    if effective_from < now - BACKDATE_TOLERANCE:
        raise effective_from_in_past()
    return max(effective_from, now)


def _setting_in_effect(changes: Iterable[Change], at: datetime) -> Change | None:
    current = [c for c in changes if c.in_effect_at(at)]
    return max(current, key=lambda c: (c.effective_from, c.id), default=None)


def _decide(path: Sequence[str], changes: Mapping[str, Sequence[Change]], at: datetime) -> Change | None:
    for code in path:
        setting = _setting_in_effect(changes.get(code, ()), at)
        if setting is not None and setting.action is not Action.INHERIT:
            return setting
    return None


def resolve(path: Sequence[str], changes: Mapping[str, Sequence[Change]], at: datetime) -> Enablement:
    """The enablement of path[0] at ``at``; path is the region then its ancestors."""
    decided = _decide(path, changes, at)
    enabled = decided is not None and decided.action is Action.ENABLE
    upcoming = sorted(
        (c for code in path for c in changes.get(code, ()) if not c.cancelled and c.effective_from > at),
        key=lambda c: (c.effective_from, c.id),
    )
    for change in upcoming:
        later = _decide(path, changes, change.effective_from)
        if (later is not None and later.action is Action.ENABLE) != enabled:
            return Enablement(enabled, decided, change)
    return Enablement(enabled, decided)
