"""The account service's client of the national person index (R24, R5): a
shard of a federated deployment claims each new person's identity there
before keeping the person, so that one ID number is one person across every
province. Failures leave as UpstreamError (kernel/upstream.py)."""

from __future__ import annotations

import grpc
from yibao.index.v1 import index_pb2 as pb
from yibao.index.v1 import index_pb2_grpc

from services.kernel.calls import ServiceIdentity, call


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
