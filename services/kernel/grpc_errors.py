"""DomainError -> gRPC status with google.rpc details (AIP-193)."""

from __future__ import annotations

import grpc
from google.protobuf import any_pb2
from google.rpc import code_pb2, error_details_pb2, status_pb2
from grpc_status import rpc_status

from services.kernel.errors import DomainError

_CODES = dict(code_pb2.Code.items())


def to_status(error: DomainError, domain: str) -> grpc.Status:
    details = []
    info = error_details_pb2.ErrorInfo(reason=error.reason, domain=domain, metadata=error.metadata)
    details.append(info)
    if error.violations:
        details.append(
            error_details_pb2.BadRequest(
                field_violations=[
                    error_details_pb2.BadRequest.FieldViolation(field=v.field, description=v.description)
                    for v in error.violations
                ]
            )
        )
    packed = []
    for detail in details:
        any_detail = any_pb2.Any()
        any_detail.Pack(detail)
        packed.append(any_detail)
    status = status_pb2.Status(code=_CODES[error.kind.value], message=error.message, details=packed)
    return rpc_status.to_status(status)


def internal_status(domain: str) -> grpc.Status:
    info = any_pb2.Any()
    info.Pack(error_details_pb2.ErrorInfo(reason="INTERNAL", domain=domain))
    status = status_pb2.Status(code=code_pb2.INTERNAL, message="internal error", details=[info])
    return rpc_status.to_status(status)


def domain_error_from(error: grpc.RpcError) -> DomainError | None:
    """An upstream service's AIP-193 error as a DomainError with the same
    code, reason, metadata and fields, to pass on; None if it has no ErrorInfo."""
    from services.kernel.errors import ErrorKind, FieldViolation

    status = rpc_status.from_call(error)
    if status is None:
        return None
    info, violations = None, []
    for detail in status.details:
        if detail.Is(error_details_pb2.ErrorInfo.DESCRIPTOR):
            info = error_details_pb2.ErrorInfo()
            detail.Unpack(info)
        elif detail.Is(error_details_pb2.BadRequest.DESCRIPTOR):
            bad = error_details_pb2.BadRequest()
            detail.Unpack(bad)
            violations = [FieldViolation(v.field, v.description) for v in bad.field_violations]
    if info is None or error.code().name not in ErrorKind.__members__:
        return None
    return DomainError(ErrorKind[error.code().name], info.reason, status.message, dict(info.metadata), violations)
