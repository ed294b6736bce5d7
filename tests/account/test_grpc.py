"""The account service through real gRPC servers (account + region), on
SQLite and PostgreSQL: persons, wallets, relatives, credentials, money,
statements, and who may do what (R5–R12a, R20)."""

from __future__ import annotations

import uuid
from datetime import timedelta

import grpc
import pytest
from google.protobuf.timestamp_pb2 import Timestamp
from google.rpc import code_pb2
from sqlalchemy import func, or_, select
from yibao.account.v1 import account_pb2 as pb
from yibao.type.v1 import relation_pb2, verification_pb2

from services.account.adapters.ledger import ledger_totals
from services.account.adapters.tables import accounts
from services.account.domain.credentials import Purpose, mint_face_ticket
from services.kernel.auth import Role
from services.kernel.db import create_engine
from services.kernel.proto_time import to_timestamp
from tests.cluster import FACE_KEY, id_number
from tests.rpc import fails

C = grpc.StatusCode


def password(p: str) -> verification_pb2.Verification:
    return verification_pb2.Verification(password=p)


async def assert_ledger_balanced(server) -> None:
    engine = create_engine(server.database_url)
    try:
        async with engine.connect() as conn:
            debits, credits, balances = await ledger_totals(conn)
    finally:
        await engine.dispose()
    assert debits == credits and balances == 0


async def assert_federation_balanced(servers) -> None:
    """R24's global check over the account shards: each one balanced, and
    their clearing, moved- and dues- accounts cancelling out, so that what the
    persons hold across every shard is what was funded less what was paid
    out. (Between the two legs of a receipt, or the two halves of a move,
    they do not: call it when none is under way.)"""
    clearing = 0
    for server in servers:
        await assert_ledger_balanced(server)
        engine = create_engine(server.database_url)
        try:
            async with engine.connect() as conn:
                query = select(func.coalesce(func.sum(accounts.c.balance), 0)).where(
                    or_(*(accounts.c.system_key.like(f"{k}-%") for k in ("clearing", "moved", "dues")))
                )
                clearing += int((await conn.execute(query)).scalar_one())
        finally:
            await engine.dispose()
    assert clearing == 0


async def funded(account, as_province, person, amount=100_000, reference=None):
    request = pb.FundPersonalAccountRequest(
        person_id=person.id, amount_fen=amount, reference=reference or f"ref-{person.id}", period="2026-03"
    )
    return await account.FundPersonalAccount(
        request, metadata=as_province(person.insured_region[:2] + "0000")
    )


# --- persons (R5)
async def test_r5_register_masks_the_id_number_and_is_idempotent(account, as_province, as_citizen):
    number = id_number("450102", "19900307")
    request = pb.RegisterPersonRequest(
        id_number=number, name="张三", insurance_type=pb.INSURANCE_TYPE_EMPLOYEE, insured_region="450102"
    )
    first = await account.RegisterPerson(request, metadata=as_province())
    assert first.created and first.person.masked_id_number == number[:6] + "********" + number[-4:]
    again = await account.RegisterPerson(request, metadata=as_province())
    assert not again.created and again.person.id == first.person.id
    other = pb.RegisterPersonRequest(
        id_number=number, name="李四", insurance_type=pb.INSURANCE_TYPE_EMPLOYEE, insured_region="450102"
    )
    assert (
        await fails(account.RegisterPerson(other, metadata=as_province()))
    ).reason == "PERSON_ALREADY_REGISTERED"
    me = await account.GetPerson(
        pb.GetPersonRequest(person_id=first.person.id), metadata=as_citizen(first.person.id)
    )
    assert number not in str(me) and me.person.name == "张三"


async def test_r5_register_validates_input(account, as_province):
    good = id_number()
    cases = [
        (dict(id_number="12345"), "ID_NUMBER_INVALID", ["id_number"]),
        (
            dict(id_number=good[:-1] + ("0" if good[-1] != "0" else "1")),
            "ID_NUMBER_CHECK_DIGIT",
            ["id_number"],
        ),
        (dict(name=""), "NAME_REQUIRED", ["name"]),
        (dict(insurance_type=0), "INSURANCE_TYPE_REQUIRED", ["insurance_type"]),
        (dict(insured_region="4501"), "REGION_CODE_INVALID", ["insured_region"]),
        (dict(insured_region="459999"), "REGION_UNKNOWN", ["insured_region"]),
    ]
    for override, reason, fields in cases:
        values = (
            dict(
                id_number=good,
                name="张三",
                insurance_type=pb.INSURANCE_TYPE_EMPLOYEE,
                insured_region="450102",
            )
            | override
        )
        failure = await fails(
            account.RegisterPerson(pb.RegisterPersonRequest(**values), metadata=as_province())
        )
        assert (failure.code, failure.reason, failure.fields) == (C.INVALID_ARGUMENT, reason, fields), reason


async def test_r20_a_province_registers_only_its_own_persons(account, as_province):
    request = pb.RegisterPersonRequest(
        id_number=id_number("110101"),
        name="王五",
        insurance_type=pb.INSURANCE_TYPE_RESIDENT,
        insured_region="110101",
    )
    failure = await fails(account.RegisterPerson(request, metadata=as_province("450000")))
    assert failure.code is C.PERMISSION_DENIED


async def test_r20_citizens_see_only_themselves(account, register, as_citizen, as_province):
    me, other = await register("张三"), await register("李四")
    for target in (other.id, "no-such-person"):
        failure = await fails(
            account.GetPerson(pb.GetPersonRequest(person_id=target), metadata=as_citizen(me.id))
        )
        assert failure.code is C.PERMISSION_DENIED  # the same whether the target exists or not
        assert (
            await fails(account.GetWallet(pb.GetWalletRequest(person_id=target), metadata=as_citizen(me.id)))
        ).code is C.PERMISSION_DENIED
    foreign = await fails(
        account.GetPerson(pb.GetPersonRequest(person_id=me.id), metadata=as_province("110000"))
    )
    assert foreign.code is C.PERMISSION_DENIED
    assert (
        await account.GetPerson(pb.GetPersonRequest(person_id=me.id), metadata=as_province("450000"))
    ).person.id == me.id


async def test_lookup_person_for_the_transfer_service(account, register, as_service, as_citizen):
    number = id_number()
    person = await register("赵六", number=number)
    found = await account.LookupPerson(
        pb.LookupPersonRequest(id_number=number, name="赵六"), metadata=as_service
    )
    assert found.person.id == person.id and not found.HasField("wallet")
    mismatch = await fails(
        account.LookupPerson(pb.LookupPersonRequest(id_number=number, name="赵七"), metadata=as_service)
    )
    assert (mismatch.code, mismatch.reason) == (C.FAILED_PRECONDITION, "NAME_MISMATCH")
    missing = await fails(
        account.LookupPerson(pb.LookupPersonRequest(id_number=id_number(), name="赵六"), metadata=as_service)
    )
    assert (missing.code, missing.reason) == (C.NOT_FOUND, "PERSON_NOT_FOUND")
    citizen = await fails(
        account.LookupPerson(
            pb.LookupPersonRequest(id_number=number, name="赵六"), metadata=as_citizen(person.id)
        )
    )
    assert citizen.code is C.PERMISSION_DENIED


