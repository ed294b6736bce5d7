"""The embedded default end to end: `yibao run --demo` (what `make run`
starts) in its own process, called through the `yibao` CLI."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import grpc
import pytest

from tests.kernel.test_server import _free_port


@pytest.fixture
def embedded(tmp_path):
    port = _free_port()
    env = {**os.environ, "YIBAO_REGION_LISTEN": f"127.0.0.1:{port}", "YIBAO_REGION_METRICS_PORT": "0", "YIBAO_REGION_TARGET": f"127.0.0.1:{port}"}
    process = subprocess.Popen(
        [sys.executable, "-m", "services.cli.main", "run", "--data-dir", str(tmp_path / "data"), "--demo"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    try:
        with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
            grpc.channel_ready_future(channel).result(timeout=60)
        yield env
    finally:
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=30) == 0


def cli(env, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "services.cli.main", *args], env={**env, "COLUMNS": "200"}, capture_output=True, text=True, timeout=60)


def test_embedded_suite_with_demo_data_through_the_cli(embedded):
    checked = cli(embedded, "region", "check", "450100", "450303", "320100", "999999")
    assert checked.returncode == 0, checked.stderr
    rows = {line.split("│")[1].strip(): line for line in checked.stdout.splitlines() if line.count("│") > 3}
    assert "enabled" in rows["450100"] and "南宁市" in rows["450100"]
    assert "disabled" in rows["450303"] and "450300" in rows["450303"]  # 桂林 withdrawn in the demo
    assert "disabled" in rows["320100"] and "unknown" in rows["999999"]

    denied = cli(embedded, "region", "enable", "320000", "--reason", "开通")
    assert denied.returncode == 1 and "UNAUTHENTICATED" in denied.stderr and "TOKEN_MISSING" in denied.stderr

    token = cli(embedded, "token", "mint", "--role", "admin", "--sub", "ops-9").stdout.strip()
    admin = {**embedded, "YIBAO_TOKEN": token}
    enabled = cli(admin, "region", "enable", "320000", "--reason", "江苏开通")
    assert enabled.returncode == 0 and "已开通" in enabled.stdout
    assert "enabled" in cli(embedded, "region", "check", "320100").stdout
    history = cli(admin, "region", "history", "320100", "--ancestors")
    assert "ops-9" in history.stdout and "江苏开通" in history.stdout

    bad = cli(embedded, "region", "show", "12")
    assert bad.returncode == 1 and "REGION_CODE_INVALID" in bad.stderr and "Traceback" not in bad.stderr

    listed = cli(embedded, "region", "institutions", "450100", "--wallet-only")
    assert "H45010300001" in listed.stdout and "P45010200001" not in listed.stdout

    added = cli(admin, "institution", "add", "P45010300002", "青秀区惠民药房", "450103", "--accepts-wallet")
    assert added.returncode == 0 and "retail_pharmacy" in added.stdout, added.stderr
    refused = cli(admin, "institution", "wallet", "P45010300002", "--refuses")
    assert refused.returncode == 0 and "P45010300002" in refused.stdout
    shown = cli(embedded, "institution", "show", "P45010300002")
    assert "青秀区惠民药房" in shown.stdout and "accepts" not in shown.stdout
