"""The gateway's price (make bench-gateway): the same RPC — LookupPerson, a
provincial platform's read — called directly over gRPC and through the
HTTPS gateway with real SM2/SM4 envelopes, each by BENCH_GATEWAY_CONCURRENCY
(16) closed-loop clients; requests/s and p50/p99 of both, and what SM2
costs per request (the gateway verifies one signature and makes one; the
SM4 key's ECDH is kept per platform key).

The services run as processes on PostgreSQL (YIBAO_BENCH_POSTGRES_URL, or
a container) as in make bench, the gateway as one more process; the load
generator shares the two cores and does a platform's own SM2 work (sign
and verify) for every request. Writes .bench/gateway.json."""

from __future__ import annotations

import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
from yibao.account.v1 import account_pb2 as apb
from yibao.account.v1 import account_pb2_grpc
from yibao.region.v1 import region_pb2, region_pb2_grpc

from bench.cluster import (
    Clock,
    beijing_ten_today,
    cpu_seconds,
    databases,
    drive,
    drop_databases,
    free_port,
    postgres_server,
    rate,
    services,
    token,
)
from services.gateway.client import ProvinceClient, verify_with
from services.gateway.gm import SM2PrivateKey, SM2PublicKey
from services.gateway.routes import PREFIX
from services.kernel.auth import Role

CONCURRENCY = int(os.environ.get("BENCH_GATEWAY_CONCURRENCY", "16"))
DIRECT_CALLS = int(os.environ.get("BENCH_GATEWAY_DIRECT_CALLS", "3000"))
GATEWAY_CALLS = int(os.environ.get("BENCH_GATEWAY_CALLS", "600"))
RESULT = Path(".bench/gateway.json")
ID_NUMBER = "450102198805212245"


def sm2_costs(rounds: int = 200) -> dict:
    """Median milliseconds of one SM2 sign and one verify (SM3 digest with the Z value)."""
    key, message = SM2PrivateKey.generate(), b"appId=bench&encData=...&nonce=...&timestamp=..." * 8
    signs, verifies = [], []
    for _ in range(rounds):
        started = time.perf_counter()
        signature = key.sign(message)
        signs.append(time.perf_counter() - started)
        started = time.perf_counter()
        assert key.public_key().verify(message, signature)
        verifies.append(time.perf_counter() - started)
    return {
        "sm2_sign_ms": round(statistics.median(signs) * 1000, 2),
        "sm2_verify_ms": round(statistics.median(verifies) * 1000, 2),
    }


async def _wait_healthy(url: str, verify, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + 60
    async with httpx.AsyncClient(verify=verify) as http:
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise RuntimeError(f"the gateway exited with {process.returncode}")
            try:
                if (await http.get(url + "/healthz")).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            await asyncio.sleep(0.2)
    raise RuntimeError("the gateway did not start")


async def run(server_url: str) -> dict:
    clock = Clock(Path(tempfile.mkdtemp(prefix="yibao-bench-clock-")) / "clock", beijing_ten_today())
    urls = databases(server_url, ("region", "account", "transfer"))
    try:
        async with services(urls, clock) as cluster:
            province = token(clock, Role.PROVINCE, province="450000")
            async with cluster.channel("account") as channel:
                accounts = account_pb2_grpc.AccountServiceStub(channel)
                await accounts.RegisterPerson(
                    apb.RegisterPersonRequest(
                        id_number=ID_NUMBER,
                        name="张伟",
                        insurance_type=apb.INSURANCE_TYPE_EMPLOYEE,
                        insured_region="450102",
                    ),
                    metadata=province,
                )
                lookup = apb.LookupPersonRequest(id_number=ID_NUMBER, name="张伟")
                await accounts.LookupPerson(lookup, metadata=province)  # warm
                seconds, latencies, _ = await drive(
                    range(DIRECT_CALLS),
                    lambda _: accounts.LookupPerson(lookup, metadata=province),
                    CONCURRENCY,
                )
                direct = rate(DIRECT_CALLS, seconds, latencies)
            print(f"direct gRPC LookupPerson: {direct}")

            platform_key, gateway_key = SM2PrivateKey.generate(), SM2PrivateKey.generate()
            async with cluster.channel("region") as channel:
                await region_pb2_grpc.RegionServiceStub(channel).CreatePlatformKey(
                    region_pb2.CreatePlatformKeyRequest(
                        platform_key=region_pb2.PlatformKey(
                            app_id="gx-bench",
                            province="450000",
                            public_key=platform_key.public_key().to_hex(),
                        )
                    ),
                    metadata=token(clock, Role.ADMIN),
                )
            key_file = Path(tempfile.mkdtemp(prefix="yibao-bench-gateway-")) / "sm2-key.hex"
            key_file.write_text(gateway_key.to_hex())
            port = free_port()
            env = cluster.env | {
                "YIBAO_GATEWAY_LISTEN": f"127.0.0.1:{port}",
                "YIBAO_GATEWAY_SM2_KEY_FILE": str(key_file),
            }
            gateway = subprocess.Popen(
                [sys.executable, "-m", "services.cli.main", "serve", "gateway"], env=env
            )
            try:
                scheme = "https" if cluster.client_tls else "http"
                url = f"{scheme}://127.0.0.1:{port}"
                ca = cluster.client_tls.ca if cluster.client_tls else None
                verify = verify_with(ca) if ca else False
                await _wait_healthy(url, verify, gateway)
                client = ProvinceClient(
                    url,
                    "gx-bench",
                    platform_key,
                    SM2PublicKey.from_hex(gateway_key.public_key().to_hex()),
                    ca_file=ca,
                )
                payload = {"idNumber": ID_NUMBER, "name": "张伟"}
                limits = httpx.Limits(max_connections=CONCURRENCY)
                async with httpx.AsyncClient(verify=verify, limits=limits, timeout=30) as http:
                    await client.acall("LookupPerson", payload, clock.now(), http)  # warm

                    async def one(_):
                        response = await http.post(
                            url + PREFIX + "LookupPerson", json=client.envelope(payload, clock.now())
                        )
                        return client.answer(response.status_code, response.content)

                    cpu_before = cpu_seconds(gateway.pid)
                    seconds, latencies, _ = await drive(range(GATEWAY_CALLS), one, CONCURRENCY)
                    cpu_ms = (cpu_seconds(gateway.pid) - cpu_before) * 1000 / GATEWAY_CALLS
                through = rate(GATEWAY_CALLS, seconds, latencies) | {"cpu_ms_per_request": round(cpu_ms, 2)}
                print(f"gateway LookupPerson: {through}")
            finally:
                gateway.terminate()
                gateway.wait(timeout=30)
    finally:
        drop_databases(server_url, urls)
    costs = sm2_costs()
    per_request = round(costs["sm2_sign_ms"] + costs["sm2_verify_ms"], 2)
    return {
        "concurrency": CONCURRENCY,
        "direct_grpc": direct,
        "gateway": through,
        "gateway_vs_direct_tps": round(through["tps"] / direct["tps"], 3),
        **costs,
        "sm2_ms_per_request_gateway_side": per_request,
    }


def main() -> None:
    with postgres_server() as server_url:
        result = asyncio.run(run(server_url))
    print(f"\n{'figure':<36}{'measured':>12}")
    for name, value in result.items():
        print(f"{name:<36}{value!s:>12}")
    RESULT.parent.mkdir(exist_ok=True)
    RESULT.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(f"written to {RESULT}")


if __name__ == "__main__":
    main()
