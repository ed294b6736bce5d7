"""`yibao person|wallet|relation|password|pay|statement …`: the account
service from a terminal, as a provincial platform, a citizen or an
institution (the token decides which)."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Annotated

import typer
from rich.table import Table
from yibao.account.v1 import account_pb2 as pb
from yibao.account.v1 import account_pb2_grpc
from yibao.type.v1 import relation_pb2, verification_pb2

from services.account.domain.credentials import Purpose, mint_face_ticket
from services.cli.client import (
    FaceTicket,
    Password,
    Token,
    caller,
    choice,
    emit,
    out,
    target_option,
    to_fen,
    verification,
    yuan,
)
from services.kernel.clock import beijing, beijing_month
from services.kernel.config import clock_from, load_settings
from services.kernel.proto_time import from_timestamp

person_app = typer.Typer(
    help="Insured persons and personal accounts (provincial platform).", no_args_is_help=True
)
wallet_app = typer.Typer(help="Wallets, balances and statements (citizen).", no_args_is_help=True)
relation_app = typer.Typer(help="Close relatives (provincial platform attests).", no_args_is_help=True)
pay_app = typer.Typer(help="Wallet payments and refunds (institution).", no_args_is_help=True)

Target = Annotated[str | None, target_option("account")]

_TYPES = {"employee": pb.INSURANCE_TYPE_EMPLOYEE, "resident": pb.INSURANCE_TYPE_RESIDENT}
_KINDS = {
    name.removeprefix("RELATION_KIND_").lower(): value
    for name, value in relation_pb2.RelationKind.items()
    if value
}


_call = caller(account_pb2_grpc.AccountServiceStub, "account")


def _when(stamp) -> str:
    return f"{beijing(from_timestamp(stamp)):%Y-%m-%d %H:%M}"


def _person_table(p) -> Table:
    table = Table("id", "name", "ID number", "type", "insured region", "status")
    table.add_row(
        p.id,
        p.name,
        p.masked_id_number,
        pb.InsuranceType.Name(p.insurance_type).removeprefix("INSURANCE_TYPE_").lower(),
        p.insured_region,
        pb.InsuranceStatus.Name(p.insurance_status).removeprefix("INSURANCE_STATUS_").lower(),
    )
    return table


@person_app.command("register")
def register(
    id_number: str,
    name: str,
    region: str,
    kind: Annotated[str, typer.Option("--type", help="employee or resident")] = "employee",
    target: Target = None,
    token: Token = None,
) -> None:
    """Register an insured person of your province (参保登记)."""
    request = pb.RegisterPersonRequest(
        id_number=id_number, name=name, insured_region=region, insurance_type=choice(kind, _TYPES, "--type")
    )
    out.print(_person_table(_call(target, "RegisterPerson", request, token).person))


@person_app.command("show")
def show_person(person_id: str, target: Target = None, token: Token = None) -> None:
    """One person (ID number masked)."""
    out.print(
        _person_table(_call(target, "GetPerson", pb.GetPersonRequest(person_id=person_id), token).person)
    )


@person_app.command("fund")
def fund(
    person_id: str,
    amount: Annotated[str, typer.Argument(help="yuan, e.g. 500.00")],
    reference: Annotated[str, typer.Option(help="your reference: the idempotency key")],
    period: Annotated[str, typer.Option(help="month funded, YYYY-MM (default: this month, Beijing)")] = "",
    target: Target = None,
    token: Token = None,
) -> None:
    """Fund a personal account (个人账户划入); idempotent by reference."""
    request = pb.FundPersonalAccountRequest(
        person_id=person_id,
        amount_fen=to_fen(amount),
        reference=reference,
        period=period or beijing_month(clock_from(load_settings()).now()),
    )
    out.print(f"personal account: {yuan(_call(target, 'FundPersonalAccount', request, token).balance_fen)}")


@person_app.command("insurance")
def insurance(
    person_id: str,
    ended: Annotated[bool, typer.Option("--ended", help="the insurance ended")] = False,
    region: Annotated[str, typer.Option("--moved-to", help="the new insured region")] = "",
    target: Target = None,
    token: Token = None,
) -> None:
    """End or move a person's insurance; their relations lapse (R8)."""
    request = pb.UpdateInsuranceRequest(
        person_id=person_id,
        insured_region=region,
        insurance_status=pb.INSURANCE_STATUS_ENDED if ended else pb.INSURANCE_STATUS_UNSPECIFIED,
    )
    response = _call(target, "UpdateInsurance", request, token)
    out.print(_person_table(response.person))
    out.print(f"{response.lapsed_relations} relation(s) lapsed")


