"""The AccountService servicer: translates proto <-> use cases, nothing more."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from functools import partial

from google.protobuf import json_format
from google.protobuf.message import Message
from yibao.account.v1 import account_pb2 as pb
from yibao.account.v1 import account_pb2_grpc
from yibao.type.v1 import relation_pb2

from services.account.domain.credentials import Purpose
from services.account.domain.errors import id_hash_invalid
from services.account.domain.holds import Credit, Hold, HoldRecord, HoldState
from services.account.domain.identity import mask_mobile, validate_mobile
from services.account.domain.ledger import (
    AccountKind,
    EntryKind,
    StatementLine,
    validate_amount,
    validate_province,
)
from services.account.domain.moves import Move, MoveState
from services.account.domain.payments import (
    BillEvent,
    BillEventType,
    ContributionBill,
    ContributionKind,
    Payment,
)
from services.account.domain.persons import InsuranceStatus, InsuranceType, Person, validate_person_name
from services.account.domain.relations import Lapse, LapseCause, RelationKind, RelativeView
from services.account.domain.wallets import Wallet
from services.account.usecases import access
from services.account.usecases.credentials import CredentialUseCases
from services.account.usecases.credits import CreditUseCases
from services.account.usecases.hold_reads import HoldReads
from services.account.usecases.holds import HoldUseCases
from services.account.usecases.payments import PaymentUseCases
from services.account.usecases.persons import PartiesAsk, PersonUseCases, TransferParties
from services.account.usecases.wallets import WalletUseCases
from services.kernel.auth import current_principal
from services.kernel.errors import DomainError, required_text
from services.kernel.grpc_errors import outcome_fields
from services.kernel.proto_enums import WireEnum, enum_value_invalid
from services.kernel.proto_messages import message, page_response
from services.kernel.proto_time import from_timestamp, timestamp_argument, to_timestamp
from services.kernel.region_codes import validate_code
from services.kernel.server import ServiceDefinition

SERVICE = pb.DESCRIPTOR.services_by_name["AccountService"].full_name
ERROR_DOMAIN = "account.yibao"

# R20: who may call each method (usecases/access.py).
POLICY = {f"/{SERVICE}/{method}": roles for method, roles in access.METHODS.items()}

INSURANCE_TYPES = WireEnum(InsuranceType, pb.InsuranceType)
STATUSES = WireEnum(InsuranceStatus, pb.InsuranceStatus)
RELATIONS = WireEnum(RelationKind, relation_pb2.RelationKind)
_ACCOUNTS = WireEnum(AccountKind, pb.AccountKind, members=[AccountKind.PERSONAL, AccountKind.WALLET])
_ENTRIES = WireEnum(EntryKind, pb.EntryKind)
_PURPOSES = WireEnum(Purpose, pb.VerificationPurpose)
CONTRIBUTIONS = WireEnum(ContributionKind, pb.ContributionKind)
_BILL_EVENTS = WireEnum(BillEventType, pb.BillEventType)
_HOLDS = WireEnum(HoldState, pb.HoldStatus)
_LAPSES = WireEnum(LapseCause, pb.LapseCause, names={c: f"INSURANCE_{c.name}" for c in LapseCause})


def person_pb(p: Person) -> pb.Person:
    return message(
        pb.Person,
        p,
        insurance_type=INSURANCE_TYPES.wire(p.insurance_type),
        insurance_status=STATUSES.wire(p.status),
        create_time=to_timestamp(p.created_at),
    )


def person_from_pb(p: pb.Person, field_path: str = "relative") -> Person:
    """A person as another shard told of them (R24)."""
    created = timestamp_argument(p.create_time, f"{field_path}.create_time")
    kind = INSURANCE_TYPES.parse(p.insurance_type, f"{field_path}.insurance_type")
    status = STATUSES.parse(p.insurance_status, f"{field_path}.insurance_status")
    if kind is None or status is None:
        raise enum_value_invalid(0, f"{field_path}.insurance_{'type' if kind is None else 'status'}")
    validate_code(p.insured_region, f"{field_path}.insured_region")
    name = validate_person_name(p.name, f"{field_path}.name")
    person_id = required_text(p.id, f"{field_path}.id", 36)
    return Person(person_id, "", p.masked_id_number, name, kind, p.insured_region, status, created, created)


def _brought(fen: int, field_path: str) -> int:
    """A balance a moving person brings: none, or a positive amount."""
    return validate_amount(fen, field_path=field_path) if fen else 0


def wallet_pb(w: Wallet) -> pb.Wallet:
    opened = to_timestamp(w.opened_at)
    return message(pb.Wallet, w, masked_mobile=mask_mobile(w.mobile), balance_fen=w.balance, open_time=opened)


def relation_pb(view: RelativeView) -> pb.Relation:
    r, relative = view.relation, view.relative
    return message(
        pb.Relation,
        r,
        kind=RELATIONS.wire(r.kind),
        relative_name=relative.name,
        relative_masked_id_number=relative.masked_id_number,
        attest_time=to_timestamp(r.attested_at),
    )


def hold_pb(h: Hold) -> pb.HoldState:
    source, status = _ACCOUNTS.wire(h.source), _HOLDS.wire(h.state)
    return message(pb.HoldState, h, source=source, amount_fen=h.amount, status=status)


def hold_record_pb(r: HoldRecord) -> pb.HoldState:
    held = hold_pb(r.hold)
    held.create_time.CopyFrom(to_timestamp(r.created_at))
    held.update_time.CopyFrom(to_timestamp(r.updated_at))
    return held


def payment_pb(p: Payment) -> pb.Payment:
    paid = to_timestamp(p.paid_at)
    return message(pb.Payment, p, amount_fen=p.amount, refunded_fen=p.refunded, pay_time=paid)


def entry_pb(line: StatementLine) -> pb.StatementEntry:
    return message(
        pb.StatementEntry,
        line,
        kind=_ENTRIES.wire(line.kind),
        account=_ACCOUNTS.wire(line.account),
        amount_fen=line.amount,
        balance_after_fen=line.balance_after,
        post_time=to_timestamp(line.posted_at),
    )


def outcome_pb(outcome: Hold | DomainError) -> pb.HoldOutcome:
    if isinstance(outcome, Hold):
        return pb.HoldOutcome(hold=hold_pb(outcome))
    return pb.HoldOutcome(**outcome_fields(outcome))


def credit_outcome_pb(outcome: Credit | DomainError) -> pb.CreditOutcome:
    if isinstance(outcome, Credit):
        return pb.CreditOutcome(credit=message(pb.TransferCredit, outcome, amount_fen=outcome.amount))
    return pb.CreditOutcome(**outcome_fields(outcome))


def parties_pb(p: TransferParties) -> pb.GetTransferPartiesResponse:
    return pb.GetTransferPartiesResponse(
        payer=person_pb(p.payer),
        payer_wallet=wallet_pb(p.payer_wallet) if p.payer_wallet else None,
        payee=person_pb(p.payee),
        payee_wallet=wallet_pb(p.payee_wallet) if p.payee_wallet else None,
        relation=RELATIONS.wire(p.relation),
    )


def lapse_pb(lapse: Lapse) -> pb.RelationLapse:
    return message(
        pb.RelationLapse, lapse, lapse_time=to_timestamp(lapse.lapsed_at), cause=_LAPSES.wire(lapse.cause)
    )


def bill_event_pb(e: BillEvent) -> pb.BillEvent:
    return pb.BillEvent(
        id=e.id, type=_BILL_EVENTS.wire(e.type), bill=bill_pb(e.bill), event_time=to_timestamp(e.occurred_at)
    )


def _json(item: Message) -> bytes:
    document = json_format.MessageToDict(item)
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode()


def bill_event_json(e: BillEvent) -> bytes:
    """The BillEvent of ListBillEvents as protobuf's JSON mapping (UTF-8):
    what a message on NATS JetStream carries."""
    return _json(bill_event_pb(e))


def lapse_json(lapse: Lapse) -> bytes:
    """The RelationLapse of ListRelationLapses as protobuf JSON (UTF-8), for NATS JetStream."""
    return _json(lapse_pb(lapse))


def bill_from_pb(b: pb.ContributionBill) -> ContributionBill:
    """A bill as another shard told of it (R24)."""
    kind = CONTRIBUTIONS.get(b.kind)
    assert kind is not None, "a shard answers bills with a kind"
    paid_at = from_timestamp(b.paid_time) if b.paid_by else None
    return ContributionBill(
        b.person_id,
        kind,
        b.year,
        b.amount_fen,
        b.province,
        from_timestamp(b.issue_time),
        b.paid_by or None,
        paid_at,
    )


def bill_pb(bill: ContributionBill) -> pb.ContributionBill:
    return message(
        pb.ContributionBill,
        bill,
        kind=CONTRIBUTIONS.wire(bill.kind),
        amount_fen=bill.amount,
        paid_by=bill.paid_by or "",
        issue_time=to_timestamp(bill.issued_at),
        paid_time=to_timestamp(bill.paid_at),
    )


def verification(request) -> tuple[str | None, str | None]:
    method = request.verification.WhichOneof("method")
    return (
        request.verification.password if method == "password" else None,
        request.verification.face_ticket if method == "face_ticket" else None,
    )


class AccountServicer(account_pb2_grpc.AccountServiceServicer):
    def __init__(
        self,
        persons: PersonUseCases,
        wallets: WalletUseCases,
        credentials: CredentialUseCases,
        holds: HoldUseCases,
        payments: PaymentUseCases,
        hold_reads: HoldReads,
        credits: CreditUseCases,
    ) -> None:
        self._persons, self._wallets, self._credentials = persons, wallets, credentials
        self._holds, self._money, self._hold_reads = holds, payments, hold_reads
        self._credits = credits

    async def RegisterPerson(self, request, context):
        kind = INSURANCE_TYPES.parse(request.insurance_type, "insurance_type")
        person, created = await self._persons.register(
            current_principal(), request.id_number, request.name, kind, request.insured_region
        )
        return pb.RegisterPersonResponse(person=person_pb(person), created=created)

    async def UpdateInsurance(self, request, context):
        person, lapsed = await self._persons.update_insurance(
            current_principal(),
            request.person_id,
            STATUSES.parse(request.insurance_status, "insurance_status"),
            request.insured_region,
            INSURANCE_TYPES.parse(request.insurance_type, "insurance_type"),
        )
        return pb.UpdateInsuranceResponse(person=person_pb(person), lapsed_relations=lapsed)

    async def GetPerson(self, request, context):
        return pb.GetPersonResponse(
            person=person_pb(await self._persons.get(current_principal(), request.person_id))
        )

    async def LookupPerson(self, request, context):
        person, wallet = await self._persons.lookup(current_principal(), request.id_number, request.name)
        return pb.LookupPersonResponse(person=person_pb(person), wallet=wallet_pb(wallet) if wallet else None)

    async def GetTransferParties(self, request, context):
        (outcome,) = await self._parties([request])
        if isinstance(outcome, DomainError):
            raise outcome
        return parties_pb(outcome)

    async def BatchGetTransferParties(self, request, context):
        outcomes = await self._parties(list(request.requests))
        return pb.BatchGetTransferPartiesResponse(
            outcomes=[
                pb.TransferPartiesOutcome(**outcome_fields(o))
                if isinstance(o, DomainError)
                else pb.TransferPartiesOutcome(parties=parties_pb(o))
                for o in outcomes
            ]
        )

    async def _parties(self, requests: list) -> list[TransferParties | DomainError]:
        asks = [
            PartiesAsk(
                r.payer_id,
                r.payee_id_number,
                r.payee_name,
                verification(r) if r.HasField("verification") else None,
            )
            for r in requests
        ]
        return await self._persons.transfer_parties(asks, self._credentials.verify_known)

    async def FundPersonalAccount(self, request, context):
        funded = await self._money.fund(
            current_principal(), request.person_id, request.amount_fen, request.reference, request.period
        )
        return pb.FundPersonalAccountResponse(balance_fen=funded.balance, entry_id=funded.entry_id)

    async def OpenWallet(self, request, context):
        wallet, created = await self._wallets.open(
            current_principal(), request.person_id, request.place_of_use, request.mobile
        )
        return pb.OpenWalletResponse(wallet=wallet_pb(wallet), created=created)

    async def GetWallet(self, request, context):
        return pb.GetWalletResponse(
            wallet=wallet_pb(await self._wallets.get(current_principal(), request.person_id))
        )

    async def ChangePlaceOfUse(self, request, context):
        wallet = await self._wallets.change_place_of_use(
            current_principal(), request.person_id, request.place_of_use
        )
        return pb.ChangePlaceOfUseResponse(wallet=wallet_pb(wallet))

    async def ChangeMobile(self, request, context):
        password, ticket = verification(request)
        wallet = await self._wallets.change_mobile(
            current_principal(), request.person_id, request.mobile, self._credentials.verify, password, ticket
        )
        return pb.ChangeMobileResponse(wallet=wallet_pb(wallet))

    async def AttestRelation(self, request, context):
        kind = RELATIONS.parse(request.kind, "kind")
        own, inverse = await self._persons.attest(
            current_principal(), request.person_id, request.relative_id, kind
        )
        return pb.AttestRelationResponse(relation=relation_pb(own), inverse=relation_pb(inverse))

    async def LinkRelation(self, request, context):
        relative = person_from_pb(request.relative)
        view = await self._persons.link(request.person_id, relative, RELATIONS.parse(request.kind, "kind"))
        return pb.LinkRelationResponse(relation=relation_pb(view))

    async def AdmitPerson(self, request, context):
        person = person_from_pb(request.person, "person")
        if not re.fullmatch(r"[0-9a-f]{64}", request.id_hash):
            raise id_hash_invalid("id_hash")
        wallet = request.wallet_opened
        if wallet:
            validate_code(request.wallet_place_of_use, "wallet_place_of_use")
        move = Move(
            person.id,
            validate_province(request.from_province, "from_province"),
            person.insured_region,
            person.insurance_type,
            _brought(request.personal_account_fen, "personal_account_fen"),
            _brought(request.wallet_fen, "wallet_fen") if wallet else 0,
            request.wallet_place_of_use if wallet else None,
            validate_mobile(request.wallet_mobile, "wallet_mobile") if wallet else None,
            timestamp_argument(request.wallet_open_time, "wallet_open_time") if wallet else None,
            request.password_hash or None,
            MoveState.SENT,
            person.created_at,
        )
        admitted = await self._persons.admit(replace(person, id_hash=request.id_hash), move)
        return pb.AdmitPersonResponse(person=person_pb(admitted))

    async def CollectContribution(self, request, context):
        bill = await self._money.collect(
            request.beneficiary_id,
            CONTRIBUTIONS.parse(request.kind, "kind"),
            request.year,
            request.payer_id,
            request.payer_province,
            request.amount_fen,
        )
        return pb.CollectContributionResponse(bill=bill_pb(bill))

    async def LapseRelations(self, request, context):
        return pb.LapseRelationsResponse(lapsed=await self._persons.lapse_remote(request.person_id))

    async def ListRelations(self, request, context):
        views = await self._persons.relatives(current_principal(), request.person_id)
        return pb.ListRelationsResponse(relations=[relation_pb(v) for v in views])

    async def SetPassword(self, request, context):
        await self._credentials.set_password(
            current_principal(), request.person_id, request.current_password, request.new_password
        )
        return pb.SetPasswordResponse()

    async def VerifyCredential(self, request, context):
        password, ticket = verification(request)
        left = await self._credentials.verify(
            request.person_id, _PURPOSES.parse(request.purpose, "purpose"), password, ticket
        )
        return pb.VerifyCredentialResponse(attempts_left=max(left, 0))

    async def HoldTransfer(self, request, context):
        hold = await self._holds.hold(
            request.transfer_id,
            request.payer_id,
            request.payee_id,
            _ACCOUNTS.parse(request.source, "source"),
            request.amount_fen,
            request.payee_province,
        )
        return pb.HoldTransferResponse(hold=hold_pb(hold))

    async def HoldTransfers(self, request, context):
        asked = [
            (h.transfer_id, h.payer_id, h.payee_id, _ACCOUNTS.get(h.source), h.amount_fen, h.payee_province)
            for h in request.holds
        ]
        return pb.HoldTransfersResponse(outcomes=[outcome_pb(x) for x in await self._holds.hold_many(asked)])

    async def ReceiveTransfer(self, request, context):
        return pb.ReceiveTransferResponse(hold=hold_pb(await self._holds.receive(request.transfer_id)))

    async def RefundTransfer(self, request, context):
        return pb.RefundTransferResponse(hold=hold_pb(await self._holds.refund(request.transfer_id)))

    async def ReceiveTransfers(self, request, context):
        received, lapsed = await self._holds.receive_many(list(request.transfer_ids))
        return pb.ReceiveTransfersResponse(
            holds=[hold_pb(h) for h in received], lapsed_transfer_ids=sorted(lapsed)
        )

    async def CreditTransfers(self, request, context):
        asked = [
            Credit(c.transfer_id, c.payer_id, c.payer_province, c.payee_id, c.amount_fen)
            for c in request.credits
        ]
        return pb.CreditTransfersResponse(
            outcomes=[credit_outcome_pb(x) for x in await self._credits.credit_many(asked)]
        )

    async def GetClearingStatement(self, request, context):
        lines = await self._credits.clearing_statement(request.month)
        return pb.GetClearingStatementResponse(
            month=request.month,
            lines=[message(pb.ClearingLine, line) for line in lines],
        )

    async def RefundTransfers(self, request, context):
        refunded = await self._holds.refund_many(list(request.transfer_ids))
        return pb.RefundTransfersResponse(holds=[hold_pb(h) for h in refunded])

    async def ListHolds(self, request, context):
        page = await self._hold_reads.list(
            _HOLDS.parse(request.status, "status"),
            timestamp_argument(request.update_after, "update_after")
            if request.HasField("update_after")
            else None,
            request.page_size,
            request.page_token,
        )
        return page_response(pb.ListHoldsResponse, "holds", page, hold_record_pb)

    async def BatchGetHolds(self, request, context):
        found = await self._hold_reads.batch_get(list(request.transfer_ids))
        return pb.BatchGetHoldsResponse(holds=[hold_record_pb(r) for r in found])

    async def GetPayment(self, request, context):
        payment = await self._money.payment(
            current_principal(), request.institution_code, request.order_number
        )
        return pb.GetPaymentResponse(payment=payment_pb(payment))

    async def ChargeWallet(self, request, context):
        password, ticket = verification(request)
        payment = await self._money.charge(
            current_principal(),
            request.institution_code,
            request.order_number,
            request.person_id,
            request.amount_fen,
            password,
            ticket,
        )
        return pb.ChargeWalletResponse(payment=payment_pb(payment))

    async def RefundPayment(self, request, context):
        payment = await self._money.refund(
            current_principal(),
            request.institution_code,
            request.order_number,
            request.amount_fen,
            request.refund_id,
        )
        return pb.RefundPaymentResponse(payment=payment_pb(payment))

    async def PayContribution(self, request, context):
        password, ticket = verification(request)
        caller = current_principal()
        posted = await self._money.contribute(
            caller,
            request.payer_id,
            request.beneficiary_id,
            CONTRIBUTIONS.parse(request.kind, "kind"),
            request.year,
            password,
            ticket,
        )
        balances = await self._wallets.balances(caller, request.payer_id)
        return pb.PayContributionResponse(
            wallet_balance_fen=balances.get(AccountKind.WALLET, 0), entry_id=posted.entry_id
        )

    async def IssueContributionBill(self, request, context):
        bill, created = await self._money.issue_bill(
            current_principal(),
            request.person_id,
            CONTRIBUTIONS.parse(request.kind, "kind"),
            request.year,
            request.amount_fen,
        )
        return pb.IssueContributionBillResponse(bill=bill_pb(bill), created=created)

    async def ListContributionBills(self, request, context):
        bills = await self._money.bills(current_principal(), request.person_id)
        return pb.ListContributionBillsResponse(bills=[bill_pb(b) for b in bills])

    async def ListBillEvents(self, request, context):
        events = await self._money.bill_events(
            current_principal(), request.province, request.after_id, request.page_size or 100
        )
        return pb.ListBillEventsResponse(events=[bill_event_pb(e) for e in events])

    async def GetBalances(self, request, context):
        balances = await self._wallets.balances(current_principal(), request.person_id)
        return pb.GetBalancesResponse(
            personal_account_fen=balances.get(AccountKind.PERSONAL, 0),
            has_personal_account=AccountKind.PERSONAL in balances,
            wallet_fen=balances.get(AccountKind.WALLET, 0),
            has_wallet=AccountKind.WALLET in balances,
            reserved_fen=balances.get(AccountKind.RESERVED, 0),
        )

    async def ListStatementEntries(self, request, context):
        kinds = [_ENTRIES.parse(k, f"kinds[{i}]") for i, k in enumerate(request.kinds)]
        page = await self._wallets.statement(
            current_principal(),
            request.person_id,
            [k for k in kinds if k],
            timestamp_argument(request.start_time, "start_time") if request.HasField("start_time") else None,
            timestamp_argument(request.end_time, "end_time") if request.HasField("end_time") else None,
            request.page_size,
            request.page_token,
        )
        return page_response(pb.ListStatementEntriesResponse, "entries", page, entry_pb)

    async def ListRelationLapses(self, request, context):
        lapses = await self._persons.lapses(request.after_id, request.page_size or 100)
        return pb.ListRelationLapsesResponse(lapses=[lapse_pb(x) for x in lapses])


def account_service(servicer: AccountServicer, on_stop=()) -> ServiceDefinition:
    add = partial(account_pb2_grpc.add_AccountServiceServicer_to_server, servicer)
    return ServiceDefinition("account", SERVICE, ERROR_DOMAIN, POLICY, add, list(on_stop))
