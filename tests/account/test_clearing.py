"""Provinces as shards (R24, docs/sharding.md): money from a payer kept in one
account shard to a payee kept in another, through clearing accounts and
never one transaction across both — two account services, each on a
database of its own, on SQLite and PostgreSQL, through their gRPC servers.
The hold and the first leg of the receipt run in the payer's shard
(reserved -> clearing-to:<payer province>:<payee province>), the second leg
in the payee's (clearing-from:<payee province>:<payer province> -> wallet);
each leg is idempotent by transfer id, the month's clearing statements of
the two shards mirror each other pair by pair (a shard may keep persons of
several provinces), and the two ledgers together hold every fen funded."""

from __future__ import annotations

import grpc
import pytest
from sqlalchemy import select
from yibao.account.v1 import account_pb2 as pb
from yibao.account.v1 import account_pb2_grpc

from services.account.adapters.tables import accounts
from services.kernel.auth import Role
from services.kernel.clock import beijing_month
from services.kernel.db import create_engine
from tests.account.test_grpc import (
    assert_federation_balanced,
    assert_ledger_balanced,
    balances,
    funded,
    reserved,
)
from tests.cluster import id_number, serve_account
from tests.rpc import fails
from tests.tls import aio_channel

C = grpc.StatusCode
GX, BJ, GD = "450000", "110000", "440000"


@pytest.fixture
async def shards(new_database, region_target, tokens, clock):
    """Two account shards: 广西's (payer side) and 北京's (payee side)."""
    async with (
        serve_account(new_database(), region_target, tokens, clock) as gx,
        serve_account(new_database(), region_target, tokens, clock) as bj,
        aio_channel(gx.address) as gx_channel,
        aio_channel(bj.address) as bj_channel,
    ):
        yield (
            (gx, account_pb2_grpc.AccountServiceStub(gx_channel)),
            (bj, account_pb2_grpc.AccountServiceStub(bj_channel)),
        )


async def person(stub, as_province, name, region, kind, wallet_place=None, as_citizen=None):
    request = pb.RegisterPersonRequest(
        id_number=id_number(region), name=name, insurance_type=kind, insured_region=region
    )
    registered = (await stub.RegisterPerson(request, metadata=as_province(region[:2] + "0000"))).person
    if wallet_place:
        opened = pb.OpenWalletRequest(
            person_id=registered.id, place_of_use=wallet_place, mobile="13800138000"
        )
        await stub.OpenWallet(opened, metadata=as_citizen(registered.id))
    return registered


def hold(payer, payee, tid, amount=30_000, province=BJ):
    return pb.HoldTransferRequest(
        transfer_id=tid,
        payer_id=payer.id,
        payee_id=payee.id,
        source=pb.ACCOUNT_KIND_PERSONAL,
        amount_fen=amount,
        payee_province=province,
    )


def credit(payer, payee, tid, amount=30_000, province=GX):
    return pb.TransferCredit(
        transfer_id=tid, payer_id=payer.id, payer_province=province, payee_id=payee.id, amount_fen=amount
    )


async def statement(stub, as_service, month):
    """(own province, other province, owed to the other, booked, entries, balance) per line."""
    lines = (
        await stub.GetClearingStatement(pb.GetClearingStatementRequest(month=month), metadata=as_service)
    ).lines
    return [
        (x.own_province, x.province, x.owed_to_province, x.month_fen, x.month_count, x.balance_fen)
        for x in lines
    ]


async def clearing_keys(server) -> dict[str, int]:
    """The shard's clearing accounts as stored: system key -> balance."""
    engine = create_engine(server.database_url)
    try:
        async with engine.connect() as conn:
            query = select(accounts.c.system_key, accounts.c.balance).where(
                accounts.c.system_key.like("clearing-%")
            )
            return {key: int(balance) for key, balance in await conn.execute(query)}
    finally:
        await engine.dispose()


@pytest.fixture
async def parties(shards, as_province, as_citizen):
    (_, gx), (_, bj) = shards
    payer = await person(gx, as_province, "张伟", "450102", pb.INSURANCE_TYPE_EMPLOYEE, "450102", as_citizen)
    payee = await person(
        bj, as_province, "李秀英", "110101", pb.INSURANCE_TYPE_RESIDENT, "110101", as_citizen
    )
    await funded(gx, as_province, payer, 100_000)
    return payer, payee


