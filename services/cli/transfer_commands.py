"""`yibao transfer …`: transfers from a terminal, as a citizen (submit,
receive, decline, list, quota) or a provincial platform (events, settlement)."""

from __future__ import annotations

import uuid
from typing import Annotated

import grpc
import typer
from rich.table import Table
from yibao.transfer.v1 import transfer_pb2 as pb
from yibao.transfer.v1 import transfer_pb2_grpc
from yibao.type.v1 import relation_pb2

from services.cli.client import (
    FaceTicket,
    Password,
    Token,
    caller,
    choice,
    emit_message,
    fail,
    metadata,
    out,
    target_option,
    to_fen,
    verification,
    yuan,
)
from services.kernel.clock import beijing
from services.kernel.config import load_settings, tls_from
from services.kernel.proto_time import from_timestamp
from services.kernel.tls import sync_channel

transfer_app = typer.Typer(help="Transfers to close relatives (transfer service).", no_args_is_help=True)

Target = Annotated[str | None, target_option("transfer")]

_SOURCES = {"personal": pb.TRANSFER_SOURCE_PERSONAL_ACCOUNT, "wallet": pb.TRANSFER_SOURCE_WALLET}
_RELATIONS = {
    name.removeprefix("RELATION_KIND_").lower(): value
    for name, value in relation_pb2.RelationKind.items()
    if value
}
_STATUSES = {
    name.removeprefix("TRANSFER_STATUS_").lower(): value for name, value in pb.TransferStatus.items() if value
}


_call = caller(transfer_pb2_grpc.TransferServiceStub, "transfer")


def _when(stamp) -> str:
    return f"{beijing(from_timestamp(stamp)):%m-%d %H:%M}" if stamp.seconds else ""


def _name(enum, value: int, prefix: str) -> str:
    return enum.Name(value).removeprefix(prefix).lower() if value else ""


def transfers_table(items) -> Table:
    table = Table("id", "payer", "payee", "amount", "source", "status", "created", "expires", "done")
    for t in items:
        done = _when(t.receive_time) or (
            f"{_when(t.refund_time)} {_name(pb.RefundReason, t.refund_reason, 'REFUND_REASON_')}"
            if t.refund_time.seconds
            else ""
        )
        table.add_row(
            t.id,
            f"{t.payer_id} ({t.payer_province})",
            f"{t.payee_name} {t.payee_masked_id_number} ({t.payee_province})",
            yuan(t.amount_fen),
            _name(pb.TransferSource, t.source, "TRANSFER_SOURCE_"),
            _name(pb.TransferStatus, t.status, "TRANSFER_STATUS_"),
            _when(t.create_time),
            _when(t.expire_time),
            done,
        )
    return table


@transfer_app.command("submit")
def submit(
    payer_id: str,
    payee_name: str,
    payee_id_number: str,
    relation: Annotated[str, typer.Argument(help=", ".join(_RELATIONS))],
    amount: Annotated[str, typer.Argument(help="yuan, 0.01 to 2000.00")],
    source: Annotated[str, typer.Option(help="personal or wallet")] = "personal",
    password: Password = None,
    face_ticket: FaceTicket = None,
    request_id: Annotated[str, typer.Option(help="idempotency key (a new one by default)")] = "",
    target: Target = None,
    token: Token = None,
) -> None:
    """Transfer to a close relative's wallet; the money is held until received."""
    proof = verification(password, face_ticket)
    request = pb.SubmitTransferRequest(
        payer_id=payer_id,
        payee_name=payee_name,
        payee_id_number=payee_id_number,
        relation=choice(relation, _RELATIONS, "RELATION"),
        amount_fen=to_fen(amount),
        source=choice(source, _SOURCES, "--source"),
        verification=proof,
        request_id=request_id or str(uuid.uuid4()),
    )
    t = _call(target, "SubmitTransfer", request, token).transfer
    out.print(transfers_table([t]))
    out.print(f"transfer id {t.id}")


@transfer_app.command("receive")
def receive(transfer_id: str, target: Target = None, token: Token = None) -> None:
    """Receive a transfer into your wallet (payee or the payee's platform)."""
    out.print(
        transfers_table(
            [_call(target, "ReceiveTransfer", pb.ReceiveTransferRequest(id=transfer_id), token).transfer]
        )
    )


@transfer_app.command("decline")
def decline(transfer_id: str, target: Target = None, token: Token = None) -> None:
    """Decline a transfer: it goes back to the payer at once."""
    out.print(
        transfers_table(
            [_call(target, "DeclineTransfer", pb.DeclineTransferRequest(id=transfer_id), token).transfer]
        )
    )


