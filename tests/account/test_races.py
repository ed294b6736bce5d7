"""Concurrent duplicates through the real gRPC servers, on SQLite and
PostgreSQL: a write that a race repeats is answered exactly as a sequential
repeat would be — the same success for the same content, the same refusal
for other content — never INTERNAL, and stored once."""

from __future__ import annotations

import asyncio

import grpc
import pytest
from yibao.account.v1 import account_pb2 as pb
from yibao.region.v1 import region_pb2, region_pb2_grpc
from yibao.type.v1 import relation_pb2

from services.kernel.auth import Role
from tests.account.test_grpc import assert_ledger_balanced, balances, hold_request, password
from tests.cluster import id_number
from tests.rpc import failure
from tests.tls import aio_channel

N = 20
CHILD, PARENT, SPOUSE = (
    relation_pb2.RELATION_KIND_CHILD,
    relation_pb2.RELATION_KIND_PARENT,
    relation_pb2.RELATION_KIND_SPOUSE,
)


async def race(*calls):
    """Each call's answer (the response, or the failure's reason), all sent at once."""

    async def outcome(call):
        try:
            return await call
        except grpc.aio.AioRpcError as error:
            return failure(error).reason

    return await asyncio.gather(*(outcome(call) for call in calls))


def split(answers):
    """(responses, reasons of the failures)."""
    return [a for a in answers if not isinstance(a, str)], [a for a in answers if isinstance(a, str)]


# --- relations (R8)
def attest(account, as_province, person, relative, kind):
    request = pb.AttestRelationRequest(person_id=person.id, relative_id=relative.id, kind=kind)
    return account.AttestRelation(request, metadata=as_province())


async def relatives(account, as_citizen, person):
    listed = await account.ListRelations(
        pb.ListRelationsRequest(person_id=person.id), metadata=as_citizen(person.id)
    )
    return [(r.relative_id, r.kind) for r in listed.relations]


async def test_concurrent_identical_attestations_all_get_the_same_answer(
    account, register, as_province, as_citizen
):
    parent, child = await register("张父"), await register("张子")
    answers = await race(*(attest(account, as_province, parent, child, CHILD) for _ in range(N)))
    assert all(a == answers[0] for a in answers) and not isinstance(answers[0], str), answers
    assert await relatives(account, as_citizen, parent) == [(child.id, CHILD)]
    assert await relatives(account, as_citizen, child) == [(parent.id, PARENT)]


