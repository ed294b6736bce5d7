"""What the benchmarks share (make bench, make soak): a PostgreSQL server,
the three services started as separate processes on databases of their
own, a clock file the services read, tokens, closed-loop clients, the
processes' counters and memory, and the ledger check."""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import grpc
import psycopg
from sqlalchemy.engine import make_url

from services.kernel.auth import Principal, Role, TokenAuthority
from services.kernel.clock import BEIJING
from services.kernel.migrations import upgrade
from services.kernel.tls import TlsFiles, aio_channel, secure_env, write_dev_pki
from services.region.adapters.seed import seed_region

KEY = "bench-jwt-key-0123456789abcdef0123456789"
FACE_KEY = "bench-face-key-0123456789abcdef0123456789"
ID_HASH_KEY = "bench-id-hash-key-0123456789abcdef012345"
SERVICES = ("region", "account", "transfer")
TLS = os.environ.get("BENCH_TLS", "on") != "off"  # mutual TLS on every port, as deployed
# OpenTelemetry on in every service, exporting to a stand-in collector (bench/otlp_sink.py).
TRACING = os.environ.get("BENCH_TRACING", "off") == "on"


# Ports for servers that a run stops and starts again on the same port (a
# killed Patroni node, a compose service): chosen below the kernel's
# ephemeral range (32768-60999 here), so that while such a server is down its
# port is never handed to an outgoing connection.
LISTEN_PORTS = range(20000, 32000)


def free_ports(count: int) -> list[int]:
    """``count`` distinct ports free now, from LISTEN_PORTS in random order;
    every socket stays bound until all are chosen."""
    sockets, chosen = [], []
    try:
        for port in random.SystemRandom().sample(LISTEN_PORTS, len(LISTEN_PORTS)):
            if len(chosen) == count:
                break
            s = socket.socket()
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                s.close()
                continue
            sockets.append(s)
            chosen.append(port)
        return chosen
    finally:
        for s in sockets:
            s.close()


def free_port() -> int:
    return free_ports(1)[0]


@contextlib.contextmanager
def postgres_server() -> Iterator[str]:
    """YIBAO_BENCH_POSTGRES_URL, or a PostgreSQL container (testcontainers) for the run."""
    server = os.environ.get("YIBAO_BENCH_POSTGRES_URL")
    if server:
        yield server
        return
    os.environ.setdefault("TESTCONTAINERS_RYUK_DISABLED", "true")
    from testcontainers.community.postgres import PostgresContainer

    image = os.environ.get("POSTGRES_IMAGE", "postgres:15")
    container = PostgresContainer(image, driver=None).with_command("-c max_connections=300")
    container.start()
    try:
        yield container.get_connection_url()
    finally:
        container.stop()


def databases(server_url: str, names) -> dict[str, str]:
    suffix = uuid.uuid4().hex[:8]
    urls = {}
    with psycopg.connect(server_url, autocommit=True) as conn:
        for name in names:
            conn.execute(f'CREATE DATABASE "bench_{name}_{suffix}"')
            urls[name] = make_url(server_url).set(database=f"bench_{name}_{suffix}").render_as_string(False)
    return urls


def drop_databases(server_url: str, urls: dict[str, str]) -> None:
    with psycopg.connect(server_url, autocommit=True) as conn:
        for url in urls.values():
            conn.execute(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)')


class Clock:
    """The time the service processes see (YIBAO_CLOCK_FILE) and mint tokens with."""

    def __init__(self, path: Path, at: datetime) -> None:
        self.path = path
        self.set(at)

    def set(self, at: datetime) -> None:
        self.at = at
        self.path.write_text(at.isoformat())

    def now(self) -> datetime:
        return self.at


def beijing_ten_today() -> datetime:
    """10:00 Beijing today (in UTC): inside the transfer window whatever the real hour."""
    ten = datetime.combine(datetime.now(BEIJING).date(), datetime.min.time().replace(hour=10), tzinfo=BEIJING)
    return ten.astimezone(UTC)