async def test_a_province_finds_its_own_persons_by_id_number(account, register, as_province):
    number, elsewhere = id_number(), id_number("110101")
    person = await register("赵六", number=number)  # insured in 450102
    await register("钱七", region="110101", number=elsewhere)

    def lookup(id_no, name="", province="450000"):
        return account.LookupPerson(
            pb.LookupPersonRequest(id_number=id_no, name=name), metadata=as_province(province)
        )

    assert (await lookup(number)).person.id == person.id  # no re-registering to learn the id
    assert (await fails(lookup(number, "赵七"))).reason == "NAME_MISMATCH"
    other_province, unknown = await fails(lookup(elsewhere)), await fails(lookup(id_number()))
    assert (other_province.code, other_province.reason, other_province.message) == (
        unknown.code,
        "PERSON_NOT_FOUND",
        unknown.message,
    )  # a person of another province is not told apart from nobody


# --- personal accounts (R6)
async def test_r6_funding_is_idempotent_by_reference_and_only_for_employees(
    account, register, as_province, as_citizen, account_server
):
    employee, resident = await register("张三"), await register("李四", kind=pb.INSURANCE_TYPE_RESIDENT)
    first = await funded(account, as_province, employee, 30_000, "gx-2026-03-001")
    again = await funded(account, as_province, employee, 30_000, "gx-2026-03-001")
    assert first.balance_fen == again.balance_fen == 30_000 and first.entry_id == again.entry_id
    conflict = await fails(funded(account, as_province, employee, 99, "gx-2026-03-001"))
    assert (conflict.code, conflict.reason) == (C.INVALID_ARGUMENT, "REQUEST_ID_REUSED")
    assert (await funded(account, as_province, employee, 20_000, "gx-2026-04-001")).balance_fen == 50_000
    no_account = await fails(funded(account, as_province, resident))
    assert (no_account.code, no_account.reason) == (C.FAILED_PRECONDITION, "NO_PERSONAL_ACCOUNT")
    bad = await fails(funded(account, as_province, employee, 0))
    assert (bad.reason, bad.fields) == ("AMOUNT_NOT_POSITIVE", ["amount_fen"])
    for period in ("", "2026-3", "2026-04", "2026-13", "２026-03"):  # now is 2026-03-02
        request = pb.FundPersonalAccountRequest(
            person_id=employee.id, amount_fen=1, reference="p", period=period
        )
        wrong = await fails(account.FundPersonalAccount(request, metadata=as_province("450000")))
        assert (wrong.reason, wrong.fields) == ("PERIOD_INVALID", ["period"]), period
    other_province = pb.FundPersonalAccountRequest(
        person_id=employee.id, amount_fen=1, reference="x", period="2026-03"
    )
    assert (
        await fails(account.FundPersonalAccount(other_province, metadata=as_province("110000")))
    ).code is C.PERMISSION_DENIED
    balances = await account.GetBalances(
        pb.GetBalancesRequest(person_id=resident.id), metadata=as_citizen(resident.id)
    )
    assert not balances.has_personal_account and not balances.has_wallet
    await assert_ledger_balanced(account_server)


# --- wallets (R7)
async def test_r7_open_wallet_needs_an_enabled_place_and_is_idempotent(account, register, as_citizen):
    person = await register("张三")
    me = as_citizen(person.id)
    disabled = await fails(
        account.OpenWallet(
            pb.OpenWalletRequest(person_id=person.id, place_of_use="450303", mobile="13800138000"),
            metadata=me,
        )
    )
    assert (disabled.code, disabled.reason, disabled.metadata["region"]) == (
        C.FAILED_PRECONDITION,
        "REGION_NOT_ENABLED",
        "450303",
    )
    bad_mobile = await fails(
        account.OpenWallet(
            pb.OpenWalletRequest(person_id=person.id, place_of_use="450102", mobile="12800138000"),
            metadata=me,
        )
    )
    assert (bad_mobile.reason, bad_mobile.fields) == ("MOBILE_INVALID", ["mobile"])
    opened = await account.OpenWallet(
        pb.OpenWalletRequest(person_id=person.id, place_of_use="450102", mobile="13800138000"), metadata=me
    )
    assert opened.created and opened.wallet.masked_mobile == "138****8000" and opened.wallet.balance_fen == 0
    again = await account.OpenWallet(
        pb.OpenWalletRequest(person_id=person.id, place_of_use="450102", mobile="13800138000"), metadata=me
    )
    assert not again.created and again.wallet == opened.wallet
    different = await fails(
        account.OpenWallet(
            pb.OpenWalletRequest(person_id=person.id, place_of_use="110101", mobile="13800138000"),
            metadata=me,
        )
    )
    assert different.reason == "WALLET_ALREADY_OPENED"


async def test_r7_the_place_of_use_defaults_to_the_insured_pooling_region(account, register, as_citizen):
    nanning = await register("张三", region="450102")
    opened = await account.OpenWallet(
        pb.OpenWalletRequest(person_id=nanning.id, mobile="13800138000"), metadata=as_citizen(nanning.id)
    )
    assert opened.wallet.place_of_use == "450100"  # 南宁市, the city of 兴宁区
    again = await account.OpenWallet(
        pb.OpenWalletRequest(person_id=nanning.id, mobile="13800138000"), metadata=as_citizen(nanning.id)
    )
    assert (again.created, again.wallet.place_of_use) == (False, "450100")
    beijing = await register("李四", region="110101")
    opened = await account.OpenWallet(
        pb.OpenWalletRequest(person_id=beijing.id, mobile="13800138000"), metadata=as_citizen(beijing.id)
    )
    assert opened.wallet.place_of_use == "110000"  # a municipality pools at the province


