"""AIP-193 errors on the wire: DomainError -> gRPC status with google.rpc
details, and back (for clients of our services, the CLI included)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

import grpc
from google.protobuf import any_pb2, duration_pb2
from google.rpc import code_pb2, error_details_pb2, status_pb2
from grpc_status import rpc_status

from services.kernel.errors import DomainError, ErrorKind, FieldViolation, Reason

_CODES = dict(code_pb2.Code.items())


def _packed(message) -> any_pb2.Any:
    packed = any_pb2.Any()
    packed.Pack(message)
    return packed


def to_status(error: DomainError, domain: str) -> grpc.Status:
    details = [
        _packed(error_details_pb2.ErrorInfo(reason=error.reason, domain=domain, metadata=error.metadata))
    ]
    if error.violations:
        violations = [
            error_details_pb2.BadRequest.FieldViolation(field=v.field, description=v.description)
            for v in error.violations
        ]
        details.append(_packed(error_details_pb2.BadRequest(field_violations=violations)))
    if error.retry_delay is not None:
        delay = duration_pb2.Duration()
        delay.FromTimedelta(timedelta(seconds=error.retry_delay))
        details.append(_packed(error_details_pb2.RetryInfo(retry_delay=delay)))
    status = status_pb2.Status(code=_CODES[error.kind.value], message=error.message, details=details)
    return rpc_status.to_status(status)


def internal_status(domain: str) -> grpc.Status:
    info = _packed(error_details_pb2.ErrorInfo(reason=Reason.INTERNAL, domain=domain))
    return rpc_status.to_status(
        status_pb2.Status(code=code_pb2.INTERNAL, message="internal error", details=[info])
    )


@dataclass(frozen=True)
class _Status(grpc.Status):
    code: grpc.StatusCode
    details: str
    trailing_metadata: tuple


class PassedOn(Exception):
    """Another service's failed answer, to be given back as it came: its
    code, details and trailing metadata (ErrorInfo, RetryInfo, …), its own
    domain kept. What a service that passes calls on raises (the account
    router, services/router/); the interceptor answers it unchanged."""

    def __init__(self, code: grpc.StatusCode, details: str, trailing_metadata: tuple = ()) -> None:
        super().__init__(f"{code.name}: {details}")
        self.status = _Status(code, details, trailing_metadata)


@dataclass(frozen=True)
class ErrorDetails:
    """What a failed call says beyond its code: AIP-193 ErrorInfo and BadRequest."""

    reason: str = ""
    domain: str = ""
    metadata: dict[str, str] = field(default_factory=dict)
    violations: list[FieldViolation] = field(default_factory=list)


def error_details(error: grpc.RpcError) -> ErrorDetails | None:
    """The details of a failed call; None when it carries no ErrorInfo."""
    status = rpc_status.from_call(error)
    info, violations = None, []
    for detail in status.details if status else ():
        if detail.Is(error_details_pb2.ErrorInfo.DESCRIPTOR):
            info = error_details_pb2.ErrorInfo()
            detail.Unpack(info)
        elif detail.Is(error_details_pb2.BadRequest.DESCRIPTOR):
            bad = error_details_pb2.BadRequest()
            detail.Unpack(bad)
            violations = [FieldViolation(v.field, v.description) for v in bad.field_violations]
    if info is None:
        return None
    return ErrorDetails(info.reason, info.domain, dict(info.metadata), violations)


def domain_error_from(error: grpc.RpcError) -> DomainError | None:
    """An upstream service's AIP-193 error as a DomainError with the same
    code, reason, metadata and fields, to pass on; None if it has no ErrorInfo."""
    details = error_details(error)
    if details is None or error.code().name not in ErrorKind.__members__:
        return None
    return DomainError(
        ErrorKind[error.code().name], details.reason, error.details(), details.metadata, details.violations
    )


def outcome_fields(error: DomainError) -> dict:
    """One item's refusal inside a batch answer (HoldOutcome,
    TransferPartiesOutcome): the fields its own call's error would carry."""
    return {
        "error_code": _CODES[error.kind.value],
        "error_reason": error.reason,
        "error_message": error.message,
        "error_metadata": error.metadata,
    }


def outcome_error(outcome) -> DomainError | None:
    """The refusal in one item of a batch answer, as the DomainError its own call would raise."""
    if not outcome.error_code:
        return None
    kind = ErrorKind[code_pb2.Code.Name(outcome.error_code)]
    return DomainError(kind, outcome.error_reason, outcome.error_message, dict(outcome.error_metadata))