def token(clock: Clock, role: Role, **scope: str) -> tuple[tuple[str, str], ...]:
    principal = Principal(scope.get("person_id") or scope.get("province") or "bench", role, **scope)
    minted = TokenAuthority("HS256", KEY, KEY).mint(principal, clock.now(), timedelta(hours=12))
    return (("authorization", f"Bearer {minted}"),)


@dataclass
class Cluster:
    """The three services running as processes, each on its own database."""

    urls: dict[str, str]
    ports: dict[str, int] = field(default_factory=dict)
    metrics: dict[str, int] = field(default_factory=dict)
    processes: dict[str, subprocess.Popen] = field(default_factory=dict)
    client_tls: TlsFiles | None = None  # the load generator's certificate; None: plaintext (BENCH_TLS=off)
    env: dict[str, str] = field(default_factory=dict)  # what the service processes were started with

    def target(self, name: str) -> str:
        return f"127.0.0.1:{self.ports[name]}"

    def channel(self, name: str) -> grpc.aio.Channel:
        return aio_channel(self.target(name), self.client_tls)

    def rss_mb(self) -> dict[str, float]:
        return {name: rss_mb(p.pid) for name, p in self.processes.items()}

    def cpu_seconds(self) -> dict[str, float]:
        return {name: cpu_seconds(p.pid) for name, p in self.processes.items()}


def process_env(clock: Clock) -> dict[str, str]:
    """What every service process of a benchmark is started with (beside
    its ports, targets and database): the keys, the clock file, quiet logs
    and a worker that looks every 0.2 s."""
    return {
        **os.environ,
        "YIBAO_JWT_SIGNING_KEY": KEY,
        "YIBAO_FACE_TICKET_KEY": FACE_KEY,
        "YIBAO_ACCOUNT_ID_HASH_KEY": ID_HASH_KEY,
        "YIBAO_CLOCK_FILE": str(clock.path),
        "YIBAO_LOG_LEVEL": "WARNING",
        "YIBAO_TRANSFER_WORKER_INTERVAL_SECONDS": "0.2",
    }


@contextlib.asynccontextmanager
async def services(urls: dict[str, str], clock: Clock, demo: bool = True) -> AsyncIterator[Cluster]:
    """Migrates the databases in ``urls``, loads the division list (and the
    demo settings with ``demo``), starts the three services on them and
    waits until each answers; stops them on the way out."""
    for name in SERVICES:
        upgrade(name, urls[name])
    await seed_region(urls["region"], clock, demo=demo)
    cluster = Cluster(urls)
    cluster.ports = {name: free_port() for name in SERVICES}
    cluster.metrics = {name: free_port() for name in SERVICES}
    env = process_env(clock)
    if TLS:  # as deployed: mutual TLS with a development CA of the run's own
        pki = write_dev_pki(Path(tempfile.mkdtemp(prefix="yibao-bench-tls-")))
        env |= secure_env(pki["service"])
        cluster.client_tls = pki["cli"]
    else:
        env["YIBAO_TLS_PLAINTEXT"] = "true"
    for name in SERVICES:
        upper = name.upper()
        env |= {
            f"YIBAO_{upper}_DATABASE_URL": urls[name],
            f"YIBAO_{upper}_LISTEN": cluster.target(name),
            f"YIBAO_{upper}_TARGET": cluster.target(name),
            f"YIBAO_{upper}_METRICS_PORT": str(cluster.metrics[name]),
        }
    collector = None
    if TRACING:  # every span exported over OTLP/gRPC, as a deployment with a collector would
        from bench.otlp_sink import start_collector

        collector, sink, port = start_collector()
        env |= {
            "OTEL_EXPORTER_OTLP_ENDPOINT": f"http://127.0.0.1:{port}",
            "OTEL_EXPORTER_OTLP_INSECURE": "true",
        }
    cluster.env = env
    command = [sys.executable, "-m", "services.cli.main", "serve"]
    try:
        for name in SERVICES:
            cluster.processes[name] = subprocess.Popen([*command, name], env=env)
        for name in SERVICES:
            async with cluster.channel(name) as channel:
                await asyncio.wait_for(channel.channel_ready(), 60)
        yield cluster
    finally:
        for process in cluster.processes.values():
            process.terminate()
        for process in cluster.processes.values():
            process.wait(timeout=30)
        if collector is not None:
            print(f"tracing: {len(sink.spans)} spans received by the collector")
            collector.stop(0)