async def test_r24_a_transfer_across_shards_moves_through_clearing_accounts_once(
    shards, parties, as_service, as_citizen, clock, bearer
):
    (gx_server, gx), (bj_server, bj) = shards
    payer, payee = parties

    held = (await gx.HoldTransfer(hold(payer, payee, "tr-x1"), metadata=as_service)).hold
    assert (held.status, held.payee_province) == (
        pb.HOLD_STATUS_PENDING,
        BJ,
    )  # the payee was not looked for here
    assert await balances(gx, as_citizen, payer) == (70_000, 0)

    # Leg 1, in the payer's shard, twice: reserved -> clearing-to:450000:110000, once.
    for _ in range(2):
        received = await gx.ReceiveTransfers(
            pb.ReceiveTransfersRequest(transfer_ids=["tr-x1"]), metadata=as_service
        )
        assert [h.status for h in received.holds] == [pb.HOLD_STATUS_RECEIVED]
    assert await reserved(gx, as_citizen, payer) == 0
    month = beijing_month(clock.now())
    assert await statement(gx, as_service, month) == [(GX, BJ, True, 30_000, 1, 30_000)]
    assert await clearing_keys(gx_server) == {"clearing-to:450000:110000": 30_000}
    late = await fails(gx.RefundTransfer(pb.RefundTransferRequest(transfer_id="tr-x1"), metadata=as_service))
    assert late.reason == "HOLD_ALREADY_RECEIVED"  # once leg 1 is done, no refund can take the money

    # Leg 2, in the payee's shard, twice: clearing-from:110000:450000 -> the wallet, once.
    for _ in range(2):
        answer = await bj.CreditTransfers(
            pb.CreditTransfersRequest(credits=[credit(payer, payee, "tr-x1")]), metadata=as_service
        )
        [outcome] = answer.outcomes
        assert not outcome.error_reason and outcome.credit.transfer_id == "tr-x1"
    assert await balances(bj, as_citizen, payee) == (0, 30_000)
    assert await statement(bj, as_service, month) == [(BJ, GX, False, 30_000, 1, -30_000)]
    assert await clearing_keys(bj_server) == {"clearing-from:110000:450000": -30_000}

    # The two ledgers, each balanced; together every fen funded is somewhere once.
    for server in (gx_server, bj_server):
        await assert_ledger_balanced(server)
    payer_total = sum(await balances(gx, as_citizen, payer)) + await reserved(gx, as_citizen, payer)
    clearing = sum(
        line[5] for line in await statement(gx, as_service, month) + await statement(bj, as_service, month)
    )
    assert payer_total + clearing + sum(await balances(bj, as_citizen, payee)) == 100_000
    clock.advance(days=40)
    assert await statement(gx, bearer(Role.SERVICE, "transfer"), beijing_month(clock.now())) == [
        (GX, BJ, True, 0, 0, 30_000)
    ]  # the month's own


async def test_r24_clearing_accounts_are_per_ordered_pair_of_provinces(
    shards, as_province, as_service, as_citizen, clock
):
    """A shard may keep persons of several provinces (广西's shard here keeps
    广东's too): each clearing account names its own province as well as the
    other, in both directions, so that a settlement tells which one owes."""
    (gx_server, gx), (bj_server, bj) = shards
    employee = pb.INSURANCE_TYPE_EMPLOYEE
    nanning = await person(gx, as_province, "张伟", "450102", employee, "450102", as_citizen)
    guangzhou = await person(gx, as_province, "陈静", "440104", employee, "440104", as_citizen)
    beijing = await person(bj, as_province, "李秀英", "110101", employee, "110101", as_citizen)
    for stub, payer in ((gx, nanning), (gx, guangzhou), (bj, beijing)):
        await funded(stub, as_province, payer, 100_000)
    moves = [  # (payer's shard, payee's shard, payer, payee, payee's province, payer's, transfer, fen)
        (gx, bj, nanning, beijing, BJ, GX, "tr-p1", 30_000),
        (gx, bj, guangzhou, beijing, BJ, GD, "tr-p2", 5_000),
        (gx, bj, guangzhou, beijing, BJ, GD, "tr-p3", 2_000),
        (bj, gx, beijing, nanning, GX, BJ, "tr-p4", 700),
        (bj, gx, beijing, guangzhou, GD, BJ, "tr-p5", 400),
    ]
    for payer_shard, payee_shard, payer, payee, payee_province, payer_province, tid, fen in moves:
        await payer_shard.HoldTransfer(hold(payer, payee, tid, fen, payee_province), metadata=as_service)
        received = await payer_shard.ReceiveTransfers(
            pb.ReceiveTransfersRequest(transfer_ids=[tid]), metadata=as_service
        )
        assert [h.status for h in received.holds] == [pb.HOLD_STATUS_RECEIVED]
        answer = await payee_shard.CreditTransfers(
            pb.CreditTransfersRequest(credits=[credit(payer, payee, tid, fen, payer_province)]),
            metadata=as_service,
        )
        assert [o.error_reason for o in answer.outcomes] == [""]

    month = beijing_month(clock.now())
    assert await statement(gx, as_service, month) == [
        (GD, BJ, True, 7_000, 2, 7_000),  # what 广东 owes 北京, apart from what 广西 owes
        (GX, BJ, True, 30_000, 1, 30_000),
        (GD, BJ, False, 400, 1, -400),  # credited to a 广东 payee, from 北京
        (GX, BJ, False, 700, 1, -700),
    ]
    assert await statement(bj, as_service, month) == [
        (BJ, GD, True, 400, 1, 400),
        (BJ, GX, True, 700, 1, 700),
        (BJ, GD, False, 7_000, 2, -7_000),
        (BJ, GX, False, 30_000, 1, -30_000),
    ]
    assert await clearing_keys(gx_server) == {
        "clearing-to:440000:110000": 7_000,
        "clearing-to:450000:110000": 30_000,
        "clearing-from:440000:110000": -400,
        "clearing-from:450000:110000": -700,
    }
    assert await clearing_keys(bj_server) == {
        "clearing-to:110000:440000": 400,
        "clearing-to:110000:450000": 700,
        "clearing-from:110000:440000": -7_000,
        "clearing-from:110000:450000": -30_000,
    }
    assert await balances(bj, as_citizen, beijing) == (100_000 - 1_100, 37_000)
    assert await balances(gx, as_citizen, guangzhou) == (100_000 - 7_000, 400)
    await assert_federation_balanced([gx_server, bj_server])


