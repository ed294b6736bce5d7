"""R23 through real processes: the three services (in this process) on
databases of the Patroni cluster (tests/ha/conftest.py), reached by
multi-host URLs. The primary node is killed (Patroni, PostgreSQL: a machine
dying) while transfers are submitted; the services follow the new primary
without a restart, and no acknowledged transfer is lost. Each test brings
the killed node back, so the next finds three nodes."""

from __future__ import annotations

import asyncio
import time
import uuid

import grpc
import psycopg
import pytest
from yibao.transfer.v1 import transfer_pb2 as pb

from services.kernel.auth import Role
from tests.transfer.helpers import check_invariant, eventually, submit_request

pytestmark = pytest.mark.ha

RETRYABLE = {grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED}


@pytest.fixture
def new_database(patroni):
    """The databases of tests/cluster.py's servers, on the Patroni cluster
    (multi-host URLs with target_session_attrs=read-write)."""

    def make() -> str:
        name = f"t_{uuid.uuid4().hex[:16]}"
        with psycopg.connect(patroni.url(), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return patroni.url(name)

    return make


async def _until_answered(call, timeout: float = 90.0):
    """The call repeated (the same request: the same request id) while its
    outcome is unknown; its answer, or the definite refusal."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            return await call()
        except grpc.aio.AioRpcError as error:
            if error.code() not in RETRYABLE or time.monotonic() > deadline:
                raise
            await asyncio.sleep(0.5)


async def _related_pair(member, relate, i: int):
    """A payer in 南宁 with ¥1,000 and a relative in 北京."""
    payer = await member(f"付款人{i}", "450102", funding=100_000)
    payee = await member(f"收款人{i}", "110101")
    await relate(payer, payee)
    return payer, payee


async def _unnumbered_events(transfer_url: str) -> bool:
    with psycopg.connect(transfer_url) as conn:
        (left,) = conn.execute("SELECT count(*) FROM transfer_events WHERE sequence IS NULL").fetchone()
    return left == 0


async def _final_states(transfer_url: str, ids: list[str]) -> dict[str, str]:
    with psycopg.connect(transfer_url) as conn:
        rows = conn.execute("SELECT id, status FROM transfers WHERE id = ANY(%s)", (ids,)).fetchall()
    return dict(rows)


async def test_r23_a_failover_during_a_burst_loses_no_acknowledged_transfer(
    patroni,
    member,
    relate,
    transfers,
    bearer,
    transfer_server,
    account_server,
):
    pairs = [await _related_pair(member, relate, i) for i in range(12)]
    outcomes: dict[str, object] = {}

    async def client(payer, payee) -> None:
        metadata = bearer(Role.CITIZEN, payer.id, person_id=payer.id)
        for n in range(3):  # the day's limit, one after the other
            request = submit_request(payer, payee, amount=1_000 + n, request_id=f"burst-{payer.id}-{n}")
            try:
                answer = await _until_answered(
                    lambda r=request: transfers.SubmitTransfer(r, metadata=metadata)
                )
                outcomes[request.request_id] = answer.transfer
                if n < 2:  # one open transfer per payee: receive it before the next
                    receipt = pb.ReceiveTransferRequest(id=answer.transfer.id)
                    token = bearer(Role.CITIZEN, payee.id, person_id=payee.id)
                    await _until_answered(lambda r=receipt, m=token: transfers.ReceiveTransfer(r, metadata=m))
            except grpc.aio.AioRpcError as refused:
                outcomes[request.request_id] = refused

    burst = asyncio.gather(*(client(payer, payee) for payer, payee in pairs))
    await asyncio.sleep(0.3)  # the burst under way
    old, _killed_at = await asyncio.to_thread(patroni.kill_primary)
    try:
        new, outage = await asyncio.to_thread(patroni.wait_for_primary, old, 90)
        await burst
    finally:
        await asyncio.to_thread(patroni.start_node, old)
    print(f"failover {old} -> {new} in {outage:.1f} s")
    acknowledged = {rid: t for rid, t in outcomes.items() if isinstance(t, pb.Transfer)}
    refused = {rid: e for rid, e in outcomes.items() if not isinstance(e, pb.Transfer)}
    assert not refused, {rid: (e.code(), e.details()) for rid, e in refused.items()}
    assert len(acknowledged) == 3 * len(pairs)
    # Every acknowledged transfer is in the database after the failover, once.
    states = await _final_states(transfer_server.database_url, [t.id for t in acknowledged.values()])
    assert set(states) == {t.id for t in acknowledged.values()}
    with psycopg.connect(transfer_server.database_url) as conn:
        (count,) = conn.execute("SELECT count(*) FROM transfers").fetchone()
    assert count == len(acknowledged)  # no duplicate from a repeated request
    # The event sequencer went on after the failover: every event is numbered.
    await eventually(lambda: _unnumbered_events(transfer_server.database_url), timeout=30)
    await check_invariant(account_server.database_url, transfer_server.database_url)


async def test_r23_services_follow_the_new_primary_without_a_restart(
    patroni,
    member,
    relate,
    transfers,
    bearer,
    transfer_server,
    account_server,
):
    payer, payee = await _related_pair(member, relate, 0)
    metadata = bearer(Role.CITIZEN, payer.id, person_id=payer.id)
    before = await transfers.SubmitTransfer(submit_request(payer, payee, amount=5_000), metadata=metadata)
    old, _ = await asyncio.to_thread(patroni.kill_primary)
    try:
        await asyncio.to_thread(patroni.wait_for_primary, old, 90)
        # The same servers, their pools holding connections to the dead node.
        receipt = pb.ReceiveTransferRequest(id=before.transfer.id)
        payee_token = bearer(Role.CITIZEN, payee.id, person_id=payee.id)
        received = await _until_answered(lambda: transfers.ReceiveTransfer(receipt, metadata=payee_token), 30)
        assert received.transfer.status == pb.TRANSFER_STATUS_RECEIVED
        after = await _until_answered(
            lambda: transfers.SubmitTransfer(
                submit_request(payer, payee, amount=2_000, request_id="after-failover"), metadata=metadata
            ),
            30,
        )
        assert after.transfer.status == pb.TRANSFER_STATUS_PENDING_RECEIPT
    finally:
        await asyncio.to_thread(patroni.start_node, old)
    await check_invariant(account_server.database_url, transfer_server.database_url)
