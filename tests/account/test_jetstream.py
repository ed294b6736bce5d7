"""The account's bill events and relation lapses on NATS JetStream
(services/account/usecases/publishing.py), against the NATS server with
JetStream on 127.0.0.1:4222 (YIBAO_TEST_NATS_URL): written through the
account gRPC server, published by that server's own publisher, read back
once each, in order, per province and feed, the same messages the list RPCs
return. With YIBAO_NATS_URL unset nothing is published; a round published
again with its cursor not moved (a crash between the acks and the cursor)
is dropped by JetStream. Each test has a stream and a subject prefix of its
own, deleted at the end."""

from __future__ import annotations

import asyncio
import time

import nats
import nats.js.api
import nats.js.errors
import pytest
from google.protobuf import json_format
from sqlalchemy import select
from yibao.account.v1 import account_pb2 as pb

from services.account.adapters.jetstream import STREAM, SUBJECT_PREFIX, FeedJetStreamSink
from services.account.adapters.repository import account_unit_of_work
from services.account.adapters.tables import cursors
from services.account.entrypoints.grpc_api import bill_event_json, lapse_json
from services.account.settings import AccountSettings
from services.account.usecases.publishing import BILLS_CURSOR, LAPSES_CURSOR, FeedPublisher
from services.kernel.config import Settings
from services.kernel.db import create_engine
from services.kernel.jetstream import JetStreamConfig
from tests.cluster import serve_account
from tests.nats import NATS_URL, connect, own_stream

RESIDENT = pb.INSURANCE_TYPE_RESIDENT
BILL = pb.CONTRIBUTION_KIND_RESIDENT_INSURANCE


@pytest.fixture
async def nc():
    connection = await connect()
    yield connection
    await connection.close()


@pytest.fixture
async def stream(nc):
    async with own_stream(nc, "YIBAO_TEST_ACCOUNT", "yibaotest.account", batch=2) as config:
        yield config


@pytest.fixture
def nats_events(stream) -> JetStreamConfig | None:
    """What the account server publishes to; a test parametrized with None: nothing."""
    return stream


@pytest.fixture
async def account_server(new_database, region_target, tokens, clock, nats_events):
    """tests/cluster.py's, publishing to this test's stream (``nats_events``)."""
    async with serve_account(new_database(), region_target, tokens, clock, events=nats_events) as server:
        yield server


async def _write(account, register, as_province) -> dict[str, list[tuple[str, int]]]:
    """Bills issued in 广西 and 北京, then persons moved and ended (lapses).
    Returns, per province, the subject kinds and ids published there, in order."""
    gx1, gx2 = await register("甲", "450102", RESIDENT), await register("乙", "450102", RESIDENT)
    bj = await register("丙", "110101", RESIDENT)
    gx, beijing = as_province("450000"), as_province("110000")
    for person, year, who in ((gx1, 2026, gx), (bj, 2026, beijing), (gx2, 2026, gx), (gx1, 2027, gx)):
        request = pb.IssueContributionBillRequest(
            person_id=person.id, kind=BILL, year=year, amount_fen=38_000
        )
        assert (await account.IssueContributionBill(request, metadata=who)).created
    moves = (
        (pb.UpdateInsuranceRequest(person_id=gx2.id, insured_region="440104"), gx),  # now 广东's
        (pb.UpdateInsuranceRequest(person_id=bj.id, insurance_status=pb.INSURANCE_STATUS_ENDED), beijing),
        (pb.UpdateInsuranceRequest(person_id=gx1.id, insured_region="110101"), gx),  # now 北京's
    )
    for request, who in moves:
        await account.UpdateInsurance(request, metadata=who)
    bills = [("bill", i) for i in range(1, 5)]
    return {
        "450000": [bills[0], bills[2], bills[3]],
        "110000": [bills[1], ("lapse", 2), ("lapse", 3)],
        "440000": [("lapse", 1)],
    }


async def _read_all(js, config: JetStreamConfig, province: str, expected: int) -> list:
    """Every message of a province, from the start, by a durable pull consumer of this test."""
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


async def _messages(js, stream: str) -> int:
    try:
        return (await js.stream_info(stream)).state.messages
    except nats.js.errors.NotFoundError:
        return 0


async def _check_stream(js, config, account, as_province, as_service, expected) -> None:
    """Each province's messages: once each, in id order per feed, the list RPCs' items."""
    lapses = (await account.ListRelationLapses(pb.ListRelationLapsesRequest(), metadata=as_service)).lapses
    listed = {("lapse", x.id): x for x in lapses}
    for province in expected:
        events = await account.ListBillEvents(
            pb.ListBillEventsRequest(province=province), metadata=as_province(province)
        )
        listed |= {("bill", e.id): e for e in events.events}
    total = sum(len(v) for v in expected.values())
    assert (await js.stream_info(config.stream)).state.messages == total
    for province, wanted in expected.items():
        seen = []
        for message in await _read_all(js, config, province, len(wanted)):
            kind = message.subject.rsplit(".", 1)[1]
            assert message.subject == f"{config.subject_prefix}.{province}.{kind}"
            item = json_format.Parse(message.data, pb.BillEvent() if kind == "bill" else pb.RelationLapse())
            assert message.headers["Nats-Msg-Id"] == f"{kind}-{item.id}"
            assert item == listed[(kind, item.id)]  # what ListBillEvents / ListRelationLapses return
            seen.append((kind, item.id))
        assert seen == wanted, province


