"""make chaos: a Jepsen-style bank test of the whole suite under failures.

The story of a run. Everything is on loopback and bounded in time, and every
process the run starts is stopped by its PID at the end, on a failure or
Ctrl-C too.

1. PostgreSQL: a three-node Patroni cluster (bench/patroni.py) under
   .chaos/pg, or, with CHAOS_POSTGRES=local, the server on 127.0.0.1:5432
   (then without the database nemeses). The three service databases on it,
   migrated, with the division list seeded.
2. Two replicas of each service as processes, each on ports of its own;
   every process, and every client, reaches a service through a target
   naming both its replicas (gRPC round robin). The services read the time
   from a clock file: 10:00 Beijing, standing still until the run moves it.
3. A small country: one county in each of eight provinces enabled, a
   hospital in each, payer/payee pairs bulk-loaded (bench/bulk.py): each
   payer transfers once, so no daily limit is hit.
4. The workload, an open loop (bench/open_loop.py) at CHAOS_RATE requests a
   second for CHAOS_SECONDS: provincial platforms fund personal accounts,
   payers submit transfers, payees receive or decline them, hospitals
   charge wallets; and a read of the bank total every second. Each
   operation carries a request id and goes into .chaos/history.jsonl as an
   invoke, then ok (acknowledged), fail (definitely not done) or info
   (unknown: no answer, UNAVAILABLE, DEADLINE_EXCEEDED...). An unknown one is
   retried with the same request id until it resolves.
5. Nemeses on a schedule, into the same history: SIGKILL of one replica of a
   service (restarted seconds later); SIGKILL of the PostgreSQL primary
   (failover, the node back later); the whole database cluster killed and
   restarted (long form); and the 06:00 refund sweep through a failover: the
   clock moves to 06:00 the next day as the primary is killed.
6. The last part of the workload runs without faults (the "after"). Then
   every unknown outcome is resolved, the clock moves past the next 06:00 so
   every transfer still pending is refunded, and the bank is read once more.
7. bench/chaos_check.py checks the history against the databases and writes
   .chaos/result.json; a table is printed; the exit status is its verdict.

    CHAOS_SECONDS=300 CHAOS_RATE=40 CHAOS_POSTGRES=patroni|local python -m bench.chaos
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
import uuid
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

import grpc
import psycopg
from yibao.account.v1 import account_pb2, account_pb2_grpc
from yibao.region.v1 import region_pb2, region_pb2_grpc
from yibao.transfer.v1 import transfer_pb2, transfer_pb2_grpc
from yibao.type.v1 import relation_pb2, verification_pb2

from bench import chaos_check
from bench.bulk import Pair, load_pairs
from bench.cluster import (
    FACE_KEY,
    ID_HASH_KEY,
    SERVICES,
    Clock,
    Cluster,
    beijing_ten_today,
    free_port,
    process_env,
    token,
)
from bench.open_loop import OpenLoop
from bench.soak import enable
from services.account.domain.credentials import Purpose, mint_face_ticket
from services.kernel.auth import Role
from services.kernel.calls import channel
from services.kernel.clock import BEIJING, beijing_month
from services.kernel.grpc_errors import error_details
from services.kernel.migrations import upgrade
from services.kernel.tls import TlsFiles, aio_channel, secure_env, write_dev_pki
from services.region.adapters.seed import read_divisions, seed_region

SECONDS = float(os.environ.get("CHAOS_SECONDS", "300"))
RATE = float(os.environ.get("CHAOS_RATE", "40"))
POSTGRES = os.environ.get("CHAOS_POSTGRES", "patroni")  # or "local"
SEED = int(os.environ.get("CHAOS_SEED", "7"))
OUT = Path(os.environ.get("CHAOS_DIR", ".chaos"))
LOCAL_SERVER = "postgresql://postgres@127.0.0.1:5432/postgres"
REPLICAS = 2
DEADLINE = 8.0  # seconds a client waits for an answer; then the outcome is unknown
READ_EVERY = 1.0
RESOLVE_TIMEOUT = 120.0  # after the workload, for the unknown outcomes to resolve
FINAL_TIMEOUT = 90.0  # for every transfer to be final once the clock is past 06:00
PROVINCES = ("11", "31", "32", "37", "44", "45", "51", "61")  # one county of each
AMOUNT, FUNDING, CHARGE = 10_000, 5_000, 3_000  # fen: a transfer, a funding, a charge
SHARES = {"fund": 0.25, "charge": 0.30}  # of the new operations; the rest are submissions
RECEIVE_SHARE, DECLINE_SHARE = 0.6, 0.15  # of the acknowledged submissions; the rest expire
DOOMED_SHARE = 0.04  # fundings of a resident, charges of an empty wallet: definite refusals
# Codes that leave the outcome unknown: the request may or may not have been carried out.
UNKNOWN = {
    grpc.StatusCode.UNAVAILABLE,
    grpc.StatusCode.DEADLINE_EXCEEDED,
    grpc.StatusCode.CANCELLED,
    grpc.StatusCode.UNKNOWN,
    grpc.StatusCode.INTERNAL,
    grpc.StatusCode.RESOURCE_EXHAUSTED,
    grpc.StatusCode.ABORTED,
}


class AtomicClock(Clock):
    """bench's Clock, but the file is replaced in one rename: six processes
    read it many times a second and must never see it half written."""

    def set(self, at: datetime) -> None:
        self.at = at
        partial = self.path.with_suffix(".partial")
        partial.write_text(at.isoformat())
        os.replace(partial, self.path)


def next_six(at: datetime) -> datetime:
    """Five seconds after the first 06:00 Beijing later than ``at`` (in UTC):
    every transfer made before it is due."""
    local = at.astimezone(BEIJING)
    six = local.replace(hour=6, minute=0, second=5, microsecond=0)
    if six <= local:
        six += timedelta(days=1)
    return six.astimezone(at.tzinfo)


# --- the history


class History:
    """The append-only record of the run, one JSON object a line, flushed as
    written so that a run killed half-way leaves what happened."""

    def __init__(self, path: Path) -> None:
        self._file = path.open("w", buffering=1)
        self._next = 0
        self._start = time.monotonic()

    def now(self) -> float:
        return round(time.monotonic() - self._start, 4)

    def _write(self, **event) -> None:
        self._file.write(json.dumps(event, ensure_ascii=False) + "\n")

    def invoke(self, process, f: str, value: dict, retry_of: int | None = None) -> int:
        op, self._next = self._next, self._next + 1
        extra = {} if retry_of is None else {"retry_of": retry_of}
        self._write(op=op, process=process, type="invoke", f=f, value=value, time=self.now(), **extra)
        return op

    def complete(self, op: int, process, type_: str, f: str, value: dict, error: str | None) -> None:
        self._write(op=op, process=process, type=type_, f=f, value=value, time=self.now(), error=error)

    def nemesis(self, f: str, **value) -> float:
        at = self.now()
        self._write(op=None, process="nemesis", type="info", f=f, value=value, time=at)
        return at

    def close(self) -> None:
        self._file.close()


def classify(error: grpc.aio.AioRpcError, retry: bool = False) -> tuple[str, str]:
    """(info | fail, "CODE REASON") of a refusal. A repeat refused before it
    was looked at (UNAUTHENTICATED: its token expired as the clock jumped to
    06:00) says nothing of the first attempt: still unknown, tried again."""
    details = error_details(error) if error.code() is not grpc.StatusCode.DEADLINE_EXCEEDED else None
    text = f"{error.code().name} {details.reason if details else ''}".strip()
    unknown = error.code() in UNKNOWN or (retry and error.code() is grpc.StatusCode.UNAUTHENTICATED)
    return ("info" if unknown else "fail"), text


# --- PostgreSQL


class LocalPostgres:
    """The server on 127.0.0.1:5432 (CHAOS_POSTGRES=local): no database nemeses."""

    def start(self) -> None:
        pass

    def stop(self) -> None:
        pass

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:5432/{database}?connect_timeout=2"


def postgres():
    if POSTGRES == "local":
        return LocalPostgres()
    from bench.patroni import PatroniCluster

    return PatroniCluster(OUT / "pg", nodes=3)


def create_databases(pg) -> dict[str, str]:
    """chaos_region, chaos_account, chaos_transfer, fresh (a local server keeps
    the last run's until the next one, so that the checker can be run again)."""
    with psycopg.connect(pg.url(), autocommit=True) as conn:
        for name in SERVICES:
            conn.execute(f"DROP DATABASE IF EXISTS chaos_{name} WITH (FORCE)")
            conn.execute(f"CREATE DATABASE chaos_{name}")
    return {name: pg.url(f"chaos_{name}") for name in SERVICES}


# --- the service replicas


@dataclass
class Replicas:
    """Two processes of each service, each on its own port and metrics port,
    started, killed and restarted by PID."""

    urls: dict[str, str]
    env: dict[str, str]
    logs: Path
    ports: dict[str, list[int]] = field(default_factory=dict)
    processes: dict[tuple[str, int], subprocess.Popen] = field(default_factory=dict)
    client_tls: TlsFiles | None = None

    def __post_init__(self) -> None:
        self.ports = {name: [free_port() for _ in range(REPLICAS)] for name in SERVICES}
        metrics = {(name, i): free_port() for name in SERVICES for i in range(REPLICAS)}
        self._metrics = metrics
        for name in SERVICES:
            upper = name.upper()
            self.env[f"YIBAO_{upper}_DATABASE_URL"] = self.urls[name]
            self.env[f"YIBAO_{upper}_TARGET"] = self.target(name)

    def target(self, name: str) -> str:
        """Every replica of a service: 127.0.0.1:p1,127.0.0.1:p2."""
        return ",".join(f"127.0.0.1:{port}" for port in self.ports[name])

    def start(self, name: str, i: int) -> int:
        upper = name.upper()
        env = self.env | {
            f"YIBAO_{upper}_LISTEN": f"127.0.0.1:{self.ports[name][i]}",
            f"YIBAO_{upper}_METRICS_PORT": str(self._metrics[name, i]),
        }
        with (self.logs / f"{name}-{i}.log").open("ab") as log:
            process = subprocess.Popen(
                [sys.executable, "-m", "services.cli.main", "serve", name],
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # Ctrl-C reaches the run, which stops them
            )
        self.processes[name, i] = process
        return process.pid

    def kill(self, name: str, i: int) -> int:
        process = self.processes[name, i]
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)
        return process.pid

    async def ready(self, name: str, i: int, timeout: float = 60) -> None:
        async with aio_channel(f"127.0.0.1:{self.ports[name][i]}", self.client_tls) as ch:
            await asyncio.wait_for(ch.channel_ready(), timeout)

    def stop_all(self) -> None:
        running = [p for p in self.processes.values() if p.poll() is None]
        for process in running:
            process.terminate()
        for process in running:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)


