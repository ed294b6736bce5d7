"""Which RPCs the gateway offers provincial platforms, one table: each is
``POST /api/v1/<Method>`` with the RPC's request message as the envelope's
payload (protobuf's JSON mapping) and its response message as the result.
The request and response types come from the protos' descriptors, so a
field added to a proto reaches the gateway and its OpenAPI unchanged."""

from __future__ import annotations

from dataclasses import dataclass

from google.protobuf import message_factory
from google.protobuf.descriptor import MethodDescriptor
from yibao.account.v1 import account_pb2
from yibao.transfer.v1 import transfer_pb2

PREFIX = "/api/v1/"

# The province-facing RPCs, by the service that answers them. Every one is
# called with the platform's own province token: the services' R20 rules
# decide what it may touch, as for a gRPC caller.
TABLE = {
    "account": (
        account_pb2.DESCRIPTOR.services_by_name["AccountService"],
        (
            "RegisterPerson",
            "UpdateInsurance",
            "GetPerson",
            "LookupPerson",
            "FundPersonalAccount",
            "AttestRelation",
            "ListRelations",
            "ChangeMobile",
            "IssueContributionBill",
            "ListContributionBills",
            "ListBillEvents",
        ),
    ),
    "transfer": (
        transfer_pb2.DESCRIPTOR.services_by_name["TransferService"],
        (
            "GetTransfer",
            "ReceiveTransfer",
            "DeclineTransfer",
            "StreamTransferEvents",
            "GetSettlementStatement",
            "ListNotifications",
        ),
    ),
}


@dataclass(frozen=True)
class Route:
    name: str  # the RPC's name, the last segment of the path
    service: str  # "account" or "transfer": the channel it goes through
    method: MethodDescriptor

    @property
    def path(self) -> str:
        return PREFIX + self.name

    @property
    def grpc_path(self) -> str:
        return f"/{self.method.containing_service.full_name}/{self.name}"

    @property
    def streaming(self) -> bool:
        """A server stream (the event stream): answered as one page of what it sends."""
        return self.method.server_streaming

    def request_class(self):
        return message_factory.GetMessageClass(self.method.input_type)

    def response_class(self):
        return message_factory.GetMessageClass(self.method.output_type)


ROUTES: dict[str, Route] = {
    name: Route(name, service, descriptor.methods_by_name[name])
    for service, (descriptor, names) in TABLE.items()
    for name in names
}
