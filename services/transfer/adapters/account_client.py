"""The transfer service's client of the account service: the gates' facts,
verification, and the money of a transfer (hold -> receive | refund), each
idempotent by transfer id. Wire values are mapped to domain ones by table.

Every failure leaves here as an UpstreamError (kernel/upstream.py); batched
calls are cut to the account service's documented maximum (1,000 items) and
an answer of the wrong length is UpstreamBroken, never a silent mismatch."""

from __future__ import annotations

from collections.abc import Mapping

import grpc
from yibao.account.v1 import account_pb2 as pb
from yibao.account.v1 import account_pb2_grpc
from yibao.type.v1 import relation_pb2, verification_pb2

from services.kernel.calls import ServiceIdentity, call, chunks
from services.kernel.errors import DomainError, ErrorKind
from services.kernel.grpc_errors import outcome_error
from services.kernel.proto_enums import WireEnum
from services.kernel.relations import RelationKind
from services.kernel.upstream import UpstreamBroken, UpstreamRefused
from services.transfer.domain.parties import Parties, Party
from services.transfer.domain.settlement import ClearingLine, ClearingStatements
from services.transfer.domain.transfer import Source, Transfer

_SOURCES = WireEnum(Source, pb.AccountKind)
_RELATIONS = WireEnum(RelationKind, relation_pb2.RelationKind)
MAX_ITEMS = 1000  # the account service's maximum per batched call


def _party(person: pb.Person, wallet: pb.Wallet | None) -> Party:
    return Party(
        person.id,
        person.name,
        person.masked_id_number,
        person.insured_region,
        person.insurance_type == pb.INSURANCE_TYPE_EMPLOYEE,
        wallet.place_of_use if wallet is not None else None,
    )


def _parties(r: pb.GetTransferPartiesResponse) -> Parties:
    return Parties(
        _party(r.payer, r.payer_wallet if r.HasField("payer_wallet") else None),
        _party(r.payee, r.payee_wallet if r.HasField("payee_wallet") else None),
        _RELATIONS.get(r.relation),
    )


