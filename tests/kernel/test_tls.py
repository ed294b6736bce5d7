"""Every port speaks mutual TLS: a caller must present a certificate of the
deployment's CA. Plaintext, no certificate, or one from another CA: refused."""

from __future__ import annotations

from pathlib import Path

import grpc
import pytest
from yibao.region.v1 import region_pb2, region_pb2_grpc

from services.kernel import tls
from services.kernel.config import Settings, tls_from
from tests.tls import CLIENT, SERVICE


async def _check(channel) -> grpc.StatusCode:
    try:
        await region_pb2_grpc.RegionServiceStub(channel).CheckRegions(
            region_pb2.CheckRegionsRequest(codes=["450100"]), timeout=5
        )
        return grpc.StatusCode.OK
    except grpc.RpcError as error:
        return error.code()


async def test_a_caller_with_a_certificate_of_the_ca_is_served(region_server):
    async with tls.aio_channel(region_server.address, CLIENT) as channel:
        assert await _check(channel) is grpc.StatusCode.OK


async def test_a_plaintext_caller_is_refused(region_server):
    async with grpc.aio.insecure_channel(region_server.address) as channel:
        assert await _check(channel) is grpc.StatusCode.UNAVAILABLE


async def test_a_caller_without_a_certificate_is_refused(region_server):
    credentials = grpc.ssl_channel_credentials(root_certificates=Path(SERVICE.ca).read_bytes())
    async with grpc.aio.secure_channel(region_server.address, credentials) as channel:
        assert await _check(channel) is grpc.StatusCode.UNAVAILABLE


async def test_a_caller_with_a_certificate_of_another_ca_is_refused(region_server, tmp_path):
    stranger = tls.write_dev_pki(tmp_path)["cli"]
    # It trusts the server (the real CA), but its own certificate chains to another.
    forged = tls.TlsFiles(SERVICE.ca, stranger.cert, stranger.key)
    async with tls.aio_channel(region_server.address, forged) as channel:
        assert await _check(channel) is grpc.StatusCode.UNAVAILABLE


def test_production_refuses_plaintext_and_missing_certificates():
    secrets = {
        "environment": "production",
        "jwt_verify_key": "k" * 40,
        "account_id_hash_key": "h" * 40,
        "face_ticket_key": "f" * 40,
        "page_token_key": "p" * 40,
    }
    with pytest.raises(ValueError, match="YIBAO_TLS_CA_FILE"):
        Settings(**secrets, tls_ca_file="", tls_cert_file="", tls_key_file="")
    with pytest.raises(ValueError, match="YIBAO_TLS_CA_FILE"):
        Settings(
            **secrets,
            tls_ca_file=SERVICE.ca,
            tls_cert_file=SERVICE.cert,
            tls_key_file=SERVICE.key,
            tls_plaintext=True,
        )
    served = Settings(**secrets, tls_ca_file=SERVICE.ca, tls_cert_file=SERVICE.cert, tls_key_file=SERVICE.key)
    assert tls_from(served) == SERVICE
    assert tls_from(Settings(tls_plaintext=True)) is None
