"""The docker-compose cluster, as an operator would run it: images built
here (from stand-in base images on an offline machine), PostgreSQL, the
migration jobs, the three services and the seed job; a cross-province
transfer through the published ports; `docker kill` of the transfer service
between hold and receipt, a restart, and the transfer completes (or refunds)
with no money lost. Runs when a Docker engine answers; CI always runs it."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
import uuid
from datetime import datetime
from datetime import time as dtime
from pathlib import Path

import grpc
import httpx
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from yibao.account.v1 import account_pb2 as apb
from yibao.account.v1 import account_pb2_grpc
from yibao.region.v1 import region_pb2 as rpb
from yibao.region.v1 import region_pb2_grpc
from yibao.transfer.v1 import transfer_pb2 as pb
from yibao.transfer.v1 import transfer_pb2_grpc
from yibao.type.v1 import relation_pb2, verification_pb2

from services.gateway.bootstrap import dev_key_file, read_key
from services.gateway.client import ProvinceClient, verify_with
from services.gateway.gm import SM2PrivateKey
from services.kernel.auth import Principal, Role, TokenAuthority
from services.kernel.clock import BEIJING, FileClock, beijing_month, write_running_clock
from services.kernel.config import Settings
from services.kernel.tls import sync_channel as tls_channel
from services.kernel.tls import write_dev_pki
from services.kernel.token_keys import write_dev_keys
from tests.cluster import id_number
from tests.conftest import _docker_available
from tests.kernel.test_server import _free_ports

ROOT = Path(__file__).resolve().parent.parent
DEV_DIR = tempfile.mkdtemp(prefix="yibao-dev-")  # what make up keeps in .up: the clock and the PKI
os.chmod(DEV_DIR, 0o755)  # the services run as a user of their own
CLI_TLS = write_dev_pki(Path(DEV_DIR) / "tls")["cli"]
write_dev_keys(Path(DEV_DIR) / "keys")
GATEWAY_KEY = dev_key_file(Path(DEV_DIR) / "keys", "gateway-sm2")  # as make up's yibao dev-keys
# This test stands in for the platforms and the citizens: it holds their keys.
ISSUERS = Settings(jwt_jwks_file=f"{DEV_DIR}/keys/jwks.json", jwt_keys_dir=f"{DEV_DIR}/keys")
write_running_clock(
    f"{DEV_DIR}/clock", datetime.combine(datetime.now(BEIJING).date(), dtime(10, 0), tzinfo=BEIJING)
)
CLOCK = FileClock(f"{DEV_DIR}/clock")

pytestmark = pytest.mark.docker


def _compose_command() -> list[str]:
    if subprocess.run(["docker", "compose", "version"], capture_output=True).returncode == 0:
        return ["docker", "compose"]
    if shutil.which("docker-compose"):
        return ["docker-compose"]
    pytest.fail("no docker compose: install docker-compose or the compose plugin")


def _sh(command: str, env: dict, timeout: int = 900) -> str:
    result = subprocess.run(
        ["bash", "-c", command], cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout
    )
    assert result.returncode == 0, f"{command}\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    return result.stdout


class Cluster:
    def __init__(self) -> None:
        self.project = f"yibaotest{uuid.uuid4().hex[:8]}"
        # Seven ports, distinct: the ha profile publishes a second suite beside this one.
        ports = _free_ports(7)
        self.ports = dict(zip(("region", "account", "transfer", "gateway"), ports[:4], strict=True))
        self.spare_ports = ports[4:]
        self.compose = _compose_command()
        self.env = {
            **os.environ,
            "YIBAO_REGION_PORT": str(self.ports["region"]),
            "YIBAO_ACCOUNT_PORT": str(self.ports["account"]),
            "YIBAO_TRANSFER_PORT": str(self.ports["transfer"]),
            "YIBAO_GATEWAY_PORT": str(self.ports["gateway"]),
            # Whatever the hour this runs at, the services' clock runs from
            # 10:00 Beijing today (what make up AT=10:00 starts), and so do
            # this test's tokens.
            "YIBAO_DEV_DIR": DEV_DIR,
        }

    def run(self, *args: str, timeout: int = 300) -> str:
        result = subprocess.run(
            [*self.compose, "-p", self.project, *args],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        assert result.returncode == 0, f"{args}\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
        return result.stdout

    def target(self, service: str) -> str:
        return f"127.0.0.1:{self.ports[service]}"

    def wait_healthy(self, service: str, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                with sync_channel(self.target(service)) as channel:
                    status = (
                        health_pb2_grpc.HealthStub(channel)
                        .Check(health_pb2.HealthCheckRequest(), timeout=2)
                        .status
                    )
                if status == health_pb2.HealthCheckResponse.SERVING:
                    return
            except grpc.RpcError:
                pass
            time.sleep(0.5)
        raise AssertionError(f"{service} not healthy:\n{self.run('logs', '--tail', '50', service)}")


@pytest.fixture(scope="module")
def cluster():
    if not _docker_available():
        if os.environ.get("CI"):
            pytest.fail("CI must run the cluster test, but no Docker engine answers")
        pytest.skip("no Docker engine: the compose cluster test is not run")
    c = Cluster()
    _sh("make image", c.env)
    images = _sh(". deploy/base-images.sh >/dev/null && echo $POSTGRES_IMAGE", c.env).strip().splitlines()[-1]
    c.env["POSTGRES_IMAGE"] = images
    try:
        c.run("up", "-d")
        for service in ("region", "account", "transfer"):
            c.wait_healthy(service)
        yield c
    finally:
        c.run("down", "-v", "--remove-orphans")


def sync_channel(target: str) -> grpc.Channel:
    """A caller of the cluster, with the CLI certificate of its development CA."""
    return tls_channel(target, CLI_TLS)


def _token(role: Role, **scope: str) -> tuple[tuple[str, str], ...]:
    principal = Principal(scope.get("person_id") or scope.get("province") or "cluster-test", role, **scope)
    return (
        ("authorization", f"Bearer {TokenAuthority.from_settings(ISSUERS).mint(principal, CLOCK.now())}"),
    )


def _wait_seeded(cluster: Cluster) -> None:
    """The seed job has loaded the division list and the demo enablement."""
    with sync_channel(cluster.target("region")) as channel:
        stub = region_pb2_grpc.RegionServiceStub(channel)
        for _ in range(240):
            try:
                if (
                    stub.CheckRegions(rpb.CheckRegionsRequest(codes=["450100"]), timeout=2).results[0].status
                    == rpb.REGION_STATUS_ENABLED
                ):
                    return
            except grpc.RpcError:
                pass
            time.sleep(0.5)
    raise AssertionError("the seed job did not load the regions")


def family(accounts, payer_name: str, payee_name: str):
    """A payer in 南宁 with ¥1,000 in his personal account (password 258036)
    and his mother in 北京, both with wallets, their relation attested:
    (payer, payee, the payee's ID number)."""
    gx, bj = _token(Role.PROVINCE, province="450000"), _token(Role.PROVINCE, province="110000")
    payer_number, payee_number = id_number("450102"), id_number("110101")

    def register(number: str, name: str, kind: int, region: str, metadata):
        request = apb.RegisterPersonRequest(
            id_number=number, name=name, insurance_type=kind, insured_region=region
        )
        return accounts.RegisterPerson(request, metadata=metadata).person

    payer = register(payer_number, payer_name, apb.INSURANCE_TYPE_EMPLOYEE, "450102", gx)
    payee = register(payee_number, payee_name, apb.INSURANCE_TYPE_RESIDENT, "110101", bj)
    accounts.FundPersonalAccount(
        apb.FundPersonalAccountRequest(
            person_id=payer.id,
            amount_fen=100_000,
            reference=f"c-{payer.id}",
            period=beijing_month(CLOCK.now()),
        ),
        metadata=gx,
    )
    for person, region in ((payer, "450102"), (payee, "110101")):
        accounts.OpenWallet(
            apb.OpenWalletRequest(person_id=person.id, place_of_use=region, mobile="13800138000"),
            metadata=_token(Role.CITIZEN, person_id=person.id),
        )
    accounts.SetPassword(
        apb.SetPasswordRequest(person_id=payer.id, new_password="258036"),
        metadata=_token(Role.CITIZEN, person_id=payer.id),
    )
    accounts.AttestRelation(
        apb.AttestRelationRequest(
            person_id=payer.id, relative_id=payee.id, kind=relation_pb2.RELATION_KIND_PARENT
        ),
        metadata=gx,
    )
    return payer, payee, payee_number


def test_cluster_transfer_survives_a_docker_kill_of_the_transfer_service(cluster):
    _wait_seeded(cluster)
    with sync_channel(cluster.target("account")) as a_channel:
        accounts = account_pb2_grpc.AccountServiceStub(a_channel)
        payer, payee, payee_number = family(accounts, "黄海", "黄母")

        def submit(amount: int) -> pb.Transfer:
            with sync_channel(cluster.target("transfer")) as channel:
                request = pb.SubmitTransferRequest(
                    payer_id=payer.id,
                    source=pb.TRANSFER_SOURCE_PERSONAL_ACCOUNT,
                    payee_name="黄母",
                    payee_id_number=payee_number,
                    relation=relation_pb2.RELATION_KIND_PARENT,
                    amount_fen=amount,
                    verification=verification_pb2.Verification(password="258036"),
                    request_id=str(uuid.uuid4()),
                )
                return (
                    transfer_pb2_grpc.TransferServiceStub(channel)
                    .SubmitTransfer(request, metadata=_token(Role.CITIZEN, person_id=payer.id), timeout=30)
                    .transfer
                )

        def balances(person) -> tuple[int, int]:
            b = accounts.GetBalances(
                apb.GetBalancesRequest(person_id=person.id),
                metadata=_token(Role.CITIZEN, person_id=person.id),
            )
            return b.personal_account_fen, b.wallet_fen

        def kill_and_restart_transfer() -> None:
            cluster.run("kill", "-s", "SIGKILL", "transfer")  # docker kill
            cluster.run("start", "transfer")
            cluster.wait_healthy("transfer")

        def as_payee(method: str, transfer_id: str) -> pb.Transfer:
            with sync_channel(cluster.target("transfer")) as channel:
                stub = transfer_pb2_grpc.TransferServiceStub(channel)
                request = getattr(pb, f"{method}Request")(id=transfer_id)
                return getattr(stub, method)(
                    request, metadata=_token(Role.CITIZEN, person_id=payee.id), timeout=30
                ).transfer

        held = submit(30_000)
        assert held.status == pb.TRANSFER_STATUS_PENDING_RECEIPT
        assert balances(payer) == (70_000, 0)
        kill_and_restart_transfer()
        assert as_payee("ReceiveTransfer", held.id).status == pb.TRANSFER_STATUS_RECEIVED
        assert balances(payee) == (0, 30_000)

        declined = submit(20_000)
        kill_and_restart_transfer()
        refunded = as_payee("DeclineTransfer", declined.id)
        assert (refunded.status, refunded.refund_reason) == (
            pb.TRANSFER_STATUS_REFUNDED,
            pb.REFUND_REASON_DECLINED,
        )
        assert balances(payer) == (70_000, 0) and balances(payee) == (0, 30_000)

    ledger = cluster.run("exec", "-T", "account", "yibao", "ledger-check")
    assert "balanced" in ledger


def test_cluster_gateway_serves_a_platform_over_https_with_its_sm2_key(cluster):
    """The compose gateway, healthy from `up`, on its published port: an
    administrator registers 广西's platform key, the platform registers and
    funds a person with SM2-signed, SM4-encrypted envelopes."""
    url = f"https://127.0.0.1:{cluster.ports['gateway']}"
    deadline = time.monotonic() + 120
    while True:  # compose starts it after the services are healthy
        try:
            health = httpx.get(url + "/healthz", verify=verify_with(CLI_TLS.ca), timeout=2).json()
            break
        except httpx.HTTPError:
            assert time.monotonic() < deadline, cluster.run("logs", "--tail", "50", "gateway")
            time.sleep(0.5)
    gateway_key = read_key(GATEWAY_KEY).public_key()
    assert health == {"status": "SERVING", "publicKey": gateway_key.to_hex()}
    _wait_seeded(cluster)
    key = SM2PrivateKey.generate()
    with sync_channel(cluster.target("region")) as channel:
        region_pb2_grpc.RegionServiceStub(channel).CreatePlatformKey(
            rpb.CreatePlatformKeyRequest(
                platform_key=rpb.PlatformKey(
                    app_id="gx-compose", province="450000", public_key=key.public_key().to_hex()
                )
            ),
            metadata=_token(Role.ADMIN),
            timeout=10,
        )
    platform = ProvinceClient(url, "gx-compose", key, gateway_key, ca_file=CLI_TLS.ca)
    wanted = {
        "idNumber": id_number("450103"),
        "name": "韦丽",
        "insuranceType": "INSURANCE_TYPE_EMPLOYEE",
        "insuredRegion": "450103",
    }
    person = platform.call("RegisterPerson", wanted, CLOCK.now())["person"]
    funding = {"personId": person["id"], "amountFen": "60000", "reference": "gx-compose-1"}
    platform.call("FundPersonalAccount", funding | {"period": beijing_month(CLOCK.now())}, CLOCK.now())
    with sync_channel(cluster.target("account")) as channel:
        balances = account_pb2_grpc.AccountServiceStub(channel).GetBalances(
            apb.GetBalancesRequest(person_id=person["id"]), metadata=_token(Role.SERVICE), timeout=10
        )
    assert balances.personal_account_fen == 60_000