@relation_app.command("attest")
def attest(
    person_id: str,
    relative_id: str,
    kind: Annotated[str, typer.Argument(help=", ".join(_KINDS))],
    target: Target = None,
    token: Token = None,
) -> None:
    """Attest that RELATIVE is the person's KIND (the inverse is implied)."""
    request = pb.AttestRelationRequest(
        person_id=person_id, relative_id=relative_id, kind=choice(kind, _KINDS, "KIND")
    )
    response = _call(target, "AttestRelation", request, token)
    out.print(
        f"{response.relation.relative_name} is {kind}; {response.inverse.relative_name} is {relation_pb2.RelationKind.Name(response.inverse.kind).removeprefix('RELATION_KIND_').lower()}"
    )


@relation_app.command("list")
def list_relations(person_id: str, target: Target = None, token: Token = None) -> None:
    """A person's close relatives."""
    table = Table("relative id", "name", "ID number", "relation", "since")
    for r in _call(target, "ListRelations", pb.ListRelationsRequest(person_id=person_id), token).relations:
        table.add_row(
            r.relative_id,
            r.relative_name,
            r.relative_masked_id_number,
            relation_pb2.RelationKind.Name(r.kind).removeprefix("RELATION_KIND_").lower(),
            _when(r.attest_time),
        )
    out.print(table)


@wallet_app.command("open")
def open_wallet(
    person_id: str, place_of_use: str, mobile: str, target: Target = None, token: Token = None
) -> None:
    """Open your wallet (确认使用医保钱包) with a place of use and a mobile number."""
    w = _call(
        target,
        "OpenWallet",
        pb.OpenWalletRequest(person_id=person_id, place_of_use=place_of_use, mobile=mobile),
        token,
    ).wallet
    out.print(
        f"wallet of {w.person_id}: place of use {w.place_of_use}, mobile {w.masked_mobile}, {yuan(w.balance_fen)}"
    )


@wallet_app.command("move")
def move_wallet(person_id: str, place_of_use: str, target: Target = None, token: Token = None) -> None:
    """Change the place of use (使用地变更)."""
    request = pb.ChangePlaceOfUseRequest(person_id=person_id, place_of_use=place_of_use)
    w = _call(target, "ChangePlaceOfUse", request, token).wallet
    out.print(f"place of use now {w.place_of_use}")


@wallet_app.command("mobile")
def change_mobile(
    person_id: str,
    mobile: str,
    password: Annotated[str, typer.Option(help="your password (a platform sends none)")] = "",
    target: Target = None,
    token: Token = None,
) -> None:
    """Bind another mobile number to the wallet (the person with their password, or their platform)."""
    request = pb.ChangeMobileRequest(
        person_id=person_id,
        mobile=mobile,
        verification=verification_pb2.Verification(password=password) if password else None,
    )
    w = _call(target, "ChangeMobile", request, token).wallet
    out.print(f"mobile now {w.masked_mobile}")


@wallet_app.command("balance")
def balance(person_id: str, target: Target = None, token: Token = None) -> None:
    """Balances of the personal account and the wallet, and the money held for pending transfers."""
    b = _call(target, "GetBalances", pb.GetBalancesRequest(person_id=person_id), token)
    table = Table("account", "balance")
    table.add_row(
        "个人账户 personal account", yuan(b.personal_account_fen) if b.has_personal_account else "—"
    )
    table.add_row("医保钱包 wallet", yuan(b.wallet_fen) if b.has_wallet else "not opened")
    table.add_row("held for pending transfers", yuan(b.reserved_fen))
    out.print(table)


@wallet_app.command("statement")
def statement(
    person_id: str,
    limit: Annotated[int, typer.Option(help="entries to show")] = 20,
    target: Target = None,
    token: Token = None,
) -> None:
    """Entries of the personal account and wallet, newest first."""
    table = Table("time (Beijing)", "kind", "account", "amount", "balance after", "reference")
    page = _call(
        target,
        "ListStatementEntries",
        pb.ListStatementEntriesRequest(person_id=person_id, page_size=limit),
        token,
    )
    for e in page.entries:
        table.add_row(
            _when(e.post_time),
            pb.EntryKind.Name(e.kind).removeprefix("ENTRY_KIND_").lower(),
            pb.AccountKind.Name(e.account).removeprefix("ACCOUNT_KIND_").lower(),
            yuan(e.amount_fen),
            yuan(e.balance_after_fen),
            e.reference,
        )
    out.print(table)


@wallet_app.command("password")
def set_password(
    person_id: str,
    new: str,
    current: Annotated[str, typer.Option("--current")] = "",
    target: Target = None,
    token: Token = None,
) -> None:
    """Set or change your 6-digit 医保码 password."""
    _call(
        target,
        "SetPassword",
        pb.SetPasswordRequest(person_id=person_id, current_password=current, new_password=new),
        token,
    )
    out.print("password set")


@wallet_app.command("face-ticket")
def face_ticket(
    person_id: str, purpose: Annotated[str, typer.Option(help="transfer, payment or settings")] = "transfer"
) -> None:
    """Mint a face-verification ticket with the configured key (what the face provider does)."""
    settings = load_settings()
    key, now = settings.face_ticket_key.get_secret_value(), clock_from(settings).now()
    ticket = mint_face_ticket(key, person_id, Purpose(purpose), uuid.uuid4().hex, now, timedelta(minutes=2))
    emit({"face_ticket": ticket})
    if not out.quiet:
        print(ticket)


