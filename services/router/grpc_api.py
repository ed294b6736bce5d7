"""The account router's gRPC face: the whole AccountService, every method
served by one generic handler that takes the request's bytes as they came
and gives back the shard's answer as it was given (routing.py).

Callers are authenticated here under the account service's own policy
(R20: the same roles per method), so that a call that no role may make is
refused before the index or any shard is asked. The shards authenticate the
caller again, from the same token passed on, and narrow to its scope."""

from __future__ import annotations

import grpc
from yibao.account.v1 import account_pb2

from services.account.usecases import access
from services.kernel.server import ServiceDefinition
from services.router.forward import passable
from services.router.routing import Router

SERVICE = account_pb2.DESCRIPTOR.services_by_name["AccountService"]
ERROR_DOMAIN = "router.yibao"
POLICY = {f"/{SERVICE.full_name}/{method}": roles for method, roles in access.METHODS.items()}


def _as_is(data: bytes) -> bytes:
    return data


def _handler(router: Router, method: str) -> grpc.RpcMethodHandler:
    async def pass_on(request: bytes, context: grpc.aio.ServicerContext) -> bytes:
        answer = await router.answer(method, request, passable(context.invocation_metadata()))
        if not answer.ok:
            raise answer.refusal()
        if answer.trailing:
            context.set_trailing_metadata(answer.trailing)
        return answer.response

    return grpc.unary_unary_rpc_method_handler(
        pass_on, request_deserializer=_as_is, response_serializer=_as_is
    )


def router_service(router: Router, on_stop=()) -> ServiceDefinition:
    handlers = {m.name: _handler(router, m.name) for m in SERVICE.methods}
    generic = grpc.method_handlers_generic_handler(SERVICE.full_name, handlers)

    def register(server: grpc.aio.Server) -> None:
        server.add_generic_rpc_handlers((generic,))

    return ServiceDefinition("router", SERVICE.full_name, ERROR_DOMAIN, POLICY, register, list(on_stop))
