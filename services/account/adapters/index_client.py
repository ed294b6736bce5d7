"""The account service's client of the national person index (R24, R5): a
shard of a federated deployment claims each new person's identity there
before keeping the person, so that one ID number is one person across every
province, and finds there the province of a person kept in another shard. Failures leave as UpstreamError (kernel/upstream.py)."""

from __future__ import annotations

import grpc
from yibao.index.v1 import index_pb2 as pb
from yibao.index.v1 import index_pb2_grpc

from services.kernel.calls import ServiceIdentity, call
from services.kernel.errors import ErrorKind
from services.kernel.upstream import UpstreamRefused


class IndexClient:
    def __init__(self, channel: grpc.aio.Channel, identity: ServiceIdentity) -> None:
        self._stub = index_pb2_grpc.PersonIndexServiceStub(channel)
        self._identity = identity

    async def claim(self, id_hash: str, person_id: str, province: str) -> tuple[str, str]:
        """The (person id, province) of ``id_hash``: the ones given when this
        claim recorded them (or repeats a claim that did), else those recorded
        before. Idempotent: a lost answer is asked for again."""
        request = pb.ClaimIdentityRequest(id_hash=id_hash, person_id=person_id, province=province)
        answer = await call(
            self._stub.ClaimIdentity, request, self._identity, idempotent=True, upstream="index"
        )
        return answer.identity.person_id, answer.identity.province

    async def find(self, id_hash: str) -> tuple[str, str] | None:
        """The (person id, province) of ``id_hash``; None when nobody claimed it."""
        request = pb.FindIdentityRequest(id_hash=id_hash)
        try:
            answer = await call(
                self._stub.FindIdentity, request, self._identity, idempotent=True, upstream="index"
            )
        except UpstreamRefused as refusal:
            if refusal.kind is ErrorKind.NOT_FOUND:
                return None
            raise
        return answer.identity.person_id, answer.identity.province

    async def province_of(self, person_id: str) -> str | None:
        """The province the person is insured in; None when the index does not know them."""
        request = pb.LocatePersonsRequest(person_ids=[person_id])
        answer = await call(
            self._stub.LocatePersons, request, self._identity, idempotent=True, upstream="index"
        )
        return next((x.province for x in answer.locations if x.person_id == person_id), None)

    async def move(self, person_id: str, province: str, request_id: str) -> None:
        """The last step of a move to another province (R24): idempotent by ``request_id``."""
        request = pb.MoveIdentityRequest(person_id=person_id, province=province, request_id=request_id)
        await call(self._stub.MoveIdentity, request, self._identity, idempotent=True, upstream="index")
