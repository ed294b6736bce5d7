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
import subprocess
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from yibao.account.v1 import account_pb2 as apb
from yibao.account.v1 import account_pb2_grpc
from yibao.transfer.v1 import transfer_pb2 as pb
from yibao.transfer.v1 import transfer_pb2_grpc
from yibao.type.v1 import relation_pb2, verification_pb2

from bench.bulk import load_due_transfers
from bench.cluster import (
    FACE_KEY,
    SERVICES,
    TLS,
    TRACING,
    Clock,
    beijing_ten_today,
    check_ledger,
    counters,
    cpu_seconds,
    databases,
    drive,
    drop_databases,
    postgres_server,
    rate,
    rss_mb,
    services,
    token,
    wait_refunded,
)
from services.account.domain.credentials import Purpose, mint_face_ticket
from services.account.domain.identity import check_digit
from services.kernel.auth import Role
from services.kernel.clock import beijing_month

TRANSFERS = int(os.environ.get("BENCH_TRANSFERS", "1000"))
CONCURRENCY = int(os.environ.get("BENCH_CONCURRENCY", "64"))
BURST = int(os.environ.get("BENCH_BURST", "100000"))
BURST_TIMEOUT = float(os.environ.get("BENCH_BURST_TIMEOUT", "240"))
RESULT = Path(".bench/result.json")

# (figure, goal of this issue, moonshot, higher is better)
GOALS = {
    "submit_tps": (300, 1000, True),
    "submit_p99_ms": (250, 100, False),
    "receive_tps": (300, 1000, True),
    "refund_seconds": (60, 60, False),
}
RSS_GOAL_MB = 150


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


async def measure(server: str) -> dict:
    """The run on databases of its own, dropped at the end (they hold 100,000 transfers)."""
    urls = databases(server, (*SERVICES, "pgbench"))
    try:
        return await _measure(dict(urls))
    finally:
        drop_databases(server, urls)


async def _measure(urls: dict[str, str]) -> dict:
    workdir = Path(tempfile.mkdtemp(prefix="yibao-bench-"))
    clock = Clock(workdir / "now", beijing_ten_today())
    result: dict = {"clients": CONCURRENCY, "transfers": TRANSFERS, "tls": TLS, "tracing": TRACING}
    print("mutual TLS on every port" if TLS else "plaintext (BENCH_TLS=off)")
    print(
        "tracing on: OTLP to a stand-in collector"
        if TRACING
        else "tracing off (BENCH_TRACING=on turns it on)"
    )
    result["pgbench_tps"] = pgbench(urls.pop("pgbench"))
    print(f"pgbench TPC-B: {result['pgbench_tps']} tps")
    async with services(urls, clock) as cluster:
        processes, metrics = cluster.processes, cluster.metrics
        async with (
            cluster.channel("account") as a,
            cluster.channel("transfer") as t,
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
            seconds, latencies, submitted = await drive(pairs, submit, CONCURRENCY)
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

            seconds, latencies, received = await drive(submitted[: len(submitted) // 2], receive, CONCURRENCY)
            figures = rate(len(received), seconds, latencies)
            result |= {"receive_tps": figures["tps"], "receive_p99_ms": figures["p99_ms"]}
            print(f"receive: {len(received)} in {seconds:.1f} s = {figures}")

        # 3. the 06:00 burst: the rest of the submitted ones plus the bulk-loaded ones
        expires = datetime.fromtimestamp(submitted[0].expire_time.seconds, UTC)
        started = time.perf_counter()
        load_due_transfers(urls["account"], urls["transfer"], BURST, clock.now(), expires)
        print(f"bulk loader: {BURST} pending transfers in {time.perf_counter() - started:.1f} s")
        due = BURST + len(submitted) - len(received)
        clock.set(expires + timedelta(seconds=1))
        left, seconds = await wait_refunded(urls["transfer"], BURST_TIMEOUT)
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
    return result


async def main() -> None:
    with postgres_server() as server:
        result = await measure(server)
    RESULT.parent.mkdir(exist_ok=True)
    RESULT.write_text(json.dumps(result, indent=2))
    report(result)
    print(f"written to {RESULT}")


if __name__ == "__main__":
    asyncio.run(main())
