"""Builds a running account service: engine, region client, use cases, server."""

from __future__ import annotations

from argon2 import PasswordHasher

from services.account.entrypoints.grpc_api import AccountServicer, account_service
from services.account.usecases.common import AccountDeps
from services.account.usecases.credentials import CredentialUseCases
from services.account.usecases.money import MoneyUseCases
from services.account.usecases.persons import PersonUseCases
from services.account.usecases.wallets import WalletUseCases
from services.kernel.auth import TokenAuthority
from services.kernel.calls import ServiceIdentity, channel
from services.kernel.clock import Clock, SystemClock
from services.kernel.db import create_engine
from services.kernel.region_client import RegionClient
from services.kernel.server import RunningServer, start_server


async def start_account(
    database_url: str,
    listen: str,
    tokens: TokenAuthority,
    region_target: str,
    id_hash_key: str,
    face_ticket_key: str,
    clock: Clock | None = None,
    metrics_port: int = 0,
    password_time_cost: int = 2,
    password_memory_kib: int = 19456,
) -> RunningServer:
    clock = clock or SystemClock()
    engine = create_engine(database_url)
    region_channel = channel(region_target)
    deps = AccountDeps(
        engine=engine,
        clock=clock,
        regions=RegionClient(region_channel, ServiceIdentity("account", tokens, clock)),
        id_hash_key=id_hash_key.encode(),
        face_ticket_key=face_ticket_key,
        hasher=PasswordHasher(time_cost=password_time_cost, memory_cost=password_memory_kib, parallelism=1),
    )
    credentials = CredentialUseCases(deps)
    servicer = AccountServicer(PersonUseCases(deps), WalletUseCases(deps), credentials, MoneyUseCases(deps, credentials))

    async def close() -> None:
        await region_channel.close()
        await engine.dispose()

    return await start_server(account_service(servicer, on_stop=[close]), listen, tokens, metrics_port)
