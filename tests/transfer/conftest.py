"""Fixtures of the transfer tests: persons, relations and calls on the cluster of tests/cluster.py."""

from __future__ import annotations

import pytest
from yibao.account.v1 import account_pb2 as apb
from yibao.type.v1 import relation_pb2

from services.kernel.auth import Role
from tests.cluster import account_urls, id_number, transfer_settings
from tests.tls import aio_channel
from tests.transfer.helpers import PASSWORD, Member, check_invariant, submit_request


@pytest.fixture
def member(account, as_province, as_citizen):
    """member(name, region, kind, wallet_place, funding) -> a registered person."""

    async def make(name, region, kind=apb.INSURANCE_TYPE_EMPLOYEE, wallet=True, funding=0, password=PASSWORD):
        number = id_number(region)
        province = as_province(region[:2] + "0000")
        person = (
            await account.RegisterPerson(
                apb.RegisterPersonRequest(
                    id_number=number, name=name, insurance_type=kind, insured_region=region
                ),
                metadata=province,
            )
        ).person
        me = as_citizen(person.id)
        if wallet:
            await account.OpenWallet(
                apb.OpenWalletRequest(person_id=person.id, place_of_use=region, mobile="13800138000"),
                metadata=me,
            )
        if password:
            await account.SetPassword(
                apb.SetPasswordRequest(person_id=person.id, new_password=password), metadata=me
            )
        if funding:
            await account.FundPersonalAccount(
                apb.FundPersonalAccountRequest(
                    person_id=person.id, amount_fen=funding, reference=f"f-{person.id}", period="2026-03"
                ),
                metadata=province,
            )
        return Member(person.id, name, number, region)

    return make


@pytest.fixture
def relate(account, as_province):
    async def make(person, relative, kind=relation_pb2.RELATION_KIND_PARENT):
        await account.AttestRelation(
            apb.AttestRelationRequest(person_id=person.id, relative_id=relative.id, kind=kind),
            metadata=as_province(person.region[:2] + "0000"),
        )

    return make


@pytest.fixture
async def family(member, relate):
    """张伟 in 南宁 (employee, ¥1,000 in his personal account) and his mother in 北京."""
    payer = await member("张伟", "450102", funding=100_000)
    payee = await member("李秀英", "110101", kind=apb.INSURANCE_TYPE_RESIDENT)
    await relate(payer, payee, relation_pb2.RELATION_KIND_PARENT)
    return payer, payee


@pytest.fixture
def submit(transfers, bearer):
    async def call(payer, payee, **kw):
        metadata = bearer(Role.CITIZEN, payer.id, person_id=payer.id)
        return (
            await transfers.SubmitTransfer(submit_request(payer, payee, **kw), metadata=metadata)
        ).transfer

    return call


@pytest.fixture
def balances(account, bearer):
    async def read(person):
        b = await account.GetBalances(
            apb.GetBalancesRequest(person_id=person.id), metadata=bearer(Role.SERVICE, "test")
        )
        return b.personal_account_fen, b.wallet_fen

    return read


@pytest.fixture
def invariant(account_server, transfer_server):
    return lambda: check_invariant(account_urls(account_server), transfer_server.database_url)


@pytest.fixture
async def restart_transfer(transfer_server, account_server, region_target, tokens, clock):
    """restart_transfer(worker_interval, provider, while_down, **settings) ->
    a stub of the transfer service stopped and started again on its own
    database, with that worker interval, notification provider and other
    settings (account_target, batch_window …); ``while_down`` runs between.
    Under R24 it routes by the shard map, as the fixture's own did."""
    from yibao.transfer.v1 import transfer_pb2_grpc

    from services.transfer.bootstrap import bootstrap as start_transfer

    started, channels = [], []

    async def restart(worker_interval=3600.0, provider=None, while_down=None, **over):
        await transfer_server.stop(0)
        if while_down is not None:
            while_down()
        settings = transfer_settings(
            transfer_server.database_url,
            account_server,
            region_target,
            worker_interval=worker_interval,
            **over,
        )
        started.append(await start_transfer(settings, tokens, clock, notification_provider=provider))
        channels.append(aio_channel(started[-1].address))
        return transfer_pb2_grpc.TransferServiceStub(channels[-1])

    yield restart
    for channel in channels:
        await channel.close()
    for server in started:
        await server.stop(0)
