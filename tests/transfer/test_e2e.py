"""Cross-province transfers end to end through the three real services
(region, account, transfer), on SQLite and PostgreSQL (R13–R19a)."""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta
from functools import partial

import grpc
import pytest
from sqlalchemy import func, select
from yibao.account.v1 import account_pb2 as apb
from yibao.region.v1 import region_pb2 as rpb
from yibao.region.v1 import region_pb2_grpc
from yibao.transfer.v1 import transfer_pb2 as pb
from yibao.type.v1 import relation_pb2, verification_pb2

from services.account.domain.credentials import Purpose, mint_face_ticket
from services.kernel.auth import Role
from services.kernel.db import create_engine
from services.kernel.proto_time import from_timestamp
from tests.cluster import FACE_KEY, account_urls, id_number
from tests.rpc import fails, failure
from tests.tls import aio_channel
from tests.transfer.helpers import eventually, submit_request

C = grpc.StatusCode


# --- the happy path (R13, R15)
async def test_r15_cross_province_transfer_held_then_received(
    family, submit, transfers, bearer, balances, invariant, clock
):
    payer, payee = family
    t = await submit(payer, payee, amount=30_000)
    assert (t.status, t.payer_province, t.payee_province) == (
        pb.TRANSFER_STATUS_PENDING_RECEIPT,
        "450000",
        "110000",
    )
    # Submitted 2026-03-02 10:00 Beijing: refunded if not received by 03-03 06:00 Beijing.
    assert from_timestamp(t.expire_time) == clock.now() + timedelta(hours=20)
    assert await balances(payer) == (70_000, 0) and await balances(payee) == (0, 0)
    await invariant()
    received = await transfers.ReceiveTransfer(
        pb.ReceiveTransferRequest(id=t.id), metadata=bearer(Role.CITIZEN, payee.id, person_id=payee.id)
    )
    assert (
        received.transfer.status == pb.TRANSFER_STATUS_RECEIVED
        and from_timestamp(received.transfer.receive_time) == clock.now()
    )
    again = await transfers.ReceiveTransfer(
        pb.ReceiveTransferRequest(id=t.id), metadata=bearer(Role.CITIZEN, payee.id, person_id=payee.id)
    )
    assert again.transfer.status == pb.TRANSFER_STATUS_RECEIVED
    assert await balances(payer) == (70_000, 0) and await balances(payee) == (0, 30_000)
    await invariant()


async def test_r15_the_payee_platform_may_receive(family, submit, transfers, bearer, balances, invariant):
    payer, payee = family
    t = await submit(payer, payee)
    other = await fails(
        transfers.ReceiveTransfer(
            pb.ReceiveTransferRequest(id=t.id), metadata=bearer(Role.PROVINCE, "gx", province="450000")
        )
    )
    assert other.code is C.PERMISSION_DENIED
    payer_self = await fails(
        transfers.ReceiveTransfer(
            pb.ReceiveTransferRequest(id=t.id), metadata=bearer(Role.CITIZEN, payer.id, person_id=payer.id)
        )
    )
    assert payer_self.code is C.PERMISSION_DENIED
    done = await transfers.ReceiveTransfer(
        pb.ReceiveTransferRequest(id=t.id), metadata=bearer(Role.PROVINCE, "bj", province="110000")
    )
    assert done.transfer.status == pb.TRANSFER_STATUS_RECEIVED
    assert await balances(payee) == (0, 30_000)
    await invariant()


async def test_r15_decline_refunds_at_once(family, submit, transfers, bearer, balances, invariant):
    payer, payee = family
    t = await submit(payer, payee, amount=20_000)
    payee_token = bearer(Role.CITIZEN, payee.id, person_id=payee.id)
    declined = await transfers.DeclineTransfer(pb.DeclineTransferRequest(id=t.id), metadata=payee_token)
    assert (declined.transfer.status, declined.transfer.refund_reason) == (
        pb.TRANSFER_STATUS_REFUNDED,
        pb.REFUND_REASON_DECLINED,
    )
    assert await balances(payer) == (100_000, 0)
    late = await fails(transfers.ReceiveTransfer(pb.ReceiveTransferRequest(id=t.id), metadata=payee_token))
    assert (late.code, late.reason) == (C.FAILED_PRECONDITION, "TRANSFER_NOT_PENDING")
    await invariant()


async def test_r15_unreceived_transfer_is_refunded_at_0600(
    family, submit, transfers, bearer, balances, invariant, clock
):
    payer, payee = family
    t = await submit(payer, payee, amount=10_000, source=pb.TRANSFER_SOURCE_PERSONAL_ACCOUNT)
    clock.set(from_timestamp(t.expire_time) - timedelta(seconds=1))
    await asyncio.sleep(0.2)  # the worker runs, finds nothing due yet
    payer_token = bearer(Role.CITIZEN, payer.id, person_id=payer.id)
    assert (
        await transfers.GetTransfer(pb.GetTransferRequest(id=t.id), metadata=payer_token)
    ).transfer.status == pb.TRANSFER_STATUS_PENDING_RECEIPT
    clock.set(from_timestamp(t.expire_time))
    payer_token = bearer(Role.CITIZEN, payer.id, person_id=payer.id)

    async def refunded():
        got = (await transfers.GetTransfer(pb.GetTransferRequest(id=t.id), metadata=payer_token)).transfer
        return got.status == pb.TRANSFER_STATUS_REFUNDED and got.refund_reason == pb.REFUND_REASON_EXPIRED

    await eventually(refunded)
    assert await balances(payer) == (100_000, 0)  # back to the personal account it came from
    late = await fails(
        transfers.ReceiveTransfer(
            pb.ReceiveTransferRequest(id=t.id), metadata=bearer(Role.CITIZEN, payee.id, person_id=payee.id)
        )
    )
    assert late.reason == "TRANSFER_NOT_PENDING"
    await invariant()


