"""R21 through the three real services on SQLite and PostgreSQL: requests
that travel in one batch share no fate they did not earn — not the number
of regions a round names, not another caller's deadline, not a lost answer."""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from dataclasses import replace

import grpc
import pytest
from sqlalchemy import select
from yibao.account.v1 import account_pb2 as apb
from yibao.account.v1 import account_pb2_grpc as apb_grpc
from yibao.transfer.v1 import transfer_pb2 as pb
from yibao.type.v1 import relation_pb2, verification_pb2

from services.account.adapters.tables import holds
from services.account.bootstrap import bootstrap as start_account
from services.account.domain.credentials import Purpose, mint_face_ticket
from services.kernel.auth import Role
from services.kernel.db import create_engine
from services.region.adapters.seed import read_divisions
from services.transfer.domain.policy import TransferPolicy
from tests.cluster import ACCOUNT_SHARDS, FACE_KEY, id_number, point_shard_at
from tests.lossy_proxy import LossyProxy
from tests.rpc import fails, failure
from tests.tls import aio_channel
from tests.transfer.helpers import Member, eventually, submit_request


def _counties(province: str, but: str = "") -> list[str]:
    return [
        d["code"]
        for d in read_divisions()
        if d["level"] == 3 and d["code"].startswith(province) and not (but and d["code"].startswith(but))
    ]


@pytest.fixture
def person(account, as_province, as_citizen):
    """person(insured region, wallet place, funding) -> a Member with a wallet, no password (face tickets)."""

    async def make(region: str, place: str, funding: int = 0, kind=apb.INSURANCE_TYPE_EMPLOYEE) -> Member:
        province = as_province(region[:2] + "0000")
        number = id_number(region)
        request = apb.RegisterPersonRequest(
            id_number=number, name="测试", insurance_type=kind, insured_region=region
        )
        made = (await account.RegisterPerson(request, metadata=province)).person
        wallet = apb.OpenWalletRequest(person_id=made.id, place_of_use=place, mobile="13800138000")
        await account.OpenWallet(wallet, metadata=as_citizen(made.id))
        if funding:
            fund = apb.FundPersonalAccountRequest(
                person_id=made.id, amount_fen=funding, reference=f"f-{made.id}", period="2026-03"
            )
            await account.FundPersonalAccount(fund, metadata=province)
        return Member(made.id, "测试", number, region)

    return make


@pytest.fixture
def pair(person, relate):
    async def make(payer_region: str, payer_place: str, payee_place: str, funding: int = 100_000):
        payer = await person(payer_region, payer_place, funding)
        payee = await person(payee_place, payee_place, kind=apb.INSURANCE_TYPE_RESIDENT)
        await relate(payer, payee, relation_pb2.RELATION_KIND_PARENT)
        return payer, payee

    return make


@pytest.fixture
def lossy_account(account_server, account_shards, clock):
    """lossy_account(payer) -> a LossyProxy in front of the account service
    that keeps ``payer``, for the transfer service to be restarted with
    ``account_target=proxy.address``. Under R24 the transfer service finds
    the payer's shard by the shard map, which then names the proxy as that
    shard's target (and names the shard again at the end): the router and
    the other shards reach it through the proxy too."""

    @contextlib.asynccontextmanager
    async def put_before(payer: Member):
        keeper = account_shards.keeper(payer)
        proxy = LossyProxy(keeper.address)
        await proxy.start()
        try:
            if ACCOUNT_SHARDS > 1:
                await point_shard_at(account_server, keeper, proxy.address, clock)
            yield proxy
        finally:
            if ACCOUNT_SHARDS > 1:
                await point_shard_at(account_server, keeper, keeper.address, clock)
            await proxy.stop()

    return put_before


def face_request(payer: Member, payee: Member, clock, **kw) -> pb.SubmitTransferRequest:
    ticket = mint_face_ticket(FACE_KEY, payer.id, Purpose.TRANSFER, uuid.uuid4().hex, clock.now())
    return submit_request(payer, payee, verification=verification_pb2.Verification(face_ticket=ticket), **kw)


