"""Money in and out of persons' accounts other than transfers: monthly
funding (R6), wallet payments and their refunds (R11), contributions (R12a).
Each is one balanced journal entry, idempotent by its key, in one unit of
work with the records that explain it."""

from __future__ import annotations

from dataclasses import dataclass

from services.account.domain.credentials import Purpose
from services.account.domain.errors import Reason as ErrorReason
from services.account.domain.errors import (
    bill_not_issued,
    contribution_already_paid,
    contribution_kind_required,
    contribution_not_allowed,
    institution_not_accepting_wallet,
    no_personal_account,
    order_already_paid,
    payment_not_found,
    person_not_found,
    wallet_not_opened,
    wallet_not_usable_here,
    year_invalid,
)
from services.account.domain.ledger import (
    MAX_CONTRIBUTION,
    MAX_FUNDING,
    MAX_PAYMENT,
    AccountKind,
    EntryKind,
    KeyReused,
    Movement,
    Posted,
    clearing_key,
    validate_amount,
    validate_period,
    validate_province,
)
from services.account.domain.payments import (
    FIRST_LONG_TERM_CARE_YEAR,
    BillEvent,
    BillEventType,
    Contribution,
    ContributionBill,
    ContributionKind,
    Payment,
)
from services.account.domain.persons import InsuranceType, Person
from services.account.domain.wallets import Wallet
from services.account.usecases import access
from services.account.usecases.access import person_for
from services.account.usecases.common import AccountDeps, post
from services.account.usecases.credentials import CredentialUseCases
from services.account.usecases.ports import AccountUnitOfWork
from services.kernel.auth import Principal
from services.kernel.errors import required_key
from services.kernel.idempotency import content_hash
from services.kernel.region_codes import pooling_region, validate_code
from services.kernel.upstream import UpstreamRefused


@dataclass(frozen=True)
class Funded:
    entry_id: int
    balance: int


async def _out_of_wallet(
    tx, wallet: Wallet, entry: EntryKind, key: str, kind: AccountKind, amount: int
) -> Movement:
    """A movement from a wallet into a shared account (created on first use)."""
    target = await tx.ledger.system_account(key, kind)
    return Movement(entry, wallet.account_id, AccountKind.WALLET, target, kind, amount)


