"""R23: every service as several replicas on one database. Copies of one
request reaching two transfer replicas make one transfer (R16); two
sweepers refund each due transfer once; one replica a round runs the jobs
that take a lease; calls spread over the replicas a target lists and go on
when one stops. On SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import contextlib
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from yibao.region.v1 import region_pb2 as rpb
from yibao.region.v1 import region_pb2_grpc
from yibao.transfer.v1 import transfer_pb2 as pb
from yibao.transfer.v1 import transfer_pb2_grpc

from services.account.adapters.tables import journal_entries
from services.account.domain.ledger import EntryKind
from services.kernel.auth import Role
from services.kernel.calls import ServiceIdentity, call, channel
from services.kernel.db import create_engine
from services.kernel.leases import Leases
from services.kernel.proto_time import from_timestamp
from services.region.bootstrap import bootstrap as start_region
from services.region.settings import RegionSettings
from services.transfer.adapters.tables import transfers as transfer_rows
from services.transfer.bootstrap import bootstrap as start_transfer
from tests import tls
from tests.cluster import account_urls, transfer_settings
from tests.tls import aio_channel
from tests.transfer.helpers import submit_request


@pytest.fixture
async def replicas(transfer_server, account_server, region_target, tokens, clock):
    """replicas(n) -> n transfer servers on the transfer database (the
    fixture's own server stopped), their workers idle after their first round."""
    await transfer_server.stop(0)
    started = []

    async def start(n: int):
        settings = transfer_settings(
            transfer_server.database_url,
            account_server,
            region_target,
            worker_interval=3600.0,
            reconcile_interval=0,
        )
        started.extend([await start_transfer(settings, tokens, clock) for _ in range(n)])
        return started[-n:]

    yield start
    for server in started:
        await server.stop(0)


async def _count(url: str, query) -> int:
    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            return (await conn.execute(query)).scalar_one()
    finally:
        await engine.dispose()


async def test_r16_one_request_id_at_two_replicas_makes_one_transfer(
    family, replicas, bearer, transfer_server
):
    payer, payee = family
    first, second = await replicas(2)
    metadata = bearer(Role.CITIZEN, payer.id, person_id=payer.id)
    request = submit_request(payer, payee, amount=10_000, request_id="same-request-at-two-replicas")
    async with aio_channel(first.address) as a, aio_channel(second.address) as b:
        answers = await asyncio.gather(
            *(
                transfer_pb2_grpc.TransferServiceStub(ch).SubmitTransfer(request, metadata=metadata)
                for ch in (a, b, a, b)
            )
        )
    assert len({answer.transfer.id for answer in answers}) == 1
    assert len({answer.transfer.status for answer in answers}) == 1
    made = select(func.count()).select_from(transfer_rows).where(transfer_rows.c.payer_id == payer.id)
    assert await _count(transfer_server.database_url, made) == 1


async def test_r15_two_sweepers_refund_each_due_transfer_once(
    member, relate, replicas, bearer, clock, account_server, invariant
):
    payers = [await member(f"付款人{i}", "450102", funding=100_000) for i in range(3)]
    payees = [await member(f"收款人{i}", "110101") for i in range(3)]
    for payer in payers:
        for payee in payees:
            await relate(payer, payee)
    first, second = await replicas(2)
    submitted = []
    async with aio_channel(first.address) as ch:
        stub = transfer_pb2_grpc.TransferServiceStub(ch)
        for payer in payers:
            metadata = bearer(Role.CITIZEN, payer.id, person_id=payer.id)
            for payee in payees:  # three a day: the limit
                answer = await stub.SubmitTransfer(
                    submit_request(payer, payee, amount=1_000), metadata=metadata
                )
                submitted.append(answer.transfer)
    assert all(t.status == pb.TRANSFER_STATUS_PENDING_RECEIPT for t in submitted)
    clock.set(from_timestamp(submitted[-1].expire_time) + timedelta(seconds=1))
    sweeps = await asyncio.gather(
        first.components["lifecycle"].refund_expired(), second.components["lifecycle"].refund_expired()
    )
    assert sum(sweeps) == len(submitted)  # each transfer refunded by one sweeper, none twice
    refunds = (
        select(func.count())
        .select_from(journal_entries)
        .where(journal_entries.c.kind == EntryKind.TRANSFER_REFUND.value)
    )
    # Each refund is an entry in its payer's account database (under R24, their shard's).
    assert sum([await _count(url, refunds) for url in account_urls(account_server)]) == len(submitted)
    await invariant()


async def test_r23_one_replica_a_round_holds_a_jobs_lease(database_url):
    engine = create_engine(database_url)
    mine, theirs = Leases(engine, "transfer"), Leases(engine, "transfer")
    try:
        async with (
            mine.hold("resume") as first,
            theirs.hold("resume") as second,
            theirs.hold("lapses") as other,
            theirs.hold(None) as everyone,  # a job every replica runs (the sweep)
        ):
            granted = (first, second, other, everyone)
        async with theirs.hold("resume") as after_release:
            pass
    finally:
        await engine.dispose()
    if engine.dialect.name == "postgresql":
        assert granted == (True, False, True, True)
    else:  # one process on SQLite: always granted
        assert granted == (True, True, True, True)
    assert after_release


async def test_r23_calls_spread_over_replicas_and_go_on_when_one_stops(region_server, tokens, clock):
    settings = RegionSettings(region_server.database_url, tls=tls.SERVICE)
    other = await start_region(settings, tokens, clock)
    identity = ServiceIdentity("transfer", tokens, clock)
    servers = [region_server, other]
    target = ",".join(s.address for s in servers)

    def answered(server) -> float:
        sample = server.components["metrics"].registry.get_sample_value(
            "yibao_grpc_requests_total", {"service": "region", "method": "GetRegion", "code": "OK"}
        )
        return sample or 0.0

    async with channel(target, tls.SERVICE) as ch:
        stub = region_pb2_grpc.RegionServiceStub(ch)

        async def ask_twenty_times() -> set[str]:
            request = rpb.GetRegionRequest(code="450102")
            return {
                (
                    await call(stub.GetRegion, request, identity, idempotent=True, upstream="region")
                ).region.code
                for _ in range(20)
            }

        assert await ask_twenty_times() == {"450102"}
        assert all(answered(s) > 0 for s in servers)  # round robin, not the first address only
        await other.stop(0)
        assert await ask_twenty_times() == {"450102"}  # the stopped replica's share retried on the other
    with contextlib.suppress(Exception):
        await other.stop(0)
