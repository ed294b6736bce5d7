"""Transfer events on NATS JetStream: subjects ``<prefix>.<province>.<kind>``,
message ids ``transfer-<sequence>-<province>`` (the Nats-Msg-Id header: a
second publish within the duplicate window is dropped by the server). What
a message holds is the caller's ``encode``: the TransferEvent of
StreamTransferEvents as protobuf JSON. The connection, the stream made or
brought to its configured limits, and the publish awaited until JetStream
stores it: services/kernel/jetstream.py, shared with the account service."""

from __future__ import annotations

from collections.abc import Callable

from services.kernel.jetstream import JetStreamConfig, ensure_stream
from services.kernel.jetstream import JetStreamSink as _Connection
from services.transfer.usecases.events import Event

__all__ = ["JetStreamConfig", "JetStreamSink", "ensure_stream", "message_id", "subject"]


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
        return await self.send(to, self._encode(event), message_id(province, event))
