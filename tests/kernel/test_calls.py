"""Calls between services: retries on UNAVAILABLE only for idempotent calls,
deadlines carried over from the incoming call."""

from __future__ import annotations

import asyncio
import time

import grpc
import pytest
from google.rpc import error_details_pb2, status_pb2
from grpc_health.v1 import health, health_pb2, health_pb2_grpc

from services.kernel import calls
from services.kernel.calls import ServiceIdentity, call, set_incoming_deadline, timeout_left
from services.kernel.errors import DomainError, ErrorKind
from services.kernel.grpc_errors import internal_status, to_status
from services.kernel.upstream import (
    RETRY_AFTER,
    UpstreamBroken,
    UpstreamError,
    UpstreamRefused,
    UpstreamUnavailable,
    definite,
)
from tests.kernel.test_server import _free_port


async def _late_server(port: int, delay: float):
    await asyncio.sleep(delay)
    server = grpc.aio.server()
    health_pb2_grpc.add_HealthServicer_to_server(health.aio.HealthServicer(), server)
    server.add_insecure_port(f"127.0.0.1:{port}")
    await server.start()
    return server


async def test_idempotent_calls_are_retried_until_the_peer_is_back(tokens, clock):
    port = _free_port()
    identity = ServiceIdentity("transfer", tokens, clock)
    async with calls.channel(f"127.0.0.1:{port}", None) as channel:  # a bare test server: plaintext
        stub = health_pb2_grpc.HealthStub(channel)
        starting = asyncio.create_task(_late_server(port, 0.3))
        started = time.monotonic()
        try:
            response = await call(
                stub.Check, health_pb2.HealthCheckRequest(), identity, idempotent=True, upstream="account"
            )
        finally:
            await (await starting).stop(0)
        assert response.status == health_pb2.HealthCheckResponse.SERVING
        assert time.monotonic() - started >= 0.25  # it did wait for the peer


async def test_other_calls_fail_fast_as_unavailable(tokens, clock):
    port = _free_port()
    async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
        stub = health_pb2_grpc.HealthStub(channel)
        with pytest.raises(DomainError) as raised:
            await call(
                stub.Check,
                health_pb2.HealthCheckRequest(),
                ServiceIdentity("t", tokens, clock),
                idempotent=False,
                upstream="account",
            )
    assert (raised.value.kind.value, raised.value.reason, raised.value.metadata) == (
        "UNAVAILABLE",
        "UPSTREAM_UNAVAILABLE",
        {"service": "account"},
    )


async def test_outgoing_timeout_is_clamped_to_the_incoming_deadline():
    assert timeout_left() == calls.DEFAULT_TIMEOUT
    set_incoming_deadline(0.5)
    assert 0 < timeout_left() <= 0.5
    set_incoming_deadline(-1)
    with pytest.raises(DomainError) as raised:
        timeout_left()
    assert raised.value.reason == "DEADLINE_EXCEEDED"
    set_incoming_deadline(None)


# One error hierarchy for calls between services (kernel/upstream.py): every gRPC failure is mapped.


async def _answering(status: grpc.Status | None, code: grpc.StatusCode):
    """A server whose every unary method fails with ``status`` (AIP-193 details) or a bare ``code``."""

    class Failing(grpc.GenericRpcHandler):
        def service(self, details):
            async def fail(request, context):
                if status is not None:
                    await context.abort_with_status(status)
                await context.abort(code, "bare")

            return grpc.unary_unary_rpc_method_handler(fail)

    server = grpc.aio.server()
    server.add_generic_rpc_handlers((Failing(),))
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    return server, port


@pytest.mark.parametrize(
    ("code", "with_reason", "expected", "reason"),
    [
        (grpc.StatusCode.FAILED_PRECONDITION, True, UpstreamRefused, "HOLD_ALREADY_ENDED"),
        (grpc.StatusCode.NOT_FOUND, True, UpstreamRefused, "HOLD_ALREADY_ENDED"),
        (grpc.StatusCode.INVALID_ARGUMENT, False, UpstreamBroken, "UPSTREAM_BROKEN"),
        (grpc.StatusCode.INTERNAL, True, UpstreamBroken, "UPSTREAM_BROKEN"),
        (grpc.StatusCode.UNKNOWN, False, UpstreamBroken, "UPSTREAM_BROKEN"),
        (grpc.StatusCode.UNIMPLEMENTED, False, UpstreamBroken, "UPSTREAM_BROKEN"),
        (grpc.StatusCode.RESOURCE_EXHAUSTED, True, UpstreamUnavailable, "UPSTREAM_UNAVAILABLE"),
        (grpc.StatusCode.UNAVAILABLE, False, UpstreamUnavailable, "UPSTREAM_UNAVAILABLE"),
        (grpc.StatusCode.ABORTED, True, UpstreamUnavailable, "UPSTREAM_UNAVAILABLE"),
    ],
)
async def test_every_failure_of_a_call_is_one_class_of_the_hierarchy(
    tokens, clock, code, with_reason, expected, reason
):
    status = None
    if with_reason and code is grpc.StatusCode.INTERNAL:
        status = internal_status("account.yibao")  # our servers' INTERNAL carries a reason too
    elif with_reason:
        refusal = DomainError(ErrorKind[code.name], "HOLD_ALREADY_ENDED", "ended", {"transfer_id": "t1"})
        status = to_status(refusal, "account.yibao")
    server, port = await _answering(status, code)
    try:
        async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
            method = channel.unary_unary("/x.v1.XService/Do")
            with pytest.raises(UpstreamError) as raised:
                await call(
                    method, b"", ServiceIdentity("t", tokens, clock), idempotent=False, upstream="account"
                )
    finally:
        await server.stop(0)
    assert type(raised.value) is expected
    assert (raised.value.reason, raised.value.upstream) == (reason, "account")
    if expected is UpstreamRefused:  # passed on as the callee gave it
        assert (raised.value.kind, raised.value.metadata) == (ErrorKind[code.name], {"transfer_id": "t1"})
        assert definite(raised.value)
    else:  # the outcome is unknown: asked again later, and the caller told when
        assert not definite(raised.value)
        assert raised.value.kind is ErrorKind.UNAVAILABLE and raised.value.retry_delay


def test_a_retry_delay_travels_as_google_rpc_retry_info():
    status = to_status(UpstreamUnavailable.of("account"), "transfer.yibao")
    details = dict(status.trailing_metadata)["grpc-status-details-bin"]
    decoded = status_pb2.Status.FromString(details)
    infos = [d for d in decoded.details if d.Is(error_details_pb2.RetryInfo.DESCRIPTOR)]
    assert len(infos) == 1
    info = error_details_pb2.RetryInfo()
    infos[0].Unpack(info)
    assert info.retry_delay.ToTimedelta().total_seconds() == RETRY_AFTER