async def test_r24_a_credit_is_once_per_transfer_and_checked_against_its_content(
    shards, parties, as_service, as_citizen
):
    (_, _), (_, bj) = shards
    payer, payee = parties
    asked = [
        credit(payer, payee, "tr-c1", 500),
        credit(payer, payee, "tr-c2", 700),
        credit(payer, payee, "tr-c1", 500),  # a copy in the same batch: the same answer
        credit(payer, payee, "tr-c3", 100, province="45000"),
        credit(payer, pb.Person(id="00000000-0000-4000-8000-000000000000"), "tr-c4", 100),
    ]
    outcomes = (
        await bj.CreditTransfers(pb.CreditTransfersRequest(credits=asked), metadata=as_service)
    ).outcomes
    assert [o.error_reason for o in outcomes] == ["", "", "", "PROVINCE_INVALID", "PERSON_NOT_FOUND"]
    assert await balances(bj, as_citizen, payee) == (0, 1_200)
    other = await bj.CreditTransfers(
        pb.CreditTransfersRequest(credits=[credit(payer, payee, "tr-c1", 501)]), metadata=as_service
    )
    assert [(o.error_code, o.error_reason) for o in other.outcomes] == [
        (C.INVALID_ARGUMENT.value[0], "REQUEST_ID_REUSED")
    ]
    assert await balances(bj, as_citizen, payee) == (0, 1_200)


async def test_r24_a_hold_for_a_payee_elsewhere_still_checks_the_payer_and_refunds_home(
    shards, parties, as_service, as_citizen
):
    (gx_server, gx), _ = shards
    payer, payee = parties
    unknown = pb.Person(id="00000000-0000-4000-8000-000000000001")
    missing = await fails(gx.HoldTransfer(hold(unknown, payee, "tr-h0"), metadata=as_service))
    assert missing.reason == "PERSON_NOT_FOUND"
    bad = await fails(gx.HoldTransfer(hold(payer, payee, "tr-h0", province="11000"), metadata=as_service))
    assert bad.reason == "PROVINCE_INVALID"
    await gx.HoldTransfer(hold(payer, payee, "tr-h1"), metadata=as_service)
    other = await fails(gx.HoldTransfer(hold(payer, payee, "tr-h1", province="320000"), metadata=as_service))
    assert other.reason == "REQUEST_ID_REUSED"  # the same transfer id for another payee province
    refunded = await gx.RefundTransfers(
        pb.RefundTransfersRequest(transfer_ids=["tr-h1"]), metadata=as_service
    )
    assert [h.status for h in refunded.holds] == [pb.HOLD_STATUS_REFUNDED]
    assert await balances(gx, as_citizen, payer) == (100_000, 0)
    await assert_ledger_balanced(gx_server)


async def test_r20_only_services_credit_and_read_the_clearing(
    shards, parties, bearer, as_citizen, as_province
):
    from services.kernel.auth import Role

    (_, _), (_, bj) = shards
    payer, payee = parties
    request = pb.CreditTransfersRequest(credits=[credit(payer, payee, "tr-a1")])
    for caller in (as_citizen(payee.id), as_province(BJ), bearer(Role.ADMIN, "ops")):
        assert (await fails(bj.CreditTransfers(request, metadata=caller))).code is C.PERMISSION_DENIED
    read = pb.GetClearingStatementRequest(month="2026-03")
    assert (await bj.GetClearingStatement(read, metadata=bearer(Role.ADMIN, "ops"))).month == "2026-03"
    assert (await fails(bj.GetClearingStatement(read, metadata=as_province(BJ)))).code is C.PERMISSION_DENIED
    bad = await fails(
        bj.GetClearingStatement(
            pb.GetClearingStatementRequest(month="2026-13"), metadata=bearer(Role.ADMIN, "ops")
        )
    )
    assert (bad.code, bad.reason) == (C.INVALID_ARGUMENT, "MONTH_INVALID")
