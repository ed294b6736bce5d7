"""Transfer events on NATS JetStream (services/transfer/usecases/publishing.py),
against the NATS server with JetStream on 127.0.0.1:4222 (YIBAO_TEST_NATS_URL)
and a transfer database holding real events: the transfer service runs as
its own process and is killed with SIGKILL after JetStream acknowledged a
batch but before its cursor moved; restarted, it publishes that batch again,
and a consumer still sees every event once per province, in order. With
YIBAO_NATS_URL unset, nothing is published. Each test has a stream and a
subject prefix of its own, deleted at the end."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import nats
import nats.js.api
import nats.js.errors
import pytest
from google.protobuf import json_format
from yibao.transfer.v1 import transfer_pb2 as pb

from services.kernel.config import Settings
from services.kernel.db import create_engine
from services.kernel.migrations import upgrade
from services.kernel.relations import RelationKind
from services.transfer.adapters.jetstream import JetStreamConfig, ensure_stream
from services.transfer.adapters.repository import transfer_unit_of_work
from services.transfer.domain.transfer import EventType, RefundReason, Source, Status, Transfer
from services.transfer.settings import TransferSettings
from tests.conftest import TEST_KEY
from tests.kernel.test_server import _free_port
from tests.nats import NATS_URL, connect, own_stream
from tests.tls import SERVICE as SERVICE_TLS

PROVINCES = ("450000", "110000", "320000")
TRANSFERS = 24  # 24 CREATED + 8 RECEIVED + 8 DECLINED + 8 REFUNDED = 48 events
BATCH = 7  # events a round: the first process dies after the first 7


@pytest.fixture
async def nc():
    connection = await connect()
    yield connection
    await connection.close()


@pytest.fixture
async def stream(nc):
    async with own_stream(nc, "YIBAO_TEST", "yibaotest", batch=BATCH) as config:
        yield config


async def _write_events(url: str) -> list[tuple[int, str, str]]:
    """TRANSFERS transfers between the provinces with their events, numbered
    as the sequencer numbers them; returns (sequence, kind, transfer id) in order."""
    now = datetime.now(UTC).replace(microsecond=0)
    engine = create_engine(url)
    uow = transfer_unit_of_work(engine)
    try:
        made, events = [], []
        for i in range(TRANSFERS):
            payer, payee = PROVINCES[i % 3], PROVINCES[(i // 3) % 3]
            t = Transfer(
                f"00000000-0000-4000-8000-{i:012d}", f"req-{i}", "h", f"payer-{i}", f"payee-{i}",
                "李秀英", "110101********0024", RelationKind.PARENT, Source.PERSONAL, 100 + i,
                Status.PENDING, payer, payee, now, now + timedelta(days=1),
            )  # fmt: skip
            events.append((EventType.CREATED, t))
            if i % 3 == 1:
                t = replace(t, status=Status.RECEIVED, received_at=now)
                events.append((EventType.RECEIVED, t))
            elif i % 3 == 2:
                t = replace(t, status=Status.REFUNDING, refund_reason=RefundReason.DECLINED)
                events.append((EventType.DECLINED, t))
                t = replace(t, status=Status.REFUNDED, refunded_at=now)
                events.append((EventType.REFUNDED, t))
            made.append(t)  # as it is now
        async with uow() as tx:
            assert len(await tx.transfers.add_new(made)) == TRANSFERS
            for kind, as_then in events:
                await tx.transfers.add_events([as_then], kind, now)
            await tx.commit()
        async with uow() as tx:
            assert await tx.transfers.sequence_events(1000) == len(events)
            await tx.commit()
        async with uow(read_only=True) as tx:
            events = await tx.transfers.events_after(None, 0, 1000)
        return [(e.sequence, e.type.value, e.transfer_id) for e in events]
    finally:
        await engine.dispose()


async def _cursor(url: str, name: str) -> int | None:
    from sqlalchemy import select

    from services.transfer.adapters.tables import cursors

    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            found = await conn.execute(select(cursors.c.position).where(cursors.c.name == name))
            return found.scalar_one_or_none()
    finally:
        await engine.dispose()


@pytest.fixture
async def events_database(tmp_path):
    url = f"sqlite:///{tmp_path / 'transfer.db'}"
    upgrade("transfer", url)
    return url, await _write_events(url)


def _expected(events, transfers_provinces) -> dict[str, list[tuple[int, str]]]:
    """Per province: the (sequence, kind) of the events it sees in StreamTransferEvents."""
    by_province: dict[str, list[tuple[int, str]]] = {p: [] for p in PROVINCES}
    for sequence, kind, transfer_id in events:
        for province in sorted(set(transfers_provinces[transfer_id])):
            by_province[province].append((sequence, kind))
    return by_province


def _provinces(events) -> dict[str, tuple[str, str]]:
    out = {}
    for _, _, transfer_id in events:
        i = int(transfer_id.rsplit("-", 1)[1])
        out[transfer_id] = (PROVINCES[i % 3], PROVINCES[(i // 3) % 3])
    return out


class PublisherProcess:
    """`yibao serve transfer` on the events database, publishing to the test's stream."""

    def __init__(self, url: str, config: JetStreamConfig) -> None:
        self.env = {
            **os.environ,
            "YIBAO_TRANSFER_DATABASE_URL": url,
            "YIBAO_TRANSFER_LISTEN": f"127.0.0.1:{_free_port()}",
            "YIBAO_TRANSFER_METRICS_PORT": "0",
            "YIBAO_ACCOUNT_TARGET": f"127.0.0.1:{_free_port()}",  # nobody: not needed here
            "YIBAO_REGION_TARGET": f"127.0.0.1:{_free_port()}",
            "YIBAO_JWT_SIGNING_KEY": TEST_KEY,
            "YIBAO_TRANSFER_WORKER_INTERVAL_SECONDS": "3600",
            "YIBAO_TRANSFER_RECONCILE_SECONDS": "0",
            "YIBAO_LOG_LEVEL": "WARNING",
            "YIBAO_NATS_URL": config.url,
            "YIBAO_NATS_STREAM": config.stream,
            "YIBAO_NATS_SUBJECT_PREFIX": config.subject_prefix,
            "YIBAO_NATS_MAX_AGE_SECONDS": str(config.max_age_seconds),
            "YIBAO_NATS_PUBLISH_BATCH": str(config.batch),
        }
        self.env.pop("YIBAO_CLOCK_FILE", None)
        self.process: subprocess.Popen | None = None

    def start(self, crash_after: str = "") -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "services.cli.main", "serve", "transfer"],
            env={**self.env, "YIBAO_CRASH_AFTER": crash_after},
        )

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)


