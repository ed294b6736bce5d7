"""R26 end to end: `yibao run` with OTEL_EXPORTER_OTLP_ENDPOINT set exports
the spans of all three services over OTLP/gRPC — here to a collector this
test runs (opentelemetry-proto's TraceService); without it, nothing."""

from __future__ import annotations

import time

import pytest

from bench.otlp_sink import DEFAULT_OTLP_PORT, start_collector
from tests.test_run_restart import cli, own_ports_env, start, stop, with_the_runs_certificate


def _quota_call(env: dict[str, str], person_id: str) -> None:
    token = cli(env, "token", "mint", "--role", "citizen", "--person-id", person_id).stdout.strip()
    done = cli({**env, "YIBAO_TOKEN": token}, "transfer", "quota", person_id)
    assert done.returncode == 0, done.stderr


def test_r26_yibao_run_exports_the_spans_of_the_three_services_over_otlp(tmp_path):
    server, collector, port = start_collector()
    env = own_ports_env() | {
        "OTEL_EXPORTER_OTLP_ENDPOINT": f"http://127.0.0.1:{port}",
        "OTEL_EXPORTER_OTLP_INSECURE": "true",
        "OTEL_BSP_SCHEDULE_DELAY": "100",
    }
    data_dir = str(tmp_path / "data")
    process, ids = start(env, data_dir)
    try:
        caller = {k: v for k, v in env.items() if not k.startswith("OTEL_")} | with_the_runs_certificate(
            data_dir
        )
        _quota_call(caller, next(iter(ids.values())))  # the transfer service, which asks no one else
        wanted = {
            "yibao.region.v1.RegionService",
            "yibao.account.v1.AccountService",
            "yibao.transfer.v1.TransferService",
        }
        deadline = time.monotonic() + 30
        while not wanted <= collector.rpc_services() and time.monotonic() < deadline:
            time.sleep(0.2)
        assert wanted <= collector.rpc_services(), collector.rpc_services()
        assert {name for name, _ in collector.spans} == {"yibao"}  # OTEL_SERVICE_NAME unset: the suite's name
    finally:
        stop(process)
        server.stop(0)


def test_r26_without_the_otel_variables_yibao_run_exports_nothing(tmp_path):
    # The collector on the exporters' default address (localhost:4317): a
    # suite that traced without being asked would reach it.
    try:
        server, collector, port = start_collector(DEFAULT_OTLP_PORT, "localhost")
    except RuntimeError:
        pytest.skip("localhost:4317 is taken: the default endpoint cannot be watched")
    env = own_ports_env()  # no OTEL_*
    data_dir = str(tmp_path / "data")
    process, ids = start(env, data_dir)
    try:
        _quota_call(env | with_the_runs_certificate(data_dir), next(iter(ids.values())))
    finally:
        stop(process)  # an exporter, were one running, flushes what it holds on the way out
        time.sleep(0.5)
        server.stop(0)
    assert collector.spans == []
