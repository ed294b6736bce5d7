"""Provinces as shards (R24), through the transfer service: two account
shards (广西's and 北京's), each on a database of its own, the national
person index, the shard map in the region service, and the transfer service
routing every account call by it — on SQLite and PostgreSQL. Transfers
within each shard go through; with one shard stopped, transfers within the
other go on and those that need the stopped one fail fast with UNAVAILABLE
naming it; when it returns (elsewhere: its target changed in the map),
what was pending there is received."""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass

import grpc
import pytest
from yibao.account.v1 import account_pb2 as apb
from yibao.account.v1 import account_pb2_grpc
from yibao.region.v1 import region_pb2 as rpb
from yibao.region.v1 import region_pb2_grpc
from yibao.transfer.v1 import transfer_pb2 as pb
from yibao.transfer.v1 import transfer_pb2_grpc
from yibao.type.v1 import relation_pb2, verification_pb2

from services.kernel.auth import Role
from services.kernel.migrations import upgrade
from services.transfer.bootstrap import bootstrap as start_transfer
from services.transfer.settings import TransferSettings
from tests import tls
from tests.account.test_grpc import assert_federation_balanced, assert_ledger_balanced
from tests.cluster import id_number, serve_account, serve_index
from tests.rpc import failure
from tests.tls import aio_channel
from tests.transfer.helpers import PASSWORD, Member, submit_request

C = grpc.StatusCode


@dataclass
class Shard:
    name: str
    province: str
    url: str
    server: object = None
    stub: account_pb2_grpc.AccountServiceStub | None = None


class Federation:
    """The pieces, started and stopped by the test."""

    def __init__(self, region_target, index, tokens, clock, bearer, stack: contextlib.AsyncExitStack):
        self.region_target, self.index, self.tokens, self.clock = region_target, index, tokens, clock
        self.bearer, self.stack = bearer, stack
        self.shards: dict[str, Shard] = {}

    async def start_shard(self, shard: Shard) -> None:
        """Starts (or starts again) a shard's account service and puts its target in the map."""
        shard.server = await self.stack.enter_async_context(
            serve_account(
                shard.url,
                self.region_target,
                self.tokens,
                self.clock,
                index_target=self.index.address,
                shard=shard.name,
                shard_map_seconds=0.0,  # the test moves a shard: read the map on every call
            )
        )
        shard.stub = account_pb2_grpc.AccountServiceStub(
            await self.stack.enter_async_context(aio_channel(shard.server.address))
        )
        async with aio_channel(self.region_target) as channel:
            put = rpb.PutAccountShardRequest(
                account_shard=rpb.AccountShard(
                    name=shard.name, target=shard.server.address, provinces=[shard.province]
                )
            )
            await region_pb2_grpc.RegionServiceStub(channel).PutAccountShard(
                put, metadata=self.bearer(Role.ADMIN, "ops")
            )
        self.shards[shard.name] = shard

    async def member(self, shard: Shard, name, region, kind=apb.INSURANCE_TYPE_EMPLOYEE, funding=0) -> Member:
        number, province = id_number(region), self.bearer(Role.PROVINCE, "p", province=shard.province)
        request = apb.RegisterPersonRequest(
            id_number=number, name=name, insurance_type=kind, insured_region=region
        )
        person = (await shard.stub.RegisterPerson(request, metadata=province)).person
        me = self.bearer(Role.CITIZEN, person.id, person_id=person.id)
        await shard.stub.OpenWallet(
            apb.OpenWalletRequest(person_id=person.id, place_of_use=region, mobile="13800138000"), metadata=me
        )
        await shard.stub.SetPassword(
            apb.SetPasswordRequest(person_id=person.id, new_password=PASSWORD), metadata=me
        )
        if funding:
            fund = apb.FundPersonalAccountRequest(
                person_id=person.id, amount_fen=funding, reference=f"f-{person.id}", period="2026-03"
            )
            await shard.stub.FundPersonalAccount(fund, metadata=province)
        return Member(person.id, name, number, region)

    async def family(
        self, shard: Shard, region: str, payee_shard=None, payee_region=""
    ) -> tuple[Member, Member]:
        """A funded payer in ``shard`` and their parent, kept in ``payee_shard`` (the same by default)."""
        payer = await self.member(shard, "张伟", region, funding=100_000)
        payee = await self.member(
            payee_shard or shard, "李秀英", payee_region or region, kind=apb.INSURANCE_TYPE_RESIDENT
        )
        await self.attest(shard, payer, payee)
        return payer, payee

    async def attest(
        self, shard: Shard, person: Member, relative: Member, kind=relation_pb2.RELATION_KIND_PARENT
    ):
        """As the platform of the person's province, at their shard."""
        request = apb.AttestRelationRequest(person_id=person.id, relative_id=relative.id, kind=kind)
        province = self.bearer(Role.PROVINCE, "p", province=shard.province)
        return await shard.stub.AttestRelation(request, metadata=province)

    async def relatives(self, shard: Shard, person: Member) -> dict[str, int]:
        request = apb.ListRelationsRequest(person_id=person.id)
        answer = await shard.stub.ListRelations(request, metadata=self.bearer(Role.SERVICE, "test"))
        return {r.relative_id: r.kind for r in answer.relations}

    async def wallet(self, shard: Shard, person: Member) -> int:
        balances = await shard.stub.GetBalances(
            apb.GetBalancesRequest(person_id=person.id), metadata=self.bearer(Role.SERVICE, "test")
        )
        return balances.wallet_fen