async def test_r7_the_bound_mobile_changes_after_verification_or_by_the_platform(
    account, register, with_wallet, as_citizen, as_province
):
    person, other = await register("张三"), await register("王五")
    await with_wallet(person, mobile="13800138000")
    me = as_citizen(person.id)
    await account.SetPassword(pb.SetPasswordRequest(person_id=person.id, new_password="258036"), metadata=me)

    def change(mobile, who, p=None):
        request = pb.ChangeMobileRequest(
            person_id=person.id, mobile=mobile, verification=password(p) if p else None
        )
        return account.ChangeMobile(request, metadata=who)

    assert (await fails(change("13912345678", me))).reason == "VERIFICATION_REQUIRED"
    assert (await fails(change("13912345678", me, "000000"))).reason == "VERIFICATION_FAILED"
    assert (await change("13912345678", me, "258036")).wallet.masked_mobile == "139****5678"
    assert (await change("13712345678", as_province("450000"))).wallet.masked_mobile == "137****5678"
    assert (await fails(change("12912345678", as_province("450000")))).reason == "MOBILE_INVALID"
    for stranger in (as_province("110000"), as_citizen(other.id)):
        assert (await fails(change("13600000000", stranger))).code is C.PERMISSION_DENIED
    wallet = await account.GetWallet(pb.GetWalletRequest(person_id=person.id), metadata=me)
    assert wallet.wallet.masked_mobile == "137****5678"


async def test_r7_change_place_of_use(account, register, with_wallet, as_citizen):
    person = await register("张三")
    await with_wallet(person)
    me = as_citizen(person.id)
    changed = await account.ChangePlaceOfUse(
        pb.ChangePlaceOfUseRequest(person_id=person.id, place_of_use="110101"), metadata=me
    )
    assert changed.wallet.place_of_use == "110101"
    refused = await fails(
        account.ChangePlaceOfUse(
            pb.ChangePlaceOfUseRequest(person_id=person.id, place_of_use="450303"), metadata=me
        )
    )
    assert refused.reason == "REGION_NOT_ENABLED"
    unopened = await register("李四")
    missing = await fails(
        account.ChangePlaceOfUse(
            pb.ChangePlaceOfUseRequest(person_id=unopened.id, place_of_use="110101"),
            metadata=as_citizen(unopened.id),
        )
    )
    assert (missing.code, missing.reason) == (C.NOT_FOUND, "WALLET_NOT_OPENED")


# --- close relatives (R8)
async def test_r8_relations_are_known_both_ways_and_lapse_on_a_move(
    account, register, as_province, as_citizen, as_service
):
    parent, child = await register("张父"), await register("张子", region="450103")
    attested = await account.AttestRelation(
        pb.AttestRelationRequest(
            person_id=parent.id, relative_id=child.id, kind=relation_pb2.RELATION_KIND_CHILD
        ),
        metadata=as_province(),
    )
    assert (
        attested.relation.kind == relation_pb2.RELATION_KIND_CHILD
        and attested.inverse.kind == relation_pb2.RELATION_KIND_PARENT
    )
    seen_by_child = await account.ListRelations(
        pb.ListRelationsRequest(person_id=child.id), metadata=as_citizen(child.id)
    )
    assert [(r.relative_id, r.kind, r.relative_name) for r in seen_by_child.relations] == [
        (parent.id, relation_pb2.RELATION_KIND_PARENT, "张父")
    ]
    other_kind = await fails(
        account.AttestRelation(
            pb.AttestRelationRequest(
                person_id=child.id, relative_id=parent.id, kind=relation_pb2.RELATION_KIND_SPOUSE
            ),
            metadata=as_province(),
        )
    )
    assert other_kind.reason == "RELATION_EXISTS"

    moved = await account.UpdateInsurance(
        pb.UpdateInsuranceRequest(person_id=child.id, insured_region="440104"), metadata=as_province()
    )
    assert moved.lapsed_relations == 1 and moved.person.insured_region == "440104"
    assert (
        list(
            (
                await account.ListRelations(
                    pb.ListRelationsRequest(person_id=parent.id), metadata=as_citizen(parent.id)
                )
            ).relations
        )
        == []
    )
    lapses = await account.ListRelationLapses(pb.ListRelationLapsesRequest(), metadata=as_service)
    assert [(x.person_id, x.cause) for x in lapses.lapses] == [(child.id, pb.LAPSE_CAUSE_INSURANCE_MOVED)]
    later = await account.ListRelationLapses(
        pb.ListRelationLapsesRequest(after_id=lapses.lapses[-1].id), metadata=as_service
    )
    assert list(later.lapses) == []
    # Now a person of 广东: only its platform may change it.
    assert (
        await fails(
            account.UpdateInsurance(
                pb.UpdateInsuranceRequest(person_id=child.id, insurance_status=pb.INSURANCE_STATUS_ENDED),
                metadata=as_province(),
            )
        )
    ).code is C.PERMISSION_DENIED


async def test_r8_ended_insurance_lapses_relations_and_blocks_new_ones(
    account, register, as_province, as_service
):
    a, b = await register("甲"), await register("乙")
    await account.AttestRelation(
        pb.AttestRelationRequest(person_id=a.id, relative_id=b.id, kind=relation_pb2.RELATION_KIND_SPOUSE),
        metadata=as_province(),
    )
    ended = await account.UpdateInsurance(
        pb.UpdateInsuranceRequest(person_id=b.id, insurance_status=pb.INSURANCE_STATUS_ENDED),
        metadata=as_province(),
    )
    assert ended.lapsed_relations == 1 and ended.person.insurance_status == pb.INSURANCE_STATUS_ENDED
    again = await fails(
        account.AttestRelation(
            pb.AttestRelationRequest(
                person_id=a.id, relative_id=b.id, kind=relation_pb2.RELATION_KIND_SPOUSE
            ),
            metadata=as_province(),
        )
    )
    assert (again.code, again.reason) == (C.FAILED_PRECONDITION, "INSURANCE_ENDED")
    lapses = await account.ListRelationLapses(pb.ListRelationLapsesRequest(), metadata=as_service)
    assert [(x.person_id, x.cause) for x in lapses.lapses] == [(b.id, pb.LAPSE_CAUSE_INSURANCE_ENDED)]
    self_relation = await fails(
        account.AttestRelation(
            pb.AttestRelationRequest(
                person_id=a.id, relative_id=a.id, kind=relation_pb2.RELATION_KIND_SIBLING
            ),
            metadata=as_province(),
        )
    )
    assert self_relation.reason == "RELATION_TO_SELF"