@transfer_app.command("show")
def show(transfer_id: str, target: Target = None, token: Token = None) -> None:
    """One transfer."""
    out.print(
        transfers_table([_call(target, "GetTransfer", pb.GetTransferRequest(id=transfer_id), token).transfer])
    )


@transfer_app.command("list")
def list_transfers(
    person_id: str,
    status: Annotated[str | None, typer.Option(help=", ".join(_STATUSES))] = None,
    direction: Annotated[str, typer.Option(help="in, out or both")] = "both",
    limit: Annotated[int, typer.Option(help="how many")] = 20,
    target: Target = None,
    token: Token = None,
) -> None:
    """A person's transfers in and out, newest first."""
    request = pb.ListTransfersRequest(
        person_id=person_id,
        status=choice(status, _STATUSES, "--status") if status else pb.TRANSFER_STATUS_UNSPECIFIED,
        outgoing_only=direction == "out",
        incoming_only=direction == "in",
        page_size=limit,
    )
    out.print(transfers_table(_call(target, "ListTransfers", request, token).transfers))


@transfer_app.command("quota")
def quota(person_id: str, target: Target = None, token: Token = None) -> None:
    """Transfers left today, the amount limits and the time window."""
    q = _call(target, "GetQuota", pb.GetQuotaRequest(person_id=person_id), token)
    window = (
        "open"
        if q.window_open
        else f"closed, opens {beijing(from_timestamp(q.next_open_time)):%Y-%m-%d %H:%M} Beijing"
    )
    out.print(
        f"{q.transfers_left_today} of {q.transfers_per_day} transfers left today; {yuan(q.min_amount_fen)} to {yuan(q.max_amount_fen)}; window {window}"
    )


@transfer_app.command("settlement")
def settlement(month: str, target: Target = None, token: Token = None) -> None:
    """The monthly inter-provincial settlement statement (YYYY-MM)."""
    s = _call(target, "GetSettlementStatement", pb.GetSettlementStatementRequest(month=month), token)
    flows = Table("from province", "to province", "transfers", "amount", "credited")
    for f in s.flows:
        flows.add_row(f.from_province, f.to_province, str(f.count), yuan(f.amount_fen), yuan(f.credited_fen))
    out.print(flows)
    positions = Table("province", "net position")
    for p in s.positions:
        positions.add_row(p.province, yuan(p.net_fen))
    out.print(positions)
    out.print(f"total {yuan(s.total_fen)}")


def notifications_table(items) -> Table:
    table = Table("when (Beijing)", "kind", "transfer", "text")
    for n in items:
        table.add_row(
            _when(n.event_time),
            _name(pb.NotificationKind, n.kind, "NOTIFICATION_KIND_"),
            n.transfer_id,
            n.text,
        )
    return table


@transfer_app.command("notifications")
def notifications(person_id: str, target: Target = None, token: Token = None) -> None:
    """What you were told about your transfers (SMS / push), newest first."""
    request = pb.ListNotificationsRequest(person_id=person_id)
    out.print(notifications_table(_call(target, "ListNotifications", request, token).notifications))


@transfer_app.command("events")
def events(
    province: str,
    after: Annotated[int, typer.Option(help="resume after this sequence")] = 0,
    follow: Annotated[bool, typer.Option("--follow/--once", help="keep waiting for new events")] = False,
    target: Target = None,
    token: Token = None,
) -> None:
    """Transfer events of persons insured in a province (provincial platform)."""
    settings = load_settings()
    with sync_channel(target or settings.transfer_target, tls_from(settings)) as channel:
        stream = transfer_pb2_grpc.TransferServiceStub(channel).StreamTransferEvents(
            pb.StreamTransferEventsRequest(province=province, after_sequence=after),
            metadata=metadata(token),
            timeout=None if follow else 3,
        )
        try:
            for response in stream:
                emit_message(response)
                e = response.event
                out.print(
                    f"{e.sequence:>6} {_name(pb.TransferEventType, e.type, 'TRANSFER_EVENT_TYPE_'):<9} {e.transfer.id} {yuan(e.transfer.amount_fen)} {e.transfer.payer_province}->{e.transfer.payee_province}"
                )
        except grpc.RpcError as error:
            if error.code() is not grpc.StatusCode.DEADLINE_EXCEEDED:
                fail(error)
