"""Concurrent money movements on PostgreSQL, through the real account server
(R10, R16): balances never go negative and a retried hold moves money once."""

from __future__ import annotations

import asyncio

import grpc
import pytest
from yibao.account.v1 import account_pb2 as pb

from tests.account.test_grpc import assert_ledger_balanced, balances, funded, hold_request
from tests.rpc import failure

pytestmark = [pytest.mark.postgres, pytest.mark.parametrize("new_database", ["postgres"], indirect=True)]


async def outcome(call):
    try:
        await call
        return "OK"
    except grpc.aio.AioRpcError as error:
        return failure(error).reason


async def test_r10_fifty_concurrent_holds_never_overdraw(
    account, register, with_wallet, as_province, as_service, as_citizen, account_server
):
    payer, payee = await register("张三"), await register("李四")
    await with_wallet(payer)
    await with_wallet(payee)
    await funded(account, as_province, payer, 100_000)

    results = await asyncio.gather(
        *(
            outcome(account.HoldTransfer(hold_request(payer, payee, f"c-{i}", 3_000), metadata=as_service))
            for i in range(50)
        )
    )
    assert results.count("OK") == 33  # 33 × 3,000 fits in 100,000; a 34th does not
    assert results.count("INSUFFICIENT_FUNDS") == 17
    assert await balances(account, as_citizen, payer) == (1_000, 0)
    await assert_ledger_balanced(account_server)


async def test_r16_the_same_hold_sent_concurrently_moves_money_once(
    account, register, with_wallet, as_province, as_service, as_citizen, account_server
):
    payer, payee = await register("张三"), await register("李四")
    await with_wallet(payer)
    await with_wallet(payee)
    await funded(account, as_province, payer, 100_000)

    holds = await asyncio.gather(
        *(
            account.HoldTransfer(hold_request(payer, payee, "same", 40_000), metadata=as_service)
            for _ in range(20)
        )
    )
    assert {h.hold.status for h in holds} == {pb.HOLD_STATUS_PENDING}
    assert await balances(account, as_citizen, payer) == (60_000, 0)

    # Racing receive and refund: exactly one outcome wins, the other is refused.
    race = await asyncio.gather(
        *(
            outcome(
                account.ReceiveTransfer(pb.ReceiveTransferRequest(transfer_id="same"), metadata=as_service)
            )
            for _ in range(5)
        ),
        *(
            outcome(account.RefundTransfer(pb.RefundTransferRequest(transfer_id="same"), metadata=as_service))
            for _ in range(5)
        ),
    )
    received, refunded = race[:5], race[5:]
    assert (set(received), set(refunded)) in [
        ({"OK"}, {"HOLD_ALREADY_RECEIVED"}),
        ({"HOLD_ALREADY_REFUNDED"}, {"OK"}),
    ]
    payer_after, payee_after = (
        await balances(account, as_citizen, payer),
        await balances(account, as_citizen, payee),
    )
    assert (payer_after, payee_after) in [((60_000, 0), (0, 40_000)), ((100_000, 0), (0, 0))]
    await assert_ledger_balanced(account_server)