# --- the small country the workload runs in


@dataclass
class World:
    pairs: list[Pair]
    county: dict[str, str]  # person id -> insured county
    hospitals: dict[str, str]  # county -> the code of its hospital

    def province(self, person_id: str) -> str:
        return self.county[person_id][:2] + "0000"

    def hospital(self, person_id: str) -> str:
        return self.hospitals[self.county[person_id]]


def chosen_counties() -> list[str]:
    """The first county-level division of each of PROVINCES."""
    first: dict[str, str] = {}
    for row in read_divisions():
        if row["level"] == 3 and row["code"][:2] in PROVINCES:
            first[row["code"][:2]] = min(first.get(row["code"][:2], row["code"]), row["code"])
    return [first[p] for p in PROVINCES]


async def build_world(replicas: Replicas, clock: Clock, pairs: int) -> World:
    """Counties enabled and a hospital in each through the region service;
    the pairs bulk-loaded into the account database."""
    counties = chosen_counties()
    region = Cluster(
        replicas.urls, ports={"region": replicas.ports["region"][0]}, client_tls=replicas.client_tls
    )
    await enable(region, clock, counties)
    hospitals = {county: f"H{county}00001" for county in counties}
    async with region.channel("region") as ch:
        stub = region_pb2_grpc.RegionServiceStub(ch)
        for county, code in hospitals.items():
            institution = region_pb2.Institution(
                code=code, name=f"混沌测试医院{county}", region_code=county, accepts_wallet=True
            )
            await stub.CreateInstitution(
                region_pb2.CreateInstitutionRequest(institution=institution),
                metadata=token(clock, Role.ADMIN),
            )
    # bench/bulk.py puts a payee ten counties along (another province when
    # they come ten to a province): each county ten times over.
    loaded = load_pairs(
        replicas.urls["account"], [c for c in counties for _ in range(10)], 0, pairs, clock.now(), ID_HASH_KEY
    )
    with psycopg.connect(replicas.urls["account"]) as conn:
        county = dict(conn.execute("SELECT id, insured_region FROM persons").fetchall())
    return World(loaded, county, hospitals)