# --- credentials (R9)
async def test_r9_password_lockout_until_beijing_midnight(account, register, as_citizen, bearer, clock):
    person = await register("张三")
    me = as_citizen(person.id)
    weak = await fails(
        account.SetPassword(pb.SetPasswordRequest(person_id=person.id, new_password="123456"), metadata=me)
    )
    assert weak.reason == "PASSWORD_TOO_WEAK"
    await account.SetPassword(pb.SetPasswordRequest(person_id=person.id, new_password="258036"), metadata=me)

    def verify(p):
        request = pb.VerifyCredentialRequest(
            person_id=person.id, purpose=pb.VERIFICATION_PURPOSE_TRANSFER, verification=password(p)
        )
        return account.VerifyCredential(request, metadata=bearer(Role.SERVICE, "transfer"))

    assert (await verify("258036")).attempts_left == 5
    for left in (4, 3, 2, 1):
        failure = await fails(verify("000000"))
        assert (failure.reason, failure.metadata["attempts_left"]) == ("VERIFICATION_FAILED", str(left))
    locked = await fails(verify("000000"))
    assert (locked.code, locked.reason) == (C.FAILED_PRECONDITION, "VERIFICATION_LOCKED")
    assert locked.metadata["locked_until"] == "2026-03-03T00:00:00+08:00"  # Beijing time, like the message
    assert (await fails(verify("258036"))).reason == "VERIFICATION_LOCKED"  # even the right one
    # Now 2026-03-02 10:00 Beijing: the lock ends at 03-03 00:00 Beijing = 03-02 16:00 UTC.
    clock.set(clock.now().replace(hour=15, minute=59, second=59))
    assert (await fails(verify("258036"))).reason == "VERIFICATION_LOCKED"
    clock.set(clock.now().replace(hour=16, minute=0, second=0))
    assert (await verify("258036")).attempts_left == 5


async def test_r9_changing_the_password_needs_the_current_one(account, register, as_citizen):
    person = await register("张三")
    me = as_citizen(person.id)
    await account.SetPassword(pb.SetPasswordRequest(person_id=person.id, new_password="258036"), metadata=me)
    missing = await fails(
        account.SetPassword(pb.SetPasswordRequest(person_id=person.id, new_password="369147"), metadata=me)
    )
    assert (missing.reason, missing.fields) == ("CURRENT_PASSWORD_REQUIRED", ["current_password"])
    wrong = await fails(
        account.SetPassword(
            pb.SetPasswordRequest(person_id=person.id, current_password="111222", new_password="369147"),
            metadata=me,
        )
    )
    assert wrong.reason == "VERIFICATION_FAILED"
    await account.SetPassword(
        pb.SetPasswordRequest(person_id=person.id, current_password="258036", new_password="369147"),
        metadata=me,
    )
    other = await register("李四")
    assert (
        await fails(
            account.SetPassword(pb.SetPasswordRequest(person_id=other.id, new_password="369147"), metadata=me)
        )
    ).code is C.PERMISSION_DENIED


async def test_r9_face_tickets_are_checked_and_single_use(account, register, as_service, clock):
    person, other = await register("张三"), await register("李四")

    def verify(ticket, purpose=pb.VERIFICATION_PURPOSE_TRANSFER):
        request = pb.VerifyCredentialRequest(
            person_id=person.id,
            purpose=purpose,
            verification=verification_pb2.Verification(face_ticket=ticket),
        )
        return account.VerifyCredential(request, metadata=as_service)

    good = mint_face_ticket(FACE_KEY, person.id, Purpose.TRANSFER, "t-1", clock.now())
    await verify(good)
    assert (await fails(verify(good))).metadata["cause"] == "TICKET_REPLAYED"
    causes = {
        mint_face_ticket(FACE_KEY, other.id, Purpose.TRANSFER, "t-2", clock.now()): "TICKET_OTHER_PERSON",
        mint_face_ticket(FACE_KEY, person.id, Purpose.PAYMENT, "t-3", clock.now()): "TICKET_OTHER_PURPOSE",
        mint_face_ticket(
            FACE_KEY, person.id, Purpose.TRANSFER, "t-4", clock.now() - timedelta(minutes=3)
        ): "TICKET_EXPIRED",
        mint_face_ticket(
            FACE_KEY, person.id, Purpose.TRANSFER, "t-5", clock.now(), ttl=timedelta(hours=1)
        ): "TICKET_TOO_LONG_LIVED",
        mint_face_ticket(
            "forged-key-0123456789abcdef0123456789", person.id, Purpose.TRANSFER, "t-6", clock.now()
        ): "TICKET_INVALID",
        mint_face_ticket(  # issued a day ahead: it would be good for a day
            FACE_KEY, person.id, Purpose.TRANSFER, "t-7", clock.now() + timedelta(days=1)
        ): "TICKET_INVALID",
    }
    for ticket, cause in causes.items():
        failure = await fails(verify(ticket))
        assert (failure.code, failure.reason, failure.metadata["cause"]) == (
            C.FAILED_PRECONDITION,
            "VERIFICATION_FAILED",
            cause,
        )
    no_password = await fails(
        account.VerifyCredential(
            pb.VerifyCredentialRequest(
                person_id=person.id, purpose=pb.VERIFICATION_PURPOSE_TRANSFER, verification=password("258036")
            ),
            metadata=as_service,
        )
    )
    assert no_password.reason == "PASSWORD_NOT_SET"


# --- money for the transfer service (R10, R15)
@pytest.fixture
async def pair(account, register, with_wallet, as_province):
    """A funded employee payer with a wallet and a payee with a wallet."""
    payer, payee = (
        await register("张三"),
        await register("李四", region="110101", kind=pb.INSURANCE_TYPE_RESIDENT),
    )
    await with_wallet(payer)
    await with_wallet(payee, place="110101")
    await funded(account, as_province, payer, 100_000)
    return payer, payee


def hold_request(payer, payee, tid="tr-1", amount=30_000, source=pb.ACCOUNT_KIND_PERSONAL):
    return pb.HoldTransferRequest(
        transfer_id=tid, payer_id=payer.id, payee_id=payee.id, source=source, amount_fen=amount
    )


async def balances(account, as_citizen, person):
    b = await account.GetBalances(pb.GetBalancesRequest(person_id=person.id), metadata=as_citizen(person.id))
    return b.personal_account_fen, b.wallet_fen


async def reserved(account, as_citizen, person) -> int:
    b = await account.GetBalances(pb.GetBalancesRequest(person_id=person.id), metadata=as_citizen(person.id))
    return b.reserved_fen


async def test_r15_hold_then_receive_moves_money_once(account, pair, as_service, as_citizen, account_server):
    payer, payee = pair
    held = await account.HoldTransfer(hold_request(payer, payee), metadata=as_service)
    assert held.hold.status == pb.HOLD_STATUS_PENDING
    assert await balances(account, as_citizen, payer) == (70_000, 0)
    assert await reserved(account, as_citizen, payer) == 30_000  # shown to the payer while held
    again = await account.HoldTransfer(hold_request(payer, payee), metadata=as_service)
    assert again.hold == held.hold and await balances(account, as_citizen, payer) == (70_000, 0)
    received = await account.ReceiveTransfer(
        pb.ReceiveTransferRequest(transfer_id="tr-1"), metadata=as_service
    )
    assert received.hold.status == pb.HOLD_STATUS_RECEIVED
    await account.ReceiveTransfer(pb.ReceiveTransferRequest(transfer_id="tr-1"), metadata=as_service)
    assert await balances(account, as_citizen, payee) == (0, 30_000)
    assert (await reserved(account, as_citizen, payer)) == 0
    late = await fails(
        account.RefundTransfer(pb.RefundTransferRequest(transfer_id="tr-1"), metadata=as_service)
    )
    assert (late.code, late.reason) == (C.FAILED_PRECONDITION, "HOLD_ALREADY_RECEIVED")
    assert await balances(account, as_citizen, payer) == (70_000, 0)
    await assert_ledger_balanced(account_server)