async def test_r15_a_late_receive_racing_the_refund_exactly_one_wins(
    family, submit, transfers, bearer, balances, invariant, clock, transfer_server
):
    payer, payee = family
    lifecycle = transfer_server.components["lifecycle"]
    outcomes = []
    for _ in range(3):
        t = await submit(payer, payee, amount=1_000)
        clock.set(from_timestamp(t.expire_time))
        token = bearer(Role.CITIZEN, payee.id, person_id=payee.id)
        race = await asyncio.gather(
            transfers.ReceiveTransfer(pb.ReceiveTransferRequest(id=t.id), metadata=token),
            lifecycle.refund_expired(),
            return_exceptions=True,
        )
        receive = race[0]
        await eventually(partial(_final, transfers, t.id, token))
        final = (await transfers.GetTransfer(pb.GetTransferRequest(id=t.id), metadata=token)).transfer
        if isinstance(receive, grpc.aio.AioRpcError):
            assert failure(receive).reason in ("TRANSFER_EXPIRED", "TRANSFER_NOT_PENDING")
            assert final.status == pb.TRANSFER_STATUS_REFUNDED
        else:
            assert final.status == pb.TRANSFER_STATUS_RECEIVED
        outcomes.append(final.status)
        clock.set(from_timestamp(t.expire_time) + timedelta(hours=4))  # the next day, 10:00
    received = outcomes.count(pb.TRANSFER_STATUS_RECEIVED)
    assert await balances(payee) == (0, received * 1_000)
    assert await balances(payer) == (100_000 - received * 1_000, 0)
    await invariant()


async def _final(transfers, transfer_id, token):
    got = (await transfers.GetTransfer(pb.GetTransferRequest(id=transfer_id), metadata=token)).transfer
    return got.status in (pb.TRANSFER_STATUS_RECEIVED, pb.TRANSFER_STATUS_REFUNDED)


# --- every gate (R14): a failed gate says which, and moves nothing
async def test_r14_each_gate_fails_with_its_own_reason(
    family, member, relate, submit, transfers, bearer, balances, invariant, clock, region_target
):
    payer, payee = family
    stranger = await member("王五", "110101")
    no_wallet = await member("赵六", "110101", wallet=False)
    await relate(payer, no_wallet, relation_pb2.RELATION_KIND_SIBLING)
    resident_payer = await member("钱七", "450103", kind=apb.INSURANCE_TYPE_RESIDENT)
    await relate(resident_payer, payee, relation_pb2.RELATION_KIND_CHILD)
    walletless_payer = await member("孙八", "450102", wallet=False, funding=1_000)
    await relate(walletless_payer, payee, relation_pb2.RELATION_KIND_PARENT)

    async def gate(code, reason, payer_=payer, payee_=payee, **kw):
        with pytest.raises(grpc.aio.AioRpcError) as raised:
            await submit(payer_, payee_, **kw)
        got = failure(raised.value)
        assert (got.code, got.reason) == (code, reason), kw
        return got

    await gate(C.INVALID_ARGUMENT, "AMOUNT_OUT_OF_RANGE", amount=0)
    assert (await gate(C.INVALID_ARGUMENT, "AMOUNT_OUT_OF_RANGE", amount=200_001)).fields == ["amount_fen"]
    await gate(C.NOT_FOUND, "PAYEE_NOT_FOUND", payee_id_number=id_number("110101"))
    await gate(C.NOT_FOUND, "PAYEE_NOT_FOUND", payee_name="李秀")  # one answer: no name oracle
    await gate(C.INVALID_ARGUMENT, "PAYEE_IS_PAYER", payee_=payer)
    await gate(C.FAILED_PRECONDITION, "NOT_CLOSE_RELATIVE", payee_=stranger)
    await gate(C.FAILED_PRECONDITION, "RELATION_MISMATCH", relation=relation_pb2.RELATION_KIND_SPOUSE)
    await gate(
        C.FAILED_PRECONDITION,
        "PAYEE_WALLET_NOT_OPENED",
        payee_=no_wallet,
        relation=relation_pb2.RELATION_KIND_SIBLING,
    )
    await gate(
        C.FAILED_PRECONDITION,
        "SOURCE_REQUIRES_EMPLOYEE_INSURANCE",
        payer_=resident_payer,
        relation=relation_pb2.RELATION_KIND_CHILD,
    )
    wrong = await gate(C.FAILED_PRECONDITION, "VERIFICATION_FAILED", password="000000")
    assert wrong.metadata["attempts_left"] == "4"
    ticket = mint_face_ticket(FACE_KEY, payer.id, Purpose.PAYMENT, uuid.uuid4().hex, clock.now())
    assert (
        await gate(
            C.FAILED_PRECONDITION,
            "VERIFICATION_FAILED",
            verification=verification_pb2.Verification(face_ticket=ticket),
        )
    ).metadata["cause"] == "TICKET_OTHER_PURPOSE"
    await gate(C.FAILED_PRECONDITION, "INSUFFICIENT_FUNDS", source=pb.TRANSFER_SOURCE_WALLET, amount=1)
    await gate(C.FAILED_PRECONDITION, "INSUFFICIENT_FUNDS", amount=100_001)
    await gate(C.FAILED_PRECONDITION, "PAYER_WALLET_NOT_OPENED", payer_=walletless_payer)

    # The region gate: 北京 withdrawn by an administrator.
    async with aio_channel(region_target) as channel:
        await region_pb2_grpc.RegionServiceStub(channel).SetRegionEnablement(
            rpb.SetRegionEnablementRequest(
                code="110000", action=rpb.ENABLEMENT_ACTION_DISABLE, reason="暂停"
            ),
            metadata=bearer(Role.ADMIN, "ops"),
        )
    clock.advance(seconds=1)  # the transfer service's region answers are at most 1 s stale
    region = await gate(C.FAILED_PRECONDITION, "REGION_NOT_ENABLED")
    assert region.metadata == {"region": "110101", "role": "payee_place_of_use"}

    clock.set(clock.now().replace(hour=14))  # 22:00 Beijing
    closed = await gate(C.FAILED_PRECONDITION, "TRANSFER_WINDOW_CLOSED")
    assert (
        closed.metadata["next_open_time"] == "2026-03-03T06:00:00+08:00"
    )  # in Beijing time, like the message
    assert await balances(payer) == (100_000, 0)
    await invariant()


