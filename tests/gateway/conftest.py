"""The gateway in front of the in-process cluster (tests/cluster.py): real
HTTPS, real SM2 signatures, the platforms' keys registered with the region
service as an administrator would."""

from __future__ import annotations

import httpx
import pytest
from yibao.region.v1 import region_pb2, region_pb2_grpc

from services.gateway.bootstrap import start_gateway
from services.gateway.client import ProvinceClient, verify_with
from services.gateway.gm import SM2PrivateKey, SM2PublicKey
from services.kernel.auth import Role
from services.kernel.config import Settings
from tests import tls
from tests.tls import aio_channel
from tests.transfer.conftest import balances, family, member, relate, submit  # noqa: F401  (fixtures)

GX, BJ = "gx-platform", "bj-platform"  # 广西's and 北京's platforms


@pytest.fixture
async def gateway(region_server, account_server, transfer_server, tokens, clock):
    settings = Settings(
        region_target=region_server.address,
        account_target=account_server.address,
        transfer_target=transfer_server.address,
        gateway_listen="127.0.0.1:0",
        tls_ca_file=tls.SERVICE.ca,
        tls_cert_file=tls.SERVICE.cert,
        tls_key_file=tls.SERVICE.key,
        gateway_platform_cache_seconds=0.0,  # a revoked key stops at once here
    )
    running = await start_gateway(settings, tokens, clock, SM2PrivateKey.generate())
    yield running
    await running.stop(0)


@pytest.fixture
def admin_region(region_server, bearer):
    """register_key(app_id, province, public_hex) and revoke_key(app_id, key_id), as the administrator."""

    async def call(method: str, request):
        async with aio_channel(region_server.address) as channel:
            stub = region_pb2_grpc.RegionServiceStub(channel)
            return await getattr(stub, method)(request, metadata=bearer(Role.ADMIN, "admin"))

    return call


@pytest.fixture
def platform(gateway, admin_region):
    """platform(app_id, province) -> a ProvinceClient whose key is registered."""

    async def make(app_id: str = GX, province: str = "450000", key: SM2PrivateKey | None = None):
        key = key or SM2PrivateKey.generate()
        await admin_region(
            "CreatePlatformKey",
            region_pb2.CreatePlatformKeyRequest(
                platform_key=region_pb2.PlatformKey(
                    app_id=app_id, province=province, public_key=key.public_key().to_hex()
                )
            ),
        )
        gateway_key = SM2PublicKey.from_hex(gateway.public_key)
        return ProvinceClient(gateway.url, app_id, key, gateway_key, ca_file=tls.SERVICE.ca)

    return make


@pytest.fixture
async def http(gateway):
    async with httpx.AsyncClient(base_url=gateway.url, verify=verify_with(tls.SERVICE.ca)) as client:
        yield client
