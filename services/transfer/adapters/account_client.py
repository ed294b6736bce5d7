"""The transfer service's client of the account service: the gates' facts,
verification, and the money of a transfer (hold -> receive | refund), each
idempotent by transfer id. Wire values are mapped to domain ones by table."""

from __future__ import annotations

import grpc
from google.rpc import code_pb2
from yibao.account.v1 import account_pb2 as pb
from yibao.account.v1 import account_pb2_grpc
from yibao.type.v1 import verification_pb2

from services.kernel.batching import MicroBatcher
from services.kernel.calls import ServiceIdentity, call
from services.kernel.errors import DomainError, ErrorKind
from services.kernel.grpc_errors import domain_error_from
from services.kernel.proto_enums import WireEnum
from services.kernel.relations import RelationKind
from services.transfer.domain.parties import Parties, Party
from services.transfer.domain.transfer import Source

_SOURCES = WireEnum(Source, pb.AccountKind)
_RELATIONS = WireEnum(RelationKind, pb.RelationKind)


def _party(person: pb.Person, wallet: pb.Wallet | None) -> Party:
    return Party(
        person.id,
        person.name,
        person.masked_id_number,
        person.insured_region,
        person.insurance_type == pb.INSURANCE_TYPE_EMPLOYEE,
        wallet.place_of_use if wallet is not None else None,
    )


def _refusal(outcome: pb.HoldOutcome) -> DomainError:
    """One hold's refusal in a HoldTransfers answer, as the same DomainError HoldTransfer raises."""
    kind = ErrorKind[code_pb2.Code.Name(outcome.error_code)]
    return DomainError(kind, outcome.error_reason, outcome.error_message, dict(outcome.error_metadata))


class AccountClient:
    def __init__(self, channel: grpc.aio.Channel, identity: ServiceIdentity) -> None:
        self._stub = account_pb2_grpc.AccountServiceStub(channel)
        self._identity = identity
        self._holds = MicroBatcher(self._hold_batch)

    async def _call(self, method, request, idempotent: bool = True):
        """An account error is passed on as the same DomainError."""
        try:
            return await call(method, request, self._identity, idempotent=idempotent, upstream="account")
        except grpc.aio.AioRpcError as error:
            passed_on = domain_error_from(error)
            if passed_on is None:
                raise
            raise passed_on from None

    async def parties(
        self,
        payer_id: str,
        payee_id_number: str,
        payee_name: str,
        password: str | None,
        face_ticket: str | None,
    ) -> Parties:
        """Verifies the payer's credential, then reads payer, payee and their relation.
        Not retried: each attempt counts towards the lockout, and a ticket is single use."""
        method = {"password": password} if password else {"face_ticket": face_ticket or ""}
        request = pb.GetTransferPartiesRequest(
            payer_id=payer_id,
            payee_id_number=payee_id_number,
            payee_name=payee_name,
            verification=verification_pb2.Verification(**method),
        )
        r = await self._call(self._stub.GetTransferParties, request, idempotent=False)
        return Parties(
            _party(r.payer, r.payer_wallet if r.HasField("payer_wallet") else None),
            _party(r.payee, r.payee_wallet if r.HasField("payee_wallet") else None),
            _RELATIONS.get(r.relation),
        )

    async def hold(self, transfer_id: str, payer_id: str, payee_id: str, source: Source, amount: int) -> None:
        """Holds the money (idempotent by transfer id); concurrent holds are
        sent together in one HoldTransfers call (group commit)."""
        request = pb.HoldTransferRequest(
            transfer_id=transfer_id,
            payer_id=payer_id,
            payee_id=payee_id,
            source=_SOURCES.wire(source),
            amount_fen=amount,
        )
        await self._holds.submit(request)

    async def _hold_batch(self, requests: list[pb.HoldTransferRequest]) -> list[DomainError | None]:
        response = await self._call(self._stub.HoldTransfers, pb.HoldTransfersRequest(holds=requests))
        return [_refusal(outcome) if outcome.error_code else None for outcome in response.outcomes]

    async def receive(self, transfer_id: str) -> None:
        await self._call(self._stub.ReceiveTransfer, pb.ReceiveTransferRequest(transfer_id=transfer_id))

    async def refund(self, transfer_id: str) -> None:
        await self._call(self._stub.RefundTransfer, pb.RefundTransferRequest(transfer_id=transfer_id))

    async def refund_many(self, transfer_ids: list[str]) -> set[str]:
        """Refunds many holds at once; the ids whose hold is refunded now (a
        hold whose receipt won, or that is unknown, is not among them)."""
        request = pb.RefundTransfersRequest(transfer_ids=transfer_ids)
        response = await self._call(self._stub.RefundTransfers, request)
        return {h.transfer_id for h in response.holds if h.status == pb.HOLD_STATUS_REFUNDED}

    async def lapses(self, after_id: int, limit: int = 500) -> list[tuple[int, str]]:
        request = pb.ListRelationLapsesRequest(after_id=after_id, page_size=limit)
        response = await self._call(self._stub.ListRelationLapses, request)
        return [(x.id, x.person_id) for x in response.lapses]