async def test_r20a_every_money_rpc_has_a_ceiling_and_times_a_range(
    account, pair, as_service, as_province, as_citizen
):
    """A hold above the transfer policy's maximum, a funding of 10^12 fen, a
    statement window outside 1970-2999: INVALID_ARGUMENT, nothing moved."""
    payer, payee = pair
    too_big = await fails(
        account.HoldTransfer(hold_request(payer, payee, amount=200_001), metadata=as_service)
    )
    assert (too_big.code, too_big.reason, too_big.metadata) == (
        C.INVALID_ARGUMENT,
        "AMOUNT_TOO_LARGE",
        {"max_amount_fen": "200000"},
    )
    funding = await fails(funded(account, as_province, payer, 10**12, "huge"))
    assert (funding.code, funding.reason) == (C.INVALID_ARGUMENT, "AMOUNT_TOO_LARGE")
    assert await balances(account, as_citizen, payer) == (100_000, 0)
    for stamp in (Timestamp(seconds=253402300800), Timestamp(seconds=0, nanos=-1), Timestamp(seconds=-1)):
        bad = await fails(
            account.ListStatementEntries(
                pb.ListStatementEntriesRequest(person_id=payer.id, start_time=stamp),
                metadata=as_citizen(payer.id),
            )
        )
        assert (bad.code, bad.reason, bad.fields) == (C.INVALID_ARGUMENT, "TIMESTAMP_INVALID", ["start_time"])


async def test_r15_receive_transfers_in_one_call_retried_moves_money_once(
    account, pair, as_service, as_citizen, account_server
):
    """The batched receipt (group commit): each hold received once however
    often the batch is sent again (a retry after a crash mid-batch); a hold
    the refund won stays refunded; unknown ids are left out."""
    payer, payee = pair
    for tid, amount in (("tr-a", 10_000), ("tr-b", 20_000), ("tr-c", 5_000)):
        await account.HoldTransfer(hold_request(payer, payee, tid, amount), metadata=as_service)
    await account.RefundTransfer(pb.RefundTransferRequest(transfer_id="tr-c"), metadata=as_service)
    ids = ["tr-a", "tr-b", "tr-c", "tr-unknown", "tr-a"]
    for _ in range(2):
        answer = await account.ReceiveTransfers(
            pb.ReceiveTransfersRequest(transfer_ids=ids), metadata=as_service
        )
        assert [(h.transfer_id, h.status) for h in answer.holds] == [
            ("tr-a", pb.HOLD_STATUS_RECEIVED),
            ("tr-b", pb.HOLD_STATUS_RECEIVED),
            ("tr-c", pb.HOLD_STATUS_REFUNDED),
        ]
        assert await balances(account, as_citizen, payee) == (0, 30_000)
        assert await balances(account, as_citizen, payer) == (70_000, 0)
    await assert_ledger_balanced(account_server)


async def test_r15_refund_returns_to_the_source(account, pair, as_service, as_citizen, account_server):
    payer, payee = pair
    await account.HoldTransfer(hold_request(payer, payee, "tr-2", 25_000), metadata=as_service)
    refunded = await account.RefundTransfer(pb.RefundTransferRequest(transfer_id="tr-2"), metadata=as_service)
    assert refunded.hold.status == pb.HOLD_STATUS_REFUNDED
    assert (
        await account.RefundTransfer(pb.RefundTransferRequest(transfer_id="tr-2"), metadata=as_service)
    ).hold == refunded.hold
    assert await balances(account, as_citizen, payer) == (100_000, 0)
    late = await fails(
        account.ReceiveTransfer(pb.ReceiveTransferRequest(transfer_id="tr-2"), metadata=as_service)
    )
    assert late.reason == "HOLD_ALREADY_REFUNDED"
    assert await balances(account, as_citizen, payee) == (0, 0)
    await assert_ledger_balanced(account_server)


async def test_r10_hold_errors_move_nothing(account, pair, as_service, as_citizen, register, account_server):
    payer, payee = pair
    too_much = await fails(
        account.HoldTransfer(hold_request(payer, payee, "tr-3", 100_001), metadata=as_service)
    )
    assert (too_much.code, too_much.reason, too_much.metadata) == (
        C.FAILED_PRECONDITION,
        "INSUFFICIENT_FUNDS",
        {"account": "personal"},
    )
    empty_wallet = await fails(
        account.HoldTransfer(
            hold_request(payer, payee, "tr-4", 1, pb.ACCOUNT_KIND_WALLET), metadata=as_service
        )
    )
    assert empty_wallet.reason == "INSUFFICIENT_FUNDS"
    no_wallet = await register("王五")
    unopened = await fails(account.HoldTransfer(hold_request(payer, no_wallet, "tr-5"), metadata=as_service))
    assert (unopened.code, unopened.reason) == (C.NOT_FOUND, "WALLET_NOT_OPENED")
    no_personal = await fails(
        account.HoldTransfer(hold_request(payee, payer, "tr-6", 1), metadata=as_service)
    )
    assert no_personal.reason == "SOURCE_ACCOUNT_MISSING"
    for ghost in (pb.Person(id="no-such-payer"), pb.Person(id=str(uuid.uuid4()))):
        unknown = await fails(account.HoldTransfer(hold_request(ghost, payee, "tr-9"), metadata=as_service))
        assert (unknown.code, unknown.reason) == (C.NOT_FOUND, "PERSON_NOT_FOUND")
        batch = await account.HoldTransfers(
            pb.HoldTransfersRequest(holds=[hold_request(payer, ghost, "tr-10", 1)]), metadata=as_service
        )
        assert (batch.outcomes[0].error_code, batch.outcomes[0].error_reason) == (
            code_pb2.NOT_FOUND,
            "PERSON_NOT_FOUND",
        )
    assert (
        await fails(account.HoldTransfer(hold_request(payer, payee, "tr-7", 0), metadata=as_service))
    ).reason == "AMOUNT_NOT_POSITIVE"
    assert (
        await fails(account.HoldTransfer(hold_request(payer, payee, "tr-8", source=0), metadata=as_service))
    ).reason == "SOURCE_INVALID"
    assert (
        await fails(
            account.ReceiveTransfer(pb.ReceiveTransferRequest(transfer_id="nope"), metadata=as_service)
        )
    ).code is C.NOT_FOUND
    # A failed hold leaves its id free: the same id later, with money, works.
    await account.HoldTransfer(hold_request(payer, payee, "tr-3", 100_000), metadata=as_service)
    reused = await fails(account.HoldTransfer(hold_request(payer, payee, "tr-3", 5), metadata=as_service))
    assert reused.reason == "REQUEST_ID_REUSED"
    assert await balances(account, as_citizen, payer) == (0, 0)
    citizen = await fails(
        account.HoldTransfer(hold_request(payer, payee, "tr-9"), metadata=as_citizen(payer.id))
    )
    assert citizen.code is C.PERMISSION_DENIED
    await assert_ledger_balanced(account_server)


