"""The compose profile `ha`, as an operator would run it: PostgreSQL under
Patroni on three nodes with a three-member etcd (deploy/ha/compose/), the
services on libpq multi-host URLs. `docker compose --profile ha up -d` from
nothing, timed; a cross-province transfer through the published ports; the
Patroni primary is killed (`docker compose kill`) between hold and receipt;
the receipt, retried on UNAVAILABLE with the same transfer id, succeeds on
the promoted standby and no money is lost; the killed node rejoins as a
standby. Runs when a Docker engine answers; CI always runs it."""

from __future__ import annotations

import json
import os
import time
import uuid

import grpc
import pytest
from yibao.account.v1 import account_pb2 as apb
from yibao.account.v1 import account_pb2_grpc
from yibao.transfer.v1 import transfer_pb2 as pb
from yibao.transfer.v1 import transfer_pb2_grpc
from yibao.type.v1 import relation_pb2, verification_pb2

from services.kernel.auth import Role
from tests.conftest import _docker_available
from tests.test_compose import Cluster, _sh, _token, _wait_seeded, family, sync_channel

pytestmark = pytest.mark.docker

NODES = ("pg1", "pg2", "pg3")
FAILOVER_BOUND = 90.0  # seconds a call may stay UNAVAILABLE after the kill (Patroni's ttl is 20)


class HaCluster(Cluster):
    """The same compose file with `--profile ha`: the services answering on
    the host are region-ha, account-ha and transfer-ha, on Patroni."""

    def __init__(self) -> None:
        super().__init__()
        self.project = f"yibaohatest{uuid.uuid4().hex[:8]}"
        self.compose = [*self.compose, "--profile", "ha"]
        self.ha_ports = dict(zip(("region", "account", "transfer"), self.spare_ports, strict=True))
        for name, port in self.ha_ports.items():
            self.env[f"YIBAO_HA_{name.upper()}_PORT"] = str(port)

    def target(self, service: str) -> str:
        return f"127.0.0.1:{self.ha_ports[service]}"

    def wait_healthy(self, service: str, timeout: float = 180) -> None:
        try:
            super().wait_healthy(service, timeout)
        except AssertionError:
            raise AssertionError(f"{service}-ha not healthy:\n{self.run('logs', '--tail', '80')}") from None

    def patroni_cluster(self) -> dict:
        """Patroni's view (REST GET /cluster), asked of the first node that answers."""
        for node in NODES:
            try:
                out = self.run("exec", "-T", node, "/etc/patroni/healthcheck.py", "cluster", timeout=20)
                return json.loads(out)
            except (AssertionError, ValueError):
                continue
        raise AssertionError("no Patroni node answers")

    def leader(self, other_than: str | None = None) -> str | None:
        for member in self.patroni_cluster()["members"]:
            if member["role"] == "leader" and member["state"] == "running" and member["name"] != other_than:
                return member["name"]
        return None


@pytest.fixture(scope="module")
def ha():
    if not _docker_available():
        if os.environ.get("CI"):
            pytest.fail("CI must run the HA cluster test, but no Docker engine answers")
        pytest.skip("no Docker engine: the compose HA cluster test is not run")
    c = HaCluster()
    _sh("make image ha-image", c.env)
    c.env["POSTGRES_IMAGE"] = (
        _sh(". deploy/base-images.sh >/dev/null && echo $POSTGRES_IMAGE", c.env).strip().splitlines()[-1]
    )
    try:
        started = time.monotonic()
        c.run("up", "-d", timeout=600)
        for service in ("region", "account", "transfer"):
            c.wait_healthy(service)
        print(
            f"\n`compose --profile ha up -d` to the HA services healthy: {time.monotonic() - started:.1f} s"
        )
        yield c
    finally:
        c.run("down", "-v", "--remove-orphans")


def _until_available(call, what: str):
    """Retries a call while it answers UNAVAILABLE (the primary is gone and
    no standby is promoted yet), within FAILOVER_BOUND; any other error fails."""
    deadline = time.monotonic() + FAILOVER_BOUND
    unavailable = 0
    while True:
        try:
            return call(), unavailable
        except grpc.RpcError as error:
            if error.code() is not grpc.StatusCode.UNAVAILABLE or time.monotonic() > deadline:
                raise AssertionError(f"{what}: {error.code()} {error.details()}") from error
            unavailable += 1
            time.sleep(0.5)


def test_a_transfer_survives_a_kill_of_the_patroni_primary(ha):
    _wait_seeded(ha)
    with sync_channel(ha.target("account")) as a_channel:
        accounts = account_pb2_grpc.AccountServiceStub(a_channel)
        payer, payee, payee_number = family(accounts, "韦海", "韦母")

        def balances(person) -> tuple[int, int]:
            b, _ = _until_available(
                lambda: accounts.GetBalances(
                    apb.GetBalancesRequest(person_id=person.id),
                    metadata=_token(Role.CITIZEN, person_id=person.id),
                    timeout=10,
                ),
                "GetBalances",
            )
            return b.personal_account_fen, b.wallet_fen

        with sync_channel(ha.target("transfer")) as t_channel:
            transfers = transfer_pb2_grpc.TransferServiceStub(t_channel)
            held = transfers.SubmitTransfer(
                pb.SubmitTransferRequest(
                    payer_id=payer.id,
                    source=pb.TRANSFER_SOURCE_PERSONAL_ACCOUNT,
                    payee_name="韦母",
                    payee_id_number=payee_number,
                    relation=relation_pb2.RELATION_KIND_PARENT,
                    amount_fen=30_000,
                    verification=verification_pb2.Verification(password="258036"),
                    request_id=str(uuid.uuid4()),
                ),
                metadata=_token(Role.CITIZEN, person_id=payer.id),
                timeout=30,
            ).transfer
            assert held.status == pb.TRANSFER_STATUS_PENDING_RECEIPT
            assert balances(payer) == (70_000, 0)

            primary = ha.leader()
            assert primary in NODES, ha.patroni_cluster()
            killed = time.monotonic()
            ha.run("kill", "-s", "SIGKILL", primary)  # docker compose kill

            received, unavailable = _until_available(
                lambda: (
                    transfers.ReceiveTransfer(
                        pb.ReceiveTransferRequest(id=held.id),
                        metadata=_token(Role.CITIZEN, person_id=payee.id),
                        timeout=10,
                    ).transfer
                ),
                "ReceiveTransfer",
            )
            outage = time.monotonic() - killed
            assert received.status == pb.TRANSFER_STATUS_RECEIVED
            new_primary = ha.leader(other_than=primary)
            print(
                f"killed primary {primary}: receipt succeeded {outage:.1f} s later "
                f"after {unavailable} UNAVAILABLE answers; new primary {new_primary}"
            )
            assert new_primary in NODES and new_primary != primary, ha.patroni_cluster()

        # No money lost or made: the hold became the payee's.
        assert balances(payer) == (70_000, 0)
        assert balances(payee) == (0, 30_000)

    ledger = ha.run("exec", "-T", "account-ha", "yibao", "ledger-check")
    assert "balanced" in ledger

    # The killed node comes back as a standby of the new primary (pg_rewind
    # if its timeline diverged), and the cluster is three again.
    ha.run("start", primary)
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        members = {m["name"]: m for m in ha.patroni_cluster()["members"]}
        if members.get(primary, {}).get("state") == "streaming":
            break
        time.sleep(1)
    else:
        raise AssertionError(f"{primary} did not rejoin: {ha.patroni_cluster()}")
    assert members[primary]["role"] in ("replica", "sync_standby")
