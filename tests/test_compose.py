"""The docker-compose cluster, as an operator would run it: images built
here (from stand-in base images on an offline machine), PostgreSQL, the
migration jobs, the three services and the seed job; a cross-province
transfer through the published ports; `docker kill` of the transfer service
between hold and receipt, a restart, and the transfer completes (or refunds)
with no money lost. With the profiles `observability` and `events` (the ops
image, Debian's prometheus and nats-server): Prometheus scrapes the three
services and has loaded the alert rules, and the services publish a
transfer's events to the compose NATS. With the profile `federated`:
provinces as shards (two account shards on servers of their own, the
national index, two replicas of the routing transfer service), transfers
within each through either replica, and a `docker kill` of one shard stops
only its own transfers until it is started again. Runs when a Docker engine
answers; CI always runs it."""

from __future__ import annotations

import asyncio
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
import nats
import nats.js.errors
import pytest
import yaml
from google.protobuf import json_format
from grpc_health.v1 import health_pb2, health_pb2_grpc
from yibao.account.v1 import account_pb2 as apb
from yibao.account.v1 import account_pb2_grpc
from yibao.region.v1 import region_pb2 as rpb
from yibao.region.v1 import region_pb2_grpc
from yibao.transfer.v1 import transfer_pb2 as pb
from yibao.transfer.v1 import transfer_pb2_grpc
from yibao.type.v1 import relation_pb2, verification_pb2

from services.gateway.bootstrap import dev_key_file, read_key
from services.gateway.client import GatewayCallError, ProvinceClient, verify_with
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
from tests.rpc import failure

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