# --- wallet payments (R11) and contributions (R12a)
async def test_r11_charge_and_refund(
    account, pair, as_service, as_citizen, as_institution, register, with_wallet, account_server
):
    payer, payee = pair
    await account.HoldTransfer(
        hold_request(payer, payee, "tr-p", 50_000, pb.ACCOUNT_KIND_PERSONAL), metadata=as_service
    )
    await account.ReceiveTransfer(pb.ReceiveTransferRequest(transfer_id="tr-p"), metadata=as_service)
    me = as_citizen(payee.id)
    await account.SetPassword(pb.SetPasswordRequest(person_id=payee.id, new_password="258036"), metadata=me)
    hospital = as_institution(
        "H11010100001"
    )  # 北京协和医院, accepts the wallet; the payee is insured in 110101

    def charge(order, amount, p="258036", who=hospital, code="H11010100001", patient=payee.id):
        return account.ChargeWallet(
            pb.ChargeWalletRequest(
                institution_code=code,
                order_number=order,
                person_id=patient,
                amount_fen=amount,
                verification=password(p),
            ),
            metadata=who,
        )

    paid = await charge("ORD-1", 12_000)
    assert (paid.payment.amount_fen, paid.payment.refunded_fen) == (12_000, 0)
    assert (await charge("ORD-1", 12_000)).payment == paid.payment  # idempotent by order number
    read_back = await account.GetPayment(
        pb.GetPaymentRequest(institution_code="H11010100001", order_number="ORD-1"), metadata=hospital
    )
    assert read_back.payment == paid.payment
    unknown_order = pb.GetPaymentRequest(institution_code="H11010100001", order_number="ORD-404")
    assert (await fails(account.GetPayment(unknown_order, metadata=hospital))).reason == "PAYMENT_NOT_FOUND"
    someone_elses = pb.GetPaymentRequest(institution_code="H11010100001", order_number="ORD-1")
    assert (
        await fails(account.GetPayment(someone_elses, metadata=as_institution("H45010300001")))
    ).code is C.PERMISSION_DENIED
    assert (await fails(charge("ORD-1", 13_000))).reason == "ORDER_ALREADY_PAID"
    assert await balances(account, as_citizen, payee) == (0, 38_000)
    assert (await fails(charge("ORD-2", 1, p="000000"))).reason == "VERIFICATION_FAILED"
    assert (await fails(charge("ORD-3", 38_001))).reason == "INSUFFICIENT_FUNDS"
    nanning = dict(who=as_institution("H45010300001"), code="H45010300001")
    # Credential first: a wrong password learns nothing about the patient's place of use.
    assert (await fails(charge("ORD-4", 1, p="000000", **nanning))).reason == "VERIFICATION_FAILED"
    elsewhere = await fails(charge("ORD-4", 1, **nanning))
    unknown = await fails(charge("ORD-4", 1, patient=str(uuid.uuid4()), **nanning))
    assert (elsewhere.code, elsewhere.reason, elsewhere.message, elsewhere.metadata) == (
        unknown.code,
        "WALLET_NOT_USABLE_HERE",
        unknown.message,
        unknown.metadata,
    )
    # The wallet pays where its place of use is, not where the patient is insured.
    await account.ChangePlaceOfUse(
        pb.ChangePlaceOfUseRequest(person_id=payee.id, place_of_use="450102"), metadata=me
    )
    assert (await charge("ORD-4", 1, **nanning)).payment.amount_fen == 1
    assert (await fails(charge("ORD-6", 1))).reason == "WALLET_NOT_USABLE_HERE"  # Beijing, no longer
    await account.RefundPayment(
        pb.RefundPaymentRequest(
            institution_code="H45010300001", order_number="ORD-4", amount_fen=1, refund_id="R-0"
        ),
        metadata=nanning["who"],
    )
    assert (
        await fails(charge("ORD-5", 1, code="H45010300001"))
    ).code is C.PERMISSION_DENIED  # not its own code

    def refund(amount, rid):
        return account.RefundPayment(
            pb.RefundPaymentRequest(
                institution_code="H11010100001", order_number="ORD-1", amount_fen=amount, refund_id=rid
            ),
            metadata=hospital,
        )

    assert (await refund(2_000, "R-1")).payment.refunded_fen == 2_000
    assert (await refund(2_000, "R-1")).payment.refunded_fen == 2_000  # retried, not repeated
    over = await fails(refund(10_001, "R-2"))
    assert (over.code, over.reason, over.metadata["refundable_fen"]) == (
        C.FAILED_PRECONDITION,
        "REFUND_EXCEEDS_PAYMENT",
        "10000",
    )
    assert (await refund(10_000, "R-3")).payment.refunded_fen == 12_000
    assert (await fails(refund(1, "R-4"))).reason == "REFUND_EXCEEDS_PAYMENT"
    assert await balances(account, as_citizen, payee) == (0, 50_000)
    await assert_ledger_balanced(account_server)


async def test_r11_institution_must_accept_the_wallet(
    account, register, with_wallet, as_institution, as_citizen
):
    patient = await register("李四")
    await with_wallet(patient)
    pharmacy = "P45010200001"  # the demo's 兴宁区社区药店 does not accept the wallet
    failure = await fails(
        account.ChargeWallet(
            pb.ChargeWalletRequest(
                institution_code=pharmacy,
                order_number="O-1",
                person_id=patient.id,
                amount_fen=100,
                verification=password("258036"),
            ),
            metadata=as_institution(pharmacy),
        )
    )
    assert (failure.code, failure.reason) == (C.FAILED_PRECONDITION, "INSTITUTION_NOT_ACCEPTING_WALLET")


