"""Reading AIP-193 errors off a failed call, for assertions."""

from __future__ import annotations

from dataclasses import dataclass

import grpc
import pytest

from services.kernel.grpc_errors import ErrorDetails, error_details


@dataclass
class RpcFailure:
    code: grpc.StatusCode
    message: str
    reason: str
    domain: str
    metadata: dict[str, str]
    fields: list[str]


def failure(error: grpc.RpcError) -> RpcFailure:
    details = error_details(error) or ErrorDetails()
    fields = [v.field for v in details.violations]
    return RpcFailure(error.code(), error.details(), details.reason, details.domain, details.metadata, fields)


async def fails(call) -> RpcFailure:
    """Awaits a call that must fail and describes the failure."""
    with pytest.raises(grpc.aio.AioRpcError) as raised:
        await call
    return failure(raised.value)
