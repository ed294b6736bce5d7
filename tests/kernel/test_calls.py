"""Calls between services: retries on UNAVAILABLE only for idempotent calls,
deadlines carried over from the incoming call."""

from __future__ import annotations

import asyncio
import time

import grpc
import pytest
from grpc_health.v1 import health, health_pb2, health_pb2_grpc

from services.kernel import calls
from services.kernel.calls import ServiceIdentity, call, set_incoming_deadline, timeout_left
from services.kernel.errors import DomainError
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
    async with calls.channel(f"127.0.0.1:{port}") as channel:
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
