"""Every use case that moves money (R6, R10, R11, R12a, R15): each is one
balanced journal entry, idempotent by its key, in one transaction with the
records that explain it."""

from __future__ import annotations

from dataclasses import dataclass

from services.account.adapters.ledger import Ledger, Posted
from services.account.adapters.repository import AccountRepository, Hold, Payment
from services.account.domain.credentials import Purpose
from services.account.domain.ledger import AccountKind, EntryKind, Movement, validate_amount
from services.account.domain.persons import InsuranceType
from services.account.usecases.common import AccountDeps, person_for, person_not_found
from services.account.usecases.credentials import CredentialUseCases
from services.account.usecases.wallets import wallet_not_opened
from services.kernel.auth import Principal, Role
from services.kernel.errors import DomainError, ErrorKind, already_exists, failed_precondition, invalid_argument, not_found, permission_denied
from services.kernel.idempotency import content_hash, reused_request_id
from services.kernel.region_codes import pooling_region

HELD, SETTLED, RELEASED = "held", "settled", "released"
FIRST_LONG_TERM_CARE_YEAR = 2026


class ContributionKind:
    RESIDENT_INSURANCE = "resident_insurance"
    LONG_TERM_CARE = "long_term_care"


@dataclass(frozen=True)
class Funded:
    entry_id: int
    balance: int


def _required(value: str, field_path: str, what: str) -> str:
    if not value:
        raise invalid_argument(f"{what}_REQUIRED", field_path, f"{field_path} is required")
    if len(value) > 64 or not value.isprintable():
        raise invalid_argument(f"{what}_INVALID", field_path, "at most 64 printable characters")
    return value


def _hold_not_found(transfer_id: str):
    return not_found("HOLD_NOT_FOUND", "no money is held for this transfer", transfer_id=transfer_id)


