"""End-to-end transfer benchmark (make bench).

Starts PostgreSQL (testcontainers, or YIBAO_BENCH_POSTGRES_URL for a server
you run), the three services as separate processes on it, registers payer /
payee pairs through the API, then measures:

  1. submitted transfers per second and their latency (p50 / p99), with
     BENCH_CONCURRENCY clients, face-ticket verification;
  2. the 06:00 burst: every transfer left pending falls due at once; how
     fast the transfer service refunds them.

It prints its figures and the ratio to the goals (1,000 transfers/s with p99
under 100 ms; 100,000 refunds in under a minute). Bounded: BENCH_TRANSFERS
transfers (default 1,000), nothing runs after it ends.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
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
from yibao.type.v1 import verification_pb2

from services.account.domain.credentials import Purpose, mint_face_ticket
from services.account.domain.identity import check_digit
from services.kernel.auth import Principal, Role, TokenAuthority
from services.kernel.clock import BEIJING
from services.kernel.migrations import upgrade
from services.region.adapters.seed import seed_region

KEY = "bench-jwt-key-0123456789abcdef0123456789"
FACE_KEY = "bench-face-key-0123456789abcdef0123456789"
TRANSFERS = int(os.environ.get("BENCH_TRANSFERS", "1000"))
CONCURRENCY = int(os.environ.get("BENCH_CONCURRENCY", "64"))
GOAL_RATE, GOAL_P99_MS, GOAL_BURST, GOAL_BURST_SECONDS = 1000, 100, 100_000, 60


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def databases(server_url: str) -> dict[str, str]:
    suffix = uuid.uuid4().hex[:8]
    urls = {}
    with psycopg.connect(server_url, autocommit=True) as conn:
        for name in ("region", "account", "transfer"):
            conn.execute(f'CREATE DATABASE "bench_{name}_{suffix}"')
            urls[name] = (
                make_url(server_url)
                .set(database=f"bench_{name}_{suffix}")
                .render_as_string(hide_password=False)
            )
    return urls


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
    return (
        (
            "authorization",
            f"Bearer {TokenAuthority('HS256', KEY, KEY).mint(principal, clock.now(), timedelta(days=2))}",
        ),
    )


async def make_pairs(account, clock: Clock, n: int) -> list[tuple[str, str, str]]:
    """n (payer id, payee name, payee ID number) pairs, ready to transfer."""
    gx, bj = token(clock, Role.PROVINCE, province="450000"), token(clock, Role.PROVINCE, province="110000")
    gate = asyncio.Semaphore(32)

    async def register(number: str, name: str, kind: int, region: str, metadata):
        request = apb.RegisterPersonRequest(
            id_number=number, name=name, insurance_type=kind, insured_region=region
        )
        return (await account.RegisterPerson(request, metadata=metadata)).person

    async def pair(i: int):
        async with gate:
            payer_no = f"4501021990{(i // 28000) % 12 + 1:02d}{(i // 1000) % 28 + 1:02d}{i % 1000:03d}"
            payee_no = f"1101011960{(i // 28000) % 12 + 1:02d}{(i // 1000) % 28 + 1:02d}{i % 1000:03d}"
            payer_no, payee_no = payer_no + check_digit(payer_no), payee_no + check_digit(payee_no)
            payer = await register(payer_no, "付款人", apb.INSURANCE_TYPE_EMPLOYEE, "450102", gx)
            payee = await register(payee_no, "收款人", apb.INSURANCE_TYPE_RESIDENT, "110101", bj)
            await account.FundPersonalAccount(
                apb.FundPersonalAccountRequest(
                    person_id=payer.id, amount_fen=1_000_000, reference=f"b-{payer.id}"
                ),
                metadata=gx,
            )
            for person, place in ((payer, "450102"), (payee, "110101")):
                await account.OpenWallet(
                    apb.OpenWalletRequest(person_id=person.id, place_of_use=place, mobile="13800138000"),
                    metadata=token(clock, Role.CITIZEN, person_id=person.id),
                )
            await account.AttestRelation(
                apb.AttestRelationRequest(
                    person_id=payer.id, relative_id=payee.id, kind=apb.RELATION_KIND_PARENT
                ),
                metadata=gx,
            )
            return payer.id, "收款人", payee_no

    return await asyncio.gather(*(pair(i) for i in range(n)))


async def run_submits(transfers, clock: Clock, pairs) -> tuple[float, list[float], list[str]]:
    latencies: list[float] = []
    ids: list[str] = []
    queue = list(pairs)
    tokens = {payer: token(clock, Role.CITIZEN, person_id=payer) for payer, _, _ in pairs}
    tickets = {
        payer: mint_face_ticket(FACE_KEY, payer, Purpose.TRANSFER, uuid.uuid4().hex, clock.now())
        for payer, _, _ in pairs
    }

    async def client():
        while queue:
            payer, name, number = queue.pop()
            request = pb.SubmitTransferRequest(
                payer_id=payer,
                source=pb.TRANSFER_SOURCE_PERSONAL_ACCOUNT,
                payee_name=name,
                payee_id_number=number,
                relation=pb.RELATION_PARENT,
                amount_fen=10_000,
                verification=verification_pb2.Verification(face_ticket=tickets[payer]),
                request_id=str(uuid.uuid4()),
            )
            started = time.perf_counter()
            response = await transfers.SubmitTransfer(request, metadata=tokens[payer], timeout=30)
            latencies.append(time.perf_counter() - started)
            ids.append(response.transfer.id)

    started = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(CONCURRENCY)))
    return time.perf_counter() - started, latencies, ids


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
    clock = Clock(
        workdir / "now",
        datetime.combine(
            datetime.now(BEIJING).date(), datetime.min.time().replace(hour=10), tzinfo=BEIJING
        ).astimezone(UTC),
    )
    urls = databases(server)
    for name, url in urls.items():
        upgrade(name, url)
    await seed_region(urls["region"], clock, demo=True)

    ports = {name: free_port() for name in urls}
    env = {
        **os.environ,
        "YIBAO_JWT_SIGNING_KEY": KEY,
        "YIBAO_FACE_TICKET_KEY": FACE_KEY,
        "YIBAO_CLOCK_FILE": str(clock.path),
        "YIBAO_LOG_LEVEL": "WARNING",
        "YIBAO_TRANSFER_WORKER_INTERVAL_SECONDS": "0.2",
    }
    for name in urls:
        env |= {
            f"YIBAO_{name.upper()}_DATABASE_URL": urls[name],
            f"YIBAO_{name.upper()}_LISTEN": f"127.0.0.1:{ports[name]}",
            f"YIBAO_{name.upper()}_TARGET": f"127.0.0.1:{ports[name]}",
            f"YIBAO_{name.upper()}_METRICS_PORT": "0",
        }
    processes = [
        subprocess.Popen([sys.executable, "-m", "services.cli.main", "serve", name], env=env)
        for name in ("region", "account", "transfer")
    ]
    try:
        for name in urls:
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

            elapsed, latencies, ids = await run_submits(transfers, clock, pairs)
            rate = len(ids) / elapsed
            q = statistics.quantiles(latencies, n=100)
            p50, p99 = q[49] * 1000, q[98] * 1000
            print(
                f"submit: {len(ids)} transfers in {elapsed:.1f} s = {rate:.0f}/s (goal {GOAL_RATE}/s: {rate / GOAL_RATE:.2f}x); "
                f"p50 {p50:.0f} ms, p99 {p99:.0f} ms (goal {GOAL_P99_MS} ms: {GOAL_P99_MS / p99:.2f}x); {CONCURRENCY} clients"
            )

            # 06:00: everything pending falls due at once.
            transfer_db = psycopg.connect(
                make_url(urls["transfer"]).set(drivername="postgresql").render_as_string(hide_password=False),
                autocommit=True,
            )
            clock.set(clock.now() + timedelta(days=1))
            started = time.perf_counter()
            while transfer_db.execute("SELECT count(*) FROM transfers WHERE status <> 'refunded'").fetchone()[
                0
            ]:
                await asyncio.sleep(0.1)
            burst = time.perf_counter() - started
            refund_rate = len(ids) / burst
            projected = GOAL_BURST / refund_rate
            print(
                f"06:00 burst: {len(ids)} refunds in {burst:.1f} s = {refund_rate:.0f}/s; {GOAL_BURST:,} would take {projected:.0f} s "
                f"(goal {GOAL_BURST_SECONDS} s: {GOAL_BURST_SECONDS / projected:.2f}x)"
            )
            transfer_db.close()
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(timeout=30)
        if container is not None:
            container.stop()


if __name__ == "__main__":
    asyncio.run(main())
