"""Starts services in this process through their composition roots, in
dependency order (region, account, transfer); a service started here talks
to the ones started with it. Used by ``yibao run``, ``yibao serve`` (one
service) and ``yibao demo``."""

from __future__ import annotations

from services.kernel.auth import TokenAuthority
from services.kernel.clock import Clock
from services.kernel.config import SERVICES, Settings
from services.kernel.pagination import set_page_token_key
from services.kernel.server import RunningServer


async def start_cluster(
    env: Settings,
    clock: Clock,
    names: tuple[str, ...] = SERVICES,
    tokens: TokenAuthority | None = None,
    account_shards: int = 1,
) -> list[RunningServer]:
    """The services ``names``; with ``account_shards`` above 1, every one of
    them as the federated topology (services/federation.py)."""
    from services.account.bootstrap import bootstrap as account
    from services.account.settings import AccountSettings
    from services.region.bootstrap import bootstrap as region
    from services.region.settings import RegionSettings
    from services.transfer.bootstrap import bootstrap as transfer
    from services.transfer.settings import TransferSettings

    set_page_token_key(env.page_token_key.get_secret_value())
    tokens = tokens or TokenAuthority.from_settings(env, clock)
    if account_shards > 1:
        from services.federation import start_federation

        return await start_federation(env, clock, tokens, account_shards)
    roots = {
        "region": lambda: region(RegionSettings.from_env(env), tokens, clock),
        "account": lambda: account(AccountSettings.from_env(env), tokens, clock),
        "transfer": lambda: transfer(TransferSettings.from_env(env), tokens, clock),
    }
    servers = []
    try:
        for name in (n for n in SERVICES if n in names):
            server = await roots[name]()
            servers.append(server)
            env = env.model_copy(update={f"{name}_target": server.address})
    except BaseException:
        for server in servers:
            await server.stop(0)
        raise
    return servers
