"""Errors the domain and service layers raise, free of any framework.

Each carries a canonical kind (mapped to a gRPC status code at the edge), a
machine-readable UPPER_SNAKE reason, metadata and field violations (AIP-193).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum, StrEnum


class ErrorKind(Enum):
    INVALID_ARGUMENT = "INVALID_ARGUMENT"
    NOT_FOUND = "NOT_FOUND"
    ALREADY_EXISTS = "ALREADY_EXISTS"
    FAILED_PRECONDITION = "FAILED_PRECONDITION"
    ABORTED = "ABORTED"
    OUT_OF_RANGE = "OUT_OF_RANGE"
    PERMISSION_DENIED = "PERMISSION_DENIED"
    UNAUTHENTICATED = "UNAUTHENTICATED"
    RESOURCE_EXHAUSTED = "RESOURCE_EXHAUSTED"
    UNAVAILABLE = "UNAVAILABLE"


class Reasons(StrEnum):
    """Base of each service's catalogue of error reasons: UPPER_SNAKE
    constants whose value is their name, declared as ``Reasons("Reason",
    "NAME_ONE NAME_TWO …")``."""

    @staticmethod
    def _generate_next_value_(name, start, count, last_values):
        return name


# The reasons the shared kernel raises for every service; each service
# declares its own in <service>/domain/errors.py.
Reason = Reasons(
    "Reason",
    """
    PERMISSION_DENIED TOKEN_MISSING TOKEN_INVALID TOKEN_EXPIRED
    REQUEST_ID_REQUIRED REQUEST_ID_INVALID REQUEST_ID_REUSED
    PAGE_SIZE_NEGATIVE PAGE_TOKEN_INVALID PAGE_TOKEN_MISMATCH
    REGION_CODE_INVALID ENUM_VALUE_INVALID UPSTREAM_UNAVAILABLE UPSTREAM_BROKEN DEADLINE_EXCEEDED INTERNAL
    OVERLOADED DATABASE_UNAVAILABLE
    REQUEST_MALFORMED TEXT_INVALID TIMESTAMP_INVALID
    """,
)


class Conflict(Exception):
    """A write lost to a unique key: the same thing was written before, or
    concurrently. Use cases decide what that means; it never reaches a caller."""


@dataclass(frozen=True)
class FieldViolation:
    field: str
    description: str


@dataclass
class DomainError(Exception):
    kind: ErrorKind
    reason: str
    message: str
    metadata: dict[str, str] = field(default_factory=dict)
    violations: list[FieldViolation] = field(default_factory=list)
    retry_delay: float | None = None  # seconds; sent as google.rpc.RetryInfo

    def __post_init__(self) -> None:
        self.reason = str(self.reason)  # a Reasons member travels as its plain name
        super().__init__(self.message)

    def __str__(self) -> str:
        return f"{self.kind.value} {self.reason}: {self.message}"


def yuan(fen: int) -> str:
    """An amount for people, in messages: ¥2,000.00 (the metadata keeps fen)."""
    sign = "-" if fen < 0 else ""
    return f"{sign}¥{abs(fen) // 100:,}.{abs(fen) % 100:02d}"


def request_malformed() -> DomainError:
    """Bytes that are not a message of the method's request type (R20a)."""
    return DomainError(ErrorKind.INVALID_ARGUMENT, Reason.REQUEST_MALFORMED, "the request does not decode")


def database_unavailable() -> DomainError:
    """The service's own database did not answer or gave the transaction up
    (a deadlock, a lost connection, a failover). If the connection died
    during COMMIT the outcome is unknown: a retry with the same request id
    is safe, and the database decides whether it was done."""
    return DomainError(
        ErrorKind.UNAVAILABLE,
        Reason.DATABASE_UNAVAILABLE,
        "the service's database is unavailable; try again shortly with the same request_id",
        retry_delay=1.0,
    )


def invalid_argument(reason: str, field_path: str, description: str, **metadata: str) -> DomainError:
    return DomainError(
        ErrorKind.INVALID_ARGUMENT, reason, description, metadata, [FieldViolation(field_path, description)]
    )


def not_found(reason: str, message: str, **metadata: str) -> DomainError:
    return DomainError(ErrorKind.NOT_FOUND, reason, message, metadata)


def failed_precondition(reason: str, message: str, **metadata: str) -> DomainError:
    return DomainError(ErrorKind.FAILED_PRECONDITION, reason, message, metadata)


def already_exists(reason: str, message: str, **metadata: str) -> DomainError:
    return DomainError(ErrorKind.ALREADY_EXISTS, reason, message, metadata)


def permission_denied(message: str = "the caller may not do this", **metadata: str) -> DomainError:
    """A refusal by role or scope; ``metadata`` says which applies (e.g.
    roles=admin,service), so a caller knows which token it needs."""
    return DomainError(ErrorKind.PERMISSION_DENIED, Reason.PERMISSION_DENIED, message, metadata)


def unauthenticated(reason: str, message: str) -> DomainError:
    return DomainError(ErrorKind.UNAUTHENTICATED, reason, message)


def required_text(value: str, field_path: str, max_length: int, what: str = "NAME") -> str:
    """Stripped text that must be there and fit: <WHAT>_REQUIRED / <WHAT>_TOO_LONG."""
    value = (value or "").strip()
    if not value:
        raise invalid_argument(f"{what}_REQUIRED", field_path, f"{field_path} is required")
    if len(value) > max_length:
        raise invalid_argument(f"{what}_TOO_LONG", field_path, f"at most {max_length} characters")
    return value


def required_key(value: str, field_path: str, what: str, max_length: int = 64) -> str:
    """A caller's key or reference (transfer id, order number, …):
    <WHAT>_REQUIRED when empty, <WHAT>_INVALID when too long or unprintable."""
    if not value:
        raise invalid_argument(f"{what}_REQUIRED", field_path, f"{field_path} is required")
    if len(value) > max_length or not value.isprintable():
        raise invalid_argument(f"{what}_INVALID", field_path, f"at most {max_length} printable characters")
    return value
