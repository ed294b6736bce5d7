"""Reading AIP-193 errors off a failed call, for assertions."""

from __future__ import annotations

from dataclasses import dataclass

import grpc
import pytest
from google.rpc import error_details_pb2
from grpc_status import rpc_status


@dataclass
class RpcFailure:
    code: grpc.StatusCode
    message: str
    reason: str
    domain: str
    metadata: dict[str, str]
    fields: list[str]


def failure(error: grpc.RpcError) -> RpcFailure:
    status = rpc_status.from_call(error)
    info, fields = error_details_pb2.ErrorInfo(), []
    for detail in status.details if status else ():
        if detail.Unpack(info):
            continue
        bad = error_details_pb2.BadRequest()
        if detail.Unpack(bad):
            fields = [v.field for v in bad.field_violations]
    return RpcFailure(error.code(), error.details(), info.reason, info.domain, dict(info.metadata), fields)


async def fails(call) -> RpcFailure:
    """Awaits a call that must fail and describes the failure."""
    with pytest.raises(grpc.aio.AioRpcError) as raised:
        await call
    return failure(raised.value)