class PaymentUseCases:
    def __init__(self, deps: AccountDeps, credentials: CredentialUseCases) -> None:
        self._d = deps
        self._credentials = credentials

    # --- R6: monthly funding of personal accounts by the provincial platform
    async def fund(
        self, caller: Principal, person_id: str, amount: int, reference: str, period: str
    ) -> Funded:
        validate_amount(amount, MAX_FUNDING)
        reference = required_key(reference, "reference", "REFERENCE")
        now = self._d.clock.now()
        period = validate_period(period, now)
        async with self._d.uow() as tx:
            person = await person_for(caller, tx.accounts, person_id, access.PLATFORM)
            if person.insurance_type is not InsuranceType.EMPLOYEE:
                raise no_personal_account()
            personal = await tx.ledger.account(person_id, AccountKind.PERSONAL)
            if personal is None:  # opened with employee insurance
                raise no_personal_account()
            fund = await tx.ledger.system_account(f"fund:{person.province}", AccountKind.FUND)
            movement = Movement(
                EntryKind.FUNDING, fund, AccountKind.FUND, personal, AccountKind.PERSONAL, amount
            )
            key, request = f"fund:{person.province}:{reference}", {"p": person_id, "a": amount, "m": period}
            posted = await post(tx, movement, key, request, reference, now, f"个人账户划入 {period}")
            balance = await tx.ledger.balance(personal)
            await tx.commit()
        return Funded(posted.entry_id, balance)

    # --- R11: wallet payments at designated institutions
    async def charge(
        self,
        caller: Principal,
        institution_code: str,
        order_number: str,
        person_id: str,
        amount: int,
        password: str | None,
        face_ticket: str | None,
    ) -> Payment:
        access.require_institution(caller, institution_code)
        order_number = required_key(order_number, "order_number", "ORDER_NUMBER")
        validate_amount(amount, MAX_PAYMENT)
        async with self._d.uow(read_only=True) as tx:
            earlier = await tx.accounts.payment(institution_code, order_number)
            patient = await tx.accounts.person(person_id)
            wallet = await tx.accounts.wallet(person_id)
        if earlier is not None:
            return earlier.same_charge(person_id, amount)
        institution = await self._d.regions.institution(institution_code)
        if institution is None or not institution.accepts_wallet:
            raise institution_not_accepting_wallet()
        # The patient's credential comes before anything about them is told (R11, R14).
        if patient is None:
            raise wallet_not_usable_here()
        await self._credentials.verify(person_id, Purpose.PAYMENT, password, face_ticket)
        if wallet is None:
            raise wallet_not_opened(person_id)
        if pooling_region(institution.region_code) != pooling_region(wallet.place_of_use):
            raise wallet_not_usable_here()
        now = self._d.clock.now()
        payment = Payment(institution_code, order_number, person_id, amount, 0, now)
        async with self._d.uow() as tx:
            receivable = f"institution:{institution_code}"
            movement = await _out_of_wallet(
                tx, wallet, EntryKind.PAYMENT, receivable, AccountKind.INSTITUTION, amount
            )
            key, request = f"pay:{institution_code}:{order_number}", {"p": person_id, "a": amount}
            try:
                posted = await tx.ledger.post(
                    movement, key, content_hash(request), order_number, now, "医保钱包支付"
                )
            except KeyReused:  # a concurrent charge of this order, for another patient or amount, won
                raise order_already_paid() from None
            if posted.replayed:  # a concurrent identical charge won
                return await _recorded(tx, institution_code, order_number)
            await tx.accounts.add_payment(payment)
            await tx.commit()
        return payment

    async def payment(self, caller: Principal, institution_code: str, order_number: str) -> Payment:
        """An institution reads back one of its payments by order number."""
        access.require_institution(caller, institution_code)
        order_number = required_key(order_number, "order_number", "ORDER_NUMBER")
        async with self._d.uow(read_only=True) as tx:
            payment = await tx.accounts.payment(institution_code, order_number)
        if payment is None:
            raise payment_not_found(order_number)
        return payment

    async def refund(
        self, caller: Principal, institution_code: str, order_number: str, amount: int, refund_id: str
    ) -> Payment:
        access.require_institution(caller, institution_code)
        validate_amount(amount, MAX_PAYMENT)
        refund_id = required_key(refund_id, "refund_id", "REFUND_ID")
        now = self._d.clock.now()
        async with self._d.uow() as tx:
            payment = await tx.accounts.payment(institution_code, order_number, for_update=True)
            if payment is None:
                raise payment_not_found(order_number)
            wallet = await tx.accounts.wallet(payment.person_id)
            if wallet is None:  # paid from it, and a wallet is never removed
                raise wallet_not_opened(payment.person_id)
            receivable = await tx.ledger.system_account(
                f"institution:{institution_code}", AccountKind.INSTITUTION
            )
            movement = Movement(
                EntryKind.PAYMENT_REFUND,
                receivable,
                AccountKind.INSTITUTION,
                wallet.account_id,
                AccountKind.WALLET,
                amount,
            )
            key = f"refund:{institution_code}:{refund_id}"
            if await tx.ledger.previous_request(key) is None:  # a retry is answered as before
                payment.check_refund(amount)
            posted = await post(
                tx, movement, key, {"o": order_number, "a": amount}, order_number, now, "医保钱包退费"
            )
            if not posted.replayed:
                await tx.accounts.add_refund(institution_code, order_number, amount)
            refunded = await _recorded(tx, institution_code, order_number)
            await tx.commit()
        return refunded

    # --- R12a: contribution bills, paid from the wallet
    async def issue_bill(
        self, caller: Principal, person_id: str, kind: ContributionKind | None, year: int, amount: int
    ) -> tuple[ContributionBill, bool]:
        """The beneficiary's platform bills a contribution; issuing the same
        bill again returns it (False), with another amount is refused."""
        validate_amount(amount, MAX_CONTRIBUTION)
        kind = _contribution(kind, year)
        now = self._d.clock.now()
        async with self._d.uow() as tx:
            person = await person_for(caller, tx.accounts, person_id, access.PLATFORM)
            if (
                kind is ContributionKind.RESIDENT_INSURANCE
                and person.insurance_type is not InsuranceType.RESIDENT
            ):
                raise contribution_not_allowed(
                    "resident contributions are billed to resident-insured persons"
                )
            bill = ContributionBill(person_id, kind, year, amount, person.province, now)
            if await tx.accounts.add_bill(bill):
                await tx.accounts.add_bill_event(BillEventType.ISSUED, bill, now)
                await tx.commit()
                return bill, True
            existing = await tx.accounts.bill(person_id, kind, year)
        if existing is None:  # add_bill found it
            raise bill_not_issued()
        return existing.reissued(amount), False

    async def bills(self, caller: Principal, person_id: str) -> list[ContributionBill]:
        async with self._d.uow(read_only=True) as tx:
            await person_for(caller, tx.accounts, person_id, access.PERSON_READERS)
            return await tx.accounts.bills_of(person_id)

    async def bill_events(
        self, caller: Principal, province: str, after_id: int, limit: int
    ) -> list[BillEvent]:
        """A platform follows the bills of its province: issued, then paid."""
        validate_code(province, "province")
        access.require_platform_of(caller, province)
        async with self._d.uow(read_only=True) as tx:
            return await tx.accounts.bill_events_after(province, max(after_id, 0), min(max(limit, 1), 1000))

    async def contribute(
        self,
        caller: Principal,
        payer_id: str,
        beneficiary_id: str,
        kind: ContributionKind | None,
        year: int,
        password: str | None,
        face_ticket: str | None,
    ) -> Posted:
        """Pays the bill the beneficiary's platform issued, exactly, once."""
        kind = _contribution(kind, year)
        async with self._d.uow(read_only=True) as tx:
            payer = await person_for(caller, tx.accounts, payer_id, access.OWNER)
            beneficiary = await tx.accounts.person(beneficiary_id)
            wallet = await tx.accounts.wallet(payer_id)
            related = await tx.accounts.relation(payer_id, beneficiary_id)
            bill = await tx.accounts.bill(beneficiary_id, kind, year)
        if wallet is None:
            raise wallet_not_opened(payer_id)
        if beneficiary is None and related is not None and self._d.peers is not None:
            # R24: a relative kept in another shard (the relation is kept on both sides)
            return await self._contribute_elsewhere(
                payer, wallet, beneficiary_id, kind, year, password, face_ticket
            )
        if beneficiary is None:
            raise person_not_found(beneficiary_id)
        if kind is ContributionKind.RESIDENT_INSURANCE:
            if beneficiary_id != payer_id or beneficiary.insurance_type is not InsuranceType.RESIDENT:
                raise contribution_not_allowed("the wallet pays only its owner's own resident contribution")
        elif related is None:
            raise contribution_not_allowed("long-term-care contributions are for a close relative")
        if bill is None:
            raise bill_not_issued()
        amount = bill.amount
        await self._credentials.verify(payer_id, Purpose.PAYMENT, password, face_ticket)
        now = self._d.clock.now()
        async with self._d.uow() as tx:
            collected = f"contributions:{beneficiary.province}:{kind.value}"
            entry = EntryKind.CONTRIBUTION
            movement = await _out_of_wallet(tx, wallet, entry, collected, AccountKind.CONTRIBUTIONS, amount)
            posted = await _post_contribution(tx, movement, bill, payer_id, now, "医保钱包缴费")
            if not posted.replayed:
                await _record_paid(tx, bill, payer_id, posted, now)
            await tx.commit()
        return posted

    async def _contribute_elsewhere(
        self,
        payer: Person,
        wallet: Wallet,
        beneficiary_id: str,
        kind: ContributionKind,
        year: int,
        password: str | None,
        face_ticket: str | None,
    ) -> Posted:
        """R24: a relative's long-term-care bill kept in another shard. The
        amount goes out to ``dues-out:<payer's province>:<theirs>`` here,
        then their shard marks the bill paid (CollectContribution). Both
        idempotent by bill: the same call asked again finishes one cut short
        between them. Found paid by someone else there meanwhile, the amount
        comes back to the wallet and the call is refused as paid."""
        peers = self._d.peers
        assert peers is not None
        beneficiary = await peers.person(beneficiary_id)
        if beneficiary is None:
            raise person_not_found(beneficiary_id)
        if kind is ContributionKind.RESIDENT_INSURANCE:
            raise contribution_not_allowed("the wallet pays only its owner's own resident contribution")
        bill = await peers.bill(beneficiary_id, kind, year)
        if bill is None:
            raise bill_not_issued()
        if bill.paid_by not in (None, payer.id):
            raise contribution_already_paid()
        await self._credentials.verify(payer.id, Purpose.PAYMENT, password, face_ticket)
        now = self._d.clock.now()
        key, request = f"contribution:{kind.value}:{beneficiary_id}:{year}", {"p": payer.id, "a": bill.amount}
        dues = clearing_key(AccountKind.DUES_OUT, payer.province, beneficiary.province)
        async with self._d.uow() as tx:
            movement = await _out_of_wallet(
                tx, wallet, EntryKind.CONTRIBUTION, dues, AccountKind.DUES_OUT, bill.amount
            )
            posted = await _post_contribution(tx, movement, bill, payer.id, now, "医保钱包缴费（异地）")
            await tx.commit()
        try:
            await peers.collect(beneficiary, payer, kind, year, bill.amount)
        except UpstreamRefused as refusal:
            if refusal.reason != ErrorReason.CONTRIBUTION_ALREADY_PAID:
                raise
            async with self._d.uow() as tx:  # paid by someone else there meanwhile: the amount back
                back = Movement(
                    EntryKind.CONTRIBUTION_RETURN,
                    movement.credit_account,
                    AccountKind.DUES_OUT,
                    wallet.account_id,
                    AccountKind.WALLET,
                    bill.amount,
                )
                await post(tx, back, f"{key}:return", request, f"{kind.value}:{year}", now, "缴费退回")
                await tx.commit()
            raise contribution_already_paid() from None
        return posted

    async def collect(
        self,
        beneficiary_id: str,
        kind: ContributionKind | None,
        year: int,
        payer_id: str,
        payer_province: str,
        amount: int,
    ) -> ContributionBill:
        """R24: in the beneficiary's shard, their bill paid from the wallet of
        a relative kept in another shard, which sent the amount out first."""
        kind = _contribution(kind, year)
        validate_province(payer_province, "payer_province")
        now = self._d.clock.now()
        async with self._d.uow() as tx:
            bill = await tx.accounts.bill(beneficiary_id, kind, year, for_update=True)
            if bill is None:
                raise bill_not_issued()
            if bill.paid_by not in (None, payer_id):
                raise contribution_already_paid()
            if amount != bill.amount:
                raise contribution_not_allowed("the amount sent is not the bill's")
            dues = await tx.ledger.system_account(
                clearing_key(AccountKind.DUES_IN, bill.province, payer_province), AccountKind.DUES_IN
            )
            collected = f"contributions:{bill.province}:{kind.value}"
            target = await tx.ledger.system_account(collected, AccountKind.CONTRIBUTIONS)
            movement = Movement(
                EntryKind.CONTRIBUTION, dues, AccountKind.DUES_IN, target, AccountKind.CONTRIBUTIONS, amount
            )
            posted = await _post_contribution(tx, movement, bill, payer_id, now, "异地亲属缴费")
            if not posted.replayed:
                await _record_paid(tx, bill, payer_id, posted, now)
            await tx.commit()
            paid = await tx.accounts.bill(beneficiary_id, kind, year)
        assert paid is not None
        return paid


