"""Provinces as shards (R24), through the transfer service: two account
shards (广西's and 北京's), each on a database of its own, the national
person index, the shard map in the region service, and the transfer service
routing every account call by it — on SQLite and PostgreSQL. Transfers
within each shard go through; with one shard stopped, transfers within the
other go on and those that need the stopped one fail fast with UNAVAILABLE
naming it; when it returns (elsewhere: its target changed in the map),
what was pending there is received."""

from __future__ import annotations

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
from yibao.type.v1 import relation_pb2

from services.kernel.auth import Role
from services.kernel.migrations import upgrade
from services.transfer.bootstrap import bootstrap as start_transfer
from services.transfer.settings import TransferSettings
from tests import tls
from tests.account.test_grpc import assert_ledger_balanced
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
                shard.url, self.region_target, self.tokens, self.clock, index_target=self.index.address
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

    async def family(self, shard: Shard, region: str) -> tuple[Member, Member]:
        payer = await self.member(shard, "张伟", region, funding=100_000)
        payee = await self.member(shard, "李秀英", region, kind=apb.INSURANCE_TYPE_RESIDENT)
        await shard.stub.AttestRelation(
            apb.AttestRelationRequest(
                person_id=payer.id, relative_id=payee.id, kind=relation_pb2.RELATION_KIND_PARENT
            ),
            metadata=self.bearer(Role.PROVINCE, "p", province=shard.province),
        )
        return payer, payee

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


async def submit(world, payer, payee, amount=30_000):
    token = world.bearer(Role.CITIZEN, payer.id, person_id=payer.id)
    return (
        await world.transfers.SubmitTransfer(submit_request(payer, payee, amount=amount), metadata=token)
    ).transfer


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
