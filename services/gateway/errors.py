"""Errors as the gateway answers them: Google's JSON error form (AIP-193's
HTTP mapping) — ``{"error": {"code": <HTTP status>, "status": "NOT_FOUND",
"message": …, "details": [{"@type": "…ErrorInfo", "reason": …}]}}`` —
for the gateway's own refusals and for the services' errors passed on."""

from __future__ import annotations

from dataclasses import dataclass, field

import grpc
from google.protobuf import json_format
from google.rpc import error_details_pb2  # noqa: F401  (registers the detail types for json_format)
from grpc_status import rpc_status

from services.kernel.errors import Reasons

DOMAIN = "gateway.yibao"
INFO_TYPE = "type.googleapis.com/google.rpc.ErrorInfo"

Reason = Reasons(
    "Reason",
    """
    ENVELOPE_MALFORMED ALGORITHM_UNSUPPORTED SIGNATURE_INVALID PAYLOAD_UNDECRYPTABLE
    BODY_TOO_LARGE TIMESTAMP_OUT_OF_WINDOW APP_UNKNOWN PAYLOAD_INVALID METHOD_UNKNOWN
    UPSTREAM_UNAVAILABLE
    """,
)

# google.rpc.Code -> HTTP status (the mapping of google/rpc/code.proto).
HTTP_STATUS = {
    "OK": 200,
    "CANCELLED": 499,
    "UNKNOWN": 500,
    "INVALID_ARGUMENT": 400,
    "DEADLINE_EXCEEDED": 504,
    "NOT_FOUND": 404,
    "ALREADY_EXISTS": 409,
    "PERMISSION_DENIED": 403,
    "RESOURCE_EXHAUSTED": 429,
    "FAILED_PRECONDITION": 400,
    "ABORTED": 409,
    "OUT_OF_RANGE": 400,
    "UNIMPLEMENTED": 501,
    "INTERNAL": 500,
    "UNAVAILABLE": 503,
    "DATA_LOSS": 500,
    "UNAUTHENTICATED": 401,
}


@dataclass
class GatewayError(Exception):
    """A refusal of the gateway's own, before or instead of a call."""

    status: str  # a google.rpc.Code name
    reason: str
    message: str
    metadata: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.reason = str(self.reason)
        super().__init__(self.message)

    @property
    def http_status(self) -> int:
        return HTTP_STATUS[self.status]

    def body(self) -> dict:
        info: dict[str, object] = {
            "@type": INFO_TYPE,
            "reason": self.reason,
            "domain": DOMAIN,
        }
        if self.metadata:
            info["metadata"] = self.metadata
        return error_body(self.status, self.message, [info])


def error_body(status: str, message: str, details: list[dict]) -> dict:
    return {"error": {"code": HTTP_STATUS[status], "status": status, "message": message, "details": details}}


def from_rpc_error(error: grpc.aio.AioRpcError) -> tuple[int, dict]:
    """A service's error as it answered it: code, message and every detail
    (ErrorInfo, BadRequest, RetryInfo) in their JSON form."""
    code = error.code().name
    status = rpc_status.from_call(error)
    details = [json_format.MessageToDict(d) for d in status.details] if status else []
    return HTTP_STATUS[code], error_body(code, error.details() or code, details)