# --- the clients


class Bank:
    """The RPCs of the workload, each made from an operation's value alone
    (so that a retry is the same request), with a fresh token and face
    ticket each time, as a client retrying after a timeout would."""

    def __init__(self, channels: dict[str, grpc.aio.Channel], clock: Clock) -> None:
        self._account = account_pb2_grpc.AccountServiceStub(channels["account"])
        self._transfer = transfer_pb2_grpc.TransferServiceStub(channels["transfer"])
        self._clock = clock

    def _ticket(self, person_id: str, purpose: Purpose) -> verification_pb2.Verification:
        ticket = mint_face_ticket(FACE_KEY, person_id, purpose, uuid.uuid4().hex, self._clock.now())
        return verification_pb2.Verification(face_ticket=ticket)

    async def fund(self, v: dict) -> dict:
        request = account_pb2.FundPersonalAccountRequest(
            person_id=v["person_id"], amount_fen=v["amount"], reference=v["request_id"], period=v["period"]
        )
        metadata = token(self._clock, Role.PROVINCE, province=v["province"])
        answer = await self._account.FundPersonalAccount(request, metadata=metadata, timeout=DEADLINE)
        return {"entry_id": answer.entry_id}

    async def submit(self, v: dict) -> dict:
        request = transfer_pb2.SubmitTransferRequest(
            payer_id=v["payer_id"],
            source=transfer_pb2.TRANSFER_SOURCE_PERSONAL_ACCOUNT,
            payee_name=v["payee_name"],
            payee_id_number=v["payee_id_number"],
            relation=relation_pb2.RELATION_KIND_PARENT,
            amount_fen=v["amount"],
            request_id=v["request_id"],
            verification=self._ticket(v["payer_id"], Purpose.TRANSFER),
        )
        metadata = token(self._clock, Role.CITIZEN, person_id=v["payer_id"])
        answer = await self._transfer.SubmitTransfer(request, metadata=metadata, timeout=DEADLINE)
        return {
            "transfer_id": answer.transfer.id,
            "status": transfer_pb2.TransferStatus.Name(answer.transfer.status),
        }

    async def receive(self, v: dict) -> dict:
        metadata = token(self._clock, Role.CITIZEN, person_id=v["payee_id"])
        request = transfer_pb2.ReceiveTransferRequest(id=v["transfer_id"])
        await self._transfer.ReceiveTransfer(request, metadata=metadata, timeout=DEADLINE)
        return {}

    async def decline(self, v: dict) -> dict:
        metadata = token(self._clock, Role.CITIZEN, person_id=v["payee_id"])
        request = transfer_pb2.DeclineTransferRequest(id=v["transfer_id"])
        await self._transfer.DeclineTransfer(request, metadata=metadata, timeout=DEADLINE)
        return {}

    async def charge(self, v: dict) -> dict:
        request = account_pb2.ChargeWalletRequest(
            institution_code=v["institution"],
            order_number=v["request_id"],
            person_id=v["person_id"],
            amount_fen=v["amount"],
            verification=self._ticket(v["person_id"], Purpose.PAYMENT),
        )
        metadata = token(self._clock, Role.INSTITUTION, institution=v["institution"])
        await self._account.ChargeWallet(request, metadata=metadata, timeout=DEADLINE)
        return {}


