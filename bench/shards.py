"""make bench-shards: provinces as shards (R24), measured. Two account
shards (广西 450000, 北京 110000) as processes, each on a database of its own,
the national person index, the region service holding the shard map, and the
transfer service routing by it (YIBAO_ACCOUNT_SHARDED), on the PostgreSQL at
YIBAO_BENCH_POSTGRES_URL (else a container):

1. both shards up: transfers within 广西 submitted by SHARD_CLIENTS
   closed-loop clients, and within 北京 (left pending);
2. 北京's shard stopped: transfers within 广西 again — the rate it keeps —
   and transfers within 北京, each of which must fail with UNAVAILABLE naming
   the shard (how fast: p50/p99 of the refusals);
3. 北京's shard back on the same port: the transfers left pending there in
   step 1 are received — nothing lost — and both shards' ledgers balance.

Prints the figures and writes .bench/shards.json."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import grpc
import psycopg
from yibao.account.v1 import account_pb2 as apb
from yibao.account.v1 import account_pb2_grpc
from yibao.region.v1 import region_pb2 as rpb
from yibao.region.v1 import region_pb2_grpc
from yibao.transfer.v1 import transfer_pb2 as pb
from yibao.transfer.v1 import transfer_pb2_grpc
from yibao.type.v1 import relation_pb2, verification_pb2

from bench.cluster import (
    FACE_KEY,
    Clock,
    beijing_ten_today,
    databases,
    drive,
    drop_databases,
    free_port,
    postgres_server,
    process_env,
    rate,
    token,
)
from services.account.domain.credentials import Purpose, mint_face_ticket
from services.account.domain.identity import check_digit
from services.kernel.auth import Role
from services.kernel.clock import beijing_month
from services.kernel.migrations import upgrade
from services.kernel.tls import aio_channel, secure_env, write_dev_pki
from services.region.adapters.seed import seed_region

RESULT = Path(".bench/shards.json")
ONE_SHARD = Path(".bench/result.json")  # bench/transfers.py's
PAIRS = int(os.environ.get("SHARD_PAIRS", "300"))  # payer/payee pairs per shard
CLIENTS = int(os.environ.get("SHARD_CLIENTS", "32"))
SHARDS = {
    "gx": ("450000", "450102", "450103"),
    "bj": ("110000", "110101", "110102"),
}  # province, payer, payee regions


class Federation:
    def __init__(self, urls: dict[str, str], clock: Clock) -> None:
        self.urls, self.clock = urls, clock
        self.ports = {name: free_port() for name in ("region", "index", "transfer", *SHARDS)}
        self.processes: dict[str, subprocess.Popen] = {}
        self.pki = write_dev_pki(Path(tempfile.mkdtemp(prefix="yibao-bench-tls-")))
        env = process_env(clock) | secure_env(self.pki["service"])
        env |= {
            "YIBAO_REGION_DATABASE_URL": urls["region"],
            "YIBAO_REGION_LISTEN": self.target("region"),
            "YIBAO_REGION_TARGET": self.target("region"),
            "YIBAO_REGION_METRICS_PORT": str(free_port()),
            "YIBAO_INDEX_DATABASE_URL": urls["index"],
            "YIBAO_INDEX_LISTEN": self.target("index"),
            "YIBAO_INDEX_TARGET": self.target("index"),
            "YIBAO_INDEX_METRICS_PORT": str(free_port()),
            "YIBAO_TRANSFER_DATABASE_URL": urls["transfer"],
            "YIBAO_TRANSFER_LISTEN": self.target("transfer"),
            "YIBAO_TRANSFER_METRICS_PORT": str(free_port()),
            "YIBAO_ACCOUNT_TARGET": self.target("gx"),  # not used: the transfer service routes by the map
            "YIBAO_ACCOUNT_SHARDED": "true",
        }
        self.env = env

    def target(self, name: str) -> str:
        return f"127.0.0.1:{self.ports[name]}"

    def channel(self, name: str) -> grpc.aio.Channel:
        return aio_channel(self.target(name), self.pki["cli"])

    async def start(self, name: str, service: str, **extra: str) -> None:
        command = [sys.executable, "-m", "services.cli.main", "serve", service]
        self.processes[name] = subprocess.Popen(command, env=self.env | extra)
        async with self.channel(name) as channel:
            await asyncio.wait_for(channel.channel_ready(), 60)

    async def start_shard(self, name: str) -> None:
        await self.start(
            name,
            "account",
            YIBAO_ACCOUNT_DATABASE_URL=self.urls[name],
            YIBAO_ACCOUNT_LISTEN=self.target(name),
            YIBAO_ACCOUNT_METRICS_PORT=str(free_port()),
            YIBAO_ACCOUNT_SHARD=name,
        )

    def stop(self, name: str) -> None:
        process = self.processes.pop(name)
        process.send_signal(signal.SIGKILL)  # a machine lost, not a polite stop
        process.wait(timeout=30)

    def stop_all(self) -> None:
        for process in self.processes.values():
            process.terminate()
        for process in self.processes.values():
            process.wait(timeout=30)


async def pairs_in(
    fed: Federation, shard: str, n: int, payee_shard: str = "", years: tuple[str, str] = ("1990", "1960")
) -> list[tuple[str, str, str, str]]:
    """n funded (payer, payee, payee name, payee ID number) pairs, the payer
    kept by ``shard`` and the payee by ``payee_shard`` (the same by default)."""
    province, payer_region, _ = SHARDS[shard]
    payee_province, _, payee_region = SHARDS[payee_shard or shard]
    platform, gate = token(fed.clock, Role.PROVINCE, province=province), asyncio.Semaphore(16)
    async with fed.channel(shard) as channel, fed.channel(payee_shard or shard) as payee_channel:
        account = account_pb2_grpc.AccountServiceStub(channel)
        accounts = {province: account, payee_province: account_pb2_grpc.AccountServiceStub(payee_channel)}

        async def register(region: str, i: int, birth_year: str, kind: int):
            first17 = f"{region}{birth_year}{(i // 28) % 12 + 1:02d}{i % 28 + 1:02d}{i // 336:03d}"
            number = first17 + check_digit(first17)
            request = apb.RegisterPersonRequest(
                id_number=number, name="某人", insurance_type=kind, insured_region=region
            )
            own = f"{region[:2]}0000"
            its_platform = token(fed.clock, Role.PROVINCE, province=own)
            return (await accounts[own].RegisterPerson(request, metadata=its_platform)).person, number

        async def pair(i: int):
            async with gate:
                payer, _ = await register(payer_region, i, years[0], apb.INSURANCE_TYPE_EMPLOYEE)
                payee, number = await register(payee_region, i, years[1], apb.INSURANCE_TYPE_RESIDENT)
                fund = apb.FundPersonalAccountRequest(
                    person_id=payer.id,
                    amount_fen=1_000_000,
                    reference=f"b-{payer.id}",
                    period=beijing_month(fed.clock.now()),
                )
                await account.FundPersonalAccount(fund, metadata=platform)
                for person, place in ((payer, payer_region), (payee, payee_region)):
                    opening = apb.OpenWalletRequest(
                        person_id=person.id, place_of_use=place, mobile="13800138000"
                    )
                    await accounts[f"{place[:2]}0000"].OpenWallet(
                        opening, metadata=token(fed.clock, Role.CITIZEN, person_id=person.id)
                    )
                relation = apb.AttestRelationRequest(
                    person_id=payer.id, relative_id=payee.id, kind=relation_pb2.RELATION_KIND_PARENT
                )
                await account.AttestRelation(relation, metadata=platform)
                return payer.id, payee.id, "某人", number

        return list(await asyncio.gather(*(pair(i) for i in range(n))))


async def measure(server: str) -> dict:
    urls = databases(server, ("region", "index", "transfer", *SHARDS))
    try:
        return await _measure(urls)
    finally:
        drop_databases(server, urls)


async def _measure(urls: dict[str, str]) -> dict:
    for name, service in (
        ("region", "region"),
        ("index", "index"),
        ("transfer", "transfer"),
        *((s, "account") for s in SHARDS),
    ):
        upgrade(service, urls[name])
    clock = Clock(Path(tempfile.mkdtemp(prefix="yibao-bench-")) / "now", beijing_ten_today())
    await seed_region(urls["region"], clock, demo=True)
    fed = Federation(urls, clock)
    result: dict = {"pairs_per_shard": PAIRS, "clients": CLIENTS}
    try:
        await fed.start("region", "region")
        await fed.start("index", "index")
        for shard in SHARDS:
            await fed.start_shard(shard)
        async with fed.channel("region") as channel:
            for shard, (province, *_) in SHARDS.items():
                put = rpb.PutAccountShardRequest(
                    account_shard=rpb.AccountShard(name=shard, target=fed.target(shard), provinces=[province])
                )
                await region_pb2_grpc.RegionServiceStub(channel).PutAccountShard(
                    put, metadata=token(clock, Role.ADMIN)
                )
        await fed.start("transfer", "transfer")
        started = time.perf_counter()
        # 广西's pairs twice over: a payee has one transfer waiting at a time (R18), and
        # the transfers of each phase are left pending.
        pairs = {shard: await pairs_in(fed, shard, PAIRS * (2 if shard == "gx" else 1)) for shard in SHARDS}
        pairs["gx-again"], pairs["gx"] = pairs["gx"][PAIRS:], pairs["gx"][:PAIRS]
        pairs["across"] = await pairs_in(fed, "gx", PAIRS, "bj", ("1985", "1955"))
        print(
            f"setup: {PAIRS} pairs in each of {len(SHARDS)} shards in {time.perf_counter() - started:.1f} s"
        )

        async with fed.channel("transfer") as channel:
            transfers = transfer_pb2_grpc.TransferServiceStub(channel)

            async def submit(pair):
                payer, _payee, name, number = pair
                ticket = mint_face_ticket(FACE_KEY, payer, Purpose.TRANSFER, uuid.uuid4().hex, clock.now())
                request = pb.SubmitTransferRequest(
                    payer_id=payer,
                    source=pb.TRANSFER_SOURCE_PERSONAL_ACCOUNT,
                    payee_name=name,
                    payee_id_number=number,
                    relation=relation_pb2.RELATION_KIND_PARENT,
                    amount_fen=1_000,
                    request_id=str(uuid.uuid4()),
                    verification=verification_pb2.Verification(face_ticket=ticket),
                )
                metadata = token(clock, Role.CITIZEN, person_id=payer)
                try:
                    return (await transfers.SubmitTransfer(request, metadata=metadata, timeout=30)).transfer
                except grpc.aio.AioRpcError as error:
                    return error

            async def receive(t):
                request = pb.ReceiveTransferRequest(id=t.id)
                metadata = token(clock, Role.CITIZEN, person_id=t.payee_id)
                return (await transfers.ReceiveTransfer(request, metadata=metadata, timeout=30)).transfer

            async def phase(label: str, shard: str) -> tuple[dict, list]:
                seconds, latencies, answers = await drive(pairs[shard], submit, CLIENTS)
                figures = rate(len(answers), seconds, latencies)
                print(f"{label}: {len(answers)} in {seconds:.1f} s = {figures}")
                return figures, answers

            result["both_up_gx"], _ = await phase("both shards up, within 广西", "gx")
            result["both_up_bj"], pending = await phase("both shards up, within 北京 (left pending)", "bj")
            refused = {t.details() for t in pending if isinstance(t, grpc.aio.AioRpcError)}
            assert not refused, f"transfers failed with both shards up: {refused}"
            result["across_submit"], crossing = await phase("across shards, 广西 -> 北京", "across")
            refused = {t.details() for t in crossing if isinstance(t, grpc.aio.AioRpcError)}
            assert not refused, f"transfers across shards failed: {refused}"
            seconds, latencies, received = await drive(crossing, receive, CLIENTS)
            ok = sum(1 for t in received if t.status == pb.TRANSFER_STATUS_RECEIVED)
            assert ok == len(crossing), f"{len(crossing) - ok} transfers across shards not received"
            result["across_receive"] = rate(len(received), seconds, latencies)
            print(f"across shards, received in 北京 (two legs): {result['across_receive']}")

            fed.stop("bj")
            stopped_at = time.perf_counter()
            result["bj_down_gx"], answers = await phase("北京's shard down, within 广西", "gx-again")
            refused = {t.details() for t in answers if isinstance(t, grpc.aio.AioRpcError)}
            assert not refused, f"广西 failed while 北京 was down: {refused}"
            refusals, answers = await phase("北京's shard down, within 北京 (must fail fast)", "bj")
            failed = [a for a in answers if isinstance(a, grpc.aio.AioRpcError)]
            result["bj_down_bj_refusals"] = refusals | {
                "failed": len(failed),
                "of": len(answers),
                "codes": sorted({f"{a.code().name}: {a.details()}" for a in failed}),
            }
            result["ratio_gx_rate_with_bj_down"] = round(
                result["bj_down_gx"]["tps"] / result["both_up_gx"]["tps"], 2
            )

            await fed.start_shard("bj")
            print(f"北京's shard back after {time.perf_counter() - stopped_at:.1f} s")

            seconds, latencies, received = await drive(pending, receive, CLIENTS)
            ok = sum(1 for t in received if t.status == pb.TRANSFER_STATUS_RECEIVED)
            result["bj_back_received"] = {
                "received": ok,
                "of": len(pending),
                **rate(len(received), seconds, latencies),
            }
            print(f"北京 back: {ok} of {len(pending)} pending transfers received")
        result["ledgers_balanced"] = {shard: balanced(urls[shard]) for shard in SHARDS}
        print(f"ledgers balanced: {result['ledgers_balanced']}")
    finally:
        fed.stop_all()
    return result


def balanced(account_url: str) -> bool:
    """Debits equal credits and the balances sum to zero in one shard's ledger."""
    with psycopg.connect(account_url.replace("+psycopg", "")) as conn:
        debits, credits = conn.execute(
            "SELECT coalesce(sum(-amount) FILTER (WHERE amount < 0), 0), coalesce(sum(amount) FILTER (WHERE amount > 0), 0) FROM postings"
        ).fetchone()
        (balances,) = conn.execute("SELECT coalesce(sum(balance), 0) FROM accounts").fetchone()
    return debits == credits and balances == 0


