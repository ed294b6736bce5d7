"""google.protobuf.Timestamp <-> aware UTC datetime."""

from __future__ import annotations

from datetime import UTC, datetime

from google.protobuf.timestamp_pb2 import Timestamp

from services.kernel.errors import Reason, invalid_argument


def to_timestamp(at: datetime | None) -> Timestamp | None:
    if at is None:
        return None
    stamp = Timestamp()
    stamp.FromDatetime(at.astimezone(UTC))
    return stamp


def from_timestamp(stamp: Timestamp) -> datetime:
    return stamp.ToDatetime(tzinfo=UTC)


# What a caller may send as a time (R20a): the years 1970 to 2999.
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(3000, 1, 1, tzinfo=UTC)


def timestamp_argument(stamp: Timestamp, field_path: str) -> datetime:
    """A caller's Timestamp, or INVALID_ARGUMENT (TIMESTAMP_INVALID) when it is
    not a valid time between 1970 and 2999 (nanos 0 to 999,999,999)."""
    if 0 <= stamp.nanos <= 999_999_999 and EARLIEST.timestamp() <= stamp.seconds < LATEST.timestamp():
        return from_timestamp(stamp)
    raise invalid_argument(Reason.TIMESTAMP_INVALID, field_path, "a time between 1970 and 2999")
