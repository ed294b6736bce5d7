"""The account router's work for one call (R24): find the shard that the
call's route (routes.py) names, through the shard map and the national
person index, and pass the call on to it (forward.py). With an empty map,
every call goes to the one account service.

What fails here is raised as a DomainError, and the interceptor answers it
in the router's domain: a shard that did not answer (UNAVAILABLE naming
``account:<shard>``), a province no shard owns, the index or the region
service down, a method the router does not pass on. A shard's own refusal
is an Answer, given back unchanged."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import NoReturn

import grpc
from google.protobuf.descriptor import ServiceDescriptor
from google.protobuf.message_factory import GetMessageClass

from services.kernel.errors import ErrorKind, request_malformed
from services.kernel.shard_clients import ShardChannels, no_shard_for
from services.kernel.shard_map import Shard, ShardDirectory, ShardMap
from services.kernel.upstream import UpstreamError, UpstreamRefused
from services.router.errors import method_not_routed
from services.router.forward import Answer, ask, pick
from services.router.routes import ROUTES, ByPerson, Everywhere, Route, ShardsOnly

Metadata = Sequence[tuple[str, str | bytes]]


class Router:
    def __init__(
        self,
        service: ServiceDescriptor,
        directory: ShardDirectory,
        channels: ShardChannels,
        single: grpc.aio.Channel,
        locate: Callable[[list[str]], Awaitable[dict[str, str]]],
        routes: Mapping[str, Route] = ROUTES,
    ) -> None:
        self._directory, self._channels, self._single, self._locate = directory, channels, single, locate
        self._routes = routes
        self._paths = {m.name: f"/{service.full_name}/{m.name}" for m in service.methods}
        self._requests = {m.name: GetMessageClass(m.input_type) for m in service.methods}

    async def answer(self, method: str, request: bytes, metadata: Metadata) -> Answer:
        """The answer to one call of ``method`` (its short name)."""
        shards, path = await self._directory.current(), self._paths[method]
        if shards.single:
            return await ask(self._single, "account", path, request, metadata)
        route = self._routes.get(method)
        if route is None:
            raise method_not_routed(method, "the router has no route for it")
        if isinstance(route, ShardsOnly):
            raise method_not_routed(method, route.why)
        if isinstance(route, Everywhere):
            return await self._everywhere(shards, path, request, metadata)
        key = getattr(self._read(method, request), route.field)
        shard = await (self._of_person if isinstance(route, ByPerson) else self._of_region)(shards, key)
        return await self._ask(shard, path, request, metadata)

    def _read(self, method: str, request: bytes):
        """A copy of the request, read only for its routing key."""
        try:
            return self._requests[method].FromString(request)
        except Exception:  # DecodeError, or whatever hostile bytes make the parser raise
            raise request_malformed() from None

    async def _of_person(self, shards: ShardMap, person_id: str) -> Shard:
        try:
            province = (await self._locate([person_id])).get(person_id) if person_id else None
        except UpstreamRefused as refusal:
            if refusal.kind is not ErrorKind.INVALID_ARGUMENT:
                raise
            province = None  # not a person id the index takes: unknown there
        if province is None:  # the first shard answers as the one service would
            return shards.shards[0]
        return shards.shard_of(province) or _unowned(province)

    async def _of_region(self, shards: ShardMap, code: str) -> Shard:
        if not (len(code) == 6 and code.isdigit()):  # the first shard refuses it
            return shards.shards[0]
        return shards.shard_of(code) or _unowned(code)

    async def _ask(self, shard: Shard, path: str, request: bytes, metadata: Metadata) -> Answer:
        return await ask(self._channels.channel(shard), f"account:{shard.name}", path, request, metadata)

    async def _everywhere(self, shards: ShardMap, path: str, request: bytes, metadata: Metadata) -> Answer:
        """Every shard asked at once; the first OK is the answer, else ``pick``'s."""

        async def attempt(shard: Shard) -> Answer | UpstreamError:
            try:
                return await self._ask(shard, path, request, metadata)
            except UpstreamError as error:
                return error

        tasks = [asyncio.ensure_future(attempt(shard)) for shard in shards.shards]
        try:
            for done in asyncio.as_completed(tasks):
                answer = await done
                if isinstance(answer, Answer) and answer.ok:
                    return answer
        finally:
            for task in tasks:
                task.cancel()
        chosen = pick([task.result() for task in tasks])
        if isinstance(chosen, UpstreamError):
            raise chosen
        return chosen


def _unowned(province: str) -> NoReturn:
    raise no_shard_for(f"{province[:2]}0000")
