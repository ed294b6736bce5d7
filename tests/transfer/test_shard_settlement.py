"""The monthly settlement (R19a) in a federated deployment (R24), checked
both ways: for provinces kept in two shards, what the payer's shard booked
to clearing-to:<payer>:<payee> is the statement's flow, and it equals what
the payee's shard booked from clearing-from:<payee>:<payer> once every
second leg is done; provinces kept in one shard (广西's shard keeps 广东
too here) settle from the transfers. On SQLite and PostgreSQL, with the
federation of test_shards.py.

The first test sends real transfers between the shards through the
transfer service. The others drive the two legs of a receipt through the
shards' own RPCs, as the saga would (HoldTransfer and ReceiveTransfers in
the payer's shard, CreditTransfers in the payee's), to stop between them
and to put a shard's provinces on both sides of a pair."""

from __future__ import annotations

import grpc
from yibao.account.v1 import account_pb2 as apb
from yibao.region.v1 import region_pb2 as rpb
from yibao.region.v1 import region_pb2_grpc
from yibao.transfer.v1 import transfer_pb2 as pb

from services.kernel.auth import Role
from services.kernel.clock import beijing_month
from tests.account.test_grpc import assert_federation_balanced
from tests.cluster import id_number
from tests.rpc import fails
from tests.tls import aio_channel
from tests.transfer import test_shards
from tests.transfer.helpers import PASSWORD, Member
from tests.transfer.test_shards import Shard, receive, submit

C = grpc.StatusCode
GX, BJ, GD = "450000", "110000", "440000"

federation = (
    test_shards.federation
)  # the fixture: 广西's and 北京's shards, the index, the routing transfer service


async def also_keeps(world, shard: Shard, province: str) -> None:
    """The shard owns another province too (the map only gains provinces)."""
    async with aio_channel(world.region_target) as channel:
        put = rpb.PutAccountShardRequest(
            account_shard=rpb.AccountShard(
                name=shard.name, target=shard.server.address, provinces=[shard.province, province]
            )
        )
        await region_pb2_grpc.RegionServiceStub(channel).PutAccountShard(
            put, metadata=world.bearer(Role.ADMIN, "ops")
        )


async def member(world, shard: Shard, name: str, region: str, funding: int = 0) -> Member:
    """A person of ``region``'s province kept in ``shard``, with a wallet,
    registered (and funded) by their province's platform."""
    number, platform = id_number(region), world.bearer(Role.PROVINCE, "p", province=region[:2] + "0000")
    request = apb.RegisterPersonRequest(
        id_number=number, name=name, insurance_type=apb.INSURANCE_TYPE_EMPLOYEE, insured_region=region
    )
    person = (await shard.stub.RegisterPerson(request, metadata=platform)).person
    me = world.bearer(Role.CITIZEN, person.id, person_id=person.id)
    opened = apb.OpenWalletRequest(person_id=person.id, place_of_use=region, mobile="13800138000")
    await shard.stub.OpenWallet(opened, metadata=me)
    await shard.stub.SetPassword(
        apb.SetPasswordRequest(person_id=person.id, new_password=PASSWORD), metadata=me
    )
    if funding:
        fund = apb.FundPersonalAccountRequest(
            person_id=person.id, amount_fen=funding, reference=f"f-{person.id}", period="2026-03"
        )
        await shard.stub.FundPersonalAccount(fund, metadata=platform)
    return Member(person.id, name, number, region)


async def first_leg(world, payer_shard: Shard, payer: Member, payee: Member, tid: str, fen: int) -> None:
    """The hold and the first leg of a receipt, in the payer's shard."""
    service = world.bearer(Role.SERVICE, "transfer")
    held = apb.HoldTransferRequest(
        transfer_id=tid,
        payer_id=payer.id,
        payee_id=payee.id,
        source=apb.ACCOUNT_KIND_PERSONAL,
        amount_fen=fen,
        payee_province=payee.region[:2] + "0000",
    )
    await payer_shard.stub.HoldTransfer(held, metadata=service)
    received = await payer_shard.stub.ReceiveTransfers(
        apb.ReceiveTransfersRequest(transfer_ids=[tid]), metadata=service
    )
    assert [h.status for h in received.holds] == [apb.HOLD_STATUS_RECEIVED]


