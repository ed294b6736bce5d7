"""The saga's gauges (usecases/monitoring.py) and group commit's figures, as
the alert rules read them (deploy/prometheus/alerts.yml): the SQL adapter's
figures on a database of its own, the gauges' arithmetic on the fakes, and
the running transfer service's registry after a transfer is submitted,
received, or left until 06:00."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from prometheus_client import CollectorRegistry
from yibao.transfer.v1 import transfer_pb2 as pb

from services.kernel.auth import Role
from services.kernel.clock import FrozenClock
from services.kernel.db import create_engine
from services.kernel.migrations import upgrade
from services.kernel.relations import RelationKind
from services.transfer.adapters.repository import transfer_unit_of_work
from services.transfer.domain.policy import TransferPolicy
from services.transfer.domain.transfer import EventType, Source, Status, Transfer
from services.transfer.usecases.common import TransferDeps
from services.transfer.usecases.monitoring import SagaGauges
from services.transfer.usecases.ports import InFlight, Outbox
from tests.transfer.helpers import eventually
from tests.unit import fakes

T0 = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)  # 10:00 Beijing
EXPIRES = T0 + timedelta(hours=20)  # 06:00 Beijing the next day
MINUTE = timedelta(minutes=1)


def transfer(n: int, status: Status = Status.ACCEPTED, created_at: datetime = T0) -> Transfer:
    return Transfer(
        f"t{n}", f"r{n}", "h", f"payer{n}", "payee", "李秀英", "110101********0024", RelationKind.PARENT,
        Source.PERSONAL, 30_000, status, "450000", "110000", created_at, EXPIRES,
    )  # fmt: skip


def gauge(registry, name: str, **labels: str) -> float | None:
    return registry.get_sample_value(name, labels)


async def outbox_of(database_url: str) -> Outbox:
    engine = create_engine(database_url)
    try:
        async with transfer_unit_of_work(engine)(read_only=True) as tx:
            return await tx.transfers.outbox(["notifications"])
    finally:
        await engine.dispose()


async def in_flight_of(database_url: str, now: datetime) -> list[InFlight]:
    engine = create_engine(database_url)
    try:
        async with transfer_unit_of_work(engine)(read_only=True) as tx:
            return await tx.transfers.in_flight(now)
    finally:
        await engine.dispose()


# --- the SQL adapter's figures
async def test_in_flight_counts_each_open_state_with_its_oldest_change_and_expired(database_url):
    upgrade("transfer", database_url)
    engine = create_engine(database_url)
    uow = transfer_unit_of_work(engine)
    try:
        async with uow() as tx:
            assert await tx.transfers.in_flight(T0) == []
            assert await tx.transfers.add_new([transfer(n) for n in range(1, 6)]) == {
                f"t{n}" for n in range(1, 6)
            }
            for n, minutes in ((2, 1), (3, 5), (4, 10), (5, 2)):
                assert await tx.transfers.move(f"t{n}", Status.PENDING, T0 + minutes * MINUTE)
            assert await tx.transfers.move("t4", Status.RECEIVING, T0 + 20 * MINUTE)
            assert await tx.transfers.move("t5", Status.RECEIVING, T0 + 3 * MINUTE)
            assert await tx.transfers.move("t5", Status.RECEIVED, T0 + 4 * MINUTE)  # final: not counted
            await tx.commit()
        async with uow(read_only=True) as tx:
            an_hour_on = {f.status: f for f in await tx.transfers.in_flight(T0 + 60 * MINUTE)}
            at_expiry = {f.status: f for f in await tx.transfers.in_flight(EXPIRES)}
        assert an_hour_on == {
            Status.ACCEPTED: InFlight(Status.ACCEPTED, 1, T0, 0),
            Status.PENDING: InFlight(Status.PENDING, 2, T0 + MINUTE, 0),
            Status.RECEIVING: InFlight(Status.RECEIVING, 1, T0 + 20 * MINUTE, 0),
        }
        assert {s: f.expired for s, f in at_expiry.items()} == {
            Status.ACCEPTED: 1,
            Status.PENDING: 2,
            Status.RECEIVING: 1,
        }
    finally:
        await engine.dispose()


async def test_finished_since_counts_the_final_states_reached_from_a_time_on(database_url):
    upgrade("transfer", database_url)
    engine = create_engine(database_url)
    uow = transfer_unit_of_work(engine)
    try:
        async with uow() as tx:
            await tx.transfers.add_new([transfer(n) for n in range(1, 5)])
            for n, minutes in ((1, 1), (2, 30), (3, 40)):
                assert await tx.transfers.move(f"t{n}", Status.PENDING, T0)
                assert await tx.transfers.move(f"t{n}", Status.RECEIVING, T0)
                assert await tx.transfers.move(f"t{n}", Status.RECEIVED, T0 + minutes * MINUTE)
            assert await tx.transfers.move("t4", Status.REJECTED, T0 + 50 * MINUTE)
            await tx.commit()
        async with uow(read_only=True) as tx:
            assert await tx.transfers.finished_since(T0 + 10 * MINUTE) == {
                Status.RECEIVED: 2,
                Status.REJECTED: 1,
            }
            assert await tx.transfers.finished_since(T0 + 60 * MINUTE) == {}
    finally:
        await engine.dispose()


async def test_outbox_counts_unnumbered_events_the_last_number_and_the_cursors(database_url):
    upgrade("transfer", database_url)
    engine = create_engine(database_url)
    uow = transfer_unit_of_work(engine)
    try:
        async with uow() as tx:
            assert await tx.transfers.outbox(["notifications"]) == Outbox(0, 0, {"notifications": 0})
            await tx.transfers.add_events([transfer(1), transfer(2), transfer(3)], EventType.CREATED, T0)
            await tx.commit()
        async with uow() as tx:
            assert await tx.transfers.outbox(["notifications"]) == Outbox(3, 0, {"notifications": 0})
            assert await tx.transfers.sequence_events(2) == 2
            assert await tx.transfers.outbox(["notifications"]) == Outbox(1, 2, {"notifications": 0})
            await tx.transfers.set_cursor("notifications", 1)
            await tx.transfers.set_cursor("other", 9)
            assert await tx.transfers.outbox(["notifications"]) == Outbox(1, 2, {"notifications": 1})
    finally:
        await engine.dispose()


# --- the gauges' arithmetic, on the fakes
async def test_the_gauges_show_every_open_state_the_age_expired_and_lag():
    tables = fakes.TransferTables()
    clock = FrozenClock(T0 + 30 * MINUTE)
    deps = TransferDeps(
        fakes.transfer_unit_of_work(tables),
        clock,
        TransferPolicy(),
        fakes.FakeAccounts(),
        fakes.FakeRegions(),
    )
    registry = CollectorRegistry()
    gauges = SagaGauges(deps, registry)
    for t in (transfer(1, Status.PENDING), transfer(2, Status.PENDING, T0 + 10 * MINUTE)):
        tables.transfers[t.id] = t
        tables.events.append([None, t.id, EventType.CREATED, T0])
    tables.transfers["t3"] = replace(transfer(3), status=Status.REFUNDED)
    await gauges.refresh()
    assert gauge(registry, "yibao_transfers", state="pending") == 2
    assert gauge(registry, "yibao_transfers", state="refunding") == 0  # none, but shown
    assert gauge(registry, "yibao_transfers", state="refunded") is None  # final: not counted
    assert gauge(registry, "yibao_transfers_finished_today", state="refunded") == 1  # today's, instead
    assert gauge(registry, "yibao_transfers_finished_today", state="received") == 0
    assert gauge(registry, "yibao_transfers_oldest_seconds", state="pending") == 30 * 60
    assert gauge(registry, "yibao_transfers_oldest_seconds", state="receiving") == 0
    assert gauge(registry, "yibao_transfers_expired", state="pending") == 0
    assert gauge(registry, "yibao_follower_lag_events", follower="sequencer") == 2
    assert gauge(registry, "yibao_follower_lag_events", follower="notifications") == 0
    assert gauge(registry, "yibao_saga_gauges_refreshed_timestamp_seconds") > 0

    tables.events[0][0], tables.events[1][0] = 1, 2  # numbered: now the notifier's to take
    tables.cursors["notifications"] = 1
    clock.set(EXPIRES + MINUTE)
    await gauges.refresh()
    assert gauge(registry, "yibao_follower_lag_events", follower="sequencer") == 0
    assert gauge(registry, "yibao_follower_lag_events", follower="notifications") == 1
    assert gauge(registry, "yibao_transfers_expired", state="pending") == 2

    assert gauge(registry, "yibao_transfers_finished_today", state="refunded") == 0  # 06:00 the next day

    tables.transfers.clear()
    await gauges.refresh()
    assert gauge(registry, "yibao_transfers", state="pending") == 0
    assert gauge(registry, "yibao_transfers_expired", state="pending") == 0
    assert gauge(registry, "yibao_transfers_oldest_seconds", state="pending") == 0


# --- the running service
async def test_a_submitted_transfer_shows_in_the_services_metrics(
    family, submit, transfers, transfer_server, bearer, clock
):
    registry = transfer_server.components["metrics"].registry
    gauges = transfer_server.components["gauges"]

    async def refreshed_at_start():  # by the worker's own loop, not by this test
        return (gauge(registry, "yibao_saga_gauges_refreshed_timestamp_seconds") or 0) > 0

    await eventually(refreshed_at_start)
    await gauges.refresh()
    assert gauge(registry, "yibao_transfers", state="pending") == 0

    payer, payee = family
    t = await submit(payer, payee)
    assert gauge(registry, "yibao_batch_size_count", service="transfer", batcher="submit") == 1
    assert gauge(registry, "yibao_batch_size_sum", service="transfer", batcher="submit") == 1
    assert gauge(registry, "yibao_batch_waiting", service="transfer", batcher="submit") == 0
    assert gauge(registry, "yibao_batch_refusals_total", service="transfer", batcher="submit") == 0
    await gauges.refresh()
    assert gauge(registry, "yibao_transfers", state="pending") == 1
    assert gauge(registry, "yibao_transfers", state="accepted") == 0
    assert gauge(registry, "yibao_transfers_oldest_seconds", state="pending") == 0

    clock.advance(minutes=90)
    await gauges.refresh()
    assert gauge(registry, "yibao_transfers_oldest_seconds", state="pending") == 90 * 60
    assert gauge(registry, "yibao_transfers_expired", state="pending") == 0

    async def delivered():  # numbered by the sequencer, taken by the notifier
        await gauges.refresh()
        return all(
            gauge(registry, "yibao_follower_lag_events", follower=f) == 0
            for f in ("sequencer", "notifications")
        )

    await eventually(delivered)
    outbox = await outbox_of(transfer_server.database_url)
    assert outbox.last_sequence >= 1 and outbox.cursors == {"notifications": outbox.last_sequence}

    received = await transfers.ReceiveTransfer(
        pb.ReceiveTransferRequest(id=t.id), metadata=bearer(Role.CITIZEN, payee.id, person_id=payee.id)
    )
    assert received.transfer.status == pb.TRANSFER_STATUS_RECEIVED
    assert gauge(registry, "yibao_batch_size_count", service="transfer", batcher="receive") == 1
    await gauges.refresh()
    assert gauge(registry, "yibao_transfers", state="pending") == 0
    assert gauge(registry, "yibao_transfers_oldest_seconds", state="pending") == 0


async def test_a_transfer_past_06_00_is_expired_until_the_worker_refunds_it(
    family, submit, transfer_server, clock
):
    registry = transfer_server.components["metrics"].registry
    gauges = transfer_server.components["gauges"]
    payer, payee = family
    t = await submit(payer, payee)
    expires_at = t.expire_time.ToDatetime(UTC)
    at_expiry = {f.status: f.expired for f in await in_flight_of(transfer_server.database_url, expires_at)}
    assert at_expiry == {Status.PENDING: 1}  # what the gauge shows between 06:00 and the sweep
    clock.set(expires_at + MINUTE)

    async def refunded():  # the worker sweeps every 0.05 s here
        await gauges.refresh()
        return gauge(registry, "yibao_transfers", state="pending") == 0 and all(
            gauge(registry, "yibao_transfers_expired", state=s) == 0 for s in ("pending", "refunding")
        )

    await eventually(refunded)