class Workload:
    """Chooses the operations, performs and records them, and keeps what a
    client knows: the receipts and declines still to come, the money in the
    payees' wallets, the unknown outcomes still to resolve."""

    def __init__(self, bank: Bank, history: History, world: World, clock: Clock, account_url: str) -> None:
        self._bank, self._history, self._world, self._clock = bank, history, world, clock
        self._account_url = account_url
        self._random = random.Random(SEED)
        self._next_pair = 0
        self._spare = world.pairs[-50:]  # never transfer: their payees' wallets stay empty
        self._due: deque[tuple[float, str, dict]] = deque()  # receipts and declines to come
        self._wallets: dict[str, int] = {}  # payee -> fen left to charge
        self.unknown: dict[int, tuple[str, dict, float, int]] = {}  # op -> (f, value, retry at, attempts)
        self._retrying: set[int] = set()

    # choosing
    def choose(self) -> tuple[str, dict]:
        if self._due and self._due[0][0] <= time.monotonic():
            _, f, value = self._due.popleft()
            return f, value
        draw = self._random.random()
        if draw < SHARES["fund"]:
            return "fund", self._funding()
        if draw < SHARES["fund"] + SHARES["charge"] and self._wallets:
            return "charge", self._charge()
        if self._next_pair < len(self._world.pairs) - len(self._spare):
            return "submit", self._submission()
        return "fund", self._funding()

    def _funding(self) -> dict:
        pair = self._random.choice(self._world.pairs)
        doomed = self._random.random() < DOOMED_SHARE  # a resident has no personal account
        person = pair.payee_id if doomed else pair.payer_id
        return {
            "request_id": str(uuid.uuid4()),
            "person_id": person,
            "province": self._world.province(person),
            "amount": FUNDING,
            "period": beijing_month(self._clock.now()),
        }

    def _charge(self) -> dict:
        if self._random.random() < DOOMED_SHARE:  # an empty wallet
            person = self._random.choice(self._spare).payee_id
        else:
            person = self._random.choice(list(self._wallets))
            self._wallets[person] -= CHARGE
            if self._wallets[person] < CHARGE:
                del self._wallets[person]
        return {
            "request_id": str(uuid.uuid4()),
            "person_id": person,
            "institution": self._world.hospital(person),
            "amount": CHARGE,
        }

    def _submission(self) -> dict:
        pair, self._next_pair = self._world.pairs[self._next_pair], self._next_pair + 1
        return {
            "request_id": str(uuid.uuid4()),
            "payer_id": pair.payer_id,
            "payee_id": pair.payee_id,
            "payee_name": pair.payee_name,
            "payee_id_number": pair.payee_id_number,
            "amount": AMOUNT,
        }

    # performing
    async def __call__(self, k: int) -> str:
        f, value = self.choose()
        return await self.perform(f, value, process=k)

    async def perform(self, f: str, value: dict, process, retry_of: int | None = None) -> str:
        op = self._history.invoke(process, f, value, retry_of)
        result: dict = {}
        try:
            result = await getattr(self._bank, f)(value)
            type_, error = "ok", None
        except grpc.aio.AioRpcError as refusal:
            type_, error = classify(refusal, retry=retry_of is not None)
        except Exception as broken:  # noqa: BLE001 — whatever it was, the outcome is unknown
            type_, error = "info", repr(broken)
        self._history.complete(op, process, type_, f, value | result, error)
        original = op if retry_of is None else retry_of
        if type_ == "info":
            _, _, _, attempts = self.unknown.get(original, (f, value, 0.0, 0))
            self.unknown[original] = (f, value, time.monotonic() + min(2.0**attempts, 5.0), attempts + 1)
        else:
            self.unknown.pop(original, None)
            self._learn(f, value, type_, result)
        return type_

    def _learn(self, f: str, value: dict, type_: str, result: dict) -> None:
        """What a client does next with an answer."""
        if f == "submit" and type_ == "ok" and result.get("status") == "TRANSFER_STATUS_PENDING_RECEIPT":
            draw = self._random.random()
            follow = (
                "receive"
                if draw < RECEIVE_SHARE
                else "decline"
                if draw < RECEIVE_SHARE + DECLINE_SHARE
                else None
            )
            if follow:
                when = time.monotonic() + self._random.uniform(1.0, 4.0)
                item = {
                    "transfer_id": result["transfer_id"],
                    "payee_id": value["payee_id"],
                    "amount": value["amount"],
                }
                self._due.append((when, follow, item))
        elif f == "receive" and type_ == "ok":
            self._wallets[value["payee_id"]] = self._wallets.get(value["payee_id"], 0) + value["amount"]

    async def resolve(self, stop: asyncio.Event, gate_size: int = 8) -> None:
        """Retries each unknown outcome, same request id, until it is ok or fail."""
        gate = asyncio.Semaphore(gate_size)

        async def retry(original: int, f: str, value: dict) -> None:
            async with gate:
                try:
                    await self.perform(f, value, process="resolver", retry_of=original)
                finally:
                    self._retrying.discard(original)

        tasks: set[asyncio.Task] = set()
        while not (stop.is_set() and not self.unknown):
            now = time.monotonic()
            for original, (f, value, at, _) in list(self.unknown.items()):
                if at <= now and original not in self._retrying:
                    self._retrying.add(original)
                    task = asyncio.create_task(retry(original, f, value))
                    tasks.add(task)
                    task.add_done_callback(tasks.discard)
            await asyncio.sleep(0.25)
        await asyncio.gather(*tasks)

    async def read(self, process="reader") -> str:
        """The bank total: the persons' balances summed, through a fresh connection."""
        op = self._history.invoke(process, "read", {})

        async def total() -> int:
            async with await psycopg.AsyncConnection.connect(self._account_url, autocommit=True) as conn:
                cursor = await conn.execute(
                    "SELECT coalesce(sum(balance), 0) FROM accounts WHERE person_id IS NOT NULL"
                )
                return int((await cursor.fetchone())[0])

        try:
            value, type_, error = {"total": await asyncio.wait_for(total(), 5)}, "ok", None
        except (TimeoutError, psycopg.Error, OSError) as failed:
            value, type_, error = {}, "fail", repr(failed)[:200]
        self._history.complete(op, process, type_, "read", value, error)
        return type_

    async def read_every(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            started = time.monotonic()
            await self.read()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), max(0.0, READ_EVERY - (time.monotonic() - started)))