@pytest.fixture
def publisher_process(events_database, stream):
    process = PublisherProcess(events_database[0], stream)
    yield process
    process.stop()


async def _stream_state(js, name: str):
    return (await js.stream_info(name)).state


async def _read_all(js, config: JetStreamConfig, province: str, expected: int) -> list:
    """Every message of a province, from the start, by a durable pull consumer
    of this test (once the stream is there: a publisher makes it on its first round)."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            await js.stream_info(config.stream)
            break
        except nats.js.errors.NotFoundError:
            await asyncio.sleep(0.05)
    sub = await js.pull_subscribe(
        f"{config.subject_prefix}.{province}.>",
        durable=f"check-{province}",
        stream=config.stream,
        config=nats.js.api.ConsumerConfig(deliver_policy=nats.js.api.DeliverPolicy.ALL),
    )
    got: list = []
    deadline = time.monotonic() + 10
    while len(got) < expected and time.monotonic() < deadline:
        try:
            batch = await sub.fetch(100, timeout=1.0)
        except TimeoutError:
            continue
        for message in batch:
            await message.ack()
        got.extend(batch)
    try:  # nothing more than expected
        got.extend(await sub.fetch(1, timeout=0.5))
    except TimeoutError:
        pass
    return got


async def test_sigkill_after_the_acks_before_the_cursor_then_restart(
    nc, stream, events_database, publisher_process
):
    url, events = events_database
    expected = _expected(events, _provinces(events))
    total = sum(len(v) for v in expected.values())
    js = nc.jetstream()

    # Dies (SIGKILL, its own crash point) once JetStream acked the first
    # round's messages, before the cursor records them.
    publisher_process.start(crash_after="jetstream")
    assert await asyncio.to_thread(publisher_process.process.wait, 30) == -signal.SIGKILL
    first = await _stream_state(js, stream.stream)
    assert 0 < first.messages < total
    assert first.messages == sum(1 for items in expected.values() for s, _ in items if s <= BATCH)
    assert not await _cursor(url, "jetstream")  # so every one of those is published again

    publisher_process.start()
    deadline = time.monotonic() + 30
    while await _cursor(url, "jetstream") != events[-1][0]:
        assert publisher_process.process.poll() is None, "the publisher died"
        assert time.monotonic() < deadline, "the publisher did not catch up"
        await asyncio.sleep(0.1)
    publisher_process.stop()

    state = await _stream_state(js, stream.stream)
    # Re-published duplicates were dropped by their ids: they took no sequence either.
    assert (state.messages, state.last_seq) == (total, total)
    for province in PROVINCES:
        got = await _read_all(js, stream, province, len(expected[province]))
        seen = []
        for message in got:
            event = json_format.Parse(message.data, pb.TransferEvent())
            kind = pb.TransferEventType.Name(event.type).removeprefix("TRANSFER_EVENT_TYPE_").lower()
            assert message.subject == f"{stream.subject_prefix}.{province}.{kind}"
            assert message.headers["Nats-Msg-Id"] == f"transfer-{event.sequence}-{province}"
            assert province in (event.transfer.payer_province, event.transfer.payee_province)
            seen.append((event.sequence, kind))
        assert seen == expected[province]  # every one, once, in order


async def test_cli_follows_a_province_and_resumes(nc, stream, events_database):
    """`yibao events follow`: a durable consumer from the start, N events, acked;
    run again with the same durable, it goes on after them."""
    from services.kernel.clock import SystemClock
    from services.transfer.adapters.jetstream import JetStreamSink
    from services.transfer.domain.policy import TransferPolicy
    from services.transfer.entrypoints.grpc_api import event_json
    from services.transfer.usecases.common import TransferDeps
    from services.transfer.usecases.publishing import EventPublisher

    url, events = events_database
    expected = _expected(events, _provinces(events))["450000"]
    engine = create_engine(url)
    deps = TransferDeps(transfer_unit_of_work(engine), SystemClock(), TransferPolicy(), None, None)
    sink = JetStreamSink(replace(stream, batch=1000), event_json)
    try:
        await sink.open()
        assert await EventPublisher(deps, sink, 1000).publish() == len(events)
    finally:
        await sink.close()
        await engine.dispose()

    env = {
        **os.environ,
        "YIBAO_NATS_URL": NATS_URL,
        "YIBAO_NATS_STREAM": stream.stream,
        "YIBAO_NATS_SUBJECT_PREFIX": stream.subject_prefix,
    }
    follow = [sys.executable, "-m", "services.cli.main", "-o", "json", "events", "follow"]
    follow += ["--province", "450000", "--durable", "cli-test"]

    def run(*extra: str) -> list[dict]:
        done = subprocess.run(follow + list(extra), env=env, capture_output=True, text=True, timeout=30)
        assert done.returncode == 0, done.stderr
        return [json.loads(line)["event"] for line in done.stdout.splitlines()]

    first = await asyncio.to_thread(run, "--from-start", "--count", "5")
    rest = await asyncio.to_thread(run, "--idle", "1")
    got = [(int(e["sequence"]), e["type"].removeprefix("TRANSFER_EVENT_TYPE_").lower()) for e in first + rest]
    assert len(first) == 5
    assert got == expected


async def test_nothing_is_published_without_a_nats_url(nc, stream, events_database, tokens, clock):
    from services.transfer.bootstrap import bootstrap

    url, _ = events_database
    env = Settings(
        nats_url="",
        nats_stream=stream.stream,
        nats_subject_prefix=stream.subject_prefix,
        transfer_database_url=url,
    )
    settings = TransferSettings.from_env(env)
    assert settings.events is None
    heard = []

    async def listen(message) -> None:
        heard.append(message.subject)

    subs = [
        await nc.subscribe(f"{prefix}.>", cb=listen) for prefix in (stream.subject_prefix, "yibao.transfer")
    ]
    server = await bootstrap(
        replace(
            settings,
            listen="127.0.0.1:0",
            metrics_port=0,
            tls=SERVICE_TLS,
            worker_interval=3600.0,
            reconcile_interval=0,
        ),
        tokens,
        clock,
    )
    try:
        await asyncio.sleep(1.5)  # three rounds of a publisher, were there one
        assert not any(t.get_name() == "event-publisher" for t in asyncio.all_tasks())
    finally:
        await server.stop(0)
    await nc.flush()
    for sub in subs:
        await sub.unsubscribe()
    assert heard == []
    assert await _cursor(url, "jetstream") is None
    with pytest.raises(nats.js.errors.NotFoundError):  # the publisher would have made it
        await nc.jetstream().stream_info(stream.stream)


async def test_the_stream_takes_the_configured_limits(nc, stream):
    js = nc.jetstream()
    await ensure_stream(js, stream)
    await ensure_stream(js, replace(stream, max_age_seconds=300.0, duplicate_window_seconds=60.0))
    config = (await js.stream_info(stream.stream)).config
    assert config.subjects == [f"{stream.subject_prefix}.>"]
    assert (config.max_age, config.duplicate_window) == (300.0, 60.0)
    assert config.storage == nats.js.api.StorageType.FILE


class FlakySink:
    """Takes every message, except that the ``fail_at``-th publish fails once."""

    def __init__(self, fail_at: int) -> None:
        self.fail_at, self.calls, self.taken = fail_at, 0, []

    async def open(self) -> None:
        pass

    async def publish(self, province, event) -> bool:
        from services.transfer.usecases.publishing import SinkUnavailable

        self.calls += 1
        if self.calls == self.fail_at:
            raise SinkUnavailable("nats: gone for a moment")
        self.taken.append((event.sequence, province))
        return True

    async def close(self) -> None:
        pass


async def test_a_failed_publish_keeps_the_cursor_and_the_round_comes_again(events_database):
    from services.kernel.clock import SystemClock
    from services.transfer.domain.policy import TransferPolicy
    from services.transfer.usecases.common import TransferDeps
    from services.transfer.usecases.publishing import EventPublisher, SinkUnavailable

    url, events = events_database
    engine = create_engine(url)
    deps = TransferDeps(transfer_unit_of_work(engine), SystemClock(), TransferPolicy(), None, None)
    sink = FlakySink(fail_at=5)
    publisher = EventPublisher(deps, sink, batch=10)
    try:
        with pytest.raises(SinkUnavailable):
            await publisher.publish()
        assert await _cursor(url, "jetstream") is None
        assert await publisher.publish() == 10
        assert await _cursor(url, "jetstream") == events[9][0]
    finally:
        await engine.dispose()
    # The 4 taken before the failure come again, in the same order, then the rest of the round.
    assert sink.taken[4:8] == sink.taken[:4]
    assert [s for s, _ in sink.taken[4:]] == sorted(s for s, _ in sink.taken[4:])
    assert {s for s, _ in sink.taken} == {s for s, _, _ in events[:10]}


async def test_r26_each_message_carries_the_trace_of_its_publication(spans, nc, stream, events_database):
    """With tracing on, a message's headers hold W3C traceparent: the
    publish span's, so a consumer's work joins the trace."""
    from services.kernel.clock import SystemClock
    from services.transfer.adapters.jetstream import JetStreamSink
    from services.transfer.domain.policy import TransferPolicy
    from services.transfer.entrypoints.grpc_api import event_json
    from services.transfer.usecases.common import TransferDeps
    from services.transfer.usecases.publishing import EventPublisher

    url, events = events_database
    engine = create_engine(url)
    deps = TransferDeps(transfer_unit_of_work(engine), SystemClock(), TransferPolicy(), None, None)
    sink = JetStreamSink(replace(stream, batch=1000), event_json)
    try:
        await sink.open()
        await EventPublisher(deps, sink, 1000).publish()
    finally:
        await sink.close()
        await engine.dispose()
    [first] = (await _read_all(nc.jetstream(), stream, "450000", 1))[:1]
    published = {
        f"00-{s.context.trace_id:032x}-{s.context.span_id:016x}"
        for s in spans.get_finished_spans()
        if s.name.startswith(f"publish {stream.subject_prefix}.")
    }
    assert first.headers["traceparent"][:52] in published  # version, trace id, span id (flags aside)


# --- through the running service: notifications (R19b) and the trace of the request
async def _submitted(stub, bearer, payer, payee):
    from services.kernel.auth import Role
    from tests.transfer.helpers import submit_request

    token = bearer(Role.CITIZEN, payer.id, person_id=payer.id)
    return (await stub.SubmitTransfer(submit_request(payer, payee, amount=500), metadata=token)).transfer


async def test_r19b_notifications_reach_nats_under_the_recipients_province_once(
    nc, family, bearer, restart_transfer, transfer_server
):
    from services.kernel.auth import Role
    from services.transfer.adapters.jetstream import JetStreamNotifier
    from services.transfer.entrypoints.grpc_api import notification_json

    payer, payee = family  # 南宁 → 北京: the payee's notification goes out under 110000
    async with own_stream(nc, "YIBAO_NOTIFY_TEST", "yibaotest.notify", batch=500) as notify:
        stub = await restart_transfer(worker_interval=0.05, notify=notify)
        t = await _submitted(stub, bearer, payer, payee)
        [message] = await _read_all(nc.jetstream(), notify, "110000", 1)
        listed = await stub.ListNotifications(
            pb.ListNotificationsRequest(person_id=payee.id), metadata=bearer(Role.SERVICE, "test")
        )
        [note] = listed.notifications
        assert message.subject == f"{notify.subject_prefix}.110000.waiting"
        assert message.headers["Nats-Msg-Id"] == f"notify-{note.event_sequence}-{payee.id}"
        assert json.loads(message.data) == json_format.MessageToDict(note)
        assert note.transfer_id == t.id

        # Offered again (a crash before the record): JetStream keeps the one it has.
        engine = create_engine(transfer_server.database_url)
        try:
            async with transfer_unit_of_work(engine)(read_only=True) as tx:
                recorded = await tx.transfers.notifications_of(payee.id, None, 10)
        finally:
            await engine.dispose()
        assert [n.province for n in recorded] == ["110000"]
        again = JetStreamNotifier(notify, notification_json)
        try:
            await again.send(recorded)
        finally:
            await again.close()
        assert (await _stream_state(nc.jetstream(), notify.stream)).messages == 1


async def test_r26_an_event_on_nats_joins_the_trace_of_the_request_that_caused_it(
    spans, nc, stream, family, bearer, restart_transfer
):
    from opentelemetry.trace import SpanKind

    payer, payee = family
    stub = await restart_transfer(worker_interval=0.05, events=replace(stream, batch=100))
    t = await _submitted(stub, bearer, payer, payee)
    [created] = await _read_all(nc.jetstream(), stream, "450000", 1)
    assert json.loads(created.data)["transfer"]["id"] == t.id
    finished = spans.get_finished_spans()
    [submitted] = [s for s in finished if s.kind is SpanKind.SERVER and s.name.endswith("/SubmitTransfer")]
    trace_id = f"{submitted.context.trace_id:032x}"
    assert created.headers["traceparent"].split("-")[1] == trace_id  # not the publisher's own trace
    published = [s for s in finished if s.name == f"publish {stream.subject_prefix}.450000.created"]
    assert [f"{s.context.trace_id:032x}" for s in published] == [trace_id]


def test_r19b_notifications_via_nats_need_a_nats_server_and_have_their_own_stream():
    import pydantic

    with pytest.raises(pydantic.ValidationError, match="YIBAO_NATS_URL"):
        Settings(notifications_via_nats=True, nats_url="")
    assert TransferSettings.from_env(Settings(nats_url=NATS_URL)).notify is None
    notify = TransferSettings.from_env(Settings(notifications_via_nats=True, nats_url=NATS_URL)).notify
    assert (notify.stream, notify.subject_prefix) == ("YIBAO_NOTIFY", "yibao.notify")
