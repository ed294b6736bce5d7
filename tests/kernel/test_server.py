"""The shared server bootstrap: unexpected errors, metrics, SIGTERM."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import urllib.request

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from yibao.region.v1 import region_pb2 as pb
from yibao.region.v1 import region_pb2_grpc

from services.kernel.errors import DomainError
from services.kernel.migrations import upgrade
from services.kernel.request_text import MAX_TEXT, check_request_text
from services.kernel.server import start_server
from services.region.entrypoints.grpc_api import RegionServicer, region_service
from tests.rpc import fails
from tests.tls import SERVICE as SERVICE_TLS
from tests.tls import aio_channel, sync_channel


class ExplodingCases:
    """Use cases whose storage fails in a way nobody planned for."""

    async def get_region(self, code):
        raise RuntimeError("password=hunter2 at db-7.internal:5432")


async def test_unexpected_errors_become_internal_without_internals(tokens):
    server = await start_server(
        region_service(RegionServicer(ExplodingCases(), None)), "127.0.0.1:0", tokens, tls=SERVICE_TLS
    )
    try:
        async with aio_channel(server.address) as channel:
            failure = await fails(
                region_pb2_grpc.RegionServiceStub(channel).GetRegion(pb.GetRegionRequest(code="450100"))
            )
    finally:
        await server.stop(0)
    assert (failure.code, failure.reason, failure.message) == (
        grpc.StatusCode.INTERNAL,
        "INTERNAL",
        "internal error",
    )
    assert "hunter2" not in repr(failure)


async def test_r20a_bytes_that_do_not_decode_are_invalid_argument_and_logged_once(tokens, caplog):
    """Before authentication, whatever the method: INVALID_ARGUMENT with a
    reason, no class name, no traceback; one warning for a flood."""
    server = await start_server(
        region_service(RegionServicer(ExplodingCases(), None)), "127.0.0.1:0", tokens, tls=SERVICE_TLS
    )
    try:
        async with aio_channel(server.address) as channel:
            for method in ("GetRegion", "ListRegions", "SetRegionEnablement"):
                raw = channel.unary_unary(f"/yibao.region.v1.RegionService/{method}")
                for garbage in (b"\xff\xff\xff\xff", b"\x0a\x05ab", b"\x08" + b"\xff" * 11):
                    failure = await fails(raw(garbage))
                    assert (failure.code, failure.reason) == (
                        grpc.StatusCode.INVALID_ARGUMENT,
                        "REQUEST_MALFORMED",
                    )
                    assert "class" not in failure.message and "Error" not in failure.message
    finally:
        await server.stop(0)
    warnings = [r for r in caplog.records if r.name == "yibao.rpc" and r.levelname == "WARNING"]
    assert len(warnings) == 1 and not any(r.exc_info for r in caplog.records)


async def test_r20a_control_characters_and_overlong_text_are_refused_before_any_handler(tokens):
    """NUL (which PostgreSQL refuses), newlines, escapes, or more than
    characters than its bound in any string field, nested ones included:
    INVALID_ARGUMENT naming the field; the handler (here one that would
    fail INTERNAL) never runs."""
    server = await start_server(
        region_service(RegionServicer(ExplodingCases(), None)), "127.0.0.1:0", tokens, tls=SERVICE_TLS
    )
    try:
        async with aio_channel(server.address) as channel:
            regions = region_pb2_grpc.RegionServiceStub(channel)
            for code, field in (("45\x000100", "code"), ("450100\n", "code"), ("4501000", "code")):
                failure = await fails(regions.GetRegion(pb.GetRegionRequest(code=code)))
                assert (failure.code, failure.reason, failure.fields) == (
                    grpc.StatusCode.INVALID_ARGUMENT,
                    "TEXT_INVALID",
                    [field],
                )
            too_long = await fails(regions.GetRegion(pb.GetRegionRequest(code="4501000")))
            assert too_long.metadata["max_chars"] == "6"  # the bound written on the field in the proto
            codes = pb.CheckRegionsRequest(codes=["450100", "\x1b[2J"])
            assert (await fails(regions.CheckRegions(codes))).fields == ["codes"]
            unbounded = pb.GetRegionResponse(region=pb.Region(name="x" * (MAX_TEXT + 1)))
            with pytest.raises(DomainError) as raised:
                check_request_text(unbounded)  # a field without a bound of its own gets MAX_TEXT
            assert raised.value.violations[0].field == "region.name"
    finally:
        await server.stop(0)


def _free_port() -> int:
    return _free_ports(1)[0]


def _free_ports(count: int) -> list[int]:
    """`count` distinct free ports, below the ephemeral range (bench/cluster.py
    free_ports): a server stopped and started again keeps its port."""
    from bench.cluster import free_ports

    return free_ports(count)


async def test_reflection_puts_the_error_detail_types_in_each_services_schema(tokens):
    """grpcurl and other reflection clients decode ErrorInfo and BadRequest
    only if the service's own schema reaches them."""
    import asyncio

    from google.protobuf.descriptor_pool import DescriptorPool
    from grpc_reflection.v1alpha.proto_reflection_descriptor_database import ProtoReflectionDescriptorDatabase

    server = await start_server(
        region_service(RegionServicer(ExplodingCases(), None)), "127.0.0.1:0", tokens, tls=SERVICE_TLS
    )

    def closure() -> set[str]:
        with sync_channel(server.address) as channel:
            pool = DescriptorPool(ProtoReflectionDescriptorDatabase(channel))
            seen, todo = set(), [pool.FindServiceByName("yibao.region.v1.RegionService").file]
            while todo:
                file = todo.pop()
                if file.name not in seen:
                    seen.add(file.name)
                    todo.extend(file.dependencies)
            return seen

    try:
        files = await asyncio.to_thread(closure)
    finally:
        await server.stop(0)
    assert {"google/rpc/error_details.proto", "yibao/type/v1/conventions.proto"} <= files


