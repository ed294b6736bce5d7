"""The TransferService servicer: translates proto <-> use cases, nothing more."""

from __future__ import annotations

import json
from functools import partial

from google.protobuf import json_format
from yibao.transfer.v1 import transfer_pb2 as pb
from yibao.transfer.v1 import transfer_pb2_grpc
from yibao.type.v1 import relation_pb2

from services.kernel.auth import current_principal
from services.kernel.proto_enums import WireEnum, enum_value_invalid
from services.kernel.proto_messages import message, page_response
from services.kernel.proto_time import to_timestamp
from services.kernel.relations import RelationKind
from services.kernel.server import ServiceDefinition
from services.transfer.domain.notifications import Notification, NotificationKind
from services.transfer.domain.transfer import EventType, RefundReason, Source, Status, Transfer
from services.transfer.usecases import access
from services.transfer.usecases.events import Event, Events
from services.transfer.usecases.lifecycle import Lifecycle
from services.transfer.usecases.notifications import Notifications
from services.transfer.usecases.queries import TransferQueries
from services.transfer.usecases.submit import SubmitTransfer, SubmitTransferUseCase

SERVICE = pb.DESCRIPTOR.services_by_name["TransferService"].full_name
ERROR_DOMAIN = "transfer.yibao"

# R20: who may call each method (usecases/access.py).
POLICY = {f"/{SERVICE}/{method}": roles for method, roles in access.METHODS.items()}

_SOURCES = WireEnum(Source, pb.TransferSource, names={Source.PERSONAL: "PERSONAL_ACCOUNT"})
_RELATIONS = WireEnum(RelationKind, relation_pb2.RelationKind)
_REASONS = WireEnum(RefundReason, pb.RefundReason)
_EVENTS = WireEnum(EventType, pb.TransferEventType)
_NOTIFICATIONS = WireEnum(NotificationKind, pb.NotificationKind)
# Receiving and refunding are inner steps: to a caller the transfer is still pending.
_STILL_PENDING = (Status.PENDING, Status.RECEIVING, Status.REFUNDING)
_STATUSES = {
    s: pb.TRANSFER_STATUS_PENDING_RECEIPT
    if s in _STILL_PENDING
    else pb.TransferStatus.Value(f"TRANSFER_STATUS_{s.name}")
    for s in Status
}
# A status filter of ListTransfers: the states that show as that status.
_STATUS_FILTER = {wire: [s for s in Status if _STATUSES[s] == wire] for wire in set(_STATUSES.values())}


def event_pb(event: Event) -> pb.TransferEvent:
    return pb.TransferEvent(
        sequence=event.sequence,
        type=_EVENTS.wire(event.type),
        transfer=transfer_pb(event.transfer),
        event_time=to_timestamp(event.occurred_at),
    )


def _json(message) -> bytes:
    document = json_format.MessageToDict(message)
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode()


def event_json(event: Event) -> bytes:
    """The TransferEvent of StreamTransferEvents as protobuf's JSON mapping
    (UTF-8): what a message on NATS JetStream carries."""
    return _json(event_pb(event))


def notification_json(n: Notification) -> bytes:
    """The Notification of ListNotifications as protobuf's JSON mapping: what
    the NATS notification provider sends."""
    return _json(notification_pb(n))


def transfer_pb(t: Transfer) -> pb.Transfer:
    return message(
        pb.Transfer,
        t,
        relation=_RELATIONS.wire(t.relation),
        source=_SOURCES.wire(t.source),
        amount_fen=t.amount,
        status=_STATUSES[t.status],
        refund_reason=_REASONS.wire(t.refund_reason),
        create_time=to_timestamp(t.created_at),
        expire_time=to_timestamp(t.expires_at),
        receive_time=to_timestamp(t.received_at),
        refund_time=to_timestamp(t.refunded_at),
    )


class TransferServicer(transfer_pb2_grpc.TransferServiceServicer):
    def __init__(
        self,
        submit: SubmitTransferUseCase,
        lifecycle: Lifecycle,
        queries: TransferQueries,
        events: Events,
        notifications: Notifications,
    ) -> None:
        self._submit, self._lifecycle, self._queries, self._events = submit, lifecycle, queries, events
        self._notifications = notifications

    async def SubmitTransfer(self, request, context):
        method = request.verification.WhichOneof("method")
        command = SubmitTransfer(
            payer_id=request.payer_id,
            source=_SOURCES.parse(request.source, "source"),
            payee_name=request.payee_name,
            payee_id_number=request.payee_id_number,
            relation=_RELATIONS.parse(request.relation, "relation"),
            amount=request.amount_fen,
            password=request.verification.password if method == "password" else None,
            face_ticket=request.verification.face_ticket if method == "face_ticket" else None,
            request_id=request.request_id,
        )
        return pb.SubmitTransferResponse(
            transfer=transfer_pb(await self._submit(current_principal(), command))
        )

    async def GetTransfer(self, request, context):
        return pb.GetTransferResponse(
            transfer=transfer_pb(await self._queries.get(current_principal(), request.id))
        )

    async def ListTransfers(self, request, context):
        if request.status and request.status not in _STATUS_FILTER:
            raise enum_value_invalid(request.status, "status")
        page = await self._queries.list(
            current_principal(),
            request.person_id,
            _STATUS_FILTER.get(request.status, []),
            request.outgoing_only,
            request.incoming_only,
            request.page_size,
            request.page_token,
        )
        return page_response(pb.ListTransfersResponse, "transfers", page, transfer_pb)

    async def ReceiveTransfer(self, request, context):
        return pb.ReceiveTransferResponse(
            transfer=transfer_pb(await self._lifecycle.receive(current_principal(), request.id))
        )

    async def DeclineTransfer(self, request, context):
        return pb.DeclineTransferResponse(
            transfer=transfer_pb(await self._lifecycle.decline(current_principal(), request.id))
        )

    async def GetQuota(self, request, context):
        q = await self._queries.quota(current_principal(), request.person_id)
        return message(pb.GetQuotaResponse, q, next_open_time=to_timestamp(q.next_open))

    async def StreamTransferEvents(self, request, context):
        async for event in self._events.follow(current_principal(), request.province, request.after_sequence):
            yield pb.StreamTransferEventsResponse(event=event_pb(event))

    async def GetSettlementStatement(self, request, context):
        s = await self._queries.settlement(current_principal(), request.month)
        return pb.GetSettlementStatementResponse(
            month=s.month,
            total_fen=s.total_fen,
            flows=[message(pb.SettlementFlow, f) for f in s.flows],
            positions=[pb.ProvincePosition(province=p, net_fen=net) for p, net in s.positions.items()],
        )

    async def ListNotifications(self, request, context):
        page = await self._notifications.of_person(
            current_principal(), request.person_id, request.page_size, request.page_token
        )
        return page_response(pb.ListNotificationsResponse, "notifications", page, notification_pb)


def notification_pb(n: Notification) -> pb.Notification:
    return message(
        pb.Notification,
        n,
        kind=_NOTIFICATIONS.wire(n.kind),
        expire_time=to_timestamp(n.expires_at),
        event_time=to_timestamp(n.occurred_at),
    )


def transfer_service(servicer: TransferServicer, on_stop=()) -> ServiceDefinition:
    add = partial(transfer_pb2_grpc.add_TransferServiceServicer_to_server, servicer)
    return ServiceDefinition("transfer", SERVICE, ERROR_DOMAIN, POLICY, add, list(on_stop))