async def test_r12a_the_wallet_pays_the_bill_its_platform_issued_once(
    account, pair, as_service, as_citizen, as_province, account_server
):
    payer, payee = pair  # payee is resident-insured in 北京
    await account.HoldTransfer(hold_request(payer, payee, "tr-c", 40_000), metadata=as_service)
    await account.ReceiveTransfer(pb.ReceiveTransferRequest(transfer_id="tr-c"), metadata=as_service)
    me = as_citizen(payee.id)
    await account.SetPassword(pb.SetPasswordRequest(person_id=payee.id, new_password="258036"), metadata=me)
    beijing = as_province("110000")

    def issue(year, amount, person=payee, kind=pb.CONTRIBUTION_KIND_RESIDENT_INSURANCE, who=beijing):
        request = pb.IssueContributionBillRequest(
            person_id=person.id, kind=kind, year=year, amount_fen=amount
        )
        return account.IssueContributionBill(request, metadata=who)

    def pay(year, beneficiary=payee, kind=pb.CONTRIBUTION_KIND_RESIDENT_INSURANCE, p="258036"):
        request = pb.PayContributionRequest(
            payer_id=payee.id, beneficiary_id=beneficiary.id, kind=kind, year=year, verification=password(p)
        )
        return account.PayContribution(request, metadata=me)

    assert (await fails(pay(2026))).reason == "BILL_NOT_ISSUED"  # nothing to pay before the platform bills
    issued = await issue(2026, 38_000)
    assert (issued.created, issued.bill.amount_fen, issued.bill.province) == (True, 38_000, "110000")
    assert (await issue(2026, 38_000)).created is False  # issued again: the same bill
    other = await fails(issue(2026, 39_000))
    assert (other.code, other.reason) == (C.ALREADY_EXISTS, "BILL_ALREADY_ISSUED")
    assert (await fails(issue(2026, 100, who=as_province("450000")))).code is C.PERMISSION_DENIED
    first = await pay(2026)
    assert first.wallet_balance_fen == 2_000  # exactly the bill
    assert (await pay(2026)).entry_id == first.entry_id  # a retry
    await issue(2027, 2_001)
    assert (await fails(pay(2027))).reason == "INSUFFICIENT_FUNDS"
    assert (await fails(pay(2027, beneficiary=payer))).reason == "CONTRIBUTION_NOT_ALLOWED"
    bills = await account.ListContributionBills(
        pb.ListContributionBillsRequest(person_id=payee.id), metadata=me
    )
    assert [(b.year, b.amount_fen, b.paid_by) for b in bills.bills] == [
        (2027, 2_001, ""),
        (2026, 38_000, payee.id),
    ]
    # The platform follows its bills: issued, then paid.
    feed = await account.ListBillEvents(pb.ListBillEventsRequest(province="110000"), metadata=beijing)
    assert [(e.type, e.bill.year) for e in feed.events] == [
        (pb.BILL_EVENT_TYPE_ISSUED, 2026),
        (pb.BILL_EVENT_TYPE_PAID, 2026),
        (pb.BILL_EVENT_TYPE_ISSUED, 2027),
    ]
    assert feed.events[1].bill.HasField("paid_time")
    later = await account.ListBillEvents(
        pb.ListBillEventsRequest(province="110000", after_id=feed.events[1].id), metadata=beijing
    )
    assert [e.bill.year for e in later.events] == [2027]
    wrong = await fails(
        account.ListBillEvents(pb.ListBillEventsRequest(province="110000"), metadata=as_province())
    )
    assert wrong.code is C.PERMISSION_DENIED
    await assert_ledger_balanced(account_server)


async def test_r12a_a_relatives_long_term_care_contribution(
    account, pair, as_service, as_citizen, as_province, account_server
):
    payer, payee = pair
    await account.HoldTransfer(hold_request(payer, payee, "tr-l", 20_000), metadata=as_service)
    await account.ReceiveTransfer(pb.ReceiveTransferRequest(transfer_id="tr-l"), metadata=as_service)
    me = as_citizen(payee.id)
    await account.SetPassword(pb.SetPasswordRequest(person_id=payee.id, new_password="258036"), metadata=me)
    ltc = pb.CONTRIBUTION_KIND_LONG_TERM_CARE

    def pay(year=2026):
        request = pb.PayContributionRequest(
            payer_id=payee.id, beneficiary_id=payer.id, kind=ltc, year=year, verification=password("258036")
        )
        return account.PayContribution(request, metadata=me)

    request = pb.IssueContributionBillRequest(person_id=payer.id, kind=ltc, year=2026, amount_fen=15_000)
    await account.IssueContributionBill(request, metadata=as_province("450000"))  # 张三's platform bills him
    assert (await fails(pay())).reason == "CONTRIBUTION_NOT_ALLOWED"  # not yet related
    await account.AttestRelation(
        pb.AttestRelationRequest(
            person_id=payee.id, relative_id=payer.id, kind=relation_pb2.RELATION_KIND_CHILD
        ),
        metadata=as_province("110000"),
    )
    assert (await pay()).wallet_balance_fen == 5_000  # 李四 pays her son's bill from her wallet
    early = pb.IssueContributionBillRequest(person_id=payer.id, kind=ltc, year=2025, amount_fen=100)
    assert (await fails(account.IssueContributionBill(early, metadata=as_province()))).reason == (
        "CONTRIBUTION_NOT_ALLOWED"
    )
    await assert_ledger_balanced(account_server)


# --- statements (R12)
async def test_r12_statement_newest_first_paginated_and_filtered(
    account, pair, as_service, as_citizen, as_province, clock
):
    payer, payee = pair
    clock.advance(minutes=1)
    await account.HoldTransfer(hold_request(payer, payee, "tr-s1", 10_000), metadata=as_service)
    clock.advance(minutes=1)
    await account.HoldTransfer(hold_request(payer, payee, "tr-s2", 5_000), metadata=as_service)
    await account.RefundTransfer(pb.RefundTransferRequest(transfer_id="tr-s2"), metadata=as_service)
    me = as_citizen(payer.id)
    page = await account.ListStatementEntries(
        pb.ListStatementEntriesRequest(person_id=payer.id, page_size=2), metadata=me
    )
    assert [(e.kind, e.amount_fen, e.balance_after_fen) for e in page.entries] == [
        (pb.ENTRY_KIND_TRANSFER_REFUND, 5_000, 90_000),
        (pb.ENTRY_KIND_TRANSFER_HOLD, -5_000, 85_000),
    ]
    rest = await account.ListStatementEntries(
        pb.ListStatementEntriesRequest(person_id=payer.id, page_size=2, page_token=page.next_page_token),
        metadata=me,
    )
    assert [(e.kind, e.reference) for e in rest.entries] == [
        (pb.ENTRY_KIND_TRANSFER_HOLD, "tr-s1"),
        (pb.ENTRY_KIND_FUNDING, f"ref-{payer.id}"),
    ]
    assert not rest.next_page_token
    funding = await account.ListStatementEntries(
        pb.ListStatementEntriesRequest(person_id=payer.id, kinds=[pb.ENTRY_KIND_FUNDING]), metadata=me
    )
    assert [e.amount_fen for e in funding.entries] == [100_000]
    windowed = pb.ListStatementEntriesRequest(person_id=payer.id, start_time=to_timestamp(clock.now()))
    assert len((await account.ListStatementEntries(windowed, metadata=me)).entries) == 2
    other = await fails(
        account.ListStatementEntries(pb.ListStatementEntriesRequest(person_id=payee.id), metadata=me)
    )
    assert other.code is C.PERMISSION_DENIED