# --- the nemeses


@dataclass(frozen=True)
class Fault:
    at: float  # fraction of CHAOS_SECONDS
    kind: str  # kill-service | failover | sweep-failover | restart-cluster
    service: str = ""
    replica: int = 0


def plan(seconds: float, database: bool) -> list[Fault]:
    """The schedule: faults in the first ~80 % of the run, the rest quiet.
    Short form (< 240 s): 4 service kills and the sweep's failover; long
    form: 7 service kills, two failovers (one with the sweep) and a restart
    of the whole database cluster."""
    if seconds < 240:
        faults = [
            Fault(0.08, "kill-service", "account", 0),
            Fault(0.16, "kill-service", "transfer", 1),
            Fault(0.26, "sweep-failover"),
            Fault(0.58, "kill-service", "region", 0),
            Fault(0.66, "kill-service", "transfer", 0),
        ]
    else:
        faults = [
            Fault(0.05, "kill-service", "account", 0),
            Fault(0.10, "kill-service", "transfer", 1),
            Fault(0.15, "failover"),
            Fault(0.30, "kill-service", "region", 1),
            Fault(0.36, "sweep-failover"),
            Fault(0.50, "kill-service", "account", 1),
            Fault(0.55, "kill-service", "transfer", 0),
            Fault(0.62, "restart-cluster"),
            Fault(0.76, "kill-service", "region", 0),
        ]
    if not database:  # the local server is not ours to kill: the sweep still moves the clock
        faults = [f for f in faults if f.kind in ("kill-service", "sweep-failover")]
    return faults