def report(result: dict) -> None:
    print()
    print(f"{'figure':<44}{'tps':>8}{'p50 ms':>9}{'p99 ms':>9}")
    for key, label in (
        ("both_up_gx", "within 广西, both shards up"),
        ("bj_down_gx", "within 广西, 北京's shard down"),
        ("bj_down_bj_refusals", "within 北京 while down (refusals)"),
        ("bj_back_received", "北京's pending, received when back"),
        ("across_submit", "across shards 广西 -> 北京, submitted"),
        ("across_receive", "across shards, received (two legs)"),
    ):
        f = result[key]
        print(f"{label:<44}{f['tps']:>8}{f['p50_ms']:>9}{f['p99_ms']:>9}")
    single = json.loads(ONE_SHARD.read_text()) if ONE_SHARD.exists() else None
    if single:  # make bench: the 1-shard run just before, side by side
        print(
            f"{'1 shard (make bench, 1,000 transfers)':<44}{single['submit_tps']:>8}{'':>9}{single['submit_p99_ms']:>9}"
        )
        print(f"{'1 shard, received':<44}{single['receive_tps']:>8}{'':>9}{single['receive_p99_ms']:>9}")
    refusals = result["bj_down_bj_refusals"]
    print(f"refused while down: {refusals['failed']} of {refusals['of']} ({', '.join(refusals['codes'])})")
    print(f"广西's rate with 北京 down / both up: {result['ratio_gx_rate_with_bj_down']}x")


async def main() -> None:
    with postgres_server() as server:
        result = await measure(server)
    RESULT.parent.mkdir(exist_ok=True)
    RESULT.write_text(json.dumps(result, indent=2, ensure_ascii=False))
    report(result)
    print(f"written to {RESULT}")


if __name__ == "__main__":
    asyncio.run(main())