class MoneyUseCases:
    def __init__(self, deps: AccountDeps, credentials: CredentialUseCases) -> None:
        self._d = deps
        self._credentials = credentials

    async def _verify(self, person_id: str, purpose: Purpose, password: str | None, face_ticket: str | None) -> None:
        await self._credentials.verify(person_id, purpose, password, face_ticket)

    # --- R6: monthly funding of personal accounts by the provincial platform
    async def fund(self, caller: Principal, person_id: str, amount: int, reference: str, period: str) -> Funded:
        validate_amount(amount)
        reference = _required(reference, "reference", "REFERENCE")
        now = self._d.clock.now()
        async with self._d.engine.begin() as conn:
            repo, ledger = AccountRepository(conn), Ledger(conn)
            person = await person_for(caller, repo, person_id, Role.PROVINCE)
            if person.insurance_type is not InsuranceType.EMPLOYEE:
                raise failed_precondition("NO_PERSONAL_ACCOUNT", "only employee-insured persons have a personal account")
            personal = await ledger.account(person_id, AccountKind.PERSONAL)
            fund = await ledger.system_account(f"fund:{person.province}", AccountKind.FUND)
            movement = Movement(EntryKind.FUNDING, fund, AccountKind.FUND, personal, AccountKind.PERSONAL, amount)
            posted = await ledger.post(
                movement, f"fund:{person.province}:{reference}", content_hash({"p": person_id, "a": amount, "m": period}),
                reference, now, f"个人账户划入 {period}".strip(),
            )
            return Funded(posted.entry_id, await ledger.balance(personal))

    # --- R15: the transfer service's hold -> settle | release
    async def hold(self, transfer_id: str, payer_id: str, payee_id: str, source: AccountKind | None, amount: int) -> Hold:
        transfer_id = _required(transfer_id, "transfer_id", "TRANSFER_ID")
        validate_amount(amount)
        if source not in (AccountKind.PERSONAL, AccountKind.WALLET):
            raise invalid_argument("SOURCE_INVALID", "source", "the source is the personal account or the wallet")
        wanted = Hold(transfer_id, payer_id, payee_id, source, amount, HELD)
        now = self._d.clock.now()
        async with self._d.engine.begin() as conn:
            repo, ledger = AccountRepository(conn), Ledger(conn)
            if not await repo.add_hold(wanted, now):
                existing = await repo.hold(transfer_id)
                if (existing.payer_id, existing.payee_id, existing.source, existing.amount) != (payer_id, payee_id, source, amount):
                    raise reused_request_id(transfer_id)
                return existing
            for pid in (payer_id, payee_id):
                if await repo.person(pid) is None:
                    raise person_not_found(pid)
            if await repo.wallet(payee_id) is None:
                raise wallet_not_opened(payee_id)
            source_account = await ledger.account(payer_id, source)
            if source_account is None:
                raise failed_precondition("SOURCE_ACCOUNT_MISSING", f"the payer has no {source.value} account", source=source.value)
            reserved = await ledger.open_person_account(payer_id, AccountKind.RESERVED)
            movement = Movement(EntryKind.TRANSFER_OUT, source_account, source, reserved, AccountKind.RESERVED, amount)
            await ledger.post(movement, f"hold:{transfer_id}", content_hash(wanted.__dict__ | {"source": source.value}), transfer_id, now, "医保钱包转出")
        return wanted

    async def settle(self, transfer_id: str) -> Hold:
        return await self._finish(transfer_id, SETTLED)

    async def release(self, transfer_id: str) -> Hold:
        return await self._finish(transfer_id, RELEASED)

    async def _finish(self, transfer_id: str, outcome: str) -> Hold:
        """Exactly one of settle / release ever moves the held money; asking
        for the same outcome again is a no-op, for the other one an error."""
        transfer_id = _required(transfer_id, "transfer_id", "TRANSFER_ID")
        now = self._d.clock.now()
        async with self._d.engine.begin() as conn:
            repo, ledger = AccountRepository(conn), Ledger(conn)
            hold = await repo.hold(transfer_id, for_update=True)
            if hold is None:
                raise _hold_not_found(transfer_id)
            if hold.state == outcome:
                return hold
            if hold.state != HELD:
                raise failed_precondition(
                    f"HOLD_ALREADY_{hold.state.upper()}", f"the held money was already {hold.state}", transfer_id=transfer_id
                )
            reserved = await ledger.account(hold.payer_id, AccountKind.RESERVED)
            if outcome == SETTLED:
                target, kind, entry, text = await ledger.account(hold.payee_id, AccountKind.WALLET), AccountKind.WALLET, EntryKind.TRANSFER_IN, "医保钱包转入"
            else:
                target, kind, entry, text = await ledger.account(hold.payer_id, hold.source), hold.source, EntryKind.TRANSFER_REFUND, "医保钱包转账退回"
            movement = Movement(entry, reserved, AccountKind.RESERVED, target, kind, hold.amount)
            await ledger.post(movement, f"{outcome}:{transfer_id}", content_hash({"t": transfer_id}), transfer_id, now, text)
            await repo.set_hold_state(transfer_id, outcome, now)
        return Hold(hold.transfer_id, hold.payer_id, hold.payee_id, hold.source, hold.amount, outcome)

    # --- R11: wallet payments at designated institutions
    async def charge(
        self, caller: Principal, institution_code: str, order_number: str, person_id: str, amount: int, password: str | None, face_ticket: str | None
    ) -> Payment:
        if caller.institution != institution_code:
            raise permission_denied()
        order_number = _required(order_number, "order_number", "ORDER_NUMBER")
        validate_amount(amount)
        async with self._d.engine.connect() as conn:
            repo = AccountRepository(conn)
            earlier = await repo.payment(institution_code, order_number)
            patient = await repo.person(person_id)
            wallet = await repo.wallet(person_id)
        if earlier is not None:
            return self._same_payment(earlier, person_id, amount)
        institution = await self._d.regions.institution(institution_code)
        if institution is None or not institution.accepts_wallet:
            raise failed_precondition("INSTITUTION_NOT_ACCEPTING_WALLET", "this institution does not accept wallet payment")
        if patient is None:
            raise person_not_found(person_id)
        if wallet is None:
            raise wallet_not_opened(person_id)
        if pooling_region(institution.region_code) != pooling_region(patient.insured_region):
            raise failed_precondition(
                "INSTITUTION_OUTSIDE_INSURED_REGION", "the wallet pays only at institutions where the patient is insured",
                insured_region=patient.insured_region,
            )
        await self._verify(person_id, Purpose.PAYMENT, password, face_ticket)
        now = self._d.clock.now()
        payment = Payment(institution_code, order_number, person_id, amount, 0, now)
        async with self._d.engine.begin() as conn:
            repo, ledger = AccountRepository(conn), Ledger(conn)
            receivable = await ledger.system_account(f"institution:{institution_code}", AccountKind.INSTITUTION)
            movement = Movement(EntryKind.PAYMENT, wallet.account_id, AccountKind.WALLET, receivable, AccountKind.INSTITUTION, amount)
            posted = await ledger.post(
                movement, f"pay:{institution_code}:{order_number}", content_hash({"p": person_id, "a": amount}), order_number, now, "医保钱包支付"
            )
            if posted.replayed:  # a concurrent identical charge won
                return await repo.payment(institution_code, order_number)
            await repo.add_payment(payment)
        return payment

    @staticmethod
    def _same_payment(earlier: Payment, person_id: str, amount: int) -> Payment:
        if (earlier.person_id, earlier.amount) != (person_id, amount):
            raise already_exists("ORDER_ALREADY_PAID", "this order number was paid with other details")
        return earlier

    async def refund(self, caller: Principal, institution_code: str, order_number: str, amount: int, refund_id: str) -> Payment:
        if caller.institution != institution_code:
            raise permission_denied()
        validate_amount(amount)
        refund_id = _required(refund_id, "refund_id", "REFUND_ID")
        now = self._d.clock.now()
        async with self._d.engine.begin() as conn:
            repo, ledger = AccountRepository(conn), Ledger(conn)
            payment = await repo.payment(institution_code, order_number, for_update=True)
            if payment is None:
                raise not_found("PAYMENT_NOT_FOUND", "no such payment", order_number=order_number)
            wallet = await repo.wallet(payment.person_id)
            receivable = await ledger.system_account(f"institution:{institution_code}", AccountKind.INSTITUTION)
            movement = Movement(EntryKind.PAYMENT_REFUND, receivable, AccountKind.INSTITUTION, wallet.account_id, AccountKind.WALLET, amount)
            key = f"refund:{institution_code}:{refund_id}"
            request = content_hash({"o": order_number, "a": amount})
            retried = await ledger.previous_request(key) is not None  # a retry is answered as before
            if amount > payment.amount - payment.refunded and not retried:
                raise failed_precondition(
                    "REFUND_EXCEEDS_PAYMENT", "a refund cannot exceed what is left of the payment",
                    refundable_fen=str(payment.amount - payment.refunded),
                )
            posted = await ledger.post(movement, key, request, order_number, now, "医保钱包退费")
            if not posted.replayed:
                await repo.add_refund(institution_code, order_number, amount)
            return await repo.payment(institution_code, order_number)

    # --- R12a: contributions paid from the wallet
    async def contribute(
        self, caller: Principal, payer_id: str, beneficiary_id: str, kind: str | None, year: int, amount: int,
        password: str | None, face_ticket: str | None,
    ) -> Posted:
        validate_amount(amount)
        if kind is None:
            raise invalid_argument("CONTRIBUTION_KIND_REQUIRED", "kind", "resident insurance or long-term care")
        if not 2000 <= year <= 2100:
            raise invalid_argument("YEAR_INVALID", "year", "a calendar year")
        async with self._d.engine.connect() as conn:
            repo = AccountRepository(conn)
            await person_for(caller, repo, payer_id, Role.CITIZEN)
            beneficiary = await repo.person(beneficiary_id)
            wallet = await repo.wallet(payer_id)
            related = await repo.relation(payer_id, beneficiary_id)
        if wallet is None:
            raise wallet_not_opened(payer_id)
        if beneficiary is None:
            raise person_not_found(beneficiary_id)
        if kind == ContributionKind.RESIDENT_INSURANCE:
            if beneficiary_id != payer_id or beneficiary.insurance_type is not InsuranceType.RESIDENT:
                raise failed_precondition("CONTRIBUTION_NOT_ALLOWED", "the wallet pays only its owner's own resident contribution")
        elif related is None or year < FIRST_LONG_TERM_CARE_YEAR:
            raise failed_precondition(
                "CONTRIBUTION_NOT_ALLOWED", "long-term-care contributions are for a close relative, from 2026"
            )
        await self._verify(payer_id, Purpose.PAYMENT, password, face_ticket)
        now = self._d.clock.now()
        async with self._d.engine.begin() as conn:
            repo, ledger = AccountRepository(conn), Ledger(conn)
            collected = await ledger.system_account(f"contributions:{beneficiary.province}:{kind}", AccountKind.CONTRIBUTIONS)
            movement = Movement(EntryKind.CONTRIBUTION, wallet.account_id, AccountKind.WALLET, collected, AccountKind.CONTRIBUTIONS, amount)
            key = f"contribution:{kind}:{beneficiary_id}:{year}"
            try:
                posted = await ledger.post(movement, key, content_hash({"p": payer_id, "a": amount}), f"{kind}:{year}", now, "医保钱包缴费")
            except DomainError as error:
                if error.reason == "REQUEST_ID_REUSED":
                    raise DomainError(ErrorKind.FAILED_PRECONDITION, "CONTRIBUTION_ALREADY_PAID", "this contribution is paid for the year") from None
                raise
            if not posted.replayed:
                await repo.add_contribution(beneficiary_id, kind, year, payer_id, amount, posted.entry_id)
        return posted

