"""End-to-end transfer benchmark (make bench).

Starts PostgreSQL (testcontainers, or YIBAO_BENCH_POSTGRES_URL for a server
you run) and the three services as separate processes on it, then measures,
with BENCH_CONCURRENCY clients (64):

  0. pgbench TPC-B (-c 8, 20 s, scale 10) on the same server, as the yardstick;
  1. submit: BENCH_TRANSFERS (1,000) cross-province transfers, each by its
     own payer with a face ticket, through the real services;
  2. receive: half of them received by their payees;
  3. the 06:00 burst: BENCH_BURST (100,000) more pending transfers written by
     a bulk loader (bench/bulk.py), then the clock moves past 06:00 and the
     transfer service refunds every pending transfer; bounded by
     BENCH_BURST_TIMEOUT seconds (240), after which the rate so far counts.

It reads the services' SQL counters (statements and transactions per
transfer) and memory, checks the ledger, prints a table with the ratios to
the goals and writes .bench/result.json. Nothing runs after it ends.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import grpc
import psycopg
from sqlalchemy.engine import make_url
from yibao.account.v1 import account_pb2 as apb
from yibao.account.v1 import account_pb2_grpc
from yibao.transfer.v1 import transfer_pb2 as pb
from yibao.transfer.v1 import transfer_pb2_grpc
from yibao.type.v1 import relation_pb2, verification_pb2

from bench.bulk import load_due_transfers
from services.account.domain.credentials import Purpose, mint_face_ticket
from services.account.domain.identity import check_digit
from services.kernel.auth import Principal, Role, TokenAuthority
from services.kernel.clock import BEIJING, beijing_month
from services.kernel.migrations import upgrade
from services.region.adapters.seed import seed_region

KEY = "bench-jwt-key-0123456789abcdef0123456789"
FACE_KEY = "bench-face-key-0123456789abcdef0123456789"
TRANSFERS = int(os.environ.get("BENCH_TRANSFERS", "1000"))
CONCURRENCY = int(os.environ.get("BENCH_CONCURRENCY", "64"))
BURST = int(os.environ.get("BENCH_BURST", "100000"))
BURST_TIMEOUT = float(os.environ.get("BENCH_BURST_TIMEOUT", "240"))
SERVICES = ("region", "account", "transfer")
RESULT = Path(".bench/result.json")

# (figure, goal of this issue, moonshot, higher is better)
GOALS = {
    "submit_tps": (300, 1000, True),
    "submit_p99_ms": (250, 100, False),
    "receive_tps": (300, 1000, True),
    "refund_seconds": (60, 60, False),
}
RSS_GOAL_MB = 150


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def databases(server_url: str, names) -> dict[str, str]:
    suffix = uuid.uuid4().hex[:8]
    urls = {}
    with psycopg.connect(server_url, autocommit=True) as conn:
        for name in names:
            conn.execute(f'CREATE DATABASE "bench_{name}_{suffix}"')
            urls[name] = make_url(server_url).set(database=f"bench_{name}_{suffix}").render_as_string(False)
    return urls


def pgbench(url: str) -> float | None:
    """TPC-B transactions per second (pgbench -c 8, 20 s, scale 10); None without pgbench."""
    if shutil.which("pgbench") is None:
        print("pgbench: not installed (PostgreSQL client packages); no yardstick")
        return None
    subprocess.run(["pgbench", "-i", "-q", "-s", "10", url], check=True, capture_output=True)
    run = subprocess.run(
        ["pgbench", "-c", "8", "-j", "2", "-T", "20", url], check=True, capture_output=True, text=True
    )
    return float(re.search(r"tps = ([0-9.]+)", run.stdout).group(1))


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


def token(clock: Clock, role: Role, **scope: str) -> tuple[tuple[str, str], ...]:
    principal = Principal(scope.get("person_id") or scope.get("province") or "bench", role, **scope)
    minted = TokenAuthority("HS256", KEY, KEY).mint(principal, clock.now(), timedelta(hours=12))
    return (("authorization", f"Bearer {minted}"),)


async def make_pairs(account, clock: Clock, n: int) -> list[tuple[str, str, str, str]]:
    """n (payer id, payee id, payee name, payee ID number) pairs, ready to transfer."""
    gx, bj = token(clock, Role.PROVINCE, province="450000"), token(clock, Role.PROVINCE, province="110000")
    gate = asyncio.Semaphore(32)

    async def register(number: str, name: str, kind: int, region: str, metadata):
        request = apb.RegisterPersonRequest(
            id_number=number, name=name, insurance_type=kind, insured_region=region
        )
        return (await account.RegisterPerson(request, metadata=metadata)).person

    async def pair(i: int):
        async with gate:
            birth = f"{(i // 28000) % 12 + 1:02d}{(i // 1000) % 28 + 1:02d}{i % 1000:03d}"
            payer_no, payee_no = f"4501021990{birth}", f"1101011960{birth}"
            payer_no, payee_no = payer_no + check_digit(payer_no), payee_no + check_digit(payee_no)
            payer = await register(payer_no, "付款人", apb.INSURANCE_TYPE_EMPLOYEE, "450102", gx)
            payee = await register(payee_no, "收款人", apb.INSURANCE_TYPE_RESIDENT, "110101", bj)
            funding = apb.FundPersonalAccountRequest(
                person_id=payer.id,
                amount_fen=1_000_000,
                reference=f"b-{payer.id}",
                period=beijing_month(clock.now()),
            )
            await account.FundPersonalAccount(funding, metadata=gx)
            for person, place in ((payer, "450102"), (payee, "110101")):
                opening = apb.OpenWalletRequest(person_id=person.id, place_of_use=place, mobile="13800138000")
                await account.OpenWallet(opening, metadata=token(clock, Role.CITIZEN, person_id=person.id))
            relation = apb.AttestRelationRequest(
                person_id=payer.id, relative_id=payee.id, kind=relation_pb2.RELATION_KIND_PARENT
            )
            await account.AttestRelation(relation, metadata=gx)
            return payer.id, payee.id, "收款人", payee_no

    return await asyncio.gather(*(pair(i) for i in range(n)))


async def drive(jobs, call) -> tuple[float, list[float], list]:
    """Runs ``call(job)`` for every job with CONCURRENCY clients: (seconds, latencies, results)."""
    latencies, results, queue = [], [], list(jobs)

    async def client():
        while queue:
            job = queue.pop()
            started = time.perf_counter()
            results.append(await call(job))
            latencies.append(time.perf_counter() - started)

    started = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(CONCURRENCY)))
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


def ratio(value: float, goal: float, higher: bool) -> float:
    """How far a figure is towards its goal: 1.0 or more meets it."""
    if higher:
        return value / goal
    return goal / value if value else 0.0


def report(result: dict) -> None:
    print(f"\n{'figure':<26}{'measured':>12}{'goal':>10}{'ratio':>8}{'moonshot':>10}{'ratio':>8}")
    for name, (goal, moonshot, higher) in GOALS.items():
        value = result.get(name)
        if value is None:
            continue
        meets, dreams = ratio(value, goal, higher), ratio(value, moonshot, higher)
        print(f"{name:<26}{value:>12}{goal:>10}{meets:>7.2f}x{moonshot:>10}{dreams:>7.2f}x")
    for service, mb in result["rss_mb"].items():
        print(f"{'rss_mb ' + service:<26}{mb:>12}{RSS_GOAL_MB:>10}{RSS_GOAL_MB / mb:>7.2f}x")
    for service, ms in result.get("cpu_ms_per_transfer", {}).items():
        print(f"{'cpu_ms_per_transfer ' + service:<26}{ms:>12}")
    for name in (
        "pgbench_tps",
        "submit_to_pgbench",
        "sql_statements_per_transfer",
        "sql_transactions_per_transfer",
        "rpcs_per_transfer",
    ):
        print(f"{name:<26}{result[name]!s:>12}")


async def main() -> None:
    server = os.environ.get("YIBAO_BENCH_POSTGRES_URL")
    container = None
    if not server:
        os.environ.setdefault("TESTCONTAINERS_RYUK_DISABLED", "true")
        from testcontainers.community.postgres import PostgresContainer

        image = os.environ.get("POSTGRES_IMAGE", "postgres:15")
        container = PostgresContainer(image, driver=None).with_command("-c max_connections=300")
        container.start()
        server = container.get_connection_url()
    workdir = Path(tempfile.mkdtemp(prefix="yibao-bench-"))
    # 10:00 Beijing today: inside the transfer window whatever the real hour.
    ten = datetime.combine(datetime.now(BEIJING).date(), datetime.min.time().replace(hour=10), tzinfo=BEIJING)
    clock = Clock(workdir / "now", ten.astimezone(UTC))
    urls = databases(server, (*SERVICES, "pgbench"))
    result: dict = {"clients": CONCURRENCY, "transfers": TRANSFERS}
    result["pgbench_tps"] = pgbench(urls.pop("pgbench"))
    print(f"pgbench TPC-B: {result['pgbench_tps']} tps")
    for name, url in urls.items():
        upgrade(name, url)
    await seed_region(urls["region"], clock, demo=True)

    ports = {name: free_port() for name in SERVICES}
    metrics = {name: free_port() for name in SERVICES}
    env = {
        **os.environ,
        "YIBAO_JWT_SIGNING_KEY": KEY,
        "YIBAO_FACE_TICKET_KEY": FACE_KEY,
        "YIBAO_CLOCK_FILE": str(clock.path),
        "YIBAO_LOG_LEVEL": "WARNING",
        "YIBAO_TRANSFER_WORKER_INTERVAL_SECONDS": "0.2",
    }
    for name in SERVICES:
        upper = name.upper()
        env |= {
            f"YIBAO_{upper}_DATABASE_URL": urls[name],
            f"YIBAO_{upper}_LISTEN": f"127.0.0.1:{ports[name]}",
            f"YIBAO_{upper}_TARGET": f"127.0.0.1:{ports[name]}",
            f"YIBAO_{upper}_METRICS_PORT": str(metrics[name]),
        }
    command = [sys.executable, "-m", "services.cli.main", "serve"]
    processes = {name: subprocess.Popen([*command, name], env=env) for name in SERVICES}
    try:
        for name in SERVICES:
            async with grpc.aio.insecure_channel(f"127.0.0.1:{ports[name]}") as channel:
                await asyncio.wait_for(channel.channel_ready(), 60)
        async with (
            grpc.aio.insecure_channel(f"127.0.0.1:{ports['account']}") as a,
            grpc.aio.insecure_channel(f"127.0.0.1:{ports['transfer']}") as t,
        ):
            account, transfers = (
                account_pb2_grpc.AccountServiceStub(a),
                transfer_pb2_grpc.TransferServiceStub(t),
            )
            started = time.perf_counter()
            pairs = await make_pairs(account, clock, TRANSFERS)
            print(f"setup: {TRANSFERS} payer/payee pairs in {time.perf_counter() - started:.1f} s")

            # 1. submit
            citizens = {p: token(clock, Role.CITIZEN, person_id=p) for pair in pairs for p in pair[:2]}
            tickets = {
                payer: mint_face_ticket(FACE_KEY, payer, Purpose.TRANSFER, uuid.uuid4().hex, clock.now())
                for payer, *_ in pairs
            }

            async def submit(pair):
                payer, payee, name, number = pair
                request = pb.SubmitTransferRequest(
                    payer_id=payer,
                    source=pb.TRANSFER_SOURCE_PERSONAL_ACCOUNT,
                    payee_name=name,
                    payee_id_number=number,
                    relation=relation_pb2.RELATION_KIND_PARENT,
                    amount_fen=10_000,
                    request_id=str(uuid.uuid4()),
                    verification=verification_pb2.Verification(face_ticket=tickets[payer]),
                )
                return (
                    await transfers.SubmitTransfer(request, metadata=citizens[payer], timeout=30)
                ).transfer

            before, cpu_before = counters(metrics), {n: cpu_seconds(p.pid) for n, p in processes.items()}
            seconds, latencies, submitted = await drive(pairs, submit)
            after, cpu_after = counters(metrics), {n: cpu_seconds(p.pid) for n, p in processes.items()}
            figures = rate(len(submitted), seconds, latencies)
            result |= {
                "submit_tps": figures["tps"],
                "submit_p50_ms": figures["p50_ms"],
                "submit_p99_ms": figures["p99_ms"],
            }
            for kind in ("statements", "transactions"):
                result[f"sql_{kind}_per_transfer"] = round((after[kind] - before[kind]) / len(submitted), 1)
            result["rpcs_per_transfer"] = round((after["rpcs"] - before["rpcs"]) / len(submitted), 2)
            result["cpu_ms_per_transfer"] = {
                n: round(1000 * (cpu_after[n] - cpu_before[n]) / len(submitted), 2) for n in processes
            }
            print(f"submit: {len(submitted)} in {seconds:.1f} s = {figures}")

            # 2. receive, by the payees of half of them
            async def receive(t):
                request = pb.ReceiveTransferRequest(id=t.id)
                return (
                    await transfers.ReceiveTransfer(request, metadata=citizens[t.payee_id], timeout=30)
                ).transfer

            seconds, latencies, received = await drive(submitted[: len(submitted) // 2], receive)
            figures = rate(len(received), seconds, latencies)
            result |= {"receive_tps": figures["tps"], "receive_p99_ms": figures["p99_ms"]}
            print(f"receive: {len(received)} in {seconds:.1f} s = {figures}")

        # 3. the 06:00 burst: the rest of the submitted ones plus the bulk-loaded ones
        expires = datetime.fromtimestamp(submitted[0].expire_time.seconds, UTC)
        started = time.perf_counter()
        load_due_transfers(urls["account"], urls["transfer"], BURST, clock.now(), expires)
        print(f"bulk loader: {BURST} pending transfers in {time.perf_counter() - started:.1f} s")
        due = BURST + len(submitted) - len(received)
        with psycopg.connect(urls["transfer"], autocommit=True) as conn:
            clock.set(expires + timedelta(seconds=1))
            started, left = time.perf_counter(), due
            while left and time.perf_counter() - started < BURST_TIMEOUT:
                await asyncio.sleep(0.2)
                left = conn.execute(
                    "SELECT count(*) FROM transfers WHERE status IN ('pending', 'refunding')"
                ).fetchone()[0]
            seconds = time.perf_counter() - started
        refunded = due - left
        result |= {
            "refunds": refunded,
            "refund_seconds": round(seconds if not left else seconds * due / max(refunded, 1), 1),
        }
        print(
            f"06:00 burst: {refunded} of {due} refunded in {seconds:.1f} s"
            + (" (timed out: projected)" if left else "")
        )
        if not left:
            check_ledger(urls["account"], urls["transfer"])
        result["rss_mb"] = {name: rss_mb(p.pid) for name, p in processes.items()}
        pg = result["pgbench_tps"]
        result["submit_to_pgbench"] = round(result["submit_tps"] / pg, 3) if pg else None
    finally:
        for process in processes.values():
            process.terminate()
        for process in processes.values():
            process.wait(timeout=30)
        if container is not None:
            container.stop()
    RESULT.parent.mkdir(exist_ok=True)
    RESULT.write_text(json.dumps(result, indent=2))
    report(result)
    print(f"written to {RESULT}")


if __name__ == "__main__":
    asyncio.run(main())