async def test_r14_transfer_parties_of_many_transfers_each_answered_as_alone(
    account, register, with_wallet, as_service, clock
):
    """BatchGetTransferParties (the transfer service's group commit): in one
    call, each request gets what GetTransferParties would answer alone; the
    credential is still verified before the payee is looked at (a wrong
    ticket learns nothing about the payee), and a ticket is used once even
    when two requests of the batch carry it."""
    number = id_number("110101")
    payer, payee = await register("张三"), await register("李四", region="110101", number=number)
    await with_wallet(payee, place="110101")

    def ticket(person_id, key=FACE_KEY):
        return mint_face_ticket(key, person_id, Purpose.TRANSFER, uuid.uuid4().hex, clock.now())

    def ask(face_ticket, id_no=number, name="李四", payer_id=payer.id):
        return pb.GetTransferPartiesRequest(
            payer_id=payer_id,
            payee_id_number=id_no,
            payee_name=name,
            verification=verification_pb2.Verification(face_ticket=face_ticket),
        )

    shared = ticket(payer.id)
    asked = [
        ask(ticket(payer.id)),
        ask(
            ticket(payer.id, key="forged-key-0123456789abcdef-0123456789"), id_no=id_number()
        ),  # wrong ticket, unknown payee
        ask(shared),
        ask(shared),  # the same ticket again in the same batch
        ask(ticket(payer.id), id_no=id_number()),  # right ticket, unknown payee
        ask(ticket(payer.id), name="李五"),
        ask(ticket("no-such-person"), payer_id="no-such-person"),
    ]
    answer = await account.BatchGetTransferParties(
        pb.BatchGetTransferPartiesRequest(requests=asked), metadata=as_service
    )
    outcomes = [(o.parties.payee.id, o.error_reason) for o in answer.outcomes]
    assert outcomes == [
        (payee.id, ""),
        ("", "VERIFICATION_FAILED"),
        (payee.id, ""),
        ("", "VERIFICATION_FAILED"),
        ("", "PAYEE_NOT_FOUND"),
        ("", "PAYEE_NOT_FOUND"),  # a wrong name: the same answer
        ("", "PERSON_NOT_FOUND"),
    ]
    assert answer.outcomes[0].parties.payee_wallet.place_of_use == "110101"
    assert answer.outcomes[1].error_code == code_pb2.FAILED_PRECONDITION
    alone = await fails(account.GetTransferParties(ask(shared), metadata=as_service))
    assert alone.reason == "VERIFICATION_FAILED"  # used once, by the batch


async def test_transfer_parties_in_one_call(
    account, register, with_wallet, as_province, as_service, as_citizen
):
    number = id_number("110101")
    payer, payee = await register("张三"), await register("李四", region="110101", number=number)
    await with_wallet(payee, place="110101")

    def parties(name="李四", id_no=number):
        return account.GetTransferParties(
            pb.GetTransferPartiesRequest(payer_id=payer.id, payee_id_number=id_no, payee_name=name),
            metadata=as_service,
        )

    found = await parties()
    assert (found.payer.id, found.payee.id, found.relation) == (
        payer.id,
        payee.id,
        relation_pb2.RELATION_KIND_UNSPECIFIED,
    )
    assert not found.HasField("payer_wallet") and found.payee_wallet.place_of_use == "110101"
    await account.AttestRelation(
        pb.AttestRelationRequest(
            person_id=payer.id, relative_id=payee.id, kind=relation_pb2.RELATION_KIND_PARENT
        ),
        metadata=as_province(),
    )
    assert (await parties()).relation == relation_pb2.RELATION_KIND_PARENT
    wrong_name, unknown = await fails(parties(name="李五")), await fails(parties(id_no=id_number()))
    assert (wrong_name.code, wrong_name.reason, wrong_name.message) == (
        unknown.code,
        "PAYEE_NOT_FOUND",
        unknown.message,
    )
    assert (await fails(parties(id_no="123"))).fields == ["payee_id_number"]
    denied = await fails(
        account.GetTransferParties(
            pb.GetTransferPartiesRequest(payer_id=payer.id, payee_id_number=number, payee_name="李四"),
            metadata=as_citizen(payer.id),
        )
    )
    assert denied.code is C.PERMISSION_DENIED


async def test_r14_failed_payee_matches_are_limited_per_payer_and_beijing_day(
    account, register, with_wallet, bearer, clock
):
    number = id_number("110101")
    payer, payee = await register("张三"), await register("李四", region="110101", number=number)
    other_payer = await register("王五")
    await with_wallet(payee, place="110101")

    def parties(name="李四", id_no=number, payer_id=payer.id):
        return account.GetTransferParties(
            pb.GetTransferPartiesRequest(payer_id=payer_id, payee_id_number=id_no, payee_name=name),
            metadata=bearer(Role.SERVICE, "transfer"),  # minted now: the clock moves
        )

    for guess in ("李五", "李六", "李七", "李八", "李九"):
        assert (await fails(parties(name=guess))).reason == "PAYEE_NOT_FOUND"
    locked = await fails(parties())  # even the right name, once five missed today
    assert (locked.code, locked.reason) == (C.FAILED_PRECONDITION, "PAYEE_MATCH_LOCKED")
    # Now 2026-03-02 10:00 Beijing: locked until 03-03 00:00 Beijing.
    assert locked.metadata["locked_until"] == "2026-03-03T00:00:00+08:00"
    assert (await parties(payer_id=other_payer.id)).payee.id == payee.id  # per payer
    clock.set(clock.now().replace(hour=16, minute=0, second=0))  # 00:00 Beijing, the next day
    assert (await parties()).payee.id == payee.id


async def test_r9_wrong_passwords_of_an_earlier_beijing_day_do_not_lock(
    account, register, as_citizen, bearer, clock
):
    person = await register("张三")
    me = as_citizen(person.id)
    await account.SetPassword(pb.SetPasswordRequest(person_id=person.id, new_password="258036"), metadata=me)

    def verify(p):
        request = pb.VerifyCredentialRequest(
            person_id=person.id, purpose=pb.VERIFICATION_PURPOSE_TRANSFER, verification=password(p)
        )
        return account.VerifyCredential(request, metadata=bearer(Role.SERVICE, "transfer"))

    for _ in range(4):
        await fails(verify("000000"))
    clock.set(clock.now().replace(hour=16, minute=30))  # 00:30 Beijing, the next day
    failure = await fails(verify("000000"))
    assert (failure.reason, failure.metadata["attempts_left"]) == ("VERIFICATION_FAILED", "4")
    assert (await verify("258036")).attempts_left == 5