@pay_app.command("charge")
def charge(
    institution: str,
    order: str,
    person_id: str,
    amount: Annotated[str, typer.Argument(help="yuan")],
    password: Password = None,
    face_ticket: FaceTicket = None,
    target: Target = None,
    token: Token = None,
) -> None:
    """Charge the self-paid part of a bill to a patient's wallet (idempotent by order)."""
    request = pb.ChargeWalletRequest(
        institution_code=institution,
        order_number=order,
        person_id=person_id,
        amount_fen=to_fen(amount),
        verification=verification(password, face_ticket),
    )
    p = _call(target, "ChargeWallet", request, token).payment
    out.print(f"order {p.order_number}: paid {yuan(p.amount_fen)}")


@pay_app.command("refund")
def refund(
    institution: str,
    order: str,
    amount: Annotated[str, typer.Argument(help="yuan")],
    refund_id: str,
    target: Target = None,
    token: Token = None,
) -> None:
    """Refund (退费) part or all of a payment; idempotent by refund id."""
    request = pb.RefundPaymentRequest(
        institution_code=institution, order_number=order, amount_fen=to_fen(amount), refund_id=refund_id
    )
    p = _call(target, "RefundPayment", request, token).payment
    out.print(f"order {p.order_number}: paid {yuan(p.amount_fen)}, refunded {yuan(p.refunded_fen)}")


bill_app = typer.Typer(
    help="Contribution bills (platform issues, payer pays from a wallet).", no_args_is_help=True
)
_CONTRIBUTIONS = {
    "resident-insurance": pb.CONTRIBUTION_KIND_RESIDENT_INSURANCE,
    "long-term-care": pb.CONTRIBUTION_KIND_LONG_TERM_CARE,
}
ContributionArg = Annotated[str, typer.Argument(help=", ".join(_CONTRIBUTIONS))]


def _bills_table(bills) -> Table:
    table = Table("person", "kind", "year", "amount", "province", "issued", "paid by", "paid")
    names = {v: k for k, v in _CONTRIBUTIONS.items()}
    for b in bills:
        paid = _when(b.paid_time) if b.paid_by else ""
        table.add_row(
            b.person_id,
            names.get(b.kind, "?"),
            str(b.year),
            yuan(b.amount_fen),
            b.province,
            _when(b.issue_time),
            b.paid_by,
            paid,
        )
    return table


@bill_app.command("issue")
def issue_bill(
    person_id: str,
    kind: ContributionArg,
    year: int,
    amount: Annotated[str, typer.Argument(help="yuan")],
    target: Target = None,
    token: Token = None,
) -> None:
    """Issue a contribution bill (the person's platform): one per person, kind and year."""
    request = pb.IssueContributionBillRequest(
        person_id=person_id, kind=choice(kind, _CONTRIBUTIONS, "KIND"), year=year, amount_fen=to_fen(amount)
    )
    out.print(_bills_table([_call(target, "IssueContributionBill", request, token).bill]))


@bill_app.command("list")
def list_bills(person_id: str, target: Target = None, token: Token = None) -> None:
    """A person's contribution bills, paid or not, newest year first."""
    request = pb.ListContributionBillsRequest(person_id=person_id)
    out.print(_bills_table(_call(target, "ListContributionBills", request, token).bills))


@bill_app.command("pay")
def pay_bill(
    payer_id: str,
    beneficiary_id: str,
    kind: ContributionArg,
    year: int,
    password: Password = None,
    face_ticket: FaceTicket = None,
    target: Target = None,
    token: Token = None,
) -> None:
    """Pay a contribution bill from the payer's wallet (the amount is the bill's)."""
    request = pb.PayContributionRequest(
        payer_id=payer_id,
        beneficiary_id=beneficiary_id,
        kind=choice(kind, _CONTRIBUTIONS, "KIND"),
        year=year,
        verification=verification(password, face_ticket),
    )
    _call(target, "PayContribution", request, token)
    out.print(f"paid the {kind} bill of {year}")


@bill_app.command("events")
def bill_events(
    province: str,
    after: Annotated[int, typer.Option(help="resume after this event id")] = 0,
    target: Target = None,
    token: Token = None,
) -> None:
    """A province's bill events (issued, paid) after a cursor (its platform)."""
    request = pb.ListBillEventsRequest(province=province, after_id=after)
    for e in _call(target, "ListBillEvents", request, token).events:
        kind = pb.BillEventType.Name(e.type).removeprefix("BILL_EVENT_TYPE_").lower()
        b = e.bill
        out.print(f"{e.id:>6} {kind:<7} {b.person_id} {b.year} {yuan(b.amount_fen)} {_when(e.event_time)}")