@pytest.fixture
async def federation(new_database, region_target, tokens, clock, bearer):
    async with contextlib.AsyncExitStack() as stack:
        index = await stack.enter_async_context(serve_index(new_database(), tokens, clock))
        world = Federation(region_target, index, tokens, clock, bearer, stack)
        for shard in (Shard("gx", "450000", new_database()), Shard("bj", "110000", new_database())):
            await world.start_shard(shard)
        url = new_database()
        upgrade("transfer", url)
        settings = TransferSettings(
            url,
            world.shards["gx"].server.address,  # not used: every call is routed by the map
            region_target,
            worker_interval=0.05,
            reconcile_interval=0,
            tls=tls.SERVICE,
            index_target=index.address,
            shard_map_seconds=0.0,  # the test moves a shard: read the map on every call
        )
        transfer = await start_transfer(settings, tokens, clock)
        stack.push_async_callback(transfer.stop, 0)
        world.transfers = transfer_pb2_grpc.TransferServiceStub(
            await stack.enter_async_context(aio_channel(transfer.address))
        )
        yield world


async def submit(world, payer, payee, amount=30_000, **kw):
    token = world.bearer(Role.CITIZEN, payer.id, person_id=payer.id)
    request = submit_request(payer, payee, amount=amount, **kw)
    return (await world.transfers.SubmitTransfer(request, metadata=token)).transfer


async def receive(world, payee, transfer_id):
    token = world.bearer(Role.CITIZEN, payee.id, person_id=payee.id)
    request = pb.ReceiveTransferRequest(id=transfer_id)
    return (await world.transfers.ReceiveTransfer(request, metadata=token)).transfer


async def test_r24_transfers_within_each_shard_go_through_the_routing(federation):
    world = federation
    gx, bj = world.shards["gx"], world.shards["bj"]
    for shard, region in ((gx, "450102"), (bj, "110101")):
        payer, payee = await world.family(shard, region)
        t = await submit(world, payer, payee)
        assert t.status == pb.TRANSFER_STATUS_PENDING_RECEIPT
        assert (await receive(world, payee, t.id)).status == pb.TRANSFER_STATUS_RECEIVED
        assert await world.wallet(shard, payee) == 30_000
        await assert_ledger_balanced(shard.server)


async def test_r24_one_shard_down_stops_only_its_own_transfers(federation):
    world = federation
    gx, bj = world.shards["gx"], world.shards["bj"]
    gx_payer, gx_payee = await world.family(gx, "450102")
    bj_payer, bj_payee = await world.family(bj, "110101")
    waiting = await submit(world, bj_payer, bj_payee)  # pending in 北京's shard

    await bj.server.stop(0)  # 北京's shard goes down
    t = await submit(world, gx_payer, gx_payee)  # 广西 goes on
    assert (await receive(world, gx_payee, t.id)).status == pb.TRANSFER_STATUS_RECEIVED
    with pytest.raises(grpc.aio.AioRpcError) as down:
        await receive(world, bj_payee, waiting.id)
    refused = failure(down.value)
    assert refused.code is C.UNAVAILABLE and refused.metadata.get("service") == "account:bj", refused

    await world.start_shard(Shard("bj", "110000", bj.url))  # back, on another port: the map says where
    bj = world.shards["bj"]
    assert (await receive(world, bj_payee, waiting.id)).status == pb.TRANSFER_STATUS_RECEIVED
    assert await world.wallet(bj, bj_payee) == 30_000
    await assert_ledger_balanced(bj.server)