class AccountClient:
    def __init__(
        self, channel: grpc.aio.Channel, identity: ServiceIdentity, upstream: str = "account"
    ) -> None:
        self._stub = account_pb2_grpc.AccountServiceStub(channel)
        self._identity = identity
        self._upstream = upstream  # what its failures name: "account", or "account:<shard>" (R24)

    async def _call(self, method, request, idempotent: bool = True):
        return await call(method, request, self._identity, idempotent=idempotent, upstream=self._upstream)

    def _each(self, asked: list, answered) -> list:
        """One answer per item asked, or UpstreamBroken."""
        answered = list(answered)
        if len(answered) != len(asked):
            raise UpstreamBroken.of(self._upstream, f"{len(answered)} answers for {len(asked)} items")
        return answered

    async def parties(self, asks: list[tuple[str, str, str, str | None, str | None]]) -> list:
        """For each (payer id, payee ID number, payee name, password, face
        ticket): the payer's credential verified, then payer, payee and their
        relation read; Parties or the DomainError, in order. One call for all
        (group commit). Not retried: each attempt counts towards the lockout,
        and a ticket is single use."""
        requests = [
            pb.GetTransferPartiesRequest(
                payer_id=payer_id,
                payee_id_number=number,
                payee_name=name,
                verification=verification_pb2.Verification(
                    **({"password": password} if password else {"face_ticket": ticket or ""})
                ),
            )
            for payer_id, number, name, password, ticket in asks
        ]
        answers: list = []
        for part in chunks(requests, MAX_ITEMS):
            response = await self._call(
                self._stub.BatchGetTransferParties,
                pb.BatchGetTransferPartiesRequest(requests=part),
                idempotent=False,
            )
            answers += self._each(part, response.outcomes)
        return [outcome_error(o) or _parties(o.parties) for o in answers]

    async def hold(
        self, transfers: list[Transfer], payees_elsewhere: frozenset[str] = frozenset()
    ) -> list[DomainError | None]:
        """Holds the money of each transfer, idempotent by transfer id, in one
        HoldTransfers call (one transaction in the account service); None for
        a hold made, or its refusal. ``payees_elsewhere``: the transfers whose
        payee is kept in another shard (R24), named by their province."""
        requests = [
            pb.HoldTransferRequest(
                transfer_id=t.id,
                payer_id=t.payer_id,
                payee_id=t.payee_id,
                source=_SOURCES.wire(t.source),
                amount_fen=t.amount,
                payee_province=t.payee_province if t.id in payees_elsewhere else "",
            )
            for t in transfers
        ]
        answers: list = []
        for part in chunks(requests, MAX_ITEMS):
            response = await self._call(self._stub.HoldTransfers, pb.HoldTransfersRequest(holds=part))
            answers += self._each(part, response.outcomes)
        return [outcome_error(outcome) for outcome in answers]

    async def refund(self, t: Transfer) -> None:
        await self._call(self._stub.RefundTransfer, pb.RefundTransferRequest(transfer_id=t.id))

    async def _end_many(self, method, request_type, transfer_ids: list[str]) -> list:
        """ReceiveTransfers / RefundTransfers, within the maximum; the responses."""
        return [
            await self._call(method, request_type(transfer_ids=part))
            for part in chunks(transfer_ids, MAX_ITEMS)
        ]

    async def receive_many(self, transfers: list[Transfer]) -> tuple[set[str], set[str]]:
        """Receives many holds at once: the ids whose hold is received now (a
        hold whose refund won, or that is unknown, is not among them), and
        those refused because the relation lapsed (R8)."""
        responses = await self._end_many(
            self._stub.ReceiveTransfers, pb.ReceiveTransfersRequest, [t.id for t in transfers]
        )
        received = {h.transfer_id for r in responses for h in r.holds if h.status == pb.HOLD_STATUS_RECEIVED}
        return received, {t for r in responses for t in r.lapsed_transfer_ids}

    async def refund_many(
        self, transfer_ids: list[str], payer_provinces: Mapping[str, str] | None = None
    ) -> set[str]:
        """Refunds many holds at once; the ids whose hold is refunded now (a
        hold whose receipt won, or that is unknown, is not among them)."""
        responses = await self._end_many(self._stub.RefundTransfers, pb.RefundTransfersRequest, transfer_ids)
        return {h.transfer_id for r in responses for h in r.holds if h.status == pb.HOLD_STATUS_REFUNDED}

    async def insured_province(self, person_id: str) -> str | None:
        try:
            answer = await self._call(self._stub.GetPerson, pb.GetPersonRequest(person_id=person_id))
        except UpstreamRefused as refused:
            if refused.kind is ErrorKind.NOT_FOUND:
                return None
            raise
        return answer.person.insured_region[:2] + "0000"

    async def lapse_feeds(self) -> list[str]:
        return [""]

    async def spread_lapse(self, feed: str, person_id: str) -> None:
        """One account service keeps both sides of every relation."""

    async def lapse_relations(self, person_id: str) -> None:
        """R24: in this shard, the relations with a person kept in another lapse."""
        await self._call(self._stub.LapseRelations, pb.LapseRelationsRequest(person_id=person_id))

    async def credit_many(self, transfers: list[Transfer]) -> set[str]:
        """The second leg of transfers received across shards (R24), in this,
        the payees' shard: the ids credited (now or before)."""
        credits = [
            pb.TransferCredit(
                transfer_id=t.id,
                payer_id=t.payer_id,
                payer_province=t.payer_province,
                payee_id=t.payee_id,
                amount_fen=t.amount,
            )
            for t in transfers
        ]
        done: set[str] = set()
        for part in chunks(credits, MAX_ITEMS):
            response = await self._call(self._stub.CreditTransfers, pb.CreditTransfersRequest(credits=part))
            done |= {o.credit.transfer_id for o in self._each(part, response.outcomes) if not o.error_reason}
        return done

    async def lapses(self, after_id: int, limit: int = 500, feed: str = "") -> list[tuple[int, str]]:
        request = pb.ListRelationLapsesRequest(after_id=after_id, page_size=limit)
        response = await self._call(self._stub.ListRelationLapses, request)
        return [(x.id, x.person_id) for x in response.lapses]

    async def clearing_statements(self, month: str) -> ClearingStatements | None:
        """One account service keeps every province: nothing crosses shards."""
        return None

    async def clearing_lines(self, month: str) -> list[ClearingLine]:
        """This shard's clearing statement for the month (R24)."""
        request = pb.GetClearingStatementRequest(month=month)
        response = await self._call(self._stub.GetClearingStatement, request)
        return [
            ClearingLine(x.own_province, x.province, x.owed_to_province, x.month_fen, x.month_count)
            for x in response.lines
        ]
