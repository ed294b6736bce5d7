"""Rules that complete the transfer story, through the real services on both
backends: the payer-side region gates, a transfer inside one province and
one from a wallet, who may not act on a transfer (R20), and the decisions of
docs/rules.md for a region withdrawn while a transfer waits and for a holder
whose insurance ended."""

from __future__ import annotations

import grpc
from yibao.account.v1 import account_pb2 as apb
from yibao.region.v1 import region_pb2 as rpb
from yibao.region.v1 import region_pb2_grpc
from yibao.transfer.v1 import transfer_pb2 as pb
from yibao.type.v1 import relation_pb2, verification_pb2

from services.kernel.auth import Role
from tests.rpc import fails
from tests.tls import aio_channel
from tests.transfer.helpers import PASSWORD, eventually, submit_request

C = grpc.StatusCode


async def _set_region(region_target, bearer, clock, code: str, action) -> None:
    async with aio_channel(region_target) as channel:
        await region_pb2_grpc.RegionServiceStub(channel).SetRegionEnablement(
            rpb.SetRegionEnablementRequest(code=code, action=action, reason="测试"),
            metadata=bearer(Role.ADMIN, "ops"),
        )
    clock.advance(seconds=1)  # the transfer service's region answers are at most 1 s stale


def _as(bearer, person):
    return bearer(Role.CITIZEN, person.id, person_id=person.id)


async def test_r14_the_payers_insured_region_and_place_of_use_are_gates(
    family, account, submit, bearer, clock, region_target, balances, invariant
):
    payer, payee = family  # 张伟 insured in 南宁 (450102)
    await account.ChangePlaceOfUse(
        apb.ChangePlaceOfUseRequest(person_id=payer.id, place_of_use="440104"), metadata=_as(bearer, payer)
    )
    await _set_region(region_target, bearer, clock, "440000", rpb.ENABLEMENT_ACTION_DISABLE)
    place = await fails(submit(payer, payee))
    assert (place.reason, place.metadata) == (
        "REGION_NOT_ENABLED",
        {"region": "440104", "role": "payer_place_of_use"},
    )
    await _set_region(region_target, bearer, clock, "440000", rpb.ENABLEMENT_ACTION_ENABLE)
    await _set_region(region_target, bearer, clock, "450100", rpb.ENABLEMENT_ACTION_DISABLE)
    insured = await fails(submit(payer, payee))
    assert (insured.reason, insured.metadata) == (
        "REGION_NOT_ENABLED",
        {"region": "450102", "role": "payer_insured_region"},
    )
    assert await balances(payer) == (100_000, 0)
    await invariant()


async def test_r13_a_transfer_inside_one_province(
    member, relate, submit, transfers, bearer, balances, invariant
):
    husband = await member("张伟", "450102", funding=100_000)
    wife = await member("王芳", "450103", kind=apb.INSURANCE_TYPE_RESIDENT)
    await relate(husband, wife, relation_pb2.RELATION_KIND_SPOUSE)
    t = await submit(husband, wife, amount=8_800, relation=relation_pb2.RELATION_KIND_SPOUSE)
    assert (t.payer_province, t.payee_province) == ("450000", "450000")
    received = await transfers.ReceiveTransfer(pb.ReceiveTransferRequest(id=t.id), metadata=_as(bearer, wife))
    assert received.transfer.status == pb.TRANSFER_STATUS_RECEIVED
    assert await balances(husband) == (91_200, 0) and await balances(wife) == (0, 8_800)
    await invariant()


async def test_r13_a_transfer_from_the_payers_wallet(family, submit, transfers, bearer, balances, invariant):
    son, mother = family  # she is resident-insured: no personal account, only her wallet
    first = await submit(son, mother, amount=50_000)
    await transfers.ReceiveTransfer(pb.ReceiveTransferRequest(id=first.id), metadata=_as(bearer, mother))
    back = await submit(
        mother,
        son,
        amount=20_000,
        relation=relation_pb2.RELATION_KIND_CHILD,
        source=pb.TRANSFER_SOURCE_WALLET,
    )
    assert back.source == pb.TRANSFER_SOURCE_WALLET and await balances(mother) == (0, 30_000)
    await transfers.ReceiveTransfer(pb.ReceiveTransferRequest(id=back.id), metadata=_as(bearer, son))
    assert await balances(son) == (50_000, 20_000) and await balances(mother) == (0, 30_000)
    await invariant()


