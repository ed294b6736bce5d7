"""The index as it is deployed: its settings, `yibao migrate index`,
`yibao serve index` (its own process, port and metrics), `yibao health
index`, and the development certificates that answer to its name."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import urllib.request
from pathlib import Path

import grpc
from cryptography import x509
from yibao.index.v1 import index_pb2 as pb
from yibao.index.v1 import index_pb2_grpc

from services.kernel import tls
from services.kernel.config import Settings
from tests.tls import sync_channel


def _free_ports(count: int) -> list[int]:
    sockets = [socket.socket() for _ in range(count)]
    try:
        for s in sockets:
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


def _yibao(*args: str, env: dict) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "services.cli.main", *args]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=60)


def test_the_index_has_its_own_settings():
    defaults = {
        name: field.default for name, field in Settings.model_fields.items() if name.startswith("index_")
    }
    assert defaults == {
        "index_database_url": "sqlite:///.run/index.db",
        "index_listen": "127.0.0.1:50054",
        "index_metrics_port": 9104,
        "index_target": "127.0.0.1:50054",
    }
    assert Settings(index_listen="10.0.0.5:50054").service("index").listen == "10.0.0.5:50054"


def test_migrate_serve_and_health_of_the_index(tmp_path):
    port, metrics_port = _free_ports(2)
    env = {
        **os.environ,
        "YIBAO_INDEX_DATABASE_URL": f"sqlite:///{tmp_path / 'index.db'}",
        "YIBAO_INDEX_LISTEN": f"127.0.0.1:{port}",
        "YIBAO_INDEX_METRICS_PORT": str(metrics_port),
    }
    migrated = _yibao("migrate", "index", env=env)
    assert migrated.returncode == 0 and "index: migrated" in migrated.stdout, migrated.stderr
    process = subprocess.Popen(
        [sys.executable, "-m", "services.cli.main", "serve", "index"],
        env=env,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        with sync_channel(f"127.0.0.1:{port}") as channel:
            grpc.channel_ready_future(channel).result(timeout=30)
            stub = index_pb2_grpc.PersonIndexServiceStub(channel)
            try:
                stub.FindIdentity(pb.FindIdentityRequest(id_hash="a" * 64), timeout=5)
                raise AssertionError("an anonymous call was answered")
            except grpc.RpcError as error:
                assert error.code() is grpc.StatusCode.UNAUTHENTICATED
        healthy = _yibao("health", "index", env=env)
        assert (healthy.returncode, healthy.stdout.strip()) == (0, "index: SERVING"), healthy.stderr
        body = urllib.request.urlopen(f"http://127.0.0.1:{metrics_port}/metrics", timeout=5).read().decode()
        assert 'method="FindIdentity",service="index"' in body
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0
    finally:
        if process.poll() is None:
            process.kill()
    down = _yibao("health", "index", env=env)
    assert down.returncode == 1 and "UNAVAILABLE" in down.stdout


def _dns_names(cert_file: str) -> list[str]:
    cert = x509.load_pem_x509_certificate(Path(cert_file).read_bytes())
    return cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value.get_values_for_type(
        x509.DNSName
    )


def test_the_development_certificates_answer_to_index_and_an_older_set_is_made_anew(tmp_path, monkeypatch):
    assert "index" in _dns_names(tls.write_dev_pki(tmp_path / "fresh")["service"].cert)
    with monkeypatch.context() as before:  # a set written before the index was named
        before.setattr(tls, "DEV_NAMES", ("localhost", "region", "account", "transfer", "gateway"))
        old = tls.write_dev_pki(tmp_path / "old")["service"].cert
        assert "index" not in _dns_names(old)
    assert "index" in _dns_names(tls.write_dev_pki(tmp_path / "old")["service"].cert)
