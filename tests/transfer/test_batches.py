"""Group commit on the money path, through the three real services on SQLite
and PostgreSQL: concurrent submissions and receipts travel in batches, and
each is still answered as if it had been alone (R14, R15, R16)."""

from __future__ import annotations

import asyncio
import uuid

import grpc
from sqlalchemy import func, select
from yibao.account.v1 import account_pb2 as apb
from yibao.transfer.v1 import transfer_pb2 as pb
from yibao.type.v1 import verification_pb2

from services.account.adapters.tables import holds
from services.account.domain.credentials import Purpose, mint_face_ticket
from services.kernel.auth import Role
from services.kernel.db import create_engine
from tests.cluster import FACE_KEY, account_urls
from tests.rpc import failure
from tests.transfer.helpers import submit_request


async def count_holds(database_urls: list[str]) -> int:
    """The holds in the account databases: the one service's, or every shard's (R24)."""
    count = 0
    for url in database_urls:
        engine = create_engine(url)
        try:
            async with engine.connect() as conn:
                count += (await conn.execute(select(func.count()).select_from(holds))).scalar_one()
        finally:
            await engine.dispose()
    return count


async def test_r16_fifty_concurrent_copies_of_a_submission_make_one_transfer_and_one_hold(
    family, transfers, bearer, balances, invariant, clock, account_server
):
    """What a client's timeout-and-retry produces: the same request id, the
    same content, the same face ticket, fifty times at once. Every copy gets
    the same transfer; the money moves once; a copy sent afterwards too."""
    payer, payee = family
    ticket = mint_face_ticket(FACE_KEY, payer.id, Purpose.TRANSFER, uuid.uuid4().hex, clock.now())
    request = submit_request(
        payer, payee, request_id="retry-1", verification=verification_pb2.Verification(face_ticket=ticket)
    )
    me = bearer(Role.CITIZEN, payer.id, person_id=payer.id)
    answers = await asyncio.gather(*(transfers.SubmitTransfer(request, metadata=me) for _ in range(50)))
    assert len({a.transfer.id for a in answers}) == 1
    assert {a.transfer.status for a in answers} == {pb.TRANSFER_STATUS_PENDING_RECEIPT}
    later = await transfers.SubmitTransfer(request, metadata=me)
    assert later.transfer.id == answers[0].transfer.id
    assert await balances(payer) == (70_000, 0)
    assert await count_holds(account_urls(account_server)) == 1
    await invariant()


async def test_r14_a_payers_concurrent_submissions_keep_the_daily_limit(
    member, relate, transfers, bearer, balances, invariant
):
    """Four transfers of one payer at once (to four relatives): three are
    accepted, the fourth meets the limit of three a day; only three moved money."""
    payer = await member("付款人", "450102", funding=100_000)
    payees = [await member(f"收款人{i}", "110101", kind=apb.INSURANCE_TYPE_RESIDENT) for i in range(4)]
    for payee in payees:
        await relate(payer, payee)
    me = bearer(Role.CITIZEN, payer.id, person_id=payer.id)
    answers = await asyncio.gather(
        *(transfers.SubmitTransfer(submit_request(payer, p, amount=1_000), metadata=me) for p in payees),
        return_exceptions=True,
    )
    accepted = [a.transfer for a in answers if not isinstance(a, Exception)]
    refused = [failure(a) for a in answers if isinstance(a, grpc.aio.AioRpcError)]
    assert [t.status for t in accepted] == [pb.TRANSFER_STATUS_PENDING_RECEIPT] * 3
    assert [(f.code, f.reason) for f in refused] == [
        (grpc.StatusCode.FAILED_PRECONDITION, "DAILY_TRANSFER_LIMIT")
    ]
    assert await balances(payer) == (97_000, 0)
    await invariant()


async def test_r15_concurrent_receipts_each_received_once(
    member, relate, submit, transfers, bearer, balances, invariant
):
    """Three payers' transfers to one payee, received at once and each twice
    (a retried receipt in the same batch): every one received, the money once."""
    payee = await member("收款人", "110101", kind=apb.INSURANCE_TYPE_RESIDENT)
    sent = []
    for i, amount in enumerate((1_000, 2_000, 3_000)):
        payer = await member(f"付款人{i}", "450102", funding=10_000)
        await relate(payer, payee)
        sent.append(await submit(payer, payee, amount=amount))
    me = bearer(Role.CITIZEN, payee.id, person_id=payee.id)
    answers = await asyncio.gather(
        *(transfers.ReceiveTransfer(pb.ReceiveTransferRequest(id=t.id), metadata=me) for t in sent + sent)
    )
    assert [(a.transfer.id, a.transfer.status) for a in answers] == [
        (t.id, pb.TRANSFER_STATUS_RECEIVED) for t in sent + sent
    ]
    assert await balances(payee) == (0, 6_000)
    await invariant()