async def test_r24_transfers_between_two_shards_in_each_direction(federation):
    """A relation attested across shards is kept on both sides; the gates in
    the payer's shard find the payee in the other; the money crosses by the
    clearing accounts, and the shards together stay balanced."""
    world = federation
    gx, bj = world.shards["gx"], world.shards["bj"]
    for payer_shard, region, payee_shard, payee_region in (
        (gx, "450102", bj, "110101"),
        (bj, "110101", gx, "450102"),
    ):
        payer, payee = await world.family(payer_shard, region, payee_shard, payee_region)
        assert await world.relatives(payer_shard, payer) == {payee.id: relation_pb2.RELATION_KIND_PARENT}
        assert await world.relatives(payee_shard, payee) == {payer.id: relation_pb2.RELATION_KIND_CHILD}
        again = await world.attest(payer_shard, payer, payee)  # idempotent, both sides
        assert again.relation.relative_name == "李秀英" and again.inverse.relative_name == "张伟"

        t = await submit(world, payer, payee)
        assert t.status == pb.TRANSFER_STATUS_PENDING_RECEIPT
        assert (await receive(world, payee, t.id)).status == pb.TRANSFER_STATUS_RECEIVED
        assert await world.wallet(payee_shard, payee) == 30_000
    await assert_federation_balanced([gx.server, bj.server])


async def test_r24_a_payee_in_another_shard_is_found_only_by_id_number_and_name(federation):
    world = federation
    gx, bj = world.shards["gx"], world.shards["bj"]
    payer, payee = await world.family(gx, "450102", bj, "110101")
    with pytest.raises(grpc.aio.AioRpcError) as wrong:
        await submit(world, payer, Member(payee.id, "王五", payee.id_number, payee.region))
    assert failure(wrong.value).reason == "PAYEE_NOT_FOUND"
    stranger = await world.member(bj, "赵六", "110101", kind=apb.INSURANCE_TYPE_RESIDENT)
    with pytest.raises(grpc.aio.AioRpcError) as unrelated:  # found, but no relation: the gate refuses
        await submit(world, payer, stranger)
    assert failure(unrelated.value).code is C.FAILED_PRECONDITION


async def test_r24_a_relation_across_shards_lapses_on_both_sides(federation):
    """The payee's insurance ends in their shard: the lapse reaches the
    payer's shard through the feed, and the transfer pending to them is
    refunded there (R8)."""
    world = federation
    gx, bj = world.shards["gx"], world.shards["bj"]
    payer, payee = await world.family(bj, "110101", gx, "450102")
    t = await submit(world, payer, payee)
    end = apb.UpdateInsuranceRequest(person_id=payee.id, insurance_status=apb.INSURANCE_STATUS_ENDED)
    await gx.stub.UpdateInsurance(end, metadata=world.bearer(Role.PROVINCE, "p", province=gx.province))

    token = world.bearer(Role.CITIZEN, payer.id, person_id=payer.id)
    for _ in range(200):  # the worker follows the feeds every 0.05 s
        seen = await world.transfers.GetTransfer(pb.GetTransferRequest(id=t.id), metadata=token)
        if seen.transfer.status == pb.TRANSFER_STATUS_REFUNDED:
            break
        await asyncio.sleep(0.05)
    assert seen.transfer.status == pb.TRANSFER_STATUS_REFUNDED
    assert seen.transfer.refund_reason == pb.REFUND_REASON_RELATION_LAPSED
    assert await world.relatives(bj, payer) == {}  # lapsed in the payer's shard too
    assert await world.relatives(gx, payee) == {}
    await assert_federation_balanced([gx.server, bj.server])