async def test_r17_a_refund_batch_retried_after_a_crash_mid_batch_moves_money_once(
    member, relate, submit, transfers, account_shards, as_service, bearer, balances, invariant, clock
):
    """The account service refunded part of a 06:00 batch, then the transfer
    service died before recording it. The sweep retries the whole batch:
    what was refunded is answered as refunded, the rest is refunded now, and
    every transfer ends refunded with its money back exactly once."""
    payer = await member("付款人", "450102", funding=100_000)
    payees = [await member(f"收款人{i}", "110101", kind=apb.INSURANCE_TYPE_RESIDENT) for i in range(3)]
    sent = []
    for payee in payees:
        await relate(payer, payee)
        sent.append(await submit(payer, payee, amount=1_000))
    assert await balances(payer) == (97_000, 0)
    already = apb.RefundTransfersRequest(transfer_ids=[sent[0].id, sent[1].id, "no-such-transfer"])
    # Asked where the transfer service asks it: the payer's account service (under R24, their shard).
    answered = (await account_shards.of(payer).RefundTransfers(already, metadata=as_service)).holds
    assert sorted((h.transfer_id, h.status) for h in answered) == sorted(
        (t.id, apb.HOLD_STATUS_REFUNDED) for t in sent[:2]
    )
    assert await balances(payer) == (99_000, 0)  # the account half of the batch happened

    clock.set(from_timestamp(sent[0].expire_time))  # 06:00: the sweep retries all three
    token = bearer(Role.CITIZEN, payer.id, person_id=payer.id)

    async def all_refunded():
        found = [
            (await transfers.GetTransfer(pb.GetTransferRequest(id=t.id), metadata=token)).transfer
            for t in sent
        ]
        return {t.status for t in found} == {pb.TRANSFER_STATUS_REFUNDED}

    await eventually(all_refunded)
    assert await balances(payer) == (100_000, 0)  # each amount back once
    await invariant()


async def test_r14_r15_concurrent_submissions_held_together_are_each_answered_as_alone(
    member, relate, submit, balances, invariant
):
    """Their holds travel in one HoldTransfers call (group commit); the money
    covers two of three: two are pending, one is refused for funds and
    rejected, and nothing else moved."""
    payer = await member("付款人", "450102", funding=2_500)
    payees = [await member(f"收款人{i}", "110101", kind=apb.INSURANCE_TYPE_RESIDENT) for i in range(3)]
    for payee in payees:
        await relate(payer, payee)
    answers = await asyncio.gather(*(submit(payer, p, amount=1_000) for p in payees), return_exceptions=True)
    held = [a for a in answers if not isinstance(a, Exception)]
    refused = [failure(a) for a in answers if isinstance(a, grpc.aio.AioRpcError)]
    assert [t.status for t in held] == [pb.TRANSFER_STATUS_PENDING_RECEIPT] * 2
    assert [(f.code, f.reason) for f in refused] == [
        (grpc.StatusCode.FAILED_PRECONDITION, "INSUFFICIENT_FUNDS")
    ]
    assert await balances(payer) == (500, 0)
    await invariant()


# --- idempotency (R16)
async def test_r16_same_request_id_same_transfer_other_content_refused(
    family, transfers, bearer, balances, invariant
):
    payer, payee = family
    me = bearer(Role.CITIZEN, payer.id, person_id=payer.id)
    first = await transfers.SubmitTransfer(submit_request(payer, payee, request_id="app-42"), metadata=me)
    again = await transfers.SubmitTransfer(submit_request(payer, payee, request_id="app-42"), metadata=me)
    assert again.transfer.id == first.transfer.id
    concurrent = await asyncio.gather(
        *(
            transfers.SubmitTransfer(submit_request(payer, payee, request_id="app-42"), metadata=me)
            for _ in range(5)
        )
    )
    assert {c.transfer.id for c in concurrent} == {first.transfer.id}
    other = await fails(
        transfers.SubmitTransfer(submit_request(payer, payee, amount=5, request_id="app-42"), metadata=me)
    )
    assert (other.code, other.reason, other.fields) == (
        C.INVALID_ARGUMENT,
        "REQUEST_ID_REUSED",
        ["request_id"],
    )
    missing = await fails(transfers.SubmitTransfer(submit_request(payer, payee, request_id=""), metadata=me))
    assert missing.reason == "REQUEST_ID_REQUIRED"
    assert await balances(payer) == (70_000, 0)  # one transfer's worth moved
    await invariant()


