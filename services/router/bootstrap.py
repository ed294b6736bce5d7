"""The account router's composition root: settings -> the shard map (from
the region service), the persons' provinces (from the national index), a
channel per shard and one to the single account service, gRPC server. No
database."""

from __future__ import annotations

from functools import partial

from yibao.region.v1 import region_pb2_grpc

from services.kernel.auth import TokenAuthority
from services.kernel.calls import ServiceIdentity, channel
from services.kernel.clock import Clock
from services.kernel.metrics import ServiceMetrics
from services.kernel.server import RunningServer, start_server
from services.kernel.shard_clients import PersonLocator, ShardChannels
from services.kernel.shard_map import ShardDirectory, read_account_shards
from services.router.grpc_api import SERVICE, router_service
from services.router.routing import Router
from services.router.settings import RouterSettings


async def bootstrap(settings: RouterSettings, tokens: TokenAuthority, clock: Clock) -> RunningServer:
    identity = ServiceIdentity("router", tokens, clock)  # to read the map and the index
    region, index, single = (
        channel(settings.region_target, settings.tls),
        channel(settings.index_target, settings.tls),
        channel(settings.account_target, settings.tls),
    )
    shards = ShardChannels(settings.tls)
    fetch = partial(read_account_shards, region_pb2_grpc.RegionServiceStub(region), identity)
    router = Router(
        SERVICE,
        ShardDirectory(fetch, settings.shard_map_seconds),
        shards,
        single,
        PersonLocator(index, identity, settings.person_cache_seconds).locate,
    )

    async def close() -> None:
        await shards.close()
        for open_channel in (region, index, single):
            await open_channel.close()

    definition = router_service(router, on_stop=[close])
    metrics = ServiceMetrics("router")
    return await start_server(
        definition, settings.listen, tokens, settings.metrics_port, metrics, settings.tls
    )
