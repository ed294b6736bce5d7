"""``yibao run --account-shards N`` (R24): the federated topology in this
process, on the embedded SQLite. The region service, the national person
index, N account shards (``s1`` … ``sN``, each on a database file of its
own beside the account's), the shard map (the provinces dealt out to the
shards in code order), the account router on the account service's port
(so that the CLI, the gateway and the demo talk to it as to the one
account service), and the transfer service routing by the map."""

from __future__ import annotations

import dataclasses

from services.kernel.auth import TokenAuthority
from services.kernel.clock import Clock
from services.kernel.config import Settings
from services.kernel.migrations import upgrade
from services.kernel.server import RunningServer

SHARDS_MAX = 8


def shard_names(count: int) -> list[str]:
    return [f"s{k}" for k in range(1, count + 1)]


def shard_database_url(account_url: str, name: str) -> str:
    """The shard's SQLite file, beside the account service's: account-s1.db."""
    prefix = "sqlite:///"
    if not account_url.startswith(prefix) or not account_url.endswith(".db"):
        raise ValueError("--account-shards runs on the embedded SQLite (sqlite:///…/account.db)")
    return f"{account_url[: -len('.db')]}-{name}.db"


def deal_provinces(provinces: list[str], count: int) -> dict[str, list[str]]:
    """Each shard's provinces: the codes in order, dealt out one by one."""
    names = shard_names(count)
    dealt: dict[str, list[str]] = {name: [] for name in names}
    for i, code in enumerate(sorted(provinces)):
        dealt[names[i % count]].append(code)
    return dealt


def migrate_federation(env: Settings, count: int) -> None:
    upgrade("index", env.index_database_url)
    for name in shard_names(count):
        upgrade("account", shard_database_url(env.account_database_url, name))


async def put_shard_map(
    region_database_url: str, clock: Clock, targets: dict[str, str]
) -> dict[str, list[str]]:
    """The map in the region database, as ``yibao shard put`` would write it."""
    from services.kernel.db import create_engine
    from services.region.adapters.repository import region_unit_of_work
    from services.region.adapters.seed import read_divisions
    from services.region.usecases.shards import ShardUseCases

    provinces = [d["code"] for d in read_divisions() if d["level"] == 1]
    dealt = deal_provinces(provinces, len(targets))
    engine = create_engine(region_database_url)
    try:
        shards = ShardUseCases(region_unit_of_work(engine), clock)
        for name, target in targets.items():
            await shards.put(name, target, dealt[name])
    finally:
        await engine.dispose()
    return dealt


async def start_federation(
    env: Settings, clock: Clock, tokens: TokenAuthority, count: int
) -> list[RunningServer]:
    from services.account.bootstrap import bootstrap as account
    from services.account.settings import AccountSettings
    from services.index.bootstrap import bootstrap as index
    from services.index.settings import IndexSettings
    from services.region.bootstrap import bootstrap as region
    from services.region.settings import RegionSettings
    from services.router.bootstrap import bootstrap as router
    from services.router.settings import RouterSettings
    from services.transfer.bootstrap import bootstrap as transfer
    from services.transfer.settings import TransferSettings

    servers: list[RunningServer] = []
    try:
        servers.append(await region(RegionSettings.from_env(env), tokens, clock))
        env = env.model_copy(update={"region_target": servers[-1].address})
        servers.append(await index(IndexSettings.from_env(env), tokens, clock))
        env = env.model_copy(update={"index_target": servers[-1].address})
        targets = {}
        for name in shard_names(count):
            shard = dataclasses.replace(
                AccountSettings.from_env(env),
                database_url=shard_database_url(env.account_database_url, name),
                read_database_url="",
                listen="127.0.0.1:0",
                metrics_port=0,
                index_target=env.index_target,
                shard=name,
                events=None,  # one NATS stream would take the shards' ids for one feed's
            )
            servers.append(await account(shard, tokens, clock))
            targets[name] = servers[-1].address
        await put_shard_map(env.region_database_url, clock, targets)
        routing = dataclasses.replace(RouterSettings.from_env(env), listen=env.account_listen)
        servers.append(await router(routing, tokens, clock))
        env = env.model_copy(update={"account_target": servers[-1].address, "account_sharded": True})
        servers.append(await transfer(TransferSettings.from_env(env), tokens, clock))
    except BaseException:
        for server in servers:
            await server.stop(0)
        raise
    return servers