# --- daily limit and one pending transfer per payee (R14)
async def test_r14_three_a_day_refunded_ones_count_rejected_ones_do_not(
    family, submit, transfers, bearer, balances, invariant, clock
):
    payer, payee = family
    payee_token = bearer(Role.CITIZEN, payee.id, person_id=payee.id)
    first = await submit(payer, payee, amount=1_000)
    pending = await fails(
        transfers.SubmitTransfer(
            submit_request(payer, payee, amount=1_000),
            metadata=bearer(Role.CITIZEN, payer.id, person_id=payer.id),
        )
    )
    assert pending.reason == "PAYEE_HAS_PENDING_TRANSFER"
    await transfers.DeclineTransfer(pb.DeclineTransferRequest(id=first.id), metadata=payee_token)
    rejected = await fails(
        transfers.SubmitTransfer(
            submit_request(payer, payee, amount=150_000),
            metadata=bearer(Role.CITIZEN, payer.id, person_id=payer.id),
        )
    )
    assert rejected.reason == "INSUFFICIENT_FUNDS"
    second = await submit(payer, payee, amount=1_000)
    await transfers.ReceiveTransfer(pb.ReceiveTransferRequest(id=second.id), metadata=payee_token)
    third = await submit(payer, payee, amount=1_000)
    await transfers.DeclineTransfer(pb.DeclineTransferRequest(id=third.id), metadata=payee_token)
    quota = await transfers.GetQuota(
        pb.GetQuotaRequest(person_id=payer.id), metadata=bearer(Role.CITIZEN, payer.id, person_id=payer.id)
    )
    assert (quota.transfers_left_today, quota.transfers_per_day, quota.max_amount_fen, quota.window_open) == (
        0,
        3,
        200_000,
        True,
    )
    limit = await fails(
        transfers.SubmitTransfer(
            submit_request(payer, payee, amount=1_000),
            metadata=bearer(Role.CITIZEN, payer.id, person_id=payer.id),
        )
    )
    assert (limit.code, limit.reason, limit.metadata) == (
        C.FAILED_PRECONDITION,
        "DAILY_TRANSFER_LIMIT",
        {"limit": "3"},
    )
    # The next Beijing day (00:00 Beijing = 16:00 UTC), at 06:00 the window opens again.
    clock.set(clock.now().replace(hour=22))
    quota = await transfers.GetQuota(
        pb.GetQuotaRequest(person_id=payer.id), metadata=bearer(Role.CITIZEN, payer.id, person_id=payer.id)
    )
    assert (quota.transfers_left_today, quota.window_open) == (3, True)
    await invariant()


async def test_r14_five_concurrent_submissions_exactly_three_succeed(
    family, member, relate, transfers, bearer, balances, invariant
):
    payer, _ = family
    relatives = [await member(f"亲属{i}", "110101", kind=apb.INSURANCE_TYPE_RESIDENT) for i in range(5)]
    for relative in relatives:
        await relate(payer, relative, relation_pb2.RELATION_KIND_SIBLING)
    me = bearer(Role.CITIZEN, payer.id, person_id=payer.id)

    async def attempt(relative):
        try:
            await transfers.SubmitTransfer(
                submit_request(payer, relative, amount=1_000, relation=relation_pb2.RELATION_KIND_SIBLING),
                metadata=me,
            )
            return "OK"
        except grpc.aio.AioRpcError as error:
            return failure(error).reason

    results = await asyncio.gather(*(attempt(r) for r in relatives))
    assert sorted(results) == ["DAILY_TRANSFER_LIMIT"] * 2 + ["OK"] * 3
    assert await balances(payer) == (97_000, 0)
    await invariant()