class Nemesis:
    """Carries out the plan; each fault ends with what it broke repaired
    (a replica restarted, a node rejoined), recorded in the history."""

    DOWN = 6.0  # seconds a killed replica stays down
    NODE_DOWN = 10.0  # seconds a killed database node stays down after the election

    def __init__(self, history: History, replicas: Replicas, pg, clock: Clock) -> None:
        self._history, self._replicas, self._pg, self._clock = history, replicas, pg, clock
        self._database = asyncio.Lock()  # one database fault at a time

    async def run(self, faults: list[Fault], seconds: float) -> None:
        started, tasks = time.monotonic(), []
        for fault in faults:
            await asyncio.sleep(max(0.0, started + fault.at * seconds - time.monotonic()))
            tasks.append(asyncio.create_task(self._carry_out(fault)))
        await asyncio.gather(*tasks)

    async def _carry_out(self, fault: Fault) -> None:
        action: Callable[[], Awaitable[None]] = {
            "kill-service": lambda: self.kill_service(fault.service, fault.replica),
            "failover": lambda: self.failover(sweep=False),
            "sweep-failover": lambda: self.failover(sweep=True),
            "restart-cluster": self.restart_cluster,
        }[fault.kind]
        try:
            await action()
        except Exception as error:  # noqa: BLE001 — recorded; the checker still runs
            self._history.nemesis("nemesis-error", fault=fault.kind, error=repr(error)[:300])

    async def kill_service(self, service: str, replica: int) -> None:
        pid = self._replicas.kill(service, replica)
        self._history.nemesis("kill-service", service=service, replica=replica, pid=pid)
        await asyncio.sleep(self.DOWN)
        pid = self._replicas.start(service, replica)
        await self._replicas.ready(service, replica)
        self._history.nemesis("start-service", service=service, replica=replica, pid=pid)

    async def failover(self, sweep: bool) -> None:
        async with self._database:
            if sweep:  # 06:00 the next day: the worker starts refunding every pending transfer...
                self._clock.set(next_six(self._clock.now()))
                self._history.nemesis("clock", at=self._clock.now().isoformat(), why="the 06:00 sweep")
                if isinstance(self._pg, LocalPostgres):
                    return
                await asyncio.sleep(0.5)  # ...and half a second into it the primary dies
            node, _ = await asyncio.to_thread(self._pg.kill_primary)
            self._history.nemesis("kill-primary", node=node, sweep=sweep)
            new, seconds = await asyncio.to_thread(self._pg.wait_for_primary, node, 90)
            self._history.nemesis("primary-elected", node=new, seconds=round(seconds, 2))
            await asyncio.sleep(self.NODE_DOWN)
            await asyncio.to_thread(self._pg.start_node, node)
            self._history.nemesis("start-node", node=node)

    async def restart_cluster(self) -> None:
        async with self._database:
            self._history.nemesis("restart-cluster")
            await asyncio.to_thread(self._pg.restart_all)
            self._history.nemesis("restart-cluster-done", primary=self._pg.primary())