def test_serve_process_exposes_metrics_and_drains_on_sigterm(tmp_path):
    url = f"sqlite:///{tmp_path / 'region.db'}"
    upgrade("region", url)
    port, metrics_port = _free_ports(2)
    env = {
        **os.environ,
        "YIBAO_REGION_DATABASE_URL": url,
        "YIBAO_REGION_LISTEN": f"127.0.0.1:{port}",
        "YIBAO_REGION_METRICS_PORT": str(metrics_port),
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "services.cli.main", "serve", "region"],
        env=env,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        with sync_channel(f"127.0.0.1:{port}") as channel:
            grpc.channel_ready_future(channel).result(timeout=30)
            health = health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(), timeout=5)
            assert health.status == health_pb2.HealthCheckResponse.SERVING
            with pytest.raises(grpc.RpcError):
                region_pb2_grpc.RegionServiceStub(channel).GetRegion(
                    pb.GetRegionRequest(code="450100"), timeout=5
                )
        body = urllib.request.urlopen(f"http://127.0.0.1:{metrics_port}/metrics", timeout=5).read().decode()
        assert 'yibao_grpc_requests_total{code="NOT_FOUND",method="GetRegion",service="region"} 1.0' in body
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0
        logs = process.stderr.read()
        assert '"msg": "shutting down"' in logs
    finally:
        if process.poll() is None:
            process.kill()


async def test_r21_a_database_that_does_not_answer_is_unavailable_with_a_retry_delay(tokens, clock):
    """The service's own database away (nothing listens on its port): the
    caller is told to come back (UNAVAILABLE, RetryInfo), not INTERNAL."""
    from services.region.bootstrap import bootstrap as start_region
    from services.region.settings import RegionSettings

    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = await start_region(
        RegionSettings(f"postgresql://postgres@127.0.0.1:{port}/gone", tls=SERVICE_TLS), tokens, clock
    )
    try:
        async with aio_channel(server.address) as channel:
            failure = await fails(
                region_pb2_grpc.RegionServiceStub(channel).GetRegion(pb.GetRegionRequest(code="450100"))
            )
    finally:
        await server.stop(0)
    assert (failure.code, failure.reason) == (grpc.StatusCode.UNAVAILABLE, "DATABASE_UNAVAILABLE")