# --- queries (R18)
async def test_r18_list_in_and_out_newest_first_with_status_filter(
    family, member, relate, submit, transfers, bearer, clock
):
    payer, payee = family
    sister = await member("张丽", "440104", funding=50_000)
    await relate(sister, payer, relation_pb2.RELATION_KIND_SIBLING)
    out1 = await submit(payer, payee, amount=1_000)
    clock.advance(minutes=1)
    incoming = await submit(sister, payer, amount=2_000, relation=relation_pb2.RELATION_KIND_SIBLING)
    me = bearer(Role.CITIZEN, payer.id, person_id=payer.id)
    await transfers.ReceiveTransfer(pb.ReceiveTransferRequest(id=incoming.id), metadata=me)

    async def ids(**kw):
        return [
            t.id
            for t in (
                await transfers.ListTransfers(pb.ListTransfersRequest(person_id=payer.id, **kw), metadata=me)
            ).transfers
        ]

    assert await ids() == [incoming.id, out1.id]
    assert await ids(outgoing_only=True) == [out1.id]
    assert await ids(incoming_only=True) == [incoming.id]
    assert await ids(status=pb.TRANSFER_STATUS_PENDING_RECEIPT) == [out1.id]
    assert await ids(status=pb.TRANSFER_STATUS_RECEIVED) == [incoming.id]
    page = await transfers.ListTransfers(
        pb.ListTransfersRequest(person_id=payer.id, page_size=1), metadata=me
    )
    rest = await transfers.ListTransfers(
        pb.ListTransfersRequest(person_id=payer.id, page_size=1, page_token=page.next_page_token), metadata=me
    )
    assert [t.id for t in [*page.transfers, *rest.transfers]] == [
        incoming.id,
        out1.id,
    ] and not rest.next_page_token
    other = await fails(transfers.ListTransfers(pb.ListTransfersRequest(person_id=payee.id), metadata=me))
    assert other.code is C.PERMISSION_DENIED
    stranger = bearer(Role.CITIZEN, "someone", person_id="someone")
    for transfer_id in (out1.id, "no-such-transfer"):
        assert (
            await fails(transfers.GetTransfer(pb.GetTransferRequest(id=transfer_id), metadata=stranger))
        ).code is C.PERMISSION_DENIED
    assert (
        await fails(
            transfers.GetTransfer(pb.GetTransferRequest(id="nope"), metadata=bearer(Role.SERVICE, "ops"))
        )
    ).code is C.NOT_FOUND
    # R20: the administrator does not read persons' money data, whether the transfer exists or not.
    for transfer_id in (out1.id, "nope"):
        denied = await fails(
            transfers.GetTransfer(pb.GetTransferRequest(id=transfer_id), metadata=bearer(Role.ADMIN, "ops"))
        )
        assert denied.code is C.PERMISSION_DENIED
    gx = await transfers.GetTransfer(
        pb.GetTransferRequest(id=out1.id), metadata=bearer(Role.PROVINCE, "gx", province="450000")
    )
    assert gx.transfer.payee_masked_id_number.startswith("110101********")


async def test_r18_quota_outside_the_window(family, transfers, bearer, clock):
    payer, _ = family
    clock.set(clock.now().replace(hour=15))  # 23:00 Beijing
    quota = await transfers.GetQuota(
        pb.GetQuotaRequest(person_id=payer.id), metadata=bearer(Role.CITIZEN, payer.id, person_id=payer.id)
    )
    assert not quota.window_open and from_timestamp(quota.next_open_time) == clock.now().replace(
        hour=22
    )  # 06:00 Beijing


# --- events (R19)
async def _take(stream, n, timeout=10.0):
    got = []

    async def read():
        async for response in stream:
            got.append(response.event)
            if len(got) == n:
                return

    await asyncio.wait_for(read(), timeout)
    return got


async def test_r19_events_follow_a_province_and_resume_without_loss_or_repeat(
    family, member, relate, submit, transfers, bearer
):
    payer, payee = family
    bj = bearer(Role.PROVINCE, "bj-platform", province="110000")
    first = await submit(payer, payee, amount=1_000)
    stream = transfers.StreamTransferEvents(pb.StreamTransferEventsRequest(province="110000"), metadata=bj)
    [created] = await _take(stream, 1)
    assert (created.type, created.transfer.id, created.sequence) == (
        pb.TRANSFER_EVENT_TYPE_CREATED,
        first.id,
        1,
    )
    stream.cancel()  # the platform disconnects …
    await transfers.DeclineTransfer(
        pb.DeclineTransferRequest(id=first.id), metadata=bearer(Role.CITIZEN, payee.id, person_id=payee.id)
    )
    second = await submit(payer, payee, amount=2_000)
    # … and resumes after the last sequence it saw: nothing lost, nothing twice.
    resumed = transfers.StreamTransferEvents(
        pb.StreamTransferEventsRequest(province="110000", after_sequence=created.sequence), metadata=bj
    )
    events = await _take(resumed, 3)
    assert [(e.type, e.transfer.id) for e in events] == [
        (pb.TRANSFER_EVENT_TYPE_DECLINED, first.id),
        (pb.TRANSFER_EVENT_TYPE_REFUNDED, first.id),
        (pb.TRANSFER_EVENT_TYPE_CREATED, second.id),
    ]
    assert [e.sequence for e in events] == [2, 3, 4]
    # Live: an event written now arrives on the open stream.
    await transfers.ReceiveTransfer(
        pb.ReceiveTransferRequest(id=second.id), metadata=bearer(Role.CITIZEN, payee.id, person_id=payee.id)
    )
    [live] = await _take(resumed, 1)
    assert (live.type, live.sequence) == (pb.TRANSFER_EVENT_TYPE_RECEIVED, 5)
    resumed.cancel()


