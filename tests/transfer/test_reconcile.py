"""R22: the reconciler finds every disagreement between a transfer and its
hold, heals it through the idempotent hold steps or reports it. Each test
writes the fault into one service's database (what is being simulated),
runs one pass of the transfer service's own reconciler against the real
account service, and reads the outcome back: balances, hold states, the
metric, the report; then a second pass finds nothing new to heal."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import uuid
from datetime import timedelta

import grpc
import pytest
from sqlalchemy import create_engine, text
from yibao.account.v1 import account_pb2 as apb
from yibao.type.v1 import relation_pb2

from services.kernel.auth import Role
from services.kernel.db import sync_url
from services.kernel.grpc_errors import error_details
from services.transfer.domain.reconciliation import Case, HoldStatus
from tests.cluster import account_keeper, payee_province_of_hold, transfer_env
from tests.conftest import TEST_KEY


async def write(url: str, sql: str, **params) -> None:
    """The fault: a change made in one database behind its service's back
    (in a thread: the services share this event loop and may hold a lock)."""

    def run() -> None:
        engine = create_engine(sync_url(url))
        try:
            with engine.begin() as conn:
                conn.execute(text(sql), params)
        finally:
            engine.dispose()

    await asyncio.to_thread(run)


@pytest.fixture
def reconcile(transfer_server):
    return transfer_server.components["reconciler"].run_once


@pytest.fixture
def counted(transfer_server):
    registry = transfer_server.components["metrics"].registry

    def read(case: Case, action: str) -> float:
        labels = {"case": case.value, "action": action}
        return registry.get_sample_value("yibao_reconcile_disagreements_total", labels) or 0.0

    return read


@pytest.fixture
def hold_of(account_shards, bearer):
    """The state of a transfer's hold, asked of every account service (under
    R24 every shard: the hold is in its payer's, and in no other)."""

    async def read(transfer_id: str) -> HoldStatus | None:
        found = [
            hold
            for stub in account_shards.every()
            for hold in (
                await stub.BatchGetHolds(
                    apb.BatchGetHoldsRequest(transfer_ids=[transfer_id]),
                    metadata=bearer(Role.SERVICE, "test"),
                )
            ).holds
        ]
        assert len(found) <= 1, found
        return (
            HoldStatus[apb.HoldStatus.Name(found[0].status).removeprefix("HOLD_STATUS_")] if found else None
        )

    return read


@pytest.fixture
def end_hold(account_shards, bearer):
    """Ends a hold through the payer's account service, as if the transfer
    service had asked (across shards, a receipt's leg 1 only: the money
    leaves the payer's shard, as the transfer service's own first leg)."""

    async def end(payer, transfer_id: str, outcome: str) -> None:
        service, account = bearer(Role.SERVICE, "transfer"), account_shards.of(payer)
        if outcome == "received":
            await account.ReceiveTransfer(
                apb.ReceiveTransferRequest(transfer_id=transfer_id), metadata=service
            )
        else:
            await account.RefundTransfer(apb.RefundTransferRequest(transfer_id=transfer_id), metadata=service)

    return end


async def _set_status(transfer_server, transfer_id: str, status: str) -> None:
    final = status in ("received", "refunded", "rejected")
    await write(
        transfer_server.database_url,
        "UPDATE transfers SET status = :s, open_pair = CASE WHEN :final THEN NULL ELSE open_pair END "
        "WHERE id = :id",
        s=status,
        final=final,
        id=transfer_id,
    )


def _only(report):
    (finding,) = report.findings
    return finding


@pytest.mark.parametrize("status", ["refunded", "rejected"])
async def test_r22_a_final_transfer_whose_hold_is_pending_gets_the_hold_refunded(
    status, family, submit, transfer_server, reconcile, counted, hold_of, balances, invariant
):
    payer, payee = family
    t = await submit(payer, payee, amount=30_000)
    await _set_status(transfer_server, t.id, status)  # the refund was recorded, the hold never ended
    assert await balances(payer) == (70_000, 0)

    finding = _only(await reconcile())
    assert (finding.disagreement.case, finding.healed) == (Case.FINAL_TRANSFER_HOLD_PENDING, True)
    assert await hold_of(t.id) is HoldStatus.REFUNDED
    assert await balances(payer) == (100_000, 0)
    assert await balances(payee) == (0, 0)
    assert counted(Case.FINAL_TRANSFER_HOLD_PENDING, "healed") == 1
    await invariant()
    assert (await reconcile()).findings == []
    assert counted(Case.FINAL_TRANSFER_HOLD_PENDING, "healed") == 1


