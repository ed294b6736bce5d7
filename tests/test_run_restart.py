"""`yibao run --demo` (what `make run` starts), stopped and started again on
the same data directory a month later: the restart loads nothing twice and
changes nothing (balances, statements, region settings)."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
from pathlib import Path

from services.cli.main import dev_keys_env
from services.kernel.tls import TlsFiles, secure_env
from tests.kernel.test_server import _free_port
from tests.test_cli import cli


def start(env: dict[str, str], data_dir: str, *options: str) -> tuple[subprocess.Popen, dict[str, str]]:
    """The suite with its demo data; returns once the demo persons are
    loaded (their ids, by name), or with the process ended when it failed."""
    process = subprocess.Popen(
        [sys.executable, "-m", "services.cli.main", "run", "--data-dir", data_dir, "--demo", *options],
        env={**env, "COLUMNS": "200"},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    output: list[str] = []

    def read() -> None:
        for line in process.stdout:
            output.append(line)
            if line.startswith("demo persons:"):
                return

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    reader.join(timeout=120)
    persons = output[-1] if output and output[-1].startswith("demo persons:") else ""
    if not persons:
        process.wait(timeout=30)
        raise AssertionError(f"exit {process.returncode}:\n{''.join(output)}")
    return process, dict(re.findall(r"(\S+) ([0-9a-f-]{36})", persons))


def stop(process: subprocess.Popen) -> None:
    process.send_signal(signal.SIGINT)
    assert process.wait(timeout=30) == 0


def snapshot(env: dict[str, str], ids: dict[str, str]) -> list[str]:
    """What the demo loaded, as the CLI prints it."""
    admin = {**env, "YIBAO_TOKEN": cli(env, "token", "mint", "--role", "admin").stdout.strip()}
    seen = [cli(admin, "region", "history", "320100", "--ancestors").stdout]
    for person_id in ids.values():
        token = cli(env, "token", "mint", "--role", "citizen", "--person-id", person_id).stdout.strip()
        me = {**env, "YIBAO_TOKEN": token}
        seen += [
            cli(me, "wallet", "balance", person_id).stdout,
            cli(me, "wallet", "statement", person_id).stdout,
        ]
    return seen


def with_the_runs_certificate(data_dir: str) -> dict[str, str]:
    """What `yibao run` wrote in its data directory for the CLI: its TLS
    certificate (YIBAO_TLS_*) and the development token keys (YIBAO_JWT_*)."""
    tls = f"{data_dir}/tls"
    return secure_env(TlsFiles(f"{tls}/ca.pem", f"{tls}/cli.pem", f"{tls}/cli-key.pem")) | dev_keys_env(
        Path(data_dir) / "keys"
    )


def own_ports_env() -> dict[str, str]:
    """This process's environment without its YIBAO_ settings, and free ports for the services and the gateway."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("YIBAO_")}
    for service in ("REGION", "ACCOUNT", "TRANSFER"):
        port = _free_port()
        env |= {
            f"YIBAO_{service}_LISTEN": f"127.0.0.1:{port}",
            f"YIBAO_{service}_TARGET": f"127.0.0.1:{port}",
            f"YIBAO_{service}_METRICS_PORT": "0",
        }
    return env | {"YIBAO_GATEWAY_LISTEN": f"127.0.0.1:{_free_port()}"}


def test_a_restart_in_the_next_month_changes_nothing(tmp_path):
    clock = tmp_path / "clock"
    env = own_ports_env()
    env["YIBAO_CLOCK_FILE"] = str(clock)
    data_dir = str(tmp_path / "data")

    clock.write_text("2026-03-02T02:00:00+00:00")  # 10:00 Beijing, March
    process, ids = start(env, data_dir)
    caller = env | with_the_runs_certificate(data_dir)
    try:
        before = snapshot(caller, ids)
    finally:
        stop(process)
    assert "5,000.00" in before[1] or "5000.00" in before[1], before[1]

    clock.write_text("2026-04-02T02:00:00+00:00")  # a month later
    process, again = start(env, data_dir)
    try:
        assert again == ids
        assert snapshot(caller, ids) == before
    finally:
        stop(process)