async def second_leg(world, payee_shard: Shard, payer: Member, payee: Member, tid: str, fen: int) -> None:
    """The second leg, in the payee's shard."""
    credit = apb.TransferCredit(
        transfer_id=tid,
        payer_id=payer.id,
        payer_province=payer.region[:2] + "0000",
        payee_id=payee.id,
        amount_fen=fen,
    )
    answer = await payee_shard.stub.CreditTransfers(
        apb.CreditTransfersRequest(credits=[credit]), metadata=world.bearer(Role.SERVICE, "transfer")
    )
    assert [o.error_reason for o in answer.outcomes] == [""]


async def both_legs(world, payer_shard, payee_shard, payer, payee, tid, fen) -> None:
    await first_leg(world, payer_shard, payer, payee, tid, fen)
    await second_leg(world, payee_shard, payer, payee, tid, fen)


async def statement(world, month: str, who=None):
    """(flows as (from, to, count, owed, credited), positions, total)."""
    s = await world.transfers.GetSettlementStatement(
        pb.GetSettlementStatementRequest(month=month), metadata=who or world.bearer(Role.ADMIN, "ops")
    )
    flows = [(f.from_province, f.to_province, f.count, f.amount_fen, f.credited_fen) for f in s.flows]
    return flows, {p.province: p.net_fen for p in s.positions}, s.total_fen


async def clearing(world, month: str):
    """Every shard's clearing statement, by ordered pair (payer province,
    payee province): what the payers' shards booked to clearing-to (fen,
    entries), and what the payees' shards booked from clearing-from."""
    owed, credited = {}, {}
    for shard in world.shards.values():
        answer = await shard.stub.GetClearingStatement(
            apb.GetClearingStatementRequest(month=month), metadata=world.bearer(Role.SERVICE, "test")
        )
        for x in answer.lines:
            if x.owed_to_province:
                owed[(x.own_province, x.province)] = (x.month_fen, x.month_count)
            else:
                credited[(x.province, x.own_province)] = x.month_fen
    return owed, credited


def across_shards(flows):
    """The flows between provinces of two shards (广西 and 广东 are one shard's)."""
    return {(a, b): (n, owed, credited) for a, b, n, owed, credited in flows if {a, b} != {GX, GD}}


async def test_r19a_settlement_of_transfers_between_shards_equals_their_clearing_accounts(federation):
    """Transfers through the transfer service, two one way and one the
    other: the statement's flows, the payers' clearing-to and the payees'
    clearing-from all equal the sums of the received transfers per pair."""
    world = federation
    gx, bj = world.shards["gx"], world.shards["bj"]
    month = beijing_month(world.clock.now())
    received: dict[tuple[str, str], list[int]] = {}
    for payer_shard, region, payee_shard, payee_region, amounts in (
        (gx, "450102", bj, "110101", (30_000, 12_345)),
        (bj, "110101", gx, "450102", (20_000,)),
    ):
        payer, payee = await world.family(payer_shard, region, payee_shard, payee_region)
        for fen in amounts:
            t = await submit(world, payer, payee, amount=fen)
            assert (await receive(world, payee, t.id)).status == pb.TRANSFER_STATUS_RECEIVED
            received.setdefault((payer_shard.province, payee_shard.province), []).append(fen)

    flows, positions, total = await statement(world, month)
    expected = {pair: (len(fens), sum(fens), sum(fens)) for pair, fens in received.items()}
    assert {(a, b): (n, owed, credited) for a, b, n, owed, credited in flows} == expected
    owed, credited = await clearing(world, month)
    assert owed == {pair: (sum(fens), len(fens)) for pair, fens in received.items()}
    assert credited == {pair: sum(fens) for pair, fens in received.items()}
    assert positions == {BJ: 42_345 - 20_000, GX: 20_000 - 42_345} and total == 62_345
    await assert_federation_balanced([gx.server, bj.server])