# Prometheus and NATS (deploy/ops/, make ops-image) beside the suite; the
# services publish to that NATS, on the compose network.
OPS_PROFILES = ("--profile", "observability", "--profile", "events")
COMPOSE_NATS_URL = "nats://nats:4222"
# Provinces as shards beside the suite (one region service: one national
# registry and shard map); each published service and its port's variable.
FEDERATED_PROFILE = ("--profile", "federated")
FEDERATED_PORTS = {
    "account-gx": "YIBAO_FED_ACCOUNT_GX_PORT",
    "account-bj": "YIBAO_FED_ACCOUNT_BJ_PORT",
    "index": "YIBAO_FED_INDEX_PORT",
    "transfer-fed-1": "YIBAO_FED_TRANSFER_1_PORT",
    "transfer-fed-2": "YIBAO_FED_TRANSFER_2_PORT",
}


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
        self.compose = _compose_command()
        self.choose_ports()

    def choose_ports(self) -> None:
        """Fourteen ports, distinct: Prometheus and NATS of the ops profiles
        (never the machine's NATS on 4222), the five of the federated
        profile, and three the ha profile publishes a second suite on beside
        this one."""
        ports = _free_ports(14)
        published = ("region", "account", "transfer", "gateway", "prometheus", "nats", *FEDERATED_PORTS)
        self.ports = dict(zip(published, ports[:11], strict=True))
        self.spare_ports = ports[11:]
        self.env = {
            **os.environ,
            "YIBAO_REGION_PORT": str(self.ports["region"]),
            "YIBAO_ACCOUNT_PORT": str(self.ports["account"]),
            "YIBAO_TRANSFER_PORT": str(self.ports["transfer"]),
            "YIBAO_GATEWAY_PORT": str(self.ports["gateway"]),
            "YIBAO_PROMETHEUS_PORT": str(self.ports["prometheus"]),
            "YIBAO_NATS_PORT": str(self.ports["nats"]),
            **{variable: str(self.ports[service]) for service, variable in FEDERATED_PORTS.items()},
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
    c.compose = [*c.compose, *OPS_PROFILES, *FEDERATED_PROFILE]
    c.env["YIBAO_NATS_URL"] = COMPOSE_NATS_URL
    _sh("make image ops-image", c.env)
    images = _sh(". deploy/base-images.sh >/dev/null && echo $POSTGRES_IMAGE", c.env).strip().splitlines()[-1]
    c.env["POSTGRES_IMAGE"] = images
    try:
        started = time.monotonic()
        for attempt in range(3):
            try:
                c.run("up", "-d")
                break
            except AssertionError as error:
                # A free port chosen here may be taken before compose publishes it
                # (the ports come from the kernel's ephemeral range): choose again.
                if "port is already allocated" not in str(error) or attempt == 2:
                    raise
                c.run("down", "-v", "--remove-orphans")
                extra = {k: c.env[k] for k in ("YIBAO_NATS_URL", "POSTGRES_IMAGE")}
                c.choose_ports()
                c.env |= extra
        for service in ("region", "account", "transfer", *FEDERATED_PORTS):
            c.wait_healthy(service)
        print(
            f"\n`compose up -d` to the services and the federated ones healthy: {time.monotonic() - started:.1f} s"
        )
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


def _platform(region: str) -> tuple[tuple[str, str], ...]:
    """The token of the platform of ``region``'s province."""
    return _token(Role.PROVINCE, province=region[:2] + "0000")


def family(accounts, payer_name: str, payee_name: str, payer_region="450102", payee_region="110101"):
    """A payer (by default in 南宁) with ¥1,000 in his personal account and
    his mother (by default in 北京), both with wallets and the password
    258036, their relation attested by the payer's province's platform:
    (payer, payee, the payee's ID number)."""
    payer_platform, payee_platform = _platform(payer_region), _platform(payee_region)
    payer_number, payee_number = id_number(payer_region), id_number(payee_region)

    def register(number: str, name: str, kind: int, region: str, metadata):
        request = apb.RegisterPersonRequest(
            id_number=number, name=name, insurance_type=kind, insured_region=region
        )
        return accounts.RegisterPerson(request, metadata=metadata).person

    payer = register(payer_number, payer_name, apb.INSURANCE_TYPE_EMPLOYEE, payer_region, payer_platform)
    payee = register(payee_number, payee_name, apb.INSURANCE_TYPE_RESIDENT, payee_region, payee_platform)
    accounts.FundPersonalAccount(
        apb.FundPersonalAccountRequest(
            person_id=payer.id,
            amount_fen=100_000,
            reference=f"c-{payer.id}",
            period=beijing_month(CLOCK.now()),
        ),
        metadata=payer_platform,
    )
    for person, region in ((payer, payer_region), (payee, payee_region)):
        me = _token(Role.CITIZEN, person_id=person.id)
        accounts.OpenWallet(
            apb.OpenWalletRequest(person_id=person.id, place_of_use=region, mobile="13800138000"), metadata=me
        )
        accounts.SetPassword(apb.SetPasswordRequest(person_id=person.id, new_password="258036"), metadata=me)
    accounts.AttestRelation(
        apb.AttestRelationRequest(
            person_id=payer.id, relative_id=payee.id, kind=relation_pb2.RELATION_KIND_PARENT
        ),
        metadata=payer_platform,
    )
    return payer, payee, payee_number


def submit_transfer(
    cluster: Cluster, payer, payee_name: str, payee_number: str, amount: int, via: str = "transfer"
) -> pb.Transfer:
    """A transfer from ``family``'s payer to his mother, as the payer, through the service ``via``."""
    with sync_channel(cluster.target(via)) as channel:
        request = pb.SubmitTransferRequest(
            payer_id=payer.id,
            source=pb.TRANSFER_SOURCE_PERSONAL_ACCOUNT,
            payee_name=payee_name,
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


def as_payee(cluster: Cluster, payee, method: str, transfer_id: str, via: str = "transfer") -> pb.Transfer:
    """ReceiveTransfer or DeclineTransfer, as the payee, through the service ``via``."""
    with sync_channel(cluster.target(via)) as channel:
        stub = transfer_pb2_grpc.TransferServiceStub(channel)
        request = getattr(pb, f"{method}Request")(id=transfer_id)
        return getattr(stub, method)(
            request, metadata=_token(Role.CITIZEN, person_id=payee.id), timeout=30
        ).transfer


def test_cluster_transfer_survives_a_docker_kill_of_the_transfer_service(cluster):
    _wait_seeded(cluster)
    with sync_channel(cluster.target("account")) as a_channel:
        accounts = account_pb2_grpc.AccountServiceStub(a_channel)
        payer, payee, payee_number = family(accounts, "黄海", "黄母")

        def submit(amount: int) -> pb.Transfer:
            return submit_transfer(cluster, payer, "黄母", payee_number, amount)

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

        held = submit(30_000)
        assert held.status == pb.TRANSFER_STATUS_PENDING_RECEIPT
        assert balances(payer) == (70_000, 0)
        kill_and_restart_transfer()
        assert as_payee(cluster, payee, "ReceiveTransfer", held.id).status == pb.TRANSFER_STATUS_RECEIVED
        assert balances(payee) == (0, 30_000)

        declined = submit(20_000)
        kill_and_restart_transfer()
        refunded = as_payee(cluster, payee, "DeclineTransfer", declined.id)
        assert (refunded.status, refunded.refund_reason) == (
            pb.TRANSFER_STATUS_REFUNDED,
            pb.REFUND_REASON_DECLINED,
        )
        assert balances(payer) == (70_000, 0) and balances(payee) == (0, 30_000)

    ledger = cluster.run("exec", "-T", "account", "yibao", "ledger-check")
    assert "balanced" in ledger


def _retrying(call, seconds: float = 60):
    """A platform's call, asked again while the gateway answers 503 (its first
    connection to a service of a loaded cluster may time out: UNAVAILABLE is
    the retryable answer). Both calls here are idempotent."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            return call()
        except GatewayCallError as error:
            if error.http_status != 503 or time.monotonic() > deadline:
                raise
            time.sleep(1)


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
    person = _retrying(lambda: platform.call("RegisterPerson", wanted, CLOCK.now()))["person"]
    funding = {"personId": person["id"], "amountFen": "60000", "reference": "gx-compose-1"}
    period = {"period": beijing_month(CLOCK.now())}
    _retrying(lambda: platform.call("FundPersonalAccount", funding | period, CLOCK.now()))
    with sync_channel(cluster.target("account")) as channel:
        balances = account_pb2_grpc.AccountServiceStub(channel).GetBalances(
            apb.GetBalancesRequest(person_id=person["id"]), metadata=_token(Role.SERVICE), timeout=10
        )
    assert balances.personal_account_fen == 60_000


def _prometheus(cluster: Cluster, path: str) -> dict:
    """The `data` of a Prometheus HTTP API answer, through its published port."""
    answer = httpx.get(f"http://127.0.0.1:{cluster.ports['prometheus']}{path}", timeout=5).json()
    assert answer["status"] == "success", answer
    return answer["data"]


def test_cluster_prometheus_scrapes_the_services_and_loads_the_alert_rules(cluster):
    """The `observability` profile: Debian's Prometheus with
    deploy/prometheus/prometheus.yml scrapes the three services' metrics
    ports (every target `up`) and evaluates every alert of alerts.yml."""
    config = yaml.safe_load((ROOT / "deploy/prometheus/prometheus.yml").read_text())
    wanted_targets = {
        (job["job_name"], target)
        for job in config["scrape_configs"]
        for static in job["static_configs"]
        for target in static["targets"]
    }
    assert {job for job, _ in wanted_targets} == {"yibao-region", "yibao-account", "yibao-transfer"}
    rules = yaml.safe_load((ROOT / "deploy/prometheus/alerts.yml").read_text())
    wanted_alerts = sorted(r["alert"] for g in rules["groups"] for r in g["rules"] if "alert" in r)
    assert wanted_alerts

    # A target is scraped every 15 s (scrape_interval), from Prometheus's
    # start, and a rule evaluated as often: four rounds at most.
    deadline = time.monotonic() + 60
    while True:
        try:
            active = _prometheus(cluster, "/api/v1/targets?state=active")["activeTargets"]
            targets = {
                (t["labels"]["job"], t["labels"]["instance"]): (t["health"], t["lastError"]) for t in active
            }
            groups = _prometheus(cluster, "/api/v1/rules?type=alert")["groups"]
            alerts = {r["name"]: (r["health"], r.get("lastError", "")) for g in groups for r in g["rules"]}
        except httpx.HTTPError as error:
            targets, alerts = {}, {"(no answer)": ("", str(error))}
        targets_up = set(targets) == wanted_targets and all(h == "up" for h, _ in targets.values())
        alerts_ok = sorted(alerts) == wanted_alerts and all(h == "ok" for h, _ in alerts.values())
        if targets_up and alerts_ok:
            break
        assert time.monotonic() < deadline, (
            f"targets {targets} (wanted {sorted(wanted_targets)} up), alerts {alerts} "
            f"(wanted {wanted_alerts} ok)\n{cluster.run('logs', '--tail', '30', 'prometheus')}"
        )
        time.sleep(1)


def _kind(event: pb.TransferEvent) -> str:
    """created, received, declined, refunded: the last part of its subject."""
    return pb.TransferEventType.Name(event.type).removeprefix("TRANSFER_EVENT_TYPE_").lower()


async def _compose_nats_messages(port: int, transfer_id: str, wanted: set[tuple[str, str]]) -> tuple:
    """The compose NATS's stream YIBAO_TRANSFER (its config) and the messages
    that carry ``transfer_id``, read by sequence (no consumer left behind),
    once they cover ``wanted`` (province, kind) or when 60 s have passed."""

    async def quiet(error: Exception) -> None:
        pass

    nc = await nats.connect(
        f"nats://127.0.0.1:{port}", connect_timeout=5, max_reconnect_attempts=1, error_cb=quiet
    )
    try:
        js = nc.jetstream(timeout=5)
        deadline = time.monotonic() + 60
        info, found, seen_up_to = None, [], 0
        while True:
            try:
                info = await js.stream_info("YIBAO_TRANSFER")
                for seq in range(max(seen_up_to + 1, info.state.first_seq), info.state.last_seq + 1):
                    message = await js.get_msg("YIBAO_TRANSFER", seq)
                    event = json_format.Parse(message.data, pb.TransferEvent())
                    if event.transfer.id == transfer_id:
                        found.append((message, event))
                    seen_up_to = seq
            except nats.js.errors.NotFoundError:
                pass  # the transfer service makes the stream on its first round
            got = {(m.subject.rsplit(".", 2)[1], _kind(e)) for m, e in found}
            if wanted <= got or time.monotonic() > deadline:
                return info, found
            await asyncio.sleep(0.5)
    finally:
        await nc.close()


def test_cluster_publishes_a_transfers_events_to_the_compose_nats(cluster):
    """The `events` profile: with YIBAO_NATS_URL=nats://nats:4222 the
    transfer service makes the stream YIBAO_TRANSFER on the compose NATS and
    publishes a cross-province transfer's events under both provinces'
    subjects, each with its Nats-Msg-Id (read through the published port,
    not the machine's NATS on 4222)."""
    assert cluster.ports["nats"] != 4222
    _wait_seeded(cluster)
    with sync_channel(cluster.target("account")) as channel:
        payer, payee, payee_number = family(account_pb2_grpc.AccountServiceStub(channel), "陆海", "陆母")
    held = submit_transfer(cluster, payer, "陆母", payee_number, 10_000)
    assert held.status == pb.TRANSFER_STATUS_PENDING_RECEIPT
    received = as_payee(cluster, payee, "ReceiveTransfer", held.id)
    assert received.status == pb.TRANSFER_STATUS_RECEIVED
    wanted = {(p, k) for p in ("450000", "110000") for k in ("created", "received")}

    info, found = asyncio.run(_compose_nats_messages(cluster.ports["nats"], held.id, wanted))
    assert info is not None, f"no stream YIBAO_TRANSFER:\n{cluster.run('logs', '--tail', '30', 'transfer')}"
    assert info.config.subjects == ["yibao.transfer.>"]
    published = []
    for message, event in found:
        kind = _kind(event)
        prefix, province = message.subject.rsplit(".", 2)[:2]
        assert (prefix, message.subject) == ("yibao.transfer", f"yibao.transfer.{province}.{kind}")
        assert (message.headers or {}).get("Nats-Msg-Id") == f"transfer-{event.sequence}-{province}"
        published.append((province, kind))
    assert sorted(published) == sorted(wanted), cluster.run("logs", "--tail", "30", "transfer")


SHARD_DOWN_BOUND = 60.0  # seconds a call may stay UNAVAILABLE once the shard is healthy again


def test_cluster_federated_profile_routes_by_province_and_one_shard_down_stops_only_its_own(cluster):
    """The `federated` profile beside the suite: 广西's and 北京's account
    shards (account-gx, account-bj), the index and two replicas of the
    transfer service routing by the shard map the job shard-map put in the
    shared region service. A transfer within each province submitted through
    one replica is received through the other; with account-bj killed
    (`docker kill`), 广西 goes on and a 北京 receipt fails with UNAVAILABLE
    naming account:bj; started again, the receipt goes through."""
    _wait_seeded(cluster)
    families = {}
    for shard, region, payer_name, payee_name in (
        ("account-gx", "450102", "覃海", "覃母"),
        ("account-bj", "110101", "赵海", "赵母"),
    ):
        with sync_channel(cluster.target(shard)) as channel:
            accounts = account_pb2_grpc.AccountServiceStub(channel)
            families[shard] = (*family(accounts, payer_name, payee_name, region, region), payee_name)

    def submit(shard: str, via: str) -> pb.Transfer:
        payer, _, payee_number, payee_name = families[shard]
        return submit_transfer(cluster, payer, payee_name, payee_number, 10_000, via=via)

    def receive(shard: str, transfer_id: str, via: str) -> pb.Transfer:
        return as_payee(cluster, families[shard][1], "ReceiveTransfer", transfer_id, via=via)

    def wallet(shard: str) -> int:
        payee = families[shard][1]
        with sync_channel(cluster.target(shard)) as channel:
            return (
                account_pb2_grpc.AccountServiceStub(channel)
                .GetBalances(
                    apb.GetBalancesRequest(person_id=payee.id), metadata=_token(Role.SERVICE), timeout=10
                )
                .wallet_fen
            )

    for shard in ("account-gx", "account-bj"):
        held = submit(shard, via="transfer-fed-1")
        assert held.status == pb.TRANSFER_STATUS_PENDING_RECEIPT, held
        assert receive(shard, held.id, via="transfer-fed-2").status == pb.TRANSFER_STATUS_RECEIVED
        assert wallet(shard) == 10_000

    waiting = submit("account-bj", via="transfer-fed-2")  # pending in 北京's shard
    assert waiting.status == pb.TRANSFER_STATUS_PENDING_RECEIPT, waiting
    cluster.run("kill", "-s", "SIGKILL", "account-bj")  # docker kill
    try:
        gx = submit("account-gx", via="transfer-fed-2")  # 广西 goes on
        assert receive("account-gx", gx.id, via="transfer-fed-1").status == pb.TRANSFER_STATUS_RECEIVED
        assert wallet("account-gx") == 20_000
        with pytest.raises(grpc.RpcError) as down:
            receive("account-bj", waiting.id, via="transfer-fed-1")
        refused = failure(down.value)
        assert refused.code is grpc.StatusCode.UNAVAILABLE, refused
        assert refused.metadata.get("service") == "account:bj", refused
    finally:
        cluster.run("start", "account-bj")
    cluster.wait_healthy("account-bj")

    # Either replica's channel to the shard may still be waiting out its
    # reconnect backoff: UNAVAILABLE is retried, for a bounded time.
    deadline = time.monotonic() + SHARD_DOWN_BOUND
    while True:
        try:
            received = receive("account-bj", waiting.id, via="transfer-fed-2")
            break
        except grpc.RpcError as error:
            if error.code() is not grpc.StatusCode.UNAVAILABLE or time.monotonic() > deadline:
                raise AssertionError(f"{error.code()} {error.details()}") from error
            time.sleep(0.5)
    assert received.status == pb.TRANSFER_STATUS_RECEIVED, received
    assert wallet("account-bj") == 20_000
    assert "balanced" in cluster.run("exec", "-T", "account-bj", "yibao", "ledger-check")
