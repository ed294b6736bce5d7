"""A gRPC proxy that loses answers: put between two services, it forwards
every call to its target as raw bytes, metadata and errors included, and for
the methods it is told to, lets the call reach the callee and commit, then
answers UNAVAILABLE, as a network that dropped the reply would; it can also
slow a method down. The target can be changed while it runs (the callee
restarted elsewhere)."""

from __future__ import annotations

import asyncio

import grpc

from services.kernel import tls
from tests.tls import SERVICE


class LossyProxy:
    def __init__(self, target: str) -> None:
        self.target = target
        self.lose: set[str] = set()  # method names (e.g. "HoldTransfers") whose answers are lost
        self.slow: dict[str, float] = {}  # method name -> seconds each call waits before it is forwarded
        self.gates: dict[str, asyncio.Event] = {}  # method name -> set when its calls may be forwarded
        self.lost: list[str] = []  # the methods whose answers were lost, in order
        self._server: grpc.aio.Server | None = None
        self._channels: dict[str, grpc.aio.Channel] = {}
        self.address = ""

    def _channel(self) -> grpc.aio.Channel:
        if self.target not in self._channels:
            self._channels[self.target] = tls.aio_channel(self.target, SERVICE)
        return self._channels[self.target]

    async def start(self) -> str:
        proxy = self

        class Forward(grpc.GenericRpcHandler):
            def service(self, details):
                method = details.method

                async def unary(request: bytes, context: grpc.aio.ServicerContext) -> bytes:
                    await asyncio.sleep(proxy.slow.get(method.rsplit("/", 1)[-1], 0))
                    if (gate := proxy.gates.get(method.rsplit("/", 1)[-1])) is not None:
                        await gate.wait()
                    forward = proxy._channel().unary_unary(method)
                    try:
                        reply = await forward(
                            request, metadata=context.invocation_metadata(), timeout=context.time_remaining()
                        )
                    except grpc.aio.AioRpcError as error:  # the callee's refusal, passed on as it came
                        trailing = tuple(error.trailing_metadata() or ())  # abort takes a tuple, not Metadata
                        await context.abort(error.code(), error.details(), trailing)
                    if method.rsplit("/", 1)[-1] in proxy.lose:
                        proxy.lost.append(method)
                        await context.abort(grpc.StatusCode.UNAVAILABLE, "the answer was lost on the way")
                    return reply

                return grpc.unary_unary_rpc_method_handler(unary)

        self._server = grpc.aio.server()
        self._server.add_generic_rpc_handlers((Forward(),))
        port = self._server.add_secure_port("127.0.0.1:0", tls.server_credentials(SERVICE))
        await self._server.start()
        self.address = f"127.0.0.1:{port}"
        return self.address

    async def stop(self) -> None:
        if self._server is not None:
            await self._server.stop(0)
        for channel in self._channels.values():
            await channel.close()
