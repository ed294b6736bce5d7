"""R17 with real process deaths: the transfer service runs as its own
process on PostgreSQL and is killed with SIGKILL, once right after the money
was held but before that was recorded, once while a transfer waits and 06:00
passes; restarted, it finishes or refunds, and no money is lost."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from datetime import timedelta

import grpc
import pytest
from yibao.transfer.v1 import transfer_pb2 as pb
from yibao.transfer.v1 import transfer_pb2_grpc

from services.kernel.auth import Role
from services.kernel.migrations import upgrade
from services.kernel.proto_time import from_timestamp
from tests.cluster import account_urls, transfer_env
from tests.conftest import TEST_KEY
from tests.kernel.test_server import _free_port
from tests.tls import aio_channel
from tests.transfer.helpers import check_invariant, eventually, submit_request

pytestmark = [pytest.mark.postgres, pytest.mark.parametrize("new_database", ["postgres"], indirect=True)]


class TransferProcess:
    def __init__(self, database_url: str, account: dict[str, str], region: str, clock_file: str) -> None:
        self.port = _free_port()
        self.env = {
            **os.environ,
            "YIBAO_TRANSFER_DATABASE_URL": database_url,
            "YIBAO_TRANSFER_LISTEN": f"127.0.0.1:{self.port}",
            "YIBAO_TRANSFER_METRICS_PORT": "0",
            **account,  # the account service (under R24: routed by the shard map)
            "YIBAO_REGION_TARGET": region,
            "YIBAO_JWT_SIGNING_KEY": TEST_KEY,
            "YIBAO_CLOCK_FILE": clock_file,
            "YIBAO_TRANSFER_WORKER_INTERVAL_SECONDS": "0.2",
        }
        self.process: subprocess.Popen | None = None

    async def start(self, crash_after: str = "") -> None:
        env = {**self.env, "YIBAO_CRASH_AFTER": crash_after}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "services.cli.main", "serve", "transfer"], env=env
        )
        async with aio_channel(f"127.0.0.1:{self.port}") as channel:
            await asyncio.wait_for(channel.channel_ready(), 30)

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        assert self.process.wait(timeout=10) == -signal.SIGKILL

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)


@pytest.fixture
def set_time(clock, tmp_path):
    """Moves this process's clock and the transfer process's clock file together."""

    def move(at):
        clock.set(at)
        (tmp_path / "now").write_text(at.isoformat())

    return move


@pytest.fixture
async def transfer_process(new_database, account_server, region_target, tmp_path):
    url = new_database()
    upgrade("transfer", url)
    process = TransferProcess(url, transfer_env(account_server), region_target, str(tmp_path / "now"))
    yield process
    process.stop()


async def test_r17_sigkill_between_hold_and_record_then_restart(
    family, transfer_process, bearer, clock, set_time, balances, account_server
):
    payer, payee = family
    set_time(clock.now())
    await transfer_process.start(crash_after="hold")
    async with aio_channel(f"127.0.0.1:{transfer_process.port}") as channel:
        stub = transfer_pb2_grpc.TransferServiceStub(channel)
        me = bearer(Role.CITIZEN, payer.id, person_id=payer.id)
        with pytest.raises(grpc.aio.AioRpcError) as died:
            await stub.SubmitTransfer(
                submit_request(payer, payee, amount=30_000, request_id="crash-1"), metadata=me
            )
        assert died.value.code() is grpc.StatusCode.UNAVAILABLE
    assert transfer_process.process.wait(timeout=10) == -signal.SIGKILL
    # The money left the personal account; the transfer service never recorded it.
    assert await balances(payer) == (70_000, 0)

    await transfer_process.start()  # no crash point this time
    async with aio_channel(f"127.0.0.1:{transfer_process.port}") as channel:
        stub = transfer_pb2_grpc.TransferServiceStub(channel)
        me = bearer(Role.CITIZEN, payer.id, person_id=payer.id)
        # The app retries with the same request id: the same transfer, now pending.
        retried = await stub.SubmitTransfer(
            submit_request(payer, payee, amount=30_000, request_id="crash-1"), metadata=me
        )

        async def pending():
            got = await stub.GetTransfer(pb.GetTransferRequest(id=retried.transfer.id), metadata=me)
            return got.transfer.status == pb.TRANSFER_STATUS_PENDING_RECEIPT

        await eventually(pending)
        received = await stub.ReceiveTransfer(
            pb.ReceiveTransferRequest(id=retried.transfer.id),
            metadata=bearer(Role.CITIZEN, payee.id, person_id=payee.id),
        )
        assert received.transfer.status == pb.TRANSFER_STATUS_RECEIVED

        # Killed again while a second transfer waits; 06:00 passes while it is down.
        second = await stub.SubmitTransfer(
            submit_request(payer, payee, amount=20_000, request_id="crash-2"), metadata=me
        )
    transfer_process.kill()
    set_time(from_timestamp(second.transfer.expire_time) + timedelta(minutes=30))
    await transfer_process.start()
    async with aio_channel(f"127.0.0.1:{transfer_process.port}") as channel:
        stub = transfer_pb2_grpc.TransferServiceStub(channel)
        me = bearer(Role.CITIZEN, payer.id, person_id=payer.id)

        async def refunded():
            got = await stub.GetTransfer(pb.GetTransferRequest(id=second.transfer.id), metadata=me)
            return got.transfer.status == pb.TRANSFER_STATUS_REFUNDED

        await eventually(refunded)
    assert await balances(payer) == (70_000, 0)
    assert await balances(payee) == (0, 30_000)
    await check_invariant(account_urls(account_server), transfer_process.env["YIBAO_TRANSFER_DATABASE_URL"])
