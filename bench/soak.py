"""Sustained load (make soak): a constant arrival rate held for minutes,
measured open-loop.

On a PostgreSQL server (YIBAO_BENCH_POSTGRES_URL, else a container) it
starts the three services as processes (as make bench does) with the clock
at 10:00 Beijing, so the transfer window stays open, enables SOAK_COUNTIES
county-level regions spread over the 31 mainland provinces through the
region service's admin RPC, and bulk-loads payer/payee pairs across them
(bench/bulk.py), one pair per submission. Then:

  1. peak: a short closed-loop burst, 64 clients, SOAK_BURST transfers each
     submitted and half of them received, a tenth declined right after;
     requests answered per second is the peak (skipped when SOAK_RATE is
     given);
  2. sustained: SOAK_RATE requests per second (default 80 % of the peak) for
     SOAK_SECONDS (300), each due at its instant on the schedule and timed
     from it (bench/open_loop.py). A request is a submission, or, once its
     SOAK_FOLLOW_DELAY (1 s) has passed, the receipt (half) or the decline
     (a tenth) of an earlier accepted one. Of the submissions 2 % come from
     impatient clients (50 ms deadlines: DEADLINE_EXCEEDED expected) and 1 %
     are garbage (undecodable bytes or invalid fields: INVALID_ARGUMENT
     expected); all others are patient (30 s);
  3. the clock moves past 06:00, every pending transfer is refunded, and the
     ledger is checked.

Writes .bench/sustained.json, prints a table, and exits non-zero (a FAIL
line) when a patient client saw an error or the ledger does not balance.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import sys
import tempfile
import time
import uuid
from collections import Counter, deque
from datetime import UTC, datetime, timedelta
from pathlib import Path

import grpc
import psycopg
from yibao.region.v1 import region_pb2, region_pb2_grpc
from yibao.transfer.v1 import transfer_pb2 as pb
from yibao.transfer.v1 import transfer_pb2_grpc
from yibao.type.v1 import relation_pb2, verification_pb2

from bench.bulk import Pair, load_pairs
from bench.cluster import (
    FACE_KEY,
    ID_HASH_KEY,
    SERVICES,
    Clock,
    Cluster,
    beijing_ten_today,
    check_ledger,
    databases,
    drive,
    drop_databases,
    postgres_server,
    services,
    token,
    wait_refunded,
)
from bench.open_loop import OpenLoop, Schedule
from services.account.domain.credentials import Purpose, mint_face_ticket
from services.kernel.auth import Role
from services.kernel.grpc_errors import error_details
from services.region.adapters.seed import read_divisions

SECONDS = float(os.environ.get("SOAK_SECONDS", "300"))
RATE = float(os.environ["SOAK_RATE"]) if os.environ.get("SOAK_RATE") else None
BURST = int(os.environ.get("SOAK_BURST", "1000"))
COUNTIES_PER_PROVINCE = 10  # 310 county-level regions
MAX_IN_FLIGHT = int(os.environ.get("SOAK_MAX_IN_FLIGHT", "2000"))
FOLLOW_DELAY = float(os.environ.get("SOAK_FOLLOW_DELAY", "1.0"))
REFUND_TIMEOUT = float(os.environ.get("SOAK_REFUND_TIMEOUT", "120"))
SEED = int(os.environ.get("SOAK_SEED", "16"))
CONCURRENCY = 64  # closed-loop clients of the peak burst
PEAK_SHARE = 0.8
PATIENT, IMPATIENT = 30.0, 0.05  # deadlines, seconds
IMPATIENT_SHARE, GARBAGE_SHARE = 0.02, 0.01
RECEIVE_SHARE, DECLINE_SHARE = 0.5, 0.1
AMOUNT = 10_000
NOT_MAINLAND = {"71", "81", "82"}  # 台湾, 香港, 澳门: province codes the transfer rules leave out
SUBMIT_METHOD = "/yibao.transfer.v1.TransferService/SubmitTransfer"
UNDECODABLE = b"\xff\xff\xff\xff\xff\xff"  # field 31 with wire type 7: no protobuf decodes it
RESULT = Path(".bench/sustained.json")


def soak_counties() -> list[str]:
    """COUNTIES_PER_PROVINCE county-level regions of each mainland province,
    spread over its list, grouped by province in code order."""
    counties: dict[str, list[str]] = {}
    for row in read_divisions():
        if row["level"] == 3:
            counties.setdefault(row["code"][:2], []).append(row["code"])
    chosen = []
    for province in sorted(counties):
        if province in NOT_MAINLAND:
            continue
        codes = sorted(counties[province])
        step = len(codes) / COUNTIES_PER_PROVINCE
        chosen += [codes[int(j * step)] for j in range(COUNTIES_PER_PROVINCE)]
    return chosen


async def enable(cluster: Cluster, clock: Clock, codes: list[str]) -> None:
    """The wallet enabled in every one of ``codes``, as an administrator would."""
    admin, gate = token(clock, Role.ADMIN), asyncio.Semaphore(16)
    async with cluster.channel("region") as channel:
        regions = region_pb2_grpc.RegionServiceStub(channel)

        async def one(code: str) -> None:
            async with gate:
                request = region_pb2.SetRegionEnablementRequest(
                    code=code,
                    action=region_pb2.ENABLEMENT_ACTION_ENABLE,
                    reason="持续负载测试开通",
                    request_id=str(uuid.uuid4()),
                )
                await regions.SetRegionEnablement(request, metadata=admin, timeout=PATIENT)

        await asyncio.gather(*(one(code) for code in codes))


def outcome(error: grpc.RpcError | None) -> tuple[str, str]:
    """(status code, AIP-193 reason) of an answer; ("OK", "") for a success."""
    if error is None:
        return "OK", ""
    details = error_details(error) if error.code() != grpc.StatusCode.DEADLINE_EXCEEDED else None
    return error.code().name, details.reason if details else ""


class Traffic:
    """The requests of the sustained phase: ``await traffic(k)`` sends the
    k-th and returns (client, operation, code, reason)."""

    def __init__(self, channel: grpc.aio.Channel, clock: Clock, pairs: list[Pair], seed: int) -> None:
        self._transfers = transfer_pb2_grpc.TransferServiceStub(channel)
        self._raw = channel.unary_unary(SUBMIT_METHOD)  # bytes in, bytes out
        self._clock, self._pairs, self._next = clock, pairs, 0
        self._random = random.Random(seed)
        self._due: deque[tuple[float, str, str, str]] = deque()  # (when, operation, transfer id, payee id)
        self._garbage = 0

    def left_over(self) -> int:
        """Receipts and declines that were still to come when the run ended."""
        return len(self._due)

    async def __call__(self, k: int) -> tuple[str, str, str, str]:
        if self._due and self._due[0][0] <= time.perf_counter():
            _, operation, transfer_id, payee_id = self._due.popleft()
            return ("patient", operation, *await self._follow(operation, transfer_id, payee_id))
        draw = self._random.random()
        if draw < GARBAGE_SHARE:
            return ("garbage", "submit", *await self._garbage_submit())
        if self._next >= len(self._pairs):
            return "patient", "submit", "NO_PAIR_LEFT", "bench ran out of pairs"
        pair, self._next = self._pairs[self._next], self._next + 1
        if draw < GARBAGE_SHARE + IMPATIENT_SHARE:
            return ("impatient", "submit", *(await self.submit(pair, IMPATIENT))[:2])
        code, reason, transfer = await self.submit(pair, PATIENT)
        if transfer is not None:
            follow = self._random.random()
            if follow < RECEIVE_SHARE + DECLINE_SHARE:
                operation = "receive" if follow < RECEIVE_SHARE else "decline"
                self._due.append((time.perf_counter() + FOLLOW_DELAY, operation, transfer.id, pair.payee_id))
        return "patient", "submit", code, reason

    def _request(self, pair: Pair) -> pb.SubmitTransferRequest:
        ticket = mint_face_ticket(
            FACE_KEY, pair.payer_id, Purpose.TRANSFER, uuid.uuid4().hex, self._clock.now()
        )
        return pb.SubmitTransferRequest(
            payer_id=pair.payer_id,
            source=pb.TRANSFER_SOURCE_PERSONAL_ACCOUNT,
            payee_name=pair.payee_name,
            payee_id_number=pair.payee_id_number,
            relation=relation_pb2.RELATION_KIND_PARENT,
            amount_fen=AMOUNT,
            request_id=str(uuid.uuid4()),
            verification=verification_pb2.Verification(face_ticket=ticket),
        )

    async def submit(self, pair: Pair, deadline: float):
        """(code, reason, the transfer or None)."""
        metadata = token(self._clock, Role.CITIZEN, person_id=pair.payer_id)
        try:
            answer = await self._transfers.SubmitTransfer(
                self._request(pair), metadata=metadata, timeout=deadline
            )
        except grpc.aio.AioRpcError as error:
            return (*outcome(error), None)
        return "OK", "", answer.transfer

    async def _follow(self, operation: str, transfer_id: str, payee_id: str) -> tuple[str, str]:
        metadata = token(self._clock, Role.CITIZEN, person_id=payee_id)
        try:
            if operation == "receive":
                request = pb.ReceiveTransferRequest(id=transfer_id)
                await self._transfers.ReceiveTransfer(request, metadata=metadata, timeout=PATIENT)
            else:
                request = pb.DeclineTransferRequest(id=transfer_id)
                await self._transfers.DeclineTransfer(request, metadata=metadata, timeout=PATIENT)
        except grpc.aio.AioRpcError as error:
            return outcome(error)
        return outcome(None)

    async def _garbage_submit(self) -> tuple[str, str]:
        """Undecodable bytes, a control character in a name, or an ID number
        longer than its bound, in turn; from a real payer with a valid token."""
        pair, kind = self._pairs[0], self._garbage % 3
        self._garbage += 1
        metadata = token(self._clock, Role.CITIZEN, person_id=pair.payer_id)
        request = self._request(pair)
        if kind == 1:
            request.payee_name = "收款人\n"
        elif kind == 2:
            request.payee_id_number += "0"
        try:
            if kind == 0:
                await self._raw(UNDECODABLE, metadata=metadata, timeout=PATIENT)
            else:
                await self._transfers.SubmitTransfer(request, metadata=metadata, timeout=PATIENT)
        except grpc.aio.AioRpcError as error:
            return outcome(error)
        return outcome(None)


async def peak(channel: grpc.aio.Channel, clock: Clock, pairs: list[Pair]) -> dict:
    """Closed loop, CONCURRENCY clients: each transfer submitted, then half of
    them received and a tenth declined at once; requests answered per second."""
    traffic = Traffic(channel, clock, pairs, SEED)
    transfers = transfer_pb2_grpc.TransferServiceStub(channel)
    draws = random.Random(SEED)
    errors: Counter[str] = Counter()

    async def job(pair: Pair) -> int:
        code, reason, transfer = await traffic.submit(pair, PATIENT)
        if transfer is None:
            errors[f"submit {code} {reason}"] += 1
            return 1
        follow = draws.random()
        if follow >= RECEIVE_SHARE + DECLINE_SHARE:
            return 1
        metadata = token(clock, Role.CITIZEN, person_id=pair.payee_id)
        try:
            if follow < RECEIVE_SHARE:
                await transfers.ReceiveTransfer(pb.ReceiveTransferRequest(id=transfer.id), metadata=metadata)
            else:
                await transfers.DeclineTransfer(pb.DeclineTransferRequest(id=transfer.id), metadata=metadata)
        except grpc.aio.AioRpcError as error:
            errors["follow-up {} {}".format(*outcome(error))] += 1
        return 2

    seconds, _, answered = await drive(pairs, job, CONCURRENCY)
    return {
        "requests": sum(answered),
        "seconds": round(seconds, 2),
        "rps": round(sum(answered) / seconds, 1),
        "submit_tps": round(len(pairs) / seconds, 1),
        "errors": dict(errors),
    }


def quantiles(values: list[float]) -> dict:
    """p50, p99 and p99.9 in milliseconds (nearest rank)."""
    if not values:
        return {"count": 0}
    ordered = sorted(values)

    def at(q: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000, 1)

    return {"count": len(ordered), "p50_ms": at(0.5), "p99_ms": at(0.99), "p999_ms": at(0.999)}


def figures(schedule: Schedule, seconds: float) -> dict:
    done = schedule.done
    per_second = Counter(int(d.answered) for d in done)
    last = max(per_second, default=-1)
    by_client: dict[str, Counter] = {"patient": Counter(), "impatient": Counter(), "garbage": Counter()}
    latencies: dict[str, list[float]] = {"submit": [], "receive": [], "decline": []}
    for d in done:
        client, operation, code, reason = d.result
        if client == "patient":
            latencies[operation].append(d.latency)
            if code != "OK":
                by_client[client][f"{operation} {code} {reason}".strip()] += 1
        else:
            by_client[client][f"{code} {reason}".strip()] += 1
    operations = Counter(f"{d.result[0]} {d.result[1]}" for d in done)
    return {
        "seconds": seconds,
        "offered_rps": round(schedule.offered / seconds, 1),
        "achieved_rps": round(len(done) / schedule.seconds, 1),
        "offered": schedule.offered,
        "answered": len(done),
        "dropped_at_cap": schedule.dropped,
        "sent_late": schedule.late,
        "max_send_lag_ms": round(schedule.max_lag * 1000, 1),
        "requests": dict(sorted(operations.items())),
        "per_second": [per_second.get(s, 0) for s in range(last + 1)],
        "latency_from_intended": {
            "patient_submit": quantiles(latencies["submit"]),
            "receive": quantiles(latencies["receive"]),
            "decline": quantiles(latencies["decline"]),
        },
        "patient_errors": dict(by_client["patient"]),
        "impatient": dict(by_client["impatient"]),
        "garbage": dict(by_client["garbage"]),
    }


def statuses(transfer_url: str) -> dict[str, int]:
    with psycopg.connect(transfer_url) as conn:
        rows = conn.execute(
            "SELECT status, count(*) FROM transfers GROUP BY status ORDER BY status"
        ).fetchall()
    return dict(rows)


async def measure(server: str) -> dict:
    workdir = Path(tempfile.mkdtemp(prefix="yibao-soak-"))
    clock = Clock(workdir / "now", beijing_ten_today())
    urls = databases(server, SERVICES)
    try:
        return await soak(urls, clock)
    finally:
        drop_databases(server, urls)


async def soak(urls: dict[str, str], clock: Clock) -> dict:
    result: dict = {}
    started = time.perf_counter()
    async with services(urls, clock, demo=False) as cluster:
        print(f"services: up in {time.perf_counter() - started:.1f} s")
        rss_ready = cluster.rss_mb()
        counties = soak_counties()
        started = time.perf_counter()
        await enable(cluster, clock, counties)
        provinces = len({c[:2] for c in counties})
        print(
            f"regions: {len(counties)} counties in {provinces} provinces enabled in {time.perf_counter() - started:.1f} s"
        )
        result["regions"] = {"counties": len(counties), "provinces": provinces}

        def load(first: int, count: int) -> list[Pair]:
            started = time.perf_counter()
            pairs = load_pairs(urls["account"], counties, first, count, clock.now(), ID_HASH_KEY)
            print(f"bulk loader: {count} payer/payee pairs in {time.perf_counter() - started:.1f} s")
            return pairs

        async with cluster.channel("transfer") as channel:
            rate = RATE
            if rate is None:
                result["peak"] = await peak(channel, clock, load(0, BURST))
                rate = round(PEAK_SHARE * result["peak"]["rps"], 1)
                print(f"peak (closed loop, {CONCURRENCY} clients): {result['peak']}; sustained rate {rate}/s")
            first = BURST if "peak" in result else 0
            traffic = Traffic(channel, clock, load(first, int(rate * SECONDS) + 1), SEED)
            rss_start = cluster.rss_mb()
            loop = OpenLoop(rate, SECONDS, traffic, max_in_flight=MAX_IN_FLIGHT)
            print(f"sustained: {rate}/s for {SECONDS:g} s ...")
            schedule = await loop.run()
            result |= figures(schedule, SECONDS)
            result["follow_ups_not_sent"] = traffic.left_over()
            result["rss_mb"] = {"ready": rss_ready, "start": rss_start, "end": cluster.rss_mb()}

        result["transfers_after_load"] = statuses(urls["transfer"])
        # 06:00: whatever is still pending is refunded, then the ledger must balance.
        with psycopg.connect(urls["transfer"]) as conn:
            expires = conn.execute("SELECT max(expires_at) FROM transfers").fetchone()[0]
        if expires is not None:
            clock.set(expires + timedelta(seconds=1))
        left, seconds = await wait_refunded(urls["transfer"], REFUND_TIMEOUT)
        pending = result["transfers_after_load"].get("pending", 0)
        result["refund"] = {"pending": pending, "left": left, "seconds": round(seconds, 1)}
        print(f"06:00: {pending - (left or 0)} of {pending} pending transfers refunded in {seconds:.1f} s")
        result["transfers_final"] = statuses(urls["transfer"])
        try:
            check_ledger(urls["account"], urls["transfer"])
            result["ledger_balances"] = True
        except AssertionError:
            result["ledger_balances"] = False
    return result


def report(result: dict) -> list[str]:
    """Prints the table; returns the reasons to fail."""
    lat = result["latency_from_intended"]
    print(f"\n{'sustained':<34}{'value':>14}")
    rows = [
        ("offered rate (req/s)", result["offered_rps"]),
        ("achieved rate (req/s)", result["achieved_rps"]),
        ("answered / offered", f"{result['answered']}/{result['offered']}"),
        ("dropped at the cap / sent late", f"{result['dropped_at_cap']}/{result['sent_late']}"),
        ("max send lag (ms)", result["max_send_lag_ms"]),
    ]
    for name in ("patient_submit", "receive", "decline"):
        q = lat[name]
        if q["count"]:
            rows.append((f"{name} p50/p99/p99.9 (ms)", f"{q['p50_ms']}/{q['p99_ms']}/{q['p999_ms']}"))
    series = result["per_second"]
    if series:
        rows.append(
            ("answers/s min/median/max", f"{min(series)}/{sorted(series)[len(series) // 2]}/{max(series)}")
        )
    rows.append(("patient errors", sum(result["patient_errors"].values())))
    for client in ("impatient", "garbage"):
        rows.append((f"{client} outcomes", ", ".join(f"{k} {v}" for k, v in result[client].items()) or "-"))
    for service in SERVICES:
        rss = result["rss_mb"]
        rows.append((f"rss_mb {service} start/end", f"{rss['start'][service]}/{rss['end'][service]}"))
    rows.append(
        ("transfers after load", ", ".join(f"{k} {v}" for k, v in result["transfers_after_load"].items()))
    )
    rows.append(("transfers final", ", ".join(f"{k} {v}" for k, v in result["transfers_final"].items())))
    for name, value in rows:
        print(f"{name:<34}{value!s:>14}")
    failures = [f"patient {k}: {v}" for k, v in result["patient_errors"].items()]
    if result["refund"]["left"]:
        failures.append(f"{result['refund']['left']} transfers not refunded after {REFUND_TIMEOUT:g} s")
    elif not result["ledger_balances"]:
        failures.append("the ledger does not balance")
    if result["dropped_at_cap"]:
        print(f"WARN: {result['dropped_at_cap']} requests not sent: {MAX_IN_FLIGHT} were outstanding")
    unexpected = {
        k: v for k, v in result["impatient"].items() if not k.startswith(("OK", "DEADLINE_EXCEEDED"))
    }
    unexpected |= {k: v for k, v in result["garbage"].items() if not k.startswith("INVALID_ARGUMENT")}
    if unexpected:
        print(f"WARN: impatient or garbage clients answered otherwise than expected: {unexpected}")
    return failures


async def main() -> int:
    with postgres_server() as server:
        result = await measure(server)
    result["at"] = datetime.now(UTC).isoformat(timespec="seconds")
    RESULT.parent.mkdir(exist_ok=True)
    RESULT.write_text(json.dumps(result, indent=2, ensure_ascii=False))
    failures = report(result)
    print(f"written to {RESULT}")
    if failures:
        print("FAIL: " + "; ".join(failures))
        return 1
    print("PASS: no patient client saw an error; the ledger balances")
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
