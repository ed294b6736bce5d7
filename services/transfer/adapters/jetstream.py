"""Transfer events on NATS JetStream: subjects ``<prefix>.<province>.<kind>``,
message ids ``transfer-<sequence>-<province>`` (the Nats-Msg-Id header: a
second publish within the duplicate window is dropped by the server). What
a message holds is the caller's ``encode``: the TransferEvent of
StreamTransferEvents as protobuf JSON. The connection, the stream made or
brought to its configured limits, and the publish awaited until JetStream
stores it: services/kernel/jetstream.py, shared with the account service.
The notifications (R19b) go out the same way when asked (JetStreamNotifier)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from services.kernel.jetstream import JetStreamConfig, ensure_stream
from services.kernel.jetstream import JetStreamSink as _Connection
from services.transfer.domain.notifications import Notification
from services.transfer.usecases.events import Event

__all__ = ["JetStreamConfig", "JetStreamNotifier", "JetStreamSink", "ensure_stream", "message_id", "subject"]


def subject(prefix: str, province: str, event: Event) -> str:
    return f"{prefix}.{province}.{event.type.value}"


def message_id(province: str, event: Event) -> str:
    """Stable for an event and a province: what JetStream de-duplicates by."""
    return f"transfer-{event.sequence}-{province}"


class JetStreamSink(_Connection):
    """The publisher's way out (usecases/publishing.py ``EventSink``); the
    connection, the stream and the publish itself: services/kernel/jetstream.py."""

    def __init__(self, config: JetStreamConfig, encode: Callable[[Event], bytes]) -> None:
        super().__init__(config, "yibao-transfer")
        self._encode = encode

    async def publish(self, province: str, event: Event) -> bool:
        """Returns once JetStream has the message: True when stored now,
        False when it had it already (a duplicate within the window)."""
        to = subject(self.config.subject_prefix, province, event)
        return await self.send(to, self._encode(event), message_id(province, event), event.traceparent)


class JetStreamNotifier:
    """A notification provider (usecases/notifications.py) that hands each
    notification to JetStream, under ``<prefix>.<province>.<kind>`` (the
    recipient's province: its SMS gateway, or the app's push, consumes
    them) and the message id ``notify-<event sequence>-<person id>``: the
    notifier offers a batch again after a crash, and JetStream drops what
    it has within its duplicate window. Raises SinkUnavailable to have the
    batch offered again."""

    def __init__(self, config: JetStreamConfig, encode: Callable[[Notification], bytes]) -> None:
        self._sink = _Connection(config, "yibao-transfer-notify")
        self._encode = encode

    async def send(self, notifications: Sequence[Notification]) -> None:
        await self._sink.open()
        prefix = self._sink.config.subject_prefix
        for n in notifications:
            to = f"{prefix}.{n.province}.{n.kind.value}"
            await self._sink.send(to, self._encode(n), f"notify-{n.event_sequence}-{n.person_id}")

    async def close(self) -> None:
        await self._sink.close()