# --- the run


async def wait_final(transfer_url: str, timeout: float) -> int:
    """Polls until no transfer is open; how many are left after ``timeout``."""
    deadline, left = time.monotonic() + timeout, -1
    while left != 0 and time.monotonic() < deadline:
        with contextlib.suppress(psycopg.Error):
            async with await psycopg.AsyncConnection.connect(transfer_url, autocommit=True) as conn:
                cursor = await conn.execute(
                    "SELECT count(*) FROM transfers WHERE status NOT IN ('received', 'refunded', 'rejected')"
                )
                left = (await cursor.fetchone())[0]
        await asyncio.sleep(0.5)
    return left


def replicas_for(urls: dict[str, str], clock: Clock) -> Replicas:
    """The databases migrated; the replicas' ports, certificates and environment (none started yet)."""
    for name in SERVICES:
        upgrade(name, urls[name])
    pki = write_dev_pki(OUT / "tls")
    env = (
        process_env(clock)
        | secure_env(pki["service"])
        | {
            "YIBAO_TRANSFER_RECONCILE_SECONDS": "10",
            "YIBAO_PAGE_TOKEN_KEY": "chaos-page-token-key-0123456789abcdef0123",  # the same on every replica
        }
    )
    (OUT / "logs").mkdir()
    return Replicas(urls, env, OUT / "logs", client_tls=pki["cli"])


async def start_services(replicas: Replicas, clock: Clock) -> None:
    """Every replica started, the division list seeded while they start up."""
    for name in SERVICES:
        for i in range(REPLICAS):
            replicas.start(name, i)
    await seed_region(replicas.urls["region"], clock)
    await asyncio.gather(*(replicas.ready(name, i) for name in SERVICES for i in range(REPLICAS)))


async def run(pg, urls: dict[str, str], clock: Clock, history: History, replicas: Replicas) -> dict:
    started = time.monotonic()
    await start_services(replicas, clock)
    print(f"services: {REPLICAS} replicas of each up in {time.monotonic() - started:.1f} s")
    pairs = int(RATE * SECONDS * (1 - sum(SHARES.values())) * 1.2) + 200
    world = await build_world(replicas, clock, pairs)
    print(f"world: 8 counties, 8 hospitals, {len(world.pairs)} pairs in {time.monotonic() - started:.1f} s")
    channels = {name: channel(replicas.target(name), replicas.client_tls) for name in SERVICES}
    workload = Workload(Bank(channels, clock), history, world, clock, urls["account"])
    assert await workload.read(process="setup") == "ok", "the first read of the bank total failed"
    faults = plan(SECONDS, not isinstance(pg, LocalPostgres))
    print(
        f"workload: {RATE:g} req/s for {SECONDS:g} s over {len(world.pairs)} pairs; {len(faults)} faults planned"
    )
    stop = asyncio.Event()
    readers = [asyncio.create_task(workload.read_every(stop)), asyncio.create_task(workload.resolve(stop))]
    loop = OpenLoop(RATE, SECONDS, workload, max_in_flight=2000)
    await asyncio.gather(loop.run(), Nemesis(history, replicas, pg, clock).run(faults, SECONDS))
    print(f"workload done at {history.now():.0f} s; {len(workload.unknown)} unknown outcomes to resolve")
    stop.set()
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(asyncio.shield(readers[1]), RESOLVE_TIMEOUT)
    clock.set(next_six(clock.now()))  # every transfer still pending falls due
    history.nemesis("clock", at=clock.now().isoformat(), why="every pending transfer falls due")
    left = await wait_final(urls["transfer"], FINAL_TIMEOUT)
    await workload.read(process="final")
    for task in readers:
        task.cancel()
    await asyncio.gather(*readers, return_exceptions=True)
    for ch in channels.values():
        await ch.close()
    return {"pairs": len(world.pairs), "faults": [f.__dict__ for f in faults], "open_at_end": left}