async def test_r24_the_shard_to_shard_calls_refuse_a_person_kept_here(federation):
    """LinkRelation and LapseRelations are for persons kept in other shards:
    one kept here changes only through their own platform's calls (a lapse
    spread to the shard a person just moved to lapses nothing)."""
    world = federation
    gx = world.shards["gx"]
    payer, payee = await world.family(gx, "450102")
    service = world.bearer(Role.SERVICE, "transfer")
    lapse = await gx.stub.LapseRelations(apb.LapseRelationsRequest(person_id=payee.id), metadata=service)
    assert lapse.lapsed == 0
    kept = (await gx.stub.GetPerson(apb.GetPersonRequest(person_id=payee.id), metadata=service)).person
    stranger = await world.member(gx, "赵六", "450102", kind=apb.INSURANCE_TYPE_RESIDENT)
    link = apb.LinkRelationRequest(
        person_id=stranger.id, relative=kept, kind=relation_pb2.RELATION_KIND_PARENT
    )
    with pytest.raises(grpc.aio.AioRpcError) as linked:
        await gx.stub.LinkRelation(link, metadata=service)
    assert failure(linked.value).reason == "PERSON_KEPT_HERE"
    assert await world.relatives(gx, payer) == {payee.id: relation_pb2.RELATION_KIND_PARENT}
    assert await world.relatives(gx, stranger) == {}


async def _refunded(world, payer, transfer_id):
    token = world.bearer(Role.CITIZEN, payer.id, person_id=payer.id)
    for _ in range(200):  # the worker follows the feeds every 0.05 s
        seen = (
            await world.transfers.GetTransfer(pb.GetTransferRequest(id=transfer_id), metadata=token)
        ).transfer
        if seen.status == pb.TRANSFER_STATUS_REFUNDED:
            break
        await asyncio.sleep(0.05)
    return seen


async def test_r24_a_person_moving_province_takes_their_balances_to_the_other_shard(federation):
    """医保关系转移接续: 李秀英 moves from 广西 to 北京. Her wallet moves with its
    balance and her password; her relation lapses (the transfer pending to
    her is refunded); the index sends calls about her to 北京's shard; her
    record in 广西's is ended; asking again changes nothing."""
    world = federation
    gx, bj = world.shards["gx"], world.shards["bj"]
    payer, payee = await world.family(gx, "450102")
    received = await submit(world, payer, payee)
    await receive(world, payee, received.id)
    pending = await submit(world, payer, payee, amount=20_000)
    platform = world.bearer(Role.PROVINCE, "p", province=gx.province)
    service = world.bearer(Role.SERVICE, "test")

    with pytest.raises(grpc.aio.AioRpcError) as busy:  # his own transfer pending: he does not move yet
        move = apb.UpdateInsuranceRequest(person_id=payer.id, insured_region="110101")
        await gx.stub.UpdateInsurance(move, metadata=platform)
    assert failure(busy.value).reason == "TRANSFERS_PENDING"

    move = apb.UpdateInsuranceRequest(person_id=payee.id, insured_region="110105")
    moved = await gx.stub.UpdateInsurance(move, metadata=platform)
    assert (
        moved.person.insured_region == "110105"
        and moved.person.insurance_status == apb.INSURANCE_STATUS_ACTIVE
    )
    assert moved.lapsed_relations == 1
    assert await world.wallet(bj, payee) == 30_000
    kept = await bj.stub.GetPerson(apb.GetPersonRequest(person_id=payee.id), metadata=service)
    assert kept.person.insured_region == "110105"
    left = await gx.stub.GetPerson(apb.GetPersonRequest(person_id=payee.id), metadata=service)
    assert left.person.insurance_status == apb.INSURANCE_STATUS_ENDED
    assert (
        await gx.stub.GetBalances(apb.GetBalancesRequest(person_id=payee.id), metadata=service)
    ).wallet_fen == 0
    verify = apb.VerifyCredentialRequest(
        person_id=payee.id,
        purpose=apb.VERIFICATION_PURPOSE_PAYMENT,
        verification=verification_pb2.Verification(password=PASSWORD),
    )
    assert (
        await bj.stub.VerifyCredential(verify, metadata=service)
    ).attempts_left == 5  # her password came along

    refunded = await _refunded(world, payer, pending.id)
    assert refunded.status == pb.TRANSFER_STATUS_REFUNDED
    assert refunded.refund_reason == pb.REFUND_REASON_RELATION_LAPSED

    again = await gx.stub.UpdateInsurance(move, metadata=platform)  # asked again: nothing moves twice
    assert again.person.insured_region == "110105"
    assert await world.wallet(bj, payee) == 30_000
    await assert_federation_balanced([gx.server, bj.server])