async def test_r22_a_received_transfer_whose_hold_is_pending_gets_the_hold_received(
    family, submit, transfer_server, reconcile, counted, hold_of, balances, invariant
):
    payer, payee = family
    t = await submit(payer, payee, amount=30_000)
    await _set_status(transfer_server, t.id, "received")

    finding = _only(await reconcile())
    assert (finding.disagreement.case, finding.healed) == (Case.RECEIVED_TRANSFER_HOLD_PENDING, True)
    assert await hold_of(t.id) is HoldStatus.RECEIVED
    assert await balances(payer) == (70_000, 0)
    assert await balances(payee) == (0, 30_000)
    assert counted(Case.RECEIVED_TRANSFER_HOLD_PENDING, "healed") == 1
    await invariant()
    assert (await reconcile()).findings == []


async def test_r22_a_pending_hold_without_a_transfer_is_refunded_after_the_grace_period(
    family, account_server, account_shards, bearer, clock, reconcile, counted, hold_of, balances, invariant
):
    payer, payee = family
    orphan = str(uuid.uuid4())  # the account service holds money for a transfer nobody recorded
    await account_shards.of(payer).HoldTransfer(
        apb.HoldTransferRequest(
            transfer_id=orphan,
            payer_id=payer.id,
            payee_id=payee.id,
            source=apb.ACCOUNT_KIND_PERSONAL,
            amount_fen=12_000,
            payee_province=payee_province_of_hold(account_server, payer, payee),
        ),
        metadata=bearer(Role.SERVICE, "transfer"),
    )
    assert await balances(payer) == (88_000, 0)
    # Within the grace period it may be a submission still in flight: left alone.
    assert (await reconcile()).findings == []
    assert await hold_of(orphan) is HoldStatus.PENDING

    clock.set(clock.now() + timedelta(minutes=11))
    finding = _only(await reconcile())
    assert (finding.disagreement.case, finding.healed) == (Case.HOLD_WITHOUT_TRANSFER, True)
    assert await hold_of(orphan) is HoldStatus.REFUNDED
    assert await balances(payer) == (100_000, 0)
    assert counted(Case.HOLD_WITHOUT_TRANSFER, "healed") == 1
    await invariant()
    assert (await reconcile()).findings == []


@pytest.mark.parametrize(
    ("transfer_status", "hold_outcome"), [("received", "refunded"), ("refunded", "received")]
)
async def test_r22_a_transfer_and_hold_that_name_different_outcomes_are_reported_not_guessed(
    transfer_status,
    hold_outcome,
    family,
    submit,
    transfer_server,
    end_hold,
    reconcile,
    counted,
    hold_of,
    balances,
    caplog,
):
    payer, payee = family
    t = await submit(payer, payee, amount=30_000)
    await end_hold(payer, t.id, hold_outcome)
    await _set_status(transfer_server, t.id, transfer_status)
    before = (await balances(payer), await balances(payee))

    with caplog.at_level("ERROR", logger="yibao.transfer.reconcile"):
        finding = _only(await reconcile())
    assert (finding.disagreement.case, finding.healed) == (Case.OUTCOMES_DIFFER, False)
    assert finding.disagreement.hold_status is HoldStatus[hold_outcome.upper()]
    assert any(r.levelname == "ERROR" and getattr(r, "transfer_id", "") == t.id for r in caplog.records)
    assert (await balances(payer), await balances(payee)) == before  # nothing moved
    assert await hold_of(t.id) is HoldStatus[hold_outcome.upper()]
    assert counted(Case.OUTCOMES_DIFFER, "reported") == 1
    # Reported again while it lasts: a person decides, not the reconciler.
    assert [f.disagreement.case for f in (await reconcile()).findings] == [Case.OUTCOMES_DIFFER]


async def test_r22_a_pending_transfer_whose_hold_is_missing_is_reported(
    family, submit, account_server, reconcile, counted, balances
):
    payer, payee = family
    t = await submit(payer, payee, amount=30_000)
    payers_accounts = account_keeper(account_server, payer).database_url  # under R24, the payer's shard
    await write(payers_accounts, "DELETE FROM holds WHERE transfer_id = :id", id=t.id)

    finding = _only(await reconcile())
    assert (finding.disagreement.case, finding.healed) == (Case.HOLD_MISSING, False)
    assert counted(Case.HOLD_MISSING, "reported") == 1
    assert await balances(payer) == (70_000, 0)