async def test_r19_a_replayed_event_carries_the_transfer_as_it_was_then(family, submit, transfers, bearer):
    payer, payee = family
    payee_token = bearer(Role.CITIZEN, payee.id, person_id=payee.id)
    received = await submit(payer, payee, amount=1_000)
    await transfers.ReceiveTransfer(pb.ReceiveTransferRequest(id=received.id), metadata=payee_token)
    declined = await submit(payer, payee, amount=2_000)
    await transfers.DeclineTransfer(pb.DeclineTransferRequest(id=declined.id), metadata=payee_token)
    replay = transfers.StreamTransferEvents(
        pb.StreamTransferEventsRequest(province="450000", after_sequence=0),
        metadata=bearer(Role.PROVINCE, "gx", province="450000"),
    )
    events = await _take(replay, 5)
    replay.cancel()
    as_then = [
        (
            e.type,
            e.transfer.amount_fen,
            e.transfer.status,
            e.transfer.refund_reason,
            e.transfer.HasField("receive_time"),
            e.transfer.HasField("refund_time"),
        )
        for e in events
    ]
    pending, received_, refunded = (
        pb.TRANSFER_STATUS_PENDING_RECEIPT,
        pb.TRANSFER_STATUS_RECEIVED,
        pb.TRANSFER_STATUS_REFUNDED,
    )
    assert as_then == [
        (pb.TRANSFER_EVENT_TYPE_CREATED, 1_000, pending, pb.REFUND_REASON_UNSPECIFIED, False, False),
        (pb.TRANSFER_EVENT_TYPE_RECEIVED, 1_000, received_, pb.REFUND_REASON_UNSPECIFIED, True, False),
        (pb.TRANSFER_EVENT_TYPE_CREATED, 2_000, pending, pb.REFUND_REASON_UNSPECIFIED, False, False),
        (pb.TRANSFER_EVENT_TYPE_DECLINED, 2_000, pending, pb.REFUND_REASON_DECLINED, False, False),
        (pb.TRANSFER_EVENT_TYPE_REFUNDED, 2_000, refunded, pb.REFUND_REASON_DECLINED, False, True),
    ]


async def test_r19_events_only_for_the_callers_province(family, submit, transfers, bearer):
    payer, payee = family
    await submit(payer, payee, amount=1_000)
    denied = transfers.StreamTransferEvents(
        pb.StreamTransferEventsRequest(province="110000"),
        metadata=bearer(Role.PROVINCE, "gd", province="440000"),
    )
    assert failure(await _error_of(denied)).code is C.PERMISSION_DENIED
    gd = transfers.StreamTransferEvents(
        pb.StreamTransferEventsRequest(province="440000"),
        metadata=bearer(Role.PROVINCE, "gd", province="440000"),
    )
    with pytest.raises(TimeoutError):
        await _take(gd, 1, timeout=1.0)
    gd.cancel()
    bad = transfers.StreamTransferEvents(
        pb.StreamTransferEventsRequest(province="440100"),
        metadata=bearer(Role.PROVINCE, "gd", province="440000"),
    )
    assert failure(await _error_of(bad)).reason == "PROVINCE_CODE_INVALID"


async def _error_of(stream):
    with pytest.raises(grpc.aio.AioRpcError) as raised:
        async for _ in stream:
            pass
    return raised.value


# --- settlement (R19a)
async def _ledger_flows(
    account_urls: list[str], start: datetime, end: datetime
) -> list[tuple[str, str, int, int]]:
    """What reached wallets by transfer in [start, end), per ordered pair of
    provinces that differ: read from the account ledger, not the transfers.
    Within one account database, the receipt (reserved -> the payee's wallet)
    and its hold name both persons. Across shards (R24) the money reaches the
    wallet in the payee's shard (leg 2, clearing-from -> wallet), whose credit
    record names the payer's province; leg 1 in the payer's shard (reserved ->
    clearing-to) reaches no wallet. Summed over every account database."""
    from sqlalchemy.orm import aliased

    from services.account.adapters.tables import accounts, credits, holds, journal_entries, persons, postings

    def to_wallets(payer_province, payee_province, *joins):
        query = (
            select(payer_province, payee_province, func.count(), func.sum(postings.c.amount))
            .select_from(journal_entries)
            .join(postings, (postings.c.entry_id == journal_entries.c.id) & (postings.c.amount > 0))
            .join(accounts, (accounts.c.id == postings.c.account_id) & (accounts.c.kind == "wallet"))
        )
        for table, on in joins:
            query = query.join(table, on)
        return query.where(
            journal_entries.c.kind == "transfer_receive",
            journal_entries.c.posted_at >= start,
            journal_entries.c.posted_at < end,
            payer_province != payee_province,
        ).group_by(payer_province, payee_province)

    payer, payee = aliased(persons), aliased(persons)
    within = to_wallets(
        payer.c.province,
        payee.c.province,
        (holds, holds.c.transfer_id == journal_entries.c.reference),
        (payer, payer.c.id == holds.c.payer_id),
        (payee, payee.c.id == holds.c.payee_id),
    )
    across = to_wallets(
        credits.c.payer_province,
        payee.c.province,
        (credits, credits.c.transfer_id == journal_entries.c.reference),
        (payee, payee.c.id == credits.c.payee_id),
    )
    flows: Counter[tuple[str, str]] = Counter()
    counts: Counter[tuple[str, str]] = Counter()
    for url in account_urls:
        engine = create_engine(url)
        try:
            async with engine.connect() as conn:
                for query in (within, across):
                    for a, b, n, fen in await conn.execute(query):
                        counts[(a, b)] += int(n)
                        flows[(a, b)] += int(fen)
        finally:
            await engine.dispose()
    return [(a, b, counts[(a, b)], flows[(a, b)]) for a, b in sorted(flows)]