async def drive(jobs, call, concurrency: int) -> tuple[float, list[float], list]:
    """Runs ``call(job)`` for every job with ``concurrency`` clients, each
    sending its next request when its last one is answered (closed loop):
    (seconds, latencies, results)."""
    latencies, results, queue = [], [], list(jobs)

    async def client():
        while queue:
            job = queue.pop()
            started = time.perf_counter()
            results.append(await call(job))
            latencies.append(time.perf_counter() - started)

    started = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(concurrency)))
    return time.perf_counter() - started, latencies, results


def rate(count: int, seconds: float, latencies: list[float]) -> dict:
    q = statistics.quantiles(latencies, n=100) if len(latencies) > 1 else [0.0] * 99
    return {
        "tps": round(count / seconds, 1),
        "p50_ms": round(q[49] * 1000, 1),
        "p99_ms": round(q[98] * 1000, 1),
    }


def counters(ports: dict[str, int]) -> dict[str, float]:
    """The services' counters, summed: SQL statements and transactions, gRPC calls handled."""
    names = {"statements": "sql_statements", "transactions": "sql_transactions", "rpcs": "grpc_requests"}
    total = dict.fromkeys(names, 0.0)
    for port in ports.values():
        text = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5).read().decode()
        for kind, name in names.items():
            total[kind] += sum(
                float(v) for v in re.findall(rf"^yibao_{name}_total{{[^}}]*}} ([0-9.e+]+)$", text, re.M)
            )
    return total


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_mb(pid: int) -> float:
    status = Path(f"/proc/{pid}/status").read_text()
    return round(int(re.search(r"VmRSS:\s+(\d+) kB", status).group(1)) / 1024, 1)


async def wait_refunded(transfer_url: str, timeout: float) -> tuple[int, float]:
    """Polls until no transfer is pending or being refunded, at most ``timeout``
    seconds: (how many are left, seconds waited)."""
    with psycopg.connect(transfer_url, autocommit=True) as conn:
        started, left = time.perf_counter(), None
        while left != 0 and time.perf_counter() - started < timeout:
            await asyncio.sleep(0.2)
            left = conn.execute(
                "SELECT count(*) FROM transfers WHERE status IN ('pending', 'refunding')"
            ).fetchone()[0]
        return left, time.perf_counter() - started


def check_ledger(account_url: str, transfer_url: str) -> None:
    """After the burst: nothing open, nothing held, debits = credits, balances sum to zero."""
    with psycopg.connect(transfer_url) as conn:
        open_ = conn.execute(
            "SELECT count(*) FROM transfers WHERE status NOT IN ('received', 'refunded')"
        ).fetchone()[0]
    with psycopg.connect(account_url) as conn:
        held = conn.execute("SELECT count(*) FROM holds WHERE state = 'pending'").fetchone()[0]
        reserved = conn.execute(
            "SELECT coalesce(sum(balance), 0) FROM accounts WHERE kind = 'reserved'"
        ).fetchone()[0]
        debits, credits, balances = conn.execute(
            "SELECT coalesce(sum(-amount) FILTER (WHERE amount < 0), 0), coalesce(sum(amount) FILTER (WHERE amount > 0), 0),"
            " (SELECT coalesce(sum(balance), 0) FROM accounts) FROM postings"
        ).fetchone()
    print(
        f"ledger: open transfers {open_}, pending holds {held}, reserved {reserved} fen, debits {debits} = credits {credits}, balances {balances}"
    )
    assert (open_, held, reserved, balances) == (0, 0, 0, 0) and debits == credits, (
        "the ledger does not balance"
    )