@pytest.mark.parametrize(
    ("column", "value"), [("amount", 30_001), ("payee_id", "someone-else"), ("source", "wallet")]
)
async def test_r22_a_transfer_and_hold_with_other_terms_are_reported_even_when_a_heal_would_apply(
    column, value, family, submit, transfer_server, reconcile, counted, hold_of, balances
):
    payer, payee = family
    t = await submit(payer, payee, amount=30_000)
    await _set_status(transfer_server, t.id, "refunded")  # would be healed, were the terms the same
    await write(
        transfer_server.database_url, f"UPDATE transfers SET {column} = :v WHERE id = :id", v=value, id=t.id
    )

    finding = _only(await reconcile())
    assert (finding.disagreement.case, finding.healed) == (Case.TERMS_DIFFER, False)
    assert await hold_of(t.id) is HoldStatus.PENDING
    assert await balances(payer) == (70_000, 0)
    assert counted(Case.TERMS_DIFFER, "reported") == 1


async def test_r22_agreeing_transfers_in_every_resting_state_give_no_findings(
    family, member, relate, submit, transfers, bearer, reconcile, counted
):
    from yibao.transfer.v1 import transfer_pb2 as tpb

    payer, payee = family
    sister = await member("张丽", "450103")
    await relate(payer, sister, relation_pb2.RELATION_KIND_SIBLING)
    received = await submit(payer, payee, amount=10_000)
    await transfers.ReceiveTransfer(
        tpb.ReceiveTransferRequest(id=received.id),
        metadata=bearer(Role.CITIZEN, payee.id, person_id=payee.id),
    )
    declined = await submit(payer, sister, amount=10_000, relation=relation_pb2.RELATION_KIND_SIBLING)
    await transfers.DeclineTransfer(
        tpb.DeclineTransferRequest(id=declined.id),
        metadata=bearer(Role.CITIZEN, sister.id, person_id=sister.id),
    )
    await submit(payer, payee, amount=10_000)  # pending

    report = await reconcile()
    assert report.findings == []
    assert report.holds_read == 3 and report.transfers_read == 3


async def test_r22_list_holds_pages_by_last_change_and_filters_by_status(
    family, account_server, account_shards, bearer, end_hold, clock
):
    payer, payee = family
    service = bearer(Role.SERVICE, "transfer")
    account = account_shards.of(payer)  # where the payer's holds are (under R24, their shard)

    async def hold(amount: int) -> str:
        transfer_id = str(uuid.uuid4())
        request = apb.HoldTransferRequest(
            transfer_id=transfer_id,
            payer_id=payer.id,
            payee_id=payee.id,
            source=apb.ACCOUNT_KIND_PERSONAL,
            amount_fen=amount,
            payee_province=payee_province_of_hold(account_server, payer, payee),
        )
        await account.HoldTransfer(request, metadata=service)
        return transfer_id

    first, second = await hold(1_000), await hold(2_000)
    clock.set(clock.now() + timedelta(seconds=1))
    await end_hold(payer, first, "refunded")  # changed last: listed last
    third = await hold(3_000)

    ids, token = [], ""
    while True:
        page = await account.ListHolds(apb.ListHoldsRequest(page_size=1, page_token=token), metadata=service)
        ids += [h.transfer_id for h in page.holds]
        token = page.next_page_token
        if not token:
            break
    assert ids[0] == second and set(ids[1:]) == {first, third} and len(ids) == 3
    pending = await account.ListHolds(apb.ListHoldsRequest(status=apb.HOLD_STATUS_PENDING), metadata=service)
    assert {(h.transfer_id, h.amount_fen) for h in pending.holds} == {(second, 2_000), (third, 3_000)}
    later = apb.ListHoldsRequest()
    later.update_after.FromDatetime(clock.now() - timedelta(milliseconds=500))
    changed = await account.ListHolds(later, metadata=service)
    assert {h.transfer_id for h in changed.holds} == {first, third}
    refunded = await account.ListHolds(
        apb.ListHoldsRequest(status=apb.HOLD_STATUS_REFUNDED), metadata=service
    )
    assert [h.transfer_id for h in refunded.holds] == [first]
    assert refunded.holds[0].update_time.ToDatetime() > refunded.holds[0].create_time.ToDatetime()
    # A token continues only its own query (AIP-158, R20a).
    one = await account.ListHolds(apb.ListHoldsRequest(page_size=1), metadata=service)
    with pytest.raises(grpc.aio.AioRpcError) as other:
        await account.ListHolds(
            apb.ListHoldsRequest(page_size=1, page_token=one.next_page_token, status=apb.HOLD_STATUS_PENDING),
            metadata=service,
        )
    assert other.value.code() is grpc.StatusCode.INVALID_ARGUMENT
    assert error_details(other.value).reason == "PAGE_TOKEN_MISMATCH"


