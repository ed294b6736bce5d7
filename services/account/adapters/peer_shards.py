"""The other account shards, as one shard of a federated deployment asks
them (R24, docs/sharding.md): the national index says which province keeps
a person, the region service's map which shard keeps that province, and that
shard answers about them as to any service. A shard that does not answer is
UNAVAILABLE naming it (``account:<shard>``)."""

from __future__ import annotations

import asyncio
import logging

from yibao.account.v1 import account_pb2 as pb
from yibao.account.v1 import account_pb2_grpc

from services.account.adapters.index_client import IndexClient
from services.account.domain.moves import Move
from services.account.domain.payments import ContributionBill, ContributionKind
from services.account.domain.persons import Person
from services.account.domain.relations import RelationKind
from services.account.domain.wallets import Wallet
from services.account.entrypoints.grpc_api import (
    CONTRIBUTIONS,
    RELATIONS,
    bill_from_pb,
    person_from_pb,
    person_pb,
)
from services.kernel.calls import ServiceIdentity, call
from services.kernel.errors import ErrorKind
from services.kernel.proto_time import from_timestamp, to_timestamp
from services.kernel.shard_clients import ShardChannels, no_shard_for
from services.kernel.shard_map import Shard, ShardDirectory
from services.kernel.upstream import UpstreamError, UpstreamRefused

log = logging.getLogger("yibao.account.peers")


def wallet_from_pb(w: pb.Wallet) -> Wallet:
    return Wallet(w.person_id, 0, w.place_of_use, w.masked_mobile, from_timestamp(w.open_time), w.balance_fen)


class PeerShardClient:
    def __init__(
        self, own: str, directory: ShardDirectory, index: IndexClient, identity: ServiceIdentity, tls
    ) -> None:
        self._own, self._directory, self._index, self._identity = own, directory, index, identity
        self._channels = ShardChannels(tls)

    async def _shard_keeping(self, province: str | None) -> Shard | None:
        """The other shard that keeps ``province``; None for this one's own, or none."""
        if province is None:
            return None
        shard = (await self._directory.current()).shard_of(province)
        return shard if shard is not None and shard.name != self._own else None

    def _stub(self, shard: Shard) -> tuple[account_pb2_grpc.AccountServiceStub, str]:
        return account_pb2_grpc.AccountServiceStub(self._channels.channel(shard)), f"account:{shard.name}"

    async def payee(self, id_hash: str, id_number: str, name: str) -> tuple[Person, Wallet | None] | None:
        found = await self._index.find(id_hash)
        shard = await self._shard_keeping(found[1] if found else None)
        if shard is None:
            return None
        stub, upstream = self._stub(shard)
        request = pb.LookupPersonRequest(id_number=id_number, name=name)
        try:
            answer = await call(
                stub.LookupPerson, request, self._identity, idempotent=True, upstream=upstream
            )
        except UpstreamRefused as refusal:
            if refusal.kind in (
                ErrorKind.NOT_FOUND,
                ErrorKind.FAILED_PRECONDITION,
                ErrorKind.INVALID_ARGUMENT,
            ):
                return None  # not kept there after all, or not by that name: as unknown here
            raise
        wallet = wallet_from_pb(answer.wallet) if answer.HasField("wallet") else None
        return person_from_pb(answer.person), wallet

    async def person(self, person_id: str) -> Person | None:
        shard = await self._shard_keeping(await self._index.province_of(person_id))
        if shard is None:
            return None
        stub, upstream = self._stub(shard)
        request = pb.GetPersonRequest(person_id=person_id)
        try:
            answer = await call(stub.GetPerson, request, self._identity, idempotent=True, upstream=upstream)
        except UpstreamRefused as refusal:
            if refusal.kind is ErrorKind.NOT_FOUND:
                return None
            raise
        return person_from_pb(answer.person)

    async def link(self, relative: Person, person: Person, kind: RelationKind) -> None:
        shard = await self._shard_keeping(relative.province)
        if shard is None:  # no other shard keeps them now: nothing to link there
            raise no_shard_for(relative.province)
        stub, upstream = self._stub(shard)
        request = pb.LinkRelationRequest(
            person_id=relative.id, relative=person_pb(person), kind=RELATIONS.wire(kind)
        )
        await call(stub.LinkRelation, request, self._identity, idempotent=True, upstream=upstream)

    async def lapse(self, person_id: str, provinces: set[str]) -> None:
        shards = {s for p in provinces if (s := await self._shard_keeping(p)) is not None}

        async def tell(shard: Shard) -> None:
            stub, upstream = self._stub(shard)
            request = pb.LapseRelationsRequest(person_id=person_id)
            await call(stub.LapseRelations, request, self._identity, idempotent=True, upstream=upstream)

        for outcome in await asyncio.gather(*(tell(s) for s in shards), return_exceptions=True):
            if isinstance(outcome, UpstreamError):
                log.warning("lapse of %s not told to %s: the feed will carry it", person_id, outcome.upstream)
            elif isinstance(outcome, BaseException):
                raise outcome

    async def bill(self, person_id: str, kind: ContributionKind, year: int) -> ContributionBill | None:
        shard = await self._shard_keeping(await self._index.province_of(person_id))
        if shard is None:
            return None
        stub, upstream = self._stub(shard)
        request = pb.ListContributionBillsRequest(person_id=person_id)
        answer = await call(
            stub.ListContributionBills, request, self._identity, idempotent=True, upstream=upstream
        )
        return next((b for b in map(bill_from_pb, answer.bills) if (b.kind, b.year) == (kind, year)), None)

    async def collect(
        self, beneficiary: Person, payer: Person, kind: ContributionKind, year: int, amount: int
    ) -> None:
        shard = await self._shard_keeping(beneficiary.province)
        if shard is None:
            raise no_shard_for(beneficiary.province)
        stub, upstream = self._stub(shard)
        request = pb.CollectContributionRequest(
            beneficiary_id=beneficiary.id,
            kind=CONTRIBUTIONS.wire(kind),
            year=year,
            payer_id=payer.id,
            payer_province=payer.province,
            amount_fen=amount,
        )
        await call(stub.CollectContribution, request, self._identity, idempotent=True, upstream=upstream)

    async def keeps(self, province: str) -> bool:
        return await self._shard_keeping(province) is not None

    async def admit(self, person: Person, move: Move) -> Person:
        shard = await self._shard_keeping(move.to_province)
        if shard is None:
            raise no_shard_for(move.to_province)
        stub, upstream = self._stub(shard)
        request = pb.AdmitPersonRequest(
            person=person_pb(person),
            id_hash=person.id_hash,
            from_province=move.from_province,
            personal_account_fen=move.personal,
            wallet_opened=move.wallet_place_of_use is not None,
            wallet_place_of_use=move.wallet_place_of_use or "",
            wallet_mobile=move.wallet_mobile or "",
            wallet_fen=move.wallet,
            password_hash=move.password_hash or "",
        )
        if move.wallet_opened_at is not None:
            request.wallet_open_time.CopyFrom(to_timestamp(move.wallet_opened_at))
        answer = await call(stub.AdmitPerson, request, self._identity, idempotent=True, upstream=upstream)
        return person_from_pb(answer.person)

    async def close(self) -> None:
        await self._channels.close()