async def test_r19a_monthly_settlement_agrees_with_the_ledger(
    family, member, relate, submit, transfers, bearer, account_server, invariant, clock
):
    payer, payee = family
    sister = await member("张丽", "440104", funding=50_000)
    await relate(sister, payee, relation_pb2.RELATION_KIND_CHILD)
    wife = await member("王芳", "450103", kind=apb.INSURANCE_TYPE_RESIDENT)
    await relate(payer, wife, relation_pb2.RELATION_KIND_SPOUSE)

    async def received(sender, receiver, amount, relation=relation_pb2.RELATION_KIND_PARENT):
        t = await submit(sender, receiver, amount=amount, relation=relation)
        token = bearer(Role.CITIZEN, receiver.id, person_id=receiver.id)
        await transfers.ReceiveTransfer(pb.ReceiveTransferRequest(id=t.id), metadata=token)

    await received(payer, payee, 12_345)
    await received(sister, payee, 6_789, relation_pb2.RELATION_KIND_CHILD)
    await received(payer, wife, 2_000, relation_pb2.RELATION_KIND_SPOUSE)  # inside 广西: settles nothing
    c = await submit(payer, payee, amount=500)
    payee_token = bearer(Role.CITIZEN, payee.id, person_id=payee.id)
    await transfers.DeclineTransfer(pb.DeclineTransferRequest(id=c.id), metadata=payee_token)  # not received
    clock.set(datetime(2026, 4, 1, 2, 0, tzinfo=UTC))  # 10:00 Beijing on 1 April: another month
    await received(sister, payee, 1_111, relation_pb2.RELATION_KIND_CHILD)

    def statement(month, who):
        return transfers.GetSettlementStatement(pb.GetSettlementStatementRequest(month=month), metadata=who)

    march = await statement("2026-03", bearer(Role.ADMIN, "ops"))
    flows = [(f.from_province, f.to_province, f.count, f.amount_fen) for f in march.flows]
    assert flows == [("440000", "110000", 1, 6_789), ("450000", "110000", 1, 12_345)]
    assert {p.province: p.net_fen for p in march.positions} == {
        "110000": 19_134,
        "440000": -6_789,
        "450000": -12_345,
    }
    beijing_march = (datetime(2026, 2, 28, 16, 0, tzinfo=UTC), datetime(2026, 3, 31, 16, 0, tzinfo=UTC))
    assert flows == await _ledger_flows(account_urls(account_server), *beijing_march)  # per pair, to the fen
    assert march.total_fen == 19_134
    april = await statement("2026-04", bearer(Role.SERVICE, "ops"))
    assert [(f.from_province, f.to_province, f.amount_fen) for f in april.flows] == [
        ("440000", "110000", 1_111)
    ]
    # A provincial platform sees the rows of its province, and its own position.
    guangxi = await statement("2026-03", bearer(Role.PROVINCE, "gx", province="450000"))
    assert [(f.from_province, f.to_province) for f in guangxi.flows] == [("450000", "110000")]
    assert [(p.province, p.net_fen) for p in guangxi.positions] == [("450000", -12_345)]
    assert guangxi.total_fen == 12_345
    hainan = await statement("2026-03", bearer(Role.PROVINCE, "hi", province="460000"))
    assert (list(hainan.flows), list(hainan.positions), hainan.total_fen) == ([], [], 0)
    empty = await transfers.GetSettlementStatement(
        pb.GetSettlementStatementRequest(month="2026-05"), metadata=bearer(Role.ADMIN, "ops")
    )
    assert list(empty.flows) == [] and empty.total_fen == 0
    for month in ("2026-13", "9999-12", "2026-3", "2026-03\n", "１９９９-01"):
        bad = await fails(
            transfers.GetSettlementStatement(
                pb.GetSettlementStatementRequest(month=month), metadata=bearer(Role.ADMIN, "ops")
            )
        )
        assert (bad.code, bad.fields) == (C.INVALID_ARGUMENT, ["month"])
    await invariant()


# --- lapsed relations (R8) and restarts (R17)
async def test_r8_a_lapsed_relation_refunds_what_is_pending(
    family, submit, transfers, account, as_province, bearer, balances, invariant
):
    payer, payee = family
    t = await submit(payer, payee, amount=40_000)
    await account.UpdateInsurance(
        apb.UpdateInsuranceRequest(person_id=payee.id, insurance_status=apb.INSURANCE_STATUS_ENDED),
        metadata=as_province("110000"),
    )
    me = bearer(Role.CITIZEN, payer.id, person_id=payer.id)

    async def refunded():
        got = (await transfers.GetTransfer(pb.GetTransferRequest(id=t.id), metadata=me)).transfer
        return (
            got.status == pb.TRANSFER_STATUS_REFUNDED
            and got.refund_reason == pb.REFUND_REASON_RELATION_LAPSED
        )

    await eventually(refunded)
    assert await balances(payer) == (100_000, 0)
    await invariant()


async def test_r17_refunds_that_fell_due_while_down_happen_on_restart(
    family, submit, bearer, balances, invariant, clock, restart_transfer
):
    payer, payee = family
    t = await submit(payer, payee, amount=25_000)

    def over_0600():
        clock.set(from_timestamp(t.expire_time) + timedelta(hours=1))

    stub = await restart_transfer(worker_interval=3600, while_down=over_0600)  # down over 06:00
    me = bearer(Role.CITIZEN, payer.id, person_id=payer.id)

    async def refunded():
        got = await stub.GetTransfer(pb.GetTransferRequest(id=t.id), metadata=me)
        return got.transfer.status == pb.TRANSFER_STATUS_REFUNDED

    await eventually(refunded)  # done by the start-up round, not a later tick
    assert await balances(payer) == (100_000, 0)
    await invariant()