def report(result: dict, seconds: float) -> None:
    """The table at the end, like make soak's."""
    unknown, p99 = result["unknown"], result["p99_ms"]
    rows = [
        (
            "operations (ack/fail/unknown)",
            f"{result['operations']} ({result['acknowledged']}/{result['failed']}/{unknown['total']})",
        ),
        (
            "unknown resolved ok/fail/never",
            f"{unknown['resolved_ok']}/{unknown['resolved_fail']}/{unknown['unresolved']}",
        ),
        ("reads ok/failed", f"{result['reads']['ok']}/{result['reads']['failed']}"),
        ("service kills", len(result["kills"])),
    ]
    for f in result["failovers"]:
        label = f"failover {f['node']}{' +sweep' if f['with_sweep'] else ''} at {f['time']:.0f} s"
        rows.append((label, f"outage {f['write_outage_seconds']} s"))
    rows += [
        ("p99 before/during/after (ms)", f"{p99['before']}/{p99['during']}/{p99['after']}"),
        ("lost", result["lost"]),
        ("duplicated", result["duplicated"]),
        ("invariant violations", len(result["invariant_violations"])),
        ("wall clock (s)", round(seconds)),
        ("verdict", result["verdict"].upper()),
    ]
    print(f"\n{'chaos':<36}{'value':>24}")
    for name, value in rows:
        print(f"{name:<36}{value!s:>24}")


def interrupted(*_) -> None:
    raise KeyboardInterrupt  # SIGTERM as Ctrl-C: every process started is stopped on the way out


def main() -> int:
    if os.environ.get("GRPC_ENABLE_FORK_SUPPORT") != "false":
        # gRPC's fork handlers can hang a child forked while its threads are
        # busy: a Patroni node restarted mid-run never got to exec. The
        # setting is read when grpc is imported, so start again with it.
        env = os.environ | {"GRPC_ENABLE_FORK_SUPPORT": "false"}
        os.execve(sys.executable, [sys.executable, "-m", "bench.chaos"], env)
    started = time.monotonic()
    signal.signal(signal.SIGTERM, interrupted)
    if OUT.exists():
        shutil.rmtree(OUT)
    OUT.mkdir()
    pg, replicas = postgres(), None
    try:
        pg.start()
        urls = create_databases(pg)
        print(f"postgres ({POSTGRES}): up in {time.monotonic() - started:.1f} s")
        clock = AtomicClock(OUT / "clock", beijing_ten_today())
        run_file = {"postgres": POSTGRES, "urls": urls, "seconds": SECONDS, "rate": RATE, "seed": SEED}
        (OUT / "run.json").write_text(json.dumps(run_file, indent=2))
        history = History(OUT / "history.jsonl")
        replicas = replicas_for(urls, clock)

        async def everything() -> dict:
            try:
                return await run(pg, urls, clock, history, replicas)
            finally:
                replicas.stop_all()

        run_file |= asyncio.run(everything())
        history.close()
        (OUT / "run.json").write_text(json.dumps(run_file, indent=2))
        result = chaos_check.main(str(OUT))
        report(json.loads((OUT / "result.json").read_text()), time.monotonic() - started)
        return result
    finally:
        if replicas is not None:
            replicas.stop_all()
        pg.stop()


if __name__ == "__main__":
    sys.exit(main())