async def test_r24_a_wallet_kept_in_one_shard_pays_at_an_institution_of_its_place_of_use_in_another_province(
    federation,
):
    """李秀英 is insured in 北京 (北京's shard keeps her) and uses her wallet in
    南宁: a 南宁 hospital charges it at her shard, which posts the payment
    to the hospital's account there (R11 across provinces)."""
    world = federation
    gx, bj = world.shards["gx"], world.shards["bj"]
    payer, payee = await world.family(gx, "450102", bj, "110101")
    t = await submit(world, payer, payee)
    await receive(world, payee, t.id)
    me = world.bearer(Role.CITIZEN, payee.id, person_id=payee.id)
    await bj.stub.ChangePlaceOfUse(
        apb.ChangePlaceOfUseRequest(person_id=payee.id, place_of_use="450103"), metadata=me
    )
    hospital = world.bearer(Role.INSTITUTION, "H45010300001", institution="H45010300001")
    charge = apb.ChargeWalletRequest(
        institution_code="H45010300001",
        order_number="ORD-GX-1",
        person_id=payee.id,
        amount_fen=12_345,
        verification=verification_pb2.Verification(password=PASSWORD),
    )
    paid = await bj.stub.ChargeWallet(charge, metadata=hospital)
    assert paid.payment.amount_fen == 12_345
    assert await world.wallet(bj, payee) == 30_000 - 12_345
    with pytest.raises(grpc.aio.AioRpcError) as elsewhere:  # 广西's shard does not keep her wallet
        await gx.stub.ChargeWallet(charge, metadata=hospital)
    assert failure(elsewhere.value).code is C.FAILED_PRECONDITION
    await assert_federation_balanced([gx.server, bj.server])


async def test_r24_a_wallet_pays_the_long_term_care_bill_of_a_relative_kept_in_another_shard(federation):
    """R12a across shards: 李秀英 (广西's shard) pays her son's long-term-care
    bill, issued by 北京's platform in 北京's shard. The amount leaves her
    wallet for dues-out in 广西's shard; 北京's shard marks the bill paid
    (its platform is told) from dues-in; paying again changes nothing, and
    a bill paid by someone else is refused before any money moves."""
    world = federation
    gx, bj = world.shards["gx"], world.shards["bj"]
    son, mother = await world.family(bj, "110101", gx, "450102")
    t = await submit(world, son, mother)
    await receive(world, mother, t.id)  # ¥300.00 in her wallet, in 广西's shard
    bj_platform = world.bearer(Role.PROVINCE, "p", province=bj.province)
    issue = apb.IssueContributionBillRequest(
        person_id=son.id, kind=apb.CONTRIBUTION_KIND_LONG_TERM_CARE, year=2026, amount_fen=12_000
    )
    await bj.stub.IssueContributionBill(issue, metadata=bj_platform)
    pay = apb.PayContributionRequest(
        payer_id=mother.id,
        beneficiary_id=son.id,
        kind=apb.CONTRIBUTION_KIND_LONG_TERM_CARE,
        year=2026,
        verification=verification_pb2.Verification(password=PASSWORD),
    )
    her = world.bearer(Role.CITIZEN, mother.id, person_id=mother.id)
    await gx.stub.PayContribution(pay, metadata=her)
    await gx.stub.PayContribution(pay, metadata=her)  # again: nothing moves twice
    assert await world.wallet(gx, mother) == 30_000 - 12_000
    service = world.bearer(Role.SERVICE, "test")
    bills = await bj.stub.ListContributionBills(
        apb.ListContributionBillsRequest(person_id=son.id), metadata=service
    )
    assert [(b.year, b.amount_fen, b.paid_by) for b in bills.bills] == [(2026, 12_000, mother.id)]
    events = await bj.stub.ListBillEvents(
        apb.ListBillEventsRequest(province=bj.province), metadata=bj_platform
    )
    assert [e.type for e in events.events] == [apb.BILL_EVENT_TYPE_ISSUED, apb.BILL_EVENT_TYPE_PAID]
    await assert_federation_balanced([gx.server, bj.server])

    issue.year = pay.year = 2027
    await bj.stub.IssueContributionBill(issue, metadata=bj_platform)
    sister = await world.member(bj, "张丽", "110101", funding=0)
    await world.attest(bj, sister, son, relation_pb2.RELATION_KIND_SIBLING)
    t = await submit(world, son, sister, amount=20_000, relation=relation_pb2.RELATION_KIND_SIBLING)
    await receive(world, sister, t.id)
    first = apb.PayContributionRequest()
    first.CopyFrom(pay)
    first.payer_id = sister.id
    await bj.stub.PayContribution(first, metadata=world.bearer(Role.CITIZEN, sister.id, person_id=sister.id))
    with pytest.raises(grpc.aio.AioRpcError) as paid:  # paid within 北京's shard first
        await gx.stub.PayContribution(pay, metadata=her)
    assert failure(paid.value).reason == "CONTRIBUTION_ALREADY_PAID"
    assert await world.wallet(gx, mother) == 30_000 - 12_000
    await assert_federation_balanced([gx.server, bj.server])