async def test_r8_a_receipt_after_a_lapse_is_refused_and_refunded_before_the_feed_is_followed(
    family, submit, transfer_server, account, as_province, bearer, balances, invariant, restart_transfer
):
    from services.transfer.adapters.tables import cursors
    from services.transfer.usecases.lifecycle import LAPSES_CURSOR

    payer, payee = family
    t = await submit(payer, payee, amount=40_000)
    # A transfer service whose worker follows the lapse feed once, at start, then not for an hour.
    stub = await restart_transfer(worker_interval=3600)
    await asyncio.sleep(0.5)  # its start-up round is over
    await account.UpdateInsurance(
        apb.UpdateInsuranceRequest(person_id=payee.id, insurance_status=apb.INSURANCE_STATUS_ENDED),
        metadata=as_province("110000"),
    )
    payee_token = bearer(Role.CITIZEN, payee.id, person_id=payee.id)
    refused = await fails(stub.ReceiveTransfer(pb.ReceiveTransferRequest(id=t.id), metadata=payee_token))
    assert (refused.code, refused.reason) == (grpc.StatusCode.FAILED_PRECONDITION, "RELATION_LAPSED")
    got = (await stub.GetTransfer(pb.GetTransferRequest(id=t.id), metadata=payee_token)).transfer
    assert (got.status, got.refund_reason) == (pb.TRANSFER_STATUS_REFUNDED, pb.REFUND_REASON_RELATION_LAPSED)
    engine = create_engine(transfer_server.database_url)
    async with engine.connect() as conn:
        lapses = select(func.count()).select_from(cursors).where(cursors.c.name == LAPSES_CURSOR)
        followed = (await conn.execute(lapses)).scalar_one()
    await engine.dispose()
    assert followed == 0  # refunded by the receipt, not by the lapse feed
    assert await balances(payer) == (100_000, 0) and await balances(payee) == (0, 0)
    await invariant()


# --- notifications (R19b)
async def _notified(transfers, token, person) -> list[tuple[int, str, str]]:
    page = await transfers.ListNotifications(pb.ListNotificationsRequest(person_id=person.id), metadata=token)
    return [(n.kind, n.transfer_id, n.text) for n in page.notifications]


async def test_r19b_the_payee_is_told_a_transfer_waits_and_the_payer_what_became_of_it(
    family, submit, transfers, bearer
):
    payer, payee = family
    payer_token = bearer(Role.CITIZEN, payer.id, person_id=payer.id)
    payee_token = bearer(Role.CITIZEN, payee.id, person_id=payee.id)
    a = await submit(payer, payee, amount=30_000)
    await transfers.ReceiveTransfer(pb.ReceiveTransferRequest(id=a.id), metadata=payee_token)
    b = await submit(payer, payee, amount=1_234)
    await transfers.DeclineTransfer(pb.DeclineTransferRequest(id=b.id), metadata=payee_token)

    async def delivered():
        return len(await _notified(transfers, payer_token, payer)) == 2

    await eventually(delivered)
    told_payee = await transfers.ListNotifications(
        pb.ListNotificationsRequest(person_id=payee.id), metadata=payee_token
    )
    waiting = [(n.kind, n.transfer_id, n.amount_fen) for n in told_payee.notifications]
    assert waiting == [  # newest first
        (pb.NOTIFICATION_KIND_TRANSFER_WAITING, b.id, 1_234),
        (pb.NOTIFICATION_KIND_TRANSFER_WAITING, a.id, 30_000),
    ]
    first = told_payee.notifications[-1]
    assert first.expire_time == a.expire_time
    assert "¥300.00" in first.text and "2026-03-03 06:00" in first.text  # 06:00 Beijing the next day
    told_payer = await _notified(transfers, payer_token, payer)
    assert [(kind, tid) for kind, tid, _ in told_payer] == [
        (pb.NOTIFICATION_KIND_TRANSFER_REFUNDED, b.id),
        (pb.NOTIFICATION_KIND_TRANSFER_RECEIVED, a.id),
    ]
    assert "对方已拒收" in told_payer[0][2]
    refused = await fails(
        transfers.ListNotifications(pb.ListNotificationsRequest(person_id=payer.id), metadata=payee_token)
    )
    assert refused.code is grpc.StatusCode.PERMISSION_DENIED


async def test_r19b_a_provider_that_fails_gets_the_batch_again_and_nothing_is_recorded_twice(
    family, bearer, restart_transfer
):
    class Flaky:
        """Refuses its first batch, as a gateway that is down would."""

        def __init__(self):
            self.batches = []

        async def send(self, notes):
            self.batches.append([(n.event_sequence, n.person_id) for n in notes])
            if len(self.batches) == 1:
                raise ConnectionError("gateway down")

    payer, payee = family
    provider = Flaky()
    # Restarted with it, so that the default provider does not take the events first.
    stub = await restart_transfer(worker_interval=0.05, provider=provider)
    payer_token = bearer(Role.CITIZEN, payer.id, person_id=payer.id)
    t = await stub.SubmitTransfer(submit_request(payer, payee, amount=500), metadata=payer_token)
    payee_token = bearer(Role.CITIZEN, payee.id, person_id=payee.id)

    async def delivered():
        return len(await _notified(stub, payee_token, payee)) == 1

    await eventually(delivered)
    assert [tid for _, tid, _ in await _notified(stub, payee_token, payee)] == [t.transfer.id]
    assert len(provider.batches) >= 2 and provider.batches[0] == provider.batches[1]  # offered again
