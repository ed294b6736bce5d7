"""The PersonIndexService servicer: translates proto <-> use cases, nothing more."""

from __future__ import annotations

from functools import partial

from yibao.index.v1 import index_pb2 as pb
from yibao.index.v1 import index_pb2_grpc

from services.index.domain.identities import Identity
from services.index.usecases import access
from services.index.usecases.identities import IdentityUseCases
from services.kernel.proto_messages import message
from services.kernel.proto_time import to_timestamp
from services.kernel.server import ServiceDefinition

SERVICE = pb.DESCRIPTOR.services_by_name["PersonIndexService"].full_name
ERROR_DOMAIN = "index.yibao"

# R20: who may call each method (usecases/access.py).
POLICY = {f"/{SERVICE}/{method}": roles for method, roles in access.METHODS.items()}


def identity_pb(i: Identity) -> pb.Identity:
    return message(
        pb.Identity, i, create_time=to_timestamp(i.created_at), update_time=to_timestamp(i.updated_at)
    )


class PersonIndexServicer(index_pb2_grpc.PersonIndexServiceServicer):
    def __init__(self, identities: IdentityUseCases) -> None:
        self._identities = identities

    async def ClaimIdentity(self, request, context):
        identity, claimed = await self._identities.claim(request.id_hash, request.person_id, request.province)
        return pb.ClaimIdentityResponse(identity=identity_pb(identity), claimed=claimed)

    async def FindIdentity(self, request, context):
        return pb.FindIdentityResponse(identity=identity_pb(await self._identities.find(request.id_hash)))

    async def LocatePersons(self, request, context):
        located = await self._identities.locate(list(request.person_ids))
        return pb.LocatePersonsResponse(
            locations=[pb.PersonLocation(person_id=p.person_id, province=p.province) for p in located]
        )

    async def MoveIdentity(self, request, context):
        moved = await self._identities.move(request.person_id, request.province, request.request_id)
        return pb.MoveIdentityResponse(identity=identity_pb(moved))


def index_service(servicer: PersonIndexServicer, on_stop=()) -> ServiceDefinition:
    add = partial(index_pb2_grpc.add_PersonIndexServiceServicer_to_server, servicer)
    return ServiceDefinition("index", SERVICE, ERROR_DOMAIN, POLICY, add, list(on_stop))