async def _post_contribution(
    tx: AccountUnitOfWork, movement: Movement, bill: ContributionBill, payer_id: str, now, description: str
) -> Posted:
    """The entry paying ``bill``, idempotent by bill (the same payer again is a
    replay); a bill paid before by another payer is CONTRIBUTION_ALREADY_PAID."""
    key = f"contribution:{bill.kind.value}:{bill.person_id}:{bill.year}"
    request = content_hash({"p": payer_id, "a": bill.amount})
    try:
        return await tx.ledger.post(
            movement, key, request, f"{bill.kind.value}:{bill.year}", now, description
        )
    except KeyReused:
        raise contribution_already_paid() from None


async def _record_paid(
    tx: AccountUnitOfWork, bill: ContributionBill, payer_id: str, posted: Posted, now
) -> None:
    """The bill paid, its contribution recorded and its platform told (R12a)."""
    paid = Contribution(bill.person_id, bill.kind, bill.year, payer_id, bill.amount, posted.entry_id)
    await tx.accounts.add_contribution(paid)
    await tx.accounts.mark_bill_paid(bill, payer_id, now)
    await tx.accounts.add_bill_event(BillEventType.PAID, bill, now)


def _contribution(kind: ContributionKind | None, year: int) -> ContributionKind:
    if kind is None:
        raise contribution_kind_required()
    if not 2000 <= year <= 2100:
        raise year_invalid()
    if kind is ContributionKind.LONG_TERM_CARE and year < FIRST_LONG_TERM_CARE_YEAR:
        raise contribution_not_allowed("long-term-care contributions are paid from 2026")
    return kind


async def _recorded(tx: AccountUnitOfWork, institution_code: str, order_number: str) -> Payment:
    """A payment written in ``tx`` or by the charge it lost to, read back."""
    payment = await tx.accounts.payment(institution_code, order_number)
    if payment is None:
        raise payment_not_found(order_number)
    return payment