async def test_concurrent_attestations_of_both_directions_agree(account, register, as_province, as_citizen):
    parent, child = await register("张父"), await register("张子")
    answers = await race(
        *(attest(account, as_province, parent, child, CHILD) for _ in range(N // 2)),
        *(attest(account, as_province, child, parent, PARENT) for _ in range(N // 2)),
    )
    assert not split(answers)[1]
    assert {(a.relation.kind, a.inverse.kind) for a in answers[: N // 2]} == {(CHILD, PARENT)}
    assert {(a.relation.kind, a.inverse.kind) for a in answers[N // 2 :]} == {(PARENT, CHILD)}
    assert await relatives(account, as_citizen, parent) == [(child.id, CHILD)]


async def test_concurrent_attestations_of_other_kinds_one_wins_the_others_refused(
    account, register, as_province, as_citizen, as_service
):
    one, other = await register("张三"), await register("李四")
    for renewed in (False, True):
        if renewed:  # the relation lapsed with a move: the race is over renewing it
            await account.UpdateInsurance(
                pb.UpdateInsuranceRequest(person_id=one.id, insured_region="450103"), metadata=as_province()
            )
            assert await relatives(account, as_citizen, one) == []
        answers = await race(
            *(attest(account, as_province, one, other, CHILD) for _ in range(N // 2)),
            *(attest(account, as_province, one, other, SPOUSE) for _ in range(N // 2)),
        )
        answered, refused = split(answers)
        (kind,) = {a.relation.kind for a in answered}
        assert len(answered) == N // 2 and refused == ["RELATION_EXISTS"] * (N // 2)
        assert await relatives(account, as_citizen, one) == [(other.id, kind)]


# --- persons and wallets (R5, R7)
async def test_concurrent_registrations_register_once(account, as_province):
    number = id_number()

    def registration(name):
        request = pb.RegisterPersonRequest(
            id_number=number, name=name, insurance_type=pb.INSURANCE_TYPE_EMPLOYEE, insured_region="450102"
        )
        return account.RegisterPerson(request, metadata=as_province())

    answers = await race(*(registration("张三") for _ in range(N)), *(registration("李四") for _ in range(N)))
    answered, refused = split(answers)
    assert [a.created for a in answered].count(True) == 1  # the first one; the rest are retries
    assert len({a.person.SerializeToString() for a in answered}) == 1
    # Whichever name came first, the other is refused as it would be after it.
    assert len(answered) == N and refused == ["PERSON_ALREADY_REGISTERED"] * N


async def test_concurrent_wallet_openings_open_one(account, register, as_citizen):
    person = await register("张三")

    def opening(mobile):
        request = pb.OpenWalletRequest(person_id=person.id, place_of_use="450102", mobile=mobile)
        return account.OpenWallet(request, metadata=as_citizen(person.id))

    answers = await race(
        *(opening("13800138000") for _ in range(N)), *(opening("13900139000") for _ in range(N))
    )
    answered, refused = split(answers)
    assert [a.created for a in answered].count(True) == 1
    assert len({a.wallet.SerializeToString() for a in answered}) == 1
    assert len(answered) == N and refused == ["WALLET_ALREADY_OPENED"] * N


# --- credentials (R9)
async def test_concurrent_first_passwords_set_one(account, register, as_citizen, as_service):
    person = await register("张三")
    me = as_citizen(person.id)
    answers = await race(
        *(
            account.SetPassword(pb.SetPasswordRequest(person_id=person.id, new_password=p), metadata=me)
            for p in ("258036", "369147")
            for _ in range(N // 2)
        )
    )
    answered, refused = split(answers)
    # The first sets it; after it, setting one without the current password is refused.
    assert len(answered) == 1 and refused == ["CURRENT_PASSWORD_REQUIRED"] * (N - 1)
    chosen = "258036" if answers.index(answered[0]) < N // 2 else "369147"
    verified = await account.VerifyCredential(
        pb.VerifyCredentialRequest(
            person_id=person.id, purpose=pb.VERIFICATION_PURPOSE_PAYMENT, verification=password(chosen)
        ),
        metadata=as_service,
    )
    assert verified.attempts_left == 5


async def test_concurrent_password_changes_change_it_once(account, register, as_citizen):
    person = await register("张三")
    me = as_citizen(person.id)
    await account.SetPassword(pb.SetPasswordRequest(person_id=person.id, new_password="258036"), metadata=me)
    change = pb.SetPasswordRequest(person_id=person.id, current_password="258036", new_password="369147")
    answers = await race(*(account.SetPassword(change, metadata=me) for _ in range(4)))
    answered, refused = split(answers)
    # After the first change, "258036" is no longer the current password.
    assert len(answered) == 1 and refused == ["VERIFICATION_FAILED"] * 3
    again = pb.SetPasswordRequest(person_id=person.id, current_password="369147", new_password="147258")
    await account.SetPassword(again, metadata=me)


# --- money (R6, R11, R12a)
async def test_concurrent_fundings_fund_once(account, register, as_province, as_citizen, account_server):
    person = await register("张三")

    def funding(amount):
        request = pb.FundPersonalAccountRequest(
            person_id=person.id, amount_fen=amount, reference="gx-2026-03-0001", period="2026-03"
        )
        return account.FundPersonalAccount(request, metadata=as_province())

    answers = await race(*(funding(30_000) for _ in range(N)), *(funding(40_000) for _ in range(N)))
    answered, refused = split(answers)
    assert len({a.SerializeToString() for a in answered}) == 1
    assert len(answered) == N and refused == ["REQUEST_ID_REUSED"] * N
    assert await balances(account, as_citizen, person) == (answered[0].balance_fen, 0)
    await assert_ledger_balanced(account_server)


@pytest.fixture
async def patient(account, register, with_wallet, as_province, as_citizen, as_service):
    """A resident of 北京 with ¥400 in a wallet usable at 北京协和医院, password 258036."""
    payer, person = await register("张三"), await register("李四", "110101", pb.INSURANCE_TYPE_RESIDENT)
    await with_wallet(payer)
    await with_wallet(person, place="110101")
    request = pb.FundPersonalAccountRequest(
        person_id=payer.id, amount_fen=40_000, reference="f", period="2026-03"
    )
    await account.FundPersonalAccount(request, metadata=as_province())
    await account.HoldTransfer(hold_request(payer, person, "tr-1", 40_000), metadata=as_service)
    await account.ReceiveTransfer(pb.ReceiveTransferRequest(transfer_id="tr-1"), metadata=as_service)
    me = as_citizen(person.id)
    await account.SetPassword(pb.SetPasswordRequest(person_id=person.id, new_password="258036"), metadata=me)
    return person


async def test_concurrent_charges_and_refunds_move_money_once(
    account, patient, as_institution, as_citizen, account_server
):
    hospital = as_institution("H11010100001")

    def charge(amount):
        request = pb.ChargeWalletRequest(
            institution_code="H11010100001",
            order_number="ORD-1",
            person_id=patient.id,
            amount_fen=amount,
            verification=password("258036"),
        )
        return account.ChargeWallet(request, metadata=hospital)

    answers = await race(*(charge(12_000) for _ in range(N // 2)), *(charge(13_000) for _ in range(N // 2)))
    answered, refused = split(answers)
    (paid,) = {a.payment.SerializeToString() for a in answered}
    assert len(answered) == N // 2 and refused == ["ORDER_ALREADY_PAID"] * (N // 2)
    charged = answered[0].payment.amount_fen
    assert await balances(account, as_citizen, patient) == (0, 40_000 - charged)

    def refund(amount):
        request = pb.RefundPaymentRequest(
            institution_code="H11010100001", order_number="ORD-1", amount_fen=amount, refund_id="R-1"
        )
        return account.RefundPayment(request, metadata=hospital)

    answers = await race(*(refund(2_000) for _ in range(N // 2)), *(refund(3_000) for _ in range(N // 2)))
    answered, refused = split(answers)
    assert len({a.SerializeToString() for a in answered}) == 1
    assert len(answered) == N // 2 and refused == ["REQUEST_ID_REUSED"] * (N // 2)
    refunded = answered[0].payment.refunded_fen
    assert await balances(account, as_citizen, patient) == (0, 40_000 - charged + refunded)
    await assert_ledger_balanced(account_server)


async def test_concurrent_bills_issue_one_and_concurrent_payments_pay_it_once(
    account, patient, as_province, as_citizen, account_server
):
    beijing, me = as_province("110000"), as_citizen(patient.id)
    kind = pb.CONTRIBUTION_KIND_RESIDENT_INSURANCE

    def issue(amount):
        request = pb.IssueContributionBillRequest(
            person_id=patient.id, kind=kind, year=2026, amount_fen=amount
        )
        return account.IssueContributionBill(request, metadata=beijing)

    answers = await race(*(issue(38_000) for _ in range(N // 2)), *(issue(39_000) for _ in range(N // 2)))
    answered, refused = split(answers)
    assert [a.created for a in answered].count(True) == 1
    assert len({a.bill.SerializeToString() for a in answered}) == 1
    assert len(answered) == N // 2 and refused == ["BILL_ALREADY_ISSUED"] * (N // 2)
    billed = answered[0].bill.amount_fen

    pay = pb.PayContributionRequest(
        payer_id=patient.id, beneficiary_id=patient.id, kind=kind, year=2026, verification=password("258036")
    )
    answers = await race(*(account.PayContribution(pay, metadata=me) for _ in range(N)))
    assert not split(answers)[1] and len({a.SerializeToString() for a in answers}) == 1
    assert await balances(account, as_citizen, patient) == (0, 40_000 - billed)
    await assert_ledger_balanced(account_server)


# --- the region service (R2, R4)
@pytest.fixture
async def regions(region_target):
    async with aio_channel(region_target) as channel:
        yield region_pb2_grpc.RegionServiceStub(channel)


async def test_concurrent_enablements_under_one_request_id_record_one_change(regions, bearer):
    admin = bearer(Role.ADMIN, "ops-1")

    def enablement(reason):
        request = region_pb2.SetRegionEnablementRequest(
            code="330000", action=region_pb2.ENABLEMENT_ACTION_ENABLE, reason=reason, request_id="req-1"
        )
        return regions.SetRegionEnablement(request, metadata=admin)

    answers = await race(
        *(enablement("浙江省开通") for _ in range(N)), *(enablement("其他") for _ in range(N))
    )
    answered, refused = split(answers)
    assert len({a.change.SerializeToString() for a in answered}) == 1
    assert len(answered) == N and refused == ["REQUEST_ID_REUSED"] * N
    history = await regions.ListEnablementChanges(
        region_pb2.ListEnablementChangesRequest(code="330000"), metadata=admin
    )
    assert [c.id for c in history.changes] == [answered[0].change.id]


async def test_concurrent_creations_of_one_institution_create_it_once(regions, bearer):
    admin = bearer(Role.ADMIN, "ops-1")
    institution = region_pb2.Institution(
        code="P45010300002", name="青秀区惠民药房", region_code="450103", accepts_wallet=True
    )
    create = region_pb2.CreateInstitutionRequest(institution=institution)
    answers = await race(*(regions.CreateInstitution(create, metadata=admin) for _ in range(N)))
    answered, refused = split(answers)
    # The first creates it; after it, creating it again is refused.
    assert len(answered) == 1 and refused == ["INSTITUTION_ALREADY_EXISTS"] * (N - 1)