async def test_r21_a_round_whose_transfers_span_more_than_100_regions_is_accepted(
    pair, restart_transfer, bearer, clock, invariant
):
    """40 transfers in one round, each naming three counties of its own (the
    payer's insured region, the payer's place of use, the payee's): 120
    regions, more than one CheckRegions call may carry. Every one is accepted."""
    guangxi, guangdong = _counties("45", but="4503"), _counties("44")  # 桂林 (4503) is not enabled
    pairs = [await pair(guangxi[2 * i], guangxi[2 * i + 1], guangdong[i]) for i in range(40)]
    # A wide batch window, so that all forty travel in one round.
    transfers = await restart_transfer(batch_window=0.5)
    answers = await asyncio.gather(
        *(
            transfers.SubmitTransfer(
                face_request(payer, payee, clock), metadata=bearer(Role.CITIZEN, payer.id, person_id=payer.id)
            )
            for payer, payee in pairs
        ),
        return_exceptions=True,
    )
    refused = [failure(a) for a in answers if isinstance(a, grpc.aio.AioRpcError)]
    assert refused == []
    assert {a.transfer.status for a in answers} == {pb.TRANSFER_STATUS_PENDING_RECEIPT}
    await invariant()


async def test_r21_a_caller_with_a_50ms_deadline_does_not_fail_the_patient_ones(
    pair, restart_transfer, bearer, clock, invariant
):
    """Patient callers arrive one after another while impatient ones keep
    sending their submissions with 50 ms deadlines. The batch window is 45 ms,
    so a batch that an impatient caller opens has almost nothing of its
    deadline left when it leaves: under that deadline, its patient members
    would fail with it. Every patient call succeeds; each impatient payer
    still has at most one transfer (R16), held if it was accepted."""
    impatient = [await pair("450102", "450102", "440103") for _ in range(4)]
    patient = [await pair("450103", "450103", "440104") for _ in range(12)]
    transfers = await restart_transfer(batch_window=0.045)
    me = lambda m: bearer(Role.CITIZEN, m.id, person_id=m.id)  # noqa: E731
    stop_at = time.monotonic() + 1.2

    async def hurry(payer, payee):
        request = face_request(payer, payee, clock, amount=1_000, request_id=f"hurry-{payer.id}")
        outcomes = []
        while time.monotonic() < stop_at:
            try:
                await transfers.SubmitTransfer(request, metadata=me(payer), timeout=0.05)
                outcomes.append("OK")
            except grpc.aio.AioRpcError as error:
                outcomes.append(error.code().name)
            await asyncio.sleep(0.01)
        return outcomes

    async def wait_then_submit(delay, payer, payee):
        await asyncio.sleep(delay)
        return await transfers.SubmitTransfer(
            face_request(payer, payee, clock), metadata=me(payer), timeout=30
        )

    hurried = [asyncio.create_task(hurry(*p)) for p in impatient]
    answers = await asyncio.gather(
        *(wait_then_submit(0.08 * i, *p) for i, p in enumerate(patient)), return_exceptions=True
    )
    outcomes = [o for task in hurried for o in await task]
    assert [failure(a) for a in answers if isinstance(a, grpc.aio.AioRpcError)] == []
    assert {a.transfer.status for a in answers} == {pb.TRANSFER_STATUS_PENDING_RECEIPT}
    assert "DEADLINE_EXCEEDED" in outcomes  # the impatient ones did give up
    for payer, _ in impatient:

        async def held_if_accepted(payer=payer):
            listed = await transfers.ListTransfers(
                pb.ListTransfersRequest(person_id=payer.id), metadata=me(payer)
            )
            assert len(listed.transfers) <= 1
            return {t.status for t in listed.transfers} <= {pb.TRANSFER_STATUS_PENDING_RECEIPT}

        # Accepted is held at once, though its caller had gone (no worker runs here to finish it).
        await eventually(held_if_accepted, timeout=5)
    await invariant()