async def test_r20_nobody_acts_on_someone_elses_transfer(
    family, member, account, submit, transfers, bearer, balances, invariant
):
    payer, payee = family
    stranger = await member("王五", "450102", funding=10_000)
    t = await submit(payer, payee, amount=1_000)
    for_another = await fails(
        transfers.SubmitTransfer(submit_request(payer, payee), metadata=_as(bearer, stranger))
    )
    assert for_another.code is C.PERMISSION_DENIED  # submitting for another payer
    declined_by_payer = await fails(
        transfers.DeclineTransfer(pb.DeclineTransferRequest(id=t.id), metadata=_as(bearer, payer))
    )
    assert declined_by_payer.code is C.PERMISSION_DENIED  # only the payee (or her platform) declines
    received_by_stranger = await fails(
        transfers.ReceiveTransfer(pb.ReceiveTransferRequest(id=t.id), metadata=_as(bearer, stranger))
    )
    unknown = await fails(
        transfers.ReceiveTransfer(pb.ReceiveTransferRequest(id="no-such"), metadata=_as(bearer, stranger))
    )
    assert (received_by_stranger.code, received_by_stranger.message) == (unknown.code, unknown.message)
    quota = await fails(
        transfers.GetQuota(pb.GetQuotaRequest(person_id=payer.id), metadata=_as(bearer, stranger))
    )
    assert quota.code is C.PERMISSION_DENIED
    wallet = await fails(
        account.OpenWallet(
            apb.OpenWalletRequest(person_id=payer.id, mobile="13912345678"), metadata=_as(bearer, stranger)
        )
    )
    assert wallet.code is C.PERMISSION_DENIED
    assert await balances(payer) == (99_000, 0)
    await invariant()


async def test_policy_a_region_withdrawn_while_a_transfer_waits_still_lets_it_be_received(
    family, submit, transfers, bearer, clock, region_target, balances, invariant
):
    payer, payee = family
    t = await submit(payer, payee, amount=5_000)
    await _set_region(region_target, bearer, clock, "110000", rpb.ENABLEMENT_ACTION_DISABLE)  # 北京 withdrawn
    assert (await fails(submit(payer, payee, amount=1_000))).reason == "REGION_NOT_ENABLED"  # nothing new
    received = await transfers.ReceiveTransfer(
        pb.ReceiveTransferRequest(id=t.id), metadata=_as(bearer, payee)
    )
    assert received.transfer.status == pb.TRANSFER_STATUS_RECEIVED  # what was held before goes through
    assert await balances(payee) == (0, 5_000)
    await invariant()


async def test_policy_a_holder_whose_insurance_ended_keeps_and_spends_the_wallet_but_no_transfers(
    family, account, submit, transfers, bearer, as_province, as_institution, balances, invariant
):
    payer, payee = family
    t = await submit(payer, payee, amount=20_000)
    await transfers.ReceiveTransfer(pb.ReceiveTransferRequest(id=t.id), metadata=_as(bearer, payee))
    await account.UpdateInsurance(
        apb.UpdateInsuranceRequest(person_id=payee.id, insurance_status=apb.INSURANCE_STATUS_ENDED),
        metadata=as_province("110000"),
    )
    assert await balances(payee) == (0, 20_000)  # the money stays hers
    hospital = "H11010100001"  # in 北京, her wallet's place of use
    paid = await account.ChargeWallet(
        apb.ChargeWalletRequest(
            institution_code=hospital,
            order_number="ORD-ended",
            person_id=payee.id,
            amount_fen=3_000,
            verification=verification_pb2.Verification(password=PASSWORD),
        ),
        metadata=as_institution(hospital),
    )
    assert paid.payment.amount_fen == 3_000 and await balances(payee) == (0, 17_000)

    async def lapsed_for_the_payer():
        listed = await account.ListRelations(
            apb.ListRelationsRequest(person_id=payer.id), metadata=_as(bearer, payer)
        )
        return payee.id not in {r.relative_id for r in listed.relations}

    # With one account service at once; across shards (R24) once the lapse has
    # reached the payer's shard, through the lapse feed the transfer service follows.
    await eventually(lapsed_for_the_payer)
    refused = await fails(submit(payer, payee, amount=1_000))
    assert refused.reason == "NOT_CLOSE_RELATIVE"  # her relations lapsed: no transfers in
    out = await fails(
        submit(
            payee,
            payer,
            amount=1_000,
            relation=relation_pb2.RELATION_KIND_CHILD,
            source=pb.TRANSFER_SOURCE_WALLET,
        )
    )
    assert out.reason == "NOT_CLOSE_RELATIVE"  # nor out
    await invariant()