async def test_r19a_federated_settlement_is_the_clearing_accounts_both_ways(federation):
    world = federation
    gx, bj = world.shards["gx"], world.shards["bj"]
    await also_keeps(world, gx, GD)  # 广西's shard keeps 广东 too: no clearing between the two
    nanning = await member(world, gx, "张伟", "450102", funding=100_000)
    guangzhou = await member(world, gx, "陈静", "440104")
    beijing = await member(world, bj, "李秀英", "110101", funding=100_000)
    month = beijing_month(world.clock.now())

    # Within one shard, across provinces: through the transfer service, as in one account service.
    await world.attest(gx, nanning, guangzhou)
    t = await submit(world, nanning, guangzhou, amount=8_000)
    assert (await receive(world, guangzhou, t.id)).status == pb.TRANSFER_STATUS_RECEIVED
    # Across shards: both legs, in both directions, and to and from 广东 in 广西's shard.
    await both_legs(world, gx, bj, nanning, beijing, "x-1", 30_000)
    await both_legs(world, gx, bj, nanning, beijing, "x-2", 12_000)
    await both_legs(world, bj, gx, beijing, guangzhou, "x-3", 5_000)
    await both_legs(world, bj, gx, beijing, nanning, "x-4", 700)

    flows, positions, total = await statement(world, month)
    assert flows == [
        (BJ, GD, 1, 5_000, 5_000),
        (BJ, GX, 1, 700, 700),
        (GX, BJ, 2, 42_000, 42_000),
        (GX, GD, 1, 8_000, 8_000),  # from the transfers: 广西 and 广东 are one shard's
    ]
    assert positions == {BJ: 36_300, GD: 13_000, GX: -49_300} and total == 55_700
    owed, credited = await clearing(world, month)
    assert (GX, GD) not in owed and (GX, GD) not in credited  # one shard's provinces never clear
    assert {pair: (fen, n) for pair, (n, fen, _) in across_shards(flows).items()} == owed
    assert {pair: fen for pair, (_, _, fen) in across_shards(flows).items()} == credited
    await assert_federation_balanced([gx.server, bj.server])

    # Between the two legs: owed is the payer side's (leg 1 is final), credited the payee side's.
    await first_leg(world, gx, nanning, beijing, "x-5", 3_000)
    flows, positions, total = await statement(world, month)
    assert (GX, BJ, 3, 45_000, 42_000) in flows
    assert positions == {BJ: 39_300, GD: 13_000, GX: -52_300} and total == 58_700
    owed, credited = await clearing(world, month)
    assert (owed[(GX, BJ)], credited[(GX, BJ)]) == ((45_000, 3), 42_000)
    await second_leg(world, bj, nanning, beijing, "x-5", 3_000)
    flows, _, _ = await statement(world, month)
    assert (GX, BJ, 3, 45_000, 45_000) in flows
    owed, credited = await clearing(world, month)
    assert owed[(GX, BJ)] == (45_000, 3) and credited[(GX, BJ)] == 45_000
    await assert_federation_balanced([gx.server, bj.server])

    # A platform sees its province's rows and its own position.
    mine, positions, total = await statement(world, month, world.bearer(Role.PROVINCE, "gd", province=GD))
    assert mine == [(BJ, GD, 1, 5_000, 5_000), (GX, GD, 1, 8_000, 8_000)]
    assert positions == {GD: 13_000} and total == 13_000

    # The two legs of one receipt in two months: owed in the first, credited in the second.
    await first_leg(world, gx, nanning, beijing, "x-6", 1_000)
    world.clock.advance(days=40)
    await second_leg(world, bj, nanning, beijing, "x-6", 1_000)
    assert (GX, BJ, 4, 46_000, 45_000) in (await statement(world, month))[0]
    nothing_owed = ([(GX, BJ, 0, 0, 1_000)], {BJ: 0, GX: 0}, 0)
    assert await statement(world, beijing_month(world.clock.now())) == nothing_owed
    await assert_federation_balanced([gx.server, bj.server])


async def test_r19a_federated_settlement_fails_naming_a_shard_that_is_down(federation):
    world = federation
    gx, bj = world.shards["gx"], world.shards["bj"]
    nanning = await member(world, gx, "张伟", "450102", funding=100_000)
    beijing = await member(world, bj, "李秀英", "110101")
    await both_legs(world, gx, bj, nanning, beijing, "x-1", 30_000)
    month = beijing_month(world.clock.now())
    assert (await statement(world, month))[0] == [(GX, BJ, 1, 30_000, 30_000)]

    await bj.server.stop(0)  # 北京's shard goes down: no statement from 广西's side alone
    down = await fails(
        world.transfers.GetSettlementStatement(
            pb.GetSettlementStatementRequest(month=month), metadata=world.bearer(Role.ADMIN, "ops")
        )
    )
    assert (down.code, down.metadata.get("service")) == (C.UNAVAILABLE, "account:bj"), down

    await world.start_shard(Shard("bj", BJ, bj.url))  # back, on another port
    assert await statement(world, month) == ([(GX, BJ, 1, 30_000, 30_000)], {BJ: 30_000, GX: -30_000}, 30_000)