async def test_bill_events_and_lapses_are_published_once_in_order_per_province(
    nc, stream, account, register, as_province, as_service
):
    expected = await _write(account, register, as_province)
    js = nc.jetstream()
    total = sum(len(v) for v in expected.values())
    deadline = time.monotonic() + 15
    while await _messages(js, stream.stream) < total:  # the server's publisher, batches of 2
        assert time.monotonic() < deadline, "the publisher did not catch up"
        await asyncio.sleep(0.1)
    await asyncio.sleep(0.6)  # a round more: nothing else comes
    await _check_stream(js, stream, account, as_province, as_service, expected)
    last = await js.get_last_msg(stream.stream, f"{stream.subject_prefix}.450000.bill")
    assert last.data.decode().startswith('{"id":"4","type":"BILL_EVENT_TYPE_ISSUED","bill":{"personId":')


@pytest.mark.parametrize("nats_events", [None])
async def test_nothing_is_published_without_a_nats_url(
    nc, stream, nats_events, account_server, account, register, as_province
):
    assert AccountSettings.from_env(Settings(nats_url="")).events is None
    assert AccountSettings.from_env(Settings(nats_url=NATS_URL)).events == JetStreamConfig(
        NATS_URL, STREAM, SUBJECT_PREFIX
    )
    heard = []

    async def listen(message) -> None:
        heard.append(message.subject)

    subs = [await nc.subscribe(f"{p}.>", cb=listen) for p in (stream.subject_prefix, SUBJECT_PREFIX)]
    await _write(account, register, as_province)
    await asyncio.sleep(1.5)  # three rounds of a publisher, were there one
    assert not any(t.get_name() == "event-publisher" for t in asyncio.all_tasks())
    await nc.flush()
    for sub in subs:
        await sub.unsubscribe()
    assert heard == []
    engine = create_engine(account_server.database_url)
    try:
        async with engine.connect() as conn:
            assert (await conn.execute(select(cursors))).all() == []
    finally:
        await engine.dispose()
    with pytest.raises(nats.js.errors.NotFoundError):  # the publisher would have made it
        await nc.jetstream().stream_info(stream.stream)


class Crash(Exception):
    pass


class CrashBeforeTheCursor(FeedPublisher):
    """Dies after a round's publishes were acked, before its cursor moves."""

    async def _move(self, cursor: str, position: int) -> None:
        raise Crash(cursor)


class CountingSink(FeedJetStreamSink):
    def __init__(self, config: JetStreamConfig) -> None:
        super().__init__(config, bill_event_json, lapse_json)
        self.stored: list[bool] = []

    async def send(self, to: str, data: bytes, message_id: str) -> bool:
        self.stored.append(await super().send(to, data, message_id))
        return self.stored[-1]


@pytest.mark.parametrize("nats_events", [None])
async def test_a_round_published_again_before_its_cursor_is_stored_once(
    nc, stream, nats_events, account_server, account, register, as_province, as_service
):
    expected = await _write(account, register, as_province)
    engine = create_engine(account_server.database_url)
    uow = account_unit_of_work(engine)
    first, again = CountingSink(stream), CountingSink(stream)
    try:
        await first.open()
        with pytest.raises(Crash):
            await CrashBeforeTheCursor(uow, first, 100).publish_bills()
        with pytest.raises(Crash):
            await CrashBeforeTheCursor(uow, first, 100).publish_lapses()
        async with uow(read_only=True) as tx:
            assert (await tx.accounts.cursor(BILLS_CURSOR), await tx.accounts.cursor(LAPSES_CURSOR)) == (0, 0)
        await again.open()  # restarted: the same rounds from the same cursors
        publisher = FeedPublisher(uow, again, 100)
        assert await publisher.round() is False  # less than a batch: nothing more waits
        async with uow(read_only=True) as tx:
            assert (await tx.accounts.cursor(BILLS_CURSOR), await tx.accounts.cursor(LAPSES_CURSOR)) == (4, 3)
        assert (await publisher.publish_bills(), await publisher.publish_lapses()) == (0, 0)
    finally:
        await first.close()
        await again.close()
        await engine.dispose()
    assert first.stored == [True] * 7
    assert again.stored == [False] * 7  # JetStream had each: dropped by its Nats-Msg-Id
    state = (await nc.jetstream().stream_info(stream.stream)).state
    assert (state.messages, state.last_seq) == (7, 7)  # duplicates took no sequence either
    await _check_stream(nc.jetstream(), stream, account, as_province, as_service, expected)