async def test_r22_a_retry_after_a_lost_answer_finds_its_hold_though_the_ceiling_was_lowered(
    pair, restart_transfer, lossy_account, account_shards, tokens, clock, bearer, balances, invariant
):
    """The account service holds ¥1,500 and its answer is lost; before the
    retry, the ceiling is lowered to ¥1,000 (both services restarted so). The
    retry finds the hold it made (the earlier hold is looked for before any
    policy check): the transfer is pending, not rejected with its money
    frozen in the reserved account. A new transfer over the ceiling is refused."""
    payer, payee = await pair("450102", "450102", "110101", funding=300_000)
    keeper = account_shards.keeper(payer)  # the payer's account service (under R24, their shard)
    async with lossy_account(payer) as proxy:
        transfers = await restart_transfer(account_target=proxy.address)
        proxy.lose.add("HoldTransfers")
        me = bearer(Role.CITIZEN, payer.id, person_id=payer.id)
        request = face_request(payer, payee, clock, amount=150_000, request_id="lost-1")
        lost = await fails(transfers.SubmitTransfer(request, metadata=me, timeout=30))
        # The hold was made (and made again, idempotently, on each retry); no answer came back.
        assert proxy.lost and set(proxy.lost) == {"/yibao.account.v1.AccountService/HoldTransfers"}
        assert (lost.code, lost.reason) == (grpc.StatusCode.UNAVAILABLE, "UPSTREAM_UNAVAILABLE")
        assert await balances(payer) == (150_000, 0)

        # The ceiling lowered: the account service restarted with ¥1,000, then the transfer service.
        lower = replace(keeper.settings, transfer_max_amount_fen=100_000)
        restarted = await start_account(lower, tokens, clock)
        try:
            proxy.target, proxy.lose = restarted.address, set()
            transfers = await restart_transfer(
                account_target=proxy.address, policy=TransferPolicy(max_amount_fen=100_000)
            )
            retried = await transfers.SubmitTransfer(
                face_request(payer, payee, clock, amount=150_000, request_id="lost-1"),
                metadata=me,
                timeout=30,
            )
            assert retried.transfer.status == pb.TRANSFER_STATUS_PENDING_RECEIPT
            listed = await transfers.ListTransfers(pb.ListTransfersRequest(person_id=payer.id), metadata=me)
            assert [t.id for t in listed.transfers] == [retried.transfer.id]
            assert await balances(payer) == (150_000, 0)
            over = await fails(
                transfers.SubmitTransfer(
                    face_request(payer, payee, clock, amount=150_000), metadata=me, timeout=30
                )
            )
            assert over.reason == "AMOUNT_OUT_OF_RANGE"
            engine = create_engine(keeper.database_url)
            try:
                async with engine.connect() as conn:
                    states = (await conn.execute(select(holds.c.state))).scalars().all()
            finally:
                await engine.dispose()
            assert states == ["pending"]
            await invariant()
        finally:
            await restarted.stop(0)


async def test_r21_an_accepted_transfer_is_held_though_its_only_caller_gave_up(
    pair, restart_transfer, lossy_account, bearer, clock, invariant
):
    """A caller with a 1.5 s deadline (enough to be accepted, TLS handshakes
    on new connections and a loaded machine included); the account service's
    hold is held back until the caller has given up.
    The caller gives up, but its transfer was accepted: the hold is finished
    at once (not left for the worker, which does not run here)."""
    payer, payee = await pair("450102", "450102", "110101")
    async with lossy_account(payer) as proxy:
        transfers = await restart_transfer(account_target=proxy.address)
        proxy.gates["HoldTransfers"] = asyncio.Event()
        me = bearer(Role.CITIZEN, payer.id, person_id=payer.id)
        gave_up = await fails(
            transfers.SubmitTransfer(face_request(payer, payee, clock), metadata=me, timeout=1.5)
        )
        assert gave_up.code is grpc.StatusCode.DEADLINE_EXCEEDED
        proxy.gates["HoldTransfers"].set()

        async def held():
            listed = await transfers.ListTransfers(pb.ListTransfersRequest(person_id=payer.id), metadata=me)
            return [t.status for t in listed.transfers] == [pb.TRANSFER_STATUS_PENDING_RECEIPT]

        await eventually(held, timeout=5)
        await invariant()


async def test_the_lossy_proxy_passes_a_refusal_on_as_it_came(account_server, account, bearer):
    """What the tests above put between the transfer and the account service
    loses only what it is told to: a refusal reaches the caller with its
    code, message and AIP-193 details, as the callee gave it."""
    proxy = LossyProxy(account_server.address)
    await proxy.start()
    try:
        async with aio_channel(proxy.address) as channel:
            request = apb.GetPersonRequest(person_id=str(uuid.uuid4()))
            through = await fails(
                apb_grpc.AccountServiceStub(channel).GetPerson(request, metadata=bearer(Role.SERVICE, "test"))
            )
        direct = await fails(account.GetPerson(request, metadata=bearer(Role.SERVICE, "test")))
        assert (through.code, through.reason) == (grpc.StatusCode.NOT_FOUND, "PERSON_NOT_FOUND"), through
        assert through == direct
    finally:
        await proxy.stop()
