"""What the CLI needs to call a service: a channel, a token, readable errors."""

from __future__ import annotations

import grpc
from google.rpc import error_details_pb2
from grpc_status import rpc_status
from rich.console import Console

err = Console(stderr=True)

DEFAULT_TIMEOUT = 10.0


def metadata(token: str | None) -> list[tuple[str, str]]:
    return [("authorization", f"Bearer {token}")] if token else []


def explain(error: grpc.RpcError) -> str:
    """One line: code, message, and the machine-readable reason and fields."""
    text = f"{error.code().name}: {error.details()}"
    status = rpc_status.from_call(error)
    for detail in status.details if status else ():
        if detail.Is(error_details_pb2.ErrorInfo.DESCRIPTOR):
            info = error_details_pb2.ErrorInfo()
            detail.Unpack(info)
            extra = "".join(f" {k}={v}" for k, v in sorted(info.metadata.items()))
            text += f" [{info.reason}{extra}]"
        elif detail.Is(error_details_pb2.BadRequest.DESCRIPTOR):
            bad = error_details_pb2.BadRequest()
            detail.Unpack(bad)
            text += "".join(f" ({v.field}: {v.description})" for v in bad.field_violations)
    return text