async def test_r24_a_bill_paid_by_someone_else_while_the_amount_was_on_its_way_goes_back_to_the_wallet(
    federation,
):
    """Two relatives in two shards pay one bill at the same moment: 李秀英's
    shard reads it unpaid and sends her amount out to dues-out, but her son's
    sister pays it in 北京's shard first. 北京's shard refuses the second
    payment; her amount comes back to her wallet (CONTRIBUTION_RETURN) and
    her call is refused CONTRIBUTION_ALREADY_PAID."""
    world = federation
    gx, bj = world.shards["gx"], world.shards["bj"]
    son, mother = await world.family(bj, "110101", gx, "450102")
    t = await submit(world, son, mother)
    await receive(world, mother, t.id)
    sister = await world.member(bj, "张丽", "110101")
    await world.attest(bj, sister, son, relation_pb2.RELATION_KIND_SIBLING)
    t = await submit(world, son, sister, amount=20_000, relation=relation_pb2.RELATION_KIND_SIBLING)
    await receive(world, sister, t.id)
    bj_platform = world.bearer(Role.PROVINCE, "p", province=bj.province)
    issue = apb.IssueContributionBillRequest(
        person_id=son.id, kind=apb.CONTRIBUTION_KIND_LONG_TERM_CARE, year=2026, amount_fen=12_000
    )
    await bj.stub.IssueContributionBill(issue, metadata=bj_platform)

    def pay(payer):
        return apb.PayContributionRequest(
            payer_id=payer.id,
            beneficiary_id=son.id,
            kind=apb.CONTRIBUTION_KIND_LONG_TERM_CARE,
            year=2026,
            verification=verification_pb2.Verification(password=PASSWORD),
        )

    peers = gx.server.components["peers"]
    read_bill = peers.bill

    async def read_then_sister_pays(*args):  # between 广西's read of the bill and its collection
        bill = await read_bill(*args)
        token = world.bearer(Role.CITIZEN, sister.id, person_id=sister.id)
        await bj.stub.PayContribution(pay(sister), metadata=token)
        return bill

    peers.bill = read_then_sister_pays
    with pytest.raises(grpc.aio.AioRpcError) as paid:
        await gx.stub.PayContribution(
            pay(mother), metadata=world.bearer(Role.CITIZEN, mother.id, person_id=mother.id)
        )
    assert failure(paid.value).reason == "CONTRIBUTION_ALREADY_PAID"
    assert await world.wallet(gx, mother) == 30_000  # her amount came back
    assert await world.wallet(bj, sister) == 20_000 - 12_000
    statement = await gx.stub.ListStatementEntries(
        apb.ListStatementEntriesRequest(person_id=mother.id), metadata=world.bearer(Role.SERVICE, "test")
    )
    kinds = [e.kind for e in statement.entries]
    assert apb.ENTRY_KIND_CONTRIBUTION in kinds and apb.ENTRY_KIND_CONTRIBUTION_RETURN in kinds
    await assert_federation_balanced([gx.server, bj.server])