async def test_r22_yibao_reconcile_runs_one_pass_and_prints_it(
    family, submit, transfer_server, account_server, region_target, clock, tmp_path, balances
):
    payer, payee = family
    healed = await submit(payer, payee, amount=30_000)
    await _set_status(transfer_server, healed.id, "refunded")
    (tmp_path / "now").write_text(clock.now().isoformat())
    env = {
        **os.environ,
        "YIBAO_TRANSFER_DATABASE_URL": transfer_server.database_url,
        **transfer_env(account_server),  # R24: the shards by the map, on two shards
        "YIBAO_REGION_TARGET": region_target,
        "YIBAO_JWT_SIGNING_KEY": TEST_KEY,
        "YIBAO_CLOCK_FILE": str(tmp_path / "now"),
        "COLUMNS": "200",
    }

    def cli() -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "services.cli.main", "reconcile"],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )

    run = await _in_thread(cli)
    assert run.returncode == 0, run.stdout + run.stderr
    assert healed.id in run.stdout and "final_transfer_hold_pending" in run.stdout and "healed" in run.stdout
    assert await balances(payer) == (100_000, 0)
    again = await _in_thread(cli)
    assert again.returncode == 0 and "no disagreements" in again.stdout, again.stdout + again.stderr

    await _set_status(transfer_server, healed.id, "received")  # now the outcomes differ: reported, exit 1
    reported = await _in_thread(cli)
    assert reported.returncode == 1 and "outcomes_differ" in reported.stdout, reported.stdout


async def _in_thread(function):
    return await asyncio.to_thread(function)


async def test_r22_passes_between_full_ones_read_only_what_changed_and_still_find_it(
    member, relate, submit, transfer_server, reconcile, hold_of, clock
):
    """Between full passes, a pass reads what changed since the last one: a transfer left alone is not read again, and a transfer recorded as
    refunded behind its hold's back (its last change moved, as every move
    does) is found and healed."""
    payer = await member("张伟", "450102", funding=100_000)
    first, second = await member("李秀英", "110101"), await member("张秀兰", "110101")
    await relate(payer, first)
    await relate(payer, second)
    changed, untouched = await submit(payer, first, amount=10_000), await submit(payer, second, amount=20_000)
    assert (await reconcile()).findings == []  # a full pass
    clock.advance(hours=1)
    assert (await reconcile(full=False)).findings == []
    clock.advance(hours=1)
    await write(
        transfer_server.database_url,
        "UPDATE transfers SET status = 'refunded', open_pair = NULL, updated_at = :now WHERE id = :id",
        now=clock.now(),
        id=changed.id,
    )
    report = await reconcile(full=False)
    assert [f.disagreement.case for f in report.findings] == [Case.FINAL_TRANSFER_HOLD_PENDING]
    assert report.findings[0].disagreement.transfer_id == changed.id and report.findings[0].healed
    assert (report.holds_read, report.transfers_read) == (0, 1)  # the untouched transfer was not read
    assert await hold_of(changed.id) is HoldStatus.REFUNDED
    assert await hold_of(untouched.id) is HoldStatus.PENDING


async def test_r22_the_worker_reconciles_at_start(family, submit, transfer_server, restart_transfer, hold_of):
    """A fault left while the transfer service was down is healed by the
    worker's own first pass, with no one asking."""
    payer, payee = family
    t = await submit(payer, payee, amount=30_000)

    def fault() -> None:  # while down: the refund recorded, the hold never ended
        engine = create_engine(sync_url(transfer_server.database_url))
        try:
            with engine.begin() as conn:
                conn.execute(
                    text("UPDATE transfers SET status = 'refunded', open_pair = NULL WHERE id = :id"),
                    {"id": t.id},
                )
        finally:
            engine.dispose()

    await restart_transfer(while_down=fault, reconcile_interval=3600)
    for _ in range(100):
        if await hold_of(t.id) is HoldStatus.REFUNDED:
            return
        await asyncio.sleep(0.05)
    raise AssertionError("the worker did not reconcile at start")


async def test_r22_a_pass_waits_while_the_sweep_works_and_then_finishes(
    family, submit, transfer_server, reconcile, hold_of
):
    """The worker's pass yields to its money jobs (the 06:00 sweep): while
    they hold the lock it reads no further page, and it heals once they end."""
    payer, payee = family
    t = await submit(payer, payee, amount=30_000)
    await _set_status(transfer_server, t.id, "refunded")
    busy = asyncio.Lock()
    await busy.acquire()
    running = asyncio.create_task(reconcile(yields_to=busy))
    for _ in range(50):  # many rounds of the loop: a pass that did not wait would be done
        await asyncio.sleep(0.01)
    assert not running.done() and await hold_of(t.id) is HoldStatus.PENDING
    busy.release()
    finding = _only(await asyncio.wait_for(running, 30))
    assert finding.healed and await hold_of(t.id) is HoldStatus.REFUNDED
